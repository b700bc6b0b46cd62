//! `causerie-server export`: the JSON Lines of `docs/export.md`, every field included.

use super::*;

/// The export's lines: the header, then the comments.
async fn export(app: &TestApp, site: Option<&str>) -> (Value, Vec<Value>) {
    let mut out = Vec::new();
    let written =
        causerie_server::export::causerie(&app.store, &app.state.sites, site, 42, &mut out)
            .await
            .unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap());
    let header = lines.next().expect("a header line");
    let comments: Vec<Value> = lines.collect();
    assert_eq!(
        written,
        comments.len() as u64,
        "the count is what was written"
    );
    (header, comments)
}

/// Every comment, with its private fields, its status (spam included), its parent and
/// its site's origin; a parent before its replies; only one site's with `--site`.
#[tokio::test]
async fn the_export_holds_every_comment_with_every_field() {
    let app = spawn(&[
        "--allow-origin",
        "https://blog.example,https://other.example",
    ])
    .await;
    let app = &app;
    let post = |origin: &'static str, body: Value| async move {
        app.post_from("198.51.100.7", body.to_string(), &[("origin", origin)])
            .await
    };
    let mut first = comment("/été", "Premier\n<b>pas du HTML</b>");
    first["email"] = json!("ana@example.org");
    first["url"] = json!("https://ana.example/");
    let first = post("https://blog.example", first).await.json();
    let mut reply = comment("/été", "Réponse");
    reply["parent"] = first["id"].clone();
    let reply = post("https://blog.example", reply).await.json();
    let spam = post("https://blog.example", comment("/été", "Achetez"))
        .await
        .json();
    app.store
        .mark_spam(&[spam["id"].as_i64().unwrap()])
        .await
        .unwrap();
    let other = post("https://other.example", comment("/about", "Ailleurs"))
        .await
        .json();

    let (header, all) = export(app, None).await;
    assert_eq!(header["format"], "causerie");
    assert_eq!(header["version"], 1);
    assert_eq!(header["exported"], 42);
    assert_eq!(all.len(), 4);
    let ids: Vec<i64> = all.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in the order of ids: {ids:?}"
    );

    let one = &all[0];
    assert_eq!(one["id"], first["id"]);
    assert_eq!(
        one["site"], "https://blog.example",
        "the default site by its origin"
    );
    assert_eq!(one["page"], "/été");
    assert_eq!(one["parent"], Value::Null);
    assert_eq!(one["text"], "Premier\n<b>pas du HTML</b>");
    assert_eq!(
        one["email"], "ana@example.org",
        "private fields are the owner's"
    );
    assert_eq!(one["url"], "https://ana.example/");
    assert_eq!(one["ip"], "198.51.100.7");
    assert_eq!(one["status"], "published");
    assert_eq!(one["deleted"], false);
    assert_eq!(one["created"], first["created"]);
    assert_eq!(all[1]["parent"], first["id"], "a reply names its parent");
    assert_eq!(all[1]["id"], reply["id"]);
    assert_eq!(all[2]["status"], "spam");
    assert_eq!(all[3]["site"], "https://other.example");
    assert_eq!(all[3]["id"], other["id"]);
    let fields: Vec<&str> = one
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for field in [
        "id", "site", "page", "parent", "author", "email", "url", "text", "created", "status",
        "deleted", "ip",
    ] {
        assert!(
            fields.contains(&field),
            "{field} is in every line: {fields:?}"
        );
    }

    let (_, other_only) = export(app, Some("https://other.example")).await;
    assert_eq!(other_only.len(), 1);
    assert_eq!(other_only[0]["text"], "Ailleurs");
    let (_, blog_only) = export(app, Some("https://blog.example/")).await;
    assert_eq!(blog_only.len(), 3, "the default site, named by its origin");
}

/// More comments than one page of the database's reads: all of them, once each.
#[tokio::test]
async fn the_export_reads_past_its_first_page() {
    let app = spawn(&[]).await;
    for n in 0..1_005 {
        let reply = app
            .post(comment("/long", &format!("n° {n}")).to_string(), None)
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    }
    let (_, all) = export(&app, None).await;
    assert_eq!(all.len(), 1_005);
    let texts: std::collections::HashSet<&str> =
        all.iter().map(|c| c["text"].as_str().unwrap()).collect();
    assert_eq!(texts.len(), 1_005, "each comment once");
}

/// An unknown `--site` is an error that names it, and writes nothing.
#[tokio::test]
async fn an_export_of_an_unknown_site_is_refused() {
    let app = spawn(&["--allow-origin", "https://blog.example"]).await;
    app.post(comment("/a", "Bonjour").to_string(), None).await;
    let mut out = Vec::new();
    let error = causerie_server::export::causerie(
        &app.store,
        &app.state.sites,
        Some("https://nowhere.example"),
        0,
        &mut out,
    )
    .await
    .unwrap_err();
    assert!(
        error.to_string().contains("https://nowhere.example"),
        "{error}"
    );
    assert!(out.is_empty(), "nothing was written");
}

/// The admin page's download: a POST with the session and its CSRF token, streamed as
/// an attachment that no cache keeps; without the token, or without a session, nothing.
#[tokio::test]
async fn the_admin_page_downloads_the_export_by_post_with_its_csrf_token() {
    let app = spawn(&[]).await;
    let mut body = comment("/a", "Bonjour");
    body["email"] = json!("ana@example.org");
    app.post(body.to_string(), None).await;
    causerie_server::set_password(&app.store, PASSWORD)
        .await
        .unwrap();
    let (cookie, csrf) = app.login(PASSWORD).await;
    assert!(
        app.admin_page(&cookie, "/admin")
            .await
            .contains("action=\"/admin/export\""),
        "the page offers it"
    );

    let refused = app
        .post_form("/admin/export", "csrf=wrong", Some(&cookie))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.text().contains("ana@example.org"));
    let anonymous = app
        .post_form("/admin/export", &format!("csrf={csrf}"), None)
        .await;
    assert!(!anonymous.status.is_success(), "{}", anonymous.status);
    assert!(!anonymous.text().contains("ana@example.org"));

    let download = app
        .post_form("/admin/export", &format!("csrf={csrf}"), Some(&cookie))
        .await;
    assert_eq!(download.status, StatusCode::OK, "{}", download.text());
    assert_eq!(download.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let text = download.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["format"], "causerie");
    assert_eq!(lines[1]["email"], "ana@example.org");
}
