/**
 * The original detection service (shared/originals/000, Flask + Kafka; its code:
 * Jaquedonin/Docker-Yolo-Repo, Api/app.py), replayed as its clients call it: the document's curl
 * examples against the real server with the real YOLOv8n, plus what Flask and that code did where
 * the document is silent (202 while not ready, 400 {"error"} without an image).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, image, json, postImage, postJson, startServer, type TestServer } from '../helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.close();
});

async function resultOf(id: string) {
  const response = await fetch(`${server.url}/results/${id}`);
  return { status: response.status, body: await json(response) };
}

describe('the document, replayed', () => {
  it('curl -X POST -F "image=@…" /predict → 202 {inference_id, message}; /results/<id> → 200 {inference_id, detections, inference_time}', async () => {
    const response = await postImage(`${server.url}/predict`, image('bus.jpg'), {}, 'image', 'imagem.jpg');
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const submitted = await json(response);
    expect(submitted).toEqual({ inference_id: expect.any(String), message: 'Inference request sent.' });

    const done = await eventually(async () => {
      const r = await resultOf(submitted.inference_id);
      if (r.status === 202) {
        // "Se o resultado não estiver disponível, retorna uma mensagem…"
        expect(r.body.message).toBe('Result not available yet. Try again later.');
        return undefined;
      }
      return r;
    });
    expect(done.status).toBe(200);
    expect(done.body.inference_id).toBe(submitted.inference_id);
    expect(typeof done.body.inference_time).toBe('number');
    const detections = done.body.detections as Array<{ box: number[]; confidence: number }>;
    expect(detections.length).toBeGreaterThanOrEqual(5);
    for (const d of detections) {
      // [x1, y1, x2, y2] as int() made them in the original, inside the 810×1080 image.
      expect(d.box).toHaveLength(4);
      expect(d.box.every(Number.isInteger)).toBe(true);
      expect(d.box[0]).toBeLessThan(d.box[2]);
      expect(d.box[1]).toBeLessThan(d.box[3]);
      expect(d.box[2]).toBeLessThanOrEqual(810);
      expect(d.box[3]).toBeLessThanOrEqual(1080);
      expect(d.confidence).toBeGreaterThan(0);
      expect(d.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('answers an id it does not know as not ready (202), as the original did', async () => {
    const r = await resultOf('1696602223.432');
    expect(r.status).toBe(202);
    expect(r.body.message).toBe('Result not available yet. Try again later.');
  });
});

describe('what Flask and the original did where the document is silent', () => {
  it('no image part, another field name, or a JSON body: 400 {"error": "…"}', async () => {
    const form = new FormData();
    form.append('name', 'no file here');
    const cases = [
      await fetch(`${server.url}/predict`, { method: 'POST', body: form }),
      await postImage(`${server.url}/predict`, image('bus.jpg'), {}, 'file'),
      await postJson(`${server.url}/predict`, { image: 'x' }),
    ];
    for (const response of cases) {
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(Object.keys(body)).toEqual(['error']);
      expect(typeof body.error).toBe('string');
    }
  });

  it('a file that is not an image is refused at once with {"error": "…"}, and the server keeps serving', async () => {
    const response = await postImage(`${server.url}/predict`, Buffer.from('not an image'), {}, 'image', 'notes.jpg');
    expect(response.status).toBe(415);
    expect((await json(response)).error).toMatch(/Supported image formats/);
    expect((await postImage(`${server.url}/predict`, image('zidane.jpg'))).status).toBe(202);
  });
});
