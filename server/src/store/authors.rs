//! A commenter's identity (known or not), and the author's own edit and deletion,
//! checked against their token and window in the change's transaction.

use super::*;

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
    pub announce: crate::notify::Announce,
    /// When.
    pub now: i64,
}

impl Store {
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

    /// Who the keyed identity `author` is, with one read for every new comment: the
    /// commenter its address's owner linked it to by a confirmation link
    /// (`addresses.rs`), or itself; and whether the site owner has approved one of that
    /// commenter's comments.
    pub async fn commenter(&self, author: Vec<u8>) -> Result<(Vec<u8>, bool), sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_as(
                "SELECT c.k, EXISTS (SELECT 1 FROM known_authors WHERE author_key = c.k)
                 FROM (SELECT COALESCE(
                     (SELECT canonical FROM author_links WHERE author_key = $1), $1) AS k) c",
            )
            .bind(&author)
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
                for destination in edit.announce.of(crate::notify::EDITED) {
                    sqlx::query(
                        "INSERT INTO outbox (kind, comment_id, next_attempt, destination)
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(crate::notify::EDITED)
                    .bind(id)
                    .bind(edit.now)
                    .bind(destination)
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
}
