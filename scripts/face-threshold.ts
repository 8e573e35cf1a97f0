/**
 * Measures the face gallery's recognition threshold (FACE_MATCH_THRESHOLD in
 * src/features/faces/gallery.ts) on the group photos in ../shared/images/faces, and writes the rates
 * to docs/face-recognition.md.
 *
 * Every face of every photo is one person (no one appears in two photos). Half of each photo's
 * people (every other face, left to right) are registered from the original photo, one face each;
 * the other half are strangers. Each photo is then mirrored, cropped, shrunk and re-encoded, its
 * faces found again and mapped back to the original faces by their boxes, and each face is
 * compared with the gallery as recognition does (best match, then the threshold). At each threshold:
 * - true match: a registered person named correctly; a wrong name counts as a false match;
 * - false match: a stranger named as someone (on the variants and on their original face).
 *
 * Faces are found as recognition finds them by default (the image shrunk to 640 px on its longer side).
 * Run: `npx tsx scripts/face-threshold.ts` (about 10 minutes on two busy cores; CACHE=file keeps the
 * embeddings for another run).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { createArgus } from '../src/app/argus.js';
import { loadConfig } from '../src/config/load.js';
import { faceSimilarity } from '../src/features/faces/compare.js';
import { FACE_MATCH_THRESHOLD } from '../src/features/faces/gallery.js';
import type { Face } from '../src/tasks/params/faces.js';

const ROOT = resolve(import.meta.dirname, '..');
const MODELS_DIR = resolve(process.env.ARGUS_MODELS_DIR ?? join(ROOT, '../shared/models'));
const FACES_DIR = join(MODELS_DIR, '../images/faces');
/** Faces smaller than this (shorter box side, px, in the image they were found in) are left out. */
const MIN_FACE_PX = Number(process.env.MIN_FACE_PX ?? 40);
/** Smaller faces than MIN_FACE_PX, from this size up, are measured apart: they are why recognition names none under MIN_FACE_PX. */
const SMALL_FACE_PX = 24;

type Box = Face['box'];
type Embedded = Face & { embedding: number[] };

interface Variant {
  name: string;
  make: (image: Sharp, width: number, height: number) => Sharp;
  /** Maps a box of the variant back into the original's pixels. */
  back: (box: Box, width: number, height: number) => Box;
}

const scaled = (k: number): Variant => ({
  name: `rescaled ×${k}`,
  make: (image, width) => image.resize({ width: Math.round(width * k) }),
  back: (b) => ({ x1: b.x1 / k, y1: b.y1 / k, x2: b.x2 / k, y2: b.y2 / k }),
});

const VARIANTS: Variant[] = [
  { name: 'mirrored', make: (image) => image.flop(), back: (b, w) => ({ x1: w - b.x2, y1: b.y1, x2: w - b.x1, y2: b.y2 }) },
  {
    name: 'cropped (centre 80 %)',
    make: (image, w, h) => image.extract({ left: Math.round(w * 0.1), top: Math.round(h * 0.1), width: Math.round(w * 0.8), height: Math.round(h * 0.8) }),
    back: (b, w, h) => ({ x1: b.x1 + Math.round(w * 0.1), y1: b.y1 + Math.round(h * 0.1), x2: b.x2 + Math.round(w * 0.1), y2: b.y2 + Math.round(h * 0.1) }),
  },
  scaled(0.75),
  scaled(0.5),
  { name: 'JPEG quality 40', make: (image) => image, back: (b) => b },
];

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = w * h;
  return inter / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter);
}

interface Person { id: string; registered: boolean; face: Embedded }

/** Every face found (min side in its own image's pixels), before any size filter: the slow part, cached with CACHE=file. */
interface Raw {
  photos: string[];
  people: Array<{ id: string; registered: boolean; side: number; face: Embedded }>;
  probes: Array<{ truth: string; variant: string; side: number; embedding: number[] }>;
}

