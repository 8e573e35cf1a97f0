-- Image embeddings kept for similarity search (store/vectors.ts). One row per stored embedding:
-- `id` is the id of the request or job that stored it; `model` names the space it lives in (only
-- vectors of one model are compared); `seq` is the stable rowid the vector has in its sqlite-vec
-- table. The vectors themselves live in one vec0 table per dimension, `vec_embeddings_<dim>`
-- (cosine distance, partitioned by model), created on first use: the sqlite-vec extension is
-- loaded after migrations run. `metadata` is the client's JSON; times are Unix milliseconds.
CREATE TABLE embeddings (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  model       TEXT NOT NULL,
  dim         INTEGER NOT NULL,
  metadata    TEXT,
  created_at  INTEGER NOT NULL
);
CREATE INDEX embeddings_model ON embeddings (model, created_at);
