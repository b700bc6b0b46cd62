-- Duplicate detection by index: a keyed hash (HMAC-SHA256 with the database's secret,
-- truncated to 16 bytes) of the lowercased e-mail address and the text, so that checking
-- whether an author posted the same text on a page is one index lookup, however many
-- comments the page has. Keyed, so that it confirms no guessed address; emptied with
-- the address when a comment is anonymised or erased.
ALTER TABLE comments ADD COLUMN duplicate_key BYTEA;

CREATE INDEX comments_by_duplicate_key ON comments (page, duplicate_key);
