-- The moderation links of the site owner's mail that were used: each works once. A
-- link's signature is kept until long after it expired (a week), then forgotten.
CREATE TABLE used_links (
    signature TEXT PRIMARY KEY,
    used BIGINT NOT NULL
);
