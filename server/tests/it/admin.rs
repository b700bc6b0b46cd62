//! The admin page and the `admin` commands: login, the cookie, CSRF, moderation, paging.

use super::*;

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
    app.store
        .approve(&[reply_id], 0, Default::default())
        .await
        .unwrap();
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
    // A blank address is refused: it would reach every comment whose address is gone.
    for blank in ["", "   "] {
        let (ok, out) = run(&["erase", blank], None);
        assert!(!ok, "{out}");
        assert!(out.contains("not an e-mail address"), "{out}");
    }
    let (_, out) = run(&["export", "zoe@example.org"], None);
    assert!(out.contains("zoe@example.org"), "nothing was erased: {out}");
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
