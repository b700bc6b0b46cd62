//! The addresses that mail goes to, by a keyed hash (`address_key`): confirmed,
//! refused for good by the SMTP server, stopped by their owner, muted on a thread.
//!
//! A confirmed address is also a proof of who a commenter is. The first comment whose
//! confirmation its address's owner pressed gives the address its commenter (the keyed
//! hash of that comment's identity). When the owner confirms a comment from another
//! identity (another browser, another device), that identity is linked to the address's
//! commenter (`author_links`): its comments, past and to come, are that commenter's,
//! with one avatar, and known to first-time moderation once either was. Typing the
//! address proves nothing: only its owner's press of a link mailed to it links.

use super::*;

/// What is known of an address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct AddressState {
    /// When its owner confirmed it.
    pub confirmed: Option<i64>,
    /// When the SMTP server last refused it for good.
    pub refused: Option<i64>,
    /// When its owner stopped all mail.
    pub stopped: Option<i64>,
}

impl AddressState {
    /// Whether it may be mailed a notification: confirmed since it was last refused,
    /// and not stopped since.
    pub fn mailable(&self) -> bool {
        match self.confirmed {
            None => false,
            Some(confirmed) => {
                self.refused.is_none_or(|r| r < confirmed)
                    && self.stopped.is_none_or(|s| s < confirmed)
            }
        }
    }
}

impl Store {
    /// What is known of the address `key`; nothing, for one never seen.
    pub async fn address(&self, key: &[u8]) -> Result<AddressState, sqlx::Error> {
        let state: Option<AddressState> = with_db!(self, |db| {
            sqlx::query_as(
                "SELECT confirmed, refused, stopped FROM mail_addresses WHERE address_key = $1",
            )
            .bind(key)
            .fetch_optional(db)
            .await?
        });
        Ok(state.unwrap_or_default())
    }

    /// Its owner confirmed the address `key` at `now`, from the confirmation link of
    /// comment `comment`: mail may go to it again, and the comment's commenter is the
    /// address's: its first, or linked to it, with all of their comments (whose avatar
    /// `avatar` makes from the commenter's keyed identity).
    pub async fn confirm_address(
        &self,
        key: &[u8],
        comment: i64,
        now: i64,
        avatar: impl Fn(&[u8]) -> String,
    ) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        let secret = self.secret().to_vec();
        with_db!(self, |db, pg| {
            let mut tx = db.begin_with(begin(pg)).await?;
            sqlx::query(
                "INSERT INTO mail_addresses (address_key, confirmed) VALUES ($1, $2)
                 ON CONFLICT (address_key) DO UPDATE SET confirmed = $2",
            )
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // The comment's commenter, if the comment is still there, with this address.
            let asked: Option<(Option<Vec<u8>>, String)> = sqlx::query_as(
                "SELECT author_key, email FROM comments WHERE id = $1 AND deleted = 0",
            )
            .bind(comment)
            .fetch_optional(&mut *tx)
            .await?;
            let author = asked
                .filter(|(_, email)| super::address_key(&secret, email) == key)
                .and_then(|(author, _)| author);
            if let Some(author) = author {
                let own: Option<Vec<u8>> = sqlx::query_scalar(
                    "SELECT author_key FROM mail_addresses WHERE address_key = $1",
                )
                .bind(key)
                .fetch_one(&mut *tx)
                .await?;
                match own {
                    None => {
                        sqlx::query(
                            "UPDATE mail_addresses SET author_key = $1 WHERE address_key = $2",
                        )
                        .bind(&author)
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    }
                    Some(own) if own == author => {}
                    Some(own) => {
                        // `author` becomes `own`, and so does whatever was linked to it.
                        sqlx::query(
                            "INSERT INTO author_links (author_key, canonical, address_key, linked)
                             VALUES ($1, $2, $3, $4)
                             ON CONFLICT (author_key) DO UPDATE
                             SET canonical = $2, address_key = $3, linked = $4",
                        )
                        .bind(&author)
                        .bind(&own)
                        .bind(key)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        for (table, column) in [
                            ("author_links", "canonical"),
                            ("mail_addresses", "author_key"),
                        ] {
                            sqlx::query(assembled(format!(
                                "UPDATE {table} SET {column} = $1 WHERE {column} = $2"
                            )))
                            .bind(&own)
                            .bind(&author)
                            .execute(&mut *tx)
                            .await?;
                        }
                        sqlx::query(
                            "UPDATE comments SET author_key = $1, avatar = $2 WHERE author_key = $3",
                        )
                        .bind(&own)
                        .bind(avatar(&own))
                        .bind(&author)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "INSERT INTO known_authors (author_key, approved)
                             SELECT $1, approved FROM known_authors WHERE author_key = $2
                             ON CONFLICT DO NOTHING",
                        )
                        .bind(&own)
                        .bind(&author)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Its owner stopped all mail to the address `key` at `now`.
    pub async fn stop_address(&self, key: &[u8], now: i64) -> Result<(), sqlx::Error> {
        self.mark_address(key, "stopped", now).await
    }

    /// The SMTP server refused the address `key` for good at `now`: it gets no more
    /// mail until its owner confirms it again.
    pub async fn refuse_address(&self, key: &[u8], now: i64) -> Result<(), sqlx::Error> {
        self.mark_address(key, "refused", now).await
    }

    /// Sets the time `column` of the address `key`, which becomes known if it was not.
    async fn mark_address(&self, key: &[u8], column: &str, now: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query(assembled(format!(
                "INSERT INTO mail_addresses (address_key, {column}) VALUES ($1, $2)
                 ON CONFLICT (address_key) DO UPDATE SET {column} = $2"
            )))
            .bind(key)
            .bind(now)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// No more replies from the thread `page` of `site` to the address `key`.
    pub async fn mute_thread(&self, key: &[u8], site: &str, page: &str) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query(
                "INSERT INTO muted_threads (address_key, site, page) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
            )
            .bind(key)
            .bind(site)
            .bind(page)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Whether the address `key` muted the thread `page` of `site`.
    pub async fn muted(&self, key: &[u8], site: &str, page: &str) -> Result<bool, sqlx::Error> {
        let found: i64 = with_db!(self, |db| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM muted_threads
                 WHERE address_key = $1 AND site = $2 AND page = $3",
            )
            .bind(key)
            .bind(site)
            .bind(page)
            .fetch_one(db)
            .await?
        });
        Ok(found > 0)
    }

    /// Whether the comment `id`'s author asked to hear of replies.
    pub async fn wants_replies(&self, id: i64) -> Result<bool, sqlx::Error> {
        let notify: Option<i64> = with_db!(self, |db| {
            sqlx::query_scalar("SELECT notify FROM comments WHERE id = $1")
                .bind(id)
                .fetch_optional(db)
                .await?
        });
        Ok(notify == Some(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_mailable_once_confirmed_after_any_refusal_or_stop() {
        let state = |confirmed, refused, stopped| AddressState {
            confirmed,
            refused,
            stopped,
        };
        assert!(!state(None, None, None).mailable());
        assert!(state(Some(5), None, None).mailable());
        assert!(!state(Some(5), Some(6), None).mailable(), "refused since");
        assert!(state(Some(7), Some(6), None).mailable(), "confirmed anew");
        assert!(!state(Some(5), None, Some(6)).mailable(), "stopped since");
    }
}
