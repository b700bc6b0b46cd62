//! The thread as HTML (`GET /api/v1/thread.html`): what readers without JavaScript and
//! search engines read.

use super::*;

/// Every tag and attribute of `html`, as a browser's tokenizer reads them.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    use html5gum::{Token, Tokenizer};
    Tokenizer::new(html)
        .flatten()
        .filter_map(|token| match token {
            Token::StartTag(tag) => Some((
                String::from_utf8_lossy(&tag.name).into_owned(),
                tag.attributes
                    .iter()
                    .map(|(k, v)| {
                        (
                            String::from_utf8_lossy(k).into_owned(),
                            String::from_utf8_lossy(v).into_owned(),
                        )
                    })
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

/// The fragment holds the host, its declarative shadow root with the stylesheet as a
/// file, the count, the threads nested with schema.org markup, and a form that posts
/// without script; never an e-mail address. An unchanged thread is answered 304.
#[tokio::test]
async fn the_thread_as_html_has_the_comments_and_a_form() {
    let app = spawn(&[]).await;
    let first = app
        .post(comment("/a", "Premier avis").to_string(), None)
        .await
        .json();
    app.post(
        reply_to("/a", "Une réponse", &first["id"]).to_string(),
        None,
    )
    .await;
    let reply = app.get("/api/v1/thread.html?page=/a&lang=fr").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let html = reply.text();
    assert!(
        html.starts_with("<div data-causerie data-page=\"/a\""),
        "{html}"
    );
    assert!(
        html.contains(r#"<template shadowrootmode="open"><link rel="stylesheet" href="http://"#)
    );
    assert!(html.contains("causerie.css\">"), "{html}");
    assert!(html.contains(">2 commentaires</h2>"), "{html}");
    assert!(html.contains("Premier avis") && html.contains("Une réponse"));
    assert!(!html.contains("zoe@example.org"), "no e-mail: {html}");
    assert!(
        !html.contains("<style") && !html.contains(" style="),
        "no inline style"
    );
    let tags = tags(&html);
    let comments = tags
        .iter()
        .filter(|(_, attrs)| {
            attrs.contains(&("itemtype".into(), "https://schema.org/Comment".into()))
        })
        .count();
    assert_eq!(comments, 2);
    // The reply is in its parent's list of replies.
    let at = |needle: &str| html.find(needle).unwrap();
    assert!(
        at("<ol class=\"replies\">") > at("Premier avis")
            && at("<ol class=\"replies\">") < at("Une réponse")
    );
    let form = tags.iter().find(|(name, _)| name == "form").unwrap();
    assert!(form.1.contains(&("method".into(), "post".into())));
    for name in [
        "comment",
        "author",
        "email",
        "url",
        "page",
        "comment_parent",
        "form_token",
        "redirect_to",
    ] {
        assert!(
            tags.iter()
                .any(|(_, attrs)| attrs.contains(&("name".into(), name.into()))),
            "{name}"
        );
    }

    let etag = reply.headers[header::ETAG].to_str().unwrap().to_owned();
    let revalidate = || {
        app.send(
            Request::get("/api/v1/thread.html?page=/a&lang=fr")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
    };
    let again = revalidate().await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    // The form's token is left out of the ETag, and in the page it is a fresh one.
    assert!(!reply.text().contains(r#"name="form_token" value="""#));
    app.post(comment("/a", "Un troisième").to_string(), None)
        .await;
    let changed = revalidate().await;
    assert_eq!(changed.status, StatusCode::OK);
    assert!(changed.text().contains(">3 commentaires</h2>"));

    // In another language, with its own plural; the site owner may forbid snippets.
    let ru = app.get("/api/v1/thread.html?page=/a&lang=ru").await.text();
    assert!(
        ru.contains("lang=\"ru\"") && !ru.contains("data-nosnippet"),
        "{ru}"
    );
    let quiet = spawn(&["--snippets", "nosnippet"]).await;
    let html = quiet.get("/api/v1/thread.html?page=/a").await.text();
    assert!(
        html.contains(
            "<section class=\"thread\" aria-labelledby=\"causerie-comments-title\" data-nosnippet>"
        ),
        "{html}"
    );

    assert_eq!(
        app.get("/api/v1/thread.html").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/api/v1/thread.html?page=/a&site=https://evil.example.com")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

/// The XSS corpus, posted as comments and names, comes out of the fragment as text: a
/// browser's tokenizer finds only the template's own tags and attributes, and every
/// link is an `http(s)` address.
#[tokio::test]
async fn the_xss_corpus_in_the_fragment_is_text() {
    use causerie_protocol::{check_author, check_comment, website};
    let app = spawn(&[]).await;
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/xss_payloads.json"),
    )
    .unwrap();
    let corpus: Value = serde_json::from_str(&text).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut posted = 0;
    for item in corpus["payloads"].as_array().unwrap() {
        let payload = item["payload"].as_str().unwrap();
        if check_comment(payload).is_err() || !seen.insert(payload) {
            continue;
        }
        let author = if check_author(payload).is_ok() {
            payload.trim()
        } else {
            "Anonyme"
        };
        let url = website::parse(payload).ok().flatten();
        let body = json!({"page": "/x", "comment": payload, "author": author,
                          "email": "x@example.org", "url": url});
        let reply = app.post(body.to_string(), None).await;
        if reply.status == StatusCode::CREATED {
            posted += 1;
        }
    }
    assert!(posted > 1_000, "{posted}");
    let allowed_tags = [
        "div", "template", "link", "form", "h2", "p", "span", "label", "textarea", "input",
        "button", "section", "ol", "li", "article", "header", "h3", "a", "time",
    ];
    let allowed_attrs = [
        "data-causerie",
        "data-page",
        "data-lang",
        "data-rendered",
        "dir",
        "shadowrootmode",
        "rel",
        "href",
        "class",
        "lang",
        "method",
        "action",
        "aria-labelledby",
        "data-testid",
        "id",
        "for",
        "aria-hidden",
        "name",
        "rows",
        "required",
        "type",
        "autocomplete",
        "tabindex",
        "value",
        "data-id",
        "data-depth",
        "part",
        "itemscope",
        "itemtype",
        "itemprop",
        "data-hue",
        "datetime",
    ];
    let mut url = "/api/v1/thread.html?page=/x".to_owned();
    let mut shown = 0;
    loop {
        let html = app.get(&url).await.text();
        for (tag, attrs) in tags(&html) {
            assert!(allowed_tags.contains(&tag.as_str()), "<{tag}> in {url}");
            for (name, value) in attrs {
                assert!(allowed_attrs.contains(&name.as_str()), "{name}= on <{tag}>");
                if name == "href" {
                    assert!(
                        value.starts_with("http://") || value.starts_with("https://"),
                        "{value}"
                    );
                }
            }
        }
        shown += html
            .matches("itemtype=\"https://schema.org/Comment\"")
            .count();
        match html
            .split("&amp;after=")
            .nth(1)
            .and_then(|r| r.split('"').next())
        {
            Some(next) => url = format!("/api/v1/thread.html?page=/x&after={next}"),
            None => break,
        }
    }
    assert_eq!(shown, posted, "every comment, page after page");
}
