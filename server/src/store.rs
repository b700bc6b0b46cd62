//! Where comments are kept: SQLite, one file and the default, or PostgreSQL, which
//! several servers can share. One API over both; the statements are the same text
//! (`$1` placeholders, which SQLite also reads) where the dialects agree.
//!
//! A comment is acknowledged only after its transaction has committed. SQLite runs in
//! WAL mode with `synchronous = FULL`, so a commit is on disk before it returns;
//! PostgreSQL commits durably by default (`synchronous_commit = on`). Either way an
//! acknowledged comment survives `kill -9` of the server and a power loss of the machine.
//!
//! Every check that must hold across servers is made in the database, in the comment's
//! transaction: SQLite takes its one write lock first (`BEGIN IMMEDIATE`); PostgreSQL
//! takes advisory locks on what could conflict (the idempotency key, the client address,
//! the page and e-mail), so that unrelated comments do not wait for each other.
//!
//! On SQLite, this process's writers take turns (a fair queue, not SQLite's busy
//! handler), and new comments are committed in groups: those that arrive while one
//! transaction is written go together in the next, with one `fsync` (`queue_job`). Every
//! write moves the store's generation, which tells the thread cache (`cache.rs`) that
//! what it read may have changed.
//!
//! The e-mail column is written here and read by no public query: only the site owner's
//! `moderation_list` returns it.

