import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import Type, { type Static } from 'typebox';
import { errors } from '../../errors.js';
import type { FaceGalleryStore, GalleryFace } from '../../store/face-gallery.js';
import type { Face } from '../../tasks/params/faces.js';
import { faceThumbnail } from '../../vision/face-thumbnail.js';
import { faceSimilarity } from './compare.js';
import type { CompositeCall, ImageSource, InferenceService, ResultTimings, TaskResult } from '../../service/inference.js';

/**
 * The similarity (face-compare.ts's scale) from which a face is taken for a gallery person.
 * Measured by scripts/face-threshold.ts on the group photos in ../shared/images/faces
 * (docs/face-recognition.md): on faces of 40 px or more, strangers scored at most 0.59 against
 * their closest registered person and registered people's altered photos at least 0.71; 0.65
 * sits in that gap (0/170 strangers named, 141/141 registered probes named right).
 */
export const FACE_MATCH_THRESHOLD = 0.65;

/**
 * Faces smaller than this (shorter box side, px) are never named: at 24–39 px, 16 % of strangers
 * matched someone at the threshold (docs/face-recognition.md).
 */
export const MIN_RECOGNIZED_FACE_PX = 40;

/** Most images one registration takes (DeepStack clients send a handful). */
export const MAX_REGISTER_IMAGES = 10;

export const RecognizeParams = Type.Object(
  {
    threshold: Type.Number({ minimum: 0, maximum: 1, default: FACE_MATCH_THRESHOLD, description: 'Similarity from which a face is taken for the best-matching gallery person; below it the face is unknown.' }),
    conf: Type.Number({ minimum: 0, maximum: 1, default: 0.75, description: 'Minimum face detection score.' }),
    max_faces: Type.Integer({ minimum: 1, maximum: 1000, default: 50, description: 'Most faces recognized (highest detection scores first); each costs about 0.2 s.' }),
    max_side: Type.Integer({ minimum: 32, maximum: 4096, default: 640, description: 'The detector sees the image shrunk to at most this longer side.' }),
    min_face_px: Type.Integer({ minimum: 0, maximum: 4096, default: MIN_RECOGNIZED_FACE_PX, description: 'Faces whose box is smaller than this on its shorter side (image pixels) stay unknown: their embeddings match strangers too often.' }),
  },
  { additionalProperties: false },
);
export type RecognizeParams = Static<typeof RecognizeParams>;

/** A face found by `faces-recognize`: the detection and who it is (`name` null: unknown). */
export interface RecognizedFace extends Pick<Face, 'box' | 'confidence' | 'landmarks'> {
  name: string | null;
  /** Similarity to the best-matching gallery face (0–1), null with an empty gallery. */
  similarity: number | null;
  /** The gallery face it matched best (null with an empty gallery). */
  face_id: string | null;
}

/** One person of the gallery: a name and the faces registered for it. */
export interface GalleryPerson {
  name: string;
  /** The API key id that registered them ('' unowned); shown to admins, who see every owner's people. */
  owner: string;
  faces: GalleryFace[];
}

export interface RegisterRequest {
  name: string;
  images: ImageSource[];
  /** The registering API key (undefined: unowned). */
  owner?: string;
  /** The faces model (default: the faces task's default). */
  model?: string;
}

export interface RegisterResult {
  name: string;
  /** Whether the person had faces before this registration. */
  existed: boolean;
  added: GalleryFace[];
  /** Images without a face, by position in the request (0-based), with why. */
  skipped: Array<{ image: number; reason: string }>;
  /** The person's faces now. */
  faces: number;
}

type FaceWithEmbedding = Face & { embedding?: number[] };

const area = (f: Face) => (f.box.x2 - f.box.x1) * (f.box.y2 - f.box.y1);

