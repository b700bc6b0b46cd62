//! An Isso database (its SQLite file), read in place and read-only, a page of rows at a
//! time: `threads` (a page each, `uri` being the path Isso's script sent) and
//! `comments` (`mode` 1 published, 2 held, 4 deleted: the trash; `created` in seconds).
//! Isso keeps its readers' text as they typed it (Markdown), which is kept as it is. Its
//! client addresses are already cut to their /24 (or /48), and kept so.
//!
//! A database is told from another by its `session-key` preference, Isso's random
//! secret: the source is a hash of it, never the key itself.

use std::{collections::VecDeque, path::Path, str::FromStr};

use causerie_protocol::Status;
use sha2::{Digest, Sha256};
use sqlx::{
    Row,
    sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions},
};

use super::{Entry, ImportError, Incoming, Opened, Place, malformed};

/// Rows read at a time.
const PAGE: i64 = 1000;

pub async fn open(file: &Path, name: &str) -> Result<Opened, ImportError> {
    let not_isso = |e: sqlx::Error| malformed(name, 0, format!("not an Isso database: {e}"));
    let options = SqliteConnectOptions::from_str("sqlite://")
        .map_err(not_isso)?
        .filename(file)
        .read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(not_isso)?;
    let key: Option<String> =
        sqlx::query_scalar("SELECT value FROM preferences WHERE key = 'session-key'")
            .fetch_optional(&pool)
            .await
            .map_err(not_isso)?;
    // Its tables are Isso's, or the file is refused before anything is read.
    sqlx::query("SELECT c.id, c.tid, c.parent, c.created, c.mode, c.remote_addr, c.text, c.author, c.email, c.website, t.uri FROM comments c JOIN threads t ON t.id = c.tid LIMIT 0")
        .fetch_all(&pool)
        .await
        .map_err(not_isso)?;
    let key =
        key.ok_or_else(|| malformed(name, 0, "not an Isso database: no session-key".into()))?;
    let digest = Sha256::digest(["isso database ", &key].concat().as_bytes());
    let source = ["isso:", &hex(&digest[..8])].concat();
    let state = Rows {
        pool,
        after: i64::MIN,
        rows: VecDeque::new(),
        done: false,
    };
    let entries = futures_util::stream::unfold(state, |mut state| async move {
        let entry = state.next().await.transpose()?;
        Some((entry, state))
    });
    Ok(Opened {
        source,
        entries: Box::pin(entries),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Rows {
    pool: SqlitePool,
    after: i64,
    rows: VecDeque<Entry>,
    done: bool,
}

impl Rows {
    async fn next(&mut self) -> Result<Option<Entry>, ImportError> {
        if self.rows.is_empty() && !self.done {
            let page = sqlx::query(
                "SELECT c.id, c.parent, c.created, c.mode, c.remote_addr, c.text, c.author, \
                 c.email, c.website, t.uri FROM comments c JOIN threads t ON t.id = c.tid \
                 WHERE c.id > ? ORDER BY c.id LIMIT ?",
            )
            .bind(self.after)
            .bind(PAGE)
            .fetch_all(&self.pool)
            .await?;
            self.done = (page.len() as i64) < PAGE;
            for row in page {
                let id: i64 = row.try_get("id")?;
                self.after = id;
                let text = |column: &str| -> Result<String, sqlx::Error> {
                    Ok(row
                        .try_get::<Option<String>, _>(column)?
                        .unwrap_or_default())
                };
                let created: f64 = row.try_get("created")?;
                let mode: Option<i64> = row.try_get("mode")?;
                let parent: Option<i64> = row.try_get("parent")?;
                let uri = text("uri")?;
                let ip = text("remote_addr")?;
                let website = text("website")?;
                self.rows.push_back(Entry::Comment {
                    line: id.unsigned_abs(),
                    place: Place::Page {
                        site: None,
                        page: uri,
                    },
                    comment: Incoming {
                        source_id: id.to_string(),
                        parent_source_id: parent.map(|p| p.to_string()),
                        page: String::new(),
                        author: text("author")?,
                        email: text("email")?,
                        url: Some(website).filter(|w| !w.is_empty()),
                        text: text("text")?,
                        created: (created * 1000.0).round() as i64,
                        status: if mode == Some(2) {
                            Status::Pending
                        } else {
                            Status::Published
                        },
                        spam: false,
                        deleted: false,
                        ip: Some(ip).filter(|ip| !ip.is_empty()),
                    },
                    trashed: mode == Some(4),
                });
            }
        }
        if self.rows.is_empty() {
            self.pool.close().await;
            return Ok(None);
        }
        Ok(self.rows.pop_front())
    }
}
