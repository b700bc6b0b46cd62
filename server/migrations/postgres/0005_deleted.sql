-- A comment erased while others had replied to it stays as a placeholder.
ALTER TABLE comments ADD COLUMN deleted BIGINT NOT NULL DEFAULT 0;
