//! The webhook, one destination of the notifications: a JSON POST to the site owner's
//! endpoint for each event, signed with HMAC-SHA256 over the body, so that they can
//! wire it to a chat or to e-mail. An answer other than 2xx, a network error or a
//! timeout (10 s) is a failure, retried by `notify::deliver`.
//!
//! The signature: `Causerie-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Destination, Sent, Told};

/// Where and how to deliver.
pub struct Webhook {
    url: String,
    secret: String,
    agent: ureq::Agent,
}

impl Webhook {
    /// The endpoint `url`, signed with `secret`.
    pub fn new(url: String, secret: String) -> Webhook {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        Webhook { url, secret, agent }
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Destination for Webhook {
    fn send(&self, _delivery: i64, told: &Told) -> Result<Sent, String> {
        // The comment as anyone may see it: never the e-mail address.
        let body = told.event.json();
        let status = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Causerie-Signature", &signature(&self.secret, &body))
            .send(body.as_bytes())
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string())?;
        match status {
            200..=299 => Ok(Sent::Done),
            other => Err(format!("the endpoint answered {other}")),
        }
    }
}

/// The `Causerie-Signature` of `body`.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    let tag = mac.finalize().into_bytes();
    format!("sha256={}", crate::hex(&tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_an_hmac_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
