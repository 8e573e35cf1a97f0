import Type, { type TSchema } from 'typebox';
import { errors } from '../../errors.js';
import { taskDefinition } from '../../tasks/table.js';
import type { FeatureDeps } from '../deps.js';
import type { CompositeCall, InferenceService, TaskResult } from '../../service/inference.js';
import { objectsSentence, templatedCaption, templatedDescription, type Found, type TemplatedInputs } from './templated.js';

export type VisionTaskName = 'caption' | 'ocr' | 'describe' | 'analyze' | 'objects' | 'custom';

/** What computes a preset: the vision-language model (`chat`), OCR, or the detector. */
type Engine = 'chat' | 'ocr' | 'detect';

interface Preset {
  description: string;
  engine: Engine;
  /** The instruction the vision-language model gets (custom: the request's prompt). */
  prompt?: string;
  /** Tokens generated when the request names no max_tokens. */
  maxTokens?: number;
  /** Without a vision-language model, answer from the detector (+ classifier + OCR), saying so. */
  templated?: (inputs: TemplatedInputs) => string;
}

/** The presets of `POST /v1/vision/analyze`, one row each, in the replaced vision API's order: the prompts live here and nowhere else. */
export const VISION_PRESETS: Readonly<Record<VisionTaskName, Preset>> = Object.freeze({
  caption: {
    description: 'A one-sentence caption.',
    engine: 'chat',
    prompt: 'Write a one-sentence caption for this image.',
    maxTokens: 64,
    templated: templatedCaption,
  },
  ocr: {
    description: 'The text in the image; `data` holds its lines with boxes and confidences.',
    engine: 'ocr',
  },
  describe: {
    description: 'A detailed description: the scene, the main objects and people, what they do, colours, visible text.',
    engine: 'chat',
    prompt: 'Describe this image in detail: the setting, the main objects and people and what they are doing, notable colours, and any visible text.',
    maxTokens: 256,
    templated: templatedDescription,
  },
  analyze: {
    description: 'A structured analysis: objects and people, setting, text, anything unusual.',
    engine: 'chat',
    prompt: 'Analyze this image. List: 1) the objects and people in it, 2) the setting, 3) any visible text, 4) anything unusual or noteworthy. Be concise and factual.',
    maxTokens: 384,
  },
  objects: {
    description: 'The objects in the image; `data` holds the detections, `result` counts them in a sentence.',
    engine: 'detect',
  },
  custom: {
    description: 'Your own prompt about the image (`prompt`; "Describe this image." when absent).',
    engine: 'chat',
    maxTokens: 256,
  },
});

export const VISION_TASK_NAMES = Object.keys(VISION_PRESETS) as VisionTaskName[];

/** The composite task behind a preset (`vision.caption`, …): also what `/v1/jobs` takes as `task`. */
export const visionTaskId = (task: VisionTaskName) => `vision.${task}`;

const MaxTokens = Type.Integer({ minimum: 1, maximum: 4096, description: 'Most tokens the vision-language model generates.' });
const Prompt = Type.String({ minLength: 1, maxLength: 10_000, description: 'What to ask about the image.' });

/** The replaced vision API's prompt for a custom task sent without one. */
const DEFAULT_CUSTOM_PROMPT = 'Describe this image.';

/**
 * Every preset takes both fields, as the replaced vision API did: `prompt` is read by custom only
 * (default "Describe this image."), `max_tokens` by the vision-language presets only; the others
 * accept and ignore them, so one client request shape works for every task.
 */
function paramsFor(): TSchema {
  return Type.Object({ prompt: Type.Optional(Prompt), max_tokens: Type.Optional(MaxTokens) }, { additionalProperties: false });
}

interface VisionParams {
  prompt?: string;
  max_tokens?: number;
}

const NO_VLM = 'no vision-language model is installed: run `argus models pull vlm-fast` (or vlm-best), or add an upstream model for the chat task.';

/** A preset's engine task must be part of this build; when it is not, a 503 names it (not a 400 "unknown task"). */
function requireTask(task: 'ocr'): void {
  if (!taskDefinition(task)) throw errors.modelUnavailable(task, `the '${task}' task is not part of this build.`);
}

/** Optional evidence for a templated answer: absent (not an error) when that task or its model is not installed. */
async function optional(service: InferenceService, task: 'ocr' | 'classify', run: () => Promise<TaskResult>): Promise<TaskResult | undefined> {
  if (!taskDefinition(task) || !service.hasDefaultModel(task)) return undefined;
  return run();
}