async function measure(): Promise<Raw> {
  const config = loadConfig({ env: {}, overrides: { modelsDir: MODELS_DIR, dataDir: mkdtempSync(join(tmpdir(), 'argus-face-threshold-')), logLevel: 'warn', historySize: 0 } });
  const argus = await createArgus(config, { mode: 'oneshot' });
  const facesOf = async (bytes: Uint8Array): Promise<Embedded[]> =>
    (await argus.service.run({ task: 'faces', image: { bytes }, params: { attributes: true, max_faces: 1000 } })).faces as Embedded[];
  const side = (b: Box) => Math.min(b.x2 - b.x1, b.y2 - b.y1);
  const raw: Raw = { photos: readdirSync(FACES_DIR).filter((f) => f.endsWith('.jpg')).sort(), people: [], probes: [] };
  try {
    for (const photo of raw.photos) {
      const bytes = readFileSync(join(FACES_DIR, photo));
      const { width = 0, height = 0 } = await sharp(bytes).metadata();
      const found = (await facesOf(bytes)).sort((a, b) => a.box.x1 - b.box.x1);
      const mine = found.map((face, i) => ({ id: `${photo}#${i}`, registered: i % 2 === 0, side: side(face.box), face }));
      raw.people.push(...mine);
      for (const p of mine.filter((p) => !p.registered)) raw.probes.push({ truth: p.id, variant: 'original', side: p.side, embedding: p.face.embedding });
      for (const variant of VARIANTS) {
        const quality = variant.name.startsWith('JPEG') ? 40 : 90;
        const made = await variant.make(sharp(bytes), width, height).jpeg({ quality }).toBuffer();
        for (const face of await facesOf(made)) {
          const box = variant.back(face.box, width, height);
          const truth = mine.map((p) => ({ p, overlap: iou(box, p.face.box) })).sort((a, b) => b.overlap - a.overlap)[0];
          if (truth && truth.overlap >= 0.5) raw.probes.push({ truth: truth.p.id, variant: variant.name, side: side(face.box), embedding: face.embedding });
        }
      }
      process.stderr.write(`${photo}: ${mine.length} faces\n`);
    }
  } finally {
    await argus.close();
  }
  return raw;
}

const cache = process.env.CACHE;
const raw: Raw = cache && existsSync(cache) ? JSON.parse(readFileSync(cache, 'utf8')) as Raw : await measure();
if (cache && !existsSync(cache)) writeFileSync(cache, JSON.stringify(raw));
const photos = raw.photos;
// The gallery: every other person whose registered face is at least MIN_FACE_PX. Everyone else
// found at 24 px or more is a stranger to it. A probe is judged on the face as the camera saw it
// (its side in its own image): recognition names no face under MIN_FACE_PX (min_face_px).
const everyone = new Map(raw.people.filter((p) => p.side >= SMALL_FACE_PX).map((p) => [p.id, { ...p, registered: p.registered && p.side >= MIN_FACE_PX } as Person]));
const gallery = [...everyone.values()].filter((p) => p.registered);
const allProbes = raw.probes.filter((p) => everyone.has(p.truth) && p.side >= SMALL_FACE_PX)
  .map((p) => ({ truth: everyone.get(p.truth)!, variant: p.variant, side: p.side, embedding: p.embedding }));
const scored = allProbes.map((probe) => {
  let top = { id: '', similarity: -1 };
  for (const known of gallery) {
    const similarity = faceSimilarity(probe.embedding, known.face.embedding);
    if (similarity > top.similarity) top = { id: known.id, similarity };
  }
  return { probe, ...top };
});
const best = scored.filter((b) => b.probe.side >= MIN_FACE_PX);
const small = scored.filter((b) => b.probe.side < MIN_FACE_PX);
const people = [...everyone.values()].filter((p) => p.face && Math.min(p.face.box.x2 - p.face.box.x1, p.face.box.y2 - p.face.box.y1) >= MIN_FACE_PX);

const genuine = best.filter((b) => b.probe.truth.registered);
const strangers = best.filter((b) => !b.probe.truth.registered);
const pct = (n: number, d: number) => (d === 0 ? '–' : `${((100 * n) / d).toFixed(1)} %`);

