//! The form without JavaScript: a plain HTML form's post, through the same pipeline.

use super::*;

/// A form's body from its fields.
fn fields(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A plain form's POST from `origin` (if any), as a browser sends it.
async fn post_plain(app: &TestApp, origin: Option<&str>, body: String) -> Reply {
    let mut request = Request::post("/api/v1/comments")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let mut request = request.body(Body::from(body)).unwrap();
    let peer: std::net::SocketAddr = "192.0.2.7:5000".parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    app.send(request).await
}

const BLOG: &str = "https://blog.example.com";

fn good<'a>(text: &'a str, back: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("comment", text),
        ("author", "Zoé <b>Durand</b>"),
        ("email", "zoe@example.org"),
        ("url", "https://zoe.example.org/"),
        ("comment_parent", "0"),
        ("page", "/a"),
        ("redirect_to", back),
    ]
}

/// A post with WordPress's names is stored as the JSON one would be, and the reader is
/// sent back to the article at their comment; the address appears in no header.
#[tokio::test]
async fn a_plain_form_post_is_stored_and_lands_on_the_comment() {
    let app = spawn(&["--allow-origin", BLOG]).await;
    let back = "https://blog.example.com/a?p=4#respond";
    let reply = post_plain(&app, Some(BLOG), fields(&good("Bonjour à tous", back))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    let location = reply.headers[header::LOCATION].to_str().unwrap();
    let thread = app.get("/api/v1/comments?page=/a").await.json();
    let stored = &thread["comments"][0];
    assert_eq!(stored["text"], "Bonjour à tous");
    assert_eq!(stored["author"], "Zoé <b>Durand</b>");
    assert_eq!(stored["url"], "https://zoe.example.org/");
    assert_eq!(
        location,
        format!("https://blog.example.com/a?p=4#comment-{}", stored["id"])
    );
    assert!(!format!("{:?}", reply.headers).contains("zoe@example.org"));

    // A reply, by `comment_parent`, goes under its parent.
    let id = stored["id"].to_string();
    let mut reply_fields = good("Je réponds", back);
    reply_fields[4] = ("comment_parent", &id);
    let replied = post_plain(&app, Some(BLOG), fields(&reply_fields)).await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.text());
    let thread = app.get("/api/v1/comments?page=/a").await.json();
    assert_eq!(thread["comments"][1]["text"], "Je réponds");
    assert_eq!(thread["comments"][1]["parent"], stored["id"]);
    assert_eq!(app.count().await, 2);
}

