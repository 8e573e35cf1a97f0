/** Request and response schemas of the face gallery and recognition routes. */
import Type from 'typebox';
import { MAX_REGISTER_IMAGES, RecognizeParams } from '../../../features/faces/gallery.js';
import { Base64Image, Box, FileField, ModelRef, Timings } from '../../schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 100, description: "The person's name (what DeepStack clients call `userid`)." });
const ModelField = Type.Optional(Type.String({ description: 'Faces model alias; yunet (the faces default) when absent. Only faces of the same model are compared.' }));

export const GalleryFaceView = Type.Object({
  id: Type.String(),
  box: Box,
  confidence: Type.Number({ description: 'The face detector score of the registered face.' }),
  model: Type.String({ description: 'The faces model whose embedding was kept.' }),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'The API key id that registered it; null when unowned.' }),
  created_at: Type.String({ description: 'ISO 8601.' }),
  image_url: Type.Optional(Type.String({ description: 'The face crop (JPEG, 160 px).' })),
});

export const PersonView = Type.Object({
  name: Name,
  faces: Type.Array(GalleryFaceView, { description: 'Registered faces, oldest first.' }),
});

export const GalleryList = Type.Object({
  people: Type.Array(PersonView),
  threshold: Type.Number({ description: 'The default similarity from which recognition names a face.' }),
});

export const Register = {
  json: Type.Object({
    name: Name,
    images: Type.Array(Base64Image, { minItems: 1, maxItems: MAX_REGISTER_IMAGES, description: 'Photos of the person (base64 or data URLs); the largest face of each is kept.' }),
    model: ModelField,
  }, { additionalProperties: false }),
  multipart: Type.Object({
    name: Name,
    image: Type.Array(FileField('A photo of the person.'), { minItems: 1, maxItems: MAX_REGISTER_IMAGES, description: 'One or more photos (repeat the field); the largest face of each is kept.' }),
    model: ModelField,
  }),
  response: Type.Object({
    name: Name,
    created: Type.Boolean({ description: 'true: a new person; false: faces were added to one already there.' }),
    added: Type.Array(GalleryFaceView),
    skipped: Type.Array(Type.Object({ image: Type.Integer({ description: 'Position of the image in the request, from 0.' }), reason: Type.String() })),
    faces: Type.Integer({ description: "The person's registered faces now." }),
  }),
};

const { ...recognizeFields } = RecognizeParams.properties;

export const Recognize = {
  json: Type.Object({ image: Base64Image, model: ModelField, ...recognizeFields }),
  multipart: Type.Object({ image: FileField('The image.'), model: ModelField, ...recognizeFields }),
  response: Type.Object({
    id: Type.String(),
    model: ModelRef,
    width: Type.Integer(),
    height: Type.Integer(),
    threshold: Type.Number(),
    gallery_faces: Type.Integer({ description: 'Gallery faces (of this model, visible to this key) each face was compared with.' }),
    faces: Type.Array(Type.Object({
      box: Box,
      confidence: Type.Number(),
      landmarks: Type.Array(Type.Tuple([Type.Number(), Type.Number()])),
      name: Type.Union([Type.String(), Type.Null()], { description: 'The best-matching person at or above threshold; null: unknown.' }),
      similarity: Type.Union([Type.Number(), Type.Null()], { description: 'Similarity to the best-matching gallery face, 0–1 (null: empty gallery).' }),
      face_id: Type.Union([Type.String(), Type.Null()], { description: 'That gallery face.' }),
    })),
    timings: Timings,
  }),
};
