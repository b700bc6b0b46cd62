//! Notifications: what happened to a comment (`Event`), and where it is told
//! (`Destination`). The webhook (`webhook.rs`) is one destination, mail (`mail.rs`)
//! another; `Announce` says which are configured, and `Destinations` holds them.
//!
//! Events are never sent from a request: the comment's transaction writes a row of the
//! outbox for each destination that hears of it (its kind, the comment's id, the
//! destination), and `deliver` sends it. The event is built when it is sent, from the
//! comment as it is then, so that a comment deleted or erased in the meantime is never
//! announced, and nothing of it waits in the outbox. A delivery that fails is retried
//! with exponential backoff (2 s up to an hour, `MAX_ATTEMPTS` times), alone: the
//! other destinations' rows of the same event are their own. The outbox lives in the
//! database, so deliveries survive a restart, and several servers on one database claim
//! each delivery before sending it, so that it goes once (at least once: a server killed
//! after the send and before the row is forgotten sends it again once its lease is over,
//! with the same `Message-ID` for a mail).

pub mod mail;
pub mod webhook;
pub mod words;

use std::{sync::Arc, time::Duration};

use causerie_protocol::{Comment, Status};

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

/// The kind of a new comment's event.
pub const CREATED: &str = "comment.created";
/// The kind of an author's edit's event.
pub const EDITED: &str = "comment.edited";
/// The kind of a reply's publication (at once, or when the site owner approves it): its
/// parent's author may hear of it (only the mail hears of it).
pub const PUBLISHED: &str = "comment.published";
/// The kind of a confirmation mail, for the address of a comment that asked to hear of
/// replies (only the mail hears of it).
pub const CONFIRM: &str = "address.confirm";
/// The webhook's name in the outbox.
pub const WEBHOOK: &str = "webhook";
/// The mail's name in the outbox.
pub const MAIL: &str = "mail";
/// The site owner's digest's name in the outbox: its deliveries are due at the end of
/// their period, and go together, one mail for each site.
pub const DIGEST: &str = "digest";
/// The most deliveries one digest gathers (past that, the next mail has the rest).
pub const DIGEST_MAX: i64 = 200;

/// Which destinations are configured, and so which hear of what.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Announce {
    /// The webhook hears of new comments and edits.
    pub webhook: bool,
    /// The mail hears of new comments.
    pub mail: bool,
    /// With the site owner's digest, its period in milliseconds (else 0): new comments
    /// go to the digest, not one mail each.
    pub digest_ms: i64,
}

impl Announce {
    /// The destinations that `config` configures.
    pub fn of_config(config: &crate::config::Config) -> Announce {
        let mail = config.smtp_url.is_some();
        let digest = mail && config.owner_mail == crate::config::OwnerMail::Digest;
        Announce {
            webhook: config.webhook_url.is_some(),
            mail,
            digest_ms: if digest {
                i64::try_from(config.owner_digest_every.as_millis()).unwrap_or(i64::MAX)
            } else {
                0
            },
        }
    }

    /// The destinations that hear of an event of `kind`.
    pub fn of(self, kind: &str) -> impl Iterator<Item = &'static str> {
        let digest = self.digest_ms > 0;
        [
            (self.webhook && matches!(kind, CREATED | EDITED), WEBHOOK),
            (
                self.mail && (kind == PUBLISHED || kind == CREATED && !digest),
                MAIL,
            ),
            (self.mail && digest && kind == CREATED, DIGEST),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
    }

