-- The dashboard's result history (store/history.ts): the last N finished requests and jobs, each
-- with its result and two small JPEGs made from its input image (a list thumbnail and a preview
-- the result is redrawn over). Bounded: the service deletes the oldest rows past its size limit,
-- so this table never grows with traffic. `labels` is a JSON array of the distinct labels in the
-- result (filtered with json_each). `result` is NULL when the result was too large to keep
-- (`result_omitted` = 1 says so). Times are Unix milliseconds.
CREATE TABLE history (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  id             TEXT NOT NULL UNIQUE,
  kind           TEXT NOT NULL CHECK (kind IN ('sync', 'job')),
  task           TEXT NOT NULL,
  model          TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
  labels         TEXT NOT NULL DEFAULT '[]',
  summary        TEXT NOT NULL DEFAULT '',
  params         TEXT,
  result         TEXT,
  result_omitted INTEGER NOT NULL DEFAULT 0,
  error          TEXT,
  text_input     TEXT,
  width          INTEGER,
  height         INTEGER,
  total_ms       REAL,
  thumbnail      BLOB,
  preview        BLOB,
  created_at     INTEGER NOT NULL
);
CREATE INDEX history_created ON history (created_at);
CREATE INDEX history_task ON history (task, seq);
