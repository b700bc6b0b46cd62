//! The outbox: deliveries (what happened to which comment), claimed by one server at
//! a time, retried, forgotten once sent.

use super::*;

/// A delivery of the outbox: what happened (`comment.created`, `comment.edited`) to
/// which comment. Its payload is built when it is sent, from the comment as it is then.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Delivery {
    /// The delivery's id.
    pub id: i64,
    /// What happened.
    pub kind: String,
    /// To which comment.
    pub comment_id: Option<i64>,
    /// Attempts so far.
    pub attempts: i64,
    /// Where it goes: `webhook` or `mail`.
    pub destination: String,
}

impl Store {
    /// The deliveries that are due at `now`, but the digest's, claimed for `lease_ms`,
    /// so that no other server sends them meanwhile, oldest first.
    pub async fn due_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
    ) -> Result<Vec<Delivery>, sqlx::Error> {
        self.claim(now, lease_ms, false, 20).await
    }

    /// The digest's deliveries that are due at `now` (at most `DIGEST_MAX`), claimed
    /// together for `lease_ms`, oldest first.
    pub async fn due_digest(&self, now: i64, lease_ms: i64) -> Result<Vec<Delivery>, sqlx::Error> {
        self.claim(now, lease_ms, true, crate::notify::DIGEST_MAX)
            .await
    }

    /// Claims up to `limit` due deliveries: the digest's, or every other.
    async fn claim(
        &self,
        now: i64,
        lease_ms: i64,
        digest: bool,
        limit: i64,
    ) -> Result<Vec<Delivery>, sqlx::Error> {
        let digest = if digest { "=" } else { "<>" };
        let _turn = self.turn().await;
        // One statement claims them; PostgreSQL's servers skip each other's rows rather
        // than wait for them.
        let mut due: Vec<Delivery> = with_db!(self, |db, pg| {
            sqlx::query_as(assembled(format!(
                "UPDATE outbox SET next_attempt = $1
                 WHERE id IN (SELECT id FROM outbox WHERE next_attempt <= $2
                              AND destination {digest} $3
                              ORDER BY id LIMIT $4 {})
                 RETURNING id, kind, comment_id, attempts, destination",
                if pg { "FOR UPDATE SKIP LOCKED" } else { "" }
            )))
            .bind(now + lease_ms)
            .bind(now)
            .bind(crate::notify::DIGEST)
            .bind(limit)
            .fetch_all(db)
            .await?
        });
        due.sort_unstable_by_key(|d| d.id);
        Ok(due)
    }

    /// Forgets a delivery: sent, or given up.
    pub async fn delivered(&self, id: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("DELETE FROM outbox WHERE id = $1")
                .bind(id)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// Schedules another attempt of a delivery at `at`.
    pub async fn retry_delivery(&self, id: i64, at: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = $1 WHERE id = $2",
            )
            .bind(at)
            .bind(id)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Records that the moderation link signed `signature` was used at `now`; `false` if
    /// it was already (one statement: two servers cannot both use it).
    pub async fn use_link(&self, signature: &str, now: i64) -> Result<bool, sqlx::Error> {
        let _turn = self.turn().await;
        let done = with_db!(self, |db| {
            sqlx::query(
                "INSERT INTO used_links (signature, used) VALUES ($1, $2)
                 ON CONFLICT (signature) DO NOTHING",
            )
            .bind(signature)
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Whether the moderation link signed `signature` was never used.
    pub async fn link_unused(&self, signature: &str) -> Result<bool, sqlx::Error> {
        let used: Option<i64> = with_db!(self, |db| {
            sqlx::query_scalar("SELECT used FROM used_links WHERE signature = $1")
                .bind(signature)
                .fetch_optional(db)
                .await?
        });
        Ok(used.is_none())
    }

    /// How many deliveries wait, for every destination.
    pub async fn pending_deliveries(&self) -> Result<i64, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
                .fetch_one(db)
                .await
        })
    }
}