function rates(t: number, rows = best) {
  const g = rows.filter((b) => b.probe.truth.registered);
  const s = rows.filter((b) => !b.probe.truth.registered);
  const right = g.filter((b) => b.similarity >= t && b.id === b.probe.truth.id).length;
  const wrong = g.filter((b) => b.similarity >= t && b.id !== b.probe.truth.id).length;
  const stranger = s.filter((b) => b.similarity >= t).length;
  return { right, wrong, stranger, g: g.length, s: s.length };
}

const thresholds = Array.from({ length: 14 }, (_, i) => Math.round((0.3 + i * 0.05) * 100) / 100);
const lines = [
  '# Face recognition: how the gallery threshold was chosen',
  '',
  `Measured by \`scripts/face-threshold.ts\` (${new Date().toISOString().slice(0, 10)}) with the default faces model (YuNet + FaceRes from @vladmandic/human) on the`,
  `${photos.length} group photos in \`../shared/images/faces\`: ${people.length} people whose face is at least ${MIN_FACE_PX} px`,
  `(shorter side of the box, in the image it was found in; the image shrunk to 640 px as recognition does by default),`,
  `${gallery.length} registered (one face each, from the original photo), ${people.length - gallery.length} strangers. Probes: every face found again in`,
  `the mirrored, cropped (centre 80 %), rescaled (×0.75, ×0.5) and re-encoded (JPEG quality 40) photos, mapped back to its person by`,
  `its box (IoU ≥ 0.5), plus each stranger's original face: ${genuine.length} probes of registered people, ${strangers.length} of strangers.`,
  'Similarity is `@vladmandic/human`\'s (face-compare.ts), best match over the gallery.',
  '',
  '| threshold | true match (registered, right name) | wrong name | false match (stranger named) |',
  '|---|---|---|---|',
  ...thresholds.map((t) => {
    const r = rates(t);
    const mark = t === FACE_MATCH_THRESHOLD ? ` **(default)**` : '';
    return `| ${t.toFixed(2)}${mark} | ${pct(r.right, r.g)} (${r.right}/${r.g}) | ${pct(r.wrong, r.g)} (${r.wrong}) | ${pct(r.stranger, r.s)} (${r.stranger}/${r.s}) |`;
  }),
  '',
  `At the default threshold ${FACE_MATCH_THRESHOLD}, by variant:`,
  '',
  '| probe | true match | wrong name | false match |',
  '|---|---|---|---|',
  ...['original', ...VARIANTS.map((v) => v.name)].map((name) => {
    const r = rates(FACE_MATCH_THRESHOLD, best.filter((b) => b.probe.variant === name));
    return `| ${name} | ${pct(r.right, r.g)} (${r.right}/${r.g}) | ${pct(r.wrong, r.g)} | ${pct(r.stranger, r.s)} (${r.stranger}/${r.s}) |`;
  }),
  '',
  `Smaller faces (${SMALL_FACE_PX}–${MIN_FACE_PX - 1} px) at ${FACE_MATCH_THRESHOLD}: ${(() => { const r = rates(FACE_MATCH_THRESHOLD, small); return `true match ${pct(r.right, r.g)} (${r.right}/${r.g}), false match ${pct(r.stranger, r.s)} (${r.stranger}/${r.s})`; })()}` +
    ` — too many strangers named, so recognition leaves faces under ${MIN_FACE_PX} px unknown (\`min_face_px\`).`,
  '',
  `Similarity of strangers to their closest registered person: max ${Math.max(...strangers.map((b) => b.similarity)).toFixed(2)}, ` +
    `median ${[...strangers].sort((a, b) => a.similarity - b.similarity)[Math.floor(strangers.length / 2)]?.similarity.toFixed(2)}; ` +
    `of registered people's probes to themselves: min ${Math.min(...genuine.map((b) => faceSimilarity(b.probe.embedding, b.probe.truth.face.embedding))).toFixed(2)}.`,
  '',
  'What this cannot show: no person appears in two different photos here, so every true match compares a face with an altered copy',
  'of the same shot (same pose, light and expression). Real recognition — another day, another camera — scores lower; expect fewer',
  'true matches than this table, not more false ones. Register several photos per person (different light and angle) to help.',
  '',
];
writeFileSync(join(ROOT, 'docs/face-recognition.md'), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
