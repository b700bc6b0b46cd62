-- A comment on the article is the root of its own thread: the database sets `thread` to
-- the new row's id, in the INSERT itself, rather than the server in a second statement.
CREATE TRIGGER comments_thread AFTER INSERT ON comments
WHEN NEW.thread IS NULL
BEGIN
    UPDATE comments SET thread = NEW.id WHERE id = NEW.id;
END;
