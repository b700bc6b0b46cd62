//! How the widget's files reach a reader: from a build's own folder, once.

use super::*;

/// Copies the folder `from` into `to`, files and folders.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The widget's requests of the page that is open: each URL with the bytes it took from
/// the network (0 when the browser's cache answered).
async fn widget_requests(c: &Client) -> Result<Vec<(String, u64)>> {
    let entries = js(
        c,
        "return performance.getEntriesByType('resource')
            .filter(r => /\\/(embed\\.js|pkg\\/)/.test(new URL(r.name).pathname))
            .map(r => [new URL(r.name).pathname, r.transferSize]);",
    )
    .await?;
    Ok(serde_json::from_value(entries)?)
}

/// A reader who opens a second article makes no request for the widget's files: the
/// loader names the build's folder, whose files are immutable, and the loader itself is
/// kept for minutes. The first article fetched them all from that folder.
#[tokio::test]
async fn a_readers_second_article_takes_the_widget_from_the_cache() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    // One origin, so that the browser tells each resource's transfer size.
    let www = dir.path().join("www");
    copy_tree(&root().join("www/pkg"), &www.join("pkg"));
    for page in ["a", "b"] {
        std::fs::write(
            www.join(format!("{page}.html")),
            format!(
                r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{page}</title></head>
<body><article><h1>Article {page}</h1><p>…</p></article>
<script src="/embed.js" data-page="/{page}" defer></script></body></html>"#
            ),
        )
        .unwrap();
    }
    let server = Server::start_with(free_port(), dir.path().join("causerie.db"), www, &[]);
    let (first, second) = (server.url("/a.html"), server.url("/b.html"));

    let browser = Browser::start();
    with_session(&browser, "second-article", |c| async move {
        c.goto(&first).await?;
        open_comments(&c).await?;
        let fetched = widget_requests(&c).await?;
        let build: Vec<&(String, u64)> = fetched
            .iter()
            .filter(|(path, _)| path != "/embed.js")
            .collect();
        for name in ["causerie.js", "causerie_bg.wasm", "i18n/fr.json"] {
            assert!(
                build.iter().any(|(path, _)| path.ends_with(name)),
                "{name} was loaded: {fetched:?}"
            );
        }
        for (path, bytes) in &build {
            let folder = path.strip_prefix("/pkg/").and_then(|p| p.split_once('/'));
            assert!(
                folder.is_some_and(|(hash, _)| hash.len() == 16),
                "from the build's folder: {path}"
            );
            assert!(*bytes > 0, "the first article fetched {path}: {fetched:?}");
        }

        c.goto(&second).await?;
        open_comments(&c).await?;
        let again = widget_requests(&c).await?;
        assert_eq!(
            again.len(),
            fetched.len(),
            "the same files: {again:?} against {fetched:?}"
        );
        for (path, bytes) in &again {
            assert_eq!(*bytes, 0, "{path} came from the cache: {again:?}");
        }
        Ok(())
    })
    .await
    .unwrap();
}

/// A page's script that records every layout shift in `window.__shifts` and holds the
/// wasm's request back until `window.__release()`; `window.__held` once it is held.
const HOLD_WASM: &str = r#"<script>
window.__shifts = [];
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__shifts.push(e.value); })
  .observe({ type: "layout-shift", buffered: true });
const real = window.fetch;
window.__held = false;
window.fetch = (url, init) => String(url).endsWith(".wasm")
  ? new Promise(go => { window.__held = true; window.__release = () => go(real(url, init)); })
  : real(url, init);
</script>"#;

