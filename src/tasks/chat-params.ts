/** Chat request checks shared by the local and upstream runners; the schema and result types live in params/chat.ts. */
import { errors } from '../errors.js';
import type { ChatMessage } from './params/chat.js';
import type { TaskInput } from './types.js';

export { ChatMessage, ChatParams, type ChatDelta, type ChatOutput, type ChatUsage } from './params/chat.js';

/** The images of a chat request, in order (a job carries its one image as `image`). */
export function chatImages(input: TaskInput): Uint8Array[] {
  return input.images ?? (input.image ? [input.image] : []);
}

/** Refuses a conversation whose image placeholders do not match the images sent. */
export function checkImageCount(messages: readonly ChatMessage[], images: number): void {
  const placeholders = messages.reduce((n, m) => n + m.content.filter((p) => p.type === 'image').length, 0);
  if (placeholders !== images) {
    throw errors.badRequest(`The messages hold ${placeholders} image part(s) but the request carries ${images} image(s).`);
  }
}
