-- One path for every comment (see src/comments.rs and src/privacy.rs).
--
-- Threads belong to sites: a thread is (site, page). The default site, the first one
-- configured, is '' so that a database of one site keeps its threads as they are.
ALTER TABLE comments ADD COLUMN site TEXT NOT NULL DEFAULT '';

DROP INDEX comments_by_page;
DROP INDEX comments_by_thread;
DROP INDEX comments_by_duplicate_key;
CREATE INDEX comments_by_page ON comments (site, page, status, id);
CREATE INDEX comments_by_thread ON comments (site, page, status, thread, id);
CREATE INDEX comments_by_duplicate_key ON comments (site, page, duplicate_key);

-- A commenter is known by what their browser holds, never by an e-mail address: the
-- keyed hash of the identity the server gave them (`author_key`). Approving a comment
-- makes its identity known. The old list of known addresses let anyone who guessed an
-- address publish at once under it; it goes, and its commenters are held once more,
-- until one of their comments is approved again.
ALTER TABLE comments ADD COLUMN author_key BLOB;
DROP TABLE known_emails;
CREATE TABLE known_authors (
    author_key BLOB    PRIMARY KEY,
    approved   INTEGER NOT NULL
) STRICT;

-- The posting rate limit counts posts, not comments that still exist: deleting one's
-- own comments no longer gives the quota back. `client` is a keyed hash of the client
-- address; rows go once they are older than the longest window.
CREATE TABLE post_log (
    client  BLOB    NOT NULL,
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX post_log_by_client ON post_log (client, created);

-- An idempotency key keeps the comment it created, not a copy of the response: a replay
-- is rebuilt from the comment as it is now (nothing once it is erased), and the edit
-- token it carried, which was kept here in plain text, is derived again from the key.
-- The keys stored so far hold such tokens: they go.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys DROP COLUMN body;
ALTER TABLE idempotency_keys ADD COLUMN comment_id INTEGER;

-- The outbox keeps what happened to which comment; the payload is built when it is
-- sent, from the comment as it is then, so that an erased comment is never announced.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'comment.created';
ALTER TABLE outbox ADD COLUMN comment_id INTEGER;
UPDATE outbox SET comment_id = json_extract(body, '$.comment.id');
ALTER TABLE outbox DROP COLUMN body;
