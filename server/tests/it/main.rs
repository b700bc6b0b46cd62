//! The server, in-process: `app(state)` driven with `oneshot`, over a real database.
//!
//! The same tests are the store's conformance suite: `cargo xtask test` runs them on
//! SQLite files, then again on PostgreSQL (`CAUSERIE_TEST_STORE=postgres`, on the server
//! it starts), so that both databases behave alike behind the API.

mod promises;

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

#[tokio::test]
async fn post_then_list_without_the_email() {
    let app = spawn(&[]).await;
    let reply = app.post(comment("/a", "Bonjour").to_string(), None).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    let created = reply.json();
    assert_eq!(created["author"], "Zoé");
    assert_eq!(created["url"], "https://example.org/");
    assert_eq!(created["status"], "published");
    assert!(!reply.text().contains("zoe@example.org"));

    app.post(comment("/b", "Ailleurs").to_string(), None).await;
    let list = app.get("/api/v1/comments?page=%2Fa").await;
    assert_eq!(list.status, StatusCode::OK);
    let comments = list.json()["comments"].as_array().unwrap().clone();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["text"], "Bonjour");
    assert_eq!(comments[0]["id"], created["id"]);
    assert!(!list.text().contains("zoe@example.org"));
    assert!(!list.text().contains("email"));
}

#[tokio::test]
async fn held_comments_answer_202_and_stay_hidden() {
    let app = spawn(&["--moderation", "hold"]).await;
    let reply = app
        .post(comment("/a", "En attente").to_string(), None)
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert_eq!(reply.json()["status"], "pending");
    assert_eq!(app.count().await, 1);
    let list = app.get("/api/v1/comments?page=/a").await;
    assert_eq!(list.json()["comments"], json!([]));
}

