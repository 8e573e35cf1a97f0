-- Who stored each image of the files API: the id of the API key that uploaded it (service/files.ts),
-- '' for images stored with auth off or by an admin key. Same column as the embedded table
-- (sqlite 060-files-owner.sql).
ALTER TABLE files ADD COLUMN IF NOT EXISTS owner TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS files_owner ON files (owner, id);
