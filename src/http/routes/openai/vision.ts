import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { describeVisionTasks, VISION_TASK_NAMES, visionTaskId, type VisionTaskName } from '../../../service/vision-analyze.js';
import { Base64Image, errorResponses, FileField, ModelRef, Timings } from '../../schemas.js';
import { abortOnDisconnect } from '../../sse.js';
import { imageFromBody } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';

const Task = Type.Enum(VISION_TASK_NAMES, { description: 'caption, ocr, describe, analyze, objects or custom.' });
const Fields = {
  task: Task,
  prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: 'What to ask (task custom only).' })),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'Most tokens the vision-language model generates.' })),
  model: Type.Optional(Type.String({ minLength: 1, description: 'The model that answers: a chat model for caption/describe/analyze/custom, an OCR model for ocr, a detector for objects.' })),
};
const JsonBody = Type.Object({ image: Base64Image, ...Fields });
const MultipartBody = Type.Object({ image: FileField('The image.'), ...Fields });

const AnalyzeResponse = Type.Object({
  id: Type.String(),
  task: Task,
  result: Type.String({ description: 'The answer as text.' }),
  data: Type.Optional(Type.Unknown({ description: 'Structured results: OCR lines, detections, or what a templated answer was composed from.' })),
  source: Type.Enum(['model', 'templated'] as const, { description: 'templated: composed from detector/classifier/OCR results because no vision-language model is installed.' }),
  notice: Type.Optional(Type.String()),
  model: ModelRef,
  usage: Type.Optional(Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer(), total_tokens: Type.Integer() })),
  timings: Timings,
});

const TaskInfo = Type.Object({
  task: Task,
  description: Type.String(),
  uses: Type.String({ description: 'The task that answers it: chat (vision-language model), ocr or detect.' }),
  prompt: Type.Optional(Type.String({ description: 'The instruction the vision-language model gets.' })),
  max_tokens: Type.Optional(Type.Integer()),
  available: Type.Boolean(),
  source: Type.Optional(Type.Enum(['model', 'templated'] as const)),
  model: Type.Optional(Type.String({ description: 'The model that answers when the request names none.' })),
  reason: Type.Optional(Type.String({ description: 'Why it cannot answer, and what to install.' })),
});

/** POST /v1/vision/analyze and GET /v1/vision/tasks: structured analysis presets. */
export const visionRoutes: FastifyPluginAsync<RouteDeps> = async (app, { service }) => {
  app.post('/vision/analyze', {
    schema: {
      tags: ['openai'],
      summary: 'Analyze an image with a preset task',
      description: 'JSON `{image (base64 or data URL) or url (http(s), fetched by Argus), task, prompt?, max_tokens?, model?}` or the same as multipart fields. Each task is also a job: POST /v1/jobs with task `vision.<task>`.',
      body: { content: { 'application/json': { schema: JsonBody }, 'multipart/form-data': { schema: MultipartBody } } },
      response: { 200: AnalyzeResponse, ...errorResponses },
    },
  }, async (request, reply) => {
    const body = request.body as Record<string, unknown>;
    if (typeof body.image === 'string' && /^https?:\/\//i.test(body.image)) {
      throw errors.badRequest('Send an image URL as {"url": "https://…"}; `image` takes base64, a data URL or a multipart file.');
    }
    const task = body.task as VisionTaskName;
    if (task === 'custom' && body.prompt === undefined) throw errors.invalidParams('Task custom needs a prompt: what to ask about the image.');
    if (task !== 'custom' && body.prompt !== undefined) throw errors.invalidParams(`Task ${task} has its own prompt; send yours with task custom.`);
    const params = Object.fromEntries(Object.entries({ prompt: body.prompt, max_tokens: body.max_tokens }).filter(([, v]) => v !== undefined));
    return service.run({ task: visionTaskId(task), model: body.model as string | undefined, image: imageFromBody(body), params, signal: abortOnDisconnect(reply) });
  });

  app.get('/vision/tasks', {
    schema: {
      tags: ['openai'],
      summary: 'The analyze presets and what answers each now',
      response: { 200: Type.Object({ object: Type.Literal('list'), data: Type.Array(TaskInfo) }) },
    },
  }, async () => ({ object: 'list' as const, data: describeVisionTasks(service) }));
};
