/** Parameters and result of the `embed` task. */
import Type, { type Static } from 'typebox';

/** Largest `metadata` kept with a stored embedding, as JSON. */
export const MAX_METADATA_BYTES = 16 * 1024;

export const EmbedParams = Type.Object(
  {
    normalize: Type.Boolean({ default: true, description: 'Scale the embedding to unit length (L2).' }),
    store: Type.Boolean({
      default: false,
      description: "Keep the image's embedding in the vector index under this result's id (search it with /v1/search; delete it with DELETE /v1/embeddings/{id}).",
    }),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), {
      maxProperties: 64,
      description: `Kept with a stored embedding and returned by search (JSON, at most ${MAX_METADATA_BYTES} bytes).`,
    })),
  },
  { additionalProperties: false },
);
export type EmbedParams = Static<typeof EmbedParams>;

export interface EmbedOutput {
  embedding: number[];
  dim: number;
  normalized: boolean;
}
