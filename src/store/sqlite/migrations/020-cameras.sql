-- Cameras defined through the API for scene analysis (store/cameras.ts). `config` is the camera's
-- JSON config exactly as validated (homography, zones, rules); it is compiled again on every read,
-- so a change in how configs compile never needs a data migration. Cameras from the pipeline
-- config file are not stored here: the file stays their only source. Times are Unix milliseconds.
CREATE TABLE cameras (
  id          TEXT PRIMARY KEY,
  config      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
