import { errors } from '../errors.js';
import type { RuntimeSession } from '../runtimes/types.js';
import { StageTimer } from './timing.js';
import { isRunner, type DecodeOptions, type Pipeline, type RunContext, type RunnerResult, type StageTimings, type TaskInput, type TaskRunner } from './types.js';

export interface PipelineResult<Output> {
  output: Output;
  timings: StageTimings;
}

/**
 * A request in two parts, so a worker can overlap requests: `prepare` needs no session (it
 * decodes: libvips works off the main thread) and may run while the previous request's inference
 * does; `finish` uses the session and runs one request at a time.
 */
export interface StagedRunner<P, O> {
  prepare(input: TaskInput, params: P, options?: DecodeOptions): Promise<PreparedRun>;
  finish(prepared: PreparedRun, params: P, context?: RunContext): Promise<RunnerResult<O>>;
  /** Whether `prepare` does real work, so that overlapping requests gains anything. */
  readonly overlaps: boolean;
}

/** What `prepare` hands to `finish`: opaque to the worker. */
export interface PreparedRun {
  readonly input: TaskInput;
  readonly decoded?: unknown;
  readonly decodeMs: number;
}

/** Runs one request through a pipeline, timing every stage. */
export async function runPipeline<P, D, O>(
  pipeline: Pipeline<P, D, O>,
  session: RuntimeSession,
  input: TaskInput,
  params: P,
): Promise<PipelineResult<O>> {
  const staged = stagePipeline(pipeline, session);
  const { output, timings } = await staged.finish(await staged.prepare(input, params), params);
  return { output, timings };
}

function stagePipeline<P, D, O>(pipeline: Pipeline<P, D, O>, session: RuntimeSession): StagedRunner<P, O> {
  return {
    overlaps: true,
    async prepare(input, params, options) {
      const clock = new StageTimer();
      const decoded = await pipeline.decode(input, params, options);
      return { input, decoded, decodeMs: clock.lap('decode') };
    },
    async finish(prepared, params, context) {
      // A request cancelled while it waited for the session is not run.
      if (context?.signal?.aborted) throw errors.cancelled();
      const decoded = prepared.decoded as D;
      const clock = new StageTimer();
      clock.add('decode', prepared.decodeMs);
      const feeds = pipeline.preprocess(decoded, params);
      clock.lap('preprocess');
      const outputs = await session.run(feeds, pipeline.outputs);
      clock.lap('inference');
      const output = pipeline.postprocess(outputs, decoded, params);
      clock.lap('postprocess');
      return {
        output,
        timings: clock.timings(),
        preview: pipeline.preview?.(decoded),
      };
    },
  };
}

/**
 * The one way a worker runs a task: a template pipeline over the session, split in two so the
 * worker can overlap requests, or the task's own runner, which does all its work in `finish`.
 */
export function asStagedRunner<P, O>(work: Pipeline<P, unknown, O> | TaskRunner<P, O>, session: RuntimeSession): StagedRunner<P, O> {
  if (!isRunner(work)) return stagePipeline(work, session);
  return {
    overlaps: false,
    prepare: async (input) => ({ input, decodeMs: 0 }),
    finish: (prepared, params, context) => work.run(prepared.input, params, context),
  };
}
