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

/// A new comment waiting in SQLite's queue, and where its outcome goes.
struct Job {
    row: NewRow,
    reply: tokio::sync::oneshot::Sender<Result<Created, StoreError>>,
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

/// Why the store failed. (A refusal is not a failure: it is an outcome, such as
/// `Created::Duplicate`.)
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed, or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The group commit that carried this comment failed: nothing of it is stored.
    #[error("the comment's batch was not committed: {0}")]
    BatchFailed(String),
    /// The system's random source failed.
    #[error("the system's random source: {0}")]
    Random(String),
    /// The database's schema could not be brought up to date.
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A new comment as the pipeline (`comments.rs`) decided it: everything the store
/// writes, and the checks its transaction makes.
#[derive(Debug)]
pub struct NewRow {
    /// The comment, validated.
    pub comment: ValidComment,
    /// The site whose thread it joins (`sites.rs`).
    pub site: String,
    /// Published or held.
    pub status: Status,
    /// When it is stored, in Unix milliseconds.
    pub now: i64,
    /// The request's idempotency key and the fingerprint of its body.
    pub key: Option<(String, Vec<u8>)>,
    /// The client's address, kept for the site owner.
    pub ip: Option<String>,
    /// The rate limit: at most `max` posts from `client` (a keyed hash of the address)
    /// within `window` milliseconds.
    pub rate: Option<Rate>,
    /// Announce the comment (through the outbox).
    pub announce: bool,
    /// The SHA-256 of the author's edit token.
    pub edit_hash: Option<Vec<u8>>,
    /// The keyed hash of the commenter's identity.
    pub author_key: Vec<u8>,
    /// The avatar, from the identity.
    pub avatar: String,
    /// The duplicate key (`duplicate_key`).
    pub duplicate: Vec<u8>,
}

/// A rate limit, counted in the database.
#[derive(Clone, Debug)]
pub struct Rate {
    /// The keyed hash of the client's address.
    pub client: Vec<u8>,
    /// At most this many posts…
    pub max: u32,
    /// …within this many milliseconds.
    pub window: i64,
}

/// What became of a request to create a comment.
#[derive(Debug)]
pub enum Created {
    /// A new comment.
    New(Comment),
    /// The key was seen before with the same body: the comment it created, as it is
    /// now; none if it is gone (deleted, or erased).
    Replayed(Option<Comment>),
    /// The key was seen before with another body.
    KeyReused,
    /// A request with the same key is being handled now. Nothing was stored.
    InFlight,
    /// The parent is not a published comment of the same thread. Nothing was stored.
    InvalidParent,
    /// The same text from the same commenter is on the page already. Nothing was stored.
    Duplicate,
    /// The client's address posted its quota already; it may again in this many
    /// seconds. Nothing was stored.
    RateLimited(u64),
}

/// What became of an author's edit or deletion.
#[derive(Debug, PartialEq, Eq)]
pub enum AuthorChange {
    /// Done; for an edit, the comment as it is now.
    Done(Option<Comment>),
    /// No such comment (or it was erased), or a held one the token does not open.
    NotFound,
    /// The token does not open it.
    Forbidden,
    /// Its window is over.
    Closed,
    /// The new text is on the page already, from the same commenter.
    Duplicate,
}

/// What the author checks read of a comment, before the pipeline decides on an edit.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuthorView {
    /// The hash of its edit token.
    pub edit_hash: Option<Vec<u8>>,
    /// When it was stored.
    pub created: i64,
    /// Whether it is a placeholder.
    pub deleted: i64,
    /// `published` or `pending`.
    pub status: String,
    /// Its site.
    pub site: String,
    /// Its page.
    pub page: String,
    /// Its commenter's keyed identity.
    pub author_key: Option<Vec<u8>>,
    /// The client address it came from.
    pub ip: Option<String>,
    /// Its name, e-mail and website, for the blocklist.
    pub author: String,
    /// Its e-mail address, for the blocklist.
    pub email: String,
}

