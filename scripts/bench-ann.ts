/**
 * Vector index benchmark (`npx tsx scripts/bench-ann.ts`): sqlite-vec against hnswlib-node on
 * random 512-d unit vectors, 5 000 and 50 000 of them. For each: insert time (including making it
 * durable), query latency (one query at a time, k = 10) and recall@10 against an exact scan done
 * here in plain JS. The figures and the choice they led to are in docs/architecture.md.
 *
 * Environment: ANN_SIZES (comma-separated, default 5000,50000), ANN_QUERIES (default 200),
 * ANN_DIM (default 512).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import hnswlib from 'hnswlib-node';
import * as sqliteVec from 'sqlite-vec';
import { fmt, textTable } from './bench/report.js';
import { summarize } from './bench/stats.js';
import { seededRandom } from './seeded-random.js';

const K = 10;
const sizes = (process.env.ANN_SIZES ?? '5000,50000').split(',').map(Number);
const queryCount = Number(process.env.ANN_QUERIES ?? 200);
const dim = Number(process.env.ANN_DIM ?? 512);


/** Unit vectors with Gaussian components (Box–Muller): uniform on the sphere, the hardest case for an ANN graph. */
function unitVectors(count: number, seed: number): Float32Array[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const v = new Float32Array(dim);
    let norm = 0;
    for (let i = 0; i < dim; i++) {
      const g = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
      v[i] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let i = 0; i < dim; i++) v[i] /= norm;
    return v;
  });
}

function exactTopK(data: Float32Array[], query: Float32Array): number[] {
  const scores = data.map((v, id) => {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += v[i] * query[i];
    return { id, dot };
  });
  scores.sort((a, b) => b.dot - a.dot);
  return scores.slice(0, K).map((s) => s.id);
}

function recall(found: readonly number[], truth: readonly number[]): number {
  const wanted = new Set(truth);
  return found.filter((id) => wanted.has(id)).length / truth.length;
}

interface Row {
  engine: string;
  size: number;
  insertS: number;
  persistS: number;
  reopenS: number;
  fileMb: number;
  p50: number;
  p99: number;
  recall: number;
}

function timeQueries(queries: Float32Array[], truth: number[][], search: (q: Float32Array) => number[]): { p50: number; p99: number; recall: number } {
  for (const q of queries.slice(0, 5)) search(q);
  const times: number[] = [];
  let total = 0;
  queries.forEach((q, i) => {
    const t0 = performance.now();
    const ids = search(q);
    times.push(performance.now() - t0);
    total += recall(ids, truth[i]);
  });
  const s = summarize(times);
  return { p50: s.p50, p99: s.p99, recall: total / queries.length };
}

function benchSqliteVec(dir: string, data: Float32Array[], queries: Float32Array[], truth: number[][]): Row {
  const file = join(dir, `vec-${data.length}.db`);
  const open = () => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    sqliteVec.load(db);
    return db;
  };
  let db = open();
  // The partition key mirrors how Argus keeps one space per model in one table.
  db.exec(`CREATE VIRTUAL TABLE v USING vec0(model TEXT PARTITION KEY, embedding float[${dim}] distance_metric=cosine)`);
  const insert = db.prepare('INSERT INTO v (rowid, model, embedding) VALUES (?, ?, ?)');
  const t0 = performance.now();
  db.transaction(() => data.forEach((v, i) => insert.run(BigInt(i), 'm', Buffer.from(v.buffer))))();
  const insertS = (performance.now() - t0) / 1000;
  // Durable at commit (WAL): nothing more to write.
  db.close();
  const t1 = performance.now();
  db = open();
  const query = db.prepare('SELECT rowid FROM v WHERE embedding MATCH ? AND k = ? AND model = ?').pluck();
  query.all(Buffer.from(queries[0].buffer), K, 'm');
  const reopenS = (performance.now() - t1) / 1000;
  const measured = timeQueries(queries, truth, (q) => (query.all(Buffer.from(q.buffer), K, 'm') as bigint[]).map(Number));
  db.close();
  const fileMb = (statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0)) / 2 ** 20;
  return { engine: 'sqlite-vec vec0 (exact)', size: data.length, insertS, persistS: 0, reopenS, fileMb, ...measured };
}

/** Builds one HNSW graph, persists and reloads it, then queries it at each `ef`. */
function benchHnsw(dir: string, data: Float32Array[], queries: Float32Array[], truth: number[][], efs: readonly number[]): Row[] {
  const file = join(dir, `hnsw-${data.length}.bin`);
  const index = new hnswlib.HierarchicalNSW('cosine', dim);
  index.initIndex({ maxElements: data.length, m: 16, efConstruction: 200, randomSeed: 100 });
  const t0 = performance.now();
  data.forEach((v, i) => index.addPoint(Array.from(v), i));
  const insertS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  index.writeIndexSync(file);
  const persistS = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const reopened = new hnswlib.HierarchicalNSW('cosine', dim);
  reopened.readIndexSync(file);
  const reopenS = (performance.now() - t2) / 1000;
  const fileMb = statSync(file).size / 2 ** 20;
  return efs.map((ef) => {
    reopened.setEf(ef);
    const measured = timeQueries(queries, truth, (q) => reopened.searchKnn(Array.from(q), K).neighbors);
    return { engine: `hnswlib-node M=16 efC=200 ef=${ef}`, size: data.length, insertS, persistS, reopenS, fileMb, ...measured };
  });
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'argus-ann-'));
  const rows: Row[] = [];
  try {
    for (const size of sizes) {
      const data = unitVectors(size, 1);
      const queries = unitVectors(queryCount, 2);
      process.stderr.write(`ann: ${size} vectors: exact top-${K} for ${queryCount} queries\n`);
      const truth = queries.map((q) => exactTopK(data, q));
      process.stderr.write(`ann: ${size} vectors: sqlite-vec\n`);
      rows.push(benchSqliteVec(dir, data, queries, truth));
      process.stderr.write(`ann: ${size} vectors: hnswlib\n`);
      rows.push(...benchHnsw(dir, data, queries, truth, [10, 64, 200, 800]));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${dim}-d random unit vectors, ${queryCount} queries, k = ${K}\n\n`);
  process.stdout.write(`${textTable({
    headers: ['engine', 'vectors', 'insert s', 'persist s', 'reopen s', 'file MiB', 'query p50 ms', 'query p99 ms', 'recall@10'],
    rows: rows.map((r) => [r.engine, r.size, fmt(r.insertS, 2), fmt(r.persistS, 2), fmt(r.reopenS, 2), fmt(r.fileMb, 0), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.recall, 3)]),
  })}\n`);
}

main();
