//! Privacy requests (anonymise, erase), made from the map of `crate::privacy`, and the
//! schema that its test checks the map against.

use super::*;

/// An e-mail address that names a commenter in a privacy request: not blank, and of
/// the shape of an address, so that no request can match the comments whose address
/// was already erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The address, sanitised by the rule every stored address met
    /// (`causerie_protocol::email`); `None` when it is blank or not an address.
    pub fn parse(raw: &str) -> Option<Email> {
        causerie_protocol::email::parse(raw).ok().map(Email)
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Forgets the identities of the comments made with `$1`: they are no longer known to
/// first-time moderation.
const FORGET_IDENTITIES: &str = "DELETE FROM known_authors WHERE author_key IN
     (SELECT author_key FROM comments WHERE lower(email) = lower($1))";

impl Store {
    /// Anonymises every comment made with `email`: the text stays, and every other
    /// column that `privacy::COMMENTS` marks personal is cleared; the commenter's identity
    /// is no longer known. Returns how many comments there were.
    pub async fn anonymise(&self, email: &Email) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        let done = with_db!(self, |db| {
            let mut tx = db.begin().await?;
            sqlx::query(FORGET_IDENTITIES)
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(assembled(format!(
                "UPDATE comments SET {} WHERE lower(email) = lower($1)",
                crate::privacy::cleared(crate::privacy::Clear::Anonymise)
            )))
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            done.rows_affected()
        });
        self.scrub().await?;
        Ok(done)
    }

    /// Erases every comment made with `email`: those nobody replied to are deleted; those
    /// with replies become placeholders without author or text, so that the replies keep
    /// their place. What else holds their data (`privacy.rs`) goes too: the keys of their
    /// posts return nothing, their deliveries are not sent. Returns how many comments
    /// there were.
    pub async fn erase(&self, email: &Email) -> Result<u64, sqlx::Error> {
        let _turn = self.turn().await;
        let done = with_db!(self, |db| {
            let mut tx = db.begin().await?;
            sqlx::query(FORGET_IDENTITIES)
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
            const MINE: &str = "SELECT id FROM comments WHERE lower(email) = lower($1)";
            sqlx::query(assembled(format!(
                "UPDATE idempotency_keys SET fingerprint = $2, comment_id = NULL
                 WHERE comment_id IN ({MINE})"
            )))
            .bind(email.as_str())
            .bind(Vec::<u8>::new())
            .execute(&mut *tx)
            .await?;
            sqlx::query(assembled(format!(
                "DELETE FROM outbox WHERE comment_id IN ({MINE})"
            )))
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
            let placeholders = sqlx::query(assembled(format!(
                "UPDATE comments SET {}, deleted = 1
                 WHERE lower(email) = lower($1)
                   AND EXISTS (SELECT 1 FROM comments r WHERE r.parent = comments.id)",
                crate::privacy::cleared(crate::privacy::Clear::Erase)
            )))
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
            let deleted = sqlx::query("DELETE FROM comments WHERE lower(email) = lower($1)")
                .bind(email.as_str())
                .execute(&mut *tx)
                .await?;
            // What is known of the address for its mail: its state, its muted threads, and the
            // identities it linked.
            let address = super::address_key(self.secret(), email.as_str());
            for table in ["mail_addresses", "muted_threads", "author_links"] {
                sqlx::query(assembled(format!(
                    "DELETE FROM {table} WHERE address_key = $1"
                )))
                .bind(&address)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            placeholders.rows_affected() + deleted.rows_affected()
        });
        self.scrub().await?;
        Ok(done)
    }

    /// After an erasure: on SQLite, the write-ahead log still holds the erased rows' old
    /// pages until a checkpoint copies it into the file (where `secure_delete` overwrote
    /// them) and truncates it.
    async fn scrub(&self) -> Result<(), sqlx::Error> {
        if let Pool::Sqlite(_, writer) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(writer)
                .await?;
        }
        Ok(())
    }

    /// The columns of every table, as (table, column), for the privacy map's test.
    pub async fn columns(&self) -> Result<Vec<(String, String)>, sqlx::Error> {
        with_db!(self, |db, pg| {
            sqlx::query_as(if pg {
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'
                 ORDER BY 1, 2"
            } else {
                "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                   AND m.name <> '_sqlx_migrations'
                 ORDER BY 1, 2"
            })
            .fetch_all(db)
            .await
        })
    }
}