impl AuthorView {
    /// Why the author's token does not open this comment at `now`; `None` when it does.
    /// A held comment that the token does not open is "not found", like a missing one,
    /// so that nobody learns which ids are held.
    pub fn refusal(&self, token_hash: &[u8], now: i64, window_ms: i64) -> Option<AuthorChange> {
        if self.deleted != 0 {
            return Some(AuthorChange::NotFound);
        }
        if self.edit_hash.as_deref() != Some(token_hash) {
            return Some(if self.status == "published" {
                AuthorChange::Forbidden
            } else {
                AuthorChange::NotFound
            });
        }
        (now > self.created.saturating_add(window_ms)).then_some(AuthorChange::Closed)
    }
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
    site: String,
}

/// The columns of `CommentRow`.
const COMMENT_COLUMNS: &str =
    "id, page, parent, author, url, text, created, status, avatar, deleted";

/// The checks and writes of the new comment `$row` in the open transaction `$tx`,
/// shared by SQLite's batches and PostgreSQL's transaction per comment, so that both
/// decide alike. A refusal `return`s from the enclosing block, having written nothing;
/// the block's value is the outcome.
macro_rules! create_in {
    ($tx:ident, $pg:expr, $row:expr) => {{
        let row: &NewRow = $row;
        let comment = &row.comment;
        let pg: bool = $pg;
        if pg {
            // The locks of what could conflict, always in this order, so that two
            // transactions never wait for each other in a cycle; they are released
            // at commit or rollback. Another server handling the same key: 409.
            const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
            if let Some((key, _)) = &row.key {
                let free: bool =
                    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))")
                        .bind(["key\n", key].concat())
                        .fetch_one(&mut *$tx)
                        .await?;
                if !free {
                    return Ok(Created::InFlight);
                }
            }
            if let Some(rate) = &row.rate {
                sqlx::query(LOCK)
                    .bind(["client\n", &crate::hex(&rate.client)].concat())
                    .execute(&mut *$tx)
                    .await?;
            }
            sqlx::query(LOCK)
                .bind(["duplicate\n", &crate::hex(&row.duplicate)].concat())
                .execute(&mut *$tx)
                .await?;
        }
        if let Some((key, fingerprint)) = &row.key {
            let seen: Option<(Vec<u8>, Option<i64>)> = sqlx::query_as(
                "SELECT fingerprint, comment_id FROM idempotency_keys WHERE key = $1",
            )
            .bind(key)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some((stored, id)) = seen {
                if let Some(id) = id.filter(|_| stored == *fingerprint) {
                    let found: Option<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {COMMENT_COLUMNS} FROM comments WHERE id = $1 AND deleted = 0"
                    )))
                    .bind(id)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    return Ok(Created::Replayed(found.map(Comment::from)));
                }
                // An erased comment's key keeps no fingerprint: a replay gets nothing.
                return Ok(if stored.is_empty() {
                    Created::Replayed(None)
                } else {
                    Created::KeyReused
                });
            }
        }
        // The rate limit counts posts, in the database, so that it holds across servers
        // and whatever became of the comments since.
        if let Some(rate) = &row.rate {
            let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
                "SELECT COUNT(*), MIN(created) FROM post_log WHERE client = $1 AND created > $2",
            )
            .bind(&rate.client)
            .bind(row.now - rate.window)
            .fetch_one(&mut *$tx)
            .await?;
            if count >= i64::from(rate.max) {
                let free_at = oldest.unwrap_or(row.now) + rate.window;
                let seconds = u64::try_from((free_at - row.now).max(1000) / 1000).unwrap_or(1);
                return Ok(Created::RateLimited(seconds));
            }
        }
        // A reply joins its parent's thread; a comment on the article starts its own.
        // A placeholder cannot be replied to.
        let thread: Option<i64> = match comment.parent() {
            None => None,
            Some(parent) => {
                let thread: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT thread FROM comments
                     WHERE id = $1 AND site = $2 AND page = $3 AND status = 'published'
                       AND deleted = 0",
                )
                .bind(parent)
                .bind(&row.site)
                .bind(comment.page())
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
                edit_hash, duplicate_key, site, author_key)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15
             WHERE NOT EXISTS (SELECT 1 FROM comments
                               WHERE site = $14 AND page = $1 AND duplicate_key = $13)
             RETURNING id",
        )
        .bind(comment.page())
        .bind(comment.parent())
        .bind(thread)
        .bind(comment.author())
        .bind(comment.email())
        .bind(comment.url())
        .bind(comment.comment())
        .bind(row.status.as_str())
        .bind(row.now)
        .bind(&row.avatar)
        .bind(&row.ip)
        .bind(&row.edit_hash)
        .bind(&row.duplicate)
        .bind(&row.site)
        .bind(&row.author_key)
        .fetch_optional(&mut *$tx)
        .await?;
        let Some(id) = id else {
            return Ok(Created::Duplicate);
        };
        if let Some(rate) = &row.rate {
            sqlx::query("INSERT INTO post_log (client, created) VALUES ($1, $2)")
                .bind(&rate.client)
                .bind(row.now)
                .execute(&mut *$tx)
                .await?;
        }
        if row.announce {
            sqlx::query(
                "INSERT INTO outbox (kind, comment_id, next_attempt)
                 VALUES ('comment.created', $1, $2)",
            )
            .bind(id)
            .bind(row.now)
            .execute(&mut *$tx)
            .await?;
        }
        if let Some((key, fingerprint)) = &row.key {
            sqlx::query(
                "INSERT INTO idempotency_keys (key, fingerprint, status, created, comment_id)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(key)
            .bind(fingerprint)
            .bind(if row.status == Status::Published {
                201_i64
            } else {
                202
            })
            .bind(row.now)
            .bind(id)
            .execute(&mut *$tx)
            .await?;
        }
        Ok(Created::New(Comment {
            id,
            page: comment.page().to_owned(),
            parent: comment.parent(),
            author: comment.author().to_owned(),
            url: comment.url().map(str::to_owned),
            text: comment.comment().to_owned(),
            created: row.now,
            status: row.status,
            avatar: row.avatar.clone(),
            deleted: false,
        }))
    }};
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`: `sqlite://path`,
    /// or `postgres://user@host/database`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
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
                .foreign_keys(true)
                // What is deleted is overwritten, not only unlinked: an erased comment
                // leaves nothing in the file's free pages.
                .pragma("secure_delete", "on");
            let file = options.get_filename();
            if file != Path::new(":memory:") {
                if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
                }
                create_private(file).map_err(sqlx::Error::Io)?;
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
    async fn make_secret(&self) -> Result<Arc<[u8]>, StoreError> {
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).map_err(|e| StoreError::Random(e.to_string()))?;
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

    /// Gives an avatar to the comments stored before avatars existed: one of their own,
    /// from their id, since an address proves no identity (`comments.rs`).
    async fn backfill(&self) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let ids: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM comments WHERE avatar = '' AND email <> ''")
                    .fetch_all(db)
                    .await?;
            for id in ids {
                sqlx::query("UPDATE comments SET avatar = $1 WHERE id = $2")
                    .bind(keyed_hex(
                        &self.secret,
                        "avatar of comment",
                        &id.to_string(),
                        8,
                    ))
                    .bind(id)
                    .execute(db)
                    .await?;
            }
        });
        Ok(())
    }

    /// Stores a new comment, as the pipeline decided it. With a key, the comment and the
    /// key are written in one transaction, so that a replay finds the comment if and only
    /// if it was stored.
    pub async fn create(&self, row: NewRow) -> Result<Created, StoreError> {
        // A retry while this process still handles the first request with its key.
        let _claim = match &row.key {
            Some((key, _)) => match Claim::new(&self.in_flight, key) {
                Some(claim) => Some(claim),
                None => return Ok(Created::InFlight),
            },
            None => None,
        };
        let db = match &self.pool {
            Pool::Postgres(db) => db,
            Pool::Sqlite(..) => {
                let (reply, answer) = tokio::sync::oneshot::channel();
                self.queue_job(Job { row, reply }).await;
                return answer.await.unwrap_or_else(|_| {
                    Err(StoreError::BatchFailed("its writer went away".into()))
                });
            }
        };
        let _turn = self.turn().await;
        let mut tx = db.begin().await?;
        // Everything but the commit, so that every other outcome rolls back at once:
        // PostgreSQL keeps its locks until then, and a dropped transaction's rollback would
        // only run when its connection is next used.
        let outcome: Result<Created, sqlx::Error> = async { create_in!(tx, true, &row) }.await;
        Ok(finish(tx, outcome, |o| matches!(o, Created::New(_))).await?)
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
            for Job { row, reply } in jobs {
                let outcome: Result<Created, sqlx::Error> =
                    async { create_in!(tx, false, &row) }.await;
                // A refusal wrote nothing: `create_in` checks everything before it writes.
                // A failed write fails the batch, below.
                let outcome = outcome?;
                answers.push((reply, outcome));
            }
            tx.commit().await
        }
        .await;
        self.generation.fetch_add(1, Ordering::Release);
        for (reply, outcome) in answers {
            let answer = match (&written, outcome) {
                // Not committed: nothing of it is stored, and it must not be acknowledged.
                (Err(e), Created::New(_)) => Err(StoreError::BatchFailed(e.to_string())),
                (_, outcome) => Ok(outcome),
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
        site: &str,
        page: &str,
        after: i64,
        limit: Option<u32>,
    ) -> Result<(Vec<Comment>, bool), sqlx::Error> {
        with_db!(self, |db| {
            // One more than asked says whether there is a next page.
            let mut roots: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM comments
                 WHERE site = $4 AND page = $1 AND status = 'published' AND parent IS NULL
                   AND id > $2
                 ORDER BY id LIMIT $3",
            )
            .bind(page)
            .bind(after)
            .bind(limit.map_or(i64::MAX, |l| i64::from(l) + 1))
            .bind(site)
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
                 WHERE c.site = $4 AND c.page = $1 AND c.status = 'published'
                   AND c.thread BETWEEN $2 AND $3
                   AND EXISTS (SELECT 1 FROM comments r WHERE r.id = c.thread AND r.status = 'published')
                 ORDER BY c.id",
            )
            .bind(page)
            .bind(first)
            .bind(last)
            .bind(site)
            .fetch_all(db)
            .await?;
            Ok((rows.into_iter().map(Comment::from).collect(), more))
        })
    }

    /// How many published comments `page` of `site` has, replies included.
    pub async fn total(&self, site: &str, page: &str) -> Result<i64, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM comments
                 WHERE site = $2 AND page = $1 AND status = 'published' AND deleted = 0",
            )
            .bind(page)
            .bind(site)
            .fetch_one(db)
            .await
        })
    }

    /// The number of published comments of each of `pages` of `site` that has any.
    pub async fn counts(
        &self,
        site: &str,
        pages: &[String],
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        // One statement whatever the number of pages: they travel as one JSON array.
        let pages = serde_json::to_string(pages).expect("strings always serialise");
        with_db!(self, |db, pg| {
            sqlx::query_as(assembled(format!(
                "SELECT page, COUNT(*) FROM comments
                 WHERE site = $2 AND status = 'published' AND deleted = 0 AND page IN ({})
                 GROUP BY page",
                json_list(pg, "text", "$1")
            )))
            .bind(&pages)
            .bind(site)
            .fetch_all(db)
            .await
        })
    }

    /// Forgets the idempotency keys stored before `keys_before`, and the posts of the
    /// rate limit's log made before `posts_before` (Unix milliseconds), and says how many
    /// rows went. A retry after that creates a new comment; the widget retries within
    /// minutes, so a day is plenty.
    pub async fn expire(&self, keys_before: i64, posts_before: i64) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let keys = sqlx::query("DELETE FROM idempotency_keys WHERE created < $1")
                .bind(keys_before)
                .execute(db)
                .await?;
            let posts = sqlx::query("DELETE FROM post_log WHERE created < $1")
                .bind(posts_before)
                .execute(db)
                .await?;
            Ok(keys.rows_affected() + posts.rows_affected())
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

    /// Whether the site owner has approved a comment of the commenter whose keyed
    /// identity is `author_key`.
    pub async fn is_known(&self, author_key: &[u8]) -> Result<bool, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM known_authors WHERE author_key = $1)")
                .bind(author_key)
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
                "SELECT {COMMENT_COLUMNS}, email, spam, ip, site
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
                site: row.site,
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
                "INSERT INTO known_authors (author_key, approved)
                 SELECT DISTINCT author_key, $1 FROM comments
                 WHERE author_key IS NOT NULL AND id IN ({})
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

    /// The site owner replaces the text of comment `id`. Returns whether it exists. The
    /// owner's words are not moderated, but the duplicate key follows the text.
    pub async fn edit(&self, id: i64, text: &str) -> Result<bool, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            let mut tx = db.begin().await?;
            let who: Option<(String, String, Option<String>, Option<Vec<u8>>)> = sqlx::query_as(
                "SELECT site, page, ip, author_key FROM comments WHERE id = $1 AND deleted = 0",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((site, page, ip, author_key)) = who else {
                tx.rollback().await?;
                return Ok(false);
            };
            let duplicate = duplicate_key(
                &self.secret,
                &site,
                &page,
                ip.as_deref(),
                author_key.as_deref(),
                text,
            );
            sqlx::query("UPDATE comments SET text = $1, duplicate_key = $2 WHERE id = $3")
                .bind(text)
                .bind(duplicate)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Anonymises every comment made with `email`: the text stays, and every other
    /// column that `privacy::COMMENTS` marks personal is cleared; the commenter's identity
    /// is no longer known. Returns how many comments there were.
    pub async fn anonymise(&self, email: &Email) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        let done = with_db!(self, |db| {
            let mut tx = db.begin().await?;
            sqlx::query(FORGET_IDENTITIES)
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(assembled(format!(
                "UPDATE comments SET {} WHERE lower(email) = lower($1)",
                crate::privacy::cleared(crate::privacy::Clear::Anonymise)
            )))
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            done.rows_affected()
        });
        self.scrub().await?;
        Ok(done)
    }

    /// Erases every comment made with `email`: those nobody replied to are deleted; those
    /// with replies become placeholders without author or text, so that the replies keep
    /// their place. What else holds their data (`privacy.rs`) goes too: the keys of their
    /// posts return nothing, their deliveries are not sent. Returns how many comments
    /// there were.
    pub async fn erase(&self, email: &Email) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        let done = with_db!(self, |db| {
            let mut tx = db.begin().await?;
            sqlx::query(FORGET_IDENTITIES)
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
            const MINE: &str = "SELECT id FROM comments WHERE lower(email) = lower($1)";
            sqlx::query(assembled(format!(
                "UPDATE idempotency_keys SET fingerprint = $2, comment_id = NULL
                 WHERE comment_id IN ({MINE})"
            )))
            .bind(email.as_str())
            .bind(Vec::<u8>::new())
            .execute(&mut *tx)
            .await?;
            sqlx::query(assembled(format!(
                "DELETE FROM outbox WHERE comment_id IN ({MINE})"
            )))
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
            let placeholders = sqlx::query(assembled(format!(
                "UPDATE comments SET {}, deleted = 1
                 WHERE lower(email) = lower($1)
                   AND EXISTS (SELECT 1 FROM comments r WHERE r.parent = comments.id)",
                crate::privacy::cleared(crate::privacy::Clear::Erase)
            )))
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
            let deleted = sqlx::query("DELETE FROM comments WHERE lower(email) = lower($1)")
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            placeholders.rows_affected() + deleted.rows_affected()
        });
        self.scrub().await?;
        Ok(done)
    }

    /// After an erasure: on SQLite, the write-ahead log still holds the erased rows' old
    /// pages until a checkpoint copies it into the file (where `secure_delete` overwrote
    /// them) and truncates it.
    async fn scrub(&self) -> Result<(), sqlx::Error> {
        if let Pool::Sqlite(_, writer) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(writer)
                .await?;
        }
        Ok(())
    }

    /// The columns of every table, as (table, column), for the privacy map's test.
    pub async fn columns(&self) -> Result<Vec<(String, String)>, sqlx::Error> {
        with_db!(self, |db, pg| {
            sqlx::query_as(if pg {
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
                 ORDER BY 1, 2"
            } else {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                   AND m.name <> '_sqlx_migrations'
                 ORDER BY 1, 2"
            })
            .fetch_all(db)
            .await
        })
    }

    /// The deliveries that are due at `now`, claimed for `lease_ms`, so that no other
    /// server sends them meanwhile, oldest first.
    pub async fn due_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Delivery>, sqlx::Error> {
        let _turn = self.turn().await;
        // One statement claims them; PostgreSQL's servers skip each other's rows rather
        // than wait for them.
        let mut due: Vec<Delivery> = with_db!(self, |db, pg| {
            sqlx::query_as(assembled(format!(
                "UPDATE outbox SET next_attempt = $1
                 WHERE id IN (SELECT id FROM outbox WHERE next_attempt <= $2
                              ORDER BY id LIMIT 20 {})
                 RETURNING id, kind, comment_id, attempts",
                if pg { "FOR UPDATE SKIP LOCKED" } else { "" }
            )))
            .bind(now + lease_ms)
            .bind(now)
            .fetch_all(db)
            .await?
        });
        due.sort_unstable_by_key(|d| d.id);
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

    /// A comment as anyone may see it, if it exists (placeholders included).
    pub async fn comment(&self, id: i64) -> Result<Option<Comment>, sqlx::Error> {
        let row: Option<CommentRow> = with_db!(self, |db| {
            sqlx::query_as(assembled(format!(
                "SELECT {COMMENT_COLUMNS} FROM comments WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(db)
            .await?
        });
        Ok(row.map(Comment::from))
    }

    /// How many webhook deliveries wait.
    pub async fn pending_deliveries(&self) -> Result<i64, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(db)
                .await
        })
    }

    /// What the author checks and the pipeline need of comment `id`, if it exists.
    pub async fn author_view(&self, id: i64) -> Result<Option<AuthorView>, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_as(AUTHOR_VIEW)
                .bind(id)
                .fetch_optional(db)
                .await
        })
    }

    /// The author replaces the text of comment `id` with `edit`, as the pipeline decided
    /// it, if the token still opens it in the window (checked again, in the transaction).
    pub async fn author_edit(
        &self,
        id: i64,
        token_hash: &[u8],
        edit: &Edit,
        window_ms: i64,
    ) -> Result<AuthorChange, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db, pg| {
            let mut tx = db.begin_with(begin(pg)).await?;
            let outcome = async {
                let view: Option<AuthorView> = sqlx::query_as(author_view_locked(pg))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(view) = view else {
                    return Ok(AuthorChange::NotFound);
                };
                if let Some(refused) = view.refusal(token_hash, edit.now, window_ms) {
                    return Ok(refused);
                }
                let row: Option<CommentRow> = sqlx::query_as(assembled(format!(
                    "UPDATE comments SET text = $1, duplicate_key = $3, status = $4
                     WHERE id = $2
                       AND NOT EXISTS (SELECT 1 FROM comments d
                                       WHERE d.site = $5 AND d.page = $6
                                         AND d.duplicate_key = $3 AND d.id <> $2)
                     RETURNING {COMMENT_COLUMNS}"
                )))
                .bind(&edit.text)
                .bind(id)
                .bind(&edit.duplicate)
                .bind(edit.status.as_str())
                .bind(&view.site)
                .bind(&view.page)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(AuthorChange::Duplicate);
                };
                if edit.announce {
                    sqlx::query(
                        "INSERT INTO outbox (kind, comment_id, next_attempt)
                         VALUES ('comment.edited', $1, $2)",
                    )
                    .bind(id)
                    .bind(edit.now)
                    .execute(&mut *tx)
                    .await?;
                }
                Ok(AuthorChange::Done(Some(row.into())))
            }
            .await;
            finish(tx, outcome, |o| matches!(o, AuthorChange::Done(_))).await
        })
    }

    /// The author deletes comment `id`, within its window: gone, or, if others replied
    /// to it, a placeholder without author or text. Its post still counts toward the
    /// rate limit (`post_log`).
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
                let view: Option<AuthorView> = sqlx::query_as(author_view_locked(pg))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(view) = view else {
                    return Ok(AuthorChange::NotFound);
                };
                if let Some(refused) = view.refusal(token_hash, now, window_ms) {
                    return Ok(refused);
                }
                let replied: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM comments WHERE parent = $1)")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                let statement = if replied {
                    format!(
                        "UPDATE comments SET {}, deleted = 1 WHERE id = $1",
                        crate::privacy::cleared(crate::privacy::Clear::Erase)
                    )
                } else {
                    "DELETE FROM comments WHERE id = $1".to_owned()
                };
                sqlx::query(assembled(statement))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
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
    /// Its site: '' for the default one, else the site's origin.
    pub site: String,
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

