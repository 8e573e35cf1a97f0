-- The input image of a history entry whose preview and thumbnail are not made yet
-- (service/history.ts): recording a result keeps the uploaded bytes as they came, and the two
-- JPEGs are cut from them when someone first looks at the entry; then this column is cleared.
-- Making them at request time cost the model workers a decode and two encodes per request.
ALTER TABLE history ADD COLUMN source BLOB;
