-- Cameras defined through the API for scene analysis (store/postgres/cameras.ts), shared by every
-- node of a distributed deployment. Same shape as the embedded table (sqlite 020-cameras.sql).
CREATE TABLE IF NOT EXISTS cameras (
  id          TEXT PRIMARY KEY,
  config      JSONB NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