/// An invalid post stores nothing and answers the form again in the reader's language,
/// with everything typed (escaped: text, never markup) and each error by its field.
#[tokio::test]
async fn an_invalid_post_answers_the_form_with_its_errors_and_the_text_kept() {
    let app = spawn(&["--allow-origin", BLOG]).await;
    let mut body = good("", "https://blog.example.com/a");
    body[2] = ("email", "pas-une-adresse");
    body.push(("lang", "fr"));
    body[0] = ("comment", "");
    let reply = post_plain(&app, Some(BLOG), fields(&body)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count().await, 0);
    let html = reply.text();
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#), "{html}");
    assert!(
        html.contains("Veuillez corriger les champs"),
        "the general message in French: {html}"
    );
    assert!(html.contains(r#"data-testid="comment-error""#), "{html}");
    assert!(html.contains(r#"data-testid="email-error""#), "{html}");
    assert!(!html.contains(r#"data-testid="author-error""#), "{html}");
    assert!(html.contains("value=\"pas-une-adresse\""), "{html}");
    assert!(
        html.contains("Zoé &#60;b&#62;Durand&#60;/b&#62;")
            || html.contains("Zoé &lt;b&gt;Durand&lt;/b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>Durand"), "{html}");
    assert!(
        reply.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("default-src 'none'; form-action 'self' https://blog.example.com;")
    );
    // The form posts again, with the page, the way back and the language kept.
    assert!(html.contains(r#"name="page" value="/a""#), "{html}");
    assert!(
        html.contains(r#"name="redirect_to" value="https://blog.example.com/a""#),
        "{html}"
    );

    // Arabic is written right to left.
    let mut arabic = good("", "https://blog.example.com/a");
    arabic.push(("lang", "ar"));
    let html = post_plain(&app, Some(BLOG), fields(&arabic)).await.text();
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
}

/// The way back must be a page of the comment's site: anything else stores nothing.
#[tokio::test]
async fn a_post_that_would_redirect_elsewhere_stores_nothing() {
    let app = spawn(&["--allow-origin", BLOG]).await;
    for back in [
        "https://evil.example.com/a",
        "//evil.example.com/a",
        "https://blog.example.com.evil.example/",
        "javascript:alert(1)",
        "",
    ] {
        let reply = post_plain(&app, Some(BLOG), fields(&good("Bonjour", back))).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{back}");
        assert!(reply.headers.get(header::LOCATION).is_none(), "{back}");
    }
    // A page of another origin cannot make its readers post, even back to the blog.
    for back in ["https://evil.example.com/", "https://blog.example.com/a"] {
        let reply = post_plain(
            &app,
            Some("https://evil.example.com"),
            fields(&good("Bonjour", back)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{back}");
    }
    assert_eq!(app.count().await, 0);

    // The form answered again is this server's own page: its post is for the site of
    // its way back.
    let mut again = Request::post("/api/v1/comments")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "comments.example.com")
        .header(header::ORIGIN, "https://comments.example.com")
        .body(Body::from(fields(&good(
            "Encore",
            "https://blog.example.com/a",
        ))))
        .unwrap();
    let peer: std::net::SocketAddr = "192.0.2.7:5000".parse().unwrap();
    again
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let reply = app.send(again).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(app.count().await, 1);

    // A server with no site configured serves its own pages: only a path on it.
    let own = spawn(&[]).await;
    let reply = post_plain(&own, None, fields(&good("Bonjour", "//evil.example.com/"))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = post_plain(
        &own,
        Some("https://evil.example.com"),
        fields(&good("Bonjour", "/a")),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(own.count().await, 0);
    let reply = post_plain(&own, None, fields(&good("Bonjour", "/a"))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert!(
        reply.headers[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/a#comment-")
    );
}

/// The defences hold as with JSON: the honeypot refuses, the form's token must be old
/// enough (and is kept when the form is answered again), and a held comment is announced
/// at the article's `#causerie-held`.
#[tokio::test]
async fn the_defences_and_moderation_hold_for_a_plain_form() {
    let app = spawn(&["--allow-origin", BLOG, "--min-seconds", "2"]).await;
    let back = "https://blog.example.com/a";
    let mut trapped = good("Achetez", back);
    trapped.push(("trap", "x"));
    let reply = post_plain(&app, Some(BLOG), fields(&trapped)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count().await, 0);

    // Without a token, too fast; the answer carries a token signed now.
    let reply = post_plain(&app, Some(BLOG), fields(&good("Bonjour", back))).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = reply.text();
    assert!(html.contains("That was quick!"), "{html}");
    assert!(html.contains("Bonjour"), "the text is kept: {html}");
    let token = html
        .split(r#"name="form_token" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let mut with_token = good("Bonjour", back);
    with_token.push(("form_token", &token));
    let early = post_plain(&app, Some(BLOG), fields(&with_token)).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.text().contains(&token),
        "the same token, so that its time counts"
    );
    app.clock.advance(2_100);
    let reply = post_plain(&app, Some(BLOG), fields(&with_token)).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(app.count().await, 1);

    let held = spawn(&["--allow-origin", BLOG, "--moderation", "hold"]).await;
    let reply = post_plain(&held, Some(BLOG), fields(&good("À modérer", back))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(
        reply.headers[header::LOCATION],
        "https://blog.example.com/a#causerie-held"
    );
    assert_eq!(held.count().await, 1);
}

/// Without JavaScript, each comment of the thread as HTML links to a reply form: it
/// names the comment answered, keeps the way back, and its post goes under the parent.
/// A parent that is not a published comment of the page, or a way back off the site,
/// gets no form.
#[tokio::test]
async fn the_reply_form_without_javascript_answers_its_comment() {
    let app = spawn(&["--allow-origin", BLOG]).await;
    let parent = app
        .post(comment("/a", "Le parent").to_string(), None)
        .await
        .json();
    let id = parent["id"].as_i64().unwrap();
    let back = form_urlencoded::byte_serialize(b"https://blog.example.com/a").collect::<String>();
    let reply = app
        .get(&format!(
            "/api/v1/reply.html?page=/a&parent={id}&lang=fr&redirect_to={back}"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let html = reply.text();
    assert!(html.contains("<h1>Répondre à Zoé</h1>"), "{html}");
    assert!(
        html.contains("<blockquote><p>Le parent</p></blockquote>"),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"name="comment_parent" value="{id}""#)),
        "{html}"
    );
    assert!(
        !html.contains("role=\"alert\""),
        "nothing went wrong yet: {html}"
    );

    // The thread as HTML links to it.
    let fragment = app.get("/api/v1/thread.html?page=/a").await.text();
    assert!(
        fragment.contains(&format!("/api/v1/reply.html?page=/a&amp;parent={id}&amp;")),
        "{fragment}"
    );

    let mut body = good("La réponse", "https://blog.example.com/a");
    let parent_id = id.to_string();
    body[4] = ("comment_parent", &parent_id);
    let posted = post_plain(&app, Some(BLOG), fields(&body)).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text());
    let thread = app.get("/api/v1/comments?page=/a").await.json();
    assert_eq!(thread["comments"][1]["parent"], id);

    for query in [
        format!("page=/b&parent={id}&redirect_to={back}"),
        format!("page=/a&parent=999&redirect_to={back}"),
    ] {
        let reply = app.get(&format!("/api/v1/reply.html?{query}")).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{query}");
    }
    let evil = form_urlencoded::byte_serialize(b"https://evil.example.com/").collect::<String>();
    let reply = app
        .get(&format!(
            "/api/v1/reply.html?page=/a&parent={id}&redirect_to={evil}"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}
