//! The optional webhook: a JSON POST to the site owner's endpoint for each new comment,
//! signed with HMAC-SHA256 over the body, so that they can wire it to a chat or to e-mail.
//!
//! Deliveries never block the commenter: the comment's transaction only writes a row of
//! the `outbox` table, and this task sends it. A delivery that fails (a network error,
//! a timeout, an answer other than 2xx) is retried with exponential backoff, from 2 s up
//! to an hour, `MAX_ATTEMPTS` times; the outbox lives in the database, so deliveries
//! survive a restart, and several servers on one database claim each delivery before
//! sending it, so that it goes once.
//!
//! The signature: `Causerie-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::store::{Delivery, Store};

/// How often the task looks for deliveries that are due.
const TICK: Duration = Duration::from_secs(1);
/// How many times a delivery is tried before it is given up (and logged).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a server may take to send a delivery it claimed, before another may.
const LEASE_MS: i64 = 60_000;

/// Where and how to deliver.
#[derive(Clone)]
pub struct Webhook {
    /// The site owner's endpoint.
    pub url: String,
    /// The key of the signature.
    pub secret: String,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// The `Causerie-Signature` of `body`.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("sha256={}", crate::hex(&tag))
}

/// The wait before attempt `attempts + 1`: 2 s, 4 s, 8 s… at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    2_000_i64
        .saturating_mul(1 << attempts.clamp(0, 20))
        .min(3_600_000)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Delivers the outbox, for as long as the server runs.
pub async fn deliver(store: Store, hook: Webhook) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut every = tokio::time::interval(TICK);
    loop {
        every.tick().await;
        let due = match store.due_deliveries(now_millis(), LEASE_MS).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the webhook outbox");
                continue;
            }
        };
        for delivery in due {
            let (id, attempts) = (delivery.id, delivery.attempts);
            // The payload is built now, from the comment as it is now: one deleted or
            // erased since is not announced.
            let body = match payload(&store, &delivery).await {
                Ok(Some(body)) => body,
                Ok(None) => {
                    if let Err(e) = store.delivered(id).await {
                        tracing::warn!(error = %e, "cannot update the webhook outbox");
                    }
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read a delivery's comment");
                    continue;
                }
            };
            let agent = agent.clone();
            let hook = hook.clone();
            let sent = body.clone();
            // ureq blocks: off the async threads.
            let status = tokio::task::spawn_blocking(move || {
                agent
                    .post(&hook.url)
                    .header("Content-Type", "application/json")
                    .header("Causerie-Signature", &signature(&hook.secret, &sent))
                    .send(sent.as_bytes())
                    .map(|r| r.status().as_u16())
            })
            .await;
            let delivered = matches!(status, Ok(Ok(200..=299)));
            let outcome = if delivered {
                store.delivered(id).await
            } else if attempts + 1 >= MAX_ATTEMPTS {
                tracing::warn!(
                    id,
                    ?status,
                    "webhook delivery given up after {MAX_ATTEMPTS} attempts"
                );
                store.delivered(id).await
            } else {
                tracing::info!(
                    id,
                    ?status,
                    attempt = attempts + 1,
                    "webhook delivery failed; will retry"
                );
                store
                    .retry_delivery(id, now_millis() + backoff_ms(attempts))
                    .await
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "cannot update the webhook outbox");
            }
        }
    }
}

/// The JSON of a delivery: `{"event": kind, "comment": {…}}`, with no e-mail address;
/// `None` when the comment is gone, or is a placeholder.
async fn payload(store: &Store, delivery: &Delivery) -> Result<Option<String>, sqlx::Error> {
    let Some(id) = delivery.comment_id else {
        return Ok(None);
    };
    let comment = store.comment(id).await?.filter(|c| !c.deleted);
    Ok(comment.map(|comment| {
        serde_json::json!({ "event": delivery.kind, "comment": comment }).to_string()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(1), 4_000);
        assert_eq!(backoff_ms(5), 64_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }

    #[test]
    fn the_signature_is_an_hmac_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
