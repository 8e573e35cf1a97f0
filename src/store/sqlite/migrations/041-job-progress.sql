-- How far a running async job has come, as its task reports it (JSON, e.g. {"done": 3, "total": 40});
-- written while the job runs (jobs/embedded.ts setProgress) and kept after it ends. NULL: none reported.
ALTER TABLE jobs ADD COLUMN progress TEXT;
