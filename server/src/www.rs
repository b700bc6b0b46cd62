//! The static files' guard: no file outside `--www` is ever served, not through a
//! symbolic link either.
//!
//! `tower-http`'s `ServeDir` refuses `..` but follows symbolic links, so a link in
//! `www` (left by a deploy script, or planted by anyone who can write there) would serve
//! whatever it points to. Every file a request could be answered with (the path, its
//! precompressed `.br` and `.gz`, a folder's `index.html`) must resolve inside the
//! folder; else the answer is 404, as for a file that is not there.
//!
//! It also sends the loader from memory (`Loader`), and says how long browsers keep each
//! file (`caching`): a build's own folder,
//! `pkg/<content hash>/`, for a year; the loader for five minutes; the rest is revalidated.

use std::path::{Path, PathBuf};

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};

/// The folder, resolved once.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// The folder `www`, resolved (it may not exist yet: then nothing is served).
    pub fn new(www: &Path) -> Root {
        Root {
            dir: www.canonicalize().unwrap_or_else(|_| www.to_path_buf()),
        }
    }

    /// Whether every file that the URL path `path` could be answered with is inside.
    fn allows(&self, path: &str) -> bool {
        // Decoded as `ServeDir` decodes it, so that both mean the same file.
        let Ok(decoded) = percent_encoding::percent_decode_str(path).decode_utf8() else {
            return false;
        };
        let relative = decoded.trim_start_matches('/');
        let base = self.dir.join(relative);
        let candidates = [
            base.clone(),
            with_suffix(&base, ".br"),
            with_suffix(&base, ".gz"),
            base.join("index.html"),
            base.join("index.html.br"),
            base.join("index.html.gz"),
        ];
        candidates.iter().all(|file| match file.canonicalize() {
            Ok(real) => real.starts_with(&self.dir),
            // Not there (or unreadable): ServeDir will not serve it either.
            Err(_) => std::fs::symlink_metadata(file).is_err(),
        })
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The middleware: 404 for a path that would lead out of the folder.
pub async fn inside(
    State(root): State<std::sync::Arc<Root>>,
    request: Request,
    next: Next,
) -> Response {
    if root.allows(request.uri().path()) {
        next.run(request).await
    } else {
        tracing::warn!(path = %request.uri().path(), "refused: leads out of --www");
        StatusCode::NOT_FOUND.into_response()
    }
}

/// The loader, `embed.js`, read once at start with its precompressed copies: every page
/// of a site asks for it, so it is sent from memory, with no file opened and no path
/// resolved per request. A new build's loader is sent once the server restarts (as the
/// thread's HTML names the new build then), and until then the previous build's folder,
/// which the build keeps, still serves the loader it names.
#[derive(Debug)]
pub struct Loader {
    raw: axum::body::Bytes,
    br: Option<axum::body::Bytes>,
    gzip: Option<axum::body::Bytes>,
    etag: String,
    modified: Option<std::time::SystemTime>,
}

impl Loader {
    /// The loader at `path`, with its `.br` and `.gz` if they are there; `None` if it is
    /// not there, or if it (or a copy) resolves outside `root`.
    pub fn read(path: &Path, root: &Root) -> Option<Loader> {
        let inside = |file: &Path| {
            file.canonicalize()
                .is_ok_and(|real| real.starts_with(&root.dir))
        };
        let read = |suffix: &str| {
            let file = with_suffix(path, suffix);
            inside(&file)
                .then(|| std::fs::read(&file).ok())
                .flatten()
                .map(axum::body::Bytes::from)
        };
        let raw = read("")?;
        use sha2::Digest;
        let etag = format!("\"{}\"", crate::hex(&sha2::Sha256::digest(&raw)[..16]));
        Some(Loader {
            br: read(".br"),
            gzip: read(".gz"),
            modified: std::fs::metadata(path).and_then(|m| m.modified()).ok(),
            etag,
            raw,
        })
    }
}

/// `GET /embed.js`: the loader, in the coding the browser takes; 304 when it has it.
pub async fn loader(
    State(loader): State<std::sync::Arc<Loader>>,
    headers: axum::http::HeaderMap,
) -> Response {
    use axum::http::header;
    let modified = loader.modified.map(httpdate::fmt_http_date);
    let fresh = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags
            .split(',')
            .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == loader.etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok())
            .zip(loader.modified)
            .is_some_and(|(since, modified)| {
                // HTTP dates have whole seconds.
                modified
                    .duration_since(since)
                    .map_or(true, |d| d.as_secs() == 0)
            }),
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (coding, body) = match (&loader.br, &loader.gzip) {
            (Some(br), _) if crate::accepts(&headers, "br") => (Some("br"), br.clone()),
            (_, Some(gzip)) if crate::accepts(&headers, "gzip") => (Some("gzip"), gzip.clone()),
            _ => (None, loader.raw.clone()),
        };
        let mut response = (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            body,
        )
            .into_response();
        if let Some(coding) = coding {
            response.headers_mut().insert(
                header::CONTENT_ENCODING,
                axum::http::HeaderValue::from_static(coding),
            );
        }
        response
    };
    let h = response.headers_mut();
    h.insert(
        header::VARY,
        axum::http::HeaderValue::from_static("accept-encoding"),
    );
    if let Ok(etag) = axum::http::HeaderValue::from_str(&loader.etag) {
        h.insert(header::ETAG, etag);
    }
    if let Some(date) = modified.and_then(|d| axum::http::HeaderValue::from_str(&d).ok()) {
        h.insert(header::LAST_MODIFIED, date);
    }
    response
}

