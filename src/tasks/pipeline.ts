import type { RuntimeSession } from '../runtimes/types.js';
import { isRunner, type Pipeline, type StageTimings, type TaskInput, type TaskRunner } from './types.js';

export interface PipelineResult<Output> {
  output: Output;
  timings: StageTimings;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/** Runs one request through a pipeline, timing every stage. */
export async function runPipeline<P, D, O>(
  pipeline: Pipeline<P, D, O>,
  session: RuntimeSession,
  input: TaskInput,
  params: P,
): Promise<PipelineResult<O>> {
  const t0 = performance.now();
  const decoded = await pipeline.decode(input, params);
  const t1 = performance.now();
  const feeds = pipeline.preprocess(decoded, params);
  const t2 = performance.now();
  const outputs = await session.run(feeds, pipeline.outputs);
  const t3 = performance.now();
  const output = pipeline.postprocess(outputs, decoded, params);
  const t4 = performance.now();
  return {
    output,
    timings: { decode_ms: round2(t1 - t0), preprocess_ms: round2(t2 - t1), inference_ms: round2(t3 - t2), postprocess_ms: round2(t4 - t3) },
  };
}

/** The one way a worker runs a task: a template pipeline over the session, or the task's own runner. */
export function asRunner<P, O>(work: Pipeline<P, unknown, O> | TaskRunner<P, O>, session: RuntimeSession): TaskRunner<P, O> {
  if (isRunner(work)) return work;
  return { run: (input, params) => runPipeline(work, session, input, params) };
}
