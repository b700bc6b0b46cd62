//! The server, in-process: `app(state)` driven with `oneshot`, over a real database.
//!
//! The same tests are the store's conformance suite: `cargo xtask test` runs them on
//! SQLite files, then again on PostgreSQL (`CAUSERIE_TEST_STORE=postgres`, on the server
//! it starts), so that both databases behave alike behind the API.

//!
//! One module per concern; this file holds the harness they share (`TestApp`, `spawn`,
//! the requests' helpers).

mod admin;
mod api;
mod authors;
mod config;
mod export;
mod form;
mod formats;
mod fragment;
mod import;
mod moderate;
mod notify;
mod privacy;
mod promises;
mod spam;
mod threads;

use causerie_testkit::postgres;

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use causerie_server::{AppState, Config, Moderation, Store, app};
use clap::{CommandFactory, Parser};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// A server over a fresh database in a temporary folder, with a small `www`.
struct TestApp {
    router: Router,
    store: Store,
    /// The server's state, to look inside (its cache).
    state: AppState,
    /// The server's clock: it moves only when a test moves it.
    clock: causerie_server::clock::Clock,
    /// The database's URL, for a second store on it.
    url: String,
    _dir: tempfile::TempDir,
}

async fn spawn(args: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("pkg")).unwrap();
    std::fs::write(www.join("embed.js"), "/* loader */ ".repeat(100)).unwrap();
    std::fs::write(www.join("pkg/causerie_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let db = database(dir.path()).await;
    // These tests publish at once unless they say otherwise; the first-time mode, the
    // default, has its own tests.
    // No minimum time either: these tests post without a form.
    let mut argv = vec![
        "causerie-server",
        "--database",
        &db,
        "--moderation",
        "publish",
        "--min-seconds",
        "0",
        // Nor a rate limit: they post from one address. Its own tests set one.
        "--max-posts-per-ip",
        "0",
    ];
    argv.extend_from_slice(args);
    let config = Config::try_parse_from(argv).unwrap();
    let store = Store::open(&config.database).await.unwrap();
    let mut state = AppState::new(store.clone(), &config).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    state.clock = causerie_server::clock::Clock::manual(now);
    TestApp {
        clock: state.clock.clone(),
        state: state.clone(),
        router: app(state, &www),
        store,
        url: db,
        _dir: dir,
    }
}

/// A fresh database: a SQLite file in `dir`, or a new PostgreSQL database when the suite
/// runs on PostgreSQL.
async fn database(dir: &std::path::Path) -> String {
    match std::env::var("CAUSERIE_TEST_STORE").as_deref() {
        Ok("postgres") => postgres::fresh_database().await,
        Ok("sqlite") | Err(_) => format!("sqlite://{}/db/causerie.db", dir.display()),
        Ok(other) => panic!("CAUSERIE_TEST_STORE={other}: say sqlite or postgres"),
    }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `request` to `router` and reads the whole response.
async fn send(router: Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

impl TestApp {
    async fn send(&self, request: Request<Body>) -> Reply {
        send(self.router.clone(), request).await
    }

    /// POSTs a comment from one reader's address, `192.0.2.1`.
    async fn post(&self, body: impl Into<Body>, key: Option<&str>) -> Reply {
        let mut request =
            Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let mut request = request.body(body.into()).unwrap();
        let peer: std::net::SocketAddr = "192.0.2.1:5000".parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A GET from a browser whose `Accept-Language` is `languages`.
    async fn get_in(&self, uri: &str, languages: &str) -> Reply {
        self.send(
            Request::get(uri)
                .header(header::ACCEPT_LANGUAGE, languages)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    async fn count(&self) -> i64 {
        self.store.count_all().await.unwrap()
    }
}

fn comment(page: &str, text: &str) -> Value {
    json!({
        "page": page,
        "comment": text,
        "author": "Zoé",
        "email": "zoe@example.org",
        "url": "example.org",
    })
}

fn post_raw(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/v1/comments")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

fn post_raw_to(uri: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn reply_to(page: &str, text: &str, parent: &Value) -> Value {
    let mut body = comment(page, text);
    body["parent"] = parent.clone();
    body
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn form(uri: &str) -> axum::http::request::Builder {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8080")
        .header("sec-fetch-site", "same-origin")
}

impl TestApp {
    /// Sends a form POST as the admin page's own browser would.
    async fn post_form(&self, uri: &str, body: &str, cookie: Option<&str>) -> Reply {
        let mut request = form(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// Logs in with `password`, and returns the session's cookie and its CSRF token.
    async fn login(&self, password: &str) -> (String, String) {
        let body = format!(
            "password={}",
            form_urlencoded::byte_serialize(password.as_bytes()).collect::<String>()
        );
        let reply = self.post_form("/admin/login", &body, None).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let cookie = reply.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        let pair = cookie.split(';').next().unwrap().to_owned();
        let page = self.admin_page(&pair, "/admin").await;
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        (pair, csrf)
    }

    async fn admin_page(&self, cookie: &str, uri: &str) -> String {
        let reply = self
            .send(
                Request::get(uri)
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        reply.text()
    }
}

const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// POSTs a comment from the client address `ip`, with optional extra headers.
    async fn post_from(&self, ip: &str, body: String, headers: &[(&str, &str)]) -> Reply {
        let mut request =
            Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        let peer: std::net::SocketAddr = format!("{ip}:5000").parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        self.send(request).await
    }
}

/// `AppState::new`'s error for these flags.
async fn spawn_err(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path()).await;
    let mut argv = vec!["causerie-server", "--database", &db];
    argv.extend_from_slice(args);
    let config = Config::try_parse_from(argv).unwrap();
    let store = Store::open(&config.database).await.unwrap();
    AppState::new(store, &config).unwrap_err().to_string()
}