/// The columns of `AuthorView`, for comment `$1`.
const AUTHOR_VIEW: &str = "SELECT edit_hash, created, deleted, status, site, page, author_key, ip,
     author, email FROM comments WHERE id = $1";

/// `AUTHOR_VIEW`, locking the row until the change commits on PostgreSQL; SQLite's
/// transaction holds the write lock already.
fn author_view_locked(pg: bool) -> sqlx::AssertSqlSafe<String> {
    assembled(if pg {
        format!("{AUTHOR_VIEW} FOR UPDATE")
    } else {
        AUTHOR_VIEW.to_owned()
    })
}

/// An author's edit, as the pipeline decided it.
#[derive(Debug)]
pub struct Edit {
    /// The new text, validated.
    pub text: String,
    /// Published or held, decided again.
    pub status: Status,
    /// The duplicate key of the new text.
    pub duplicate: Vec<u8>,
    /// Announce the edit (through the outbox).
    pub announce: bool,
    /// When.
    pub now: i64,
}

/// A delivery of the outbox: what happened (`comment.created`, `comment.edited`) to
/// which comment. Its payload is built when it is sent, from the comment as it is then.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Delivery {
    /// The delivery's id.
    pub id: i64,
    /// What happened.
    pub kind: String,
    /// To which comment.
    pub comment_id: Option<i64>,
    /// Attempts so far.
    pub attempts: i64,
}

