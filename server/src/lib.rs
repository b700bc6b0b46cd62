//! Causerie's reference comment server.
//!
//! `app` builds the whole HTTP application from an `AppState`; it is the one seam the
//! tests drive, in-process. `main.rs` only parses the configuration, opens the store and
//! serves `app`.
//!
//! Routes:
//! - `/api/v1/…`: the JSON API (`api.rs`), with CORS for the configured site origins;
//! - `/admin`: the site owner's moderation page (`admin/`);
//! - everything else: the files of `www/` (`embed.js`, the widget, the demo article),
//!   readable from any origin, precompressed where xtask wrote `.br` and `.gz` files.

mod admin;
mod api;
mod cache;
pub mod clock;
pub mod comments;
pub mod config;
mod dates;
mod error;
pub mod export;
mod feed;
mod form;
mod fragment;
pub mod import;
pub mod moderate;
pub mod notify;
pub mod privacy;
mod serve;
pub mod sites;
mod spam;
pub mod store;
mod subscribe;
mod text;
mod www;

use std::{path::Path, sync::Arc};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::{HeaderName, HeaderValue, Method, header},
    middleware,
    routing::{any, get},
};
use causerie_protocol::{EDIT_TOKEN_HEADER, FORM_TOKEN_HEADER, IDEMPOTENCY_HEADER, MAX_BODY_BYTES};
use tower_http::{
    compression::CompressionLayer,
    cors::{AllowOrigin, CorsLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

pub use admin::{export_json, set_password};
pub use config::{Admin, Command, Config, ConfigError, ExportFormat, Moderation, Site};
pub use serve::serve;

/// How long an idempotency key is remembered: a retry within this time replays the first
/// response; after it, the key may be used again.
pub const IDEMPOTENCY_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Forgets expired idempotency keys, and the posts of the rate limit's log older than
/// its window, now, then every hour, for as long as the server runs.
pub async fn expire_idempotency_keys(store: Store, post_window: std::time::Duration) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(60 * 60));
    loop {
        every_hour.tick().await;
        let now = clock::Clock::system().now();
        let millis = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let keys = now.saturating_sub(millis(IDEMPOTENCY_KEY_TTL));
        let posts = now.saturating_sub(millis(post_window));
        match store.expire(keys, posts).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "expired idempotency keys and old posts"),
            Err(e) => tracing::warn!(error = %e, "cannot expire idempotency keys"),
        }
    }
}
pub use store::Store;

/// Everything a request handler may need.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The comments.
    pub store: Store,
    /// The sites, each with its moderation mode (`sites.rs`).
    pub sites: Arc<sites::Sites>,
    /// The time.
    pub clock: clock::Clock,
    /// Whether the admin cookie is `Secure` (and `__Host-`): from `--public-url`, else
    /// whether the server listens off loopback.
    pub secure_cookies: bool,
    /// The site origins allowed to call the API from a browser.
    pub allow_origins: Arc<[HeaderValue]>,
    /// One permit per request that may be in flight.
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// How long a client may take to send a request's headers, or its body.
    pub client_timeout: std::time::Duration,
    /// Failed admin logins, per client address. (Per process: see the README.)
    pub logins: Arc<admin::LoginLimiter>,
    /// The spam defences' settings.
    pub spam: Arc<SpamSettings>,
    /// Where new comments and edits are announced: the webhook, the mail.
    pub announce: notify::Announce,
    /// How long an author may edit or delete their comment (zero: never).
    pub edit_window: std::time::Duration,
    /// The thread pages sent lately (`cache.rs`).
    pub threads: Arc<cache::ThreadCache>,
    /// The server's address as readers reach it (`--public-url`), for the HTML it
    /// renders; else the request's `Host`.
    pub public_url: Option<Arc<str>>,
    /// Whether the rendered comments are marked `data-nosnippet`.
    pub nosnippet: bool,
}

/// How the server defends itself against spam (`spam.rs`).
#[derive(Debug)]
pub struct SpamSettings {
    /// At most this many comments per client address in `window` (none when 0).
    pub max_posts: u32,
    /// The rate limit's window.
    pub window: std::time::Duration,
    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// More links than this, and a comment is held.
    pub max_links: usize,
    /// The site's blocklist.
    pub blocklist: spam::Blocklist,
    /// The shortest time between a form's rendering and its post (none when zero).
    pub min_time: std::time::Duration,
    /// The forms' tokens.
    pub tokens: spam::FormTokens,
}

impl AppState {
    /// The state for `config`, over an opened store. Origins that are not valid header
    /// values are refused here, at start-up.
    pub fn new(store: Store, config: &Config) -> anyhow::Result<AppState> {
        let allow_origins = config
            .allow_origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o.trim_end_matches('/'))
                    .map_err(|_| anyhow::anyhow!("--allow-origin {o:?} is not a valid origin"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let blocklist = match &config.blocklist {
            None => spam::Blocklist::empty(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the blocklist {}: {e}", path.display())
                })?;
                spam::Blocklist::parse(&text, config.blocklist_action)?
            }
        };
        let secure_cookies = match &config.public_url {
            Some(url) => url.starts_with("https://"),
            None => !config.listen.ip().is_loopback(),
        };
        Ok(AppState {
            sites: Arc::new(sites::Sites::new(config)),
            clock: clock::Clock::system(),
            secure_cookies,
            allow_origins: allow_origins.into(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_in_flight.max(1))),
            client_timeout: std::time::Duration::from_secs(config.client_timeout.max(1)),
            logins: Arc::default(),
            spam: Arc::new(SpamSettings {
                max_posts: config.max_posts_per_ip,
                window: std::time::Duration::from_secs(config.post_window),
                trusted_proxies: config.trusted_proxies.clone(),
                max_links: config.max_links,
                blocklist,
                min_time: std::time::Duration::from_secs(config.min_seconds),
                tokens: spam::FormTokens::new(store.secret()),
            }),
            announce: notify::Announce::of_config(config),
            edit_window: config.edit_window,
            threads: Arc::default(),
            public_url: config.public_url.as_deref().map(Arc::from),
            nosnippet: config.snippets == config::Snippets::Nosnippet,
            store,
        })
    }
}

