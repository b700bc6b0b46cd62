//! The JSON API: posting, idempotency and retries, invalid input, CORS and the widget's
//! files, conditional GETs, counts, the feed, overload.

use super::*;

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
            post_raw("text/plain", "comment=a"),
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
        announce: Default::default(),
        edit_hash: None,
        author_key: vec![1; 16],
        avatar: "00".into(),
        duplicate: vec![now as u8; 16],
        subscribe: None,
        lang: "",
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

/// A build's folder, `pkg/<content hash>/`, is kept for a year; the loader, which names
/// it, for five minutes and then revalidated; anything else, and any error, revalidated.
#[tokio::test]
async fn a_builds_files_are_immutable_and_the_loader_is_kept_for_minutes() {
    let app = spawn(&[]).await;
    let build = app._dir.path().join("www/pkg/0123456789abcdef");
    std::fs::create_dir_all(&build).unwrap();
    std::fs::write(build.join("causerie_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();

    let hashed = app.get("/pkg/0123456789abcdef/causerie_bg.wasm").await;
    assert_eq!(hashed.status, StatusCode::OK);
    assert_eq!(
        hashed.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let embed = app.get("/embed.js").await;
    assert_eq!(
        embed.headers[header::CACHE_CONTROL],
        "public, max-age=300, must-revalidate"
    );
    let modified = embed.headers[header::LAST_MODIFIED].to_str().unwrap();
    let again = app
        .send(
            Request::get("/embed.js")
                .header(header::IF_MODIFIED_SINCE, modified)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        again.headers[header::CACHE_CONTROL],
        "public, max-age=300, must-revalidate"
    );
    let missing = app.get("/pkg/0123456789abcdef/causerie.js").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.headers[header::CACHE_CONTROL], "no-cache");
    let unversioned = app.get("/pkg/causerie_bg.wasm").await;
    assert_eq!(unversioned.headers[header::CACHE_CONTROL], "no-cache");
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

/// A thread page goes compressed with brotli to a client that accepts it (compressed
/// once, when cached), and plain to one that does not; both are the same JSON.
#[tokio::test]
async fn thread_pages_go_compressed_once_to_those_who_accept_it() {
    let app = spawn(&[]).await;
    for i in 0..20 {
        app.post(comment("/z", &format!("Commentaire {i}")).to_string(), None)
            .await;
    }
    let get = |encoding: &'static str| {
        let request = Request::get("/api/v1/comments?page=/z")
            .header(header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .unwrap();
        app.send(request)
    };
    let plain = get("identity").await;
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    let br = get("gzip, br").await;
    assert_eq!(br.headers[header::CONTENT_ENCODING], "br");
    assert!(br.body.len() < plain.body.len() / 2);
    let mut json = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut json).unwrap();
    assert_eq!(json, plain.body);
    let refused = get("br;q=0, gzip").await;
    assert_ne!(
        refused
            .headers
            .get(header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap()),
        Some("br")
    );
}
