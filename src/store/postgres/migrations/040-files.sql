-- Stored images of the files API in distributed mode (store/postgres/files.ts), shared by every
-- API node; the same shape as the embedded table (sqlite 040-files.sql). `id` is the image_id
-- clients see (1, 2, 3, …, never reused); the bytes are in `blobs` under `blob_key`, without an
-- expiry. The latest recognition is on the row, its top prediction copied into indexed columns.
CREATE TABLE IF NOT EXISTS files (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  filename        TEXT NOT NULL,
  content_type    TEXT NOT NULL,
  size_bytes      BIGINT NOT NULL,
  sha256          TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  blob_key        TEXT NOT NULL,
  uploaded_at     BIGINT NOT NULL,
  processed_at    BIGINT,
  model           TEXT,
  model_sha256    TEXT,
  label_set       TEXT,
  top_label       TEXT,
  top_confidence  DOUBLE PRECISION,
  inference_ms    DOUBLE PRECISION,
  predictions     JSONB,
  timings         JSONB
);
CREATE INDEX IF NOT EXISTS files_uploaded ON files (uploaded_at);
CREATE INDEX IF NOT EXISTS files_processed ON files (processed_at);
CREATE INDEX IF NOT EXISTS files_top_label ON files (lower(top_label));
