-- Webhook deliveries, written in the comment's own transaction, so that an acknowledged
-- comment is always announced, even if the server dies before it could send it; a
-- delivery is deleted once the site owner's endpoint accepted it.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    body         TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL
) STRICT;

CREATE INDEX outbox_by_time ON outbox (next_attempt);
