//! Hostile input and hostile pages: XSS payloads, naughty strings, page CSS, a
//! cross-origin page against the admin page.

use super::*;

/// Nothing a commenter writes runs. Every payload of the XSS corpus is posted as a
/// comment, a name and a website (where the rules accept it), then the thread is
/// rendered in real Chromium with a detector armed: no script runs, the widget's DOM has
/// no `on*` attribute, no script, frame or object, and no link that is not http(s), and
/// every text shows exactly as typed.
#[tokio::test]
async fn xss_payloads_render_as_text_and_never_run() {
    use causerie_protocol::{check_author, check_comment, website};
    preconditions();
    let corpus = corpus("xss_payloads.json");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut expected = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for item in corpus["payloads"].as_array().unwrap() {
        let payload = item["payload"].as_str().unwrap();
        // The same text twice would be refused as a duplicate.
        if check_comment(payload).is_err() || !seen.insert(payload) {
            continue;
        }
        let author = if check_author(payload).is_ok() {
            payload.trim()
        } else {
            "Anonyme"
        };
        let url = website::parse(payload).ok().flatten();
        server.post_json(&json!({
            "page": DEMO_PAGE, "comment": payload, "author": author,
            "email": "xss@example.org", "url": url,
        }));
        expected.push((payload.to_owned(), author.to_owned()));
    }
    assert!(
        expected.len() > 1_500,
        "only {} payloads were valid comments",
        expected.len()
    );

    let page = server.url("/");
    let browser = Browser::start();
    let count = expected.len();
    with_session(&browser, "xss", |c| async move {
        c.goto(&page).await?;
        js(&c, "window.__ran = []; for (const f of ['alert', 'confirm', 'prompt', 'print']) window[f] = (...a) => window.__ran.push(f + ' ' + a.join(' '));").await?;
        open_comments(&c).await?;
        until(&c, "the whole thread", &whole_thread(count)).await?;
        // Give any injected handler (onload, onerror, onfocus…) time to fire.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(js(&c, "return window.__ran;").await?, json!([]), "a payload ran");
        let dangerous = js(&c, "return [...root.querySelectorAll('*')].flatMap(e =>
            [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)
            .concat(['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FRAME', 'BASE', 'META'].includes(e.tagName) ? [e.tagName] : [])
            .concat(e.hasAttribute('href') && !/^https?:/.test(e.getAttribute('href')) ? [e.tagName + ' href ' + e.getAttribute('href')] : [])
            .concat(e.hasAttribute('src') ? [e.tagName + ' src'] : []));").await?;
        assert_eq!(dangerous, json!([]));
        let shown = js(&c, "return [...root.querySelectorAll('[data-testid=entry]')].map(e =>
            [e.querySelector('[data-testid=entry-text]').textContent, e.querySelector('[data-testid=entry-author]').textContent]);").await?;
        let shown: Vec<(String, String)> = serde_json::from_value(shown)?;
        assert_eq!(shown.len(), expected.len());
        for (got, want) in shown.iter().zip(&expected) {
            assert_eq!(got, want);
        }
        Ok(())
    })
    .await
    .unwrap();
}

/// The Big List of Naughty Strings (right-to-left text, emoji, zero-width characters) and
/// a very long word never push the layout out of the widget's box: long words wrap.
#[tokio::test]
async fn naughty_strings_stay_inside_the_widget() {
    use causerie_protocol::{check_author, check_comment};
    preconditions();
    let corpus = corpus("naughty_strings.json");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let long_word = "Anticonstitutionnellement".repeat(200);
    let strings = corpus["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned());
    let mut posted = 0;
    let mut seen = std::collections::HashSet::new();
    for text in strings.chain([long_word.clone()]) {
        // The same text twice would be refused as a duplicate.
        if check_comment(&text).is_err() || !seen.insert(text.clone()) {
            continue;
        }
        let author = if check_author(&text).is_ok() {
            text.trim().to_owned()
        } else {
            long_word[..90].to_owned()
        };
        server.post_json(&json!({"page": DEMO_PAGE, "comment": text, "author": author, "email": "n@example.org"}));
        posted += 1;
    }
    assert!(posted > 400);

    let page = server.url("/");
    let browser = Browser::start();
    with_session(&browser, "naughty", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the whole thread", &whole_thread(posted)).await?;
        let widths = js(&c, "const box = host.getBoundingClientRect();
            const out = [...root.querySelectorAll('[data-testid=entry] *')].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
            }).map(e => e.tagName + ' ' + e.textContent.slice(0, 40));
            return [host.scrollWidth <= host.clientWidth + 1, document.documentElement.scrollWidth <= innerWidth, out];").await?;
        assert_eq!(widths, json!([true, true, []]));
        Ok(())
    })
    .await
    .unwrap();
}

