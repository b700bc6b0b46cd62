//! Imported comments: written in batches, each batch one transaction, and each comment
//! found by its source and its id there, so that an import run again (after a crash, or
//! of a newer export) adds only what is not there yet, and never changes what is.

use std::collections::{HashMap, HashSet};

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

/// The prefix of the settings that keep a deferred index's definition.
const DEFERRED: &str = "deferred_index:";

/// `Store::restore_indexes` on a pool, which `Store::open` calls before its migrations:
/// they may expect the indexes that an import killed midway had dropped.
pub(super) async fn restore_sqlite_indexes(db: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_with(begin(false)).await?;
    let settings: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'settings'",
    )
    .fetch_one(&mut *tx)
    .await?;
    if settings == 0 {
        return Ok(());
    }
    let deferred: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT name, value FROM settings WHERE name LIKE $1 || '%'")
            .bind(DEFERRED)
            .fetch_all(&mut *tx)
            .await?;
    for (name, sql) in &deferred {
        // Only what `defer_indexes` saved: the definition of an index, read back from
        // SQLite's own schema.
        let sql = String::from_utf8_lossy(sql).into_owned();
        if sql.starts_with("CREATE INDEX ") {
            sqlx::query(assembled(sql)).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM settings WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Rows inserted by one statement, at most.
const GROUP: usize = 100;

/// A comment there already, as its replies need it.
struct Known {
    id: i64,
    thread: i64,
    site: String,
    page: String,
}

impl Store {
    /// Imports `rows` in one transaction, in their order: a parent must come before its
    /// replies, in this batch or an earlier one, on the same site and page; a reply whose
    /// parent is not there is an orphan, at the top level.
    ///
    /// Three statements a batch rather than three a comment: what is there already (the
    /// rows and their parents) is read at once, and the rows go in by groups, each one
    /// multi-row `INSERT`, a group ending before a row whose parent is in it.
    pub async fn import_batch(&self, rows: &[ImportRow]) -> Result<Vec<Imported>, sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db, pg| {
            let mut tx = db.begin_with(begin(pg)).await?;
            let outcome = async {
                let mut known: HashMap<(String, String), Known> = HashMap::new();
                let mut by_source: HashMap<&str, Vec<&str>> = HashMap::new();
                for row in rows {
                    let ids = by_source.entry(row.source.as_str()).or_default();
                    ids.push(&row.source_id);
                    ids.extend(row.parent_source_id.as_deref());
                }
                for (source, ids) in by_source {
                    let ids = serde_json::to_string(&ids).expect("strings always serialise");
                    let found: Vec<(String, i64, i64, String, String)> =
                        sqlx::query_as(assembled(format!(
                            "SELECT source_id, id, COALESCE(thread, id), site, page
                             FROM comments
                             WHERE source = $1 AND source_id IN ({})",
                            json_list(pg, "text", "$2")
                        )))
                        .bind(source)
                        .bind(&ids)
                        .fetch_all(&mut *tx)
                        .await?;
                    for (source_id, id, thread, site, page) in found {
                        let key = (source.to_owned(), source_id);
                        known.insert(
                            key,
                            Known {
                                id,
                                thread,
                                site,
                                page,
                            },
                        );
                    }
                }
                // The groups: rows not there yet, none the parent of another of its group.
                let mut done = vec![Imported::Present; rows.len()];
                let mut groups: Vec<Vec<usize>> = vec![Vec::new()];
                let mut pending: HashSet<(&str, &str)> = HashSet::new();
                for (i, row) in rows.iter().enumerate() {
                    let key = (row.source.as_str(), row.source_id.as_str());
                    if pending.contains(&key)
                        || known.contains_key(&(row.source.clone(), row.source_id.clone()))
                    {
                        continue;
                    }
                    let parent_pending = row
                        .parent_source_id
                        .as_deref()
                        .is_some_and(|p| pending.contains(&(row.source.as_str(), p)));
                    let full = groups.last().is_some_and(|g| g.len() == GROUP);
                    if parent_pending || full {
                        pending.clear();
                        groups.push(Vec::new());
                    }
                    pending.insert(key);
                    groups.last_mut().expect("one group at least").push(i);
                }
                // SQLite: the ids are given here, in the transaction that holds the write
                // lock, so that an article's comment is its own thread's root in its
                // INSERT, without the trigger's second write (a third of the import's
                // time). Above every id ever given (AUTOINCREMENT's rule).
                let mut next_id: Option<i64> = if pg {
                    None
                } else {
                    let last: i64 = sqlx::query_scalar(
                        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence
                                              WHERE name = 'comments'), 0),
                                    COALESCE((SELECT MAX(id) FROM comments), 0))",
                    )
                    .fetch_one(&mut *tx)
                    .await?;
                    Some(last + 1)
                };
                for group in groups.into_iter().filter(|g| !g.is_empty()) {
                    let mut orphans = HashMap::new();
                    let mut parents = Vec::with_capacity(group.len());
                    for &i in &group {
                        let row = &rows[i];
                        let parent = row.parent_source_id.as_ref().and_then(|p| {
                            known
                                .get(&(row.source.clone(), p.clone()))
                                .filter(|k| k.site == row.site && k.page == row.page)
                                .map(|k| (k.id, k.thread))
                        });
                        orphans.insert(
                            row.source_id.as_str(),
                            (i, row.parent_source_id.is_some() && parent.is_none()),
                        );
                        let id = next_id;
                        next_id = next_id.map(|id| id + 1);
                        parents.push((id, parent));
                    }
                    // One statement for the group, its values bound.
                    let mut insert = sqlx::QueryBuilder::new(if pg {
                        "INSERT INTO comments (page, parent, thread, author, email, url, text, \
                         status, created, avatar, ip, site, author_key, spam, deleted, source, \
                         source_id) "
                    } else {
                        "INSERT INTO comments (id, page, parent, thread, author, email, url, \
                         text, status, created, avatar, ip, site, author_key, spam, deleted, \
                         source, source_id) "
                    });
                    insert.push_values(
                        group.iter().zip(&parents),
                        |mut values, (&i, (id, parent))| {
                            let row = &rows[i];
                            if let Some(id) = id {
                                values.push_bind(*id);
                            }
                            // A root is its own thread: given here when its id is known.
                            let thread = parent.map(|(_, thread)| thread).or(*id);
                            values
                                .push_bind(row.page.as_str())
                                .push_bind(parent.map(|(id, _)| id))
                                .push_bind(thread)
                                .push_bind(row.author.as_str())
                                .push_bind(row.email.as_str())
                                .push_bind(row.url.as_deref())
                                .push_bind(row.text.as_str())
                                .push_bind(row.status.as_str())
                                .push_bind(row.created)
                                .push_bind(row.avatar.as_str())
                                .push_bind(row.ip.as_deref())
                                .push_bind(row.site.as_str())
                                .push_bind(row.author_key.as_deref())
                                .push_bind(i64::from(row.spam))
                                .push_bind(i64::from(row.deleted))
                                .push_bind(row.source.as_str())
                                .push_bind(row.source_id.as_str());
                        },
                    );
                    insert.push(" RETURNING id, thread, source_id");
                    let inserted: Vec<(i64, Option<i64>, String)> =
                        insert.build_query_as().fetch_all(&mut *tx).await?;
                    for (id, thread, source_id) in inserted {
                        let (i, orphan) = orphans[source_id.as_str()];
                        let row = &rows[i];
                        done[i] = Imported::Added { id, orphan };
                        known.insert(
                            (row.source.clone(), row.source_id.clone()),
                            Known {
                                id,
                                thread: thread.unwrap_or(id),
                                site: row.site.clone(),
                                page: row.page.clone(),
                            },
                        );
                    }
                }
                Ok(done)
            }
            .await;
            finish(tx, outcome, |_| true).await
        })
    }

    /// On SQLite, drops the comments' indexes that no import reads (every one but the
    /// unique ones), so that a large import writes its rows without keeping them up,
    /// and returns whether it did; `restore_indexes` makes them again, in one pass each.
    /// Each is saved in `settings` in the same transaction that drops it, so that a crash
    /// in between leaves nothing lost: the next `Store::open` restores them. Until then
    /// the server's reads are slower, and as correct. PostgreSQL keeps its indexes.
    pub async fn defer_indexes(&self) -> Result<bool, sqlx::Error> {
        let Pool::Sqlite(db, _) = &self.pool else {
            return Ok(false);
        };
        let _turn = self.turn().await;
        let mut tx = db.begin_with(begin(false)).await?;
        let indexes: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master
             WHERE type = 'index' AND tbl_name = 'comments' AND sql IS NOT NULL
               AND sql NOT LIKE 'CREATE UNIQUE%'",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (name, sql) in &indexes {
            sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
                .bind(format!("{DEFERRED}{name}"))
                .bind(sql.as_bytes())
                .execute(&mut *tx)
                .await?;
            sqlx::query(assembled(format!(
                "DROP INDEX \"{}\"",
                name.replace('"', "\"\"")
            )))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(!indexes.is_empty())
    }

    /// Makes again the indexes that `defer_indexes` dropped, in one transaction, if any
    /// are waiting: at the end of an import, whether it succeeded or not, and when a
    /// store opens, after an import that was killed.
    pub async fn restore_indexes(&self) -> Result<(), sqlx::Error> {
        let Pool::Sqlite(db, _) = &self.pool else {
            return Ok(());
        };
        let _turn = self.turn().await;
        restore_sqlite_indexes(db).await
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
