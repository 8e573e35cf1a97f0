import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ChatDelta, ChatOutput } from '../../../tasks/params/chat.js';
import { errorResponses } from '../../schemas.js';
import { abortOnDisconnect, sendEventStream } from '../../sse.js';
import type { RouteDeps } from '../deps.js';
import { ChatCompletion, ChatRequest, chatTaskRequest, chunkBuilder, completionResponse } from './chat-shapes.js';

/** POST /v1/chat/completions: chat with images, local vision-language models or upstream backends. */
export const chatRoutes: FastifyPluginAsync<RouteDeps> = async (app, { service }) => {
  app.post('/chat/completions', {
    schema: {
      tags: ['openai'],
      summary: 'Chat with images (OpenAI chat completions)',
      description:
        'OpenAI\'s request and response shapes: `messages` with string content or text and image_url parts (data URLs, or http(s) URLs Argus fetches under its address rules). ' +
        'With `"stream": true` the answer is server-sent `chat.completion.chunk` events ending with `data: [DONE]`.',
      body: ChatRequest,
      response: { 200: ChatCompletion, ...errorResponses },
    },
  }, async (request, reply) => {
    const asked = request.body as ChatRequest;
    // As the replaced vision API did: clients that hard-code OpenAI's or Anthropic's model names
    // ("gpt-4o", "claude-3-5-sonnet") get the default chat model instead of a 404.
    const borrowed = asked.model !== undefined && !service.knowsModel(asked.model) && /gpt|claude/i.test(asked.model);
    const body = borrowed ? { ...asked, model: undefined } : asked;
    const task = { ...chatTaskRequest(body), signal: abortOnDisconnect(reply) };
    if (!body.stream) return completionResponse(await service.run(task));

    const model = body.model ?? service.defaultModel('chat')?.alias ?? 'chat';
    const chunks = chunkBuilder(randomUUID(), model);
    return sendEventStream(reply, async (send) => {
      let opened = false;
      let streamed = '';
      const open = () => {
        if (!opened) send(chunks.role());
        opened = true;
      };
      const result = await service.run({
        ...task,
        onPartial: (partial) => {
          open();
          const { delta } = partial as ChatDelta;
          streamed += delta;
          send(chunks.delta(delta));
        },
      });
      open();
      const output = result as unknown as ChatOutput;
      // A dispatcher that cannot stream (a queue to remote workers) delivers the whole answer at the
      // end: send whatever the partials did not carry, so the stream always holds the full text.
      if (output.content.length > streamed.length && output.content.startsWith(streamed)) send(chunks.delta(output.content.slice(streamed.length)));
      send(chunks.finish(output.finish_reason));
      if (body.stream_options?.include_usage) send(chunks.usage(output.usage));
    });
  });
};