/** A gallery name: what DeepStack clients send as `userid`, so any text a person would type. */
function checkName(raw: string): string {
  const name = raw.trim();
  if (name.length === 0) throw errors.invalidPersonName('the name is empty.');
  if (name.length > 100) throw errors.invalidPersonName(`the name has ${name.length} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw errors.invalidPersonName('the name contains a control character.');
  return name;
}

/** Groups faces (listed by name) into people, one per owner and name. */
function toPeople(faces: GalleryFace[]): GalleryPerson[] {
  const people = new Map<string, GalleryPerson>();
  for (const face of faces) {
    const key = JSON.stringify([face.owner, face.name]);
    const person = people.get(key) ?? { name: face.name, owner: face.owner, faces: [] };
    person.faces.push(face);
    people.set(key, person);
  }
  return [...people.values()];
}

/**
 * The face gallery: people registered by name with one or more face embeddings each, and the
 * `faces-recognize` task that names every face of an image after its best match above a
 * threshold. Embeddings come from the `faces` task (FaceRes, face-attributes.ts): one path for
 * every face embedding Argus makes. Each person belongs to the API key that registered them; a key
 * sees, recognizes and deletes its own people only, an admin key (or auth off) everyone's.
 * Nothing leaves the machine: embeddings and crops live in the store beside the other data.
 */
export class FaceGalleryService {
  constructor(private readonly deps: { service: InferenceService; store: FaceGalleryStore; log: Logger }) {}

  /** Registers a person's faces: the largest face of each image. Images without a face are skipped; none at all is a 422. */
  async register(request: RegisterRequest): Promise<RegisterResult> {
    const name = checkName(request.name);
    if (request.images.length === 0) throw errors.missingImage('send one or more images of the person.');
    if (request.images.length > MAX_REGISTER_IMAGES) throw errors.badRequest(`Send at most ${MAX_REGISTER_IMAGES} images in one registration (got ${request.images.length}).`);
    const owner = request.owner ?? '';
    const existed = (await this.deps.store.list({ owner, name })).length > 0;
    const added: Array<GalleryFace & { embedding: number[]; crop: Uint8Array }> = [];
    const skipped: RegisterResult['skipped'] = [];
    for (const [index, image] of request.images.entries()) {
      // Registration images are not results anyone asked to see: kept out of the history.
      const result = await this.deps.service.run({ task: 'faces', model: request.model, image, params: { attributes: true }, unobserved: true });
      const faces = result.faces as FaceWithEmbedding[];
      const largest = faces.reduce<FaceWithEmbedding | undefined>((best, f) => (!best || area(f) > area(best) ? f : best), undefined);
      if (!largest?.embedding) {
        skipped.push({ image: index, reason: 'no face found' });
        continue;
      }
      const bytes = 'bytes' in image ? image.bytes : undefined;
      const crop = bytes ? await faceThumbnail(bytes, largest.box) : new Uint8Array();
      added.push({
        id: randomUUID(), name, owner, model: result.model.alias, box: largest.box, confidence: largest.confidence,
        has_crop: crop.length > 0, created_at: Date.now(), embedding: largest.embedding, crop,
      });
    }
    if (added.length === 0) throw errors.noFaceToRegister(request.images.length);
    await this.deps.store.add(added.map((face) => ({ ...face, crop: face.crop.length ? face.crop : undefined })));
    this.deps.log.info({ person: name, owner: owner || undefined, added: added.length, skipped: skipped.length }, 'face gallery: registered');
    const faces = (await this.deps.store.list({ owner, name })).length;
    return { name, existed, added: added.map(({ embedding: _e, crop: _c, ...face }) => face), skipped, faces };
  }

  /** Everyone in the gallery an owner may see (undefined: everyone's), by name. */
  async people(owner?: string): Promise<GalleryPerson[]> {
    return toPeople(await this.deps.store.list({ owner }));
  }

  /** One person's faces; 404 when nobody of that name is visible to `owner`. */
  async person(name: string, owner?: string): Promise<GalleryPerson[]> {
    const people = toPeople(await this.deps.store.list({ owner, name }));
    if (people.length === 0) throw errors.personNotFound(name);
    return people;
  }

  /** A face's JPEG crop; 404 when it is not there (or not `owner`'s). */
  async crop(name: string, id: string, owner?: string): Promise<Uint8Array> {
    const face = (await this.deps.store.list({ owner, name })).find((f) => f.id === id);
    const bytes = face && (await this.deps.store.crop(id, owner));
    if (!bytes) throw errors.galleryFaceNotFound(id);
    return bytes;
  }

  /** Deletes a person (every face of the name the owner may see); returns how many faces went, 0 when there was nobody. */
  async deletePerson(name: string, owner?: string): Promise<number> {
    const deleted = await this.deps.store.delete({ name, owner });
    if (deleted) this.deps.log.info({ person: name, owner, faces: deleted }, 'face gallery: deleted');
    return deleted;
  }

  /** Deletes one face of a person; 404 when it is not there. */
  async deleteFace(name: string, id: string, owner?: string): Promise<void> {
    if (await this.deps.store.delete({ name, id, owner }) === 0) throw errors.galleryFaceNotFound(id);
  }

  /**
   * Names the faces of a detection result after the gallery: each face's best match among the
   * gallery's embeddings of the same model, if at least `threshold` similar, else unknown.
   */
  async match(faces: FaceWithEmbedding[], model: string, options: { threshold: number; minFacePx: number }, owner?: string): Promise<{ faces: RecognizedFace[]; gallery: number }> {
    const { threshold, minFacePx } = options;
    const gallery = await this.deps.store.embeddings(model, owner);
    const recognized = faces.map(({ box, confidence, landmarks, embedding }) => {
      let best: { name: string; id: string; similarity: number } | undefined;
      for (const known of embedding ? gallery : []) {
        const similarity = faceSimilarity(embedding!, known.embedding);
        if (!best || similarity > best.similarity) best = { name: known.name, id: known.id, similarity };
      }
      const bigEnough = Math.min(box.x2 - box.x1, box.y2 - box.y1) >= minFacePx;
      const matched = best !== undefined && best.similarity >= threshold && bigEnough;
      return { box, confidence, landmarks, name: matched ? best!.name : null, similarity: best?.similarity ?? null, face_id: best?.id ?? null };
    });
    return { faces: recognized, gallery: gallery.length };
  }
}

/**
 * `faces-recognize`: every face of an image with the gallery person it is (or unknown), reachable
 * like any task (sync, async job, CLI). The faces run through the `faces` task with attributes.
 */
export function registerFaceRecognizeTask(service: InferenceService, gallery: FaceGalleryService): void {
  service.registerComposite({
    name: 'faces-recognize',
    input: 'image',
    params: RecognizeParams,
    async run(call: CompositeCall) {
      const params = call.params as RecognizeParams;
      const { threshold, min_face_px: minFacePx, ...detect } = params;
      const result: TaskResult = await call.run({ task: 'faces', model: call.model, image: call.image, params: { ...detect, attributes: true } });
      const { faces, gallery: size } = await gallery.match(result.faces as FaceWithEmbedding[], result.model.alias, { threshold, minFacePx }, call.owner);
      const { queue_ms: _q, total_ms: _t, ...stages } = result.timings as ResultTimings;
      return { model: result.model, width: result.width, height: result.height, threshold, gallery_faces: size, faces, timings: stages };
    },
  });
}