/// An e-mail address that names a commenter in a privacy request: not blank, and of
/// the shape of an address, so that no request can match the comments whose address
/// was already erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The address, trimmed; `None` when it is blank or not an address.
    pub fn parse(raw: &str) -> Option<Email> {
        let email = raw.trim();
        (!email.is_empty() && email.contains('@') && email.len() <= 254)
            .then(|| Email(email.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Forgets the identities of the comments made with `$1`: they are no longer known to
/// first-time moderation.
const FORGET_IDENTITIES: &str = "DELETE FROM known_authors WHERE author_key IN
     (SELECT author_key FROM comments WHERE lower(email) = lower($1))";

/// `bytes` bytes of HMAC-SHA256, keyed with the database's secret, over `purpose` and
/// `value`: each purpose gives unrelated values, and nobody without the secret can
/// compute one, nor confirm a guess.
pub fn keyed(secret: &[u8], purpose: &str, value: &str, bytes: usize) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(purpose.as_bytes());
    mac.update(b"\n");
    mac.update(value.as_bytes());
    mac.finalize().into_bytes()[..bytes.min(32)].to_vec()
}

/// `keyed`, in hex.
pub fn keyed_hex(secret: &[u8], purpose: &str, value: &str, bytes: usize) -> String {
    crate::hex(&keyed(secret, purpose, value, bytes))
}

/// The duplicate key of a comment: 128 bits of `keyed` over the thread, the commenter
/// (their client address, or else their identity) and the text. Two comments of a
/// thread with the same key are the same text from the same commenter. No e-mail
/// address has a part in it, so a refusal confirms none.
pub fn duplicate_key(
    secret: &[u8],
    site: &str,
    page: &str,
    ip: Option<&str>,
    author_key: Option<&[u8]>,
    text: &str,
) -> Vec<u8> {
    let who = match (ip, author_key) {
        (Some(ip), _) => ["ip ", ip].concat(),
        (None, Some(key)) => ["author ", &crate::hex(key)].concat(),
        (None, None) => String::new(),
    };
    keyed(
        secret,
        "duplicate",
        &[site, "\n", page, "\n", &who, "\n", text].concat(),
        16,
    )
}

/// Creates the database file, readable and writable by its owner only, if it is not
/// there yet. SQLite gives its `-wal` and `-shm` files the same mode.
fn create_private(file: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