/// Every kind of bad request gets its documented status and code, and leaves the
/// database as it was.
#[tokio::test]
async fn bad_requests_change_nothing() {
    let app = spawn(&[]).await;
    let big = comment("/a", &"x".repeat(causerie_protocol::MAX_BODY_BYTES)).to_string();
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "malformed json",
            post_raw("application/json", "{\"page\":"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not an object",
            post_raw("application/json", "[1,2]"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "wrong type",
            post_raw(
                "application/json",
                r#"{"page":"/a","comment":5,"author":"a","email":"a@b.c"}"#,
            ),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "missing fields",
            post_raw("application/json", "{}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_fields",
        ),
        (
            "too large",
            post_raw("application/json", big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "not json",
            post_raw("application/x-www-form-urlencoded", "comment=a"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "no content type",
            Request::post("/api/v1/comments")
                .body(Body::from(comment("/a", "x").to_string()))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "bad idempotency key",
            Request::post("/api/v1/comments")
                .header(header::CONTENT_TYPE, "application/json")
                .header("idempotency-key", "a b")
                .body(Body::from(comment("/a", "x").to_string()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
        ),
        (
            "list without page",
            Request::get("/api/v1/comments")
                .body(Body::empty())
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_query",
        ),
        (
            "unknown route",
            Request::get("/api/v2/nothing").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "wrong method",
            Request::delete("/api/v1/comments")
                .body(Body::empty())
                .unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "",
        ),
    ];
    for (name, request, status, code) in cases {
        let reply = app.send(request).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.text());
        if !code.is_empty() {
            assert_eq!(reply.json()["error"], code, "{name}");
        }
        assert_eq!(app.count().await, 0, "{name} stored something");
    }
}

#[tokio::test]
async fn invalid_fields_come_back_as_codes() {
    let app = spawn(&[]).await;
    let body = json!({"page": "/a", "comment": "  ", "author": "", "email": "zoe@", "url": "jav\tascript:alert(1)"});
    let reply = app.post(body.to_string(), None).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json(),
        json!({"error": "invalid_fields", "fields": [
            {"field": "comment", "code": "required"},
            {"field": "author", "code": "required"},
            {"field": "email", "code": "invalid_email"},
            {"field": "url", "code": "invalid_url"},
        ]})
    );
    assert_eq!(app.count().await, 0);
}

#[tokio::test]
async fn idempotency_key_replays_and_never_duplicates() {
    let app = spawn(&[]).await;
    let body = comment("/a", "Une seule fois");
    let first = app.post(body.to_string(), Some("key-1")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    // The same comment, with other white space and key order, is the same request.
    let again = serde_json::to_string_pretty(&body).unwrap();
    let second = app.post(again, Some("key-1")).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(app.count().await, 1);

    let other = app
        .post(comment("/a", "Autre chose").to_string(), Some("key-1"))
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.json()["error"], "idempotency_key_reused");
    assert_eq!(app.count().await, 1);

    // Another key with the same body is another request: the same comment again,
    // which the store refuses as a duplicate.
    let fresh = app.post(body.to_string(), Some("key-2")).await;
    assert_eq!(fresh.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fresh.json()["error"], "duplicate");
    let other = app
        .post(comment("/a", "Une autre").to_string(), Some("key-2"))
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
    assert_eq!(app.count().await, 2);
}

/// Concurrent retries with one key create one comment. Each gets the first one's
/// response or, while the first is still in flight, 409 with `Retry-After` (the IETF
/// Idempotency-Key draft); a retry after that gets the stored response.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_create_one_comment() {
    let app = spawn(&[]).await;
    let body = comment("/a", "En même temps").to_string();
    let replies = futures_join(&app, &body).await;
    let first = replies
        .iter()
        .find(|r| r.status == StatusCode::CREATED)
        .expect("one of them is the first");
    for reply in &replies {
        match reply.status {
            StatusCode::CREATED => assert_eq!(reply.body, first.body),
            StatusCode::CONFLICT => {
                assert_eq!(reply.json()["error"], "request_in_flight");
                assert_eq!(reply.headers[header::RETRY_AFTER], "1");
            }
            other => panic!("{other}: {}", reply.text()),
        }
    }
    assert_eq!(app.count().await, 1);
    let retry = app.post(body, Some("same")).await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body, first.body);
}

/// A retry that meets its first request in flight gets 409 from the same server, and
/// from another server on PostgreSQL, which locks the key; SQLite runs one write at a
/// time, so there the other server's retry waits, then gets the stored response. Never
/// a second comment.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_that_meets_its_first_request_in_flight() {
    use causerie_protocol::{NewComment, Status};
    use causerie_server::store::{Created, NewRow};
    let dir = tempfile::tempdir().unwrap();
    let url = database(dir.path()).await;
    let one = Store::open(&url).await.unwrap();
    // A second server on the same database: its own pool and its own memory.
    let other = Store::open(&url).await.unwrap();
    let valid = NewComment {
        page: "/vol".into(),
        comment: "En vol".into(),
        author: "Ada".into(),
        email: "ada@example.org".into(),
        ..NewComment::default()
    }
    .validate()
    .unwrap();
    let row = |now: i64| NewRow {
        comment: valid.clone(),
        site: String::new(),
        status: Status::Published,
        now,
        key: Some(("in-flight".into(), b"body".to_vec())),
        ip: None,
        rate: None,
        announce: false,
        edit_hash: None,
        author_key: vec![1; 16],
        avatar: "00".into(),
        duplicate: vec![now as u8; 16],
    };
    // The first request is held inside the database: on SQLite, a third connection holds
    // the write lock; on PostgreSQL, the key's advisory lock.
    let blocker = if other.is_postgres() {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query("SELECT pg_advisory_lock(hashtextextended($1, 0))")
            .bind("key\nin-flight")
            .execute(&mut c)
            .await
            .unwrap();
        Blocker::Postgres(c)
    } else {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .unwrap();
        Blocker::Sqlite(c)
    };
    if other.is_postgres() {
        // Another server, while the key is being handled: 409 at once.
        let second = other.create(row(3)).await.unwrap();
        assert!(matches!(second, Created::InFlight), "{second:?}");
        blocker.release().await;
        assert!(matches!(one.create(row(1)).await.unwrap(), Created::New(_)));
    } else {
        let first = {
            let one = one.clone();
            let row = row(1);
            tokio::spawn(async move { one.create(row).await.unwrap() })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(!first.is_finished(), "the first request waits inside");
        // The same server, while its first request is in flight: 409 at once.
        let same_server = one.create(row(2)).await.unwrap();
        assert!(matches!(same_server, Created::InFlight), "{same_server:?}");
        blocker.release().await;
        let Created::New(stored) = first.await.unwrap() else {
            panic!("the first request stores its comment");
        };
        // Another server, after: the first comment, replayed.
        match other.create(row(3)).await.unwrap() {
            Created::Replayed(replayed) => assert_eq!(replayed, Some(stored)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(one.count_all().await.unwrap(), 1);
}

/// A connection that holds what a first request would hold, until released.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Blocker {
    async fn release(self) {
        match self {
            Blocker::Sqlite(mut c) => {
                sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
            }
            Blocker::Postgres(mut c) => {
                sqlx::query("SELECT pg_advisory_unlock_all()")
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
        }
    }
}

async fn futures_join(app: &TestApp, body: &str) -> Vec<Reply> {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let router = app.router.clone();
            let body = body.to_owned();
            tokio::spawn(async move {
                let request = Request::post("/api/v1/comments")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("idempotency-key", "same")
                    .body(Body::from(body))
                    .unwrap();
                send(router, request).await
            })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// The valid strings of the Big List of Naughty Strings come back exactly as sent, as a
/// comment, and trimmed as a name.
#[tokio::test]
async fn naughty_strings_round_trip() {
    let app = spawn(&[]).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/naughty_strings.json"
    );
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut sent = 0;
    let mut seen = std::collections::HashSet::new();
    for s in data["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
    {
        let body = json!({"page": "/naughty", "comment": s, "author": s, "email": "n@example.org"});
        let reply = app.post(body.to_string(), None).await;
        // The corpus holds some strings twice: the second is the same comment again.
        if !seen.insert(s) && reply.status == StatusCode::UNPROCESSABLE_ENTITY {
            assert!(
                reply.json()["error"] == "duplicate" || reply.json()["error"] == "invalid_fields"
            );
            continue;
        }
        let valid = causerie_protocol::check_comment(s).is_ok()
            && causerie_protocol::check_author(s).is_ok();
        if !valid {
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{s:?}");
            continue;
        }
        assert_eq!(reply.status, StatusCode::CREATED, "{s:?}: {}", reply.text());
        let created = reply.json();
        assert_eq!(created["text"], s);
        assert_eq!(created["author"], s.trim());
        sent += 1;
    }
    assert!(sent > 400, "only {sent} naughty strings were valid");
    let list = app.get("/api/v1/comments?page=/naughty").await.json();
    let texts: Vec<&str> = list["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    let mut once = std::collections::HashSet::new();
    let expected: Vec<&str> = data["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .filter(|s| {
            causerie_protocol::check_comment(s).is_ok()
                && causerie_protocol::check_author(s).is_ok()
                && once.insert(*s)
        })
        .collect();
    assert_eq!(texts.len(), expected.len());
    assert!(texts == expected, "the stored texts differ from the corpus");
}

#[tokio::test]
async fn cors_only_for_allowed_origins() {
    let app = spawn(&[
        "--allow-origin",
        "https://blog.example.com,https://other.example",
    ])
    .await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/v1/comments")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,idempotency-key",
            )
            .body(Body::empty())
            .unwrap()
    };
    let allowed = app.send(preflight("https://blog.example.com")).await;
    assert_eq!(
        allowed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://blog.example.com"
    );
    let headers = allowed.headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap();
    assert!(headers.contains("idempotency-key"), "{headers}");

    let refused = app.send(preflight("https://evil.example")).await;
    assert!(
        refused
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    let get = app
        .send(
            Request::get("/api/v1/comments?page=/a")
                .header(header::ORIGIN, "https://evil.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        get.headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn widget_files_are_served_cross_origin_with_their_types() {
    let app = spawn(&[]).await;
    let embed = app.get("/embed.js").await;
    assert_eq!(embed.status, StatusCode::OK);
    assert_eq!(embed.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(
        embed.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let compressed = app
        .send(
            Request::get("/embed.js")
                .header(header::ACCEPT_ENCODING, "br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(compressed.headers[header::CONTENT_ENCODING], "br");
    assert!(compressed.body.len() < embed.body.len());
    let wasm = app.get("/pkg/causerie_bg.wasm").await;
    assert_eq!(wasm.headers[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(wasm.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[test]
fn config_is_consistent() {
    Config::command().debug_assert();
    let config = Config::try_parse_from(["causerie-server"]).unwrap();
    // Held until the site owner knows the commenter: the default a public form needs.
    assert_eq!(config.moderation, Moderation::FirstTime);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    // The last of repeated flags wins, so that a wrapper script can override one.
    let twice = Config::try_parse_from([
        "causerie-server",
        "--moderation",
        "hold",
        "--moderation",
        "publish",
    ])
    .unwrap();
    assert_eq!(twice.moderation, Moderation::Publish);
    assert!(Config::try_parse_from(["causerie-server", "--moderation", "sometimes"]).is_err());
}

fn post_raw(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/v1/comments")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

/// Threads can be cached: a conditional GET with the ETag (or the Last-Modified date) of
/// an unchanged thread gets a bodiless 304, and a new comment changes the ETag.
#[tokio::test]
async fn conditional_get_answers_304_until_the_thread_changes() {
    let app = spawn(&[]).await;
    app.post(comment("/a", "Premier").to_string(), None).await;
    let first = app.get("/api/v1/comments?page=/a").await;
    let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    let modified = first.headers[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");

    let conditional = |name, value: &str| {
        Request::get("/api/v1/comments?page=/a")
            .header(name, value)
            .body(Body::empty())
            .unwrap()
    };
    let again = app.send(conditional(header::IF_NONE_MATCH, &etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.headers[header::ETAG], etag.as_str());
    let since = app
        .send(conditional(header::IF_MODIFIED_SINCE, &modified))
        .await;
    assert_eq!(since.status, StatusCode::NOT_MODIFIED);
    let other = app
        .send(conditional(header::IF_NONE_MATCH, "\"something-else\""))
        .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body, first.body);

    app.post(comment("/a", "Second").to_string(), None).await;
    let changed = app.send(conditional(header::IF_NONE_MATCH, &etag)).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.headers[header::ETAG], etag.as_str());
    assert_eq!(changed.json()["comments"].as_array().unwrap().len(), 2);
}

/// Every count of a front page in one request: GET for short lists, POST for long ones.
#[tokio::test]
async fn counts_of_many_pages_in_one_request() {
    let app = spawn(&[]).await;
    for (page, text) in [("/a", "un"), ("/a", "deux"), ("/b", "trois")] {
        app.post(comment(page, text).to_string(), None).await;
    }
    let get = app
        .get("/api/v1/counts?page=/a&page=/b&page=/nothing&page=/a")
        .await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(
        get.json(),
        json!({"counts": {"/a": 2, "/b": 1, "/nothing": 0}})
    );

    let pages: Vec<String> = (0..150)
        .map(|i| format!("/archive/{i}"))
        .chain(["/a".into()])
        .collect();
    let post = app
        .send(post_raw_to(
            "/api/v1/counts",
            json!({ "pages": pages }).to_string(),
        ))
        .await;
    assert_eq!(post.status, StatusCode::OK);
    let counts = post.json()["counts"].as_object().unwrap().clone();
    assert_eq!(counts.len(), 151);
    assert_eq!(counts["/a"], 2);
    assert_eq!(counts["/archive/7"], 0);

    let too_many: Vec<String> = (0..=causerie_protocol::MAX_COUNT_PAGES)
        .map(|i| format!("/{i}"))
        .collect();
    let refused = app
        .send(post_raw_to(
            "/api/v1/counts",
            json!({ "pages": too_many }).to_string(),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json()["error"], "bad_query");
    let bad = app.get("/api/v1/counts?page=%00").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// Held comments are not counted: a count is what readers can see.
#[tokio::test]
async fn counts_leave_out_held_comments() {
    let app = spawn(&["--moderation", "hold"]).await;
    app.post(comment("/a", "En attente").to_string(), None)
        .await;
    let counts = app.get("/api/v1/counts?page=/a").await.json();
    assert_eq!(counts, json!({"counts": {"/a": 0}}));
}

fn post_raw_to(uri: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// A page's Atom feed: its published comments, newest first, escaped, without e-mails,
/// linking to the article on the site's origin.
#[tokio::test]
async fn atom_feed_of_a_page() {
    let app = spawn(&["--allow-origin", "https://blog.example.com"]).await;
    app.post(comment("/a", "Premier").to_string(), None).await;
    app.post(
        comment("/a", "<script>alert('x')</script> & \"co\"").to_string(),
        None,
    )
    .await;
    app.post(comment("/b", "Ailleurs").to_string(), None).await;
    let feed = app
        .send(
            Request::get("/api/v1/feed?page=/a")
                .header(header::HOST, "comments.example.com:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(
        feed.headers[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );
    let xml = feed.text();
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">"
    ));
    assert!(xml.contains("<title>Comments on /a</title>"), "{xml}");
    assert!(xml.contains("<title>Comment by Zoé</title>"), "{xml}");
    assert!(
        xml.contains("<id>tag:comments.example.com,2026:/a</id>"),
        "{xml}"
    );
    assert!(xml.contains("<link rel=\"alternate\" href=\"https://blog.example.com/a\"/>"));
    assert!(xml.contains("<link rel=\"self\" href=\"/api/v1/feed?page=%2Fa\"/>"));
    assert!(xml.contains(
        "<content type=\"text\">&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;co&quot;</content>"
    ));
    assert!(!xml.contains("<script"));
    assert!(!xml.contains("zoe@example.org"));
    assert!(!xml.contains("Ailleurs"));
    assert_eq!(xml.matches("<entry>").count(), 2);
    // Newest first.
    assert!(xml.find("&lt;script").unwrap() < xml.find("Premier").unwrap());
    assert_eq!(xml.matches("<uri>https://example.org/</uri>").count(), 2);
    let missing = app.get("/api/v1/feed").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);

    // In French, for a French reader's feed reader, or when asked.
    let first = app.get("/api/v1/comments?page=/a").await.json()["comments"][0]["id"].clone();
    let mut reply = comment("/a", "Merci");
    reply["parent"] = first;
    app.post(reply.to_string(), None).await;
    for request in [
        Request::get("/api/v1/feed?page=/a")
            .header(header::ACCEPT_LANGUAGE, "fr-FR,fr;q=0.9,en;q=0.8"),
        Request::get("/api/v1/feed?page=/a&lang=fr"),
    ] {
        let xml = app.send(request.body(Body::empty()).unwrap()).await.text();
        assert!(xml.contains("xml:lang=\"fr\""), "{xml}");
        assert!(xml.contains("<title>Commentaires sur /a</title>"), "{xml}");
        assert!(xml.contains("<title>Commentaire de Zoé</title>"), "{xml}");
        assert!(xml.contains("<title>Réponse de Zoé</title>"), "{xml}");
    }
}

/// Keys are forgotten after their time: the same key then creates a new comment.
#[tokio::test]
async fn idempotency_keys_expire() {
    let app = spawn(&[]).await;
    let first = app
        .post(comment("/a", "Hier").to_string(), Some("old-key"))
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(
        app.store.expire(0, 0).await.unwrap(),
        0,
        "nothing is that old"
    );
    let far_future = i64::MAX;
    assert_eq!(app.store.expire(far_future, 0).await.unwrap(), 1);
    let reused = app
        .post(comment("/a", "Aujourd'hui").to_string(), Some("old-key"))
        .await;
    assert_eq!(reused.status, StatusCode::CREATED, "{}", reused.text());
    assert_eq!(app.count().await, 2);
}

/// Past `--max-in-flight` requests, the server refuses at once with 503 and
/// `Retry-After`, instead of queueing; the request in flight still completes.
#[tokio::test]
async fn overload_is_refused_at_once_with_retry_after() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn(&["--max-in-flight", "1"]).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app.router.clone()).await.unwrap() });

    // The first request holds the only permit while its body is still arriving.
    let body = comment("/a", "Lentement").to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /api/v1/comments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let mut other = tokio::net::TcpStream::connect(addr).await.unwrap();
    other
        .write_all(b"GET /api/v1/comments?page=/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut refused = String::new();
    other.read_to_string(&mut refused).await.unwrap();
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 1"),
        "{refused}"
    );
    assert!(refused.contains("\"error\":\"overloaded\""), "{refused}");

    slow.write_all(tail.as_bytes()).await.unwrap();
    let mut done = String::new();
    slow.read_to_string(&mut done).await.unwrap();
    assert!(done.starts_with("HTTP/1.1 201"), "{done}");
}

/// A long thread comes in pages: `limit` cuts it, `next` is the cursor for `after`, and
/// walking the cursors gives every comment once, in order. Without `limit`, all of them.
#[tokio::test]
async fn threads_page_with_a_cursor() {
    let app = spawn(&[]).await;
    for i in 0..7 {
        app.post(comment("/long", &format!("n°{i}")).to_string(), None)
            .await;
    }
    app.post(comment("/other", "ailleurs").to_string(), None)
        .await;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/comments?page=/long&limit=3".to_owned();
    let mut pages = 0;
    loop {
        let list = app.get(&uri).await.json();
        pages += 1;
        let batch = list["comments"].as_array().unwrap();
        assert!(batch.len() <= 3);
        seen.extend(batch.iter().map(|c| c["text"].as_str().unwrap().to_owned()));
        match list["next"].as_str() {
            Some(cursor) => uri = format!("/api/v1/comments?page=/long&limit=3&after={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (0..7).map(|i| format!("n°{i}")).collect::<Vec<_>>());
    let all = app.get("/api/v1/comments?page=/long").await.json();
    assert_eq!(all["comments"].as_array().unwrap().len(), 7);
    assert!(all.get("next").is_none());
    for bad in ["limit=0", "limit=501", "after=abc", "after=-1"] {
        let reply = app.get(&format!("/api/v1/comments?page=/long&{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

fn reply_to(page: &str, text: &str, parent: &Value) -> Value {
    let mut body = comment(page, text);
    body["parent"] = parent.clone();
    body
}

/// Replies carry their parent's id, and come in whole threads: `limit` counts the
/// comments on the article, and each comes with all its replies, after its parent.
#[tokio::test]
async fn replies_come_with_their_thread() {
    let app = spawn(&[]).await;
    let post = |body: Value| {
        let app = &app;
        async move {
            let reply = app.post(body.to_string(), None).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
            reply.json()["id"].clone()
        }
    };
    let a = post(comment("/t", "A")).await;
    let b = post(comment("/t", "B")).await;
    let a1 = post(reply_to("/t", "A1", &a)).await;
    let a11 = post(reply_to("/t", "A11", &a1)).await;
    let b1 = post(reply_to("/t", "B1", &b)).await;
    let c = post(comment("/t", "C")).await;
    let a2 = post(reply_to("/t", "A2", &a)).await;

    let first = app.get("/api/v1/comments?page=/t&limit=1").await.json();
    let texts = |list: &Value| -> Vec<String> {
        list["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts(&first), ["A", "A1", "A11", "A2"]);
    assert_eq!(first["total"], 7);
    assert_eq!(first["next"], a.to_string());
    let parents: Vec<&Value> = first["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["parent"])
        .collect();
    assert_eq!(parents, [&Value::Null, &a, &a1, &a]);

    let uri = format!("/api/v1/comments?page=/t&limit=2&after={a}");
    let second = app.get(&uri).await.json();
    assert_eq!(texts(&second), ["B", "B1", "C"]);
    assert!(second.get("next").is_none());
    assert_eq!(second["comments"][1]["parent"], b);
    assert_eq!(second["comments"][2]["id"], c);

    let all = app.get("/api/v1/comments?page=/t").await.json();
    assert_eq!(texts(&all), ["A", "B", "A1", "A11", "B1", "C", "A2"]);
    let ids: Vec<&Value> = all["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&a, &b, &a1, &a11, &b1, &c, &a2]);
}

/// A reply must answer a published comment of the same page: anything else is a 422
/// `invalid_parent`, and nothing is stored.
#[tokio::test]
async fn a_reply_needs_a_published_parent_on_the_same_page() {
    let app = spawn(&[]).await;
    let here = app
        .post(comment("/here", "ici").to_string(), None)
        .await
        .json();
    let held = spawn(&["--moderation", "hold"]).await;
    let pending = held
        .post(comment("/here", "en attente").to_string(), None)
        .await
        .json();
    let before = app.count().await;
    let missing = json!(here["id"].as_i64().unwrap() + 100);
    let reply = app
        .post(reply_to("/here", "r", &missing).to_string(), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["error"], "invalid_parent");
    let elsewhere = app
        .post(reply_to("/elsewhere", "r", &here["id"]).to_string(), None)
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(elsewhere.json()["error"], "invalid_parent");
    assert_eq!(app.count().await, before);

    let before = held.count().await;
    let to_pending = held
        .post(reply_to("/here", "r", &pending["id"]).to_string(), None)
        .await;
    assert_eq!(to_pending.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(to_pending.json()["error"], "invalid_parent");
    assert_eq!(held.count().await, before);

    let bad_type = app
        .post(reply_to("/here", "r", &json!("12")).to_string(), None)
        .await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
}

/// The avatar is a keyed hash: the same address (in any case) gives the same avatar,
/// another address another one, and it is none of the unkeyed hashes a guesser could
/// compute (SHA-256 or MD5 of the address, as Gravatar uses).
#[tokio::test]
async fn avatars_reveal_nothing_about_the_email() {
    let app = spawn(&[]).await;
    let with = |email: &str, identity: Option<&str>| {
        let mut body = comment("/av", &format!("texte de {email} {identity:?}"));
        body["email"] = json!(email);
        if let Some(identity) = identity {
            body["identity"] = json!(identity);
        }
        body.to_string()
    };
    // The first comment gets an identity; the browser sends it back with the next.
    let one = app.post(with("zoe@example.org", None), None).await.json();
    let identity = one["identity"].as_str().unwrap().to_owned();
    assert_eq!(identity.len(), 32);
    let avatar = one["avatar"].as_str().unwrap();
    assert_eq!(avatar.len(), 16);
    assert!(avatar.bytes().all(|b| b.is_ascii_hexdigit()));
    let same = app
        .post(with("zoe@example.org", Some(&identity)), None)
        .await
        .json();
    assert_eq!(same["avatar"], avatar, "the same identity, the same avatar");
    assert!(same.get("identity").is_none(), "no new identity is made");
    // The same address without the identity: another avatar. Nobody can confirm a
    // guessed address by posting with it.
    let guess = app.post(with("zoe@example.org", None), None).await.json();
    assert_ne!(guess["avatar"], avatar);
    let other = app.post(with("max@example.org", None), None).await.json();
    assert_ne!(other["avatar"], avatar);
    let sha = hex(&Sha256::digest(b"zoe@example.org"));
    assert!(!sha.contains(avatar));
    assert!(!hex(&Sha256::digest(identity.as_bytes())).contains(avatar));
    let listed = app.get("/api/v1/comments?page=/av").await.json();
    assert_eq!(listed["comments"][0]["avatar"], avatar);
    // A malformed identity is no identity: a new one is made.
    let forged = app
        .post(with("zoe@example.org", Some("not-an-identity")), None)
        .await
        .json();
    assert!(forged["identity"].is_string());
    assert_ne!(forged["avatar"], avatar);
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

/// In the default mode, a first-time commenter's comment is held; once the site owner
/// approves one, the same address (in any case) is published at once.
#[tokio::test]
async fn first_time_commenters_are_held_until_approved() {
    let app = spawn(&["--moderation", "first-time"]).await;
    let first = app.post(comment("/ft", "Bonjour").to_string(), None).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let identity = first.json()["identity"].as_str().unwrap().to_owned();
    let mine = |text: &str| {
        let mut body = comment("/ft", text);
        body["identity"] = json!(identity);
        body.to_string()
    };
    let again = app.post(mine("Encore moi"), None).await;
    assert_eq!(
        again.status,
        StatusCode::ACCEPTED,
        "not known until approved"
    );
    let id = first.json()["id"].as_i64().unwrap();
    assert_eq!(app.store.approve(&[id], 0).await.unwrap(), 1);
    // Known by the identity their browser holds, whatever the address.
    let mut known: Value = serde_json::from_str(&mine("Me revoilà")).unwrap();
    known["email"] = json!("autre@example.org");
    assert_eq!(
        app.post(known.to_string(), None).await.status,
        StatusCode::CREATED
    );
    // The approved address, without the identity, is a stranger: held.
    let impostor = app
        .post_from(
            "203.0.113.5",
            comment("/ft", "C'est moi, Zoé").to_string(),
            &[],
        )
        .await;
    assert_eq!(impostor.status, StatusCode::ACCEPTED);
    let public = app.get("/api/v1/comments?page=/ft").await.json();
    let texts: Vec<&str> = public["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Bonjour", "Me revoilà"]);
}

#[tokio::test]
async fn admin_login_needs_a_password_and_gives_a_strict_cookie() {
    let app = spawn(&[]).await;
    let login = app.get("/admin").await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text().contains("causerie-server admin set-password"));
    assert_eq!(login.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        login.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let none = app.post_form("/admin/login", "password=", None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);

    assert!(
        causerie_server::set_password(&app.store, "too short")
            .await
            .is_err()
    );
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let stored = app.store.setting("admin_password").await.unwrap().unwrap();
    assert!(String::from_utf8(stored).unwrap().starts_with("$argon2id$"));

    let wrong = app.post_form("/admin/login", "password=nope", None).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
    let (cookie, csrf) = app.login(PASSWORD).await;
    assert!(cookie.starts_with("causerie_admin="));

    // The flags, on loopback and elsewhere.
    let body = format!(
        "password={}",
        form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect::<String>()
    );
    // `Secure` comes from the configuration, never from the request's `Host`.
    let public = spawn(&["--public-url", "https://comments.example.com"]).await;
    causerie_server::set_password(&public.store, PASSWORD)
        .await
        .unwrap();
    for (server, host, secure) in [
        (&app, "127.0.0.1:8080", false),
        (&app, "comments.example.com", false),
        (&public, "127.0.0.1:8080", true),
        (&public, "comments.example.com", true),
    ] {
        let request = Request::post("/admin/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, host)
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body.clone()))
            .unwrap();
        let reply = server.send(request).await;
        let set = reply.headers[header::SET_COOKIE].to_str().unwrap();
        for flag in ["HttpOnly", "SameSite=Strict"] {
            assert!(set.contains(flag), "{set}");
        }
        assert_eq!(set.contains("; Secure"), secure, "{host}: {set}");
        // A `Secure` cookie is `__Host-` (no other host or path can set or shadow it).
        assert_eq!(set.starts_with("__Host-causerie_admin="), secure, "{set}");
        let path = if secure {
            "; Path=/; Secure"
        } else {
            "; Path=/admin"
        };
        assert!(set.ends_with(path), "{set}");
    }
    // Two cookies of the session's name (one set by another path or host): no session.
    let twice = format!("{cookie}; {cookie}");
    let page = app
        .send(
            Request::get("/admin")
                .header(header::COOKIE, twice)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(page.text().contains("name=\"password\""), "the login form");

    // Logging out needs the CSRF token, and then the cookie opens nothing.
    let refused = app
        .post_form("/admin/logout", "csrf=wrong", Some(&cookie))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = app
        .post_form("/admin/logout", &format!("csrf={csrf}"), Some(&cookie))
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app
        .send(
            Request::get("/admin")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(after.text().contains("name=\"password\""), "logged out");
}

/// After five failed logins from an address, even the right password gets 429 with
/// `Retry-After`.
#[tokio::test]
async fn failed_logins_are_rate_limited() {
    let app = spawn(&[]).await;
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    for _ in 0..5 {
        let reply = app.post_form("/admin/login", "password=guess", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let body = format!(
        "password={}",
        form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect::<String>()
    );
    let limited = app.post_form("/admin/login", &body, None).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait));
    assert!(limited.headers.get(header::SET_COOKIE).is_none());
}

/// A state-changing request is refused without the session's CSRF token, or when the
/// browser says it comes from another site, and then changes nothing.
#[tokio::test]
async fn admin_actions_need_the_csrf_token_and_the_same_origin() {
    let app = spawn(&["--moderation", "hold"]).await;
    let id = app
        .post(comment("/c", "Spam ?").to_string(), None)
        .await
        .json()["id"]
        .clone();
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let (cookie, csrf) = app.login(PASSWORD).await;
    let approve = format!("csrf={csrf}&only={id}");
    let cases = [
        (format!("only={id}"), "same-origin", "no token"),
        (format!("csrf=x&only={id}"), "same-origin", "wrong token"),
        (approve.clone(), "cross-site", "another site"),
        (approve.clone(), "same-site", "a sibling site"),
    ];
    for (body, site, why) in cases {
        let request = Request::post("/admin/comments/approve")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "127.0.0.1:8080")
            .header("sec-fetch-site", site)
            .header(header::COOKIE, &cookie)
            .body(Body::from(body))
            .unwrap();
        assert_eq!(
            app.send(request).await.status,
            StatusCode::FORBIDDEN,
            "{why}"
        );
    }
    // Without Fetch Metadata, an Origin of another site is refused too.
    let request = Request::post("/admin/comments/approve")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, &cookie)
        .body(Body::from(approve.clone()))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::FORBIDDEN);
    let public = app.get("/api/v1/comments?page=/c").await.json();
    assert_eq!(public["total"], 0, "nothing changed");
    // And with everything right, it works.
    let ok = app
        .post_form("/admin/comments/approve", &approve, Some(&cookie))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/api/v1/comments?page=/c").await.json()["total"], 1);
}

/// The admin page lists held comments first, with the e-mail addresses that nothing
/// public shows; it searches, approves, marks as spam, edits, and deletes one or many.
#[tokio::test]
async fn the_admin_page_moderates() {
    let app = spawn(&["--moderation", "hold"]).await;
    let post = |text: &str, email: &str, page: &str| {
        let mut body = comment(page, text);
        body["email"] = json!(email);
        body.to_string()
    };
    let mut ids = Vec::new();
    for (text, email, page) in [
        ("Un", "un@example.org", "/p1"),
        ("Deux", "deux@example.org", "/p1"),
        ("Trois <b>gras</b>", "trois@example.org", "/p2"),
        ("Quatre", "quatre@example.org", "/p2"),
    ] {
        ids.push(
            app.post(post(text, email, page), None).await.json()["id"]
                .as_i64()
                .unwrap(),
        );
    }
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let (cookie, csrf) = app.login(PASSWORD).await;
    let page = app.admin_page(&cookie, "/admin").await;
    assert!(page.contains("un@example.org") && page.contains("quatre@example.org"));
    assert!(
        page.contains("Trois &#60;b&#62;gras&#60;/b&#62;"),
        "escaped"
    );
    assert!(!page.contains("<b>gras"));
    // Search: by page, by e-mail, by text.
    for (q, expected) in [("/p2", 2), ("deux@", 1), ("Quatre", 1), ("nothing", 0)] {
        let found = app
            .admin_page(
                &cookie,
                &format!(
                    "/admin?q={}",
                    form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                ),
            )
            .await;
        assert_eq!(found.matches("<li class=").count(), expected, "{q}");
    }
    // Bulk approve two, spam one, edit one, delete one.
    let bulk = format!("csrf={csrf}&id={}&id={}", ids[0], ids[1]);
    assert_eq!(
        app.post_form("/admin/comments/approve", &bulk, Some(&cookie))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let spam = format!("csrf={csrf}&only={}", ids[2]);
    app.post_form("/admin/comments/spam", &spam, Some(&cookie))
        .await;
    let edit_form = app
        .admin_page(&cookie, &format!("/admin/comments/{}/edit", ids[0]))
        .await;
    assert!(edit_form.contains(">Un</textarea>"));
    let edit = format!("csrf={csrf}&text=Un%2C+corrig%C3%A9");
    let edit_uri = format!("/admin/comments/{}/edit", ids[0]);
    assert_eq!(
        app.post_form(&edit_uri, &edit, Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
    let bad_edit = format!("csrf={csrf}&text=");
    assert_eq!(
        app.post_form(&edit_uri, &bad_edit, Some(&cookie))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let public = app.get("/api/v1/comments?page=/p1").await;
    let texts: Vec<String> = public.json()["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts, ["Un, corrigé", "Deux"]);
    assert!(!public.text().contains("@example.org"));
    assert_eq!(
        app.get("/api/v1/comments?page=/p2").await.json()["total"],
        0,
        "spam and held stay hidden"
    );

    // Deleting a comment takes its replies with it.
    let mut reply = comment("/p1", "Réponse");
    reply["parent"] = json!(ids[0]);
    let reply_id = app.post(reply.to_string(), None).await.json()["id"]
        .as_i64()
        .unwrap();
    app.store.approve(&[reply_id], 0).await.unwrap();
    let delete = format!("csrf={csrf}&only={}", ids[0]);
    app.post_form("/admin/comments/delete", &delete, Some(&cookie))
        .await;
    let left = app.get("/api/v1/comments?page=/p1").await.json();
    assert_eq!(left["total"], 1);
    assert_eq!(left["comments"][0]["text"], "Deux");

    // Held first in the list, then the others.
    let page = app.admin_page(&cookie, "/admin").await;
    let held = page.find("quatre@example.org").unwrap();
    let published = page.find("deux@example.org").unwrap();
    assert!(held < published, "held comments come first");
}

/// The same moderation from a terminal: `causerie-server admin …` on the same database.
#[test]
fn the_admin_commands_work_from_a_terminal() {
    use std::{
        io::Write,
        process::{Command, Stdio},
    };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/cli.db", dir.path().display());
    let run = |args: &[&str], input: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_causerie-server"))
            .args(["--database", &db, "admin"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = input {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, out) = run(&["set-password"], Some("short\n"));
    assert!(!ok, "{out}");
    assert!(out.contains("at least 12"), "{out}");
    let (ok, out) = run(&["set-password"], Some(&format!("{PASSWORD}\n")));
    assert!(ok, "{out}");
    // Comments, through a server on the same file.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ids: Vec<i64> = runtime.block_on(async {
        let store = Store::open(&db).await.unwrap();
        let config = Config::try_parse_from([
            "causerie-server",
            "--database",
            &db,
            "--moderation",
            "hold",
            "--min-seconds",
            "0",
        ])
        .unwrap();
        let router = app(AppState::new(store.clone(), &config).unwrap(), dir.path());
        let mut ids = Vec::new();
        for text in ["Gardé", "Publicité !", "Adieu"] {
            let request = Request::post("/api/v1/comments")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(comment("/cli", text).to_string()))
                .unwrap();
            ids.push(
                send(router.clone(), request).await.json()["id"]
                    .as_i64()
                    .unwrap(),
            );
        }
        store.close().await;
        ids
    });
    let (ok, out) = run(&["list"], None);
    assert!(
        ok && out.contains("held") && out.contains("zoe@example.org") && out.contains("Publicité"),
        "{out}"
    );
    assert!(
        run(&["approve", &ids[0].to_string()], None)
            .1
            .contains("1 approved")
    );
    assert!(
        run(&["spam", &ids[1].to_string()], None)
            .1
            .contains("1 marked as spam")
    );
    assert!(
        run(&["delete", &ids[2].to_string()], None)
            .1
            .contains("1 deleted")
    );
    let (_, out) = run(&["list"], None);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        out.contains("published") && out.contains("spam") && !out.contains("Adieu"),
        "{out}"
    );
    let (ok, _) = run(&["approve"], None);
    assert!(!ok, "an id is required");
    // Privacy requests.
    let (ok, out) = run(&["export", "zoe@example.org"], None);
    let exported: Value = serde_json::from_str(&out).unwrap();
    assert!(ok && exported.as_array().unwrap().len() == 2, "{out}");
    assert_eq!(exported[0]["email"], "zoe@example.org");
    assert!(
        run(&["anonymise", "zoe@example.org"], None)
            .1
            .contains("2 anonymised")
    );
    assert!(
        run(&["erase", "nobody@example.org"], None)
            .1
            .contains("0 erased")
    );
    let (_, out) = run(&["export", "zoe@example.org"], None);
    assert_eq!(out.trim(), "[]");
}

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

fn numbered(i: usize) -> String {
    comment("/spam", &format!("Commentaire n° {i}")).to_string()
}

/// Past `--max-posts-per-ip` in the window, an address gets 429 with `Retry-After` (in
/// the header and the body), and nothing is stored; other addresses still post. Behind a
/// trusted proxy the client is the forwarded address; from anyone else the header is
/// ignored.
#[tokio::test]
async fn posting_is_rate_limited_per_address() {
    let app = spawn(&[
        "--max-posts-per-ip",
        "2",
        "--post-window",
        "600",
        "--trusted-proxy",
        "10.0.0.1",
    ])
    .await;
    for i in 0..2 {
        assert_eq!(
            app.post_from("198.51.100.1", numbered(i), &[]).await.status,
            StatusCode::CREATED
        );
    }
    let before = app.count().await;
    let limited = app.post_from("198.51.100.1", numbered(2), &[]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["error"], "rate_limited");
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&wait), "{wait}");
    assert_eq!(limited.json()["retry_after"], wait);
    assert_eq!(app.count().await, before);
    assert_eq!(
        app.post_from("198.51.100.2", numbered(3), &[]).await.status,
        StatusCode::CREATED
    );
    // A forged X-Forwarded-For from a stranger changes nothing…
    let forged = app
        .post_from(
            "198.51.100.1",
            numbered(4),
            &[("x-forwarded-for", "203.0.113.9")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
    // …but the trusted proxy's is believed: each client is counted on its own.
    for (i, client) in ["203.0.113.7", "203.0.113.7", "203.0.113.8"]
        .iter()
        .enumerate()
    {
        let reply = app
            .post_from("10.0.0.1", numbered(10 + i), &[("x-forwarded-for", client)])
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{client}");
    }
    let third = app
        .post_from(
            "10.0.0.1",
            numbered(20),
            &[("x-forwarded-for", "203.0.113.7")],
        )
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
}

/// The same text from the same address on the same page is refused, once stored, with
/// 422 `duplicate`; a retry with the same idempotency key still gets its first answer.
#[tokio::test]
async fn duplicates_are_refused() {
    let app = spawn(&[]).await;
    let body = comment("/dup", "Deux fois ?").to_string();
    let first = app.post(body.clone(), Some("k1")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let replay = app.post(body.clone(), Some("k1")).await;
    assert_eq!(
        replay.status,
        StatusCode::CREATED,
        "a retry is no duplicate"
    );
    let again = app.post(body.clone(), Some("k2")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"], "duplicate");
    // Another commenter (another address) may write the same words.
    let other = app.post_from("198.51.100.7", body.clone(), &[]).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text());
    assert_eq!(app.count().await, 2);
}

/// A duplicate is the same text from the same commenter, never from the same e-mail
/// address: re-posting a victim's exact words with their address, from elsewhere, is
/// not refused, so a refusal confirms no address.
#[tokio::test]
async fn duplicates_reveal_no_address() {
    let app = spawn(&[]).await;
    let mut victim = comment("/dup", "Mes mots exacts");
    victim["email"] = json!("victim@example.org");
    assert_eq!(
        app.post_from("198.51.100.1", victim.to_string(), &[])
            .await
            .status,
        StatusCode::CREATED
    );
    let mut guess = victim.clone();
    guess["author"] = json!("Quelqu'un");
    let right = app.post_from("203.0.113.9", guess.to_string(), &[]).await;
    guess["email"] = json!("wrong@example.org");
    guess["comment"] = json!("Mes mots exacts ");
    let wrong = app.post_from("203.0.113.9", guess.to_string(), &[]).await;
    assert_eq!(right.status, wrong.status, "the guess changes nothing");
    assert_eq!(right.status, StatusCode::CREATED);
}

/// Too many links, or a blocklist match, hold a comment; with `--blocklist-action
/// reject`, a match is refused with 422 `blocked`. So is a robot that fills the honeypot,
/// and nothing of it is stored.
#[tokio::test]
async fn links_blocklist_and_honeypot() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("blocklist.txt");
    std::fs::write(&list, "# rules\nword: casino\nemail: *@spam.example\n").unwrap();
    let list = list.display().to_string();
    let hold = spawn(&["--blocklist", &list, "--max-links", "2"]).await;
    let links = comment(
        "/l",
        "https://a.example https://b.example https://c.example",
    );
    assert_eq!(
        hold.post(links.to_string(), None).await.status,
        StatusCode::ACCEPTED
    );
    let two = comment("/l", "https://a.example et https://b.example");
    assert_eq!(
        hold.post(two.to_string(), None).await.status,
        StatusCode::CREATED
    );
    let casino = comment("/l", "Le meilleur CASINO");
    assert_eq!(
        hold.post(casino.to_string(), None).await.status,
        StatusCode::ACCEPTED
    );
    let mut from = comment("/l", "Bonjour");
    from["email"] = json!("bot@spam.example");
    assert_eq!(
        hold.post(from.to_string(), None).await.status,
        StatusCode::ACCEPTED
    );

    let reject = spawn(&["--blocklist", &list, "--blocklist-action", "reject"]).await;
    let refused = reject.post(casino.to_string(), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "blocked");
    assert_eq!(reject.count().await, 0);
    assert!(
        spawn_err(&["--blocklist", "/nonexistent/blocklist.txt"])
            .await
            .contains("cannot read the blocklist")
    );

    // A robot that fills the honeypot is refused, and nothing of it is stored.
    let before = hold.count().await;
    let mut robot = comment("/l", "Achetez !");
    robot["trap"] = json!("http://spam.example");
    let trapped = hold.post(robot.to_string(), None).await;
    assert_eq!(trapped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(trapped.json()["error"], "blocked");
    assert_eq!(hold.count().await, before);
}

/// With `--min-seconds`, a comment needs the form token of the thread it was written
/// under, and must come at least that long after it; forged or missing tokens fail.
#[tokio::test]
async fn the_form_token_sets_a_minimum_time() {
    let app = spawn(&["--min-seconds", "1"]).await;
    let thread = app.get("/api/v1/comments?page=/t").await;
    let token = thread.headers["causerie-form-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = |text: &str| comment("/t", text).to_string();
    let post = |text: &'static str, token: Option<String>| {
        let app = &app;
        async move {
            let mut request =
                Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
            if let Some(token) = token {
                request = request.header("causerie-form-token", token);
            }
            app.send(request.body(Body::from(body(text))).unwrap())
                .await
        }
    };
    let early = post("tôt", Some(token.clone())).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.json()["error"], "too_fast");
    assert_eq!(post("sans jeton", None).await.json()["error"], "too_fast");
    let (time, tag) = token.split_once('.').unwrap();
    let forged = format!("{}.{tag}", time.parse::<i64>().unwrap() - 60_000);
    assert_eq!(post("faux", Some(forged)).await.json()["error"], "too_fast");
    app.clock.advance(1100);
    assert_eq!(
        post("à temps", Some(token)).await.status,
        StatusCode::CREATED
    );
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

/// GDPR requests: export every comment made with an address (JSON, with the client
/// address), anonymise them (texts stay), or erase them (deleted, or a placeholder
/// without author or text where others replied).
#[tokio::test]
async fn privacy_requests_export_anonymise_and_erase() {
    let app = spawn(&[]).await;
    let by = |page: &str, text: &str, email: &str, parent: Option<&Value>| {
        let mut body = comment(page, text);
        body["email"] = json!(email);
        if let Some(parent) = parent {
            body["parent"] = parent.clone();
        }
        body.to_string()
    };
    let first = app
        .post_from(
            "198.51.100.4",
            by("/g", "Premier", "ana@example.org", None),
            &[],
        )
        .await
        .json();
    app.post(
        by("/g", "Réponse", "bob@example.org", Some(&first["id"])),
        None,
    )
    .await;
    app.post(by("/h", "Seul", "ANA@example.org", None), None)
        .await;
    app.post(by("/h", "Autre", "bob@example.org", None), None)
        .await;
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let (cookie, csrf) = app.login(PASSWORD).await;

    let export = app
        .post_form(
            "/admin/privacy/export",
            &format!("csrf={csrf}&email=ana%40example.org"),
            Some(&cookie),
        )
        .await;
    assert_eq!(export.status, StatusCode::OK, "{}", export.text());
    let export: Value = serde_json::from_str(&export.text()).unwrap();
    let texts: Vec<&str> = export
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 2);
    assert!(texts.contains(&"Premier") && texts.contains(&"Seul"));
    assert!(
        export
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["ip"] == "198.51.100.4")
    );
    let anonymous = app
        .post_form(
            "/admin/privacy/export",
            "csrf=x&email=ana%40example.org",
            None,
        )
        .await;
    assert_eq!(
        anonymous.status,
        StatusCode::FORBIDDEN,
        "no session, no export"
    );
    let by_get = app
        .send(
            Request::get("/admin/privacy/export?email=ana%40example.org")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        by_get.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "the address is never in a URL"
    );

    // Anonymise Bob: his texts stay, his name and address go.
    let anonymise = "csrf=".to_owned() + &csrf + "&email=bob%40example.org";
    assert_eq!(
        app.post_form("/admin/privacy/anonymise", &anonymise, Some(&cookie))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let h = app.get("/api/v1/comments?page=/h").await.json();
    let autre = h["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"] == "Autre")
        .unwrap()
        .clone();
    assert_eq!(autre["author"], "—");
    assert_eq!(autre["avatar"], "");
    assert!(
        app.store
            .moderation_list("", Some("bob@example.org"), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Erase Ana: her reply-less comment goes; the one Bob answered stays as a placeholder.
    let erase = "csrf=".to_owned() + &csrf + "&email=ana%40example.org";
    assert_eq!(
        app.post_form("/admin/privacy/erase", &erase, Some(&cookie))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let g = app.get("/api/v1/comments?page=/g").await;
    assert!(!g.text().contains("Premier") && !g.text().contains("ana@"));
    let placeholder = g.json()["comments"][0].clone();
    assert_eq!(placeholder["deleted"], true);
    assert_eq!(placeholder["text"], "");
    assert_eq!(placeholder["author"], "");
    assert_eq!(g.json()["comments"][1]["parent"], placeholder["id"]);
    let h = app.get("/api/v1/comments?page=/h").await;
    assert!(!h.text().contains("Seul"));
    assert!(
        app.store
            .moderation_list("", Some("ana@example.org"), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// With a webhook, each new comment is POSTed to the site owner's endpoint, signed with
/// HMAC-SHA256 over the body. The commenter never waits for it: the endpoint fails at
/// first, and the delivery is retried until it is accepted, then forgotten.
#[tokio::test]
async fn new_comments_are_announced_to_a_signed_webhook_with_retries() {
    use std::sync::{Arc, Mutex};
    // The site owner's endpoint: it refuses the first delivery, then records them.
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let endpoint = {
        let received = received.clone();
        let calls = calls.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let received = received.clone();
                let calls = calls.clone();
                async move {
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let signature = headers["causerie-signature"].to_str().unwrap().to_owned();
                    received.lock().unwrap().push((signature, body));
                    StatusCode::NO_CONTENT
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, endpoint).await.unwrap() });

    let url = format!("http://127.0.0.1:{port}/hook");
    let app = spawn(&["--webhook-url", &url, "--webhook-secret", "s3cret"]).await;
    let hook = causerie_server::notify::webhook::Webhook::new(url, "s3cret".into());
    let started = std::time::Instant::now();
    assert_eq!(
        app.post(comment("/w", "Annoncé").to_string(), None)
            .await
            .status,
        StatusCode::CREATED
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the commenter does not wait"
    );
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 1);
    let task = tokio::spawn(causerie_server::notify::deliver(
        app.store.clone(),
        std::sync::Arc::new(hook),
    ));
    // Until it is delivered and forgotten (the endpoint answers before the outbox is
    // updated, so both are waited for).
    for _ in 0..100 {
        let done = !received.lock().unwrap().is_empty()
            && app.store.pending_deliveries().await.unwrap() == 0;
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    task.abort();
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "delivered once, after one failure");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    let (signature, body) = &received[0];
    assert_eq!(
        *signature,
        causerie_server::notify::webhook::signature("s3cret", body)
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["event"], "comment.created");
    assert_eq!(event["comment"]["text"], "Annoncé");
    assert!(
        !body.contains("zoe@example.org"),
        "no e-mail in the webhook"
    );
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 0);
    // A webhook needs its secret.
    assert!(Config::try_parse_from(["causerie-server", "--webhook-url", "http://x"]).is_err());
}

/// One TOML file for every setting and the sites; environment variables override it,
/// and flags override both. A site may have its own moderation mode.
#[tokio::test]
async fn a_toml_file_configures_the_server_and_its_sites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("causerie.toml");
    let db = format!("sqlite://{}/toml.db", dir.path().display());
    std::fs::write(
        &file,
        format!(
            r#"
database = "{db}"
moderation = "hold"
max_posts_per_ip = 3
min-seconds = 0
trusted_proxy = ["10.0.0.1", "10.0.0.2"]

[[site]]
origin = "https://blog.example.com"
moderation = "publish"

[[site]]
origin = "https://news.example.com"
"#
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let args = |extra: &[&str]| {
        let mut args = vec![
            "causerie-server".to_owned(),
            "--config".to_owned(),
            path.clone(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let no_env = |_: &str| None;
    let config = Config::load_from(args(&[]), no_env).unwrap();
    assert_eq!(config.moderation, Moderation::Hold);
    assert_eq!(config.max_posts_per_ip, 3);
    assert_eq!(config.trusted_proxies.len(), 2);
    assert_eq!(
        config.allow_origins,
        ["https://blog.example.com", "https://news.example.com"]
    );
    // A flag overrides the file. A setting in the environment makes the file's yield:
    // clap then reads the variable itself (here, the process has none, so the default).
    let env = |name: &str| (name == "CAUSERIE_MAX_POSTS_PER_IP").then(|| "5".to_owned());
    let config = Config::load_from(args(&["--max-posts-per-ip", "7"]), env).unwrap();
    assert_eq!(config.max_posts_per_ip, 7);
    let config = Config::load_from(args(&[]), env).unwrap();
    assert_eq!(config.max_posts_per_ip, 10, "not the file's 3");
    // Mistakes are named.
    std::fs::write(&file, "moderaton = \"hold\"\n").unwrap();
    let wrong = Config::load_from(args(&[]), no_env)
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("unknown setting `moderaton`"), "{wrong}");
    std::fs::write(&file, "moderation = \n").unwrap();
    assert!(
        Config::load_from(args(&[]), no_env)
            .unwrap_err()
            .to_string()
            .contains("not valid TOML")
    );
    std::fs::write(&file, "[[site]]\nmoderation = \"hold\"\n").unwrap();
    assert!(
        Config::load_from(args(&[]), no_env)
            .unwrap_err()
            .to_string()
            .contains("origin")
    );

    // The blog publishes at once; the news site holds, as the server does.
    std::fs::write(
        &file,
        format!("database = \"{db}\"\nmoderation = \"hold\"\nmin_seconds = 0\n[[site]]\norigin = \"https://blog.example.com\"\nmoderation = \"publish\"\n[[site]]\norigin = \"https://news.example.com\"\n"),
    )
    .unwrap();
    let config = Config::load_from(args(&[]), no_env).unwrap();
    let store = Store::open(&config.database).await.unwrap();
    let router = app(AppState::new(store, &config).unwrap(), dir.path());
    let post = |origin: Option<&str>, text: &str| {
        let mut request =
            Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request
            .body(Body::from(comment("/s", text).to_string()))
            .unwrap()
    };
    assert_eq!(
        send(
            router.clone(),
            post(Some("https://blog.example.com"), "du blog")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(
            router.clone(),
            post(Some("https://news.example.com"), "des nouvelles")
        )
        .await
        .status,
        StatusCode::ACCEPTED
    );
    // Without an origin: the default site, the first.
    assert_eq!(
        send(router.clone(), post(None, "sans origine"))
            .await
            .status,
        StatusCode::CREATED
    );
}

/// The real precedence, in a real process: an environment variable beats the file.
#[test]
fn the_environment_overrides_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("causerie.toml");
    let from_file = dir.path().join("file.db");
    let from_env = dir.path().join("env.db");
    std::fs::write(
        &file,
        format!("database = \"sqlite://{}\"\n", from_file.display()),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .args(["--config", &file.display().to_string(), "admin", "list"])
        .env(
            "CAUSERIE_DATABASE",
            format!("sqlite://{}", from_env.display()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(from_env.exists() && !from_file.exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .args(["--config", &file.display().to_string(), "admin", "list"])
        .env_remove("CAUSERIE_DATABASE")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        from_file.exists(),
        "without the variable, the file's database"
    );
}

/// The author edits and deletes their own comment with the token its creation returned,
/// within the window; not with another token, and not after the window. A deleted comment
/// with replies stays as a placeholder.
#[tokio::test]
async fn authors_edit_and_delete_their_comment_within_the_window() {
    let app = spawn(&["--edit-window", "15"]).await;
    let created = app
        .post(comment("/e", "Premier jet").to_string(), None)
        .await
        .json();
    let id = created["id"].as_i64().unwrap();
    let token = created["edit_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(
        created["editable_until"],
        created["created"].as_i64().unwrap() + 15 * 60 * 1000
    );
    assert!(
        !app.get("/api/v1/comments?page=/e")
            .await
            .text()
            .contains(&token),
        "never public"
    );
    let edit = |token: Option<&str>, text: &str| {
        let mut request = Request::put(format!("/api/v1/comments/{id}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header("causerie-edit-token", token);
        }
        request
            .body(Body::from(json!({ "comment": text }).to_string()))
            .unwrap()
    };
    let wrong = app
        .send(edit(Some("0123456789abcdef0123456789abcdef"), "Volé"))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.json()["error"], "forbidden");
    assert_eq!(
        app.send(edit(None, "Volé")).await.status,
        StatusCode::FORBIDDEN
    );
    let empty = app.send(edit(Some(&token), "  ")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let edited = app.send(edit(Some(&token), "Version corrigée")).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["text"], "Version corrigée");
    assert_eq!(
        app.get("/api/v1/comments?page=/e").await.json()["comments"][0]["text"],
        "Version corrigée"
    );

    // After the window: refused (the clock moves; nothing sleeps).
    app.clock.advance(15 * 60 * 1000 + 1);
    let closed = app.send(edit(Some(&token), "Trop tard")).await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
    assert_eq!(closed.json()["error"], "edit_window_closed");
    app.clock.advance(-(15 * 60 * 1000 + 1));

    // Deleted with a reply: a placeholder. Without: gone.
    let mut reply = comment("/e", "Une réponse");
    reply["parent"] = json!(id);
    app.post(reply.to_string(), None).await;
    let delete = |id: i64, token: &str| {
        Request::delete(format!("/api/v1/comments/{id}"))
            .header("causerie-edit-token", token)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app.send(delete(id, &token)).await.status,
        StatusCode::NO_CONTENT
    );
    let thread = app.get("/api/v1/comments?page=/e").await.json();
    assert_eq!(thread["comments"][0]["deleted"], true);
    assert_eq!(thread["comments"][0]["text"], "");
    assert_eq!(
        app.send(delete(id, &token)).await.status,
        StatusCode::NOT_FOUND,
        "once"
    );
    let alone = app
        .post(comment("/e", "Seul").to_string(), None)
        .await
        .json();
    let alone_token = alone["edit_token"].as_str().unwrap().to_owned();
    let alone_id = alone["id"].as_i64().unwrap();
    assert_eq!(
        app.send(delete(alone_id, &alone_token)).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        !app.get("/api/v1/comments?page=/e")
            .await
            .text()
            .contains("Seul")
    );

    // With the window at 0, no token is given.
    let none = spawn(&["--edit-window", "0"]).await;
    let created = none
        .post(comment("/e", "Sans jeton").to_string(), None)
        .await
        .json();
    assert!(created.get("edit_token").is_none());
}

/// Nothing of the admin page answers a request without a session, or with a forged
/// cookie: the login form, redirects, or 403, and never a commenter's e-mail or text.
#[tokio::test]
async fn nothing_of_the_admin_page_leaks_without_a_session() {
    let app = spawn(&["--moderation", "hold"]).await;
    let mut body = comment("/secret", "Texte en attente");
    body["email"] = json!("secret@example.org");
    let id = app.post(body.to_string(), None).await.json()["id"].clone();
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let forged = "causerie_admin=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    for cookie in [None, Some(forged)] {
        let edit = format!("/admin/comments/{id}/edit");
        for uri in ["/admin", "/admin?q=secret", edit.as_str()] {
            let mut request = Request::get(uri);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            let reply = app.send(request.body(Body::empty()).unwrap()).await;
            assert!(
                matches!(reply.status, StatusCode::OK | StatusCode::SEE_OTHER),
                "{uri}: {}",
                reply.status
            );
            let text = reply.text();
            assert!(
                !text.contains("secret@example.org") && !text.contains("Texte en attente"),
                "{uri} leaks: {text}"
            );
        }
        for (uri, form) in [
            ("/admin/comments/approve", format!("csrf=x&only={id}")),
            (
                "/admin/privacy/erase",
                "csrf=x&email=secret%40example.org".to_owned(),
            ),
            ("/admin/logout", "csrf=x".to_owned()),
        ] {
            let reply = app.post_form(uri, &form, cookie).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
        }
    }
    assert_eq!(
        app.get("/api/v1/comments?page=/secret").await.json()["total"],
        0,
        "still held"
    );
    assert_eq!(app.count().await, 1, "still there");
}

/// Duplicates are found through a keyed index, whatever the page's size: the same text
/// from the same commenter is refused, whatever address they type, and from another
/// commenter it is not.
/// After an edit, the new text is the one that counts. An anonymised comment gets no
/// avatar back when the server restarts on its database.
#[tokio::test]
async fn duplicates_follow_edits_and_anonymised_comments_stay_anonymous() {
    let app = spawn(&["--edit-window", "15"]).await;
    let first = app
        .post(comment("/d", "Premier jet").to_string(), None)
        .await
        .json();
    let mut shouting = comment("/d", "Premier jet");
    shouting["email"] = json!("ZOE@Example.org");
    let again = app.post(shouting.to_string(), None).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"], "duplicate");
    let mut someone_else = comment("/d", "Premier jet");
    someone_else["email"] = json!("ana@example.org");
    assert_eq!(
        app.post_from("198.51.100.3", someone_else.to_string(), &[])
            .await
            .status,
        StatusCode::CREATED
    );

    let id = first["id"].as_i64().unwrap();
    let token = first["edit_token"].as_str().unwrap();
    let edited = app
        .send(
            Request::put(format!("/api/v1/comments/{id}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("causerie-edit-token", token)
                .body(Body::from(
                    json!({ "comment": "Version corrigée" }).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    let fixed = app
        .post(comment("/d", "Version corrigée").to_string(), None)
        .await;
    assert_eq!(fixed.json()["error"], "duplicate", "the edited text counts");
    assert_eq!(
        app.post(comment("/d", "Premier jet").to_string(), None)
            .await
            .status,
        StatusCode::CREATED,
        "the old text is gone"
    );

    // The site owner's edit counts too.
    assert!(app.store.edit(id, "Troisième version").await.unwrap());
    assert_eq!(
        app.post(comment("/d", "Troisième version").to_string(), None)
            .await
            .json()["error"],
        "duplicate"
    );

    let zoe = causerie_server::store::Email::parse("zoe@example.org").unwrap();
    assert_eq!(app.store.anonymise(&zoe).await.unwrap(), 2);
    let url = app.url.clone();
    let reopened = Store::open(&url).await.unwrap();
    let thread = reopened.threads("", "/d", 0, None).await.unwrap().0;
    for c in thread.iter().filter(|c| c.author == "—") {
        assert_eq!(c.avatar, "", "{c:?}");
    }
    assert_eq!(thread.iter().filter(|c| c.author == "—").count(), 2);
    // Anonymised, the texts no longer block anyone.
    assert_eq!(
        app.post(comment("/d", "Troisième version").to_string(), None)
            .await
            .status,
        StatusCode::CREATED
    );
}

/// The admin list shows 100 comments a page, held first, with links to the older and
/// newer pages that keep the search.
#[tokio::test]
async fn the_admin_list_pages_by_a_hundred() {
    let app = spawn(&[]).await;
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    for i in 0..105 {
        app.post(
            comment("/many", &format!("Numéro {i:03}")).to_string(),
            None,
        )
        .await;
    }
    let (cookie, _) = app.login(PASSWORD).await;
    let items = |html: &str| html.matches("<li class=").count();
    let first = app.admin_page(&cookie, "/admin?q=Num%C3%A9ro").await;
    assert_eq!(items(&first), 100);
    assert!(
        first.contains("Numéro 104") && !first.contains("Numéro 004"),
        "newest first"
    );
    assert!(
        first.contains("href=\"/admin?q=Num%C3%A9ro&#38;from=100\">Older comments</a>"),
        "{first}"
    );
    assert!(!first.contains("Newer comments"));
    let second = app
        .admin_page(&cookie, "/admin?q=Num%C3%A9ro&from=100")
        .await;
    assert_eq!(items(&second), 5);
    assert!(second.contains("Numéro 004") && second.contains("Numéro 000"));
    assert!(second.contains("href=\"/admin?q=Num%C3%A9ro&#38;from=0\">Newer comments</a>"));
    assert!(!second.contains("Older comments"));
}
