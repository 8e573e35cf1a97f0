import { describe, expect, it } from 'vitest';
import { distanceToSegment, footPoint, iou, pointInPolygon, polygonArea, segmentsIntersect, selfIntersection } from './geometry.js';
import type { Point } from './homography.js';

const square: Point[] = [[0, 0], [10, 0], [10, 10], [0, 10]];

describe('geometry', () => {
  it('tests points against polygons, edges included', () => {
    expect(pointInPolygon([5, 5], square)).toBe(true);
    expect(pointInPolygon([10, 5], square)).toBe(true);
    expect(pointInPolygon([10.01, 5], square)).toBe(false);
    const ell: Point[] = [[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10]];
    expect(pointInPolygon([7, 7], ell)).toBe(false);
    expect(pointInPolygon([2, 7], ell)).toBe(true);
  });

  it('finds crossing segments and self-intersecting polygons', () => {
    expect(segmentsIntersect([0, 0], [10, 10], [0, 10], [10, 0])).toBe(true);
    expect(segmentsIntersect([0, 0], [4, 4], [5, 5], [10, 0])).toBe(false);
    expect(segmentsIntersect([0, 0], [5, 5], [5, 5], [10, 0])).toBe(true);
    expect(selfIntersection(square)).toBeUndefined();
    expect(selfIntersection([[0, 0], [10, 10], [10, 0], [0, 10]])).toEqual([0, 2]);
  });

  it('measures areas, distances, feet and overlaps', () => {
    expect(polygonArea(square)).toBe(100);
    expect(polygonArea([...square].reverse())).toBe(-100);
    expect(distanceToSegment([5, 3], [0, 0], [10, 0])).toBe(3);
    expect(distanceToSegment([13, 4], [0, 0], [10, 0])).toBe(5);
    expect(footPoint({ x1: 10, y1: 20, x2: 30, y2: 80 })).toEqual([20, 80]);
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 5, y1: 0, x2: 15, y2: 10 })).toBeCloseTo(50 / 150, 12);
    expect(iou({ x1: 0, y1: 0, x2: 10, y2: 10 }, { x1: 20, y1: 0, x2: 30, y2: 10 })).toBe(0);
  });
});
