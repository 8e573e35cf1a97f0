import { chatTask } from './chat.js';
import { classifyTask } from './classify.js';
import { detectTask } from './detect.js';
import { embedTask } from './embed.js';
import { facesTask } from './faces.js';
import { generateTask } from './generate/task.js';
import { isTaskName, type TaskName } from './names.js';
import { ocrTask } from './ocr.js';
import { poseTask } from './pose.js';
import { segmentTask } from './segment.js';
import type { TaskDefinition } from './types.js';

/**
 * The frozen task table: task name → its definition. Adding a task means adding its name to
 * names.ts, a file in tasks/ (its parameters in params/) and a line here; the type below makes a
 * name without an entry, or an entry without a name, a compile error. Nothing else branches on
 * task names.
 */
export const TASKS: Readonly<Record<TaskName, TaskDefinition>> = Object.freeze({
  detect: detectTask as TaskDefinition,
  classify: classifyTask as TaskDefinition,
  embed: embedTask as TaskDefinition,
  chat: chatTask as TaskDefinition,
  ocr: ocrTask as TaskDefinition,
  faces: facesTask as TaskDefinition,
  pose: poseTask as TaskDefinition,
  segment: segmentTask as TaskDefinition,
  generate: generateTask as TaskDefinition,
} satisfies Record<TaskName, TaskDefinition>);

export function taskDefinition(name: string): TaskDefinition | undefined {
  return isTaskName(name) ? TASKS[name] : undefined;
}
