//! New comments: the checks and writes of one (`create_in!`), the same on both
//! databases, and SQLite's group commit, in which the comments that arrive while one
//! transaction is written go together in the next.

use super::*;

/// A new comment waiting in SQLite's queue, and where its outcome goes.
pub(super) struct Job {
    row: NewRow,
    reply: tokio::sync::oneshot::Sender<Result<Created, StoreError>>,
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
    pub announce: crate::notify::Announce,
    /// The SHA-256 of the author's edit token.
    pub edit_hash: Option<Vec<u8>>,
    /// The keyed hash of the commenter's identity.
    pub author_key: Vec<u8>,
    /// The avatar, from the identity.
    pub avatar: String,
    /// The duplicate key (`duplicate_key`).
    pub duplicate: Vec<u8>,
    /// The author asks to hear of replies by mail (and the server mails).
    pub subscribe: Option<Subscribe>,
    /// The language it was written in: one of the widget's tags, or `''`.
    pub lang: &'static str,
}

/// A commenter's request to hear of replies by mail.
#[derive(Clone, Debug)]
pub struct Subscribe {
    /// The keyed hash of the address (`store::address_key`).
    pub address: Vec<u8>,
    /// The keyed hash of the client's address, for the cap on confirmation mails.
    pub client: Option<Vec<u8>>,
}

/// At most one confirmation mail a day to an address, whoever asks.
pub const CONFIRMATION_EVERY_MS: i64 = 24 * 3_600_000;
/// At most this many confirmation mails asked by one client address in an hour.
pub const CONFIRMATIONS_PER_CLIENT: i64 = 5;

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
                edit_hash, duplicate_key, site, author_key, notify, lang)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
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
        .bind(i64::from(row.subscribe.is_some()))
        .bind(row.lang)
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
        // A reply published at once: its parent's author may hear of it.
        let mut kinds = vec![crate::notify::CREATED];
        if row.status == Status::Published && comment.parent().is_some() {
            kinds.push(crate::notify::PUBLISHED);
        }
        let deliveries: Vec<(&'static str, &'static str)> = kinds
            .into_iter()
            .flat_map(|kind| row.announce.of(kind).map(move |d| (kind, d)))
            .collect();
        for (kind, destination) in deliveries {
            sqlx::query(
                "INSERT INTO outbox (kind, comment_id, next_attempt, destination)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(kind)
            .bind(id)
            .bind(row.announce.due(destination, row.now))
            .bind(destination)
            .execute(&mut *$tx)
            .await?;
        }
        if let Some(subscribe) = &row.subscribe {
            // A confirmation mail, unless the address is confirmed (for this commenter:
            // its link also proves that the commenter is the address's), had one within
            // a day, or the client asked for too many this hour. The UPDATE decides, so
            // that two servers cannot both send one.
            sqlx::query(
                "INSERT INTO mail_addresses (address_key) VALUES ($1) ON CONFLICT DO NOTHING",
            )
            .bind(&subscribe.address)
            .execute(&mut *$tx)
            .await?;
            let asked: i64 =
                match &subscribe.client {
                    Some(client) => sqlx::query_scalar(
                        "SELECT COUNT(*) FROM confirmation_log WHERE client = $1 AND asked > $2",
                    )
                    .bind(client)
                    .bind(row.now - 3_600_000)
                    .fetch_one(&mut *$tx)
                    .await?,
                    None => 0,
                };
            let due = asked < CONFIRMATIONS_PER_CLIENT
                && sqlx::query(
                    "UPDATE mail_addresses SET asked = $1
                     WHERE address_key = $2
                       AND (confirmed IS NULL OR refused > confirmed OR stopped > confirmed
                            OR author_key IS NULL OR author_key <> $4)
                       AND (asked IS NULL OR asked <= $3)",
                )
                .bind(row.now)
                .bind(&subscribe.address)
                .bind(row.now - CONFIRMATION_EVERY_MS)
                .bind(&row.author_key)
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                    == 1;
            if due {
                sqlx::query(
                    "INSERT INTO outbox (kind, comment_id, next_attempt, destination)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(crate::notify::CONFIRM)
                .bind(id)
                .bind(row.now)
                .bind(crate::notify::MAIL)
                .execute(&mut *$tx)
                .await?;
                if let Some(client) = &subscribe.client {
                    sqlx::query("INSERT INTO confirmation_log (client, asked) VALUES ($1, $2)")
                        .bind(client)
                        .bind(row.now)
                        .execute(&mut *$tx)
                        .await?;
                }
            }
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
}
