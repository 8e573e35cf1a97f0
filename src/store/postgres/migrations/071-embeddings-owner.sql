-- Who each stored embedding belongs to: the id of the inference key that stored it, '' when
-- stored with auth off or by an admin key. Same column as the embedded table (sqlite
-- 071-embeddings-owner.sql).
ALTER TABLE embeddings ADD COLUMN IF NOT EXISTS owner TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS embeddings_owner ON embeddings (owner, model, dim);
