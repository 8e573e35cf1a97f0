/**
 * Native scene analysis in the drone service's words: its six labels, its two risk levels, integer
 * boxes, a caption, and its error codes. Translation only; the analysis is Argus's `analyze` task.
 */
import type { ErrorBody } from '../../../errors.js';
import type { JobRecord } from '../../../jobs/types.js';

type DroneLabel = 'person' | 'vehicle' | 'fire' | 'smoke' | 'accident' | 'unknown';

/** The original's COCO mapping (person=0 → person; car=2, motorcycle=3, bus=5, truck=7 → vehicle), by name. */
const LABELS: Readonly<Record<string, DroneLabel>> = {
  person: 'person',
  car: 'vehicle',
  motorcycle: 'vehicle',
  bus: 'vehicle',
  truck: 'vehicle',
  // Only a model trained on them emits these; the original's rule reads them the same way.
  fire: 'fire',
  smoke: 'smoke',
  accident: 'accident',
};

/** The labels that make a frame's risk `high`, as the original's `_infer_risk`. */
const HIGH_RISK: ReadonlySet<DroneLabel> = new Set(['fire', 'smoke', 'accident']);

/** An object of a native analyze result (the fields used here). */
interface NativeObject {
  label: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

/** A native analyze result (the fields used here). */
export interface NativeAnalysis {
  id: string;
  objects: NativeObject[];
  description: string;
  ref?: Record<string, string>;
}

/** The original's objects: its label, the confidence, and the box truncated to integers (`int(x)`). */
export function droneObjects(objects: readonly NativeObject[]) {
  return objects.map((o) => ({
    label: LABELS[o.label.toLowerCase()] ?? ('unknown' as const),
    confidence: o.confidence,
    bbox_xyxy: [o.box.x1, o.box.y1, o.box.x2, o.box.y2].map(Math.trunc),
  }));
}

/** The original's `AnalyzeResult` of a native analysis; the result id is the job's id. */
export function droneResult(analysis: NativeAnalysis) {
  const objects = droneObjects(analysis.objects);
  return {
    result_id: analysis.id,
    image_id: analysis.ref?.image_id ?? '',
    risk_level: objects.some((o) => HIGH_RISK.has(o.label)) ? ('high' as const) : ('normal' as const),
    objects,
    caption: analysis.description,
  };
}

/** SQLite's `datetime('now')`, which the original stored as `created_at`: "YYYY-MM-DD HH:MM:SS" in UTC. */
export function sqliteTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A finished analysis job as the original's `GET /v1/result/{id}` answered its stored row. */
export function storedResult(job: JobRecord) {
  const result = droneResult(job.result as NativeAnalysis);
  const ref = (job.result as NativeAnalysis).ref ?? {};
  return {
    analysis_id: job.id,
    request_id: ref.request_id ?? '',
    risk_level: result.risk_level,
    objects: result.objects,
    caption: result.caption,
    created_at: sqliteTime(job.finished_at ?? job.created_at),
    image_id: result.image_id,
    image_path: null,
    image_sha256: ref.image_sha256 ?? '',
  };
}

/**
 * Argus failures named as the original named its exceptions where the failure is the same one:
 * bad base64 was `binascii.Error`, bytes that are no image PIL's `UnidentifiedImageError`.
 */
const EXCEPTION_NAMES: Readonly<Record<string, string>> = {
  invalid_base64: 'Error',
  missing_image: 'UnidentifiedImageError',
  unsupported_media_type: 'UnidentifiedImageError',
  invalid_image: 'UnidentifiedImageError',
};

/** The original's `error_code` for a failed analysis: `INTERNAL_ERROR: <name>`; Argus's code where the original had no such failure. */
export function droneErrorCode(error: ErrorBody): string {
  return `INTERNAL_ERROR: ${EXCEPTION_NAMES[error.code] ?? error.code}`;
}

/** Whether a job is an analysis this surface can answer for: the `analyze` task, run with the original's ids. */
export function isDroneJob(job: JobRecord): boolean {
  const ref = (job.params as { ref?: Record<string, string> } | undefined)?.ref;
  return job.task === 'analyze' && typeof ref?.request_id === 'string' && typeof ref.image_id === 'string';
}