/// A year: what is under a build's folder never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The loader names the build's folder, so a new build reaches readers within minutes;
/// after them, an `If-Modified-Since` answered 304.
const LOADER: &str = "public, max-age=300, must-revalidate";
/// Everything else, the unversioned copies of the widget included: revalidated each time.
const REVALIDATE: &str = "no-cache";

/// How long the file at the URL path `path` may be kept.
pub fn cache_control(path: &str) -> &'static str {
    if path == "/embed.js" {
        return LOADER;
    }
    let Some(rest) = path.strip_prefix("/pkg/") else {
        return REVALIDATE;
    };
    match rest.split_once('/') {
        Some((folder, file)) if causerie_protocol::is_build_folder(folder) && !file.is_empty() => {
            IMMUTABLE
        }
        _ => REVALIDATE,
    }
}

/// The middleware: `Cache-Control` by `cache_control` on a file that was found (an error
/// or a 404 is never kept).
pub async fn caching(request: Request, next: Next) -> Response {
    let policy = cache_control(request.uri().path());
    let mut response = next.run(request).await;
    let value = if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        policy
    } else {
        REVALIDATE
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(value),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_is_read_only_from_inside() {
        let www = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(www.path().join("embed.js"), "/* loader */").unwrap();
        std::fs::write(www.path().join("embed.js.br"), "br").unwrap();
        let root = Root::new(www.path());
        let loader = Loader::read(&www.path().join("embed.js"), &root).unwrap();
        assert_eq!(&loader.raw[..], b"/* loader */");
        assert_eq!(loader.br.as_deref(), Some(&b"br"[..]));
        assert!(loader.gzip.is_none());
        // A link that leads out: not read, for the loader as for its copies.
        std::fs::write(outside.path().join("secret.js"), "secret").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.js"), www.path().join("leak.js"))
            .unwrap();
        assert!(Loader::read(&www.path().join("leak.js"), &root).is_none());
        std::os::unix::fs::symlink(
            outside.path().join("secret.js"),
            www.path().join("embed.js.gz"),
        )
        .unwrap();
        let loader = Loader::read(&www.path().join("embed.js"), &root).unwrap();
        assert!(loader.gzip.is_none());
    }

    #[test]
    fn only_a_builds_folder_is_immutable() {
        assert_eq!(
            cache_control("/pkg/d5cb1475bc9a6cf7/causerie_bg.wasm"),
            IMMUTABLE
        );
        assert_eq!(
            cache_control("/pkg/d5cb1475bc9a6cf7/i18n/fr.json"),
            IMMUTABLE
        );
        assert_eq!(cache_control("/embed.js"), LOADER);
        for path in [
            "/pkg/causerie_bg.wasm",
            "/pkg/d5cb1475bc9a6cf7/",
            "/pkg/d5cb1475bc9a6cf/x.js",
            "/pkg/D5CB1475BC9A6CF7/x.js",
            "/pkg/d5cb1475bc9a6cf7x/x.js",
            "/x/d5cb1475bc9a6cf7/x.js",
            "/index.html",
            "/pkg/embed.js",
        ] {
            assert_eq!(cache_control(path), REVALIDATE, "{path}");
        }
    }

    #[test]
    fn no_symlink_leads_out_of_the_folder() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        let www = tempfile::tempdir().unwrap();
        std::fs::write(www.path().join("page.html"), "page").unwrap();
        std::os::unix::fs::symlink(outside.path(), www.path().join("out")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            www.path().join("leak.txt"),
        )
        .unwrap();
        std::os::unix::fs::symlink(www.path().join("page.html"), www.path().join("alias.html"))
            .unwrap();
        let root = Root::new(www.path());
        assert!(root.allows("/page.html"));
        assert!(
            root.allows("/alias.html"),
            "a link inside the folder is fine"
        );
        assert!(root.allows("/missing.html"));
        assert!(!root.allows("/leak.txt"));
        assert!(!root.allows("/out/secret.txt"));
        assert!(!root.allows("/%6Ceak.txt"), "escaped");
        assert!(!root.allows("/out/"));
    }
}
