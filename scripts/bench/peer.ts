/**
 * The original embedding service (../shared/peers/fastapi-resnet18: FastAPI + PyTorch ResNet18),
 * run beside Argus for fidelity checks and speed comparisons. It needs Debian's Python packages
 * (its setup.sh installs them); without them it cannot start, and callers say so and skip it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasExited, stopChild, track } from './children.js';
import { freePort } from './server.js';

/** The Python modules the peer imports (as its setup.sh checks them). */
const PEER_MODULES = 'torch, torchvision, fastapi, uvicorn, PIL, multipart';

export interface Peer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Why the peer cannot run here (its folder or Python packages are missing), or undefined when it can. */
export function peerUnavailable(peerDir: string): string | undefined {
  if (!existsSync(join(peerDir, 'run.sh'))) return `${peerDir}/run.sh not found`;
  const check = spawnSync('/usr/bin/python3', ['-c', `import ${PEER_MODULES}`], { encoding: 'utf8' });
  if (check.error) return `/usr/bin/python3 cannot run (${check.error.message})`;
  if (check.status !== 0) {
    const missing = /No module named '([^']+)'/.exec(check.stderr)?.[1] ?? check.stderr.trim().split('\n').pop();
    return `its Python packages are missing (${missing}); run ${peerDir}/setup.sh once (Debian packages, about 1 GB)`;
  }
  return undefined;
}

/** Starts the peer on a free port with `threads` PyTorch threads and waits until /health answers. */
export async function startPeer(peerDir: string, options: { threads?: number; timeoutMs?: number } = {}): Promise<Peer> {
  const port = await freePort();
  const child = track(spawn(join(peerDir, 'run.sh'), [], {
    env: { ...process.env, PORT: String(port), TORCH_THREADS: String(options.threads ?? 2) },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16_384);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`the peer exited (${child.exitCode ?? child.signalCode}) before answering:\n${output}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return { url, pid: child.pid!, stop: () => stopChild(child, 5_000) };
    } catch {
      // Not listening yet: PyTorch takes a few seconds to import.
    }
    await sleep(250);
  }
  await stopChild(child, 2_000);
  throw new Error(`the peer did not answer /health within ${options.timeoutMs ?? 120_000} ms:\n${output}`);
}

/** The peer's embedding of an image (POST /embed, multipart field `image`): L2-normalised, 512-d. */
export async function peerEmbedding(url: string, image: Uint8Array, filename: string): Promise<number[]> {
  const form = new FormData();
  form.append('image', new Blob([image]), filename);
  const response = await fetch(`${url}/embed`, { method: 'POST', body: form, signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`the peer answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return ((await response.json()) as { embedding: number[] }).embedding;
}

/** Cosine similarity of two vectors of the same length. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`vectors of ${a.length} and ${b.length} values`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
