-- See migrations/sqlite/0011_sessions_without_csrf.sql.
DELETE FROM sessions;
ALTER TABLE sessions DROP COLUMN csrf;
