import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../jobs/types.js';
import { droneErrorCode, droneResult, isDroneJob, sqliteTime, storedResult } from './drone-analysis-shape.js';

const box = (x1: number, y1: number, x2: number, y2: number) => ({ x1, y1, x2, y2 });

describe("native analysis in the drone service's words", () => {
  it("maps COCO labels as the original's class ids did, and truncates boxes as int() did", () => {
    const result = droneResult({
      id: 'job-1',
      description: 'A person, a truck and a dog in view; no rule triggered.',
      ref: { request_id: 'r', image_id: 'cam/1.jpg' },
      objects: [
        { label: 'person', confidence: 0.9, box: box(10.9, 20.5, 30.99, 40.01) },
        { label: 'truck', confidence: 0.8, box: box(-0.7, 0, 5.5, 6.5) },
        { label: 'motorcycle', confidence: 0.7, box: box(1, 2, 3, 4) },
        { label: 'dog', confidence: 0.6, box: box(1, 2, 3, 4) },
      ],
    });
    expect(result).toEqual({
      result_id: 'job-1',
      image_id: 'cam/1.jpg',
      risk_level: 'normal',
      objects: [
        { label: 'person', confidence: 0.9, bbox_xyxy: [10, 20, 30, 40] },
        { label: 'vehicle', confidence: 0.8, bbox_xyxy: [-0, 0, 5, 6] },
        { label: 'vehicle', confidence: 0.7, bbox_xyxy: [1, 2, 3, 4] },
        { label: 'unknown', confidence: 0.6, bbox_xyxy: [1, 2, 3, 4] },
      ],
      caption: 'A person, a truck and a dog in view; no rule triggered.',
    });
    expect(JSON.stringify(result.objects[1].bbox_xyxy)).toBe('[0,0,5,6]');
  });

  it('is high risk when a model reports fire, smoke or an accident', () => {
    for (const label of ['fire', 'Smoke', 'accident']) {
      const result = droneResult({ id: 'j', description: '', objects: [{ label, confidence: 0.5, box: box(0, 0, 1, 1) }] });
      expect(result.risk_level).toBe('high');
      expect(result.objects[0].label).toBe(label.toLowerCase());
    }
  });

  it("names failures as the original's exceptions where they are the same failure", () => {
    expect(droneErrorCode({ code: 'invalid_base64', message: '' })).toBe('INTERNAL_ERROR: Error');
    expect(droneErrorCode({ code: 'unsupported_media_type', message: '' })).toBe('INTERNAL_ERROR: UnidentifiedImageError');
    expect(droneErrorCode({ code: 'model_not_found', message: '' })).toBe('INTERNAL_ERROR: model_not_found');
  });

  it("reads a finished job back as the original's stored row", () => {
    const job: JobRecord = {
      id: 'job-2', task: 'analyze', model: '', inputKey: '', status: 'succeeded', attempts: 1,
      params: { ref: { request_id: 'r-2', image_id: 'a.jpg', image_sha256: 'ab' } },
      created_at: Date.UTC(2026, 1, 9, 8, 0, 0), finished_at: Date.UTC(2026, 1, 9, 8, 0, 1, 500),
      result: { id: 'job-2', description: 'Nothing of interest in view.', objects: [], ref: { request_id: 'r-2', image_id: 'a.jpg', image_sha256: 'ab' } },
    };
    expect(isDroneJob(job)).toBe(true);
    expect(isDroneJob({ ...job, params: {} })).toBe(false);
    expect(isDroneJob({ ...job, task: 'detect' })).toBe(false);
    expect(storedResult(job)).toEqual({
      analysis_id: 'job-2', request_id: 'r-2', risk_level: 'normal', objects: [], caption: 'Nothing of interest in view.',
      created_at: '2026-02-09 08:00:01', image_id: 'a.jpg', image_path: null, image_sha256: 'ab',
    });
    expect(sqliteTime(0)).toBe('1970-01-01 00:00:00');
  });
});
