-- Comments and the idempotency keys that make a POST safe to retry.
-- Times are milliseconds since the Unix epoch, as in the protocol.

CREATE TABLE comments (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    page    TEXT    NOT NULL,
    author  TEXT    NOT NULL,
    -- Kept for the site owner only: no public query reads this column.
    email   TEXT    NOT NULL,
    url     TEXT,
    text    TEXT    NOT NULL,
    status  TEXT    NOT NULL CHECK (status IN ('published', 'pending')),
    created INTEGER NOT NULL
) STRICT;

CREATE INDEX comments_by_page ON comments (page, status, id);

-- The stored response of each POST that carried an Idempotency-Key, written in the same
-- transaction as the comment it created, so that a replay can never create a second one.
CREATE TABLE idempotency_keys (
    key         TEXT    PRIMARY KEY,
    fingerprint BLOB    NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    created     INTEGER NOT NULL
) STRICT;

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created);
