import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import type { FaceGalleryService, GalleryPerson } from '../../../features/faces/gallery.js';
import { MAX_REGISTER_IMAGES, FACE_MATCH_THRESHOLD } from '../../../features/faces/gallery.js';
import type { ImageSource } from '../../../service/inference.js';
import type { GalleryFace } from '../../../store/face-gallery.js';
import { ownerOf } from '../../plugins/auth.js';
import { errorResponses } from '../../schemas.js';
import { decodeBase64Image, imageFromBody, UploadedFile } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';
import { GalleryList, PersonView, Recognize, Register } from './face-gallery-schemas.js';

const content = (schema: { json: unknown; multipart: unknown }) => ({
  content: { 'application/json': { schema: schema.json }, 'multipart/form-data': { schema: schema.multipart } },
});

const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });
const FaceParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), id: Type.String({ maxLength: 64 }) });

/** A face as the API shows it, with the URL of its crop. */
export function faceView(face: GalleryFace) {
  return {
    id: face.id, box: face.box, confidence: face.confidence, model: face.model, owner: face.owner || null,
    created_at: new Date(face.created_at).toISOString(),
    ...(face.has_crop && { image_url: `/v1/faces/gallery/${encodeURIComponent(face.name)}/faces/${face.id}` }),
  };
}

/** People of one name (an admin may see several owners' people of that name) as one person. */
const personView = (name: string, people: GalleryPerson[]) => ({ name, faces: people.flatMap((p) => p.faces).map(faceView) });

/** The images of a registration: repeated multipart `image` files, or JSON `images` (base64). */
function registrationImages(body: Record<string, unknown>): ImageSource[] {
  const files = body.image;
  if (Array.isArray(files)) return files.filter((f): f is UploadedFile => f instanceof UploadedFile).map((f) => ({ bytes: f.bytes, filename: f.filename }));
  if (Array.isArray(body.images)) return (body.images as string[]).map((text) => ({ bytes: decodeBase64Image(text) }));
  return [imageFromBody(body)];
}

/**
 * The face gallery: GET/POST /v1/faces/gallery, GET/DELETE /v1/faces/gallery/{name},
 * GET/DELETE /v1/faces/gallery/{name}/faces/{id}, and POST /v1/faces/recognize. Each API key sees
 * and changes its own people; an admin key everyone's.
 */
export const faceGalleryRoutes: FastifyPluginAsync<RouteDeps & { gallery: FaceGalleryService }> = async (app, { service, gallery }) => {
  app.get('/faces/gallery', {
    schema: { tags: ['faces'], summary: 'List the people of the face gallery', response: { 200: GalleryList, ...errorResponses } },
  }, async (request) => {
    const people = await gallery.people(ownerOf(request));
    const names = [...new Set(people.map((p) => p.name))];
    return { people: names.map((name) => personView(name, people.filter((p) => p.name === name))), threshold: FACE_MATCH_THRESHOLD };
  });

  app.post('/faces/gallery', {
    schema: {
      tags: ['faces'],
      summary: 'Register a person (or add faces to one)',
      description: `A name and 1–${MAX_REGISTER_IMAGES} photos: the largest face of each is kept (its embedding and a crop). Photos without a face are skipped and listed; none at all is a 422.`,
      body: content(Register),
      response: { 201: Register.response, ...errorResponses },
    },
    config: { multipartOptions: { limits: { files: MAX_REGISTER_IMAGES } } },
  }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const result = await gallery.register({ name: String(body.name), images: registrationImages(body), owner: ownerOf(request), model: body.model as string | undefined });
    return reply.status(201).send({ name: result.name, created: !result.existed, added: result.added.map(faceView), skipped: result.skipped, faces: result.faces });
  });

  app.get('/faces/gallery/:name', {
    schema: { tags: ['faces'], summary: "A person's registered faces", params: NameParams, response: { 200: PersonView, ...errorResponses } },
  }, async (request) => {
    const { name } = request.params as { name: string };
    return personView(name, await gallery.person(name, ownerOf(request)));
  });

  app.delete('/faces/gallery/:name', {
    schema: { tags: ['faces'], summary: 'Delete a person and all their faces', params: NameParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const owner = ownerOf(request);
    await gallery.person(name, owner); // 404 for nobody of that name
    await gallery.deletePerson(name, owner);
    return reply.status(204).send();
  });

  app.get('/faces/gallery/:name/faces/:id', {
    schema: { tags: ['faces'], summary: 'A registered face\'s crop (JPEG)', params: FaceParams, response: { 200: Type.Unknown({ description: 'image/jpeg' }), ...errorResponses } },
  }, async (request, reply) => {
    const { name, id } = request.params as { name: string; id: string };
    const bytes = await gallery.crop(name, id, ownerOf(request));
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(Buffer.from(bytes));
  });

  app.delete('/faces/gallery/:name/faces/:id', {
    schema: { tags: ['faces'], summary: 'Delete one registered face', params: FaceParams, response: { 204: Type.Null(), ...errorResponses } },
  }, async (request, reply) => {
    const { name, id } = request.params as { name: string; id: string };
    await gallery.deleteFace(name, id, ownerOf(request));
    return reply.status(204).send();
  });

  app.post('/faces/recognize', {
    schema: {
      tags: ['faces'],
      summary: 'Recognize the people of the face gallery in an image',
      description: 'Every face found, with the gallery person it matches best at or above `threshold` (else `name: null`, unknown) and the similarity.',
      body: content(Recognize),
      response: { 200: Recognize.response, ...errorResponses },
    },
  }, async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const { image: _image, url: _url, model, ...params } = body;
    return service.run({ task: 'faces-recognize', model: model as string | undefined, params, image: imageFromBody(body), owner: ownerOf(request) });
  });
};
