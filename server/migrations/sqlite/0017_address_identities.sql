-- A confirmed address proves who a commenter is. The first comment whose confirmation
-- link its address's owner pressed gives the address its commenter (`author_key`, the
-- keyed hash of that comment's identity). When the owner then confirms a comment from
-- another identity (another browser, another device), that identity is linked to the
-- address's commenter: its comments, past and to come, are that commenter's (one
-- avatar, and known to first-time moderation once either was).
ALTER TABLE mail_addresses ADD COLUMN author_key BLOB;
CREATE TABLE author_links (
    author_key  BLOB PRIMARY KEY,
    canonical   BLOB NOT NULL,
    address_key BLOB NOT NULL,
    linked      BIGINT NOT NULL
);
CREATE INDEX author_links_by_address ON author_links (address_key);
