//! The sites a server serves, and which one a request is for.
//!
//! A thread is a page of a site: two sites' `/about` are two threads. The sites are the
//! configured origins (`--allow-origin`, or the `[[site]]`s of the file), in order. The
//! first is the default site, and is stored as `''`, so that a database of one site
//! keeps its threads as they were before sites existed; every other site is stored by
//! its origin. Add new sites after the first, then: the first one keeps the old threads.
//!
//! A request is for the site whose origin its `Origin` header names exactly, and else
//! for the default site. A client can write any `Origin` it likes, but that only picks
//! which site's threads it reads and writes: a comment always joins a thread of the site
//! it claims, and is moderated as that site moderates. Claiming a lenient site publishes
//! nothing on a strict one.

use crate::config::{Config, Moderation};

/// One site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// Its origin, such as `https://blog.example.com`; empty when no site is configured.
    pub origin: String,
    /// How it is stored: `''` for the default site, else its origin.
    pub key: String,
    /// How its comments are moderated.
    pub moderation: Moderation,
}

/// The configured sites.
#[derive(Clone, Debug)]
pub struct Sites {
    sites: Vec<Site>,
}

impl Sites {
    /// The sites of `config`: its origins, each with its own moderation mode or else
    /// `--moderation`.
    pub fn new(config: &Config) -> Sites {
        let mut sites: Vec<Site> = Vec::new();
        for origin in &config.allow_origins {
            let origin = origin.trim_end_matches('/');
            if sites.iter().any(|s| s.origin == origin) {
                continue;
            }
            let moderation = config
                .sites
                .iter()
                .find(|s| s.origin.trim_end_matches('/') == origin)
                .and_then(|s| s.moderation)
                .unwrap_or(config.moderation);
            let key = if sites.is_empty() { "" } else { origin };
            sites.push(Site {
                origin: origin.to_owned(),
                key: key.to_owned(),
                moderation,
            });
        }
        if sites.is_empty() {
            sites.push(Site {
                origin: String::new(),
                key: String::new(),
                moderation: config.moderation,
            });
        }
        Sites { sites }
    }

    /// The site a request with this `Origin` header is for.
    pub fn of_origin(&self, origin: Option<&str>) -> &Site {
        origin
            .and_then(|o| self.sites.iter().find(|s| s.origin == o))
            .unwrap_or(&self.sites[0])
    }

    /// The configured site whose origin is `origin` (a trailing `/` aside), if any.
    pub fn configured(&self, origin: &str) -> Option<&Site> {
        let origin = origin.trim_end_matches('/');
        self.sites.iter().find(|s| s.origin == origin)
    }

    /// The site stored as `key`, if it is still configured.
    pub fn by_key(&self, key: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.key == key)
    }

    /// The default site.
    pub fn default_site(&self) -> &Site {
        &self.sites[0]
    }

    /// Every site, the default first.
    pub fn all(&self) -> &[Site] {
        &self.sites
    }
}
