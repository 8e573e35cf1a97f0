/**
 * Which kind of session a task was handed, told by shape. Tasks receive sessions and choose their
 * model family by kind (tasks/family.ts); these guards let them without loading the runtimes
 * themselves (transformers.js, the folder loader), which only workers import.
 */
import type { OnnxFolderSession } from './onnx-folder.js';
import type { TransformersSession } from './transformers.js';
import type { RuntimeSession } from './types.js';

export function isTransformersSession(session: RuntimeSession): session is TransformersSession {
  return typeof (session as TransformersSession).modelDir === 'string';
}

export function isOnnxFolderSession(session: RuntimeSession): session is OnnxFolderSession {
  return (session as OnnxFolderSession).graphs instanceof Map && typeof (session as OnnxFolderSession).dir === 'string';
}
