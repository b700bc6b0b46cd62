//! The server, in-process: `app(state)` driven with `oneshot`, over a real SQLite file.

use axum::{
    Router,
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use causerie_server::{AppState, Config, Moderation, Store, app};
use clap::{CommandFactory, Parser};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A server over a fresh database in a temporary folder, with a small `www`.
struct TestApp {
    router: Router,
    store: Store,
    _dir: tempfile::TempDir,
}

async fn spawn(args: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir_all(www.join("pkg")).unwrap();
    std::fs::write(www.join("embed.js"), "/* loader */ ".repeat(100)).unwrap();
    std::fs::write(www.join("pkg/causerie_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let db = format!("sqlite://{}/db/causerie.db", dir.path().display());
    let mut argv = vec!["causerie-server", "--database", &db];
    argv.extend_from_slice(args);
    let config = Config::try_parse_from(argv).unwrap();
    let store = Store::open(&config.database).await.unwrap();
    let state = AppState::new(store.clone(), &config).unwrap();
    TestApp {
        router: app(state, &www),
        store,
        _dir: dir,
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

    async fn post(&self, body: impl Into<Body>, key: Option<&str>) -> Reply {
        let mut request =
            Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        self.send(request.body(body.into()).unwrap()).await
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

    let fresh = app.post(body.to_string(), Some("key-2")).await;
    assert_eq!(fresh.status, StatusCode::CREATED);
    assert_eq!(app.count().await, 2);
}

/// Concurrent retries with one key create one comment.
#[tokio::test]
async fn concurrent_retries_create_one_comment() {
    let app = spawn(&[]).await;
    let body = comment("/a", "En même temps").to_string();
    let replies = futures_join(&app, &body).await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
        assert_eq!(reply.body, replies[0].body);
    }
    assert_eq!(app.count().await, 1);
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
    for s in data["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
    {
        let body = json!({"page": "/naughty", "comment": s, "author": s, "email": "n@example.org"});
        let reply = app.post(body.to_string(), None).await;
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
    let expected: Vec<&str> = data["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .filter(|s| {
            causerie_protocol::check_comment(s).is_ok()
                && causerie_protocol::check_author(s).is_ok()
        })
        .collect();
    assert_eq!(texts, expected);
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
    assert_eq!(config.moderation, Moderation::Publish);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert!(Config::try_parse_from(["causerie-server", "--moderation", "sometimes"]).is_err());
}

fn post_raw(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post("/api/v1/comments")
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}
