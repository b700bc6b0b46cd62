-- Where an imported comment came from: its source (a format and the system it was
-- exported from) and its id there. Importing the same comment again finds it here and
-- adds nothing. Comments posted here have neither.
ALTER TABLE comments ADD COLUMN source TEXT;
ALTER TABLE comments ADD COLUMN source_id TEXT;
CREATE UNIQUE INDEX comments_by_source ON comments (source, source_id)
    WHERE source IS NOT NULL;
