//! Regression tests for the review of issue 11, "One path for every comment": each is
//! named after a promise that a path used to break, and tries it as the attacker did.

use super::*;

/// A comment's JSON, from the address `ip`.
async fn post_as(app: &TestApp, ip: &str, body: &Value) -> Reply {
    app.post_from(ip, body.to_string(), &[]).await
}

/// Finding 1: a guessed address confirms nothing, and impersonates nobody. The victim's
/// comment was approved; a stranger posting with their address gets what any stranger
/// gets: held (202), another avatar.
#[tokio::test]
async fn a_guessed_address_confirms_nothing() {
    let app = spawn(&["--moderation", "first-time"]).await;
    let mut victim = comment("/p", "Je suis Zoé");
    victim["email"] = json!("victim@example.org");
    let first = post_as(&app, "198.51.100.1", &victim).await.json();
    app.store
        .approve(&[first["id"].as_i64().unwrap()], 0, Default::default())
        .await
        .unwrap();
    let mut right = comment("/p", "Sonde");
    right["email"] = json!("victim@example.org");
    right["author"] = json!("Zoé");
    let mut wrong = right.clone();
    wrong["email"] = json!("nobody@example.org");
    wrong["comment"] = json!("Sonde 2");
    let right = post_as(&app, "203.0.113.9", &right).await;
    let wrong = post_as(&app, "203.0.113.9", &wrong).await;
    assert_eq!(
        right.status,
        StatusCode::ACCEPTED,
        "not published as the victim"
    );
    assert_eq!(right.status, wrong.status);
    assert_ne!(right.json()["avatar"], first["avatar"]);
    let public = app.get("/api/v1/comments?page=/p").await.json();
    assert_eq!(public["total"], 1);
}

/// Finding 2: deleting one's own comments does not give the posting quota back.
#[tokio::test]
async fn deleting_ones_comments_does_not_reset_the_rate_limit() {
    let app = spawn(&["--max-posts-per-ip", "3"]).await;
    for i in 0..3 {
        let posted = post_as(&app, "203.0.113.2", &comment("/r", &format!("n° {i}"))).await;
        assert_eq!(posted.status, StatusCode::CREATED);
        let posted = posted.json();
        let deleted = app
            .send(
                Request::delete(format!("/api/v1/comments/{}", posted["id"]))
                    .header(
                        "causerie-edit-token",
                        posted["edit_token"].as_str().unwrap(),
                    )
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    }
    let fourth = post_as(&app, "203.0.113.2", &comment("/r", "n° 3")).await;
    assert_eq!(fourth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count().await, 0);
}

/// The author's PUT of `text` on the comment `posted`.
fn edit_request(posted: &Value, text: &str) -> Request<Body> {
    Request::put(format!("/api/v1/comments/{}", posted["id"]))
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            "causerie-edit-token",
            posted["edit_token"].as_str().unwrap(),
        )
        .body(Body::from(json!({ "comment": text }).to_string()))
        .unwrap()
}

/// Finding 3: an author's edit meets the defences and the moderation decision again.
#[tokio::test]
async fn an_authors_edit_meets_the_same_defences() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("blocklist.txt");
    std::fs::write(&rules, "word:casino\n").unwrap();
    let rules = rules.to_str().unwrap();
    let app = spawn(&["--moderation", "first-time", "--blocklist", rules]).await;
    let posted = app
        .post(comment("/e", "Bonjour").to_string(), None)
        .await
        .json();
    app.store
        .approve(&[posted["id"].as_i64().unwrap()], 0, Default::default())
        .await
        .unwrap();
    let links = "https://a.example https://b.example https://c.example https://d.example \
                 https://e.example casino";
    let edited = app.send(edit_request(&posted, links)).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["status"], "pending", "held again");
    assert_eq!(app.get("/api/v1/comments?page=/e").await.json()["total"], 0);
    // Under `hold`, every edit is held; under `reject`, a blocked edit changes nothing.
    let held = spawn(&["--moderation", "hold"]).await;
    let posted = held
        .post(comment("/e", "Bonjour").to_string(), None)
        .await
        .json();
    held.store
        .approve(&[posted["id"].as_i64().unwrap()], 0, Default::default())
        .await
        .unwrap();
    let edited = held.send(edit_request(&posted, "Autre chose")).await.json();
    assert_eq!(edited["status"], "pending");
    let strict = spawn(&["--blocklist", rules, "--blocklist-action", "reject"]).await;
    let posted = strict
        .post(comment("/e", "Bonjour").to_string(), None)
        .await
        .json();
    let refused = strict.send(edit_request(&posted, "casino !")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "blocked");
    assert_eq!(
        strict.get("/api/v1/comments?page=/e").await.json()["comments"][0]["text"],
        "Bonjour"
    );
}