    /// When a delivery to `destination` of an event at `now` is due: at once, or, for
    /// the digest, at the end of the period that `now` is in (periods start at the Unix
    /// epoch, so an hour's end on the hour).
    pub fn due(self, destination: &str, now: i64) -> i64 {
        if destination == DIGEST && self.digest_ms > 0 {
            now.div_euclid(self.digest_ms)
                .saturating_add(1)
                .saturating_mul(self.digest_ms)
        } else {
            now
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new comment was stored (published or held).
    Created(Comment),
    /// Its author edited it (its `status` says whether it is held again).
    Edited(Comment),
    /// A reply was published: `Told::recipient` is its parent's author, if they are to
    /// hear of it.
    Published(Comment),
    /// Its author asked to hear of replies: their address is to be confirmed.
    Confirm(Comment),
}

/// Who hears of a reply: the author of the comment it answers, who asked to, whose
/// address is confirmed, not stopped, not refused, and not muted on that thread, and
/// who is not the reply's own author.
#[derive(Clone, Debug)]
pub struct Recipient {
    /// Their address, from their comment.
    pub email: String,
    /// Their name.
    pub name: String,
    /// The comment answered.
    pub parent: i64,
    /// The keyed hash of their address.
    pub key: Vec<u8>,
    /// The language they wrote their comment in.
    pub lang: String,
}

/// An event with what only the site owner may see of its comment.
#[derive(Clone, Debug)]
pub struct Told {
    /// The event.
    pub event: Event,
    /// The commenter's e-mail address.
    pub email: String,
    /// The comment's site: `''` for the default one, else its origin.
    pub site: String,
    /// The keyed hash of the commenter's address.
    pub key: Vec<u8>,
    /// For a published reply: who hears of it.
    pub recipient: Option<Recipient>,
    /// The language the comment was written in.
    pub lang: String,
}

impl Told {
    /// The event of a delivery, from the comment as it is now; `None` when the comment is
    /// gone, is a placeholder, or the kind is unknown (a newer server's).
    async fn of(store: &Store, delivery: &Delivery) -> Result<Option<Told>, sqlx::Error> {
        let Some(id) = delivery.comment_id else {
            return Ok(None);
        };
        let Some(found) = store
            .moderated_one(id)
            .await?
            .filter(|m| !m.comment.deleted)
        else {
            return Ok(None);
        };
        let key = crate::store::address_key(store.secret(), &found.email);
        let mut recipient = None;
        let event = match delivery.kind.as_str() {
            CREATED => Event::Created(found.comment),
            EDITED => Event::Edited(found.comment),
            PUBLISHED => {
                if found.comment.status != Status::Published {
                    return Ok(None);
                }
                recipient = Recipient::of(store, &found).await?;
                Event::Published(found.comment)
            }
            CONFIRM => Event::Confirm(found.comment),
            _ => return Ok(None),
        };
        Ok(Some(Told {
            event,
            email: found.email,
            site: found.site,
            key,
            recipient,
            lang: found.lang,
        }))
    }
}

impl Recipient {
    /// Who hears of the reply `reply`, if anyone.
    async fn of(
        store: &Store,
        reply: &crate::store::Moderated,
    ) -> Result<Option<Recipient>, sqlx::Error> {
        let Some(parent) = reply.comment.parent else {
            return Ok(None);
        };
        let Some(answered) = store.moderated_one(parent).await? else {
            return Ok(None);
        };
        let key = crate::store::address_key(store.secret(), &answered.email);
        let own = key == crate::store::address_key(store.secret(), &reply.email);
        let told = !own
            && !answered.comment.deleted
            && store.wants_replies(parent).await?
            && store.address(&key).await?.mailable()
            && !store
                .muted(&key, &answered.site, &answered.comment.page)
                .await?;
        Ok(told.then_some(Recipient {
            email: answered.email,
            name: answered.comment.author,
            parent,
            key,
            lang: answered.lang,
        }))
    }
}

impl Event {
    /// Its name on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Created(_) => CREATED,
            Event::Edited(_) => EDITED,
            Event::Published(_) => PUBLISHED,
            Event::Confirm(_) => CONFIRM,
        }
    }

    /// The comment, as anyone may see it (no e-mail address).
    pub fn comment(&self) -> &Comment {
        match self {
            Event::Created(c) | Event::Edited(c) | Event::Published(c) | Event::Confirm(c) => c,
        }
    }

    /// Whether its comment waits for the site owner.
    pub fn held(&self) -> bool {
        self.comment().status == Status::Pending
    }

    /// `{"event": kind, "comment": {…}}`.
    pub fn json(&self) -> String {
        serde_json::json!({ "event": self.kind(), "comment": self.comment() }).to_string()
    }
}

/// Where events are told. `send` may block (it runs on a blocking thread); `Err` means
/// "try again later", with what went wrong, for the log. `delivery` is the outbox row's
/// id: the same for every attempt.
pub trait Destination: Send + Sync + std::fmt::Debug + 'static {
    /// Tells `told`.
    fn send(&self, delivery: i64, told: &Told) -> Result<Sent, String>;

    /// Tells all of `told` (one site's) together, `first` being the oldest delivery's
    /// id: the same for every attempt. A destination that cannot gather them tells each
    /// (and so, at least once, may tell the first ones again on a retry).
    fn send_all(&self, first: i64, told: &[Told]) -> Result<Sent, String> {
        for one in told {
            self.send(first, one)?;
        }
        Ok(Sent::Done)
    }
}

/// What became of a delivery that needs no retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Told, or nothing to tell.
    Done,
    /// The address (its keyed hash) was refused for good: it gets no more mail until
    /// its owner confirms it again.
    Refused(Vec<u8>),
}

/// The configured destinations, by their names in the outbox.
#[derive(Clone, Debug, Default)]
pub struct Destinations(Vec<(&'static str, Arc<dyn Destination>)>);

impl Destinations {
    /// With `destination` as `name` too.
    pub fn with(mut self, name: &'static str, destination: Arc<dyn Destination>) -> Self {
        self.0.push((name, destination));
        self
    }

    fn get(&self, name: &str) -> Option<&Arc<dyn Destination>> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, d)| d)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The wait before attempt `attempts + 1`: 2 s, 4 s, 8 s… at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    2_000_i64
        .saturating_mul(1 << attempts.clamp(0, 20))
        .min(3_600_000)
}

/// Delivers the outbox to `destinations`, for as long as the server runs.
pub async fn deliver(store: Store, destinations: Destinations) {
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
            let outcome = deliver_one(&store, &destinations, &delivery).await;
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "cannot update the outbox");
            }
        }
        if let Err(e) = deliver_digest(&store, &destinations).await {
            tracing::warn!(error = %e, "cannot deliver the digest");
        }
    }
}

