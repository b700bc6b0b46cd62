//! A short-lived cache of the thread pages the server sends.
//!
//! When an article goes viral, its readers ask for the same first page of comments
//! thousands of times a second, and it changes a few times a minute. A page read from
//! the database is kept, serialised with its ETag, and served again while two things
//! hold: this process has finished no write since it was read (the store's generation),
//! and it is at most one second old, which bounds how long a write by another process
//! (another server on PostgreSQL, or the `admin` commands) takes to show.

//!
//! The cache is bounded in bytes (`MAX_BYTES`), whatever pages are asked for: pages go
//! oldest first once they are stale or the cache is full, and a conditional request
//! (which the handler answers without filling it) cannot grow it.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant, SystemTime},
};

use axum::body::Bytes;

/// How long a page may be served from the cache, at most.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// How many bytes of pages are kept, at most (bodies, keys and ETags, and an estimate of
/// the bookkeeping).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;
/// What an entry costs beyond its body, key and ETag: the map's and the queue's slots.
const OVERHEAD: usize = 128;

/// Which page of which thread: the site, the page id, the cursor and the limit.
pub type Key = (String, String, i64, Option<u32>);

/// A page of a thread, as sent.
#[derive(Clone, Debug)]
pub struct Cached {
    /// The JSON body.
    pub body: Bytes,
    /// The same, compressed with brotli once, for the clients that accept it: a viral
    /// page is compressed once a second, not once per reader.
    pub br: Bytes,
    /// Its strong ETag.
    pub etag: String,
    /// The time of its newest comment.
    pub last_modified: Option<SystemTime>,
}

/// The brotli quality of cached pages. Measured on a 50-comment page under 32
/// connections: quality 9 with a 4 MiB window tripled the peak resident memory (51
/// against 15 MB), quality 6 with a window fitted to the page nearly doubled it (28 MB),
/// and quality 4, whose encoder keeps small tables, leaves it as it was (17 MB), with
/// pages as small on the wire as the per-request compression made them.
const QUALITY: i32 = 4;

/// `body`, compressed with brotli. The window is as small as the body allows (at least
/// 1 KiB, at most 4 MiB), so that the encoder's tables, which follow the window, stay
/// small: with a 4 MiB window for every page, they made the peak resident memory under
/// load three times what it was.
pub fn brotli(body: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 4);
    let bits = usize::BITS - body.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality: QUALITY,
        lgwin: i32::try_from(bits.clamp(10, 22)).unwrap_or(22),
        size_hint: body.len(),
        ..Default::default()
    };
    let mut input = body;
    if brotli::BrotliCompress(&mut input, &mut out, &params).is_err() {
        return Bytes::new();
    }
    out.into()
}

impl Cached {
    fn cost(&self, key: &Key) -> usize {
        self.body.len() + self.br.len() + self.etag.len() + key.0.len() + key.1.len() + OVERHEAD
    }
}

/// The pages, and the order they came in.
#[derive(Debug, Default)]
struct Pages {
    map: HashMap<Key, (u64, Instant, Cached)>,
    /// Oldest first: each key with the time it was put, which tells a stale slot (the
    /// key was put again since) from the live one.
    order: VecDeque<(Key, Instant)>,
    bytes: usize,
}

impl Pages {
    /// Removes the oldest page, if its slot is live.
    fn pop_oldest(&mut self) {
        if let Some((key, when)) = self.order.pop_front()
            && self.map.get(&key).is_some_and(|(_, w, _)| *w == when)
            && let Some((_, _, page)) = self.map.remove(&key)
        {
            self.bytes -= page.cost(&key);
        }
    }
}

/// The cache: pages with the generation they were read at, and when.
#[derive(Debug, Default)]
pub struct ThreadCache {
    pages: Mutex<Pages>,
}

impl ThreadCache {
    /// The page `key` if it was read at `generation`, less than `FRESH_FOR` ago.
    pub fn get(&self, key: &Key, generation: u64) -> Option<Cached> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let (read_at, when, page) = pages.map.get(key)?;
        (*read_at == generation && when.elapsed() < FRESH_FOR).then(|| page.clone())
    }

    /// Keeps `page`, read at `generation` (read before the database was). Stale pages
    /// go first, then the oldest, until it fits.
    pub fn put(&self, key: Key, generation: u64, page: Cached) {
        let cost = page.cost(&key);
        if cost > MAX_BYTES {
            return;
        }
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while let Some((_, when)) = pages.order.front() {
            let stale = now.duration_since(*when) >= FRESH_FOR;
            if !stale && pages.bytes + cost <= MAX_BYTES {
                break;
            }
            pages.pop_oldest();
        }
        if let Some((_, _, old)) = pages.map.remove(&key) {
            pages.bytes -= old.cost(&key);
        }
        pages.bytes += cost;
        pages.order.push_back((key.clone(), now));
        pages.map.insert(key, (generation, now, page));
    }

    /// The bytes the cache holds now.
    pub fn bytes(&self) -> usize {
        self.pages.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &'static str) -> Cached {
        Cached {
            body: Bytes::from_static(body.as_bytes()),
            br: Bytes::new(),
            etag: String::new(),
            last_modified: None,
        }
    }

    #[test]
    fn a_page_is_served_only_at_its_generation_and_while_fresh() {
        let cache = ThreadCache::default();
        let key: Key = (String::new(), "/a".into(), 0, Some(50));
        assert!(cache.get(&key, 0).is_none());
        cache.put(key.clone(), 3, page("[]"));
        assert_eq!(cache.get(&key, 3).unwrap().body, "[]");
        assert!(cache.get(&key, 4).is_none(), "a write since");
        assert!(
            cache
                .get(&(String::new(), "/a".into(), 0, None), 3)
                .is_none(),
            "another page"
        );
        std::thread::sleep(FRESH_FOR);
        assert!(cache.get(&key, 3).is_none(), "too old");
    }
}

#[cfg(test)]
mod bounds {
    use super::*;

    #[test]
    fn the_cache_is_bounded_in_bytes_and_forgets_the_oldest() {
        let cache = ThreadCache::default();
        let body = Bytes::from(vec![b'x'; 1024 * 1024]);
        for i in 0..100 {
            let key: Key = (String::new(), format!("/{i}"), 0, None);
            let page = Cached {
                body: body.clone(),
                br: Bytes::new(),
                etag: String::new(),
                last_modified: None,
            };
            cache.put(key, 0, page);
            assert!(cache.bytes() <= MAX_BYTES, "{} bytes", cache.bytes());
        }
        let newest: Key = (String::new(), "/99".into(), 0, None);
        let oldest: Key = (String::new(), "/0".into(), 0, None);
        assert!(cache.get(&newest, 0).is_some());
        assert!(
            cache.get(&oldest, 0).is_none(),
            "the oldest page went first"
        );
    }
}

#[cfg(test)]
mod compression {
    #[test]
    fn a_cached_page_is_brotli_that_decompresses_to_its_body() {
        let body = br#"{"comments":[],"total":0}"#.repeat(50);
        let br = super::brotli(&body);
        assert!(!br.is_empty() && br.len() < body.len() / 4);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut out).unwrap();
        assert_eq!(out, body);
    }
}