/// Finding 4: a body that trickles in meets a deadline for the whole body, however
/// often its bytes come.
#[tokio::test]
async fn a_trickling_body_meets_a_deadline() {
    let app = spawn(&["--client-timeout", "1"]).await;
    let trickle = futures_util_stream();
    let started = std::time::Instant::now();
    let reply = app
        .send(
            Request::post("/api/v1/comments")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::new(trickle))
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(reply.json()["error"], "request_timeout");
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    assert_eq!(app.count().await, 0);
}

/// A body that sends one byte every 200 ms, forever.
fn futures_util_stream()
-> impl axum::body::HttpBody<Data = axum::body::Bytes, Error = std::io::Error> + Send + 'static {
    struct Trickle(tokio::time::Interval);
    impl axum::body::HttpBody for Trickle {
        type Data = axum::body::Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
            match self.0.poll_tick(cx) {
                std::task::Poll::Ready(_) => std::task::Poll::Ready(Some(Ok(
                    hyper::body::Frame::data(axum::body::Bytes::from_static(b" ")),
                ))),
                std::task::Poll::Pending => std::task::Poll::Pending,
            }
        }
    }
    Trickle(tokio::time::interval(std::time::Duration::from_millis(200)))
}

/// Finding 5: conditional requests do not fill the thread cache, whatever pages they
/// name.
#[tokio::test]
async fn the_thread_cache_is_bounded_and_a_304_does_not_fill_it() {
    let app = spawn(&[]).await;
    app.post(comment("/c", "Un").to_string(), None).await;
    for i in 0..300 {
        let reply = app
            .send(
                Request::get(format!("/api/v1/comments?page=/c&limit={}", i % 500 + 1))
                    .header(header::IF_NONE_MATCH, "*")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED);
    }
    assert_eq!(app.state.threads.bytes(), 0);
    assert_eq!(
        app.get("/api/v1/comments?page=/c").await.status,
        StatusCode::OK
    );
    assert!(app.state.threads.bytes() > 0, "a plain GET fills it");
}

/// Finding 6: a thread belongs to a site, and its moderation is its site's: a post
/// that claims the lenient site lands on the lenient site's thread, never the strict's.
#[tokio::test]
async fn moderation_comes_from_the_threads_site() {
    let app = spawn(&[
        "--allow-origin",
        "https://lenient.example,https://strict.example",
        "--moderation",
        "publish",
    ])
    .await;
    // Two sites, one `/about` each (their own modes: the next test).
    let post = |origin: &str, text: &str| {
        let request = Request::post("/api/v1/comments")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .body(Body::from(comment("/about", text).to_string()))
            .unwrap();
        app.send(request)
    };
    assert_eq!(
        post("https://lenient.example", "du premier").await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        post("https://strict.example", "du second").await.status,
        StatusCode::CREATED
    );
    let app = &app;
    let thread = |origin: &'static str| async move {
        let reply = app
            .send(
                Request::get("/api/v1/comments?page=/about")
                    .header(header::ORIGIN, origin)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .json();
        reply["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(thread("https://lenient.example").await, ["du premier"]);
    assert_eq!(thread("https://strict.example").await, ["du second"]);
}

/// Finding 6, with each site's own mode from the configuration file.
#[tokio::test]
async fn a_lenient_origin_publishes_nothing_on_a_strict_site() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path()).await;
    let file = dir.path().join("causerie.toml");
    std::fs::write(
        &file,
        format!(
            "database = \"{db}\"\nmin_seconds = 0\n\
             [[site]]\norigin = \"https://strict.example\"\nmoderation = \"hold\"\n\
             [[site]]\norigin = \"https://lenient.example\"\nmoderation = \"publish\"\n"
        ),
    )
    .unwrap();
    let config = Config::load_from(
        vec![
            "causerie-server".into(),
            "--config".into(),
            file.display().to_string(),
        ],
        |_| None,
    )
    .unwrap();
    let store = Store::open(&config.database).await.unwrap();
    let router = app(AppState::new(store, &config).unwrap(), dir.path());
    let request = |method: &str, origin: &str, body: Body| {
        Request::builder()
            .method(method)
            .uri(if method == "GET" {
                "/api/v1/comments?page=/about"
            } else {
                "/api/v1/comments"
            })
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .body(body)
            .unwrap()
    };
    let lenient = send(
        router.clone(),
        request(
            "POST",
            "https://lenient.example",
            Body::from(comment("/about", "Publié ?").to_string()),
        ),
    )
    .await;
    assert_eq!(
        lenient.status,
        StatusCode::CREATED,
        "on the lenient site's thread"
    );
    let strict = send(
        router.clone(),
        request("GET", "https://strict.example", Body::empty()),
    )
    .await
    .json();
    assert_eq!(strict["total"], 0, "nothing on the strict site's /about");
    let held = send(
        router.clone(),
        request(
            "POST",
            "https://strict.example",
            Body::from(comment("/about", "Tenu").to_string()),
        ),
    )
    .await;
    assert_eq!(held.status, StatusCode::ACCEPTED);
}

