import { describe, expect, it } from 'vitest';
import { countPhrase, objectsSentence, plural, templatedCaption, templatedDescription, type Found } from './templated.js';

const at = (label: string, x1: number, y1: number, x2: number, y2: number, confidence = 0.9): Found => ({ label, confidence, box: { x1, y1, x2, y2 } });

describe('templated sentences', () => {
  it('pluralises COCO labels', () => {
    expect(['person', 'bus', 'knife', 'sheep', 'teddy bear', 'wine glass', 'bench', 'skis'].map(plural)).toEqual(['people', 'buses', 'knives', 'sheep', 'teddy bears', 'wine glasses', 'benches', 'skis']);
  });

  it('counts, most frequent first', () => {
    const found = [at('bus', 0, 0, 1, 1), at('person', 0, 0, 1, 1), at('person', 0, 0, 1, 1), at('umbrella', 0, 0, 1, 1)];
    expect(countPhrase(found)).toBe('2 people, a bus and an umbrella');
    expect(objectsSentence(found)).toBe('Detected 2 people, a bus and an umbrella.');
    expect(objectsSentence([])).toBe('No objects were detected.');
  });

  it('adds the classifier and OCR to a caption when they are given', () => {
    expect(templatedCaption({ width: 10, height: 10, detections: [at('cat', 0, 0, 5, 5)], classification: { label: 'tabby', confidence: 0.61 }, text: '  OPEN\n 24h ' }))
      .toBe('An image with a cat. It looks most like a tabby (61%). Visible text: "OPEN 24h".');
    expect(templatedCaption({ width: 10, height: 10, detections: [] })).toBe('An image in which the detector found no objects.');
  });

  it('says where objects are in a description', () => {
    const text = templatedDescription({ width: 300, height: 300, detections: [at('person', 0, 100, 60, 200, 0.8), at('bus', 100, 100, 200, 200, 0.95)] });
    expect(text).toBe('An image with a person and a bus. In detail: a bus in the centre (11% of the frame, 95% confidence); a person on the left (7% of the frame, 80% confidence).');
  });
});
