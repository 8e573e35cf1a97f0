-- Jobs of text-taking tasks (CLIP text embeddings, prompts) keep their text here; input_key is ''
-- for a job without an image.
ALTER TABLE jobs ADD COLUMN input_text TEXT;
