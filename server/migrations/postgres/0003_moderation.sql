-- Moderation: spam, the commenters the site owner knows, and admin sessions.

ALTER TABLE comments ADD COLUMN spam BIGINT NOT NULL DEFAULT 0;

CREATE TABLE known_emails (
    email    TEXT   PRIMARY KEY,
    approved BIGINT NOT NULL
);

CREATE INDEX comments_by_status ON comments (status, spam, id);

CREATE TABLE sessions (
    token_hash BYTEA  PRIMARY KEY,
    csrf       TEXT   NOT NULL,
    expires    BIGINT NOT NULL
);