/// A reader types into the form that the server rendered into the page while the wasm
/// is held back; when it arrives, the widget takes that form over in place: the text,
/// the focus and the caret are as they were, nothing moved (no layout shift at all, not
/// even one that input would excuse), and the widget posts from then on.
#[tokio::test]
async fn the_widget_takes_over_the_servers_html_with_what_was_typed() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    copy_tree(&root().join("www/pkg"), &www.join("pkg"));
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        www.clone(),
        &[],
    );
    server.post("/a", "Un premier avis");
    let page = server.url("/a.html");
    let fragment = fetch_fragment(&server, "/api/v1/thread.html?page=/a&lang=fr", &page);
    std::fs::write(
        www.join("a.html"),
        format!(
            r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>a</title>
{HOLD_WASM}</head>
<body><article><h1>Article</h1><p>…</p></article>
{fragment}
<p id="after">La suite de la page.</p>
<script src="/embed.js" defer></script></body></html>"#
        ),
    )
    .unwrap();

    let browser = Browser::start_in("fr-FR");
    with_session(&browser, "takeover", |c| async move {
        c.goto(&page).await?;
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        let shadow = host.shadow_root().await?;
        shadow
            .find(Locator::Css("[name=author]"))
            .await?
            .send_keys("Zoé")
            .await?;
        shadow
            .find(Locator::Css("[name=comment]"))
            .await?
            .send_keys("Bonjour tout le monde")
            .await?;
        js(
            &c,
            "root.querySelector('[name=comment]').setSelectionRange(7, 7);",
        )
        .await?;
        until(&c, "the wasm's request", "window.__held").await?;
        // The server's form is still the one there.
        assert_eq!(
            js(&c, "return !!root.querySelector('[data-testid=remember]');").await?,
            json!(false)
        );
        js(&c, "window.__release();").await?;
        until(
            &c,
            "the widget",
            "root.querySelector('[data-testid=remember]')",
        )
        .await?;
        let state = js(
            &c,
            "const f = root.querySelector('[name=comment]');
             return [f.value, root.activeElement === f, f.selectionStart, f.selectionEnd,
                     root.querySelector('[name=author]').value,
                     root.querySelectorAll('[data-testid=entry]').length,
                     window.__shifts];",
        )
        .await?;
        assert_eq!(
            state,
            json!(["Bonjour tout le monde", true, 7, 7, "Zoé", 1, []]),
            "[text, focus, caret, name, comments, layout shifts]"
        );
        // From then on, the widget's own: it posts.
        type_in(&c, "email", "zoe@example.org").await?;
        click_submit(&c).await?;
        until(
            &c,
            "the posted comment",
            "root.querySelectorAll('[data-testid=entry]').length === 2",
        )
        .await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(server.stored("Bonjour tout le monde").await, 1);
}

/// On a page served without the thread, the loader fetches the server's HTML of it with
/// the wasm: with the wasm held back, the reader reads the comments and types into the
/// form; when the wasm arrives, nothing typed is lost, nothing moves, and the widget
/// posts. The page's strict CSP (no inline style, no inline script) reports nothing.
#[tokio::test]
async fn without_the_thread_in_the_page_the_loader_puts_the_servers_html_first() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    copy_tree(&root().join("www/pkg"), &www.join("pkg"));
    std::fs::copy(root().join("www/embed.js"), www.join("embed.js")).unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        www.clone(),
        &[],
    );
    server.post("/b", "Un premier avis");
    // The page's own script is a file: its CSP allows no inline script.
    let hold = HOLD_WASM
        .trim_start_matches("<script>")
        .trim_end_matches("</script>");
    let hold = format!(
        "{hold}\nwindow.__violations = [];\ndocument.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective));"
    );
    std::fs::write(www.join("hold.js"), hold).unwrap();
    std::fs::write(
        www.join("b.html"),
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>b</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'">
<script src="/hold.js"></script></head>
<body><article><h1>Article</h1><p>…</p></article>
<script src="/embed.js" data-page="/b" defer></script>
<p id="after">La suite de la page.</p></body></html>"#,
    )
    .unwrap();
    let page = server.url("/b.html");

    let browser = Browser::start_in("fr-FR");
    with_session(&browser, "prerender", |c| async move {
        c.goto(&page).await?;
        until(&c, "the wasm's request", "window.__held").await?;
        until(&c, "the server's HTML", "root && root.querySelector('[name=comment]')").await?;
        // The server's HTML, styled, with its comment, before the wasm.
        let before = js(
            &c,
            "return [root.querySelectorAll('[data-testid=entry]').length,
                     !!root.querySelector('[data-testid=remember]'),
                     getComputedStyle(root.querySelector('.submit')).minHeight,
                     root.querySelector('[name=redirect_to]').value];",
        )
        .await?;
        assert_eq!(
            before,
            json!([1, false, "44px", page]),
            "[comments, the widget's own form, styled, the way back]"
        );
        let shadow = c
            .find(Locator::Css("[data-causerie]"))
            .await?
            .shadow_root()
            .await?;
        shadow
            .find(Locator::Css("[name=author]"))
            .await?
            .send_keys("Zoé")
            .await?;
        shadow
            .find(Locator::Css("[name=comment]"))
            .await?
            .send_keys("Bonjour avant le wasm")
            .await?;
        js(&c, "root.querySelector('[name=comment]').setSelectionRange(7, 7); window.__before = window.__shifts.length;").await?;
        js(&c, "window.__release();").await?;
        until(
            &c,
            "the widget",
            "root.querySelector('[data-testid=remember]')",
        )
        .await?;
        let state = js(
            &c,
            "const f = root.querySelector('[name=comment]');
             return [f.value, root.activeElement === f, f.selectionStart, f.selectionEnd,
                     root.querySelector('[name=author]').value,
                     root.querySelectorAll('[data-testid=entry]').length,
                     window.__shifts.slice(window.__before), window.__violations];",
        )
        .await?;
        assert_eq!(
            state,
            json!(["Bonjour avant le wasm", true, 7, 7, "Zoé", 1, [], []]),
            "[text, focus, caret, name, comments, shifts once the wasm came, CSP violations]"
        );
        type_in(&c, "email", "zoe@example.org").await?;
        click_submit(&c).await?;
        until(
            &c,
            "the posted comment",
            "root.querySelectorAll('[data-testid=entry]').length === 2",
        )
        .await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(server.stored("Bonjour avant le wasm").await, 1);
}

