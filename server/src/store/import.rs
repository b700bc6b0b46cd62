//! Imported comments: written in batches, each batch one transaction, and each comment
//! found by its source and its id there, so that an import run again (after a crash, or
//! of a newer export) adds only what is not there yet, and never changes what is.

use super::*;

/// A comment to import, as the pipeline made it (`crate::comments::import`).
#[derive(Clone, Debug)]
pub struct ImportRow {
    /// The system it came from (`causerie:<database>`, `wordpress:<site>`…).
    pub source: String,
    /// Its id there.
    pub source_id: String,
    /// Its parent's id there, if it answers one.
    pub parent_source_id: Option<String>,
    /// Its site's key.
    pub site: String,
    pub page: String,
    pub author: String,
    pub email: String,
    pub url: Option<String>,
    pub text: String,
    pub created: i64,
    pub status: Status,
    pub spam: bool,
    pub deleted: bool,
    pub ip: Option<String>,
    pub avatar: String,
    pub author_key: Option<Vec<u8>>,
}

/// What became of one imported comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// Added, as `id`; `orphan` when its parent was not found, so it is at the top level.
    Added { id: i64, orphan: bool },
    /// There already, from an earlier import: nothing changed.
    Present,
}

impl Store {
    /// Imports `rows` in one transaction, in their order: a parent must come before its
    /// replies, in this batch or an earlier one.
    pub async fn import_batch(&self, rows: &[ImportRow]) -> Result<Vec<Imported>, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db, pg| {
            let mut tx = db.begin_with(begin(pg)).await?;
            let outcome = async {
                let mut done = Vec::with_capacity(rows.len());
                for row in rows {
                    let present: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM comments WHERE source = $1 AND source_id = $2",
                    )
                    .bind(&row.source)
                    .bind(&row.source_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if present.is_some() {
                        done.push(Imported::Present);
                        continue;
                    }
                    // The parent: the comment of the same source and page with that id.
                    let parent: Option<(i64, Option<i64>)> = match &row.parent_source_id {
                        None => None,
                        Some(parent) => {
                            sqlx::query_as(
                                "SELECT id, thread FROM comments
                                 WHERE source = $1 AND source_id = $2 AND site = $3
                                   AND page = $4",
                            )
                            .bind(&row.source)
                            .bind(parent)
                            .bind(&row.site)
                            .bind(&row.page)
                            .fetch_optional(&mut *tx)
                            .await?
                        }
                    };
                    let orphan = row.parent_source_id.is_some() && parent.is_none();
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO comments
                           (page, parent, thread, author, email, url, text, status, created,
                            avatar, ip, site, author_key, spam, deleted, source, source_id)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                                 $15, $16, $17)
                         RETURNING id",
                    )
                    .bind(&row.page)
                    .bind(parent.map(|(id, _)| id))
                    .bind(parent.and_then(|(_, thread)| thread))
                    .bind(&row.author)
                    .bind(&row.email)
                    .bind(&row.url)
                    .bind(&row.text)
                    .bind(row.status.as_str())
                    .bind(row.created)
                    .bind(&row.avatar)
                    .bind(&row.ip)
                    .bind(&row.site)
                    .bind(&row.author_key)
                    .bind(i64::from(row.spam))
                    .bind(i64::from(row.deleted))
                    .bind(&row.source)
                    .bind(&row.source_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    done.push(Imported::Added { id, orphan });
                }
                Ok(done)
            }
            .await;
            finish(tx, outcome, |_| true).await
        })
    }

    /// Which of the source ids of `rows`, and of their parents, were imported already:
    /// what a dry run reads instead of writing.
    pub async fn imported_ids(
        &self,
        rows: &[ImportRow],
    ) -> Result<std::collections::HashSet<String>, sqlx::Error> {
        let Some(source) = rows.first().map(|r| r.source.as_str()) else {
            return Ok(Default::default());
        };
        let ids: Vec<&str> = rows
            .iter()
            .flat_map(|r| {
                std::iter::once(r.source_id.as_str()).chain(r.parent_source_id.as_deref())
            })
            .collect();
        let ids = serde_json::to_string(&ids).expect("strings always serialise");
        let found: Vec<String> = with_db!(self, |db, pg| {
            sqlx::query_scalar(assembled(format!(
                "SELECT source_id FROM comments
                 WHERE source = $1 AND source_id IN ({})",
                json_list(pg, "text", "$2")
            )))
            .bind(source)
            .bind(&ids)
            .fetch_all(db)
            .await?
        });
        Ok(found.into_iter().collect())
    }
}
