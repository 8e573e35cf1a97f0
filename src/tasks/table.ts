import { chatTask } from './chat.js';
import { classifyTask } from './classify.js';
import { detectTask } from './detect.js';
import { embedTask } from './embed.js';
import { facesTask } from './faces.js';
import { generateTask } from './generate/task.js';
import { ocrTask } from './ocr.js';
import { poseTask } from './pose.js';
import { segmentTask } from './segment.js';
import type { TaskDefinition } from './types.js';

/**
 * The frozen task table: task name → its definition. Adding a task means adding a file in tasks/
 * and a line here; nothing else branches on task names.
 */
export const TASKS: Readonly<Record<string, TaskDefinition>> = Object.freeze({
  detect: detectTask as TaskDefinition,
  classify: classifyTask as TaskDefinition,
  embed: embedTask as TaskDefinition,
  chat: chatTask as TaskDefinition,
  ocr: ocrTask as TaskDefinition,
  faces: facesTask as TaskDefinition,
  pose: poseTask as TaskDefinition,
  segment: segmentTask as TaskDefinition,
  generate: generateTask as TaskDefinition,
});

export function taskDefinition(name: string): TaskDefinition | undefined {
  return Object.hasOwn(TASKS, name) ? TASKS[name] : undefined;
}
