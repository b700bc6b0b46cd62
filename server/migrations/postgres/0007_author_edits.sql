-- The author's edit token: only its SHA-256 is stored.
ALTER TABLE comments ADD COLUMN edit_hash BYTEA;
