//! Without JavaScript: a plain HTML form on an article, posted by real Chromium with
//! scripts turned off, through the same pipeline as the widget's comments.

use super::*;

/// The article of the site at `site`, with the README's plain form posting to `comments`.
fn article(site: &str, comments: &str) -> String {
    format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title></head>
<body><article><h1>Article</h1><p>…</p></article>
<form method="post" action="{comments}/api/v1/comments">
<input type="hidden" name="page" value="/article">
<input type="hidden" name="redirect_to" value="{site}/article.html">
<input type="hidden" name="comment_parent" value="0">
<label>Commentaire <textarea id="comment" name="comment" required></textarea></label>
<label>Nom <input id="author" name="author" required></label>
<label>E-mail <input id="email" name="email" type="email" required></label>
<label>Site <input id="url" name="url" type="url"></label>
<button id="submit">Publier</button>
</form></body></html>"#
    )
}

/// Types `text` into the field `id` in place of what it holds, as a reader does: select
/// all, then type (WebDriver's own clear runs script, which is off).
async fn fill(c: &Client, id: &str, text: &str) -> Result<()> {
    let field = c.find(Locator::Id(id)).await?;
    // Control, "a", the modifiers released, Backspace: WebDriver's key codes.
    field.send_keys("\u{E009}a\u{E000}\u{E003}").await?;
    field.send_keys(text).await?;
    Ok(())
}

/// With scripts off, a reader posts from the article and lands on it at their comment;
/// a refused post answers the form in their language with their text kept and the
/// error by its field; the browser's own check stops an invalid address before any post.
#[tokio::test]
async fn without_javascript_a_reader_posts_and_lands_on_the_comment() {
    preconditions();
    let TwoOrigins {
        comments,
        site,
        _dir,
    } = two_origins(|_| String::new());
    let site_url = site.url("").trim_end_matches('/').to_owned();
    std::fs::write(
        _dir.path().join("site/article.html"),
        article(&site_url, comments.url("").trim_end_matches('/')),
    )
    .unwrap();
    let page = site.url("/article.html");

    let browser = Browser::start_in("fr-FR");
    let client = browser
        .session_with("noscript", &["--blink-settings=scriptEnabled=false"])
        .await
        .unwrap();
    let steps = async {
        c_steps(&client, &page, &site_url).await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    }
    .await;
    let closed = client.close().await;
    steps.unwrap();
    closed.unwrap();

    assert_eq!(comments.stored("Bonjour sans script").await, 1);
    assert_eq!(comments.stored("Trop long").await, 0);
}

async fn c_steps(c: &Client, page: &str, site: &str) -> Result<()> {
    // The browser's own check: an invalid address is not sent.
    c.goto(page).await?;
    fill(c, "comment", "Adresse fausse").await?;
    fill(c, "author", "Zoé").await?;
    fill(c, "email", "pas-une-adresse").await?;
    c.find(Locator::Id("submit")).await?.click().await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(c.current_url().await?.as_str(), page, "nothing was posted");

    // Refused by the server (a name over its limit): the form again, in French.
    c.goto(page).await?;
    fill(c, "comment", "Trop long").await?;
    fill(c, "author", &"Z".repeat(101)).await?;
    fill(c, "email", "zoe@example.org").await?;
    c.find(Locator::Id("submit")).await?.click().await?;
    let error = c
        .wait()
        .for_element(Locator::Css("[data-testid=author-error]"))
        .await?;
    assert!(
        error.text().await?.contains("100"),
        "{}",
        error.text().await?
    );
    let kept = c.find(Locator::Id("causerie-comment")).await?;
    assert_eq!(kept.prop("value").await?.as_deref(), Some("Trop long"));
    let lang = c.find(Locator::Css("html")).await?.attr("lang").await?;
    assert_eq!(lang.as_deref(), Some("fr"));
    // Corrected on that page, it goes through, and the reader lands on the article.
    fill(c, "causerie-author", "Zoé").await?;
    fill(c, "causerie-comment", "Bonjour sans script").await?;
    c.find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    lands_on_a_comment(c, &format!("{site}/article.html")).await?;
    Ok(())
}

