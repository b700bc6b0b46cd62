-- Replies, and the avatars that reveal nothing about an e-mail address.
--
-- `parent` is the comment replied to; `thread` is the comment on the article that the
-- reply's chain leads up to (its own id for a comment on the article), so that a page of
-- whole threads is one indexed range. `avatar` is a keyed hash of the e-mail address
-- (see `settings.secret`): it is written with the comment, so that no public query ever
-- reads the e-mail column.

ALTER TABLE comments ADD COLUMN parent INTEGER REFERENCES comments (id);
ALTER TABLE comments ADD COLUMN thread INTEGER;
ALTER TABLE comments ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
UPDATE comments SET thread = id;

CREATE INDEX comments_by_thread ON comments (page, status, thread, id);

-- One row per setting the servers share. `secret` keys the avatars' HMAC: it is made
-- once, at random, by the first server that starts, and never leaves the database.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
