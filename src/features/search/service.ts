/**
 * Similarity search: image embeddings kept in the vector index (`embed` with `store: true`, or the
 * files API through `indexImage`), searched by image, by text (CLIP) or by a stored id. Both the
 * storing and the search run on the one request path: storing is a result hook of the `embed`
 * worker task, search is a composite task, so both work synchronously, as async jobs and from the CLI.
 */
import Type, { type Static } from 'typebox';
import type { Logger } from 'pino';
import type { Config } from '../../config/load.js';
import { errors } from '../../errors.js';
import type { VectorHit, VectorStore } from '../../store/vectors.js';
import type { EmbedParams } from '../../tasks/params/embed.js';
import { l2Normalize } from '../../tasks/scores.js';
import type { StageTimings } from '../../tasks/types.js';
import type { CompositeCall, ImageInput, InferenceService, TaskRequest, TaskResult } from '../../service/inference.js';
import { round2 } from '../../numbers.js';

/** The search parameters, with `k` bounded by the configured `searchMaxK` (so a job asking for more is refused at submit). */
export function searchParams(maxK?: number) {
  return Type.Object(
    {
      k: Type.Integer({ minimum: 1, ...(maxK !== undefined && { maximum: maxK }), default: 10, description: 'How many nearest stored images to return (at most searchMaxK, 100 by default).' }),
      id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Search by a stored embedding: its id. Send no image and no text with it.' })),
    },
    { additionalProperties: false },
  );
}

/** The search parameters as documented (the service also applies the configured maximum of `k`). */
export const SearchParams = searchParams();
export type SearchParams = Static<typeof SearchParams>;

export interface SearchHit {
  id: string;
  score: number;
  metadata?: Record<string, unknown>;
  created_at: string;
}

export interface SearchDeps {
  service: InferenceService;
  store: VectorStore;
  config: Config;
  log: Logger;
}

const ZERO_STAGES: StageTimings = { decode_ms: 0, preprocess_ms: 0, inference_ms: 0, postprocess_ms: 0 };

function hitView(hit: VectorHit): SearchHit {
  return { id: hit.id, score: hit.score, ...(hit.metadata && { metadata: hit.metadata }), created_at: new Date(hit.createdAt).toISOString() };
}

/** The search logic and the vector index's one owner; routes and the future files API call it. */
export class SearchService {
  constructor(private readonly deps: SearchDeps) {}

  /**
   * Keeps an `embed` result asked to be stored (`store: true`) under the result's id, owned by the
   * request's key; the hook of the embed task.
   */
  readonly keep = async (result: TaskResult, params: unknown, request?: TaskRequest): Promise<Record<string, unknown>> => {
    const { store, metadata } = params as EmbedParams;
    if (!store) return { stored: false };
    const vector = l2Normalize(result.embedding as number[]);
    await this.deps.store.put({ id: result.id, model: result.model.alias, vector, metadata, createdAt: Date.now(), owner: request?.owner });
    return { stored: true };
  };

  /**
   * Embeds an image and keeps it under `id` (the files API indexes uploads this way, owned by the
   * file's owner), replacing what that id held. Uses the default embedding model unless one is named.
   */
  async indexImage(id: string, image: ImageInput, options: { model?: string; metadata?: Record<string, unknown>; owner?: string } = {}): Promise<TaskResult> {
    const result = await this.deps.service.run({ task: 'embed', model: options.model, image, params: { normalize: true }, owner: options.owner });
    await this.deps.store.put({ id, model: result.model.alias, vector: Float32Array.from(result.embedding as number[]), metadata: options.metadata, createdAt: Date.now(), owner: options.owner });
    return result;
  }

  /** Deletes a stored embedding; false when there was none (the files API calls this when a file goes). */
  forget(id: string): Promise<boolean> {
    return this.deps.store.delete(id);
  }

  /**
   * Deletes a stored embedding, or a 404 when there is none with that id. With `owner` (an
   * inference key's id), another owner's embedding is not found either.
   */
  async remove(id: string, owner?: string): Promise<void> {
    if (!(await this.deps.store.delete(id, owner))) throw errors.embeddingNotFound(id);
  }

  /** The search composite: the query's embedding (computed, or a stored one), then its nearest stored neighbours. */
  readonly search = async (call: CompositeCall) => {
    const params = call.params as SearchParams;
    const { searchMaxK } = this.deps.config;
    if (params.k > searchMaxK) throw errors.invalidParams(`k is ${params.k}; at most ${searchMaxK} results can be asked for (searchMaxK).`);
    const hasText = typeof call.text === 'string' && call.text.length > 0;
    if (params.id !== undefined && (call.image || hasText)) throw errors.badRequest('Search by an image, a text or a stored id: one of them, not several.');
    if (params.id === undefined && !call.image && !hasText) {
      throw errors.missingImage('search needs a query: an image, a text (CLIP models), or {"id": "<stored id>"}.');
    }

    let model: TaskResult['model'];
    let vector: Float32Array;
    let timings: StageTimings & { queue_ms?: number } = ZERO_STAGES;
    let query: { type: 'image' | 'text' | 'id'; id?: string };
    if (params.id !== undefined) {
      // Another key's embedding is not found, as one that does not exist.
      const entry = await this.deps.store.get(params.id, call.owner);
      if (!entry) throw errors.embeddingNotFound(params.id);
      if (call.model && call.model.toLowerCase() !== entry.model) {
        throw errors.badRequest(`Embedding '${params.id}' was stored with model '${entry.model}', not '${call.model}'; leave the model out.`);
      }
      ({ vector } = entry);
      model = { alias: entry.model };
      query = { type: 'id', id: params.id };
    } else {
      const embedded = await call.run({ task: 'embed', model: call.model, image: call.image, text: hasText ? call.text : undefined, params: { normalize: true } });
      vector = Float32Array.from(embedded.embedding as number[]);
      ({ model, timings } = embedded);
      query = { type: hasText ? 'text' : 'image' };
    }
    const started = performance.now();
    // An inference key searches its own embeddings; an admin key (and auth off) all of them.
    const hits = await this.deps.store.nearest(model.alias, vector, params.k, { exclude: params.id, owner: call.owner });
    const { decode_ms, preprocess_ms, inference_ms, postprocess_ms, queue_ms = 0 } = timings;
    return {
      model,
      query,
      results: hits.map(hitView),
      timings: { decode_ms, preprocess_ms, inference_ms, postprocess_ms, queue_ms, search_ms: round2(performance.now() - started) },
    };
  };
}

/** Registers search on the inference service (the embed result hook and the `search` composite) and returns it. */
export function registerSearch(deps: SearchDeps): SearchService {
  const search = new SearchService(deps);
  deps.service.registerResultHook('embed', { after: search.keep });
  deps.service.registerComposite({ name: 'search', input: 'optional-image-or-text', params: searchParams(deps.config.searchMaxK), run: search.search });
  return search;
}
