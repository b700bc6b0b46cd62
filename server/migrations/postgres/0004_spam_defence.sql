-- Spam defence: the client address of each comment, for the per-address rate limit.
ALTER TABLE comments ADD COLUMN ip TEXT;

CREATE INDEX comments_by_ip ON comments (ip, created);
