-- Moderation: spam, the commenters the site owner knows, and admin sessions.

-- A comment marked as spam stays, hidden (its status is 'pending'), for the record.
ALTER TABLE comments ADD COLUMN spam INTEGER NOT NULL DEFAULT 0;

-- The e-mail addresses (lowercased) of commenters whose comment the site owner approved:
-- in the first-time mode, their next comments are published at once.
CREATE TABLE known_emails (
    email    TEXT    PRIMARY KEY,
    approved INTEGER NOT NULL
) STRICT;

CREATE INDEX comments_by_status ON comments (status, spam, id);

-- Admin sessions. Only a hash of the cookie's token is stored, so that a copy of the
-- database opens no session; the CSRF token goes in the admin page's forms.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    csrf       TEXT    NOT NULL,
    expires    INTEGER NOT NULL
) STRICT;
