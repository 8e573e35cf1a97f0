-- The dashboard's result history (store/history.ts) shared by every API node of a deployment: the
-- last N finished requests and jobs, each with its result and two small JPEGs of its input image
-- (a list thumbnail and a preview the result is redrawn over). Bounded: the service deletes the
-- oldest rows past its size limit. `labels` is a JSONB array of the distinct labels in the result
-- (filtered with `?`). `result` is NULL when it was too large to keep (`result_omitted` says so).
-- params, result and error are JSON (not JSONB) so a result reads back with its keys in their order.
-- Times are Unix milliseconds. Same columns as the SQLite table (sqlite/migrations/050-history.sql).
CREATE TABLE history (
  seq            BIGSERIAL PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  kind           TEXT NOT NULL CHECK (kind IN ('sync', 'job')),
  task           TEXT NOT NULL,
  model          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
  labels         JSONB NOT NULL DEFAULT '[]',
  summary        TEXT NOT NULL DEFAULT '',
  params         JSON,
  result         JSON,
  result_omitted BOOLEAN NOT NULL DEFAULT FALSE,
  error          JSON,
  text_input     TEXT,
  width          INTEGER,
  height         INTEGER,
  total_ms       DOUBLE PRECISION,
  thumbnail      BYTEA,
  preview        BYTEA,
  created_at     BIGINT NOT NULL
);
CREATE INDEX history_created ON history (created_at);
CREATE INDEX history_task ON history (task, seq);
