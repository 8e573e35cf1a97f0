-- Who stored each image of the files API: the id of the API key that uploaded it (service/files.ts),
-- '' for images stored with auth off or by an admin key. An inference key sees only its own images;
-- another key's image answers 404 as if it did not exist.
ALTER TABLE files ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX files_owner ON files (owner, id);
