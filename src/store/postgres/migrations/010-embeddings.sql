-- The shared vector index of a distributed deployment (PostgreSQL without pgvector, which
-- Debian's PostgreSQL here does not ship): each vector stored L2-normalised as real[], so a
-- cosine similarity is a dot product computed in the database. Exact search, one model's rows.
CREATE TABLE IF NOT EXISTS embeddings (
  id TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  dim INTEGER NOT NULL,
  -- As given (returned by get), and normalised (searched).
  vector REAL[] NOT NULL,
  unit REAL[] NOT NULL,
  metadata JSONB,
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS embeddings_model_dim ON embeddings (model, dim);
