//! Posting: stored, private and durable; a retry after an outage; another origin under
//! a strict CSP; counts on a list page.

use super::*;

/// The demo article, in French: post a comment, see it, find it in the database, never
/// see the e-mail anywhere public, and find the comment again after a crash of the server.
#[tokio::test]
async fn a_comment_is_posted_stored_private_and_durable() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let browser = Browser::start();
    let comment =
        "Enfin ! Le dimanche après-midi, c’est le seul moment où je peux y aller avec les enfants.";
    let email = "amelie.durand@example.org";

    let page = server.url("/");
    with_session(&browser, "author", |c| async move {
        c.goto(&page).await?;
        // The wasm is not fetched until the reader comes near the comments.
        let early = js(&c, "return [performance.getEntriesByType('resource').some(r => r.name.endsWith('.wasm')),
            innerHeight, Math.round(host.getBoundingClientRect().top)];").await?;
        assert_eq!(early[0], json!(false), "the widget loaded before the reader scrolled to it (viewport height, comments' top): {early}");
        open_comments(&c).await?;
        let heading = js(&c, "return root.querySelector('h2').textContent;").await?;
        assert_eq!(heading, json!("Laisser un commentaire"));
        fill_and_submit(&c, comment, email).await?;
        until(&c, "the confirmation", "root.querySelector('[data-testid=status]').textContent === 'Votre commentaire est publié.'").await?;
        assert_eq!(texts(&c).await?, [comment]);
        let link = js(&c, "return root.querySelector('[data-testid=entry-author]').href;").await?;
        assert_eq!(link, json!("https://amelie.example.org/"));
        // A native form submission would have put the fields in the URL.
        assert!(!c.current_url().await?.as_str().contains("email"));
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(server.stored(comment).await, 1);

    for path in ["/", &format!("/api/v1/comments?page={DEMO_PAGE}")] {
        let body = server.get(path);
        assert!(!body.contains(email), "GET {path} shows the e-mail");
    }
    let api = server.get(&format!("/api/v1/comments?page={DEMO_PAGE}"));
    assert!(api.contains("Amélie Durand"));

    // Another reader sees the comment, and not the e-mail.
    let page = server.url("/");
    with_session(&browser, "reader", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelectorAll('[data-testid=entry]').length === 1").await?;
        assert_eq!(texts(&c).await?, [comment]);
        let everything = js(&c, "return document.documentElement.outerHTML + root.innerHTML + JSON.stringify(localStorage);").await?;
        assert!(!everything.as_str().unwrap().contains(email), "the second reader's page shows the e-mail");
        Ok(())
    })
    .await
    .unwrap();

    // kill -9, restart: the acknowledged comment is still there.
    server.kill();
    server.restart();
    assert_eq!(server.stored(comment).await, 1);
    let page = server.url("/");
    with_session(&browser, "after-restart", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(
            &c,
            "the thread",
            "root.querySelectorAll('[data-testid=entry]').length === 1",
        )
        .await?;
        assert_eq!(texts(&c).await?, [comment]);
        Ok(())
    })
    .await
    .unwrap();
}

/// With the server down, a submit keeps everything the reader typed; once the server is
/// back, a retry posts the comment exactly once.
#[tokio::test]
async fn a_submit_while_the_server_is_down_keeps_the_draft_and_a_retry_posts_once() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let browser = Browser::start();
    let comment = "Une très bonne nouvelle pour les étudiants qui révisent le week-end.";

    let page = server.url("/");
    let server = &mut server;
    let client = browser.session("offline").await.unwrap();
    let steps = async {
        client.goto(&page).await?;
        open_comments(&client).await?;
        server.kill();
        fill_and_submit(&client, comment, "lea@example.org").await?;
        until(&client, "the failure", "root.querySelector('[data-testid=status]').textContent.startsWith('Votre commentaire n’a pas pu être envoyé')").await?;
        let kept = js(&client, &format!("const DEMO_PAGE = '{DEMO_PAGE}'; return [root.querySelector('[name=comment]').value, root.querySelector('[name=email]').value, localStorage.getItem('causerie:draft:' + DEMO_PAGE)];")).await?;
        assert_eq!(kept, json!([comment, "lea@example.org", comment]));
        server.restart();
        click_submit(&client).await?;
        until(&client, "the confirmation", "root.querySelector('[data-testid=status]').textContent === 'Votre commentaire est publié.'").await?;
        // A second click on the same text is another comment only if the reader wants it:
        // here the form was cleared, so nothing more is sent.
        assert_eq!(js(&client, "return root.querySelector('[name=comment]').value;").await?, json!(""));
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    }
    .await;
    let closed = client.close().await;
    steps.unwrap();
    closed.unwrap();
    assert_eq!(server.stored(comment).await, 1);
}

