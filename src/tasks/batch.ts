import type { RuntimeSession, TensorArray, TensorData } from '../runtimes/types.js';
import type { Pipeline, RunnerResult, TaskInput } from './types.js';
import { StageTimer } from './timing.js';

/** One request of a batch: what it brings and its task parameters. */
export interface BatchItem {
  input: TaskInput;
  params: unknown;
  /** The caller will want the history's preview of this image. */
  preview?: boolean;
}

/** Each request of a batch settles on its own: one bad image fails only its own request. */
export type BatchOutcome = { ok: true; result: RunnerResult<unknown> } | { ok: false; error: unknown };

/**
 * Whether a session can run several requests in one call: every input's first axis is dynamic (a
 * name like `batch`, or -1) and every output's too (so the results can be split back per request).
 */
export function hasDynamicBatchAxis(session: Pick<RuntimeSession, 'inputs' | 'outputs'>): boolean {
  const dynamic = (shape: ReadonlyArray<number | string>) => shape.length > 0 && (typeof shape[0] === 'string' || shape[0] < 0);
  return session.inputs.length > 0 && session.inputs.every((i) => dynamic(i.shape)) && session.outputs.every((o) => dynamic(o.shape));
}

type TypedArray = Exclude<TensorArray, string[]>;

/**
 * Copies one request's feed into row `row` of the batch tensor (created at the first row). A
 * copy is needed anyway: preprocess reuses one buffer per model, so the next request's preprocess
 * would overwrite this one's.
 */
function stackInto(batch: TensorData | undefined, feed: TensorData, row: number, rows: number): TensorData {
  if (feed.dims[0] !== 1) throw new Error(`a batched input must have 1 as its first axis, not [${feed.dims.join(', ')}]`);
  const data = feed.data as TypedArray;
  if (!ArrayBuffer.isView(data)) throw new Error(`a ${feed.type} tensor cannot be batched`);
  if (!batch) {
    const Ctor = data.constructor as new (length: number) => TypedArray;
    batch = { type: feed.type, data: new Ctor(data.length * rows), dims: [rows, ...feed.dims.slice(1)] };
  }
  if ((batch.data as TypedArray).length !== data.length * rows || batch.type !== feed.type) {
    throw new Error('requests of one batch produced tensors of different shapes');
  }
  (batch.data as TypedArray & { set(a: ArrayLike<number | bigint>, o: number): void }).set(data as never, row * data.length);
  return batch;
}

/** Stacks batch-of-one feeds (one per request, same shapes) into one batch along the first axis. */
export function stackFeeds(feeds: ReadonlyArray<Record<string, TensorData>>): Record<string, TensorData> {
  const stacked: Record<string, TensorData> = {};
  feeds.forEach((feed, row) => {
    for (const [name, tensor] of Object.entries(feed)) stacked[name] = stackInto(stacked[name], tensor, row, feeds.length);
  });
  return stacked;
}

/** Row `row` of a batched output as a batch-of-one tensor (a view, not a copy). */
function rowOf(output: TensorData, row: number, rows: number): TensorData {
  if (output.dims[0] !== rows) throw new Error(`the model answered a batch of ${rows} with an output of shape [${output.dims.join(', ')}]`);
  const data = output.data as TypedArray;
  const size = data.length / rows;
  return { type: output.type, data: data.subarray(row * size, (row + 1) * size) as TensorArray, dims: [1, ...output.dims.slice(1)] };
}

/**
 * Runs several requests through a template pipeline with one `session.run`: the images decode at
 * once (sharp works off the main thread, so they overlap), each is preprocessed into its row of
 * one batch tensor, the model runs once, and each request's row is postprocessed on its own.
 * A request whose decode or postprocess fails fails alone; a failed run fails them all.
 * Each request's timings are the batch's phases as that request waited through them (all decodes,
 * all preprocessing, the one run, then postprocessing up to and including its own row), so its
 * stages still add up to its time in the worker.
 */
export async function runPipelineBatch(
  pipeline: Pipeline<unknown, unknown, unknown>,
  session: RuntimeSession,
  items: readonly BatchItem[],
): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = new Array(items.length);
  const clock = new StageTimer();
  const decoded = await Promise.all(items.map(async (item) => {
    try {
      return { value: await pipeline.decode(item.input, item.params, { preview: item.preview }) };
    } catch (error) {
      return { error };
    }
  }));
  clock.lap('decode');
  const live: number[] = [];
  decoded.forEach((d, i) => ('error' in d ? (outcomes[i] = { ok: false, error: d.error }) : live.push(i)));
  if (live.length === 0) return outcomes;

  const feeds: Record<string, TensorData> = {};
  clock.restart();
  for (const [row, i] of live.entries()) {
    try {
      for (const [name, feed] of Object.entries(pipeline.preprocess((decoded[i] as { value: unknown }).value, items[i].params))) {
        feeds[name] = stackInto(feeds[name], feed, row, live.length);
      }
    } catch (error) {
      // Preprocessing a decoded image fails only on a bug; the batch tensor is half-built, so all fail.
      for (const j of live) outcomes[j] = { ok: false, error };
      return outcomes;
    }
  }

  clock.lap('preprocess');
  let outputs: Record<string, TensorData>;
  try {
    outputs = await session.run(feeds, pipeline.outputs);
  } catch (error) {
    for (const i of live) outcomes[i] = { ok: false, error };
    return outcomes;
  }
  clock.lap('inference');

  for (const [row, i] of live.entries()) {
    try {
      const mine = Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, rowOf(tensor, row, live.length)]));
      const output = pipeline.postprocess(mine, (decoded[i] as { value: unknown }).value, items[i].params);
      // Each result's postprocess_ms counts from the end of inference, as a request alone would wait.
      clock.lap('postprocess');
      outcomes[i] = {
        ok: true,
        result: {
          output,
          timings: clock.timings(),
          preview: pipeline.preview?.((decoded[i] as { value: unknown }).value),
        },
      };
    } catch (error) {
      outcomes[i] = { ok: false, error };
    }
  }
  return outcomes;
}
