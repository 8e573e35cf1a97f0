import { TASK_NAMES, type TaskName } from '../../src/tasks/names';
import type { ModelEntry } from './api';

/** A playground task: the route that answers it and which models (by their `task` in /v1/models) it can use. */
export interface TaskSpec {
  id: string;
  label: string;
  endpoint: string;
  /** The `task` of the models it runs on. */
  modelTask: TaskName;
  /** The `task` name for POST /v1/jobs; absent when the task cannot run as a job from here. */
  jobTask?: string;
  /** Scene analysis: a camera instead of a model. */
  camera?: boolean;
  /** Chat: a prompt, sent as OpenAI's messages. */
  chat?: boolean;
}

/** How the playground offers one of the server's tasks, or why it does not. */
type Offer = Omit<TaskSpec, 'id' | 'modelTask'> | { notOffered: string };

/**
 * Every task the server has (src/tasks/names.ts, the list its task table and manifests use), and
 * how the playground offers it. Keyed by TaskName: a task added on the server is a type error here
 * (`tsc -p web`) until it is wired in or said not to be.
 */
const SERVER_TASKS: { readonly [T in TaskName]: Offer } = {
  detect: { label: 'Detect objects', endpoint: '/v1/detect', jobTask: 'detect' },
  classify: { label: 'Classify', endpoint: '/v1/classify', jobTask: 'classify' },
  embed: { notOffered: 'an embedding is a vector to store or search; there is nothing to show on the image' },
  ocr: { label: 'Read text (OCR)', endpoint: '/v1/ocr', jobTask: 'ocr' },
  faces: { label: 'Faces', endpoint: '/v1/faces', jobTask: 'faces' },
  pose: { label: 'Pose', endpoint: '/v1/pose', jobTask: 'pose' },
  segment: { label: 'Segment', endpoint: '/v1/segment', jobTask: 'segment' },
  chat: { label: 'Chat about the image', endpoint: '/v1/chat/completions', chat: true },
  generate: { notOffered: 'it makes images from a prompt, and the playground starts from an image' },
};

/** Playground entries that are not one server task: scene analysis runs a detector, then the scene rules. */
const COMPOSITES: TaskSpec[] = [
  { id: 'analyze', label: 'Scene analysis', endpoint: '/v1/analyze', modelTask: 'detect', jobTask: 'analyze', camera: true },
];

/** The order tasks are offered in; each shows only when its route exists and one of its models is installed. */
export const TASKS: TaskSpec[] = [
  ...TASK_NAMES.flatMap((task): TaskSpec[] => {
    const offer = SERVER_TASKS[task];
    return 'notOffered' in offer ? [] : [{ id: task, modelTask: task, ...offer }];
  }),
  ...COMPOSITES,
];

/** Tasks this server can answer now: the route is in its OpenAPI document and a model for it is installed. */
export function availableTasks(paths: Record<string, unknown>, models: ModelEntry[]): TaskSpec[] {
  return TASKS.filter((task) => task.endpoint in paths && models.some((m) => m.task === task.modelTask && m.available));
}

/** One parameter of a task's route, read from its OpenAPI schema. */
export interface ParamField {
  name: string;
  type: 'number' | 'integer' | 'boolean' | 'string' | 'list';
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
}

// Inputs the playground sets itself (the image, the model, the camera, the prompt).
const NOT_PARAMS = new Set(['image', 'url', 'model', 'camera', 'camera_id', 'messages', 'stream', 'stream_options']);

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; minimum?: number; maximum?: number; default?: unknown; description?: string; items?: Schema };

/** The tunable parameters of a route (thresholds, limits, options), from the JSON body schema of its POST. */
export function paramFields(paths: Record<string, Record<string, unknown>>, endpoint: string): ParamField[] {
  const post = paths[endpoint]?.post as { requestBody?: { content?: Record<string, { schema?: Schema }> } } | undefined;
  const schema = post?.requestBody?.content?.['application/json']?.schema;
  return Object.entries(schema?.properties ?? {})
    .filter(([name]) => !NOT_PARAMS.has(name))
    .flatMap(([name, field]): ParamField[] => {
      const type = Array.isArray(field.type) ? field.type[0] : field.type;
      const kind = type === 'array' ? 'list' : type === 'number' || type === 'integer' || type === 'boolean' || type === 'string' ? type : undefined;
      return kind ? [{ name, type: kind, minimum: field.minimum, maximum: field.maximum, default: field.default, description: field.description }] : [];
    });
}

/** A form value as the API wants it; undefined leaves the parameter out (the server's default applies). */
export function paramValue(field: ParamField, raw: string | boolean | undefined): unknown {
  if (raw === undefined || raw === '') return undefined;
  switch (field.type) {
    case 'boolean':
      return raw === true || raw === 'true';
    case 'number':
    case 'integer':
      return Number(raw);
    case 'list':
      return String(raw).split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return String(raw);
  }
}