/// Finding 7: the login limiter counts an attempt before checking it, so that a burst
/// of concurrent guesses gets no more than the limit; and it counts the client behind
/// a trusted proxy, so that a stranger's guesses lock out nobody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_login_limiter_is_atomic_and_counts_the_client_behind_a_proxy() {
    let app = spawn(&["--trusted-proxy", "10.0.0.1"]).await;
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let login = |client: &str, password: &str| {
        let mut request = form("/admin/login")
            .header("x-forwarded-for", client)
            .body(Body::from(format!("password={password}")))
            .unwrap();
        let peer: std::net::SocketAddr = "10.0.0.1:4000".parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        send(app.router.clone(), request)
    };
    let burst: Vec<_> = (0..40)
        .map(|_| tokio::spawn(login("203.0.113.66", "wrong")))
        .collect();
    let mut checked = 0;
    for reply in burst {
        match reply.await.unwrap().status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{other}"),
        }
    }
    assert_eq!(checked, 5, "only the limit's worth of guesses were checked");
    let right = form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect::<String>();
    assert_eq!(
        login("203.0.113.66", &right).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login("198.51.100.20", &right).await.status,
        StatusCode::SEE_OTHER,
        "the real admin, behind the same proxy, is not locked out"
    );
}

/// Everything stored, as text: the SQLite file and its WAL, or every row of every
/// table on PostgreSQL.
async fn everything_stored(app: &TestApp) -> String {
    if app.store.is_postgres() {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&app.url).await.unwrap();
        let mut all = String::new();
        for (table, _) in app.store.columns().await.unwrap() {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT t::text FROM {table} t"
            )))
            .fetch_all(&mut c)
            .await
            .unwrap();
            all.extend(rows);
        }
        all
    } else {
        let file = app.url.trim_start_matches("sqlite://").to_owned();
        let mut bytes = std::fs::read(&file).unwrap();
        bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Finding 8: an edit token is stored nowhere in plain text, and a replay still
/// answers with it.
#[tokio::test]
async fn edit_tokens_are_never_stored_in_plain_text() {
    let app = spawn(&[]).await;
    let body = comment("/t", "Avec jeton").to_string();
    let first = app.post(body.clone(), Some("token-key")).await.json();
    let token = first["edit_token"].as_str().unwrap().to_owned();
    let identity = first["identity"].as_str().unwrap().to_owned();
    let replay = app.post(body, Some("token-key")).await.json();
    assert_eq!(
        replay["edit_token"],
        token.as_str(),
        "a replay answers the same"
    );
    assert_eq!(replay["identity"], identity.as_str());
    let stored = everything_stored(&app).await;
    assert!(stored.contains("Avec jeton"), "the scan reads the data");
    assert!(
        !stored.contains(&token),
        "the edit token is stored in plain text"
    );
    assert!(
        !stored.contains(&identity),
        "the identity is stored in plain text"
    );
}

/// Finding 9: after an erasure nothing of the person is left: not in the comments, the
/// idempotency keys, the outbox, nor, on SQLite, the file and its WAL; a replay of
/// their key returns nothing; a blank address is refused.
#[tokio::test]
async fn erase_leaves_nothing_behind() {
    let app = spawn(&[
        "--webhook-url",
        "http://127.0.0.1:9/unreachable",
        "--webhook-secret",
        "s",
    ])
    .await;
    let mut body = comment("/x", "Texte très personnel de Philomène");
    body["author"] = json!("Philomène Tartempion");
    body["email"] = json!("philomene@example.org");
    body["url"] = json!("https://philomene.example");
    let body = body.to_string();
    let first = app.post(body.clone(), Some("erase-key")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert!(everything_stored(&app).await.contains("Tartempion"));
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 1);

    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let (cookie, csrf) = app.login(PASSWORD).await;
    for blank in ["", "%20%20%20"] {
        let refused = app
            .post_form(
                "/admin/privacy/erase",
                &format!("csrf={csrf}&email={blank}"),
                Some(&cookie),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{blank:?}");
    }
    assert_eq!(app.count().await, 1, "a blank address erased nothing");
    let erased = app
        .post_form(
            "/admin/privacy/erase",
            &format!("csrf={csrf}&email=philomene%40example.org"),
            Some(&cookie),
        )
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count().await, 0);
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 0);
    let replay = app.post(body, Some("erase-key")).await;
    assert_eq!(replay.status, StatusCode::NOT_FOUND);
    assert!(!replay.text().contains("Tartempion"));
    let stored = everything_stored(&app).await;
    for trace in ["Tartempion", "Philomène", "philomene", "très personnel"] {
        assert!(!stored.contains(trace), "{trace} is still stored");
    }
}

