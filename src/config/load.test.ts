import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigSchema, envName, loadConfig } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'argus-config-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('envName', () => {
  it('maps camelCase keys to ARGUS_ upper snake case', () => {
    expect(envName('maxUploadBytes')).toBe('ARGUS_MAX_UPLOAD_BYTES');
    expect(envName('port')).toBe('ARGUS_PORT');
    expect(envName('jobLeaseMs')).toBe('ARGUS_JOB_LEASE_MS');
    expect(envName('modelsDir')).toBe('ARGUS_MODELS_DIR');
  });
});

describe('loadConfig', () => {
  it('fills every default', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({
      port: 8000,
      host: '127.0.0.1',
      modelsDir: resolve('./models'),
      dataDir: resolve('./data'),
      logLevel: 'info',
      maxUploadBytes: 10 * 1024 * 1024,
      maxPixels: 40_000_000,
      defaultDetectModel: 'yolov8n',
      defaultModels: {},
      keepUploads: false,
      jobLeaseMs: 30_000,
      jobConcurrency: availableParallelism(),
      maxQueueDepth: 256,
      requestTimeoutMs: 120_000,
      cpuCores: availableParallelism(),
      executionProvider: 'cpu',
      memoryBudgetMb: Math.floor((totalmem() / 1048576) * 0.75),
      idleTtlS: 300,
      preload: [],
      loadWaitMs: 30_000,
      requireGpu: false,
      models: {},
      allowPulls: false,
      huggingfaceEndpoint: 'https://huggingface.co',
      queuePrefix: 'argus',
      lockDurationMs: 15_000,
      stalledIntervalMs: 10_000,
      maxStalledCount: 2,
    });
    expect(config.maxUploadBytes).toBe(10_485_760);
    // Every key without a default is optional; everything else has one.
    for (const key of ConfigSchema.required) expect(config, key).toHaveProperty(key);
    expect(config.queueUrl).toBeUndefined();
  });

  it('reads lists comma-separated, and requireGpu asks for cuda', () => {
    const config = loadConfig({ env: { ARGUS_PRELOAD: 'yolov8n, centernet', ARGUS_REQUIRE_GPU: 'true' } });
    expect(config.preload).toEqual(['yolov8n', 'centernet']);
    expect(config.executionProvider).toBe('cuda');
  });

  it('converts ARGUS_* strings to typed values', () => {
    const config = loadConfig({
      env: {
        ARGUS_PORT: '9001',
        ARGUS_KEEP_UPLOADS: 'true',
        ARGUS_MAX_UPLOAD_BYTES: '2048',
        ARGUS_LOG_LEVEL: 'debug',
        ARGUS_EXECUTION_PROVIDER: 'cuda',
        ARGUS_MODELS: '{"yolov8n": {"instances": 2, "threads": 4}}',
      },
    });
    expect(config.port).toBe(9001);
    expect(config.keepUploads).toBe(true);
    expect(config.maxUploadBytes).toBe(2048);
    expect(config.logLevel).toBe('debug');
    expect(config.executionProvider).toBe('cuda');
    expect(config.models).toEqual({ yolov8n: { instances: 2, threads: 4 } });
  });

  it('ignores empty and unrelated variables', () => {
    const config = loadConfig({ env: { ARGUS_PORT: '', PORT: '1', ARGUS_NOT_A_KEY: 'x' } });
    expect(config.port).toBe(8000);
  });

  it('reads a YAML config file', () => {
    const file = writeFile('argus.yaml', 'port: 7000\nkeepUploads: true\nmodels:\n  yolov8n:\n    instances: 1\n');
    const config = loadConfig({ env: {}, file });
    expect(config.port).toBe(7000);
    expect(config.keepUploads).toBe(true);
    expect(config.models).toEqual({ yolov8n: { instances: 1 } });
  });

  it('reads a JSON config file named by ARGUS_CONFIG', () => {
    const file = writeFile('argus.json', JSON.stringify({ host: '0.0.0.0', maxPixels: 1000 }));
    const config = loadConfig({ env: { ARGUS_CONFIG: file } });
    expect(config.host).toBe('0.0.0.0');
    expect(config.maxPixels).toBe(1000);
  });

  it('lets overrides win over env, and env over the file', () => {
    const file = writeFile('precedence.yaml', 'port: 1111\nhost: file.example\nmaxPixels: 5\n');
    const env = { ARGUS_PORT: '2222', ARGUS_HOST: 'env.example' };
    const all = loadConfig({ env, file, overrides: { port: 3333 } });
    expect([all.port, all.host, all.maxPixels]).toEqual([3333, 'env.example', 5]);
    const noOverride = loadConfig({ env, file });
    expect([noOverride.port, noOverride.host]).toEqual([2222, 'env.example']);
    const fileOnly = loadConfig({ env: {}, file });
    expect([fileOnly.port, fileOnly.host]).toEqual([1111, 'file.example']);
    // An override left undefined (a flag not given) does not hide the lower layers.
    expect(loadConfig({ env, file, overrides: { port: undefined } }).port).toBe(2222);
  });

  it('resolves relative folders to absolute paths', () => {
    const config = loadConfig({ env: { ARGUS_DATA_DIR: 'state/here' }, overrides: { modelsDir: 'some/models' } });
    expect(config.modelsDir).toBe(resolve(process.cwd(), 'some/models'));
    expect(config.dataDir).toBe(resolve(process.cwd(), 'state/here'));
    expect(loadConfig({ env: {}, overrides: { modelsDir: '/abs/models' } }).modelsDir).toBe('/abs/models');
  });

  it('turns cpuCores 0 into the machine cores and jobConcurrency 0 into cpuCores', () => {
    expect(loadConfig({ env: { ARGUS_CPU_CORES: '0' } }).cpuCores).toBe(availableParallelism());
    const three = loadConfig({ env: { ARGUS_CPU_CORES: '3' } });
    expect([three.cpuCores, three.jobConcurrency]).toEqual([3, 3]);
    const explicit = loadConfig({ env: { ARGUS_CPU_CORES: '3', ARGUS_JOB_CONCURRENCY: '5' } });
    expect([explicit.cpuCores, explicit.jobConcurrency]).toEqual([3, 5]);
  });

  it('names the bad key and its variable for ARGUS_PORT=abc', () => {
    const error = configError(() => loadConfig({ env: { ARGUS_PORT: 'abc' } }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^port \(ARGUS_PORT\): /);
    expect(error.message).toContain('port (ARGUS_PORT)');
    expect(error.name).toBe('ConfigError');
  });

  it('refuses out-of-range and wrongly typed values', () => {
    expect(configError(() => loadConfig({ env: { ARGUS_PORT: '70000' } })).problems[0]).toMatch(/^port \(ARGUS_PORT\)/);
    expect(configError(() => loadConfig({ env: { ARGUS_MAX_UPLOAD_BYTES: '10' } })).problems[0]).toMatch(/^maxUploadBytes \(ARGUS_MAX_UPLOAD_BYTES\)/);
    expect(configError(() => loadConfig({ env: { ARGUS_JOB_LEASE_MS: '1.5' } })).problems[0]).toMatch(/^jobLeaseMs \(ARGUS_JOB_LEASE_MS\)/);
    expect(configError(() => loadConfig({ env: { ARGUS_LOG_LEVEL: 'loud' } })).problems.join('\n')).toMatch(/logLevel \(ARGUS_LOG_LEVEL\)/);
  });

  it('names an unknown key in the file', () => {
    const file = writeFile('unknown.yaml', 'port: 8080\nbogusKey: 3\n');
    const error = configError(() => loadConfig({ env: {}, file }));
    expect(error.problems.some((p) => p.startsWith('bogusKey (ARGUS_BOGUS_KEY)'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('port'))).toBe(false);
  });

  it('names a bad per-model override by its path', () => {
    const file = writeFile('models.yaml', 'models:\n  yolov8n:\n    instances: 0\n');
    const error = configError(() => loadConfig({ env: {}, file }));
    expect(error.problems.some((p) => p.startsWith('models.yolov8n.instances (ARGUS_MODELS)'))).toBe(true);
  });

  it('reports unreadable and malformed files', () => {
    const missing = join(dir, 'missing.yaml');
    expect(configError(() => loadConfig({ env: {}, file: missing })).problems[0]).toMatch(new RegExp(`^config file ${missing}: `));
    const list = writeFile('list.yaml', '- 1\n- 2\n');
    expect(configError(() => loadConfig({ env: {}, file: list })).problems[0]).toContain('the top level must be an object');
    const broken = writeFile('broken.json', '{"port": ');
    expect(configError(() => loadConfig({ env: {}, file: broken })).problems[0]).toMatch(/^config file .*broken\.json: /);
  });

  it('accepts a Sentinel queue URL, and refuses a node timeout shorter than two heartbeats', () => {
    const sentinel = loadConfig({ env: { ARGUS_QUEUE_URL: 'redis+sentinel://:pw@s1:26379,s2/mymaster', ARGUS_DB_URL: 'postgres://db/argus' } });
    expect(sentinel.queueUrl).toBe('redis+sentinel://:pw@s1:26379,s2/mymaster');
    expect(configError(() => loadConfig({ env: { ARGUS_QUEUE_URL: 'http://h', ARGUS_DB_URL: 'postgres://db/argus' } })).problems[0]).toMatch(/^queueUrl \(ARGUS_QUEUE_URL\)/);
    expect(configError(() => loadConfig({ env: { ARGUS_NODE_TIMEOUT_MS: '3000', ARGUS_HEARTBEAT_INTERVAL_MS: '2000' } })).problems[0]).toMatch(/nodeTimeoutMs \(ARGUS_NODE_TIMEOUT_MS, 3000\) must be at least twice/);
  });

  it('refuses ARGUS_MODELS that is not JSON', () => {
    expect(configError(() => loadConfig({ env: { ARGUS_MODELS: '{yolov8n' } })).problems).toEqual(['ARGUS_MODELS: not valid JSON']);
  });
});
