import Type from 'typebox';
import { RISK_LEVELS } from '../../../features/scene/schema.js';
import { Box, ModelRef, Timings } from '../../schemas.js';

export const RiskLevel = Type.Enum(RISK_LEVELS, { description: 'none | low | medium | high | critical' });

export const SceneObject = Type.Object({
  track_id: Type.Optional(Type.Integer({ description: 'On video and streams: the same object keeps its id across frames.' })),
  label: Type.String(),
  confidence: Type.Number(),
  box: Box,
  ground: Type.Optional(Type.Object({ x: Type.Number(), y: Type.Number() }, { description: 'Bottom-centre of the box through the homography, in metres.' })),
  zone: Type.Optional(Type.String({ description: 'The highest-risk zone it stands in.' })),
  speed_mps: Type.Optional(Type.Number({ description: 'Current ground speed (video and streams).' })),
});

export const SceneEvent = Type.Object({
  rule: Type.String({ description: "The rule's name." }),
  type: Type.String({ description: 'in_zone | count | proximity | speed | zone_entry | zone_exit | line_crossing' }),
  risk_level: RiskLevel,
  objects: Type.Array(Type.Integer(), { description: 'Indices into `objects` of the frame.' }),
  track_ids: Type.Optional(Type.Array(Type.Integer())),
  message: Type.String(),
  zone: Type.Optional(Type.String()),
  distance_m: Type.Optional(Type.Number()),
  speed_mps: Type.Optional(Type.Number()),
  count: Type.Optional(Type.Integer()),
  t: Type.Optional(Type.Number({ description: 'Seconds from the start of the video or stream.' })),
});

export const AnalyzeResponse = Type.Object({
  id: Type.String(),
  camera_id: Type.String({ description: "'inline' for a config sent with the request." }),
  risk_level: RiskLevel,
  priority: Type.String({ description: 'From the risk: critical→P1 … none→P5 unless configured.' }),
  objects: Type.Array(SceneObject),
  events: Type.Array(SceneEvent),
  description: Type.String({ description: 'One English sentence from the objects and events.' }),
  width: Type.Integer(),
  height: Type.Integer(),
  skipped_rules: Type.Optional(Type.Array(Type.String(), { description: 'Motion rules (speed, zone entry/exit, line crossing): they need video.' })),
  model: ModelRef,
  timings: Type.Object({ ...Timings.properties, scene_ms: Type.Optional(Type.Number({ description: 'Homography, zones and rules.' })) }),
});

export const CameraView = Type.Object({
  id: Type.String(),
  origin: Type.Enum(['file', 'api'] as const, { description: 'file: from the pipeline config file (read-only here); api: stored.' }),
  config: Type.Unknown({ description: 'The camera config as given.' }),
  computed: Type.Object({
    homography: Type.Optional(Type.Object({ matrix: Type.Array(Type.Array(Type.Number())), rms_error_m: Type.Optional(Type.Number()) })),
    zones: Type.Array(Type.Object({ name: Type.String(), space: Type.String(), risk: Type.String() })),
    rules: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), risk: Type.String() })),
    priorities: Type.Record(Type.String(), Type.String()),
  }),
  created_at: Type.Optional(Type.String({ format: 'date-time' })),
  updated_at: Type.Optional(Type.String({ format: 'date-time' })),
});

export const StreamView = Type.Object({
  id: Type.String(),
  camera_id: Type.String(),
  url: Type.String({ description: 'Password hidden.' }),
  fps: Type.Number(),
  state: Type.Enum(['starting', 'running', 'reconnecting', 'stopped', 'failed'] as const),
  started_at: Type.String({ format: 'date-time' }),
  fps_in: Type.Number(),
  fps_out: Type.Number(),
  lag_ms: Type.Number(),
  frames_in: Type.Integer(),
  frames_out: Type.Integer(),
  dropped_frames: Type.Integer(),
  reconnects: Type.Integer(),
  last_error: Type.Optional(Type.String()),
  retry_in_s: Type.Optional(Type.Number({ description: 'Seconds until the next connection attempt, while reconnecting.' })),
  ffmpeg_pid: Type.Optional(Type.Integer({ description: 'The ffmpeg process decoding the source, while one runs.' })),
});

export const CameraIdParams = Type.Object({ camera_id: Type.String({ maxLength: 200 }) });