/// Finding 10: a placeholder cannot be replied to, and is not in the feed.
#[tokio::test]
async fn a_placeholder_cannot_be_replied_to_nor_shows_in_the_feed() {
    let app = spawn(&[]).await;
    let posted = app
        .post(comment("/ph", "Bientôt effacé").to_string(), None)
        .await
        .json();
    let mut reply = comment("/ph", "Une réponse");
    reply["parent"] = posted["id"].clone();
    app.post(reply.to_string(), None).await;
    let deleted = app
        .send(
            Request::delete(format!("/api/v1/comments/{}", posted["id"]))
                .header(
                    "causerie-edit-token",
                    posted["edit_token"].as_str().unwrap(),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let mut late = comment("/ph", "Trop tard");
    late["parent"] = posted["id"].clone();
    let refused = app.post(late.to_string(), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "invalid_parent");
    let feed = app.get("/api/v1/feed?page=/ph").await.text();
    assert_eq!(feed.matches("<entry>").count(), 1, "{feed}");
    assert!(feed.contains("Une réponse"));
}

/// A held comment and a missing one answer an author's request alike: 404.
#[tokio::test]
async fn held_and_missing_comments_answer_the_same_404() {
    let app = spawn(&["--moderation", "hold"]).await;
    let held = app
        .post(comment("/h", "En attente").to_string(), None)
        .await
        .json();
    let forged = json!({"id": held["id"], "edit_token": "0123456789abcdef0123456789abcdef"});
    let missing = json!({"id": 999_999, "edit_token": "0123456789abcdef0123456789abcdef"});
    let a = app.send(edit_request(&forged, "Volé")).await;
    let b = app.send(edit_request(&missing, "Volé")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!((a.status, a.body), (b.status, b.body));
}

/// The SQLite file is readable by its owner only.
#[tokio::test]
async fn the_database_file_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new/causerie.db");
    let store = Store::open(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    store.close().await;
}

/// The admin page links a comment's page only as a path, and isolates names that
/// carry bidirectional overrides.
#[tokio::test]
async fn admin_links_are_paths_and_names_are_isolated() {
    let app = spawn(&["--moderation", "hold"]).await;
    for page in ["javascript:alert(1)", "//evil.example/x", "/bon/chemin"] {
        let mut body = comment(page, "Texte");
        body["author"] = json!("\u{202E}evil\u{202C}");
        app.post(body.to_string(), None).await;
    }
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let (cookie, _) = app.login(PASSWORD).await;
    let page = app.admin_page(&cookie, "/admin").await;
    assert!(!page.contains("href=\"javascript:"), "{page}");
    assert!(!page.contains("href=\"//evil"), "{page}");
    assert!(page.contains("href=\"/bon/chemin\""));
    assert!(page.contains("<bdi>\u{202E}evil\u{202C}</bdi>"));
}

/// No symbolic link in `www` serves a file from outside it.
#[tokio::test]
async fn no_symlink_leads_out_of_www() {
    let app = spawn(&[]).await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let www = app._dir.path().join("www");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), www.join("leak.txt")).unwrap();
    let reply = app.get("/leak.txt").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(!reply.text().contains("secret"));
    assert_eq!(app.get("/embed.js").await.status, StatusCode::OK);
}

/// Every column of a migrated database is in the privacy map, and the map names no
/// column that is gone.
#[tokio::test]
async fn the_privacy_map_classifies_every_column() {
    let app = spawn(&[]).await;
    let columns = app.store.columns().await.unwrap();
    assert!(columns.len() > 20);
    let unclassified: Vec<_> = columns
        .iter()
        .filter(|(t, c)| !causerie_server::privacy::classifies(t, c))
        .collect();
    assert!(
        unclassified.is_empty(),
        "not in privacy.rs: {unclassified:?}"
    );
    for c in causerie_server::privacy::MAP {
        assert!(
            columns
                .iter()
                .any(|(t, col)| t == c.table && col == c.column),
            "privacy.rs names {}.{}, which is gone",
            c.table,
            c.column
        );
    }
}