async function answerWithModel(call: CompositeCall, preset: Preset, params: VisionParams) {
  const prompt = preset.prompt ?? params.prompt ?? DEFAULT_CUSTOM_PROMPT;
  const chat = await call.run({
    task: 'chat',
    model: call.model,
    images: [call.image!],
    params: { messages: [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: prompt }] }], max_tokens: params.max_tokens ?? preset.maxTokens },
  });
  return { result: String(chat.content ?? '').trim(), source: 'model', prompt, model: chat.model, usage: chat.usage, timings: chat.timings };
}

async function answerTemplated(service: InferenceService, call: CompositeCall, preset: Preset) {
  const detected = await call.run({ task: 'detect', image: call.image });
  const [classified, read] = await Promise.all([
    optional(service, 'classify', () => call.run({ task: 'classify', image: call.image })),
    optional(service, 'ocr', () => call.run({ task: 'ocr', image: call.image })),
  ]);
  const top = (classified?.predictions as Array<{ label: string; confidence: number }> | undefined)?.[0];
  const inputs: TemplatedInputs = {
    width: Number(detected.width ?? call.imageInfo?.width ?? 1),
    height: Number(detected.height ?? call.imageInfo?.height ?? 1),
    detections: detected.detections as Found[],
    classification: top,
    text: typeof read?.text === 'string' ? read.text : undefined,
  };
  const used = ['the detector', classified && 'the classifier', read && 'OCR'].filter(Boolean).join(', ');
  return {
    result: preset.templated!(inputs),
    data: { detections: inputs.detections, classification: top, text: inputs.text },
    source: 'templated',
    notice: `Composed from ${used}, not by a vision-language model: ${NO_VLM}`,
    model: detected.model,
    timings: detected.timings,
  };
}

/** One preset as a composite task: it runs sync, as a durable job and from the CLI like any task. */
function presetTask(service: InferenceService, task: VisionTaskName) {
  const preset = VISION_PRESETS[task];
  return {
    name: visionTaskId(task),
    input: 'image' as const,
    params: paramsFor(),
    async run(call: CompositeCall) {
      const params = call.params as VisionParams;
      let answer: Record<string, unknown> & { model: { alias: string; sha256?: string } };
      if (preset.engine === 'detect') {
        const detected = await call.run({ task: 'detect', model: call.model, image: call.image });
        const detections = detected.detections as Found[];
        answer = { result: objectsSentence(detections), data: detections, source: 'model', model: detected.model, timings: detected.timings };
      } else if (preset.engine === 'ocr') {
        requireTask('ocr');
        const read = await call.run({ task: 'ocr', model: call.model, image: call.image });
        answer = { result: String(read.text ?? ''), data: read.lines, source: 'model', model: read.model, timings: read.timings };
      } else if (call.model || service.hasDefaultModel('chat')) {
        answer = await answerWithModel(call, preset, params);
      } else if (preset.templated) {
        answer = await answerTemplated(service, call, preset);
      } else {
        throw errors.modelNotInstalled(service.defaultModel('chat')?.alias ?? 'vlm-fast', `task '${task}' needs one; ${NO_VLM}`);
      }
      return { task, ...answer };
    },
  };
}

/** The OpenAI-compatible API's structured analysis presets: registers their composite tasks. */
export function registerVisionAnalyzeTasks({ service }: FeatureDeps): void {
  for (const task of VISION_TASK_NAMES) service.registerComposite(presetTask(service, task));
}

/** `GET /v1/vision/tasks`: each preset, what answers it now, and why not when nothing can. */
export function describeVisionTasks(service: InferenceService) {
  const vlm = service.hasDefaultModel('chat');
  return VISION_TASK_NAMES.map((task) => {
    const preset = VISION_PRESETS[task];
    const engineTask = preset.engine;
    const installed = taskDefinition(engineTask) !== undefined && service.hasDefaultModel(engineTask);
    const templated = engineTask === 'chat' && !vlm && preset.templated !== undefined && service.hasDefaultModel('detect');
    const available = installed || templated;
    return {
      task,
      description: preset.description,
      uses: engineTask,
      prompt: preset.prompt,
      max_tokens: preset.maxTokens,
      available,
      source: installed ? ('model' as const) : templated ? ('templated' as const) : undefined,
      model: installed ? service.defaultModel(engineTask)?.alias : templated ? service.defaultModel('detect')?.alias : undefined,
      reason: available ? undefined : engineTask === 'chat' ? NO_VLM : `no ${engineTask === 'ocr' ? 'OCR' : 'detection'} model is installed.`,
    };
  });
}