/// The whole application: the API and the static files of `www`.
pub fn app(state: AppState, www: &Path) -> Router {
    let in_flight = state.in_flight.clone();
    let client_timeout = state.client_timeout;
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.allow_origins.iter().cloned()))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_bytes(IDEMPOTENCY_HEADER.as_bytes()).expect("a valid header name"),
            HeaderName::from_bytes(FORM_TOKEN_HEADER.as_bytes()).expect("a valid header name"),
            HeaderName::from_bytes(EDIT_TOKEN_HEADER.as_bytes()).expect("a valid header name"),
        ])
        .expose_headers([
            HeaderName::from_bytes(FORM_TOKEN_HEADER.as_bytes()).expect("a valid header name")
        ])
        .max_age(std::time::Duration::from_secs(24 * 60 * 60));

    let api = Router::new()
        .route(
            "/comments",
            get(api::list_comments).post(api::create_comment),
        )
        .route(
            "/comments/{id}",
            axum::routing::put(api::edit_comment).delete(api::delete_comment),
        )
        .route("/counts", get(api::counts_get).post(api::counts_post))
        .route("/thread.html", get(fragment::thread_html))
        .route("/reply.html", get(form::reply_page))
        .route("/feed", get(api::feed))
        .fallback(any(api::not_found))
        .layer(axum::Extension(fragment::Build::of(www)))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A body that trickles in is cut off at a deadline, so that it cannot hold a
        // permit for longer than that.
        .layer(middleware::from_fn(move |request, next| {
            body_deadline(client_timeout, request, next)
        }))
        .layer(cors)
        .with_state(state.clone());

    // `/embed.js` is the minified loader that xtask writes into `pkg/`, when it is there;
    // `www/embed.js` is its readable source.
    let minified = www.join("pkg/embed.js");
    let loader = if minified.is_file() {
        minified
    } else {
        www.join("embed.js")
    };

    // The loader is read once, at start (its file checked inside `www` then): every page
    // of a site asks for it, and it is sent from memory (`www::Loader`).
    let root = Arc::new(www::Root::new(www));
    let loader = match www::Loader::read(&loader, &root) {
        Some(loader) => Router::new()
            .route("/embed.js", get(www::loader))
            .with_state(Arc::new(loader)),
        None => Router::new(),
    };

    // The widget's files are public, and fetched cross-origin by `import()` and
    // `WebAssembly.instantiateStreaming`, which both need CORS.
    let files = Router::new()
        .fallback_service(ServeDir::new(www).precompressed_br().precompressed_gzip())
        // No symbolic link leads out of `www`.
        .layer(middleware::from_fn_with_state(root, www::inside))
        .merge(loader)
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(middleware::from_fn(www::caching));

    // The site owner's page: same-origin only, no CORS, no script.
    let admin = admin::routes()
        .merge(moderate::routes())
        .merge(subscribe::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(move |request, next| {
            body_deadline(client_timeout, request, next)
        }))
        .with_state(state.clone());

    Router::new()
        .nest("/api/v1", api)
        .merge(admin)
        .route("/api", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .merge(files)
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(middleware::from_fn(move |request, next| {
            admit(in_flight.clone(), request, next)
        }))
        .layer(TraceLayer::new_for_http())
}

/// Whether the request's `Accept-Encoding` takes the content coding `name` (`q=0`
/// refuses it).
pub(crate) fn accepts(headers: &axum::http::HeaderMap, name: &str) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|e| {
                let mut parts = e.split(';');
                let coding = parts.next().unwrap_or_default().trim();
                let refused =
                    parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                coding.eq_ignore_ascii_case(name) && !refused
            })
        })
}

/// `bytes` in lowercase hex: for tokens, tags and ETags.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `len` bytes that `text` writes in hex, as `hex` does; `None` for anything else.
pub(crate) fn unhex(text: &str, len: usize) -> Option<Vec<u8>> {
    if text.len() != 2 * len {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `N` random bytes from the system's source, in hex: the server's tokens.
pub(crate) fn random_hex<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the system's random source");
    hex(&bytes)
}

/// Reads the whole body before the handler runs, within `deadline` from the moment the
/// request reached the router (its headers came within `client_timeout` already, by
/// `serve.rs`): a deadline for the whole body, not a timeout that restarts with every
/// byte. Too slow: 408, and the permit is free again. Too large: 413.
async fn body_deadline(
    deadline: std::time::Duration,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(deadline, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
        Ok(Ok(bytes)) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
            next.run(request).await
        }
        Ok(Err(_)) => error::ApiError::PayloadTooLarge.into_response(),
        Err(_) => {
            tracing::info!("a request's body did not arrive in time");
            error::ApiError::BodyTimeout.into_response()
        }
    }
}

/// Lets a request in if a permit is free, and answers 503 with `Retry-After` at once if
/// not: under overload, a quick refusal beats a queue that makes every client time out.
async fn admit(
    in_flight: Arc<tokio::sync::Semaphore>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match in_flight.try_acquire_owned() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            tracing::warn!("overloaded: request refused");
            let body = causerie_protocol::ErrorBody {
                error: causerie_protocol::ErrorCode::Overloaded,
                fields: Vec::new(),
                retry_after: None,
            };
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "1")],
                axum::Json(body),
            )
                .into_response()
        }
    }
}
