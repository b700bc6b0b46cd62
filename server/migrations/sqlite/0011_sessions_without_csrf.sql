-- A session's CSRF token is derived from its token with the database's secret
-- (src/admin/auth.rs), so that no secret is stored in plain text: the column goes, and
-- with it the sessions open now (their owner logs in again).
DELETE FROM sessions;
ALTER TABLE sessions DROP COLUMN csrf;
