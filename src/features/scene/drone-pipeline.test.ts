import { describe, expect, it } from 'vitest';
import { readDronePipeline } from './drone-pipeline.js';

describe("the drone service's pipeline_config.json", () => {
  it('names the detector by its checkpoint file, as the original passed it to Ultralytics', () => {
    expect(readDronePipeline({ use_yolo: true, yolo_model: 'yolov8n.pt', use_blip: true, blip_model: 'Salesforce/blip-image-captioning-base' }))
      .toEqual({ settings: { detector: 'yolov8n', unusedCaptioner: 'Salesforce/blip-image-captioning-base' }, problems: [] });
    expect(readDronePipeline({ yolo_model: 'weights/YOLO11n.pt' }).settings?.detector).toBe('yolo11n');
    expect(readDronePipeline({ yolo_model: 'yolov8n' }).settings?.detector).toBe('yolov8n');
  });

  it('leaves the default detector without yolo_model, and says which captioner is not run', () => {
    // The original captioned with BLIP base unless use_blip was false.
    expect(readDronePipeline({ use_yolo: true })).toEqual({ settings: { detector: undefined, unusedCaptioner: 'Salesforce/blip-image-captioning-base' }, problems: [] });
    expect(readDronePipeline({ use_blip: false }).settings).toEqual({ detector: undefined, unusedCaptioner: undefined });
  });

  it('is absent from a native pipeline file, and refuses use_yolo: false', () => {
    expect(readDronePipeline({})).toEqual({ problems: [] });
    expect(readDronePipeline({ use_yolo: false }).problems[0]).toMatch(/^\/use_yolo: false asked the original for stub detections/);
  });
});
