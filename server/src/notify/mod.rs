//! Notifications: what happened to a comment (`Event`), and where it is told
//! (`Destination`). The webhook (`webhook.rs`) is one destination; mail, in a later
//! issue, is another.
//!
//! Events are never sent from a request: the comment's transaction writes a row of the
//! outbox (its kind and the comment's id), and `deliver` sends it. The event is built
//! when it is sent, from the comment as it is then, so that a comment deleted or erased
//! in the meantime is never announced, and nothing of it waits in the outbox. A delivery
//! that fails is retried with exponential backoff (2 s up to an hour, `MAX_ATTEMPTS`
//! times); the outbox lives in the database, so deliveries survive a restart, and
//! several servers on one database claim each delivery before sending it, so that it
//! goes once.

pub mod webhook;

use std::{sync::Arc, time::Duration};

use causerie_protocol::Comment;

use crate::{
    clock::Clock,
    store::{Delivery, Store},
};

/// How often the outbox is looked at for deliveries that are due.
const TICK: Duration = Duration::from_secs(1);
/// How many times a delivery is tried before it is given up (and logged).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a server may take to send a delivery it claimed, before another may.
const LEASE_MS: i64 = 60_000;

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new comment was stored (published or held).
    Created(Comment),
    /// Its author edited it (its `status` says whether it is held again).
    Edited(Comment),
}

impl Event {
    /// The event of a delivery, from the comment as it is now; `None` when the comment is
    /// gone, is a placeholder, or the kind is unknown (a newer server's).
    async fn of(store: &Store, delivery: &Delivery) -> Result<Option<Event>, sqlx::Error> {
        let Some(id) = delivery.comment_id else {
            return Ok(None);
        };
        let Some(comment) = store.comment(id).await?.filter(|c| !c.deleted) else {
            return Ok(None);
        };
        Ok(match delivery.kind.as_str() {
            "comment.created" => Some(Event::Created(comment)),
            "comment.edited" => Some(Event::Edited(comment)),
            _ => None,
        })
    }

    /// Its name on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Created(_) => "comment.created",
            Event::Edited(_) => "comment.edited",
        }
    }

    /// The comment, as anyone may see it (no e-mail address).
    pub fn comment(&self) -> &Comment {
        match self {
            Event::Created(c) | Event::Edited(c) => c,
        }
    }

    /// `{"event": kind, "comment": {…}}`.
    pub fn json(&self) -> String {
        serde_json::json!({ "event": self.kind(), "comment": self.comment() }).to_string()
    }
}

/// Where events are told. `send` may block (it runs on a blocking thread); `Err` means
/// "try again later", with what went wrong, for the log.
pub trait Destination: Send + Sync + std::fmt::Debug + 'static {
    /// Tells `event`.
    fn send(&self, event: &Event) -> Result<(), String>;
}

/// The wait before attempt `attempts + 1`: 2 s, 4 s, 8 s… at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    2_000_i64
        .saturating_mul(1 << attempts.clamp(0, 20))
        .min(3_600_000)
}

/// Delivers the outbox to `destination`, for as long as the server runs.
pub async fn deliver(store: Store, destination: Arc<dyn Destination>) {
    let mut every = tokio::time::interval(TICK);
    loop {
        every.tick().await;
        let due = match store.due_deliveries(Clock::system().now(), LEASE_MS).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox");
                continue;
            }
        };
        for delivery in due {
            let outcome = deliver_one(&store, &destination, &delivery).await;
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "cannot update the outbox");
            }
        }
    }
}

/// Sends one delivery, then forgets it, or schedules its next attempt.
async fn deliver_one(
    store: &Store,
    destination: &Arc<dyn Destination>,
    delivery: &Delivery,
) -> Result<(), sqlx::Error> {
    let (id, attempts) = (delivery.id, delivery.attempts);
    let Some(event) = Event::of(store, delivery).await? else {
        // Nothing left to tell.
        return store.delivered(id).await;
    };
    let to = destination.clone();
    let sent = tokio::task::spawn_blocking(move || to.send(&event))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    match sent {
        Ok(()) => store.delivered(id).await,
        Err(why) if attempts + 1 >= MAX_ATTEMPTS => {
            tracing::warn!(id, why, "delivery given up after {MAX_ATTEMPTS} attempts");
            store.delivered(id).await
        }
        Err(why) => {
            tracing::info!(
                id,
                why,
                attempt = attempts + 1,
                "delivery failed; will retry"
            );
            store
                .retry_delivery(id, Clock::system().now() + backoff_ms(attempts))
                .await
        }
    }
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
}
