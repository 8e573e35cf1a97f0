import Type, { type Static, type TSchema } from 'typebox';
import { DronePipelineKeys } from './drone-pipeline.js';

/** Risk levels from none to critical; a frame's risk is its highest event's. */
export const RISK_LEVELS = ['none', 'low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
/** The risk an event can carry (an event is never 'none'). */
export type EventRisk = Exclude<RiskLevel, 'none'>;

const EventRiskSchema = Type.Enum(['low', 'medium', 'high', 'critical'] as const, { description: 'Risk level of the events this produces.' });
const Point = Type.Tuple([Type.Number(), Type.Number()], { description: '[x, y]: pixels in the image, metres on the ground.' });
const Space = Type.Enum(['ground', 'image'] as const, { description: 'Coordinates of the shape: ground (metres, needs a homography) or image (pixels).' });
const Classes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 100, description: 'Class names (e.g. person, car); any class when absent.' });

/** Priority label per risk level, e.g. {critical: "P1"}. */
const PriorityLabel = Type.Optional(Type.String({ minLength: 1, maxLength: 32 }));
export const PrioritiesSchema = Type.Object(
  { critical: PriorityLabel, high: PriorityLabel, medium: PriorityLabel, low: PriorityLabel, none: PriorityLabel },
  { additionalProperties: false, description: 'Priority per risk level; default critical→P1, high→P2, medium→P3, low→P4, none→P5.' },
);

const HomographySchema = Type.Object(
  {
    matrix: Type.Optional(Type.Tuple([Type.Tuple([Type.Number(), Type.Number(), Type.Number()]), Type.Tuple([Type.Number(), Type.Number(), Type.Number()]), Type.Tuple([Type.Number(), Type.Number(), Type.Number()])], {
      description: 'Image pixels → ground metres, 3×3 row-major.',
    })),
    points: Type.Optional(Type.Array(Type.Object({ image: Point, ground: Point }, { additionalProperties: false }), {
      maxItems: 1000,
      description: '≥ 4 image ↔ ground pairs; Argus fits the homography (normalised DLT, least squares beyond 4).',
    })),
  },
  { additionalProperties: false, description: 'Either `matrix` or `points`.' },
);

const ZoneSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    space: Type.Optional(Space),
    polygon: Type.Array(Point, { maxItems: 1000, description: 'At least 3 points, not self-intersecting.' }),
    risk: EventRiskSchema,
  },
  { additionalProperties: false },
);

export const RULE_TYPES = ['in_zone', 'count', 'proximity', 'speed', 'zone_entry', 'zone_exit', 'line_crossing'] as const;
export type RuleType = (typeof RULE_TYPES)[number];
/** Rules that need motion: evaluated on video and live streams only. */
export const MOTION_RULES: ReadonlySet<RuleType> = new Set(['speed', 'zone_entry', 'zone_exit', 'line_crossing']);

const ruleBase = {
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Shown in events; `<type>_<index>` when absent.' })),
  risk: Type.Optional(EventRiskSchema),
  classes: Type.Optional(Classes),
};
const rule = <P extends Record<string, TSchema>>(type: RuleType, properties: P, description: string) =>
  Type.Object({ type: Type.Literal(type), ...ruleBase, ...properties }, { additionalProperties: false, description });

/** Each rule type's own schema; a rule is checked against the one its `type` names. */
export const RULE_SCHEMAS: Record<RuleType, TSchema> = {
  in_zone: rule('in_zone', { zone: Type.String() }, 'Objects of the classes inside a zone; risk defaults to the zone\'s.'),
  count: rule('count', { above: Type.Integer({ minimum: 0 }), zone: Type.Optional(Type.String()) }, 'More than `above` objects of the classes, in the frame or in a zone.'),
  proximity: rule('proximity', {
    classes: Classes,
    near: Classes,
    within: Type.Number({ exclusiveMinimum: 0, description: 'Metres on the ground.' }),
  }, 'An object of `classes` closer than `within` metres to one of `near` (e.g. person–vehicle).'),
  speed: rule('speed', { above: Type.Number({ exclusiveMinimum: 0, description: 'm/s on the ground.' }) }, 'A tracked object faster than `above` m/s (video and streams).'),
  zone_entry: rule('zone_entry', { zone: Type.String() }, 'A tracked object enters the zone (video and streams).'),
  zone_exit: rule('zone_exit', { zone: Type.String() }, 'A tracked object leaves the zone (video and streams).'),
  line_crossing: rule('line_crossing', { line: Type.Tuple([Point, Point]), space: Type.Optional(Space) }, 'A tracked object crosses the segment (video and streams).'),
};

const TrackingSchema = Type.Object(
  {
    low_conf: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Detections from here up to conf only continue tracks. Default 0.1.' })),
    match_threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Largest 1 − IoU·score of a match. Default 0.8.' })),
    lost_s: Type.Optional(Type.Number({ minimum: 0, maximum: 600, description: 'Seconds a lost track is kept to be found again. Default 1.5.' })),
    speed_window_s: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 60, description: 'Seconds of path a speed is fitted over. Default 1.' })),
  },
  { additionalProperties: false },
);

/**
 * One camera's pipeline: detector, homography, zones and rules. Rules are checked loosely here (a
 * `type` and any fields) and then against their own type's schema, so an error names the exact field.
 */
export const CameraConfigSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 200 })),
    model: Type.Optional(Type.String({ minLength: 1, description: 'Detector alias; the default detector when absent.' })),
    classes: Type.Optional(Classes),
    conf: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Minimum confidence of an object. Default 0.25.' })),
    iou: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'NMS IoU. Default 0.45.' })),
    homography: Type.Optional(HomographySchema),
    units: Type.Optional(Type.Enum(['metres', 'meters', 'm'] as const, { description: 'Ground units: metres (the only unit).' })),
    zones: Type.Optional(Type.Array(ZoneSchema, { maxItems: 200 })),
    rules: Type.Optional(Type.Array(Type.Object({ type: Type.Enum(RULE_TYPES) }, { additionalProperties: true }), { maxItems: 200 })),
    priorities: Type.Optional(PrioritiesSchema),
    tracking: Type.Optional(TrackingSchema),
  },
  { additionalProperties: false, description: 'A camera: detector, homography (image → ground), zones and rules.' },
);
export type CameraConfig = Static<typeof CameraConfigSchema>;

/**
 * The pipeline config file: default priorities and cameras by id; it may also be (or include) the
 * drone service's pipeline_config.json, whose keys say which detector that service's API uses.
 */
export const PipelineFileSchema = Type.Object(
  {
    priorities: Type.Optional(PrioritiesSchema),
    cameras: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Cameras by id.' })),
    ...DronePipelineKeys,
  },
  { additionalProperties: false },
);

export const CAMERA_ID = /^[A-Za-z0-9][\w.-]{0,63}$/;
