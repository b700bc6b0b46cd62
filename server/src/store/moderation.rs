//! The site owner's side: the list with e-mail addresses, approve, spam, delete, edit.

use super::*;

/// Whose comment it is, and where: what its duplicate key is made of.
#[derive(sqlx::FromRow)]
struct Whose {
    site: String,
    page: String,
    ip: Option<String>,
    author_key: Option<Vec<u8>>,
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
    /// The language it was written in (the widget's or the form's), `''` if unknown:
    /// its author's mails speak it.
    pub lang: String,
}

impl From<ModeratedRow> for Moderated {
    fn from(row: ModeratedRow) -> Moderated {
        Moderated {
            comment: row.comment.into(),
            email: row.email,
            spam: row.spam != 0,
            ip: row.ip,
            site: row.site,
            lang: row.lang,
        }
    }
}

impl Store {
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
        self.moderated(search, email, skip, limit).await
    }

    /// One comment for the site owner, e-mail included, by its id alone (one lookup of
    /// the primary key: the outbox reads each delivery's comment this way).
    pub async fn moderated_one(&self, id: i64) -> Result<Option<Moderated>, sqlx::Error> {
        let row: Option<ModeratedRow> = with_db!(self, |db| {
            sqlx::query_as(assembled(format!(
                "SELECT {COMMENT_COLUMNS}, email, spam, ip, site, lang FROM comments WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(db)
            .await?
        });
        Ok(row.map(Moderated::from))
    }

    async fn moderated(
        &self,
        search: &str,
        email: Option<&str>,
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
                "SELECT {COMMENT_COLUMNS}, email, spam, ip, site, lang
                 FROM comments
                 WHERE (page {like_op} $1 ESCAPE '\\' OR author {like_op} $1 ESCAPE '\\'
                        OR email {like_op} $1 ESCAPE '\\' OR text {like_op} $1 ESCAPE '\\')
                   AND ($2 IS NULL OR lower(email) = lower($2))
                 ORDER BY (status = 'pending' AND spam = 0) DESC, id DESC
                 LIMIT $3 OFFSET $4"
            )))
            .bind(&like)
            .bind(email)
            .bind(i64::from(limit))
            .bind(i64::from(skip))
            .fetch_all(db)
            .await?
        });
        Ok(rows.into_iter().map(Moderated::from).collect())
    }

    /// Publishes the comments `ids`, and remembers their authors as known. Returns how
    /// many there were.
    pub async fn approve(
        &self,
        ids: &[i64],
        now: i64,
        announce: crate::notify::Announce,
    ) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        let ids = json_ids(ids);
        with_db!(self, |db, pg| {
            let mut tx = db.begin().await?;
            // The replies published now: their parents' authors may hear of them.
            for destination in announce.of(crate::notify::PUBLISHED) {
                sqlx::query(assembled(format!(
                    "INSERT INTO outbox (kind, comment_id, next_attempt, destination)
                     SELECT $1, id, $2, $3 FROM comments
                     WHERE status = 'pending' AND parent IS NOT NULL AND id IN ({})",
                    json_list(pg, "bigint", "$4")
                )))
                .bind(crate::notify::PUBLISHED)
                .bind(now)
                .bind(destination)
                .bind(&ids)
                .execute(&mut *tx)
                .await?;
            }
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
            let who: Option<Whose> = sqlx::query_as(
                "SELECT site, page, ip, author_key FROM comments WHERE id = $1 AND deleted = 0",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(who) = who else {
                tx.rollback().await?;
                return Ok(false);
            };
            let duplicate = duplicate_key(
                &self.secret,
                &who.site,
                &who.page,
                who.ip.as_deref(),
                who.author_key.as_deref(),
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
}