/// Whatever HTML a backend sends for the thread, the loader's copy of it runs nothing:
/// no script, no handler, no `javascript:` link or form, no style, no foreign element.
#[tokio::test]
async fn the_loaders_copy_of_the_servers_html_runs_nothing_a_hostile_backend_sends() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    copy_tree(&root().join("www/pkg"), &www.join("pkg"));
    std::fs::copy(root().join("www/embed.js"), www.join("embed.js")).unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        www.clone(),
        &[],
    );
    // The backend's answer for the thread, as a hostile or broken backend might write it;
    // the wasm is held back for good, so that the copy stays to be read.
    let hostile = r#"<div data-causerie data-rendered><template shadowrootmode="open"><div class="causerie"><form action="javascript:window.__pwned='form'" data-testid="form"><textarea name="comment" onfocus="window.__pwned='focus'" autofocus></textarea><input name="redirect_to"></form><img src="/x" onerror="window.__pwned='img'"><script>window.__pwned='script'</script><a id="j" href="javascript:window.__pwned='link'" style="position:fixed">x</a><a id="h" href="https://example.org/">ok</a><svg><a href="javascript:1"><circle/></a></svg><iframe src="/b.html"></iframe><template shadowrootmode="open"><p id="inner">x</p></template><p onmouseover="window.__pwned='p'" id="p">texte</p></div></template></div>"#;
    let script = format!(
        "const real = window.fetch;
window.fetch = (url, init) => String(url).endsWith('.wasm') ? new Promise(() => {{}})
  : String(url).includes('/api/v1/thread.html') ? Promise.resolve(new Response({}, {{ headers: {{ 'Content-Type': 'text/html' }} }}))
  : real(url, init);",
        serde_json::to_string(hostile).unwrap()
    );
    std::fs::write(www.join("hostile.js"), script).unwrap();
    std::fs::write(
        www.join("h.html"),
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>h</title>
<script src="/hostile.js"></script></head>
<body><script src="/embed.js" data-page="/h" defer></script></body></html>"#,
    )
    .unwrap();
    let page = server.url("/h.html");

    let browser = Browser::start_in("fr-FR");
    with_session(&browser, "hostile-prerender", |c| async move {
        c.goto(&page).await?;
        until(&c, "the copy", "root && root.querySelector('[name=comment]')").await?;
        js(&c, "root.querySelector('[name=comment]').focus(); root.getElementById('p').dispatchEvent(new MouseEvent('mouseover'));").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let found = js(
            &c,
            "const all = [...root.querySelectorAll('*')];
             return [window.__pwned || null,
                     all.filter(e => /^(IMG|SCRIPT|SVG|IFRAME|TEMPLATE|STYLE)$/i.test(e.tagName)).length,
                     all.filter(e => [...e.attributes].some(a => /^on|^style$|^autofocus$/.test(a.name))).length,
                     root.querySelector('form').hasAttribute('action'),
                     root.getElementById('j').hasAttribute('href'),
                     root.getElementById('h').getAttribute('href'),
                     root.getElementById('p').textContent];",
        )
        .await?;
        assert_eq!(
            found,
            json!([null, 0, 0, false, false, "https://example.org/", "texte"]),
            "[ran, foreign elements, handlers or style, javascript: form, javascript: link, http link, text]"
        );
        Ok(())
    })
    .await
    .unwrap();
}
