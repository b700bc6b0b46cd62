//! A short-lived cache of the thread pages the server sends.
//!
//! When an article goes viral, its readers ask for the same first page of comments
//! thousands of times a second, and it changes a few times a minute. A page read from
//! the database is kept, serialised with its ETag, and served again while two things
//! hold: this process has finished no write since it was read (the store's generation),
//! and it is at most one second old, which bounds how long a write by another process
//! (another server on PostgreSQL, or the `admin` commands) takes to show.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant, SystemTime},
};

use axum::body::Bytes;

/// How long a page may be served from the cache, at most.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// How many pages are kept, at most; past that the cache starts again empty.
const MAX_PAGES: usize = 4096;

/// Which page of which thread: the page id, the cursor and the limit.
pub type Key = (String, i64, Option<u32>);

/// A page of a thread, as sent.
#[derive(Clone, Debug)]
pub struct Cached {
    /// The JSON body.
    pub body: Bytes,
    /// Its strong ETag.
    pub etag: String,
    /// The time of its newest comment.
    pub last_modified: Option<SystemTime>,
}

/// The cache: pages with the generation they were read at, and when.
#[derive(Debug, Default)]
pub struct ThreadCache {
    pages: Mutex<HashMap<Key, (u64, Instant, Cached)>>,
}

impl ThreadCache {
    /// The page `key` if it was read at `generation`, less than `FRESH_FOR` ago.
    pub fn get(&self, key: &Key, generation: u64) -> Option<Cached> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let (read_at, when, page) = pages.get(key)?;
        (*read_at == generation && when.elapsed() < FRESH_FOR).then(|| page.clone())
    }

    /// Keeps `page`, read at `generation` (read before the database was).
    pub fn put(&self, key: Key, generation: u64, page: Cached) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= MAX_PAGES {
            pages.clear();
        }
        pages.insert(key, (generation, Instant::now(), page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &'static str) -> Cached {
        Cached {
            body: Bytes::from_static(body.as_bytes()),
            etag: String::new(),
            last_modified: None,
        }
    }

    #[test]
    fn a_page_is_served_only_at_its_generation_and_while_fresh() {
        let cache = ThreadCache::default();
        let key: Key = ("/a".into(), 0, Some(50));
        assert!(cache.get(&key, 0).is_none());
        cache.put(key.clone(), 3, page("[]"));
        assert_eq!(cache.get(&key, 3).unwrap().body, "[]");
        assert!(cache.get(&key, 4).is_none(), "a write since");
        assert!(
            cache.get(&("/a".into(), 0, None), 3).is_none(),
            "another page"
        );
        std::thread::sleep(FRESH_FOR);
        assert!(cache.get(&key, 3).is_none(), "too old");
    }
}
