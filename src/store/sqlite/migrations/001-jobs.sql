-- Async jobs of the embedded queue (jobs/embedded.ts).
-- A job is claimed by setting status='running' with a fresh claim_token and a lease; only the holder
-- of the current token can complete it, so a job that ran twice (lease expired, then its first
-- runner came back) is still recorded once. Times are Unix milliseconds.
CREATE TABLE jobs (
  id           TEXT PRIMARY KEY,
  task         TEXT NOT NULL,
  model        TEXT NOT NULL,
  params       TEXT NOT NULL,
  input_key    TEXT NOT NULL,
  owner        TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  claim_token  TEXT,
  lease_until  INTEGER,
  created_at   INTEGER NOT NULL,
  started_at   INTEGER,
  finished_at  INTEGER,
  result       TEXT,
  error        TEXT
);
CREATE INDEX jobs_status_created ON jobs (status, created_at);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
