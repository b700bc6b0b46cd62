//! Where comments are kept: SQLite, in WAL mode with `synchronous = FULL`.
//!
//! A comment is acknowledged only after its transaction has committed, and with
//! `synchronous = FULL` a commit is on disk before it returns, so an acknowledged
//! comment survives `kill -9` of the server and a power loss of the machine.
//! The e-mail column is written here and read by no public query.

use std::{path::Path, str::FromStr, time::Duration};

use causerie_protocol::{Comment, Status, ValidComment};
use sqlx::{
    Row, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A handle on the database. Cloning it is cheap: it shares one pool.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
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
        Ok(Store { pool })
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
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (page, author, email, url, text, status, created)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&comment.page)
        .bind(&comment.author)
        .bind(&comment.email)
        .bind(&comment.url)
        .bind(&comment.comment)
        .bind(status.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let public = Comment {
            id,
            page: comment.page.clone(),
            author: comment.author.clone(),
            url: comment.url.clone(),
            text: comment.comment.clone(),
            created: now,
            status,
        };
        let response = respond(&public);
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

    /// The published comments of a page, oldest first.
    ///
    /// Keyset pagination: the comments after the id `after`, at most `limit` of them (all
    /// of them without a limit). Its cost does not grow with how far the reader has read.
    pub async fn published(
        &self,
        page: &str,
        after: i64,
        limit: Option<u32>,
    ) -> Result<Vec<Comment>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, page, author, url, text, created FROM comments
             WHERE page = ? AND status = 'published' AND id > ? ORDER BY id LIMIT ?",
        )
        .bind(page)
        .bind(after)
        // SQLite reads a negative LIMIT as no limit.
        .bind(limit.map_or(-1, i64::from))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Comment {
                id: row.get("id"),
                page: row.get("page"),
                author: row.get("author"),
                url: row.get("url"),
                text: row.get("text"),
                created: row.get("created"),
                status: Status::Published,
            })
            .collect())
    }

    /// The number of published comments of each of `pages` that has any.
    pub async fn counts(&self, pages: &[String]) -> Result<Vec<(String, i64)>, sqlx::Error> {
        // One statement whatever the number of pages: they travel as one JSON array.
        let pages = serde_json::to_string(pages).expect("strings always serialise");
        sqlx::query_as(
            "SELECT page, COUNT(*) FROM comments
             WHERE status = 'published' AND page IN (SELECT value FROM json_each(?))
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

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
