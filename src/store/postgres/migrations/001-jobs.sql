-- Async jobs in distributed mode (jobs/bullmq/job-queue.ts). PostgreSQL is the source of truth
-- for a job's state and result; BullMQ only carries the work. A job is claimed by setting
-- status='running' with a fresh claim_token; only the holder of the current token can finish it,
-- so a job delivered twice (a stalled worker, a Redis restart) is recorded once.
CREATE TABLE IF NOT EXISTS jobs (
  id           TEXT PRIMARY KEY,
  task         TEXT NOT NULL,
  model        TEXT NOT NULL,
  params       JSONB NOT NULL,
  input_key    TEXT NOT NULL DEFAULT '',
  input_text   TEXT,
  composite    BOOLEAN NOT NULL DEFAULT FALSE,
  owner        TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  claim_token  TEXT,
  created_at   BIGINT NOT NULL,
  started_at   BIGINT,
  finished_at  BIGINT,
  result       JSONB,
  error        JSONB
);
CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Images of async jobs, stored once and referenced by key: durable like the job row itself, so a
-- Redis restart can never lose the input of an accepted job.
CREATE TABLE IF NOT EXISTS blobs (
  key         TEXT PRIMARY KEY,
  bytes       BYTEA NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT
);
CREATE INDEX IF NOT EXISTS blobs_expiry ON blobs (expires_at) WHERE expires_at IS NOT NULL;
