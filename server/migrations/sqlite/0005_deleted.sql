-- A comment erased while others had replied to it stays as a placeholder, so that the
-- replies keep their context: `deleted` is set, and its text and author are emptied.
ALTER TABLE comments ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
