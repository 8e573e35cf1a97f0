import type { RuntimeSession } from '../runtimes/types.js';
import type { ModelContext, Pipeline, TaskRunner } from './types.js';

/** What a task builds for one loaded model: a timed template pipeline, or a runner of its own. */
export type TaskWork<Params, Output> = Pipeline<Params, unknown, Output> | TaskRunner<Params, Output> | Promise<TaskRunner<Params, Output>>;

/**
 * One kind of model a task can serve (an ONNX classifier, a transformers.js VLM, an upstream
 * server, …): whether it serves a loaded model, and how. A task keeps its families in a list and
 * serves a model with the first one that accepts it ({@link familyPipeline}), so adding a kind of
 * model is one family and one line in that list. A family depends on the task's shared types
 * only, never on the task's own module.
 */
export interface TaskFamily<Params, Output> {
  /** Short name, for tests and messages ("upstream", "onnx", "transformers zero-shot"). */
  readonly name: string;
  /** Whether this family serves the model: its session's kind and what its manifest says. */
  accepts(model: ModelContext): boolean;
  /** Builds the work for a model this family accepted. */
  create(model: ModelContext): TaskWork<Params, Output>;
}

/**
 * A family for one kind of session, recognised by the runtime's type guard (and, when given, what
 * else the model must be), whose `create` gets the session already narrowed.
 */
export function sessionFamily<S extends RuntimeSession, Params, Output>(family: {
  name: string;
  session: (session: RuntimeSession) => session is S;
  when?: (model: ModelContext, session: S) => boolean;
  create: (model: ModelContext, session: S) => TaskWork<Params, Output>;
}): TaskFamily<Params, Output> {
  return {
    name: family.name,
    accepts(model) {
      const session = model.session;
      return family.session(session) && (family.when?.(model, session) ?? true);
    },
    create(model) {
      const session = model.session;
      if (!family.session(session)) throw new Error(`model ${model.alias}: family '${family.name}' was handed a session it does not serve`);
      return family.create(model, session);
    },
  };
}

/** The first family in `families` that accepts the model, if any. */
export function familyFor<Params, Output>(families: readonly TaskFamily<Params, Output>[], model: ModelContext): TaskFamily<Params, Output> | undefined {
  return families.find((family) => family.accepts(model));
}

/**
 * A task's `createPipeline` over its family list: the first family that accepts the model builds
 * the work; when none does, the task's own error says what the task can run.
 */
export function familyPipeline<Params, Output>(
  families: readonly TaskFamily<Params, Output>[],
  unsupported: (model: ModelContext) => Error,
): (model: ModelContext) => TaskWork<Params, Output> {
  return (model) => {
    const family = familyFor(families, model);
    if (!family) throw unsupported(model);
    return family.create(model);
  };
}
