/**
 * Writes test/fixtures/resnet18-reference.json: the 512-d vectors the PyTorch peer
 * (../shared/peers/fastapi-resnet18: torchvision Resize(256) + CenterCrop(224) on PIL, ResNet18
 * without fc, seed-0 weights) returns for a few sample images, so CI checks Argus's
 * `resnet18-embed` against them (cosine ≥ 0.999) without running the peer. It also embeds the
 * same images with Argus and prints the cosine of each pair.
 *
 * Run: npx tsx scripts/make-embedding-reference.ts   (needs the peer's Python packages: its setup.sh)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArgus } from '../src/app/argus.js';
import { loadConfig } from '../src/config/load.js';
import { cosine, peerEmbedding, peerUnavailable, startPeer } from './bench/peer.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS_DIR = resolve(REPO_ROOT, process.env.ARGUS_MODELS_DIR || '../shared/models');
const SHARED_DIR = dirname(MODELS_DIR);
const PEER_DIR = join(SHARED_DIR, 'peers/fastapi-resnet18');
const OUT = join(REPO_ROOT, 'test/fixtures/resnet18-reference.json');
export const REFERENCE_IMAGES = ['bus.jpg', 'zidane.jpg', 'misc/chelsea.png', 'misc/astronaut.png', 'misc/rocket.jpg', 'misc/coffee.png', 'misc/camera.png'];

function pythonVersions(): string {
  const run = spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, PIL; print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, Pillow {PIL.__version__}")'], { encoding: 'utf8' });
  return run.stdout.trim();
}

async function main(): Promise<void> {
  const why = peerUnavailable(PEER_DIR);
  if (why) throw new Error(`cannot run the peer: ${why}`);
  const peer = await startPeer(PEER_DIR);
  const vectors: Record<string, number[]> = {};
  try {
    for (const name of REFERENCE_IMAGES) vectors[name] = await peerEmbedding(peer.url, readFileSync(join(SHARED_DIR, 'images', name)), name);
  } finally {
    await peer.stop();
  }
  writeFileSync(OUT, `${JSON.stringify({
    comment: 'Written by scripts/make-embedding-reference.ts from ../shared/peers/fastapi-resnet18 (POST /embed, L2-normalised); Argus resnet18-embed must agree with cosine >= 0.999.',
    peer: pythonVersions(),
    model: 'embed/resnet18_random_seed0.onnx',
    images: Object.entries(vectors).map(([file, embedding]) => ({ file, embedding: embedding.map((v) => Number(v.toPrecision(7))) })),
  })}\n`);
  process.stdout.write(`wrote ${OUT}\n`);

  const config = loadConfig({ env: {}, overrides: { modelsDir: MODELS_DIR, logLevel: 'warn' } });
  const argus = await createArgus(config, { mode: 'oneshot' });
  try {
    for (const [file, reference] of Object.entries(vectors)) {
      const result = await argus.service.run({ task: 'embed', model: 'resnet18-embed', image: { bytes: readFileSync(join(SHARED_DIR, 'images', file)) } });
      process.stdout.write(`${file.padEnd(22)} cosine(argus, peer) = ${cosine(result.embedding as number[], reference).toFixed(6)}\n`);
    }
  } finally {
    await argus.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
