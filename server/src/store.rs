//! Where comments are kept: SQLite, in WAL mode with `synchronous = FULL`.
//!
//! A comment is acknowledged only after its transaction has committed, and with
//! `synchronous = FULL` a commit is on disk before it returns, so an acknowledged
//! comment survives `kill -9` of the server and a power loss of the machine.
//! The e-mail column is written here and read by no public query: only the site owner's
//! `moderation_list` returns it.

use std::{path::Path, str::FromStr, sync::Arc, time::Duration};

use causerie_protocol::{Comment, Status, ValidComment};
use sqlx::{
    Row, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A handle on the database. Cloning it is cheap: it shares one pool.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    /// The key of the avatars' HMAC, shared by every server on this database.
    secret: Arc<[u8]>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// A stored response, replayed for a retried request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    /// The HTTP status of the first response.
    pub status: u16,
    /// Its JSON body.
    pub body: String,
}

/// What became of a request to create a comment.
#[derive(Debug)]
pub enum Created {
    /// A new comment, and the response that was stored for its key.
    New(StoredResponse),
    /// The key was seen before with the same body: the first response, again.
    Replayed(StoredResponse),
    /// The key was seen before with another body.
    KeyReused,
    /// The parent is not a published comment of the same page. Nothing was stored.
    InvalidParent,
    /// The same text from the same address is on the page already. Nothing was stored.
    Duplicate,
    /// The client's address posted its quota already; it may again in this many
    /// seconds. Nothing was stored.
    RateLimited(u64),
}

/// Who posts, and the checks the comment's transaction makes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Guard<'a> {
    /// The client's address, stored with the comment.
    pub ip: Option<&'a str>,
    /// At most this many comments from `ip` within this many milliseconds.
    pub rate: Option<(u32, i64)>,
    /// Announce the comment to the site owner's webhook (through the outbox).
    pub announce: bool,
    /// The SHA-256 of the author's edit token.
    pub edit_hash: Option<&'a [u8]>,
}

/// What became of an author's edit or deletion.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthorChange {
    /// Done; for an edit, the comment as it is now.
    Done(Option<Comment>),
    /// No such comment (or it was erased).
    NotFound,
    /// The token does not open it.
    Forbidden,
    /// Its window is over.
    Closed,
}

