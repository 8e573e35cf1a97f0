-- Who each history entry belongs to: the id of the inference key whose request or job made it
-- (service/history.ts), '' for results made with auth off or by an admin key. An inference key
-- lists, reads, downloads and deletes only its own entries; another key's entry answers 404.
ALTER TABLE history ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX history_owner ON history (owner, seq);
