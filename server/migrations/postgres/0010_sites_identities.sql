-- One path for every comment: see migrations/sqlite/0010_sites_identities.sql, which
-- says why for each step.
ALTER TABLE comments ADD COLUMN site TEXT NOT NULL DEFAULT '';

DROP INDEX comments_by_page;
DROP INDEX comments_by_thread;
DROP INDEX comments_by_duplicate_key;
CREATE INDEX comments_by_page ON comments (site, page, status, id);
CREATE INDEX comments_by_thread ON comments (site, page, status, thread, id);
CREATE INDEX comments_by_duplicate_key ON comments (site, page, duplicate_key);

ALTER TABLE comments ADD COLUMN author_key BYTEA;
DROP TABLE known_emails;
CREATE TABLE known_authors (
    author_key BYTEA  PRIMARY KEY,
    approved   BIGINT NOT NULL
);

CREATE TABLE post_log (
    client  BYTEA  NOT NULL,
    created BIGINT NOT NULL
);
CREATE INDEX post_log_by_client ON post_log (client, created);

DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys DROP COLUMN body;
ALTER TABLE idempotency_keys ADD COLUMN comment_id BIGINT;

ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'comment.created';
ALTER TABLE outbox ADD COLUMN comment_id BIGINT;
UPDATE outbox SET comment_id = (body::json -> 'comment' ->> 'id')::bigint;
ALTER TABLE outbox DROP COLUMN body;