/// The idempotency key of a request and the fingerprint of its body.
#[derive(Clone, Copy, Debug)]
pub struct Idempotency<'a> {
    /// The client's key.
    pub key: &'a str,
    /// SHA-256 of the request's canonical body.
    pub fingerprint: &'a [u8],
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let file = options.get_filename();
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            && file != Path::new(":memory:")
        {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let secret = secret(&pool).await?;
        let store = Store { pool, secret };
        store.backfill_avatars().await?;
        Ok(store)
    }

    /// The database's secret: the key of the avatars, and the root of the other keys.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// Gives an avatar to the comments stored before avatars existed.
    async fn backfill_avatars(&self) -> Result<(), sqlx::Error> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, email FROM comments WHERE avatar = ''")
                .fetch_all(&self.pool)
                .await?;
        for (id, email) in rows {
            sqlx::query("UPDATE comments SET avatar = ? WHERE id = ?")
                .bind(avatar(&self.secret, &email))
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Stores a new comment. With a key, the comment and the response are written in one
    /// transaction, so that a replay finds the response if and only if the comment exists.
    ///
    /// `respond` builds the response from the stored comment.
    pub async fn create(
        &self,
        comment: &ValidComment,
        status: Status,
        now: i64,
        idempotency: Option<Idempotency<'_>>,
        guard: Guard<'_>,
        respond: impl FnOnce(&Comment) -> StoredResponse,
    ) -> Result<Created, sqlx::Error> {
        // `BEGIN IMMEDIATE` takes the write lock first, so that two requests with the same
        // key are serialised: the second one sees the first one's committed row.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some(Idempotency { key, fingerprint }) = idempotency {
            let seen =
                sqlx::query("SELECT fingerprint, status, body FROM idempotency_keys WHERE key = ?")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(row) = seen {
                let stored: Vec<u8> = row.get("fingerprint");
                return Ok(if stored == fingerprint {
                    Created::Replayed(StoredResponse {
                        status: row.get::<i64, _>("status") as u16,
                        body: row.get("body"),
                    })
                } else {
                    Created::KeyReused
                });
            }
        }
        // The same comment twice (a double click, a retry without its key): refused.
        let duplicate: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM comments
             WHERE page = ? AND lower(email) = lower(?) AND text = ?)",
        )
        .bind(&comment.page)
        .bind(&comment.email)
        .bind(&comment.comment)
        .fetch_one(&mut *tx)
        .await?;
        if duplicate {
            return Ok(Created::Duplicate);
        }
        // The rate limit, counted in the database, so that it holds across servers.
        if let (Some(ip), Some((max, window))) = (guard.ip, guard.rate) {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(created) FROM comments WHERE ip = ? AND created > ?",
            )
            .bind(ip)
            .bind(now - window)
            .fetch_one(&mut *tx)
            .await?;
            if count >= i64::from(max) {
                let free_at = oldest.unwrap_or(now) + window;
                let seconds = u64::try_from((free_at - now).max(1000) / 1000).unwrap_or(1);
                return Ok(Created::RateLimited(seconds));
            }
        }
        // A reply joins its parent's thread; a comment on the article starts its own.
        let thread: Option<i64> = match comment.parent {
            None => None,
            Some(parent) => {
                let thread = sqlx::query_scalar(
                    "SELECT thread FROM comments WHERE id = ? AND page = ? AND status = 'published'",
                )
                .bind(parent)
                .bind(&comment.page)
                .fetch_optional(&mut *tx)
                .await?;
                if thread.is_none() {
                    return Ok(Created::InvalidParent);
                }
                thread
            }
        };
        let avatar = avatar(&self.secret, &comment.email);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (page, parent, thread, author, email, url, text, status, created, avatar, ip, edit_hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&comment.page)
        .bind(comment.parent)
        .bind(thread)
        .bind(&comment.author)
        .bind(&comment.email)
        .bind(&comment.url)
        .bind(&comment.comment)
        .bind(status.as_str())
        .bind(now)
        .bind(&avatar)
        .bind(guard.ip)
        .bind(guard.edit_hash)
        .fetch_one(&mut *tx)
        .await?;
        if thread.is_none() {
            sqlx::query("UPDATE comments SET thread = id WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let public = Comment {
            id,
            page: comment.page.clone(),
            parent: comment.parent,
            author: comment.author.clone(),
            url: comment.url.clone(),
            text: comment.comment.clone(),
            created: now,
            status,
            avatar,
            deleted: false,
        };
        let response = respond(&public);
        if guard.announce {
            let event = serde_json::json!({ "event": "comment.created", "comment": &public });
            sqlx::query("INSERT INTO outbox (body, next_attempt) VALUES (?, ?)")
                .bind(event.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(Idempotency { key, fingerprint }) = idempotency {
            sqlx::query(
                "INSERT INTO idempotency_keys (key, fingerprint, status, body, created)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(key)
            .bind(fingerprint)
            .bind(i64::from(response.status))
            .bind(&response.body)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Created::New(response))
    }

    /// Whole threads of a page, oldest first: the published comments on the article
    /// with an id above `after`, at most `limit` of them (all without a limit), each
    /// followed by its published replies. A reply comes after its parent.
    ///
    /// Keyset pagination over the comments on the article: its cost does not grow with
    /// how far the reader has read. Also says whether more threads follow.
    pub async fn threads(
        &self,
        page: &str,
        after: i64,
        limit: Option<u32>,
    ) -> Result<(Vec<Comment>, bool), sqlx::Error> {
        // One more than asked says whether there is a next page.
        let mut roots: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM comments
             WHERE page = ? AND status = 'published' AND parent IS NULL AND id > ?
             ORDER BY id LIMIT ?",
        )
        .bind(page)
        .bind(after)
        // SQLite reads a negative LIMIT as no limit.
        .bind(limit.map_or(-1, |l| i64::from(l) + 1))
        .fetch_all(&self.pool)
        .await?;
        let more = limit.is_some_and(|l| roots.len() > l as usize);
        roots.truncate(limit.map_or(usize::MAX, |l| l as usize));
        let (Some(first), Some(last)) = (roots.first(), roots.last()) else {
            return Ok((Vec::new(), more));
        };
        // The threads of these roots are exactly those in [first, last]: a root between
        // them that is not published has no published replies, since a reply needs a
        // published parent.
        let rows = sqlx::query(
            "SELECT c.id, c.page, c.parent, c.author, c.url, c.text, c.created, c.status, c.avatar, c.deleted
             FROM comments c
             WHERE c.page = ? AND c.status = 'published' AND c.thread BETWEEN ? AND ?
               AND EXISTS (SELECT 1 FROM comments r WHERE r.id = c.thread AND r.status = 'published')
             ORDER BY c.id",
        )
        .bind(page)
        .bind(first)
        .bind(last)
        .fetch_all(&self.pool)
        .await?;
        let comments = rows.iter().map(comment_of).collect();
        Ok((comments, more))
    }

    /// How many published comments `page` has, replies included.
    pub async fn total(&self, page: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM comments WHERE page = ? AND status = 'published' AND deleted = 0",
        )
        .bind(page)
        .fetch_one(&self.pool)
        .await
    }

    /// The number of published comments of each of `pages` that has any.
    pub async fn counts(&self, pages: &[String]) -> Result<Vec<(String, i64)>, sqlx::Error> {
        // One statement whatever the number of pages: they travel as one JSON array.
        let pages = serde_json::to_string(pages).expect("strings always serialise");
        sqlx::query_as(
            "SELECT page, COUNT(*) FROM comments
             WHERE status = 'published' AND deleted = 0 AND page IN (SELECT value FROM json_each(?))
             GROUP BY page",
        )
        .bind(pages)
        .fetch_all(&self.pool)
        .await
    }

    /// Forgets the idempotency keys stored before `before` (Unix milliseconds), and says
    /// how many. A retry after that creates a new comment; the widget retries within
    /// minutes, so a day is plenty.
    pub async fn expire_idempotency_keys(&self, before: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created < ?")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// How many comments are stored, in any state.
    pub async fn count_all(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM comments")
            .fetch_one(&self.pool)
            .await
    }

    /// Whether the site owner has approved a comment from `email` before.
    pub async fn is_known(&self, email: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM known_emails WHERE email = ?)")
            .bind(email.to_lowercase())
            .fetch_one(&self.pool)
            .await
    }

    /// Comments for the site owner, e-mail included: held ones first (newest first),
    /// then the others (newest first), at most `limit`. `search` keeps those whose page,
    /// name, e-mail or text contains it; `email` those from that address exactly.
    pub async fn moderation_list(
        &self,
        search: &str,
        email: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Moderated>, sqlx::Error> {
        self.moderated(search, email, None, limit).await
    }

    /// One comment for the site owner, e-mail included.
    pub async fn moderated_one(&self, id: i64) -> Result<Option<Moderated>, sqlx::Error> {
        Ok(self.moderated("", None, Some(id), 1).await?.pop())
    }

    async fn moderated(
        &self,
        search: &str,
        email: Option<&str>,
        id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Moderated>, sqlx::Error> {
        let like = format!(
            "%{}%",
            search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = sqlx::query(
            "SELECT id, page, parent, author, email, url, text, created, status, spam, avatar, deleted, ip
             FROM comments
             WHERE (page LIKE ?1 ESCAPE '\\' OR author LIKE ?1 ESCAPE '\\'
                    OR email LIKE ?1 ESCAPE '\\' OR text LIKE ?1 ESCAPE '\\')
               AND (?2 IS NULL OR lower(email) = lower(?2))
               AND (?4 IS NULL OR id = ?4)
             ORDER BY (status = 'pending' AND spam = 0) DESC, id DESC
             LIMIT ?3",
        )
        .bind(&like)
        .bind(email)
        .bind(i64::from(limit))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Moderated {
                comment: comment_of(&row),
                email: row.get("email"),
                spam: row.get::<i64, _>("spam") != 0,
                ip: row.get("ip"),
            })
            .collect())
    }

    /// Publishes the comments `ids`, and remembers their authors as known. Returns how
    /// many there were.
    pub async fn approve(&self, ids: &[i64], now: i64) -> Result<u64, sqlx::Error> {
        let ids = json_ids(ids);
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO known_emails (email, approved)
             SELECT lower(email), ? FROM comments WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(now)
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE comments SET status = 'published', spam = 0
             WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Hides the comments `ids` as spam. Returns how many there were.
    pub async fn mark_spam(&self, ids: &[i64]) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE comments SET status = 'pending', spam = 1
             WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(json_ids(ids))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes the comments `ids` and the replies under them. Returns how many comments
    /// went.
    pub async fn delete(&self, ids: &[i64]) -> Result<u64, sqlx::Error> {
        // One statement: SQLite checks the parent references at its end, when the whole
        // subtree is gone.
        let done = sqlx::query(
            "WITH RECURSIVE doomed(id) AS (
                 SELECT value FROM json_each(?)
                 UNION SELECT c.id FROM comments c JOIN doomed d ON c.parent = d.id)
             DELETE FROM comments WHERE id IN (SELECT id FROM doomed)",
        )
        .bind(json_ids(ids))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Replaces the text of comment `id`. Returns whether it exists.
    pub async fn edit(&self, id: i64, text: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE comments SET text = ? WHERE id = ?")
            .bind(text)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Anonymises every comment made with `email`: the text stays, but the name, the
    /// e-mail, the website, the client address and the avatar go, and the address is no
    /// longer known. Returns how many comments there were.
    pub async fn anonymise(&self, email: &str) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM known_emails WHERE email = lower(?)")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query(
            "UPDATE comments SET author = '—', email = '', url = NULL, ip = NULL, avatar = ''
             WHERE lower(email) = lower(?)",
        )
        .bind(email)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Erases every comment made with `email`: those nobody replied to are deleted; those
    /// with replies become placeholders without author or text, so that the replies keep
    /// their place. Returns how many comments there were.
    pub async fn erase(&self, email: &str) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM known_emails WHERE email = lower(?)")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        let placeholders = sqlx::query(
            "UPDATE comments SET author = '', email = '', url = NULL, ip = NULL, avatar = '',
                 text = '', deleted = 1
             WHERE lower(email) = lower(?) AND EXISTS (SELECT 1 FROM comments r WHERE r.parent = comments.id)",
        )
        .bind(email)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query("DELETE FROM comments WHERE lower(email) = lower(?)")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(placeholders.rows_affected() + deleted.rows_affected())
    }

    /// The webhook deliveries that are due at `now`, claimed for `lease_ms`, so that no
    /// other server sends them meanwhile: (id, body, attempts so far).
    pub async fn due_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let due: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT id, body, attempts FROM outbox WHERE next_attempt <= ? ORDER BY id LIMIT 20",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for (id, _, _) in &due {
            sqlx::query("UPDATE outbox SET next_attempt = ? WHERE id = ?")
                .bind(now + lease_ms)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(due)
    }

    /// Forgets a delivery: sent, or given up.
    pub async fn delivered(&self, id: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM outbox WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Schedules another attempt of a delivery at `at`.
    pub async fn retry_delivery(&self, id: i64, at: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_attempt = ? WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many webhook deliveries wait.
    pub async fn pending_deliveries(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
            .fetch_one(&self.pool)
            .await
    }

    /// Checks an author's token and window for comment `id`, inside `tx`.
    async fn author_may(
        tx: &mut sqlx::SqliteConnection,
        id: i64,
        token_hash: &[u8],
        now: i64,
        window_ms: i64,
    ) -> Result<Result<(), AuthorChange>, sqlx::Error> {
        let row: Option<(Option<Vec<u8>>, i64, i64)> =
            sqlx::query_as("SELECT edit_hash, created, deleted FROM comments WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        Ok(match row {
            None | Some((_, _, 1)) => Err(AuthorChange::NotFound),
            Some((hash, _, _)) if hash.as_deref() != Some(token_hash) => {
                Err(AuthorChange::Forbidden)
            }
            Some((_, created, _)) if now > created + window_ms => Err(AuthorChange::Closed),
            Some(_) => Ok(()),
        })
    }

    /// The author replaces the text of comment `id`, within its window.
    pub async fn author_edit(
        &self,
        id: i64,
        token_hash: &[u8],
        text: &str,
        now: i64,
        window_ms: i64,
    ) -> Result<AuthorChange, sqlx::Error> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Err(refused) = Store::author_may(&mut tx, id, token_hash, now, window_ms).await? {
            return Ok(refused);
        }
        let row = sqlx::query(
            "UPDATE comments SET text = ? WHERE id = ?
             RETURNING id, page, parent, author, url, text, created, status, avatar, deleted",
        )
        .bind(text)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(AuthorChange::Done(Some(comment_of(&row))))
    }

    /// The author deletes comment `id`, within its window: gone, or, if others replied
    /// to it, a placeholder without author or text.
    pub async fn author_delete(
        &self,
        id: i64,
        token_hash: &[u8],
        now: i64,
        window_ms: i64,
    ) -> Result<AuthorChange, sqlx::Error> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Err(refused) = Store::author_may(&mut tx, id, token_hash, now, window_ms).await? {
            return Ok(refused);
        }
        let replied: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM comments WHERE parent = ?)")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let statement = if replied {
            "UPDATE comments SET author = '', email = '', url = NULL, ip = NULL, avatar = '',
                 text = '', deleted = 1, edit_hash = NULL WHERE id = ?"
        } else {
            "DELETE FROM comments WHERE id = ?"
        };
        sqlx::query(statement).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(AuthorChange::Done(None))
    }

    /// A setting shared by every server on this database.
    pub async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
    }

    /// Sets a setting.
    pub async fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Opens an admin session until `expires`.
    pub async fn open_session(
        &self,
        token_hash: &[u8],
        csrf: &str,
        expires: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO sessions (token_hash, csrf, expires) VALUES (?, ?, ?)")
            .bind(token_hash)
            .bind(csrf)
            .bind(expires)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The CSRF token of the session whose token hashes to `token_hash`, if it is open
    /// at `now`.
    pub async fn session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT csrf FROM sessions WHERE token_hash = ? AND expires > ?")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
    }

    /// Closes a session, and every session that has expired by `now`.
    pub async fn close_session(&self, token_hash: &[u8], now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ? OR expires <= ?")
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes every admin session, as a new password does.
    pub async fn close_all_sessions(&self) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM sessions")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A comment as the site owner sees it: with the e-mail address, and whether it is spam.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moderated {
    /// The comment.
    pub comment: Comment,
    /// The commenter's e-mail address.
    pub email: String,
    /// Whether the site owner marked it as spam.
    pub spam: bool,
    /// The client address it came from, if known.
    pub ip: Option<String>,
}

