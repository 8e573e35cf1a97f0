-- Who each stored embedding belongs to: the id of the inference key that stored it (POST /v1/embed
-- with store, or a file it uploaded and had recognized), '' when stored with auth off or by an
-- admin key. An inference key searches, searches by id and deletes only its own embeddings.
ALTER TABLE embeddings ADD COLUMN owner TEXT NOT NULL DEFAULT '';
CREATE INDEX embeddings_owner ON embeddings (owner, model);
