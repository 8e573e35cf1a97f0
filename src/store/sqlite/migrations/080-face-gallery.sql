-- The face gallery (store/face-gallery.ts): named people, each with one row per registered face. A
-- row keeps the face's embedding from the faces model that made it (`model`; embeddings of
-- different models are never compared), as little-endian float32s, the face's box in the image it
-- came from, and a small JPEG crop of the face for the dashboard. `owner` is the id of the API key
-- that registered it ('' with auth off or for an admin key), as for stored files (060-files-owner).
-- Times are Unix milliseconds. Same columns as the PostgreSQL table (postgres/migrations/080-face-gallery.sql).
CREATE TABLE face_gallery (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  owner       TEXT NOT NULL DEFAULT '',
  model       TEXT NOT NULL,
  embedding   BLOB NOT NULL,
  box         TEXT NOT NULL,
  confidence  REAL NOT NULL,
  crop        BLOB,
  created_at  INTEGER NOT NULL
);
CREATE INDEX face_gallery_owner_name ON face_gallery (owner, name);
CREATE INDEX face_gallery_model ON face_gallery (model, owner);
