import { describe, expect, it } from 'vitest';
import { compileCamera } from './config.js';
import { describeFrame } from './describe.js';
import { article, inventory, plural } from './language.js';
import { evaluateFrame, locate, priorityOf, riskOf, type Detected } from './rules.js';

/**
 * A camera looking at a yard: 100 px = 1 m (a scale homography), a restricted area 0–5 m × 0–5 m on
 * the ground and a loading bay given in image pixels.
 */
const camera = compileCamera('yard', {
  homography: { matrix: [[0.01, 0, 0], [0, 0.01, 0], [0, 0, 1]] },
  zones: [
    { name: 'restricted', polygon: [[0, 0], [5, 0], [5, 5], [0, 5]], risk: 'high' },
    { name: 'bay', space: 'image', polygon: [[600, 0], [1000, 0], [1000, 1000], [600, 1000]], risk: 'low' },
  ],
  rules: [
    { type: 'count', classes: ['person'], above: 2, risk: 'medium', name: 'crowd' },
    { type: 'in_zone', zone: 'restricted', classes: ['person'] },
    { type: 'proximity', classes: ['truck'], near: ['person'], within: 4, risk: 'critical', name: 'truck-near-person' },
    { type: 'in_zone', zone: 'bay', name: 'bay-occupied' },
    { type: 'speed', above: 3, risk: 'low' },
  ],
});

/** An object whose feet (bottom-centre of the box) stand at ground (x, y) metres. */
function at(label: string, x: number, y: number, confidence = 0.9): Detected {
  return { label, confidence, box: { x1: x * 100 - 20, y1: y * 100 - 150, x2: x * 100 + 20, y2: y * 100 } };
}

function analyse(detections: Detected[]) {
  const located = detections.map((d) => locate(camera, d));
  const events = evaluateFrame(camera, located);
  return { located, events, risk: riskOf(events), description: describeFrame(located.map((l) => l.object.label), events) };
}

describe('frame rules', () => {
  it('places objects on the ground and in their highest-risk zone', () => {
    const { located } = analyse([at('person', 2, 3), at('truck', 7, 3), at('dog', 20, 20)]);
    expect(located[0].object).toMatchObject({ ground: { x: 2, y: 3 }, zone: 'restricted' });
    expect(located[1].object).toMatchObject({ ground: { x: 7, y: 3 }, zone: 'bay' });
    expect(located[2].object.zone).toBeUndefined();
  });

  it('class in zone: people in restricted, one event listing them', () => {
    const { events, risk } = analyse([at('person', 1, 1), at('person', 4, 4), at('person', 6, 6), at('truck', 2, 2)]);
    const zone = events.find((e) => e.rule === 'in_zone_1')!;
    expect(zone).toEqual({ rule: 'in_zone_1', type: 'in_zone', risk_level: 'high', objects: [0, 1], message: '2 people in zone restricted', zone: 'restricted' });
    expect(risk).toBe('critical'); // the truck is 1.4 m from a person
  });

  it('count above N, in the frame', () => {
    expect(analyse([at('person', 12, 12), at('person', 13, 12)]).events).toEqual([]);
    const { events } = analyse([at('person', 12, 12), at('person', 13, 12), at('person', 14, 12)]);
    expect(events).toEqual([{ rule: 'crowd', type: 'count', risk_level: 'medium', objects: [0, 1, 2], count: 3, message: '3 people in view, more than 2' }]);
  });

  it('count above N inside a zone counts only the objects in that zone', () => {
    const lobby = compileCamera('lobby', {
      zones: [{ name: 'queue', space: 'image', polygon: [[0, 0], [500, 0], [500, 500], [0, 500]], risk: 'medium' }],
      rules: [{ type: 'count', classes: ['person'], above: 1, zone: 'queue' }],
    });
    const people = [at('person', 1, 2), at('person', 3, 4), at('person', 8, 4), at('dog', 2, 2)];
    const events = evaluateFrame(lobby, people.map((d) => locate(lobby, d)));
    expect(events).toEqual([{ rule: 'count_0', type: 'count', risk_level: 'medium', zone: 'queue', objects: [0, 1], count: 2, message: '2 people in zone queue, more than 1' }]);
    expect(evaluateFrame(lobby, people.slice(1).map((d) => locate(lobby, d)))).toEqual([]);
  });

  it('proximity on the ground: one event per pair, closest first, with the distance', () => {
    const { events } = analyse([at('person', 10, 10), at('truck', 13, 10), at('person', 10, 11.5), at('person', 20, 20)]);
    const near = events.filter((e) => e.type === 'proximity');
    expect(near.map((e) => [e.objects, e.distance_m, e.message])).toEqual([
      [[1, 0], 3, 'a truck 3.0 m from a person'],
      [[1, 2], 3.35, 'a truck 3.4 m from a person'],
    ]);
    expect(near[0].risk_level).toBe('critical');
  });

  it('runs rules in their order; the frame takes the highest risk and its priority', () => {
    const { events, risk } = analyse([at('person', 1, 1), at('person', 2, 2), at('person', 3, 3), at('car', 8, 5)]);
    expect(events.map((e) => e.rule)).toEqual(['crowd', 'in_zone_1', 'bay-occupied']);
    expect(events.map((e) => e.risk_level)).toEqual(['medium', 'high', 'low']);
    expect(risk).toBe('high');
    expect(priorityOf(risk, camera.priorities)).toBe('P2');
    expect(priorityOf('none', camera.priorities)).toBe('P5');
    expect(riskOf([])).toBe('none');
  });

  it('describes the frame in one grammatical sentence', () => {
    expect(analyse([at('person', 1, 1), at('person', 4, 4), at('truck', 7.1, 4)]).description).toBe(
      '2 people in zone restricted; a truck 3.1 m from a person; a truck in zone bay.',
    );
    expect(analyse([at('person', 1, 1)]).description).toBe('A person in zone restricted.');
    expect(analyse([at('person', 20, 20), at('umbrella', 21, 20), at('bus', 22, 20), at('bus', 23, 20)]).description).toBe(
      'A person, an umbrella and 2 buses in view; no rule triggered.',
    );
    expect(analyse([]).description).toBe('Nothing of interest in view.');
  });
});

describe('English helpers', () => {
  it('pluralises COCO labels and picks articles', () => {
    expect(['person', 'bus', 'knife', 'bench', 'sheep', 'traffic light', 'wine glass', 'skis', 'mouse', 'toothbrush', 'giraffe', 'sandwich'].map(plural)).toEqual([
      'people', 'buses', 'knives', 'benches', 'sheep', 'traffic lights', 'wine glasses', 'skis', 'mice', 'toothbrushes', 'giraffes', 'sandwiches',
    ]);
    expect(['apple', 'umbrella', 'unicorn', 'hour', 'car', 'oven'].map(article)).toEqual(['an', 'an', 'a', 'an', 'a', 'an']);
    expect(inventory(['car', 'person', 'car'])).toBe('2 cars and a person');
  });
});
