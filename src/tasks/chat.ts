import { ChatParams, type ChatOutput } from './chat-params.js';
import { upstreamChatFamily } from './chat-upstream.js';
import { vlmChatFamily } from './chat-vlm.js';
import { familyPipeline, type TaskFamily } from './family.js';
import type { TaskDefinition } from './types.js';

export { ChatMessage, ChatParams, type ChatDelta, type ChatOutput, type ChatUsage } from './chat-params.js';

/** The kinds of model chat runs, the first that accepts a model serving it. */
export const chatFamilies: readonly TaskFamily<ChatParams, ChatOutput>[] = [
  upstreamChatFamily,
  vlmChatFamily,
];

/**
 * Chat with images: a local vision-language model through transformers.js (worker process), or an
 * upstream OpenAI-compatible server (API process). Both stream `{delta}` partials when asked.
 */
export const chatTask: TaskDefinition<ChatParams, ChatOutput> = {
  name: 'chat',
  input: 'images',
  params: ChatParams,
  createPipeline: familyPipeline(chatFamilies, (model) => new Error(`chat runs on the transformers or upstream runtime; model ${model.alias} has neither`)),
};
