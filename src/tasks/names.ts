/**
 * The tasks Argus serves: the one list. The task table (tasks/table.ts) must hold exactly these
 * (a missing or extra entry is a type error there), model manifests accept exactly these as their
 * `task`, and the dashboard's playground types its entries against them. A leaf: it imports
 * nothing, so the catalog, the routes and the dashboard build can all read it.
 */
export const TASK_NAMES = ['detect', 'classify', 'embed', 'ocr', 'faces', 'pose', 'segment', 'chat', 'generate'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}