/// A real deployment: the article on one origin, the comment server on another. The page
/// loads `embed.js` from the comment server under exactly the CSP the README documents,
/// with `data-page`, `data-target` and `data-lang`; the widget's files come cross-origin, and its
/// posts go through CORS to the default backend, the script's own origin.
#[tokio::test]
async fn a_page_on_another_origin_under_a_strict_csp_posts_through_cors() {
    preconditions();
    let TwoOrigins {
        comments,
        site,
        _dir,
    } = two_origins(|w| {
        format!(
            r##"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src {w} 'wasm-unsafe-eval'; connect-src {w}; style-src 'self'">
<title>Another site</title></head><body><article><h1>An article</h1><p>Text.</p></article>
<div id="here"></div><footer>Footer</footer>
<script src="{w}/embed.js" data-page="/posts/42" data-target="#here" data-lang="fr-CA" defer></script></body></html>"##
        )
    });
    let comment = "Posted from another origin, through CORS.";

    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "cross-origin", |c| async move {
        c.goto(&url).await?;
        js(&c, "window.__violations = []; document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));").await?;
        open_comments(&c).await?;
        // The widget rendered into the `data-target` element, in the `data-lang` language
        // (which wins over the page's `<html lang="en">`), its messages fetched cross-origin.
        assert_eq!(js(&c, "return host.id;").await?, json!("here"));
        assert_eq!(js(&c, "return root.querySelector('h2').textContent;").await?, json!("Laisser un commentaire"));
        fill_and_submit(&c, comment, "cors@example.org").await?;
        until(&c, "the confirmation", "root.querySelector('[data-testid=status]').textContent === 'Votre commentaire est publié.'").await?;
        assert_eq!(js(&c, "return window.__violations;").await?, json!([]), "the documented CSP is enough");
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(comments.pages_of(comment).await, ["/posts/42"]);
    assert_eq!(site.stored(comment).await, 0);
}

/// A front page lists articles with their counts: every count is right and in the page's
/// language, all of them come from one request, and the widget's wasm is never loaded.
#[tokio::test]
async fn counts_on_a_list_page_take_one_request_and_no_widget() {
    preconditions();
    let TwoOrigins {
        comments,
        site,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Une</title></head><body>
<ul><li><a href="/a">A</a> <span class="n" data-causerie-count="/a"></span></li>
<li><a href="/b">B</a> <span class="n" data-causerie-count="/b"></span></li>
<li><a href="/c">C</a> <span class="n" data-causerie-count="/c"></span></li></ul>
<p>À la une : <span class="n" data-causerie-count="/a"></span></p>
<script src="{w}/embed.js" data-counts-only defer></script></body></html>"#
        )
    });
    for (page, text) in [("/a", "un"), ("/a", "deux"), ("/b", "trois")] {
        comments.post(page, text);
    }

    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "counts", |c| async move {
        c.goto(&url).await?;
        until(
            &c,
            "the counts",
            "[...document.querySelectorAll('.n')].every(e => e.textContent)",
        )
        .await?;
        let texts = js(
            &c,
            "return [...document.querySelectorAll('.n')].map(e => e.textContent);",
        )
        .await?;
        assert_eq!(
            texts,
            json!([
                "2 commentaires",
                "1 commentaire",
                "Aucun commentaire",
                "2 commentaires"
            ])
        );
        let resources = js(
            &c,
            "return performance.getEntriesByType('resource').map(r => r.name);",
        )
        .await?;
        let names: Vec<String> = serde_json::from_value(resources)?;
        let requests = names
            .iter()
            .filter(|n| n.contains("/api/v1/counts"))
            .count();
        assert_eq!(requests, 1, "{names:?}");
        assert!(
            !names
                .iter()
                .any(|n| n.ends_with(".wasm") || n.contains("causerie.js")),
            "{names:?}"
        );
        assert_eq!(
            js(
                &c,
                "return document.querySelectorAll('[data-causerie]').length;"
            )
            .await?,
            json!(0)
        );
        Ok(())
    })
    .await
    .unwrap();
}
