import { errors } from '../errors.js';
import type { RuntimeSession } from '../runtimes/types.js';
import { hasDynamicBatchAxis } from '../tasks/batch.js';
import { asStagedRunner, type StagedRunner } from '../tasks/pipeline.js';
import { taskDefinition } from '../tasks/table.js';
import { isRunner, type ModelContext, type Pipeline, type RunContext, type RunnerResult, type TaskDefinition, type TaskInput } from '../tasks/types.js';

/**
 * A loaded model and its task's work: what a worker process (`entry.ts`) and the API process's
 * upstream models (`remote.ts`) both hold once a session is open. Where the session comes from
 * differs (a model file and a runtime, or an HTTP client); from the session on, hosting is this.
 */
export interface HostedModel {
  readonly task: TaskDefinition;
  readonly session: RuntimeSession;
  /** The task's work in two parts, so a worker can decode a request while the previous one runs. */
  readonly runner: StagedRunner<unknown, unknown>;
  /** The template pipeline, when the session can run it over a batch (every axis 0 dynamic). */
  readonly batchPipeline?: Pipeline<unknown, unknown, unknown>;
  /** Runs one request from start to end (prepare, then finish), for hosts that do not overlap requests. */
  run(input: TaskInput, params: unknown, context?: RunContext): Promise<RunnerResult<unknown>>;
}

/** The task a model's manifest names; one missing from this build makes the model unavailable. */
export function requireTask(alias: string, name: string): TaskDefinition {
  const task = taskDefinition(name);
  if (!task) throw errors.modelUnavailable(alias, `task '${name}' is not implemented.`);
  return task;
}

export interface HostOptions {
  /**
   * Set where only a task's own runner can work (an upstream session cannot be fed tensors): a
   * template pipeline is then refused, the model unavailable for this reason.
   */
  runnerOnly?: string;
}

/** Builds the task's work for an open session (the task picks its family) and shapes it for running. */
export async function hostModel(task: TaskDefinition, model: ModelContext, options: HostOptions = {}): Promise<HostedModel> {
  const work = await task.createPipeline(model);
  if (options.runnerOnly !== undefined && !isRunner(work)) throw errors.modelUnavailable(model.alias, options.runnerOnly);
  const { session } = model;
  const runner = asStagedRunner<unknown, unknown>(work, session);
  return {
    task,
    session,
    runner,
    batchPipeline: !isRunner(work) && hasDynamicBatchAxis(session) ? work : undefined,
    run: async (input, params, context) => runner.finish(await runner.prepare(input, params), params, context),
  };
}
