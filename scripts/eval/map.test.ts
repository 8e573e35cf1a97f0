import { describe, expect, it } from 'vitest';
import { averagePrecision, COCO_IOU_THRESHOLDS, iou, meanAveragePrecision, yoloLabelToBox, type EvalBox, type EvalImage } from './map.js';

const box = (classId: number, x1: number, y1: number, x2: number, y2: number): EvalBox => ({ classId, x1, y1, x2, y2 });
const det = (b: EvalBox, score: number) => ({ ...b, score });

describe('iou', () => {
  it('is 1 for the same box, 0 for disjoint or touching ones, and the overlap ratio otherwise', () => {
    expect(iou(box(0, 0, 0, 10, 10), box(0, 0, 0, 10, 10))).toBe(1);
    expect(iou(box(0, 0, 0, 10, 10), box(0, 10, 0, 20, 10))).toBe(0);
    expect(iou(box(0, 0, 0, 10, 10), box(0, 5, 0, 15, 10))).toBeCloseTo(50 / 150, 12);
  });
});

describe('averagePrecision (101-point)', () => {
  it('is 1 when every detection is right and all truth is found', () => {
    expect(averagePrecision([true, true], 2)).toBe(1);
  });

  it('takes the best precision at or beyond each recall level', () => {
    // A false positive first, then the one truth box: precision 0.5 at recall 1, so 0.5 at every level.
    expect(averagePrecision([false, true], 1)).toBe(0.5);
    // Half the truth found with precision 1: levels 0.00 … 0.50 (51 of 101) count 1.
    expect(averagePrecision([true], 2)).toBeCloseTo(51 / 101, 12);
  });

  it('is 0 with no detections and NaN with no truth', () => {
    expect(averagePrecision([], 3)).toBe(0);
    expect(averagePrecision([true], 0)).toBeNaN();
  });
});

describe('meanAveragePrecision', () => {
  it('is 1 for detections equal to the truth', () => {
    const images: EvalImage[] = [
      { truth: [box(0, 0, 0, 10, 10), box(3, 20, 20, 60, 80)], detections: [det(box(0, 0, 0, 10, 10), 0.9), det(box(3, 20, 20, 60, 80), 0.8)] },
      { truth: [box(0, 5, 5, 50, 50)], detections: [det(box(0, 5, 5, 50, 50), 0.7)] },
    ];
    const result = meanAveragePrecision(images);
    expect(result.map50).toBe(1);
    expect(result.map50_95).toBe(1);
    expect(Object.keys(result.classes)).toEqual(['0', '3']);
    expect(result.classes[0].truth).toBe(2);
  });

  it('counts a box as found only at the thresholds its IoU reaches', () => {
    // IoU 0.62: a hit at 0.50, 0.55 and 0.60, a miss from 0.65 up.
    const truth = box(0, 0, 0, 100, 100);
    const shifted = box(0, 0, 0, 100, 62);
    expect(iou(truth, shifted)).toBeCloseTo(0.62, 12);
    const result = meanAveragePrecision([{ truth: [truth], detections: [det(shifted, 0.9)] }]);
    expect(result.classes[0].ap).toEqual(COCO_IOU_THRESHOLDS.map((t) => (t <= 0.6 ? 1 : 0)));
    expect(result.map50).toBe(1);
    expect(result.map50_95).toBeCloseTo(0.3, 12);
  });

  it('matches each truth box once: a duplicate detection is a false positive', () => {
    const truth = box(0, 0, 0, 10, 10);
    const result = meanAveragePrecision([{ truth: [truth], detections: [det(truth, 0.9), det(truth, 0.8)] }]);
    // The duplicate comes after recall reached 1, so it does not lower AP.
    expect(result.map50).toBe(1);
    const worse = meanAveragePrecision([{ truth: [truth, box(0, 50, 50, 60, 60)], detections: [det(truth, 0.9), det(truth, 0.8), det(box(0, 50, 50, 60, 60), 0.7)] }]);
    // Precision at recall 1 is 2/3; levels 0–0.5 keep precision 1.
    expect(worse.map50).toBeCloseTo((51 * 1 + 50 * (2 / 3)) / 101, 12);
  });

  it('leaves out classes with no truth, and scores 0 for truth never detected', () => {
    const images: EvalImage[] = [{
      truth: [box(0, 0, 0, 10, 10), box(1, 20, 20, 30, 30)],
      detections: [det(box(0, 0, 0, 10, 10), 0.9), det(box(7, 0, 0, 10, 10), 0.95), det(box(0, 20, 20, 30, 30), 0.5)],
    }];
    const result = meanAveragePrecision(images);
    expect(Object.keys(result.classes)).toEqual(['0', '1']);
    expect(result.classes[1].ap.every((ap) => ap === 0)).toBe(true);
    expect(result.map50).toBe(0.5);
  });

  it('ranks detections across images by score', () => {
    // Image A's false positive outranks image B's hit: precision 1/2 then 2/3 at recall 1.
    const images: EvalImage[] = [
      { truth: [box(0, 0, 0, 10, 10)], detections: [det(box(0, 0, 0, 10, 10), 0.9), det(box(0, 50, 50, 60, 60), 0.8)] },
      { truth: [box(0, 0, 0, 10, 10)], detections: [det(box(0, 0, 0, 10, 10), 0.7)] },
    ];
    expect(meanAveragePrecision(images).map50).toBeCloseTo((51 * 1 + 50 * (2 / 3)) / 101, 12);
  });
});

describe('yoloLabelToBox', () => {
  it('turns normalised centre and size into pixel corners', () => {
    expect(yoloLabelToBox('45 0.5 0.25 0.2 0.5', 640, 480)).toEqual({ classId: 45, x1: 256, y1: 0, x2: 384, y2: 240 });
  });

  it('skips blank or malformed lines', () => {
    expect(yoloLabelToBox('', 10, 10)).toBeUndefined();
    expect(yoloLabelToBox('3 0.1 0.2', 10, 10)).toBeUndefined();
    expect(yoloLabelToBox('3 a b c d', 10, 10)).toBeUndefined();
  });
});
