import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { extname, resolve } from 'node:path';
import Value from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';

export { ConfigSchema, type Config } from './schema.js';

/** Raised for a config that cannot be used; `problems` names each bad key by its path. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Environment to read `ARGUS_*` keys from. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Config file (JSON or YAML); `ARGUS_CONFIG` names one when this is absent. */
  file?: string;
  /** Values that win over file and environment (command-line flags). */
  overrides?: Partial<Config>;
}

const ENV_PREFIX = 'ARGUS_';

/** `maxUploadBytes` → `ARGUS_MAX_UPLOAD_BYTES`. */
export function envName(key: string): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/**
 * Builds the one config object: defaults, then the config file, then `ARGUS_*` variables, then
 * overrides. Relative paths resolve against the working directory. Throws {@link ConfigError}.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.ARGUS_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv = readEnv(env);
  const merged: Record<string, unknown> = { ...fromFile, ...fromEnv, ...dropUndefined(options.overrides ?? {}) };
  const config = Value.Convert(ConfigSchema, Value.Default(ConfigSchema, merged)) as Config;
  if (Value.Check(ConfigSchema, config) && Boolean(config.queueUrl) !== Boolean(config.dbUrl)) {
    throw new ConfigError(['queueUrl (ARGUS_QUEUE_URL) and dbUrl (ARGUS_DB_URL) go together: distributed mode needs both Redis and PostgreSQL']);
  }
  // A node must beat several times within its timeout, or a busy but healthy node counts as dead
  // and its sync requests are sent elsewhere.
  if (Value.Check(ConfigSchema, config) && config.nodeTimeoutMs < 2 * config.heartbeatIntervalMs) {
    throw new ConfigError([`nodeTimeoutMs (ARGUS_NODE_TIMEOUT_MS, ${config.nodeTimeoutMs}) must be at least twice heartbeatIntervalMs (ARGUS_HEARTBEAT_INTERVAL_MS, ${config.heartbeatIntervalMs})`]);
  }
  if (!Value.Check(ConfigSchema, config)) {
    throw new ConfigError(
      Value.Errors(ConfigSchema, config).map((e) => `${describePath(e.instancePath)}: ${e.message}`),
    );
  }
  return finalise(config);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file}: ${(error as Error).message}`]);
  }
  try {
    const parsed: unknown = ['.yaml', '.yml'].includes(extname(file)) ? parseYaml(text) : JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError([`config file ${file}: ${(error as Error).message}`]);
  }
}

function readEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) {
    const value = env[envName(key)];
    if (value === undefined || value === '') continue;
    // Objects (per-model overrides) are JSON in the environment; lists are comma-separated.
    const type = 'type' in schema ? schema.type : undefined;
    out[key] = type === 'object' ? safeJson(envName(key), value) : type === 'array' ? value.split(',').map((v) => v.trim()).filter(Boolean) : value;
  }
  return out;
}

function safeJson(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError([`${name}: not valid JSON`]);
  }
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describePath(pointer: string): string {
  const key = pointer.replace(/^\//, '').split('/')[0];
  return key ? `${pointer.slice(1).replaceAll('/', '.')} (${envName(key)})` : '(config)';
}

function finalise(config: Config): Config {
  const cpuCores = config.cpuCores || availableParallelism();
  return {
    ...config,
    memoryBudgetMb: config.memoryBudgetMb || Math.floor((totalmem() / 1048576) * 0.75),
    // A GPU that is required must also be asked for.
    executionProvider: config.requireGpu ? 'cuda' : config.executionProvider,
    modelsDir: resolve(config.modelsDir),
    dataDir: resolve(config.dataDir),
    cpuCores,
    jobConcurrency: config.jobConcurrency || cpuCores,
  };
}