/// The comment of a row with the columns `id, page, parent, author, url, text, created,
/// status, avatar, deleted`.
fn comment_of(row: &sqlx::sqlite::SqliteRow) -> Comment {
    Comment {
        id: row.get("id"),
        page: row.get("page"),
        parent: row.get("parent"),
        author: row.get("author"),
        url: row.get("url"),
        text: row.get("text"),
        created: row.get("created"),
        status: if row.get::<String, _>("status") == "published" {
            Status::Published
        } else {
            Status::Pending
        },
        avatar: row.get("avatar"),
        deleted: row.get::<i64, _>("deleted") != 0,
    }
}

/// Ids as one JSON array, so that a statement takes any number of them.
fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("numbers always serialise")
}

/// The avatars' key: made at random by the first server to start on this database, and
/// then read by every server. `INSERT OR IGNORE` lets two servers race safely.
async fn secret(pool: &SqlitePool) -> Result<Arc<[u8]>, sqlx::Error> {
    let mut fresh = [0u8; 32];
    getrandom::fill(&mut fresh).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query("INSERT OR IGNORE INTO settings (name, value) VALUES ('secret', ?)")
        .bind(&fresh[..])
        .execute(pool)
        .await?;
    let secret: Vec<u8> = sqlx::query_scalar("SELECT value FROM settings WHERE name = 'secret'")
        .fetch_one(pool)
        .await?;
    Ok(secret.into())
}

/// The avatar of an e-mail address: the first 64 bits, in hex, of HMAC-SHA256 keyed with
/// the server's secret over the lowercased address. Without the secret, nobody can tell
/// which address an avatar belongs to, not even by guessing addresses and hashing them.
pub fn avatar(secret: &[u8], email: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(email.to_lowercase().as_bytes());
    let tag = mac.finalize().into_bytes();
    crate::hex(&tag[..8])
}
