-- The language a comment was written in (the widget's, or the HTML form's), one of the
-- widget's: its author's mails speak it. Empty: unknown, and English.
ALTER TABLE comments ADD COLUMN lang TEXT NOT NULL DEFAULT '';
