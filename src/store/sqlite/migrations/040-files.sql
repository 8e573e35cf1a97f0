-- Stored images of the files API (the car recognizer's surface; store/files.ts). `id` is the
-- image_id clients see: 1, 2, 3, … and never reused after a delete (AUTOINCREMENT). The bytes live
-- in the blob store under `blob_key` (a thumbnail, when one was made, under 'thumb-' || blob_key).
-- The latest recognition is kept on the row: `predictions` (JSON [{label, class_id, confidence}],
-- best first) and `timings` (JSON), with the top prediction, model and inference time copied into
-- columns so listings, filters and statistics are plain indexed queries. processed_at IS NULL:
-- not recognized yet (or reprocessing was asked for). Times are Unix milliseconds.
CREATE TABLE files (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  filename        TEXT NOT NULL,
  content_type    TEXT NOT NULL,
  size_bytes      INTEGER NOT NULL,
  sha256          TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  blob_key        TEXT NOT NULL,
  uploaded_at     INTEGER NOT NULL,
  processed_at    INTEGER,
  model           TEXT,
  model_sha256    TEXT,
  label_set       TEXT,
  top_label       TEXT,
  top_confidence  REAL,
  inference_ms    REAL,
  predictions     TEXT,
  timings         TEXT
);
CREATE INDEX files_uploaded ON files (uploaded_at);
CREATE INDEX files_processed ON files (processed_at);
CREATE INDEX files_top_label ON files (top_label COLLATE NOCASE);