/// A static page that included the server's HTML when it was built (as a static site
/// generator does) shows the thread with scripts off: inside the declarative shadow
/// root, styled by the stylesheet file; a reader posts from the fragment's own form, and
/// a reply, from the comment's link, goes under its parent.
#[tokio::test]
async fn the_servers_html_in_a_static_page_shows_the_thread_without_javascript() {
    preconditions();
    let TwoOrigins {
        comments,
        site,
        _dir,
    } = two_origins(|_| String::new());
    comments.post("/article", "Le premier commentaire");
    let site_url = site.url("").trim_end_matches('/').to_owned();
    let article = format!("{site_url}/article.html");
    // The build step: the fragment, fetched with the article's address.
    let fragment = fetch_fragment(
        &comments,
        "/api/v1/thread.html?page=/article&lang=fr",
        &article,
    );
    std::fs::write(
        _dir.path().join("site/article.html"),
        format!(
            r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
<style>p {{ color: rgb(255, 0, 0) !important; }}</style></head>
<body><article><h1>Article</h1><p>…</p></article>{fragment}</body></html>"#
        ),
    )
    .unwrap();

    let browser = Browser::start_in("fr-FR");
    let client = browser
        .session_with("fragment", &["--blink-settings=scriptEnabled=false"])
        .await
        .unwrap();
    let steps = async {
        let c = &client;
        c.goto(&article).await?;
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        let root = host.shadow_root().await?;
        let count = root.find(Locator::Css("[data-testid=count]")).await?;
        assert_eq!(count.text().await?, "1 commentaire");
        let text = root.find(Locator::Css("[data-testid=entry-text]")).await?;
        assert_eq!(text.text().await?, "Le premier commentaire");
        // The stylesheet file applies inside; the page's CSS does not reach in.
        let trap = root.find(Locator::Css(".trap")).await?;
        assert_eq!(trap.css_value("position").await?, "absolute");
        let p = text.find(Locator::Css("p")).await?;
        assert_ne!(p.css_value("color").await?, "rgb(255, 0, 0)");

        root.find(Locator::Css("[data-testid=comment]"))
            .await?
            .send_keys("Posté sans script")
            .await?;
        root.find(Locator::Css("[data-testid=author]"))
            .await?
            .send_keys("Zoé")
            .await?;
        root.find(Locator::Css("[data-testid=email]"))
            .await?
            .send_keys("zoe@example.org")
            .await?;
        root.find(Locator::Css("[data-testid=submit]"))
            .await?
            .click()
            .await?;
        lands_on_a_comment(c, &article).await?;

        // A reply: the comment's link opens its form, whose post goes under it.
        c.goto(&article).await?;
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        let root = host.shadow_root().await?;
        root.find(Locator::Css("[data-testid=reply]"))
            .await?
            .click()
            .await?;
        let heading = c.wait().for_element(Locator::Css("h1")).await?;
        assert_eq!(heading.text().await?, "Répondre à Test");
        for (id, text) in [
            ("causerie-comment", "Une réponse sans script"),
            ("causerie-author", "Zoé"),
            ("causerie-email", "zoe@example.org"),
        ] {
            c.find(Locator::Id(id)).await?.send_keys(text).await?;
        }
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        lands_on_a_comment(c, &article).await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    }
    .await;
    let closed = client.close().await;
    steps.unwrap();
    closed.unwrap();
    assert_eq!(comments.stored("Posté sans script").await, 1);
    assert_eq!(comments.pages_of("Posté sans script").await, ["/article"]);
    let mut db = comments.db().await;
    let (parent_text,): (String,) = sqlx::query_as(
        "SELECT p.text FROM comments c JOIN comments p ON p.id = c.parent WHERE c.text = ?",
    )
    .bind("Une réponse sans script")
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(
        parent_text, "Le premier commentaire",
        "the reply is under its parent"
    );
}

