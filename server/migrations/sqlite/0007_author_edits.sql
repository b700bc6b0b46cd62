-- The author's edit token: only its SHA-256 is stored. The author's browser keeps the
-- token (in localStorage, not in a cookie), and sends it to edit or delete the comment
-- within the site's window.
ALTER TABLE comments ADD COLUMN edit_hash BLOB;
