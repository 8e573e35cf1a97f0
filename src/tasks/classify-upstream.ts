import { hfClassify } from '../runtimes/hf-inference.js';
import { isUpstreamSession, type UpstreamSession } from '../runtimes/upstream.js';
import { sniffImageFormat } from '../vision/image.js';
import { sessionFamily } from './family.js';
import type { Prediction } from './scores.js';
import { requireImage, type TaskRunner } from './types.js';

/** What this family reads of classify's params and gives back (classify.ts's types, which it must not import). */
type Params = { top_k: number };
type Output = { predictions: Prediction[] };
import { round6 } from '../numbers.js';
import { StageTimer } from './timing.js';

/**
 * Classification by a Hugging Face Inference API upstream (`source.kind: "hf-inference"`): the
 * encoded image goes as it is (the upstream decodes it), its `[{label, score}]` answer comes back
 * as the task's predictions, best first. The upstream names labels but no class indices, so
 * `class_id` is the label's rank in the upstream's answer. `inference_ms` is the upstream's whole
 * answer time, model-loading waits and rate-limit retries included.
 */
export function createHfInferenceClassifier(session: UpstreamSession): TaskRunner<Params, Output> {
  return {
    async run(input, params, context = {}) {
      const bytes = requireImage(input);
      const clock = new StageTimer();
      const answer = await hfClassify(session, bytes, `image/${sniffImageFormat(bytes) ?? 'jpeg'}`, { signal: context.signal });
      clock.lap('inference');
      const ranked = [...answer].sort((a, b) => b.score - a.score);
      const predictions = ranked.slice(0, params.top_k).map((item, rank) => ({ label: item.label, class_id: rank, confidence: round6(item.score) }));
      clock.lap('postprocess');
      return { output: { predictions }, timings: clock.timings() };
    },
  };
}

/** The classify family of Hugging Face Inference API upstreams (runtime `upstream`, `source.kind: "hf-inference"`). */
export const hfInferenceClassifyFamily = sessionFamily<UpstreamSession, Params, Output>({
  name: 'hf-inference upstream',
  session: isUpstreamSession,
  when: (_model, session) => session.kind === 'hf-inference',
  create: (_model, session) => Promise.resolve(createHfInferenceClassifier(session)),
});
