//! Reading comments: whole threads of a page, totals and counts, one comment; and
//! forgetting what has expired (idempotency keys, the rate limit's posts).

use super::*;

impl Store {
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
    /// minutes, so a day is plenty. The used moderation links go too, once they have
    /// surely expired.
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
            // A used moderation link, once it has surely expired too.
            let links = sqlx::query("DELETE FROM used_links WHERE used < $1")
                .bind(keys_before - crate::moderate::LIFETIME_MS)
                .execute(db)
                .await?;
            Ok(keys.rows_affected() + posts.rows_affected() + links.rows_affected())
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
}
