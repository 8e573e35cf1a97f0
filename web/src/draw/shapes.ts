import type { Box, Camera, TaskResult } from '../api';
import { classColour, RISK_COLOURS } from './colours';
import { invert3, project } from './homography';

/**
 * What a result looks like drawn over its image, in the image's pixels (after EXIF orientation,
 * as every result's coordinates are). Read from the fields results share (`detections`,
 * `objects`, `faces`, `people`, `lines`, `polygon`/`mask`), so the overlay does not care which
 * route answered.
 */
export type Shape =
  | { kind: 'box'; box: Box; colour: string; label?: string; emphasis?: boolean }
  | { kind: 'polygon'; points: Array<[number, number]>; colour: string; label?: string; fill?: boolean; dashed?: boolean }
  | { kind: 'point'; x: number; y: number; colour: string; label?: string }
  | { kind: 'line'; from: [number, number]; to: [number, number]; colour: string }
  /** A bitmap mask (white = inside) tinted with `colour`, stretched over `box`. */
  | { kind: 'mask'; href: string; box: Box; colour: string };

/** One entry of the legend: a class (or other kind of mark) with its colour and count. */
export interface LegendEntry {
  label: string;
  colour: string;
  count: number;
}

type Thing = Record<string, unknown>;

const things = (value: unknown): Thing[] => (Array.isArray(value) ? value.filter((v): v is Thing => typeof v === 'object' && v !== null) : []);
const isBox = (value: unknown): value is Box => typeof value === 'object' && value !== null && ['x1', 'y1', 'x2', 'y2'].every((k) => typeof (value as Thing)[k] === 'number');
const conf = (value: unknown) => (typeof value === 'number' ? ` ${value.toFixed(2)}` : '');
const points = (value: unknown): Array<[number, number]> | undefined =>
  Array.isArray(value) && value.length >= 3 && value.every((p) => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number')
    ? (value as Array<[number, number]>)
    : undefined;

// COCO's 17 keypoints joined as in the COCO and MoveNet skeletons.
const SKELETON: Array<[string, string]> = [
  ['nose', 'left_eye'], ['nose', 'right_eye'], ['left_eye', 'left_ear'], ['right_eye', 'right_ear'],
  ['left_shoulder', 'right_shoulder'], ['left_shoulder', 'left_elbow'], ['left_elbow', 'left_wrist'],
  ['right_shoulder', 'right_elbow'], ['right_elbow', 'right_wrist'], ['left_shoulder', 'left_hip'],
  ['right_shoulder', 'right_hip'], ['left_hip', 'right_hip'], ['left_hip', 'left_knee'], ['left_knee', 'left_ankle'],
  ['right_hip', 'right_knee'], ['right_knee', 'right_ankle'],
];
const KEYPOINT_MIN_SCORE = 0.3;
// A whole-image mask (person segmentation): cyan, which stands out on skin, clothes and most scenes.
const MASK_COLOUR = '#00c2ff';
const LIMB_COLOURS = { left: '#00c2ff', right: '#ff9d97', centre: '#ffb21d' };
const side = (name: string) => (name.startsWith('left') ? LIMB_COLOURS.left : name.startsWith('right') ? LIMB_COLOURS.right : LIMB_COLOURS.centre);

/**
 * A mask given as a PNG: a base64 string, a data: URL, or an object holding one (`png`, `data`,
 * `image`, `data_url`). It covers `box` (the object's box), or the whole image when the mask says
 * it has the image's size.
 */
function maskImage(value: unknown, box: Box | undefined, size: { width?: number; height?: number }): { href: string; box: Box } | undefined {
  const object = typeof value === 'object' && value !== null ? (value as Thing) : undefined;
  const raw = typeof value === 'string' ? value : [object?.png, object?.data_url, object?.data, object?.image].find((v): v is string => typeof v === 'string');
  if (!raw) return undefined;
  const href = raw.startsWith('data:') ? raw : `data:image/png;base64,${raw}`;
  const whole = size.width && size.height ? { x1: 0, y1: 0, x2: size.width, y2: size.height } : undefined;
  const fullSize = object && object.width === size.width && object.height === size.height;
  const where = isBox(object?.box) ? object.box : fullSize || !box ? whole : box;
  return where && { href, box: where };
}

/** Labelled boxes (detections, scene objects), with masks when a result carries them. */
function labelled(items: Thing[], size: { width?: number; height?: number }, highlighted: Set<number> = new Set()): Shape[] {
  return items.flatMap((item, index): Shape[] => {
    const label = typeof item.label === 'string' ? item.label : 'object';
    const colour = classColour(label, typeof item.class_id === 'number' ? item.class_id : undefined);
    const mask = points(item.polygon) ?? points((item.mask as Thing | undefined)?.polygon);
    const bitmap = mask ? undefined : maskImage(item.mask, isBox(item.box) ? item.box : undefined, size);
    const shapes: Shape[] = mask ? [{ kind: 'polygon', points: mask, colour, fill: true }] : bitmap ? [{ kind: 'mask', ...bitmap, colour }] : [];
    if (isBox(item.box)) shapes.push({ kind: 'box', box: item.box, colour, label: `${label}${conf(item.confidence)}`, emphasis: highlighted.has(index) });
    const ground = item.ground as { x?: unknown; y?: unknown } | undefined;
    if (isBox(item.box) && typeof ground?.x === 'number' && typeof ground.y === 'number') {
      // The ground point is the bottom-centre of the box, through the homography.
      shapes.push({ kind: 'point', x: (item.box.x1 + item.box.x2) / 2, y: item.box.y2, colour, label: `${ground.x.toFixed(1)}, ${ground.y.toFixed(1)} m` });
    }
    return shapes;
  });
}

function faces(items: Thing[]): Shape[] {
  return items.flatMap((face): Shape[] => {
    if (!isBox(face.box)) return [];
    const colour = classColour('face');
    const extra = [typeof face.age === 'number' ? `${Math.round(face.age)}` : '', typeof face.gender === 'string' ? face.gender : '', typeof face.emotion === 'string' ? face.emotion : ''].filter(Boolean).join(' ');
    const shapes: Shape[] = [{ kind: 'box', box: face.box, colour, label: `face${conf(face.confidence)}${extra ? ` · ${extra}` : ''}` }];
    for (const landmark of Array.isArray(face.landmarks) ? face.landmarks : []) {
      if (Array.isArray(landmark) && typeof landmark[0] === 'number' && typeof landmark[1] === 'number') shapes.push({ kind: 'point', x: landmark[0], y: landmark[1], colour: '#00d4bb' });
    }
    return shapes;
  });
}

function poses(people: Thing[]): Shape[] {
  return people.flatMap((person): Shape[] => {
    const shapes: Shape[] = [];
    if (isBox(person.box)) shapes.push({ kind: 'box', box: person.box, colour: classColour('person', 0), label: `person${conf(person.score)}` });
    const byName = new Map<string, Thing>();
    for (const k of things(person.keypoints)) if (typeof k.name === 'string' && typeof k.score === 'number' && k.score >= KEYPOINT_MIN_SCORE) byName.set(k.name, k);
    for (const [a, b] of SKELETON) {
      const p = byName.get(a);
      const q = byName.get(b);
      if (p && q) shapes.push({ kind: 'line', from: [p.x as number, p.y as number], to: [q.x as number, q.y as number], colour: side(a === 'nose' ? b : a) });
    }
    for (const [name, k] of byName) shapes.push({ kind: 'point', x: k.x as number, y: k.y as number, colour: side(name) });
    return shapes;
  });
}

function textLines(lines: Thing[]): Shape[] {
  return lines.flatMap((line): Shape[] => {
    const label = `${typeof line.text === 'string' ? line.text : ''}${conf(line.confidence)}`;
    const polygon = points(line.polygon);
    if (polygon) return [{ kind: 'polygon', points: polygon, colour: '#00c2ff', label }];
    return isBox(line.box) ? [{ kind: 'box', box: line.box, colour: '#00c2ff', label }] : [];
  });
}

/** A camera's zones in image pixels (ground zones through the inverse homography). */
function zones(camera: Camera | undefined): Shape[] {
  const matrix = camera?.computed.homography?.matrix;
  const toImage = matrix && invert3(matrix);
  return (camera?.config.zones ?? []).flatMap((zone): Shape[] => {
    const space = zone.space ?? (matrix ? 'ground' : 'image');
    const mapped = space === 'image' ? zone.polygon : toImage ? zone.polygon.map(([x, y]) => project(toImage, x, y)) : [];
    if (mapped.length < 3 || mapped.some((p) => p === undefined)) return [];
    return [{ kind: 'polygon', points: mapped as Array<[number, number]>, colour: RISK_COLOURS[zone.risk ?? 'none'] ?? RISK_COLOURS.none, label: `zone ${zone.name}`, fill: true, dashed: true }];
  });
}

/** The shapes of a result; `camera` adds a scene analysis's zones. */
export function shapesOf(result: TaskResult, camera?: Camera): Shape[] {
  const highlighted = new Set(things(result.events).flatMap((e) => (Array.isArray(e.objects) ? (e.objects as number[]) : [])));
  const size = { width: result.width, height: result.height };
  // A mask for the whole result (one segmentation of the image) rather than per object.
  const whole = maskImage(result.mask, undefined, size);
  return [
    ...zones(camera),
    ...(whole ? [{ kind: 'mask' as const, ...whole, colour: MASK_COLOUR }] : []),
    // Segmentation's box around the mask.
    ...(whole && isBox(result.box) ? [{ kind: 'box' as const, box: result.box, colour: MASK_COLOUR, label: `mask${typeof result.coverage === 'number' ? ` ${(result.coverage * 100).toFixed(0)}%` : ''}` }] : []),
    ...labelled(things(result.detections), size),
    ...labelled(things(result.segments), size),
    ...labelled(things(result.objects), size, highlighted),
    ...faces(things(result.faces)),
    ...poses(things(result.people)),
    ...textLines(things(result.lines)),
  ];
}

/** Counts per label of what a result found, most frequent first. */
export function legendOf(result: TaskResult): LegendEntry[] {
  const counts = new Map<string, LegendEntry>();
  const add = (label: string, colour: string) => {
    const entry = counts.get(label) ?? { label, colour, count: 0 };
    entry.count++;
    counts.set(label, entry);
  };
  for (const d of [...things(result.detections), ...things(result.segments), ...things(result.objects)]) {
    const label = typeof d.label === 'string' ? d.label : 'object';
    add(label, classColour(label, typeof d.class_id === 'number' ? d.class_id : undefined));
  }
  for (const _face of things(result.faces)) add('face', classColour('face'));
  for (const _person of things(result.people)) add('person', classColour('person', 0));
  for (const _line of things(result.lines)) add('text line', '#00c2ff');
  if (typeof result.mask === 'string' && isBox(result.box)) add('mask', MASK_COLOUR);
  return [...counts.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}
