//! Privacy requests: export, anonymise, erase.

use super::*;

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
