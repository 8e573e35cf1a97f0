import type { FastifyPluginAsync } from 'fastify';
import Type from 'typebox';
import { describeVisionTasks, VISION_TASK_NAMES, visionTaskId, type VisionTaskName } from '../../../features/vision-presets/analyze.js';
import type { TaskResult } from '../../../service/inference.js';
import { errorResponses, FileField, Timings } from '../../schemas.js';
import { abortOnDisconnect } from '../../sse.js';
import { imageFromBody } from '../../uploads.js';
import type { RouteDeps } from '../deps.js';

const Task = Type.Enum(VISION_TASK_NAMES, { description: 'caption, ocr, describe, analyze, objects or custom.' });
// Every field on every task, as the replaced vision API took them: a field a task does not use is ignored.
const Fields = {
  task: Type.Optional(Type.Enum(VISION_TASK_NAMES, { default: 'caption', description: 'caption (the default), ocr, describe, analyze, objects or custom.' })),
  prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: 'What to ask: read by task custom ("Describe this image." when absent), ignored by the others.' })),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096, description: 'Most tokens the vision-language model generates; ignored by ocr and objects, which use none.' })),
  model: Type.Optional(Type.String({ minLength: 1, description: 'The model that answers: a chat model for caption/describe/analyze/custom, an OCR model for ocr, a detector for objects.' })),
};
const JsonBody = Type.Object({ image: Type.String({ minLength: 1, description: 'The image as base64 or a data URL, or an http(s) URL that Argus fetches.' }), ...Fields });
const MultipartBody = Type.Object({ image: FileField('The image.'), ...Fields });

const AnalyzeResponse = Type.Object({
  id: Type.String(),
  task: Task,
  result: Type.String({ description: 'The answer as text.' }),
  data: Type.Optional(Type.Unknown({ description: 'Structured results: OCR lines, detections, or what a templated answer was composed from.' })),
  source: Type.Enum(['model', 'templated'] as const, { description: 'templated: composed from detector/classifier/OCR results because no vision-language model is installed.' }),
  notice: Type.Optional(Type.String()),
  created: Type.Integer({ description: 'Unix seconds.' }),
  model: Type.String({ description: 'The model that answered.' }),
  model_sha256: Type.Optional(Type.String()),
  usage: Type.Object({
    latency: Type.Number({ description: 'Seconds from receiving the request to the answer.' }),
    prompt_used: Type.Optional(Type.String({ description: 'The instruction the vision-language model got (its first 100 characters, then "...").' })),
    prompt_tokens: Type.Optional(Type.Integer()),
    completion_tokens: Type.Optional(Type.Integer()),
    total_tokens: Type.Optional(Type.Integer()),
  }),
  timings: Timings,
});

/** The composite task's result in the replaced vision API's shape (model a string, usage with latency and prompt_used). */
function analyzeResponse(result: TaskResult) {
  const { model, usage, prompt, ...rest } = result as TaskResult & { usage?: Record<string, number>; prompt?: string };
  return {
    ...rest,
    created: Math.floor(Date.now() / 1000),
    model: model.alias,
    model_sha256: model.sha256,
    usage: {
      latency: Math.round(result.timings.total_ms) / 1000,
      prompt_used: prompt === undefined ? undefined : prompt.length > 100 ? `${prompt.slice(0, 100)}...` : prompt,
      ...usage,
    },
  };
}

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
    // The replaced API's `image` took base64 or a URL; a URL is fetched under the same rules as {"url"}.
    const image = typeof body.image === 'string' && /^https?:\/\//i.test(body.image) ? { url: body.image } : imageFromBody(body);
    const params = Object.fromEntries(Object.entries({ prompt: body.prompt, max_tokens: body.max_tokens }).filter(([, v]) => v !== undefined));
    const result = await service.run({ task: visionTaskId(body.task as VisionTaskName), model: body.model as string | undefined, image, params, signal: abortOnDisconnect(reply) });
    return analyzeResponse(result);
  });

  app.get('/vision/tasks', {
    schema: {
      tags: ['openai'],
      summary: 'The analyze presets and what answers each now',
      response: {
        200: Type.Object({
          object: Type.Literal('list'),
          data: Type.Array(TaskInfo),
          tasks: Type.Array(Type.Object({ id: Task, description: Type.String() }), { description: 'The replaced vision API\'s list: the same presets as {id, description}.' }),
        }),
      },
    },
  }, async () => {
    const data = describeVisionTasks(service);
    return { object: 'list' as const, data, tasks: data.map((t) => ({ id: t.task, description: t.description })) };
  });
};
