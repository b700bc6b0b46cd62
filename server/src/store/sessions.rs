//! Admin sessions, and the settings every server on the database shares.

use super::*;

impl Store {
    /// A setting shared by every server on this database.
    pub async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(db)
                .await
        })
    }

    /// Sets a setting.
    pub async fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            )
            .bind(name)
            .bind(value)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Opens an admin session until `expires`. Only the token's hash is kept; its CSRF
    /// token is derived from the token (`admin/auth.rs`), so it is stored nowhere.
    pub async fn open_session(&self, token_hash: &[u8], expires: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("INSERT INTO sessions (token_hash, expires) VALUES ($1, $2)")
                .bind(token_hash)
                .bind(expires)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// Whether the session whose token hashes to `token_hash` is open at `now`.
    pub async fn session(&self, token_hash: &[u8], now: i64) -> Result<bool, sqlx::Error> {
        with_db!(self, |db| {
            sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sessions WHERE token_hash = $1 AND expires > $2)",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_one(db)
            .await
        })
    }

    /// Closes a session, and every session that has expired by `now`.
    pub async fn close_session(&self, token_hash: &[u8], now: i64) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires <= $2")
                .bind(token_hash)
                .bind(now)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// Closes every admin session, as a new password does.
    pub async fn close_all_sessions(&self) -> Result<(), sqlx::Error> {
        let _turn = self.turn().await;
        with_db!(self, |db| {
            sqlx::query("DELETE FROM sessions").execute(db).await?;
        });
        Ok(())
    }
}
