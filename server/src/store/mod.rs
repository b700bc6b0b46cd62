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
//! `moderation_list`, and `moderated_one`, which the mail reads its recipients with,
//! return it.
//!
//! SQL only: the rules are the pipeline's (`crate::comments`). One file per concern:
//! `writer.rs` new comments and the group commit, `comments.rs` reading threads and
//! counts, `authors.rs` identities and the author's edit, `moderation.rs` the site
//! owner's actions, `privacy.rs` anonymise and erase, `outbox.rs` deliveries,
//! `sessions.rs` admin sessions and shared settings, `export.rs` every comment in pages,
//! `import.rs` imported comments, found again by their source, `addresses.rs` the state
//! of the addresses that mail goes to (by a keyed hash).
//! What differs between SQLite and PostgreSQL is chosen where it differs, by
//! `with_db!`'s `pg` (placeholders are `$1` in both), and the advisory locks of
//! `writer.rs`.

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

mod addresses;
mod authors;
mod comments;
mod export;
mod import;
mod moderation;
mod outbox;
mod privacy;
mod sessions;
mod writer;

pub use addresses::AddressState;
pub use authors::{AuthorChange, AuthorView, Edit};
pub use import::{ImportRow, Imported};
pub use moderation::Moderated;
pub use outbox::Delivery;
pub use privacy::Email;
use writer::Job;
pub use writer::{Created, NewRow, Rate, Subscribe};

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
    lang: String,
}

/// The columns of `CommentRow`.
const COMMENT_COLUMNS: &str =
    "id, page, parent, author, url, text, created, status, avatar, deleted";

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

/// The keyed hash by which an e-mail address is known for its mail: its case does not
/// count.
pub fn address_key(secret: &[u8], email: &str) -> Vec<u8> {
    keyed(secret, "mail address", &email.trim().to_lowercase(), 16)
}

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

/// The avatar of a commenter, from the keyed hash of their identity (never from their
/// address).
pub fn avatar(secret: &[u8], author_key: &[u8]) -> String {
    keyed_hex(secret, "avatar", &crate::hex(author_key), 8)
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

/// An exclusive lock on `<database>-migrate`, held while it lives: waited for without
/// blocking the runtime's thread.
async fn migration_lock(file: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut name = file.as_os_str().to_owned();
    name.push("-migrate");
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(name)?;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
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
            // sqlx's SQLite migrator takes no lock: two processes opening a new database
            // at once (a server, and an import) would both migrate, and one would fail.
            // They take turns on a lock file beside the database, from the first
            // connection on: that one turns a new file to WAL, which another process's
            // connection, at the same moment, could find locked.
            let _migrating = if file == Path::new(":memory:") {
                None
            } else {
                Some(migration_lock(file).await.map_err(sqlx::Error::Io)?)
            };
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options.clone())
                .await?;
            import::restore_sqlite_indexes(&pool).await?;
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
