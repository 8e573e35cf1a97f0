import { isTransformersSession } from '../runtimes/transformers.js';
import { isUpstreamSession } from '../runtimes/upstream.js';
import { ChatParams, type ChatOutput } from './chat-params.js';
import { createUpstreamChatRunner } from './chat-upstream.js';
import { createVlmChatRunner } from './chat-vlm.js';
import type { ModelContext, TaskDefinition, TaskRunner } from './types.js';

export { ChatMessage, ChatParams, type ChatDelta, type ChatOutput, type ChatUsage } from './chat-params.js';

/**
 * Chat with images: a local vision-language model through transformers.js (worker process), or an
 * upstream OpenAI-compatible server (API process). Both stream `{delta}` partials when asked.
 */
export const chatTask: TaskDefinition<ChatParams, ChatOutput> = {
  name: 'chat',
  input: 'images',
  params: ChatParams,
  createPipeline(model: ModelContext): Promise<TaskRunner<ChatParams, ChatOutput>> {
    if (isUpstreamSession(model.session)) return Promise.resolve(createUpstreamChatRunner(model.session));
    if (isTransformersSession(model.session)) return createVlmChatRunner(model, model.session);
    throw new Error(`chat runs on the transformers or upstream runtime; model ${model.alias} has neither`);
  },
};
