/** Parameters and result of the `chat` task: a conversation with image placeholders. */
import Type, { type Static } from 'typebox';

const TextPart = Type.Object({ type: Type.Literal('text'), text: Type.String({ maxLength: 100_000 }) }, { additionalProperties: false });
const ImagePart = Type.Object(
  { type: Type.Literal('image') },
  { additionalProperties: false, description: 'Where the next image of the request goes (images travel as the input, in order).' },
);

export const ChatMessage = Type.Object(
  {
    role: Type.Union([Type.Literal('system'), Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.Array(Type.Union([TextPart, ImagePart]), { maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type ChatMessage = Static<typeof ChatMessage>;

/**
 * A conversation with image placeholders. The OpenAI route turns its messages into this shape
 * (string content → one text part, each image_url part → `{type: "image"}` plus an input image),
 * so the task never sees URLs or base64.
 */
export const ChatParams = Type.Object(
  {
    messages: Type.Array(ChatMessage, { minItems: 1, maxItems: 256 }),
    max_tokens: Type.Integer({ minimum: 1, maximum: 8192, default: 256, description: 'Most tokens generated.' }),
    temperature: Type.Optional(Type.Number({
      minimum: 0,
      maximum: 2,
      description: '0 = greedy; above 0 samples. Local models decode greedily when absent (and top_p is absent too).',
    })),
    top_p: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Nucleus sampling mass.' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'The same seed and arguments give the same answer.' })),
    stop: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 4, description: 'The answer ends before the first of these.' })),
  },
  { additionalProperties: false },
);
export type ChatParams = Static<typeof ChatParams>;

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatOutput {
  content: string;
  /** `stop` (end of turn or a stop sequence), `length` (max_tokens reached), or the upstream's own reason. */
  finish_reason: string;
  usage: ChatUsage;
}

/** A partial chat result, emitted while streaming: the next piece of the answer. */
export interface ChatDelta {
  delta: string;
}
