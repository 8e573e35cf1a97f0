import { isUpstreamSession, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type UpstreamMessage, type UpstreamSession } from '../runtimes/upstream.js';
import { sniffImageFormat } from '../vision/image.js';
import { chatImages, checkImageCount, type ChatMessage, type ChatOutput, type ChatParams } from './chat-params.js';
import { sessionFamily } from './family.js';
import type { TaskRunner } from './types.js';
import { StageTimer } from './timing.js';

/**
 * Rebuilds OpenAI messages from the task's placeholders: each `{type: "image"}` becomes the next
 * image as a data URL. Text-only messages go as plain strings, which every OpenAI-compatible
 * server accepts (some reject content arrays without images).
 */
export function upstreamMessages(messages: readonly ChatMessage[], images: readonly Uint8Array[]): UpstreamMessage[] {
  let next = 0;
  return messages.map((message) => {
    if (message.content.every((p) => p.type === 'text')) {
      return { role: message.role, content: message.content.map((p) => (p.type === 'text' ? p.text : '')).join('') };
    }
    return {
      role: message.role,
      content: message.content.map((part) => {
        if (part.type === 'text') return { type: 'text' as const, text: part.text };
        const bytes = images[next++];
        const mime = `image/${sniffImageFormat(bytes) ?? 'png'}`;
        return { type: 'image_url' as const, image_url: { url: `data:${mime};base64,${Buffer.from(bytes).toString('base64')}` } };
      }),
    };
  });
}

/**
 * Chat through an upstream OpenAI-compatible server: the request is forwarded (streamed when the
 * caller streams) and the answer comes back in the task's own shape. `inference_ms` is the
 * upstream's whole answer time; nothing is decoded here.
 */
export function createUpstreamChatRunner(session: UpstreamSession): TaskRunner<ChatParams, ChatOutput> {
  return {
    async run(input, params, context = {}) {
      const clock = new StageTimer();
      const images = chatImages(input);
      checkImageCount(params.messages, images.length);
      const request: ChatCompletionRequest = {
        model: session.upstreamModel,
        messages: upstreamMessages(params.messages, images),
        max_tokens: params.max_tokens,
        temperature: params.temperature,
        top_p: params.top_p,
        seed: params.seed,
        stop: params.stop,
      };
      clock.lap('preprocess');
      const output = context.emit
        ? await streamAnswer(session, request, context.emit, context.signal)
        : answerOf(await session.client.postJson<ChatCompletion>('/chat/completions', { ...request, stream: false }, { signal: context.signal }));
      clock.lap('inference');
      return { output, timings: clock.timings() };
    },
  };
}

function answerOf(completion: ChatCompletion): ChatOutput {
  const choice = completion.choices?.[0];
  const usage = completion.usage;
  return {
    content: choice?.message?.content ?? '',
    finish_reason: choice?.finish_reason ?? 'stop',
    usage: {
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      total_tokens: usage?.total_tokens ?? (usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0),
    },
  };
}

async function streamAnswer(session: UpstreamSession, request: ChatCompletionRequest, emit: (partial: unknown) => void, signal?: AbortSignal): Promise<ChatOutput> {
  let content = '';
  let finish: string | null = null;
  let usage: ChatCompletionChunk['usage'];
  // include_usage asks for a last chunk with the token counts (OpenAI, vLLM, Ollama and llama.cpp send it).
  const body = { ...request, stream: true, stream_options: { include_usage: true } };
  for await (const chunk of session.client.streamJson<ChatCompletionChunk>('/chat/completions', body, { signal })) {
    const choice = chunk.choices?.[0];
    const delta = choice?.delta?.content;
    if (delta) {
      content += delta;
      emit({ delta });
    }
    if (choice?.finish_reason) finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return answerOf({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }], usage: usage ?? undefined });
}

/** The chat family of upstream models (runtime `upstream`, served from the API process). */
export const upstreamChatFamily = sessionFamily<UpstreamSession, ChatParams, ChatOutput>({
  name: 'upstream',
  session: isUpstreamSession,
  create: (_model, session) => Promise.resolve(createUpstreamChatRunner(session)),
});
