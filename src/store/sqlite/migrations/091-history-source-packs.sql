-- History sources written a batch at a time (store/sqlite/history.ts): the uploads of the entries
-- recorded in one 100 ms batch go into one file, each at its offset, instead of one file per
-- entry (an open, a write, a close and later an unlink per request, each a trip through libuv's
-- pool). A file goes when no row names it any more. Rows from before keep offset NULL: the whole
-- file is theirs.
ALTER TABLE history ADD COLUMN source_offset INTEGER;
ALTER TABLE history ADD COLUMN source_length INTEGER;
CREATE INDEX history_source_file ON history(source_file) WHERE source_file IS NOT NULL;