use std::{
    collections::HashSet,
    path::Path,
    str::FromStr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use causerie_protocol::{Comment, Status, ValidComment};
use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database behind a store.
#[derive(Clone)]
enum Pool {
    /// The readers' pool, and one connection of its own for the group commits, whose
    /// page cache then stays warm (another connection's write would make it re-read).
    Sqlite(SqlitePool, SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$db` bound to the pool, whichever database it is, and `$pg` to
/// whether it is PostgreSQL. The body is compiled once per database, so it may only
/// bind values that both take; where the SQL differs, `$pg` chooses the text.
macro_rules! with_db {
    ($store:expr, |$db:ident, $pg:ident| $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($db, _) => {
                let $pg = false;
                $body
            }
            Pool::Postgres($db) => {
                let $pg = true;
                $body
            }
        }
    };
    ($store:expr, |$db:ident| $body:expr) => {
        with_db!($store, |$db, _pg| $body)
    };
}

/// The statement that opens a write transaction: SQLite's takes the write lock at once,
/// so that the transaction's reads see every earlier commit and no later one can slip in.
fn begin(pg: bool) -> &'static str {
    if pg { "BEGIN" } else { "BEGIN IMMEDIATE" }
}

/// A handle on the database. Cloning it is cheap: it shares one pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// The key of the avatars' HMAC, shared by every server on this database.
    secret: Arc<[u8]>,
    /// The idempotency keys of the requests this process is handling now.
    in_flight: Arc<Mutex<HashSet<String>>>,
    /// This process's writers take turns here before SQLite's write lock: a queue is
    /// fair and wakes the next writer at once, where SQLite's busy handler would sleep
    /// and retry, and add tens of milliseconds under load.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// How many writes this process has finished: a cache of what it read is fresh only
    /// while this has not moved.
    generation: Arc<AtomicU64>,
    /// New comments waiting for SQLite's next write (`queue_job`).
    queue: Arc<Mutex<Vec<Job>>>,
}

/// A new comment waiting in SQLite's queue, with everything it needs, and where its
/// outcome goes.
struct Job {
    comment: ValidComment,
    status: Status,
    now: i64,
    key: Option<(String, Vec<u8>)>,
    ip: Option<String>,
    rate: Option<(u32, i64)>,
    announce: bool,
    edit_hash: Option<Vec<u8>>,
    avatar: String,
    duplicate: Vec<u8>,
    respond: Box<dyn FnOnce(&Comment) -> StoredResponse + Send>,
    reply: tokio::sync::oneshot::Sender<Result<Created, sqlx::Error>>,
}

/// A writer's turn: on SQLite, this process's write lock; when it ends, after the write,
/// the store's generation moves on.
struct Turn<'a> {
    _lock: Option<tokio::sync::MutexGuard<'a, ()>>,
    generation: &'a AtomicU64,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.generation.fetch_add(1, Ordering::Release);
    }
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
    /// A request with the same key is being handled now. Nothing was stored.
    InFlight,
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

/// An idempotency key this process is handling, released when dropped.
struct Claim {
    keys: Arc<Mutex<HashSet<String>>>,
    key: String,
}

impl Claim {
    /// Claims `key`, unless a request of this process holds it already.
    fn new(keys: &Arc<Mutex<HashSet<String>>>, key: &str) -> Option<Claim> {
        let mut held = keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.insert(key.to_owned()).then(|| Claim {
            keys: keys.clone(),
            key: key.to_owned(),
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut held = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        held.remove(&self.key);
    }
}

/// A comment's public columns: `id, page, parent, author, url, text, created, status,
/// avatar, deleted`.
#[derive(sqlx::FromRow)]
struct CommentRow {
    id: i64,
    page: String,
    parent: Option<i64>,
    author: String,
    url: Option<String>,
    text: String,
    created: i64,
    status: String,
    avatar: String,
    deleted: i64,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Comment {
        Comment {
            id: row.id,
            page: row.page,
            parent: row.parent,
            author: row.author,
            url: row.url,
            text: row.text,
            created: row.created,
            status: if row.status == "published" {
                Status::Published
            } else {
                Status::Pending
            },
            avatar: row.avatar,
            deleted: row.deleted != 0,
        }
    }
}

/// A comment with what only the site owner sees.
#[derive(sqlx::FromRow)]
struct ModeratedRow {
    #[sqlx(flatten)]
    comment: CommentRow,
    email: String,
    spam: i64,
    ip: Option<String>,
}

/// The columns of `CommentRow`.
const COMMENT_COLUMNS: &str =
    "id, page, parent, author, url, text, created, status, avatar, deleted";

/// The checks and writes of a new comment in the open transaction `$tx`, shared by
/// SQLite's batches and PostgreSQL's transaction per comment, so that both decide
/// alike. A refusal `return`s from the enclosing block; the block's value is the outcome.
macro_rules! create_in {
    ($tx:ident, $pg:expr, $comment:expr, $status:expr, $now:expr, $idempotency:expr,
     $guard:expr, $avatar:expr, $duplicate:expr, $respond:expr) => {{
        let (comment, status, now, idempotency, guard, avatar, duplicate, respond): (
            &ValidComment,
            Status,
            i64,
            Option<Idempotency<'_>>,
            Guard<'_>,
            String,
            Vec<u8>,
            _,
        ) = (
            $comment,
            $status,
            $now,
            $idempotency,
            $guard,
            $avatar,
            $duplicate,
            $respond,
        );
        let pg: bool = $pg;
        if pg {
            // The locks of what could conflict, always in this order, so that two
            // transactions never wait for each other in a cycle; they are released
            // at commit or rollback. Another server handling the same key: 409.
            const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
            if let Some(Idempotency { key, .. }) = idempotency {
                let free: bool = sqlx::query_scalar(
                    "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))",
                )
                .bind(["key\n", key].concat())
                .fetch_one(&mut *$tx)
                .await?;
                if !free {
                    return Ok(Created::InFlight);
                }
            }
            if let Some(ip) = guard.ip {
                sqlx::query(LOCK)
                    .bind(["ip\n", ip].concat())
                    .execute(&mut *$tx)
                    .await?;
            }
            sqlx::query(LOCK)
                .bind(["text\n", &comment.page, "\n", &comment.email.to_lowercase()].concat())
                .execute(&mut *$tx)
                .await?;
        }
        if let Some(Idempotency { key, fingerprint }) = idempotency {
            let seen: Option<(Vec<u8>, i64, String)> = sqlx::query_as(
                "SELECT fingerprint, status, body FROM idempotency_keys WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some((stored, status, body)) = seen {
                return Ok(if stored == fingerprint {
                    Created::Replayed(StoredResponse {
                        status: status as u16,
                        body,
                    })
                } else {
                    Created::KeyReused
                });
            }
        }
        // The rate limit, counted in the database, so that it holds across servers.
        if let (Some(ip), Some((max, window))) = (guard.ip, guard.rate) {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(created) FROM comments WHERE ip = $1 AND created > $2",
            )
            .bind(ip)
            .bind(now - window)
            .fetch_one(&mut *$tx)
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
                let thread: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT thread FROM comments
                     WHERE id = $1 AND page = $2 AND status = 'published'",
                )
                .bind(parent)
                .bind(&comment.page)
                .fetch_optional(&mut *$tx)
                .await?;
                match thread {
                    Some(thread) => thread,
                    None => return Ok(Created::InvalidParent),
                }
            }
        };
        // Stored unless the same comment is there already (a double click, a retry
        // without its key): the last check, made by the INSERT itself.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO comments
               (page, parent, thread, author, email, url, text, status, created, avatar, ip,
                edit_hash, duplicate_key)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
             WHERE NOT EXISTS (SELECT 1 FROM comments WHERE page = $1 AND duplicate_key = $13)
             RETURNING id",
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
        .bind(&duplicate)
        .fetch_optional(&mut *$tx)
        .await?;
        let Some(id) = id else {
            return Ok(Created::Duplicate);
        };
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
            sqlx::query("INSERT INTO outbox (body, next_attempt) VALUES ($1, $2)")
                .bind(event.to_string())
                .bind(now)
                .execute(&mut *$tx)
                .await?;
        }
        if let Some(Idempotency { key, fingerprint }) = idempotency {
            sqlx::query(
                "INSERT INTO idempotency_keys (key, fingerprint, status, body, created)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(key)
            .bind(fingerprint)
            .bind(i64::from(response.status))
            .bind(&response.body)
            .bind(now)
            .execute(&mut *$tx)
            .await?;
        }
        Ok(Created::New(response))
    }};
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite://path`,
    /// or `postgres://user@host/database`.
    pub async fn open(url: &str) -> Result<Store, sqlx::Error> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            // The migrator takes an advisory lock: servers starting together migrate once.
            POSTGRES.run(&pool).await?;
            Pool::Postgres(pool)
        } else {
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
                .connect_with(options.clone())
                .await?;
            SQLITE.run(&pool).await?;
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            Pool::Sqlite(pool, writer)
        };
        let mut store = Store {
            pool,
            secret: Arc::from(&[][..]),
            in_flight: Arc::default(),
            turn: Arc::default(),
            generation: Arc::default(),
            queue: Arc::default(),
        };
        store.secret = store.make_secret().await?;
        store.backfill().await?;
        Ok(store)
    }

    /// Waits for this process's turn to write, on SQLite; PostgreSQL's writers do not
    /// wait for each other but on the locks they need.
    async fn turn(&self) -> Turn<'_> {
        let lock = match self.pool {
            Pool::Sqlite(..) => Some(self.turn.lock().await),
            Pool::Postgres(_) => None,
        };
        Turn {
            _lock: lock,
            generation: &self.generation,
        }
    }

    /// How many writes this process has finished, through any clone of this store. Read
    /// it before reading the database: a result is as fresh as the generation read
    /// before it. Writes by other processes do not move it.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// The database's secret: the key of the avatars, and the root of the other keys.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// The avatars' key: made at random by the first server to start on this database,
    /// and then read by every server. `ON CONFLICT DO NOTHING` lets servers race safely.
    async fn make_secret(&self) -> Result<Arc<[u8]>, sqlx::Error> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        let secret: Vec<u8> = with_db!(self, |db| {
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES ('secret', $1) ON CONFLICT DO NOTHING",
            )
            .bind(&fresh[..])
            .execute(db)
            .await?;
            sqlx::query_scalar("SELECT value FROM settings WHERE name = 'secret'")
                .fetch_one(db)
                .await?
        });
        Ok(secret.into())
    }

    /// Gives an avatar and a duplicate key to the comments stored before they existed;
    /// not to those whose address was erased.
    async fn backfill(&self) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
                "SELECT id, email, text, avatar FROM comments
                 WHERE email <> '' AND (avatar = '' OR duplicate_key IS NULL)",
            )
            .fetch_all(db)
            .await?;
            for (id, email, text, old) in rows {
                let avatar = if old.is_empty() {
                    avatar(&self.secret, &email)
                } else {
                    old
                };
                sqlx::query("UPDATE comments SET avatar = $1, duplicate_key = $2 WHERE id = $3")
                    .bind(avatar)
                    .bind(duplicate_key(&self.secret, &email, &text))
                    .bind(id)
                    .execute(db)
                    .await?;
            }
        });
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
        respond: impl FnOnce(&Comment) -> StoredResponse + Send + 'static,
    ) -> Result<Created, sqlx::Error> {
        // A retry while this process still handles the first request with its key.
        let _claim = match idempotency {
            Some(i) => match Claim::new(&self.in_flight, i.key) {
                Some(claim) => Some(claim),
                None => return Ok(Created::InFlight),
            },
            None => None,
        };
        let avatar = avatar(&self.secret, &comment.email);
        let duplicate = duplicate_key(&self.secret, &comment.email, &comment.comment);
        let db = match &self.pool {
            Pool::Postgres(db) => db,
            Pool::Sqlite(..) => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                self.queue_job(Job {
                    comment: comment.clone(),
                    status,
                    now,
                    key: idempotency.map(|i| (i.key.to_owned(), i.fingerprint.to_vec())),
                    ip: guard.ip.map(str::to_owned),
                    rate: guard.rate,
                    announce: guard.announce,
                    edit_hash: guard.edit_hash.map(<[u8]>::to_vec),
                    avatar,
                    duplicate,
                    respond: Box::new(respond),
                    reply,
                })
                .await;
                return answer.await.unwrap_or_else(|_| {
                    Err(sqlx::Error::Protocol("the comment's batch failed".into()))
                });
            }
        };
        let _turn = self.turn().await;
        let mut tx = db.begin().await?;
        // Everything but the commit, so that every other outcome rolls back at once:
        // PostgreSQL keeps its locks until then, and a dropped transaction's rollback would
        // only run when its connection is next used.
        let outcome = async {
            create_in!(
                tx,
                true,
                comment,
                status,
                now,
                idempotency,
                guard,
                avatar,
                duplicate,
                respond
            )
        }
        .await;
        finish(tx, outcome, |o| matches!(o, Created::New(_))).await
    }

    /// Queues a new comment for SQLite, and writes the queue if it is this request's turn.
    ///
    /// Group commit: every request queues its comment, then waits for this process's
    /// turn to write; the request that gets it writes every comment queued by then in one
    /// transaction, with one `fsync`, and answers them all once it has committed. Under
    /// load, the comments that arrive while one transaction commits go together in the
    /// next, so a disk's `fsync` rate no longer caps the comments per second. A refusal
    /// writes nothing (every check comes before the first write), and a failed write
    /// fails the whole batch, whose comments are then acknowledged to nobody.
    async fn queue_job(&self, job: Job) {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(job);
        let turn = self.turn.clone().lock_owned().await;
        let jobs = std::mem::take(
            &mut *self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        if jobs.is_empty() {
            // An earlier turn wrote this request's comment.
            return;
        }
        // In a task of its own, so that a request that goes away (its client hung up)
        // never leaves the others' comments half-written: the task finishes, then gives
        // the turn to the next writer.
        let store = self.clone();
        let batch = tokio::spawn(async move {
            store.write_batch(jobs).await;
            drop(turn);
        });
        let _ = batch.await;
    }

    /// Writes `jobs` in one SQLite transaction, and answers each once it has committed.
    async fn write_batch(&self, jobs: Vec<Job>) {
        let Pool::Sqlite(_, db) = &self.pool else {
            unreachable!("only SQLite batches its writes");
        };
        tracing::debug!(comments = jobs.len(), "group commit");
        let mut answers = Vec::with_capacity(jobs.len());
        let written: Result<(), sqlx::Error> = async {
            let mut tx = db.begin_with("BEGIN IMMEDIATE").await?;
            for job in jobs {
                let Job {
                    comment,
                    status,
                    now,
                    key,
                    ip,
                    rate,
                    announce,
                    edit_hash,
                    avatar,
                    duplicate,
                    respond,
                    reply,
                } = job;
                let idempotency = key
                    .as_ref()
                    .map(|(key, fingerprint)| Idempotency { key, fingerprint });
                let guard = Guard {
                    ip: ip.as_deref(),
                    rate,
                    announce,
                    edit_hash: edit_hash.as_deref(),
                };
                let outcome: Result<Created, sqlx::Error> = async {
                    create_in!(
                        tx,
                        false,
                        &comment,
                        status,
                        now,
                        idempotency,
                        guard,
                        avatar,
                        duplicate,
                        respond
                    )
                }
                .await;
                // A refusal wrote nothing: `create_in` checks everything before it writes.
                // A failed write fails the batch, below.
                let outcome = outcome?;
                answers.push((reply, Ok(outcome)));
            }
            tx.commit().await
        }
        .await;
        self.generation.fetch_add(1, Ordering::Release);
        for (reply, outcome) in answers {
            let answer = match (&written, outcome) {
                // Not committed: nothing of it is stored, and it must not be acknowledged.
                (Err(e), Ok(Created::New(_))) => Err(sqlx::Error::Protocol(format!(
                    "the comment's batch failed: {e}"
                ))),
                (_, outcome) => outcome,
            };
            let _ = reply.send(answer);
        }
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
        with_db!(self, |db| {
            // One more than asked says whether there is a next page.
            let mut roots: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM comments
                 WHERE page = $1 AND status = 'published' AND parent IS NULL AND id > $2
                 ORDER BY id LIMIT $3",
            )
            .bind(page)
            .bind(after)
            .bind(limit.map_or(i64::MAX, |l| i64::from(l) + 1))
            .fetch_all(db)
            .await?;
            let more = limit.is_some_and(|l| roots.len() > l as usize);
            roots.truncate(limit.map_or(usize::MAX, |l| l as usize));
            let (Some(first), Some(last)) = (roots.first(), roots.last()) else {
                return Ok((Vec::new(), more));
            };
            // The threads of these roots are exactly those in [first, last]: a root
            // between them that is not published has no published replies, since a reply
            // needs a published parent.
            let rows: Vec<CommentRow> = sqlx::query_as(
                "SELECT c.id, c.page, c.parent, c.author, c.url, c.text, c.created, c.status, c.avatar, c.deleted
                 FROM comments c
                 WHERE c.page = $1 AND c.status = 'published' AND c.thread BETWEEN $2 AND $3
                   AND EXISTS (SELECT 1 FROM comments r WHERE r.id = c.thread AND r.status = 'published')
                 ORDER BY c.id",
            )
            .bind(page)
            .bind(first)
            .bind(last)
            .fetch_all(db)
            .await?;
            Ok((rows.into_iter().map(Comment::from).collect(), more))
        })
    }

    /// How many published comments `page` has, replies included.
    pub async fn total(&self, page: &str) -> Result<i64, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM comments WHERE page = $1 AND status = 'published' AND deleted = 0",
            )
            .bind(page)
            .fetch_one(db)
            .await
        })
    }

    /// The number of published comments of each of `pages` that has any.
    pub async fn counts(&self, pages: &[String]) -> Result<Vec<(String, i64)>, sqlx::Error> {
        // One statement whatever the number of pages: they travel as one JSON array.
        let pages = serde_json::to_string(pages).expect("strings always serialise");
        with_db!(self, |db, pg| {
            sqlx::query_as(assembled(format!(
                "SELECT page, COUNT(*) FROM comments
                 WHERE status = 'published' AND deleted = 0 AND page IN ({})
                 GROUP BY page",
                json_list(pg, "text", "$1")
            )))
            .bind(&pages)
            .fetch_all(db)
            .await
        })
    }

    /// Forgets the idempotency keys stored before `before` (Unix milliseconds), and says
    /// how many. A retry after that creates a new comment; the widget retries within
    /// minutes, so a day is plenty.
    pub async fn expire_idempotency_keys(&self, before: i64) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let done = sqlx::query("DELETE FROM idempotency_keys WHERE created < $1")
                .bind(before)
                .execute(db)
                .await?;
            Ok(done.rows_affected())
        })
    }

    /// How many comments are stored, in any state.
    pub async fn count_all(&self) -> Result<i64, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT COUNT(*) FROM comments")
                .fetch_one(db)
                .await
        })
    }

    /// Whether the site owner has approved a comment from `email` before.
    pub async fn is_known(&self, email: &str) -> Result<bool, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM known_emails WHERE email = $1)")
                .bind(email.to_lowercase())
                .fetch_one(db)
                .await
        })
    }

    /// Comments for the site owner, e-mail included: held ones first (newest first),
    /// then the others (newest first), at most `limit` after the first `skip`. `search`
    /// keeps those whose page, name, e-mail or text contains it; `email` those from that
    /// address exactly.
    pub async fn moderation_list(
        &self,
        search: &str,
        email: Option<&str>,
        skip: u32,
        limit: u32,
    ) -> Result<Vec<Moderated>, sqlx::Error> {
        self.moderated(search, email, None, skip, limit).await
    }

    /// One comment for the site owner, e-mail included.
    pub async fn moderated_one(&self, id: i64) -> Result<Option<Moderated>, sqlx::Error> {
        Ok(self.moderated("", None, Some(id), 0, 1).await?.pop())
    }

    async fn moderated(
        &self,
        search: &str,
        email: Option<&str>,
        id: Option<i64>,
        skip: u32,
        limit: u32,
    ) -> Result<Vec<Moderated>, sqlx::Error> {
        let like = format!(
            "%{}%",
            search
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows: Vec<ModeratedRow> = with_db!(self, |db, pg| {
            // SQLite's LIKE ignores the case of ASCII letters; PostgreSQL's ILIKE of all.
            let like_op = if pg { "ILIKE" } else { "LIKE" };
            sqlx::query_as(assembled(format!(
                "SELECT {COMMENT_COLUMNS}, email, spam, ip
                 FROM comments
                 WHERE (page {like_op} $1 ESCAPE '\\' OR author {like_op} $1 ESCAPE '\\'
                        OR email {like_op} $1 ESCAPE '\\' OR text {like_op} $1 ESCAPE '\\')
                   AND ($2 IS NULL OR lower(email) = lower($2))
                   AND ($4 IS NULL OR id = $4)
                 ORDER BY (status = 'pending' AND spam = 0) DESC, id DESC
                 LIMIT $3 OFFSET $5"
            )))
            .bind(&like)
            .bind(email)
            .bind(i64::from(limit))
            .bind(id)
            .bind(i64::from(skip))
            .fetch_all(db)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| Moderated {
                comment: row.comment.into(),
                email: row.email,
                spam: row.spam != 0,
                ip: row.ip,
            })
            .collect())
    }

    /// Publishes the comments `ids`, and remembers their authors as known. Returns how
    /// many there were.
    pub async fn approve(&self, ids: &[i64], now: i64) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        let ids = json_ids(ids);
        with_db!(self, |db, pg| {
            let mut tx = db.begin().await?;
            sqlx::query(assembled(format!(
                "INSERT INTO known_emails (email, approved)
                 SELECT lower(email), $1 FROM comments WHERE id IN ({})
                 ON CONFLICT DO NOTHING",
                json_list(pg, "bigint", "$2")
            )))
            .bind(now)
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
            let done = sqlx::query(assembled(format!(
                "UPDATE comments SET status = 'published', spam = 0 WHERE id IN ({})",
                json_list(pg, "bigint", "$1")
            )))
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }

    /// Hides the comments `ids` as spam. Returns how many there were.
    pub async fn mark_spam(&self, ids: &[i64]) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db, pg| {
            let done = sqlx::query(assembled(format!(
                "UPDATE comments SET status = 'pending', spam = 1 WHERE id IN ({})",
                json_list(pg, "bigint", "$1")
            )))
            .bind(json_ids(ids))
            .execute(db)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// Deletes the comments `ids` and the replies under them. Returns how many comments
    /// went.
    pub async fn delete(&self, ids: &[i64]) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        // One statement: the parent references are checked at its end, when the whole
        // subtree is gone.
        with_db!(self, |db, pg| {
            let done = sqlx::query(assembled(format!(
                "WITH RECURSIVE doomed(id) AS (
                     {}
                     UNION SELECT c.id FROM comments c JOIN doomed d ON c.parent = d.id)
                 DELETE FROM comments WHERE id IN (SELECT id FROM doomed)",
                json_list(pg, "bigint", "$1")
            )))
            .bind(json_ids(ids))
            .execute(db)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// Replaces the text of comment `id`. Returns whether it exists.
    pub async fn edit(&self, id: i64, text: &str) -> Result<bool, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let mut tx = db.begin().await?;
            let email: Option<String> =
                sqlx::query_scalar("SELECT email FROM comments WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(email) = email else {
                tx.rollback().await?;
                return Ok(false);
            };
            sqlx::query("UPDATE comments SET text = $1, duplicate_key = $2 WHERE id = $3")
                .bind(text)
                .bind(self.duplicate_key_of(&email, text))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The duplicate key of a comment by `email` (none once the address is erased).
    fn duplicate_key_of(&self, email: &str, text: &str) -> Option<Vec<u8>> {
        (!email.is_empty()).then(|| duplicate_key(&self.secret, email, text))
    }

    /// Anonymises every comment made with `email`: the text stays, but the name, the
    /// e-mail, the website, the client address and the avatar go, and the address is no
    /// longer known. Returns how many comments there were.
    pub async fn anonymise(&self, email: &str) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let mut tx = db.begin().await?;
            sqlx::query("DELETE FROM known_emails WHERE email = lower($1)")
                .bind(email)
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(
                "UPDATE comments SET author = '—', email = '', url = NULL, ip = NULL, avatar = '',
                     duplicate_key = NULL
                 WHERE lower(email) = lower($1)",
            )
            .bind(email)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }

    /// Erases every comment made with `email`: those nobody replied to are deleted; those
    /// with replies become placeholders without author or text, so that the replies keep
    /// their place. Returns how many comments there were.
    pub async fn erase(&self, email: &str) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let mut tx = db.begin().await?;
            sqlx::query("DELETE FROM known_emails WHERE email = lower($1)")
                .bind(email)
                .execute(&mut *tx)
                .await?;
            let placeholders = sqlx::query(
                "UPDATE comments SET author = '', email = '', url = NULL, ip = NULL, avatar = '',
                     text = '', deleted = 1, duplicate_key = NULL
                 WHERE lower(email) = lower($1)
                   AND EXISTS (SELECT 1 FROM comments r WHERE r.parent = comments.id)",
            )
            .bind(email)
            .execute(&mut *tx)
            .await?;
            let deleted = sqlx::query("DELETE FROM comments WHERE lower(email) = lower($1)")
                .bind(email)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(placeholders.rows_affected() + deleted.rows_affected())
        })
    }

    /// The webhook deliveries that are due at `now`, claimed for `lease_ms`, so that no
    /// other server sends them meanwhile: (id, body, attempts so far), oldest first.
    pub async fn due_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
        let _turn = self.turn().await;
        // One statement claims them; PostgreSQL's servers skip each other's rows rather
        // than wait for them.
        let mut due: Vec<(i64, String, i64)> = with_db!(self, |db, pg| {
            sqlx::query_as(assembled(format!(
                "UPDATE outbox SET next_attempt = $1
                 WHERE id IN (SELECT id FROM outbox WHERE next_attempt <= $2
                              ORDER BY id LIMIT 20 {})
                 RETURNING id, body, attempts",
                if pg { "FOR UPDATE SKIP LOCKED" } else { "" }
            )))
            .bind(now + lease_ms)
            .bind(now)
            .fetch_all(db)
            .await?
        });
        due.sort_unstable_by_key(|d| d.0);
        Ok(due)
    }

    /// Forgets a delivery: sent, or given up.
    pub async fn delivered(&self, id: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("DELETE FROM outbox WHERE id = $1")
                .bind(id)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// Schedules another attempt of a delivery at `at`.
    pub async fn retry_delivery(&self, id: i64, at: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = $1 WHERE id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// How many webhook deliveries wait.
    pub async fn pending_deliveries(&self) -> Result<i64, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(db)
                .await
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
        let _turn = self.turn().await;
        with_db!(self, |db, pg| {
            let mut tx = db.begin_with(begin(pg)).await?;
            let outcome = async {
                let row: Option<AuthorRow> = sqlx::query_as(author_row(pg))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(refused) = author_refusal(row.as_ref(), token_hash, now, window_ms) {
                    return Ok(refused);
                }
                let email = row.map(|(.., email)| email).unwrap_or_default();
                let row: CommentRow = sqlx::query_as(assembled(format!(
                    "UPDATE comments SET text = $1, duplicate_key = $3 WHERE id = $2
                     RETURNING {COMMENT_COLUMNS}"
                )))
                .bind(text)
                .bind(id)
                .bind(self.duplicate_key_of(&email, text))
                .fetch_one(&mut *tx)
                .await?;
                Ok(AuthorChange::Done(Some(row.into())))
            }
            .await;
            finish(tx, outcome, |o| matches!(o, AuthorChange::Done(_))).await
        })
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
        let _turn = self.turn().await;
        with_db!(self, |db, pg| {
            let mut tx = db.begin_with(begin(pg)).await?;
            let outcome = async {
                let row: Option<AuthorRow> = sqlx::query_as(author_row(pg))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(refused) = author_refusal(row.as_ref(), token_hash, now, window_ms) {
                    return Ok(refused);
                }
                let replied: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM comments WHERE parent = $1)")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                let statement = if replied {
                    "UPDATE comments SET author = '', email = '', url = NULL, ip = NULL, avatar = '',
                         text = '', deleted = 1, edit_hash = NULL, duplicate_key = NULL
                     WHERE id = $1"
                } else {
                    "DELETE FROM comments WHERE id = $1"
                };
                sqlx::query(statement).bind(id).execute(&mut *tx).await?;
                Ok(AuthorChange::Done(None))
            }
            .await;
            finish(tx, outcome, |o| matches!(o, AuthorChange::Done(_))).await
        })
    }

    /// A setting shared by every server on this database.
    pub async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(db)
                .await
        })
    }

    /// Sets a setting.
    pub async fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(name)
            .bind(value)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Opens an admin session until `expires`.
    pub async fn open_session(
        &self,
        token_hash: &[u8],
        csrf: &str,
        expires: i64,
    ) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("INSERT INTO sessions (token_hash, csrf, expires) VALUES ($1, $2, $3)")
                .bind(token_hash)
                .bind(csrf)
                .bind(expires)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// The CSRF token of the session whose token hashes to `token_hash`, if it is open
    /// at `now`.
    pub async fn session(
        &self,
        token_hash: &[u8],
        now: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT csrf FROM sessions WHERE token_hash = $1 AND expires > $2")
                .bind(token_hash)
                .bind(now)
                .fetch_optional(db)
                .await
        })
    }

    /// Closes a session, and every session that has expired by `now`.
    pub async fn close_session(&self, token_hash: &[u8], now: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires <= $2")
                .bind(token_hash)
                .bind(now)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// Closes every admin session, as a new password does.
    pub async fn close_all_sessions(&self) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("DELETE FROM sessions").execute(db).await?;
        });
        Ok(())
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(readers, writer) => {
                writer.close().await;
                readers.close().await;
            }
            Pool::Postgres(db) => db.close().await,
        }
    }
}