/// Sends the digest's deliveries that are due, one mail for each site's, then forgets
/// them, or schedules their next attempt together.
async fn deliver_digest(store: &Store, destinations: &Destinations) -> Result<(), sqlx::Error> {
    let due = store.due_digest(Clock::system().now(), LEASE_MS).await?;
    if due.is_empty() {
        return Ok(());
    }
    let Some(to) = destinations.get(DIGEST).cloned() else {
        for delivery in &due {
            store.delivered(delivery.id).await?;
        }
        return Ok(());
    };
    // Each site's, with what is left to tell of them.
    let mut sites: Vec<(String, Vec<(Delivery, Told)>)> = Vec::new();
    for delivery in due {
        let Some(told) = Told::of(store, &delivery).await? else {
            store.delivered(delivery.id).await?;
            continue;
        };
        match sites.iter_mut().find(|(site, _)| *site == told.site) {
            Some((_, group)) => group.push((delivery, told)),
            None => sites.push((told.site.clone(), vec![(delivery, told)])),
        }
    }
    for (_, group) in sites {
        let (deliveries, told): (Vec<Delivery>, Vec<Told>) = group.into_iter().unzip();
        let first = deliveries[0].id;
        let to = to.clone();
        let sent = tokio::task::spawn_blocking(move || to.send_all(first, &told))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        for delivery in &deliveries {
            match &sent {
                Ok(_) => store.delivered(delivery.id).await?,
                Err(why) => settle_failure(store, delivery, why).await?,
            }
        }
    }
    Ok(())
}

/// A delivery that failed: tried again later, or given up after `MAX_ATTEMPTS`.
async fn settle_failure(store: &Store, delivery: &Delivery, why: &str) -> Result<(), sqlx::Error> {
    let (id, attempts) = (delivery.id, delivery.attempts);
    if attempts + 1 >= MAX_ATTEMPTS {
        tracing::warn!(id, why, "delivery given up after {MAX_ATTEMPTS} attempts");
        return store.delivered(id).await;
    }
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

/// Sends one delivery, then forgets it, or schedules its next attempt.
async fn deliver_one(
    store: &Store,
    destinations: &Destinations,
    delivery: &Delivery,
) -> Result<(), sqlx::Error> {
    let id = delivery.id;
    let Some(to) = destinations.get(&delivery.destination).cloned() else {
        // A destination no longer configured: nothing will send it.
        tracing::info!(id, destination = %delivery.destination, "a delivery for a destination that is not configured, forgotten");
        return store.delivered(id).await;
    };
    let Some(told) = Told::of(store, delivery).await? else {
        // Nothing left to tell.
        return store.delivered(id).await;
    };
    let sent = tokio::task::spawn_blocking(move || to.send(id, &told))
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
    match sent {
        Ok(Sent::Done) => store.delivered(id).await,
        Ok(Sent::Refused(key)) => {
            tracing::info!(
                id,
                "an address was refused for good; it is mailed no more until confirmed anew"
            );
            store.refuse_address(&key, Clock::system().now()).await?;
            store.delivered(id).await
        }
        Err(why) => settle_failure(store, delivery, &why).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_hears_of_everything_and_the_mail_of_new_comments() {
        let both = Announce {
            webhook: true,
            mail: true,
            digest_ms: 0,
        };
        assert_eq!(both.of(CREATED).collect::<Vec<_>>(), [WEBHOOK, MAIL]);
        assert_eq!(both.of(EDITED).collect::<Vec<_>>(), [WEBHOOK]);
        assert_eq!(both.of(PUBLISHED).collect::<Vec<_>>(), [MAIL]);
        assert_eq!(both.of(CONFIRM).count(), 0, "written apart, for the mail");
        assert_eq!(Announce::default().of(CREATED).count(), 0);
    }

    #[test]
    fn with_the_digest_new_comments_wait_for_the_end_of_their_hour() {
        let digest = Announce {
            webhook: true,
            mail: true,
            digest_ms: 3_600_000,
        };
        assert_eq!(digest.of(CREATED).collect::<Vec<_>>(), [WEBHOOK, DIGEST]);
        assert_eq!(
            digest.of(PUBLISHED).collect::<Vec<_>>(),
            [MAIL],
            "replies still go at once"
        );
        assert_eq!(digest.of(EDITED).collect::<Vec<_>>(), [WEBHOOK]);
        let hour = 3_600_000;
        assert_eq!(
            digest.due(DIGEST, 5 * hour),
            6 * hour,
            "on the hour: the next one"
        );
        assert_eq!(digest.due(DIGEST, 5 * hour + 1), 6 * hour);
        assert_eq!(digest.due(DIGEST, 6 * hour - 1), 6 * hour);
        assert_eq!(digest.due(MAIL, 5 * hour + 1), 5 * hour + 1);
        assert_eq!(digest.due(WEBHOOK, 7), 7);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff_ms(0), 2_000);
        assert_eq!(backoff_ms(1), 4_000);
        assert_eq!(backoff_ms(5), 64_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}
