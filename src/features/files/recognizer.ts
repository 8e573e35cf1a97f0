/**
 * Which model recognizes stored images, and how its answer becomes a stored recognition. A
 * zero-shot CLIP model chooses among the configured label set (the 196 Stanford Cars classes by
 * default), each label put as a prompt; a fixed-label classifier (squeezenet's ImageNet-1000, a
 * Hugging Face ViT, a Hugging Face Inference API upstream) answers with its own labels.
 */
import type { Config } from '../../config/load.js';
import { errors } from '../../errors.js';
import { round4 } from '../../numbers.js';
import type { Catalog } from '../../models/catalog.js';
import { loadLabelSet, type LabelSet } from '../../models/labelsets.js';
import type { Manifest } from '../../models/manifest.js';
import type { Recognition, StoredPrediction } from '../../store/files.js';
import type { InferenceService, TaskRequest, TaskResult } from '../../service/inference.js';

/** The model that answers, and for a zero-shot model the labels it chooses from. */
export interface Recognizer {
  manifest: Manifest;
  /** Present for a zero-shot (CLIP-style) model. */
  labelSet?: LabelSet;
  /** Why this model: configured, the first CLIP model installed, or the default classifier. */
  reason: 'configured' | 'clip-installed' | 'default-classifier';
}

/** Most labels a zero-shot request may carry (the classify task's own limit). */
const MAX_ZERO_SHOT_LABELS = 256;

export class RecognizerChoice {
  private labelSet?: LabelSet;

  constructor(private readonly deps: { catalog: Catalog; config: Config; service: InferenceService }) {}

  /** The configured label set, read once; an unreadable one is a clear 503 naming the setting. */
  private labels(): LabelSet {
    if (!this.labelSet) {
      try {
        this.labelSet = loadLabelSet(this.deps.config.recognizeLabels);
      } catch (error) {
        throw errors.modelUnavailable('recognizer', `${(error as Error).message} (ARGUS_RECOGNIZE_LABELS).`);
      }
      if (this.labelSet.labels.length > MAX_ZERO_SHOT_LABELS) {
        throw errors.modelUnavailable('recognizer', `label set ${this.labelSet.name} has ${this.labelSet.labels.length} labels; a zero-shot model takes at most ${MAX_ZERO_SHOT_LABELS}.`);
      }
    }
    return this.labelSet;
  }

  /** The model for a recognition now: `recognizeModel`, else an installed CLIP model, else the default classifier. */
  current(): Recognizer {
    const { catalog, config, service } = this.deps;
    const withLabels = (manifest: Manifest, reason: Recognizer['reason']): Recognizer =>
      (manifest.output?.format === 'clip' ? { manifest, labelSet: this.labels(), reason } : { manifest, reason });
    if (config.recognizeModel) return withLabels(catalog.requireForTask(config.recognizeModel, 'classify'), 'configured');
    const clip = catalog.list().map((e) => e.manifest).find((m) => m.task === 'classify' && m.output?.format === 'clip' && catalog.availability(m).available);
    if (clip) return withLabels(clip, 'clip-installed');
    const fallback = service.defaultModel('classify');
    if (!fallback) throw errors.modelNotInstalled('classify', 'no classifier is installed to recognize images; install squeezenet or a CLIP model (argus models pull clip).');
    return withLabels(fallback, 'default-classifier');
  }

  /** A notice for /healthz when the recognizer is not a zero-shot car model, or undefined. */
  notice(): string | undefined {
    try {
      const chosen = this.current();
      if (chosen.reason !== 'default-classifier') return undefined;
      return `Notice: no CLIP model is installed, so /inference answers with ${chosen.manifest.alias} (its own labels, e.g. ImageNet classes, not car models); `
        + 'pull one (argus models pull clip) or set ARGUS_RECOGNIZE_MODEL.';
    } catch (error) {
      return `Notice: /inference cannot recognize images: ${(error as Error).message}`;
    }
  }
}

/** The classify request for one image by this recognizer. */
export function recognitionRequest(recognizer: Recognizer, config: Config, image: { bytes: Uint8Array }): TaskRequest {
  const { labelSet } = recognizer;
  const params = labelSet
    ? { top_k: Math.min(config.recognizeTopK, labelSet.labels.length), labels: labelSet.labels.map((label) => config.recognizePrompt.replaceAll('{label}', label)) }
    : { top_k: config.recognizeTopK };
  return { task: 'classify', model: recognizer.manifest.alias, params, image };
}

/**
 * A classify result as a stored recognition: a zero-shot model's prompts mapped back to their
 * labels, confidences rounded to 4 places as the original stored and answered them (`round(score, 4)`).
 */
export function recognitionOf(recognizer: Recognizer, result: TaskResult): Recognition {
  const predictions = result.predictions as StoredPrediction[];
  const labels = recognizer.labelSet?.labels;
  return {
    model: result.model,
    ...(recognizer.labelSet && { labelSet: recognizer.labelSet.name }),
    predictions: predictions.map((p) => ({ label: labels?.[p.class_id] ?? p.label, class_id: p.class_id, confidence: round4(p.confidence) })),
    timings: { ...result.timings },
    processedAt: Date.now(),
  };
}
