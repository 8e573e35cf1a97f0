-- The input image of a history entry whose preview and thumbnail are not made yet
-- (service/history.ts): recording a result keeps the uploaded bytes as they came, and the two
-- JPEGs are cut from them when someone first looks at the entry; then the file goes. The bytes
-- are a file beside the database (`history-sources/<source_file>`, store/history.ts), not a BLOB:
-- writing a 160 KB upload into SQLite's pages (and again at each checkpoint) cost 4× the CPU of
-- writing a file, and it grows with the upload.
ALTER TABLE history ADD COLUMN source_file TEXT;
