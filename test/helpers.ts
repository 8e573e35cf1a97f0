/**
 * Test harness: real servers (in-process or as a child process), real models from
 * ARGUS_MODELS_DIR and real images from ../shared/images.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArgus, type Argus } from '../src/app/argus.js';
import { loadConfig, type Config } from '../src/config/load.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The CLI that tests run as a separate process: the compiled build, which starts ~1 s faster per
 * process (and per model worker it forks) than the sources under tsx. The global setup rebuilds
 * it when the sources are newer.
 */
export const ARGUS_CLI = join(REPO_ROOT, 'dist/cli/main.js');
export const MODELS_DIR = resolve(process.env.ARGUS_MODELS_DIR ?? join(REPO_ROOT, '../shared/models'));
export const SHARED_DIR = dirname(MODELS_DIR);
export const IMAGES_DIR = join(SHARED_DIR, 'images');

/**
 * Where the test models really are. Test models directories link to them (nothing is copied), and
 * Argus reads model files through a link only from folders listed in modelRoots, as an operator
 * who links a models folder from another disk lists it in ARGUS_MODEL_ROOTS.
 */
export const MODEL_ROOTS = [MODELS_DIR, join(REPO_ROOT, 'test/fixtures')];

export function image(name: string): Buffer {
  return readFileSync(join(IMAGES_DIR, name));
}

export function tempDir(prefix = 'argus-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestServer {
  argus: Argus;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Starts a real Argus (HTTP on a free port, real worker processes) inside the test process. */
export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = loadConfig({
    env: {},
    // The overload check is off unless a test asks for it: an in-process server shares its event
    // loop with the test's own work, so the delay it would measure is not the server's.
    overrides: { modelsDir: MODELS_DIR, dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent', maxEventLoopDelayMs: 0, ...overrides },
  });
  const argus = await createArgus(config);
  const url = await argus.listen();
  return {
    argus,
    url,
    dataDir,
    async close() {
      await argus.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

/** Runs an `argus` command as a separate process and waits until its log says it is ready. */
async function spawnArgus(args: string[], env: Record<string, string>, ready: RegExp, what: string): Promise<Omit<ChildServer, 'url'> & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [ARGUS_CLI, ...args], {
    cwd: REPO_ROOT,
    // Overload shedding off unless a test asks for it: on a busy 2-core test machine a child can
    // wait over a second for the CPU, which is the machine's load, not the server's.
    env: { ...process.env, ARGUS_MODELS_DIR: MODELS_DIR, ARGUS_LOG_LEVEL: 'info', ARGUS_MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const match = await new Promise<RegExpExecArray>((ok, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = ready.exec(output);
      if (found) ok(found);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => fail(new Error(`${what} exited (${code}) before it was ready:\n${output}`)));
    setTimeout(() => fail(new Error(`${what} was not ready in 90 s:\n${output}`)), 90_000).unref();
  });
  return { child, output: () => output, exited, match };
}

/** Runs `argus serve` as a separate process (for kill -9 and signal tests) and waits until it listens. */
export async function spawnServer(env: Record<string, string>, args: string[] = []): Promise<ChildServer> {
  const server = await spawnArgus(['serve', '--port', '0', ...args], env, /serving on (http:\/\/[\d.:]+)/, 'argus serve');
  return { ...server, url: server.match[1] };
}

export interface ChildWorker extends Omit<ChildServer, 'url'> {
  /** The node id it announces. */
  id: string;
}

/** Runs `argus worker` (a distributed inference node) and waits until it serves its queues. */
export async function spawnWorker(env: Record<string, string>, args: string[] = []): Promise<ChildWorker> {
  const worker = await spawnArgus(['worker', ...args], env, /Argus worker (\S+) serving/, 'argus worker');
  return { ...worker, id: worker.match[1] };
}

/** POSTs an image as multipart field `field` with extra text fields. */
export async function postImage(url: string, bytes: Uint8Array, fields: Record<string, string> = {}, field = 'image', filename = 'image.jpg'): Promise<Response> {
  const form = new FormData();
  form.append(field, new Blob([bytes]), filename);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return fetch(url, { method: 'POST', body: form });
}

export async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Polls until `check` returns a value (for state that settles asynchronously, e.g. a job finishing). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A response's JSON body. Tests assert on its shape, so it is typed loosely on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json(response: Response): Promise<any> {
  return response.json();
}

/**
 * Pids of the live children of `pid` (from /proc: the fault tests freeze or kill a node's model
 * workers to hold a job in the middle, whatever the machine's speed).
 */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command (which may hold spaces) start after its closing parenthesis.
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      if (Number(fields[1]) === pid && fields[0] !== 'Z') children.push(Number(entry));
    } catch {
      // Gone between the listing and the read.
    }
  }
  return children;
}
