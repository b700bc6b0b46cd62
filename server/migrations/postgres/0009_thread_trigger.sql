-- A comment on the article is the root of its own thread: the database sets `thread` to
-- the new row's id, in the INSERT itself, rather than the server in a second statement.
CREATE FUNCTION comments_thread() RETURNS trigger AS $$
BEGIN
    NEW.thread := COALESCE(NEW.thread, NEW.id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER comments_thread BEFORE INSERT ON comments
FOR EACH ROW EXECUTE FUNCTION comments_thread();