/// The server's HTML in a page under a strict CSP (no inline script or style; the
/// comment server allowed for styles and forms only): no violation, and its stylesheet
/// applies. axe-core finds nothing wrong in its thread and form, in light and in dark,
/// nor in the reply form and the form answered with errors.
#[tokio::test]
async fn the_servers_html_passes_axe_and_a_strict_csp_in_light_and_dark() {
    preconditions();
    let axe_js = axe_source();
    let TwoOrigins {
        comments,
        site,
        _dir,
    } = two_origins(|_| String::new());
    comments.post("/article", "Un avis https://example.org/a");
    let site_url = site.url("").trim_end_matches('/').to_owned();
    let w = comments.url("").trim_end_matches('/').to_owned();
    let article = format!("{site_url}/article.html");
    let fragment = fetch_fragment(
        &comments,
        "/api/v1/thread.html?page=/article&lang=fr",
        &article,
    );
    // The listener comes first, from the site's own origin, as the policy allows.
    std::fs::write(
        _dir.path().join("site/listen.js"),
        "window.__violations = []; document.addEventListener('securitypolicyviolation', \
         e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));",
    )
    .unwrap();
    std::fs::write(
        _dir.path().join("site/article.html"),
        format!(
            r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
<script src="/listen.js"></script>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; style-src 'self' {w}; form-action {w} 'self'; base-uri 'none'; object-src 'none'">
</head><body><main><h1>Article</h1><p>Le texte.</p>{fragment}</main></body></html>"#
        ),
    )
    .unwrap();

    let browser = Browser::start_in("fr-FR");
    with_session(&browser, "fragment-axe", |c| async move {
        let mut violations = Vec::new();
        for theme in ["light", "dark"] {
            c.goto(&article).await?;
            if theme == "dark" {
                js(&c, "host.setAttribute('data-scheme', 'dark');").await?;
            }
            until(
                &c,
                "the stylesheet",
                "getComputedStyle(root.querySelector('.trap')).position === 'absolute'",
            )
            .await?;
            let csp = js(&c, "return window.__violations;").await?;
            assert_eq!(csp, json!([]), "no CSP violation");
            violations.extend(axe(&c, &axe_js, &format!("{theme}, thread")).await?);
        }
        // The server's own pages: the reply form, and the form answered with errors.
        js(&c, "root.querySelector('[data-testid=reply]').click();").await?;
        c.wait().for_element(Locator::Css("h1")).await?;
        violations.extend(axe(&c, &axe_js, "reply form").await?);
        c.find(Locator::Id("causerie-comment"))
            .await?
            .send_keys("Sans nom")
            .await?;
        c.find(Locator::Id("causerie-author"))
            .await?
            .send_keys(&"Z".repeat(101))
            .await?;
        c.find(Locator::Id("causerie-email"))
            .await?
            .send_keys("z@example.org")
            .await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        c.wait()
            .for_element(Locator::Css("[data-testid=author-error]"))
            .await?;
        violations.extend(axe(&c, &axe_js, "errors").await?);
        assert!(
            violations.is_empty(),
            "axe found:\n{}",
            violations.join("\n")
        );
        Ok(())
    })
    .await
    .unwrap();
}

/// Waits until the browser is on `article` at a comment's anchor, as a post's 303 sends
/// it; else fails with the page it is on.
async fn lands_on_a_comment(c: &Client, article: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let url = c.current_url().await?;
        if url.as_str().starts_with(&format!("{article}#comment-")) {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(10) {
            let html = c.source().await?;
            return Err(format!("did not land on a comment of {article}: {url}: {html}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The demo article as `cargo xtask demo` serves it, a real nginx whose SSI puts the
/// thread in the page in front of the comment server: without JavaScript, a reader reads
/// its comments, posts, and lands on the article at their comment, which is there.
#[tokio::test]
async fn the_demo_article_shows_its_thread_and_takes_a_comment_without_javascript() {
    preconditions();
    use causerie_testkit::demo;
    assert!(
        Path::new(demo::NGINX).is_file(),
        "{} is missing: install Debian's nginx (`cargo xtask test` does it as root)",
        demo::NGINX
    );
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--trusted-proxy", "127.0.0.1"],
    );
    server.post(DEMO_PAGE, "Le premier commentaire de la démo");
    let port = free_port();
    let prefix = tempfile::tempdir().unwrap();
    let _nginx = Group::spawn(
        &mut demo::nginx(prefix.path(), &root().join("www"), port, server.port).unwrap(),
    )
    .unwrap();
    wait_for_port(port, "the demo's nginx");
    let article = format!("http://127.0.0.1:{port}/");

    let browser = Browser::start_in("fr-FR");
    let client = browser
        .session_with("demo", &["--blink-settings=scriptEnabled=false"])
        .await
        .unwrap();
    let steps = async {
        let c = &client;
        c.goto(&article).await?;
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        let root = host.shadow_root().await?;
        let count = root.find(Locator::Css("[data-testid=count]")).await?;
        assert_eq!(count.text().await?, "1 commentaire");
        let text = root.find(Locator::Css("[data-testid=entry-text]")).await?;
        assert_eq!(text.text().await?, "Le premier commentaire de la démo");
        for (id, typed) in [
            ("comment", "Posté sur la démo sans script"),
            ("author", "Zoé"),
            ("email", "zoe@example.org"),
        ] {
            root.find(Locator::Css(&format!("[data-testid={id}]")))
                .await?
                .send_keys(typed)
                .await?;
        }
        root.find(Locator::Css("[data-testid=submit]"))
            .await?
            .click()
            .await?;
        lands_on_a_comment(c, &article).await?;
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        let root = host.shadow_root().await?;
        let count = root.find(Locator::Css("[data-testid=count]")).await?;
        assert_eq!(count.text().await?, "2 commentaires");
        let mut texts = Vec::new();
        for entry in root
            .find_all(Locator::Css("[data-testid=entry-text]"))
            .await?
        {
            texts.push(entry.text().await?);
        }
        assert!(
            texts.iter().any(|t| t == "Posté sur la démo sans script"),
            "{texts:?}"
        );
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    }
    .await;
    let closed = client.close().await;
    steps.unwrap();
    closed.unwrap();
    assert_eq!(server.stored("Posté sur la démo sans script").await, 1);
}
