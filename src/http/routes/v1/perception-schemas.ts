/** Request and response schemas of the perception routes: OCR, faces, face comparison, pose and segmentation. */
import Type, { type TObject, type TProperties } from 'typebox';
import { FaceCompareParams } from '../../../features/faces/compare.js';
import { EMOTIONS, FacesParams } from '../../../tasks/params/faces.js';
import { OcrParams } from '../../../tasks/params/ocr.js';
import { COCO_KEYPOINTS, PoseParams } from '../../../tasks/params/pose.js';
import { SegmentParams } from '../../../tasks/params/segment.js';
import { Base64Image, Box, FileField, ModelRef, Timings } from '../../schemas.js';

const ModelField = (what: string) => Type.Optional(Type.String({ description: `Model alias; ${what} when absent.` }));
const ImageFile = FileField('The image (JPEG, PNG, WebP, GIF or TIFF).');
const Point = Type.Tuple([Type.Number(), Type.Number()], { description: '[x, y] in original-image pixels.' });
const Size = { width: Type.Integer({ description: 'Image width in pixels (after EXIF orientation).' }), height: Type.Integer() };

/** JSON and multipart bodies of an image task: the image, a model and the task's own parameters. */
function imageTask<P extends TProperties>(params: TObject<P>, what: string) {
  const fields = { model: ModelField(what), ...params.properties };
  return {
    json: Type.Object({ image: Base64Image, ...fields }),
    multipart: Type.Object({ image: ImageFile, ...fields }),
  };
}

export const Ocr = {
  ...imageTask(OcrParams, 'ppocr-v4'),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    ...Size,
    text: Type.String({ description: 'Every line in reading order: lines on one row joined by a space, rows by a newline.' }),
    lines: Type.Array(Type.Object({
      text: Type.String(),
      confidence: Type.Number({ description: 'Mean probability of the recognised characters.' }),
      box: Box,
      polygon: Type.Array(Point, { description: 'The rotated quadrilateral around the line: top-left, top-right, bottom-right, bottom-left.' }),
    })),
    timings: Timings,
  }),
};

export const Face = Type.Object({
  box: Box,
  confidence: Type.Number(),
  landmarks: Type.Array(Point, { description: "Right eye, left eye, nose tip, right and left mouth corner (the person's own sides)." }),
  age: Type.Optional(Type.Number({ description: 'Estimated age in years (attributes: true).' })),
  gender: Type.Optional(Type.Enum(['female', 'male'] as const)),
  gender_confidence: Type.Optional(Type.Number({ description: '0–1.' })),
  emotion: Type.Optional(Type.Enum(EMOTIONS)),
  emotions: Type.Optional(Type.Object(Object.fromEntries(EMOTIONS.map((e) => [e, Type.Number()])), { description: 'Probability of each emotion.' })),
  embedding: Type.Optional(Type.Array(Type.Number(), { description: 'FaceRes descriptor (1024 values); keep it to compare faces later.' })),
});

export const Faces = {
  ...imageTask(FacesParams, 'yunet'),
  response: Type.Object({ id: Type.String(), model: ModelRef, ...Size, faces: Type.Array(Face), timings: Timings }),
};

const { embeddings: _embeddings, ...compareScalars } = FaceCompareParams.properties;
const JsonEmbeddings = FaceCompareParams.properties.embeddings;

export const FaceCompare = {
  json: Type.Object({
    image_a: Type.Optional(Base64Image),
    image_b: Type.Optional(Base64Image),
    model: ModelField('yunet'),
    ...compareScalars,
    embeddings: JsonEmbeddings,
  }),
  multipart: Type.Object({
    image_a: Type.Optional(ImageFile),
    image_b: Type.Optional(ImageFile),
    model: ModelField('yunet'),
    ...compareScalars,
    embeddings: Type.Optional(Type.String({ description: 'The embeddings as a JSON array of arrays.', contentMediaType: 'application/json' })),
  }),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    similarity: Type.Number({ description: '0 (unrelated) to 1 (identical), as @vladmandic/human computes it.' }),
    same_person: Type.Boolean({ description: 'similarity ≥ threshold.' }),
    threshold: Type.Number(),
    faces: Type.Array(Type.Object({
      source: Type.Enum(['image', 'embedding'] as const),
      box: Type.Optional(Box),
      confidence: Type.Optional(Type.Number()),
    }), { description: 'The two faces compared: the largest face of each image, or the embedding sent.' }),
    timings: Timings,
  }),
};

const Keypoint = Type.Object({ name: Type.Enum(COCO_KEYPOINTS), x: Type.Number(), y: Type.Number(), score: Type.Number() });

export const Pose = {
  ...imageTask(PoseParams, 'movenet'),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    ...Size,
    people: Type.Array(Type.Object({ box: Type.Optional(Box), score: Type.Number(), keypoints: Type.Array(Keypoint) })),
    timings: Timings,
  }),
};

export const Segment = {
  ...imageTask(SegmentParams, 'selfie'),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    ...Size,
    mask: Type.String({
      contentEncoding: 'base64',
      contentMediaType: 'image/png',
      description: 'The person mask as a base64 PNG at the image\'s own size: one 8-bit channel, 255 person, 0 background.',
    }),
    box: Type.Union([Box, Type.Null()], { description: 'The tightest box around the mask (x2, y2 exclusive); null when nobody is found.' }),
    coverage: Type.Number({ description: 'Share of the image the mask covers, 0–1.' }),
    threshold: Type.Number({ description: 'The person probability the mask was cut at.' }),
    timings: Timings,
  }),
};