/// Ends the transaction `tx` of `outcome`: commits it when `keep` says the outcome
/// changed something to keep, else rolls it back now, so that its locks go at once.
async fn finish<DB: sqlx::Database, T>(
    tx: sqlx::Transaction<'static, DB>,
    outcome: Result<T, sqlx::Error>,
    keep: impl FnOnce(&T) -> bool,
) -> Result<T, sqlx::Error> {
    match outcome {
        Ok(done) if keep(&done) => {
            tx.commit().await?;
            Ok(done)
        }
        Ok(refused) => {
            tx.rollback().await?;
            Ok(refused)
        }
        Err(e) => {
            // The error is the one to report; the rollback is best-effort.
            let _ = tx.rollback().await;
            Err(e)
        }
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

/// The rows of the JSON array bound as `param`, cast to `sql_type` on PostgreSQL: a list
/// of any length in one statement.
fn json_list(pg: bool, sql_type: &str, param: &str) -> String {
    if pg {
        format!("SELECT value::{sql_type} FROM json_array_elements_text({param}::json)")
    } else {
        format!("SELECT value FROM json_each({param})")
    }
}

/// A statement put together from this file's own fragments: never from a value, as
/// values are always bound.
fn assembled(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

/// Ids as one JSON array, so that a statement takes any number of them.
fn json_ids(ids: &[i64]) -> String {
    serde_json::to_string(ids).expect("numbers always serialise")
}

/// What the author checks read of comment `$1`: its token's hash, its time, whether it
/// is a placeholder, and its address (for an edit's duplicate key). PostgreSQL locks the
/// row until the change commits; SQLite's transaction holds the write lock already.
fn author_row(pg: bool) -> &'static str {
    if pg {
        "SELECT edit_hash, created, deleted, email FROM comments WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT edit_hash, created, deleted, email FROM comments WHERE id = $1"
    }
}

/// A row of `author_row`.
type AuthorRow = (Option<Vec<u8>>, i64, i64, String);

/// Why the author's token does not open the comment `row` (see `author_row`) at `now`;
/// `None` when it does.
fn author_refusal(
    row: Option<&AuthorRow>,
    token_hash: &[u8],
    now: i64,
    window_ms: i64,
) -> Option<AuthorChange> {
    match row {
        None | Some((_, _, 1, _)) => Some(AuthorChange::NotFound),
        Some((hash, ..)) if hash.as_deref() != Some(token_hash) => Some(AuthorChange::Forbidden),
        Some((_, created, ..)) if now > created + window_ms => Some(AuthorChange::Closed),
        Some(_) => None,
    }
}

/// The duplicate key of a comment: the first 128 bits of HMAC-SHA256, keyed with the
/// database's secret, over the lowercased address and the text. Two comments of a page
/// with the same key are the same text from the same address.
fn duplicate_key(secret: &[u8], email: &str, text: &str) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"duplicate\n");
    mac.update(email.to_lowercase().as_bytes());
    mac.update(b"\n");
    mac.update(text.as_bytes());
    mac.finalize().into_bytes()[..16].to_vec()
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
