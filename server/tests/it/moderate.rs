//! The moderation links of the site owner's mail: a GET asks and changes nothing, the
//! button's POST acts once, and a forged, reused, expired or cross-site one changes
//! nothing and says the same.

use super::*;
use causerie_server::moderate::{Action, LIFETIME_MS, LinkKey};

/// The link's path and query, and the form body that its page's button posts.
fn link(app: &TestApp, id: i64, action: Action, expires: i64) -> (String, String) {
    let url = LinkKey::new(app.store.secret()).link("http://127.0.0.1", id, action, expires);
    let path = url.trim_start_matches("http://127.0.0.1").to_owned();
    let body = path.split_once('?').unwrap().1.to_owned();
    (path, body)
}

async fn press(app: &TestApp, body: &str, site: &str) -> Reply {
    app.send(
        Request::post("/mail/moderate")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
}

async fn status_of(app: &TestApp, id: i64) -> Option<String> {
    app.store.moderated_one(id).await.unwrap().map(|m| {
        format!(
            "{:?}{}",
            m.comment.status,
            if m.spam { " spam" } else { "" }
        )
    })
}

#[tokio::test]
async fn a_mails_link_asks_then_acts_once_and_nothing_else_opens_it() {
    let app = spawn(&["--moderation", "hold"]).await;
    let held = app
        .post(comment("/m", "En attente").to_string(), None)
        .await;
    assert_eq!(held.status, StatusCode::ACCEPTED);
    let id = held.json()["id"].as_i64().unwrap();
    let expires = app.clock.now() + LIFETIME_MS;
    let (path, body) = link(&app, id, Action::Approve, expires);

    // Opening the link (as a mail scanner does) asks, with the comment, and changes nothing.
    let page = app.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("Publish this comment?") && html.contains("En attente"),
        "{html}"
    );
    assert!(
        html.contains(r#"<form method="post" action="/mail/moderate">"#),
        "{html}"
    );
    assert_eq!(status_of(&app, id).await.as_deref(), Some("Pending"));
    // In the owner's mail's language (`l`, as `--owner-lang` puts it in the link), unless
    // the owner's browser asks for one of the twelve; right to left for Arabic.
    let japanese = app.get(&format!("{path}&l=ja")).await.text();
    assert!(
        japanese.contains("このコメントを公開しますか？"),
        "{japanese}"
    );
    assert!(
        japanese.contains(r#"name="l" value="ja""#),
        "the button keeps it: {japanese}"
    );
    let arabic = app.get(&format!("{path}&l=ar")).await.text();
    assert!(arabic.contains(r#"lang="ar" dir="rtl""#), "{arabic}");
    let browser = app.get_in(&format!("{path}&l=ja"), "fr-FR").await.text();
    assert!(browser.contains("Publier ce commentaire ?"), "{browser}");
    assert_eq!(status_of(&app, id).await.as_deref(), Some("Pending"));

    // Not from this server's own page: refused, and nothing changes.
    assert_eq!(
        press(&app, &body, "cross-site").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(status_of(&app, id).await.as_deref(), Some("Pending"));

    // Forged: another comment, another action, a later expiry, a changed signature.
    let other = app.post(comment("/m", "Une autre").to_string(), None).await;
    let other = other.json()["id"].as_i64().unwrap();
    let forged = [
        body.replace(&format!("c={id}"), &format!("c={other}")),
        body.replace("a=approve", "a=delete"),
        body.replace(&format!("e={expires}"), &format!("e={}", expires + 1)),
        format!(
            "{}{}",
            &body[..body.len() - 1],
            if body.ends_with('0') { '1' } else { '0' }
        ),
        String::new(),
        format!("{body}&c={other}"),
    ];
    let refusal = press(&app, &forged[0], "same-origin").await.text();
    for f in &forged {
        let reply = press(&app, f, "same-origin").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{f}");
        // One answer for every way a link fails: no oracle.
        assert_eq!(reply.text(), refusal, "{f}");
        let asked = app.get(&format!("/mail/moderate?{f}")).await;
        assert_eq!(asked.status, StatusCode::BAD_REQUEST, "{f}");
    }
    assert_eq!(status_of(&app, id).await.as_deref(), Some("Pending"));
    assert_eq!(status_of(&app, other).await.as_deref(), Some("Pending"));

    // The button: done, once.
    let done = press(&app, &body, "same-origin").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(status_of(&app, id).await.as_deref(), Some("Published"));
    let again = press(&app, &body, "same-origin").await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.text(),
        refusal,
        "a used link says what a forged one says"
    );
    assert_eq!(
        app.get(&path).await.status,
        StatusCode::BAD_REQUEST,
        "used: no question either"
    );

    // Expired: a week on, the other comment's spam link opens nothing.
    let (_, spam) = link(&app, other, Action::Spam, app.clock.now() + LIFETIME_MS);
    app.clock.advance(LIFETIME_MS + 1);
    assert_eq!(
        press(&app, &spam, "same-origin").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(status_of(&app, other).await.as_deref(), Some("Pending"));
    // A fresh one does.
    let (_, spam) = link(&app, other, Action::Spam, app.clock.now() + LIFETIME_MS);
    assert_eq!(
        press(&app, &spam, "same-origin").await.status,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&app, other).await.as_deref(),
        Some("Pending spam")
    );
}
