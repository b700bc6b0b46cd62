//! Reading every comment, private columns included, in pages of ids: an export of any
//! size in constant memory, parents before their replies (a reply's id is always larger).

use super::*;

impl Store {
    /// At most `limit` comments whose id is above `after`, in the order of their ids,
    /// with what only the site owner sees; only the site stored as `site` when given.
    pub async fn export_page(
        &self,
        site: Option<&str>,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Moderated>, sqlx::Error> {
        let rows: Vec<ModeratedRow> = with_db!(self, |db| {
            sqlx::query_as(assembled(format!(
                "SELECT {COMMENT_COLUMNS}, email, spam, ip, site
                 FROM comments
                 WHERE id > $1 AND ($2 IS NULL OR site = $2)
                 ORDER BY id
                 LIMIT $3"
            )))
            .bind(after)
            .bind(site)
            .bind(i64::from(limit))
            .fetch_all(db)
            .await?
        });
        Ok(rows.into_iter().map(Moderated::from).collect())
    }
}
