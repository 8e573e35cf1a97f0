/**
 * The drone/CCTV analysis service's `pipeline_config.json` (`{use_yolo, yolo_model, use_blip,
 * blip_model}`), accepted as (part of) Argus's pipeline config file so an operator can point
 * ARGUS_PIPELINE_CONFIG at the original file unchanged. It only says which detector the original's
 * API (`POST /v1/analyze` with its body, `/v1/analyze_async`) analyses frames with.
 */
import { basename, extname } from 'node:path';
import Type from 'typebox';

/** The original file's keys, as optional members of the pipeline file's schema. */
export const DronePipelineKeys = {
  use_yolo: Type.Optional(Type.Boolean({ description: "The drone service's pipeline_config.json: must be true (Argus always runs a detector)." })),
  yolo_model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The drone service's detector, e.g. yolov8n.pt: the Argus model of that name (yolov8n) analyses its API's frames." })),
  use_blip: Type.Optional(Type.Boolean({ description: 'Accepted; Argus runs no BLIP: captions are its description sentence.' })),
  blip_model: Type.Optional(Type.String({ maxLength: 200, description: 'Accepted and not used (see use_blip).' })),
};

/** What the original's settings mean for Argus. */
export interface DronePipeline {
  /** The detector alias for the original API's frames; the default detector when undefined. */
  detector?: string;
  /** The captioner the file asked for (`blip_model` with `use_blip`), which Argus does not run. */
  unusedCaptioner?: string;
}

type DroneKeys = { use_yolo?: boolean; yolo_model?: string; use_blip?: boolean; blip_model?: string };

/** The original's BLIP default, which it used when the file named none. */
const ORIGINAL_BLIP = 'Salesforce/blip-image-captioning-base';

/**
 * Reads the original's keys of a parsed pipeline file: `yolo_model` becomes an Argus alias
 * (`yolov8n.pt` → `yolov8n`: the original passed Ultralytics a checkpoint file name). Returns the
 * problems instead when the file asks for what Argus will not do: `use_yolo: false` meant the
 * original's fixed stub detections, which Argus does not fake.
 */
export function readDronePipeline(file: DroneKeys): { settings?: DronePipeline; problems: string[] } {
  const present = ['use_yolo', 'yolo_model', 'use_blip', 'blip_model'].some((key) => key in file);
  if (!present) return { problems: [] };
  if (file.use_yolo === false) {
    return { problems: ["/use_yolo: false asked the original for stub detections; Argus always runs a detector (set it to true, or remove it and name the detector in yolo_model)"] };
  }
  const detector = file.yolo_model === undefined ? undefined : basename(file.yolo_model, extname(file.yolo_model)).toLowerCase();
  // The original captioned unless told not to; Argus says so at start rather than pretend.
  const unusedCaptioner = file.use_blip === false ? undefined : (file.blip_model ?? ORIGINAL_BLIP);
  return { settings: { detector, unusedCaptioner }, problems: [] };
}
