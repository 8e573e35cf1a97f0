/**
 * OpenAI chat completions ↔ Argus's `chat` task: request and response schemas, and the
 * translation both ways. Translation only: what a model does with the messages is the task's.
 */
import Type, { type Static } from 'typebox';
import { errors } from '../../../errors.js';
import type { ImageSource, TaskRequest, TaskResult } from '../../../service/inference.js';
import type { ChatMessage, ChatOutput } from '../../../tasks/params/chat.js';
import { Timings } from '../../schemas.js';
import { decodeBase64Image } from '../../uploads.js';

const ImageUrl = Type.Object({
  url: Type.String({ minLength: 1, description: 'A data URL (data:image/png;base64,…), or an http(s) URL that Argus fetches (public addresses only unless allowlisted, at most the upload limit).' }),
  detail: Type.Optional(Type.String()),
});
const ContentPart = Type.Union([
  Type.Object({ type: Type.Literal('text'), text: Type.String({ maxLength: 100_000 }) }),
  Type.Object({ type: Type.Literal('image_url'), image_url: Type.Union([ImageUrl, Type.String({ minLength: 1 })]) }),
  // Any other part type (input_audio, file, …) is named in a clear 400 by the translation below.
  Type.Object({ type: Type.String() }),
]);

type ContentPart = Static<typeof ContentPart>;

/**
 * String, parts or null, as one `type` list rather than anyOf: with Fastify's type coercion an
 * anyOf tries `string` first and unwraps a one-element array into its element on the way.
 */
const Content = Type.Unsafe<string | ContentPart[] | null>({
  type: ['string', 'array', 'null'],
  maxLength: 100_000,
  maxItems: 64,
  items: ContentPart,
  description: 'A string, or text and image_url parts.',
});

const Message = Type.Object({
  role: Type.String({ description: 'system, developer, user or assistant.' }),
  content: Content,
  name: Type.Optional(Type.String()),
});

export const ChatRequest = Type.Object({
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Model alias (vlm-fast, vlm-best or an upstream alias); the default chat model when absent.' })),
  messages: Type.Array(Message, { minItems: 1, maxItems: 256 }),
  max_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Most tokens generated (default 256).' })),
  max_completion_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Same as max_tokens; wins when both are sent.' })),
  temperature: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  top_p: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  seed: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  stop: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String()), Type.Null()])),
  n: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  stream: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  stream_options: Type.Optional(Type.Union([Type.Object({ include_usage: Type.Optional(Type.Boolean()) }), Type.Null()])),
});
export type ChatRequest = Static<typeof ChatRequest>;

const Usage = Type.Object({ prompt_tokens: Type.Integer(), completion_tokens: Type.Integer(), total_tokens: Type.Integer() });

export const ChatCompletion = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  created: Type.Integer({ description: 'Unix seconds.' }),
  model: Type.String(),
  choices: Type.Array(Type.Object({
    index: Type.Integer(),
    message: Type.Object({ role: Type.Literal('assistant'), content: Type.String() }),
    finish_reason: Type.String({ description: 'stop (end of turn or a stop sequence) or length (max_tokens reached).' }),
    logprobs: Type.Null(),
  })),
  usage: Usage,
  timings: Type.Optional(Timings),
}, { description: 'With "stream": true the answer is text/event-stream: chat.completion.chunk events, then data: [DONE].' });

/** OpenAI roles Argus's chat task knows; `developer` is OpenAI's newer name for `system`. */
const ROLES: Record<string, ChatMessage['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

/** One image_url part: a data URL of an image becomes bytes, an http(s) URL is fetched by the service; anything else is a clear 4xx. */
function imageFromUrl(url: string): ImageSource {
  const dataUrl = /^data:([^;,]*)[;,]/i.exec(url);
  if (dataUrl) {
    const mime = dataUrl[1].toLowerCase();
    if (mime && !mime.startsWith('image/')) throw errors.unsupportedMediaType(`The image_url data URL declares ${mime}, not an image.`);
    return { bytes: decodeBase64Image(url) };
  }
  if (/^https?:\/\//i.test(url)) return { url };
  throw errors.badRequest('An image_url must be a data URL (data:image/png;base64,…) or an http(s) URL.');
}

/** OpenAI messages → the task's messages with `{type: "image"}` placeholders, and the images in order. */
function translateMessages(messages: ChatRequest['messages']): { messages: ChatMessage[]; images: ImageSource[] } {
  const images: ImageSource[] = [];
  const translated = messages.map((message, i): ChatMessage => {
    const role = ROLES[message.role];
    if (!role) throw errors.badRequest(`messages[${i}].role '${message.role}' is not supported (system, developer, user or assistant; no tool calls).`);
    if (message.content === null) return { role, content: [] };
    if (typeof message.content === 'string') return { role, content: [{ type: 'text', text: message.content }] };
    const content = message.content.map((part, j): ChatMessage['content'][number] => {
      if (part.type === 'text' && 'text' in part) return { type: 'text', text: part.text };
      if (part.type === 'image_url' && 'image_url' in part) {
        const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
        images.push(imageFromUrl(url));
        return { type: 'image' };
      }
      throw errors.badRequest(`messages[${i}].content[${j}] is a '${part.type}' part; Argus takes text and image_url parts.`);
    });
    return { role, content };
  });
  return { messages: translated, images };
}

/** An OpenAI chat request → the service's request for the `chat` task. */
export function chatTaskRequest(body: ChatRequest): TaskRequest {
  if ((body.n ?? 1) > 1) throw errors.badRequest('n > 1 is not supported: send the request n times (with different seeds for different answers).');
  const { messages, images } = translateMessages(body.messages);
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop ?? undefined;
  const params = {
    messages,
    max_tokens: body.max_completion_tokens ?? body.max_tokens,
    temperature: body.temperature ?? undefined,
    top_p: body.top_p ?? undefined,
    seed: body.seed ?? undefined,
    stop: stop?.length ? stop : undefined,
  };
  // Absent and null both mean "the default": the task's schema fills it in.
  return { task: 'chat', model: body.model, images, params: Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) };
}

const unixNow = () => Math.floor(Date.now() / 1000);

/** The service's chat result → OpenAI's `chat.completion`. */
export function completionResponse(result: TaskResult) {
  const output = result as unknown as TaskResult & ChatOutput;
  return {
    id: `chatcmpl-${result.id}`,
    object: 'chat.completion' as const,
    created: unixNow(),
    model: result.model.alias,
    choices: [{ index: 0, message: { role: 'assistant' as const, content: output.content }, finish_reason: output.finish_reason, logprobs: null }],
    usage: output.usage,
    timings: result.timings,
  };
}

/** Builds the `chat.completion.chunk` events of one streamed answer; they share its id, time and model. */
export function chunkBuilder(id: string, model: string) {
  const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk' as const, created: unixNow(), model };
  const choice = (delta: Record<string, string>, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  return {
    role: () => choice({ role: 'assistant', content: '' }, null),
    delta: (content: string) => choice({ content }, null),
    finish: (reason: string) => choice({}, reason),
    usage: (usage: ChatOutput['usage']) => ({ ...base, choices: [], usage }),
  };
}
