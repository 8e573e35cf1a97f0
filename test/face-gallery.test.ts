/**
 * The face gallery's native API against the real server and models: register (multipart and JSON),
 * list, one person, face crops, recognition, deletion, ownership by API key, and bad input.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_MATCH_THRESHOLD } from '../src/features/faces/gallery.js';
import { image, json, startServer, type TestServer } from './helpers.js';

const ADMIN = 'gallery-admin-0123456789';
const ALICE = 'gallery-alice-0123456789';
const BOB = 'gallery-bob-0123456789';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ apiKeys: [`admin:${ADMIN}`, `inference:${ALICE}`, `inference:${BOB}`] });
});

afterAll(async () => {
  await server?.close();
});

const call = (key: string, path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-api-key': key } });

async function register(key: string, name: string, photos: Buffer[]): Promise<Response> {
  const form = new FormData();
  form.append('name', name);
  for (const [i, photo] of photos.entries()) form.append('image', new Blob([photo]), `photo${i}.jpg`);
  return call(key, '/v1/faces/gallery', { method: 'POST', body: form });
}

describe('the face gallery', () => {
  it('registers, lists, recognizes and deletes, each key in its own gallery', async () => {
    const zidane = image('zidane.jpg');
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#777' } }).jpeg().toBuffer();
    const created = await register(ALICE, 'Carlo', [zidane, blank]);
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body).toMatchObject({ name: 'Carlo', created: true, faces: 1, skipped: [{ image: 1, reason: 'no face found' }] });
    // The largest face of zidane.jpg is the one on the right.
    expect(body.added[0].box.x1).toBeGreaterThan(900);
    const crop = await call(ALICE, body.added[0].image_url);
    expect(crop.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await crop.arrayBuffer())).metadata()).width).toBe(160);

    // JSON works too, and adds to the same person.
    const flipped = await sharp(zidane).flop().jpeg().toBuffer();
    const more = await call(ALICE, '/v1/faces/gallery', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Carlo', images: [flipped.toString('base64')] }) });
    expect(await json(more)).toMatchObject({ created: false, faces: 2 });

    const list = await json(await call(ALICE, '/v1/faces/gallery'));
    expect(list.threshold).toBe(FACE_MATCH_THRESHOLD);
    expect(list.people.map((p: { name: string }) => p.name)).toEqual(['Carlo']);

    const recognized = await json(await call(ALICE, '/v1/faces/recognize', { method: 'POST', body: (() => { const f = new FormData(); f.append('image', new Blob([zidane]), 'z.jpg'); return f; })() }));
    expect(recognized.gallery_faces).toBe(2);
    const named = recognized.faces.filter((f: { name: string | null }) => f.name === 'Carlo');
    expect(named).toHaveLength(1);
    expect(named[0].similarity).toBeGreaterThan(0.9);
    expect(recognized.faces.find((f: { name: string | null }) => f.name === null).similarity).toBeLessThan(FACE_MATCH_THRESHOLD);

    // Bob sees nobody and cannot read or delete Alice's person; the admin sees and can.
    expect((await json(await call(BOB, '/v1/faces/gallery'))).people).toEqual([]);
    expect((await call(BOB, '/v1/faces/gallery/Carlo')).status).toBe(404);
    expect((await call(BOB, body.added[0].image_url)).status).toBe(404);
    expect((await call(BOB, '/v1/faces/gallery/Carlo', { method: 'DELETE' })).status).toBe(404);
    const adminView = await json(await call(ADMIN, '/v1/faces/gallery/Carlo'));
    expect(adminView.faces).toHaveLength(2);
    expect(adminView.faces[0].owner).toMatch(/^k_/);

    expect((await call(ALICE, `/v1/faces/gallery/Carlo/faces/${body.added[0].id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await json(await call(ALICE, '/v1/faces/gallery/Carlo'))).faces).toHaveLength(1);
    expect((await call(ALICE, '/v1/faces/gallery/Carlo', { method: 'DELETE' })).status).toBe(204);
    expect((await call(ALICE, '/v1/faces/gallery/Carlo')).status).toBe(404);
  });

  it('refuses bad registrations with a clear 4xx and keeps serving', async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#777' } }).jpeg().toBuffer();
    const noFace = await register(ALICE, 'Nobody', [blank]);
    expect(noFace.status).toBe(422);
    expect((await json(noFace)).error.code).toBe('no_face');
    const noName = await register(ALICE, '', [image('zidane.jpg')]);
    expect(noName.status).toBe(400);
    const control = await register(ALICE, 'bad\u0007name', [image('zidane.jpg')]);
    expect((await json(control)).error.code).toBe('invalid_person_name');
    const tooMany = await register(ALICE, 'Many', Array.from({ length: 11 }, () => blank));
    expect(tooMany.status).toBe(413);
    expect((await call(ALICE, '/v1/faces/gallery/nobody/faces/nope', { method: 'DELETE' })).status).toBe(404);
    expect((await json(await call(ALICE, '/v1/faces/gallery'))).people).toEqual([]);
  });
});
