-- Who each history entry belongs to: the id of the inference key whose request or job made it,
-- '' for results made with auth off or by an admin key. Same column as the embedded table
-- (sqlite 070-history-owner.sql).
ALTER TABLE history ADD COLUMN IF NOT EXISTS owner TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS history_owner ON history (owner, seq);
