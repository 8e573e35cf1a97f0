-- How far a running async job has come, as its task reports it (e.g. {"done": 3, "total": 40});
-- written while the job runs (jobs/postgres-records.ts setProgress) and kept after it ends.
-- Same column as the embedded queue's (sqlite 041-job-progress.sql).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS progress JSONB;
