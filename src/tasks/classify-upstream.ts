import { hfClassify } from '../runtimes/hf-inference.js';
import type { UpstreamSession } from '../runtimes/upstream.js';
import { sniffImageFormat } from '../vision/image.js';
import type { ClassifyOutput, ClassifyParams } from './classify.js';
import { requireImage, type TaskRunner } from './types.js';
import { round6 } from '../numbers.js';
import { StageTimer } from './timing.js';

/**
 * Classification by a Hugging Face Inference API upstream (`source.kind: "hf-inference"`): the
 * encoded image goes as it is (the upstream decodes it), its `[{label, score}]` answer comes back
 * as the task's predictions, best first. The upstream names labels but no class indices, so
 * `class_id` is the label's rank in the upstream's answer. `inference_ms` is the upstream's whole
 * answer time, model-loading waits and rate-limit retries included.
 */
export function createHfInferenceClassifier(session: UpstreamSession): TaskRunner<ClassifyParams, ClassifyOutput> {
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
