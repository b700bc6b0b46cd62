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
                "SELECT {COMMENT_COLUMNS}, email, spam, ip, site, lang
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

/// Where a page-by-page export is: the last comment read, by site, page and id.
pub type PageCursor = (String, String, i64);

impl Store {
    /// As `export_page`, in the order of sites, pages and ids: each page's comments
    /// together (WordPress's export, an `<item>` per page), parents before replies.
    pub async fn export_by_page(
        &self,
        site: Option<&str>,
        after: Option<&PageCursor>,
        limit: u32,
    ) -> Result<Vec<Moderated>, sqlx::Error> {
        let (after_site, after_page, after_id) = match after {
            Some((s, p, id)) => (Some(s.as_str()), p.as_str(), *id),
            None => (None, "", 0),
        };
        let rows: Vec<ModeratedRow> = with_db!(self, |db| {
            sqlx::query_as(assembled(format!(
                "SELECT {COMMENT_COLUMNS}, email, spam, ip, site, lang
                 FROM comments
                 WHERE ($1 IS NULL OR site > $1 OR (site = $1 AND (page > $2 OR (page = $2 AND id > $3))))
                   AND ($4 IS NULL OR site = $4)
                 ORDER BY site, page, id
                 LIMIT $5"
            )))
            .bind(after_site)
            .bind(after_page)
            .bind(after_id)
            .bind(site)
            .bind(i64::from(limit))
            .fetch_all(db)
            .await?
        });
        Ok(rows.into_iter().map(Moderated::from).collect())
    }
}