/// A host page with aggressive global CSS (`* { all: unset }`, `!important` rules on
/// `input`, `textarea` and `button`) leaves the widget intact: the shadow root keeps the
/// page's rules out, and the widget's `:host { display: block !important }` holds. (The
/// host element itself stays the site owner's to size and place.)
#[tokio::test]
async fn hostile_page_css_leaves_the_widget_intact() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile</title>
<style>
* {{ all: unset; }}
input, textarea, button {{ display: none !important; width: 1px !important; color: red !important; font-size: 4px !important; }}
body {{ font: 12px/1 monospace; }}
button {{ background: yellow !important; }}
</style></head>
<body><h1>Hostile</h1><script src="{w}/embed.js" defer></script></body></html>"#
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "hostile", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        let layout = js(
            &c,
            "const r = e => root.querySelector(e).getBoundingClientRect();
            const s = e => getComputedStyle(root.querySelector(e));
            return [r('[data-testid=comment]').height >= 100, r('[data-testid=email]').width >= 200,
                    s('[data-testid=submit]').display, s('[data-testid=submit]').backgroundColor,
                    s('[data-testid=email]').fontSize, s('[data-testid=email]').color,
                    getComputedStyle(host).display];",
        )
        .await?;
        assert_eq!(
            layout,
            json!([
                true,
                true,
                "block",
                "rgb(11, 87, 208)",
                "16px",
                "rgb(31, 31, 31)",
                "block"
            ])
        );
        Ok(())
    })
    .await
    .unwrap();
}

/// A page on another origin, visited by the logged-in site owner, auto-submits forms and
/// calls `fetch` against every admin action: all are refused (the session cookie is
/// `SameSite=Strict`, and the server checks `Sec-Fetch-Site` and the CSRF token), and
/// nothing changes.
#[tokio::test]
async fn a_cross_origin_page_cannot_act_on_the_admin_page() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("causerie.db");
    let comments = Server::start_with(
        free_port(),
        database.clone(),
        root().join("www"),
        &["--moderation", "hold"],
    );
    comments.post_expecting(&json!({"page": DEMO_PAGE, "comment": "Victime", "author": "Ana", "email": "ana@example.org"}), 202);
    set_admin_password(&database, "correct horse battery staple");
    let target = comments.url("");
    let attack_dir = dir.path().join("attacker");
    std::fs::create_dir_all(&attack_dir).unwrap();
    let forms: String = [
        ("/admin/comments/approve", "only", "1"),
        ("/admin/comments/delete", "only", "1"),
        ("/admin/comments/spam", "only", "1"),
        ("/admin/privacy/erase", "q", ""),
        ("/admin/logout", "csrf", "x"),
        ("/admin/login", "password", "attacker's own password"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (path, name, value))| {
        format!(
            r#"<iframe name="f{i}"></iframe><form target="f{i}" method="post" action="{target}{path}">
<input name="{name}" value="{value}"><input name="email" value="ana@example.org"><input name="csrf" value="guess"></form>"#
        )
    })
    .collect();
    std::fs::write(
        attack_dir.join("index.html"),
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cute cats</title></head><body>{forms}
<script>
for (const f of document.forms) f.submit();
window.__fetched = Promise.all(["/admin/comments/approve", "/admin/logout"].map(p =>
  fetch("{target}" + p, {{ method: "POST", mode: "no-cors", credentials: "include",
    headers: {{ "Content-Type": "application/x-www-form-urlencoded" }}, body: "only=1&csrf=guess" }})
    .then(r => r.type, e => String(e))));
</script></body></html>"#
        ),
    )
    .unwrap();
    let attacker = Server::start_with(free_port(), dir.path().join("attacker.db"), attack_dir, &[]);
    let browser = Browser::start();
    let (admin, evil) = (comments.url("/admin"), attacker.url("/"));
    with_session(&browser, "owner", |c| async move {
        admin_login(&c, &admin, "correct horse battery staple").await?;
        c.goto(&evil).await?;
        // The page's own script sets `__fetched`; wait for it rather than assume that it ran
        // before the load that `goto` waited for (in CI, once, it had not).
        c.execute_async(
            "const done = arguments[arguments.length - 1];
             const wait = () => window.__fetched ? window.__fetched.then(done) : setTimeout(wait, 50);
             wait();",
            vec![],
        )
        .await?;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        // The owner is still logged in, and the comment is as it was.
        c.goto(&admin).await?;
        let held = js(&c, "return [...document.querySelectorAll('ol.comments li.held')].map(li => li.textContent.includes('Victime'));").await?;
        assert_eq!(held, json!([true]), "the comment is still held, and the session still open");
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(comments.stored("Victime").await, 1);
    assert!(
        !comments
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .contains("Victime")
    );
}
