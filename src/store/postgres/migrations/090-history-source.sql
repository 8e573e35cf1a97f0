-- The input image of a history entry whose preview and thumbnail are not made yet
-- (service/history.ts): recording a result keeps the uploaded bytes as they came, and the two
-- JPEGs are cut from them when someone first looks at the entry; then this column is cleared.
-- Same column as the SQLite table (sqlite/migrations/090-history-source.sql).
ALTER TABLE history ADD COLUMN source BYTEA;
