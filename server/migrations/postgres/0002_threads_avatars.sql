-- Replies, and the avatars that reveal nothing about an e-mail address (see the SQLite
-- migration of the same name).

ALTER TABLE comments ADD COLUMN parent BIGINT REFERENCES comments (id);
ALTER TABLE comments ADD COLUMN thread BIGINT;
ALTER TABLE comments ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
UPDATE comments SET thread = id;

CREATE INDEX comments_by_thread ON comments (page, status, thread, id);

CREATE TABLE settings (
    name  TEXT  PRIMARY KEY,
    value BYTEA NOT NULL
);
