-- Reply notifications by mail. A comment's `notify` says its author asked to hear of
-- replies. An address is known by a keyed hash of it, never the address itself (the
-- mail takes it from the comment when it is sent): when its owner confirmed it, when
-- the SMTP server last refused it for good (it must be confirmed again), when the last
-- confirmation mail was asked (one a day at most), and when its owner stopped all mail.
ALTER TABLE comments ADD COLUMN notify BIGINT NOT NULL DEFAULT 0;
CREATE TABLE mail_addresses (
    address_key BYTEA PRIMARY KEY,
    confirmed BIGINT,
    refused BIGINT,
    asked BIGINT,
    stopped BIGINT
);
-- Which clients asked for confirmation mails, and when: a cap per client address.
CREATE TABLE confirmation_log (
    client BYTEA NOT NULL,
    asked BIGINT NOT NULL
);
CREATE INDEX confirmation_log_by_client ON confirmation_log (client, asked);
-- The threads an address was muted on: no more replies from there.
CREATE TABLE muted_threads (
    address_key BYTEA NOT NULL,
    site TEXT NOT NULL,
    page TEXT NOT NULL,
    PRIMARY KEY (address_key, site, page)
);
