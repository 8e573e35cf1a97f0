-- The face gallery (store/face-gallery.ts) shared by every node of a distributed deployment: named
-- people, one row per registered face, with its embedding (little-endian float32s) from the faces
-- model that made it, its box, a small JPEG crop and the API key that owns it ('' unowned). `box` is
-- JSON; times are Unix milliseconds. Same columns as the SQLite table (sqlite/migrations/080-face-gallery.sql).
CREATE TABLE IF NOT EXISTS face_gallery (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  owner       TEXT NOT NULL DEFAULT '',
  model       TEXT NOT NULL,
  embedding   BYTEA NOT NULL,
  box         JSON NOT NULL,
  confidence  DOUBLE PRECISION NOT NULL,
  crop        BYTEA,
  created_at  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS face_gallery_owner_name ON face_gallery (owner, name);
CREATE INDEX IF NOT EXISTS face_gallery_model ON face_gallery (model, owner);
