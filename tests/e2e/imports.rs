//! An import, as a site owner runs it: the real binary's `import` command, while the
//! server runs, on a WordPress export; then the widget, in Chromium, shows the imported
//! threads, replies and dates as it shows its own comments.

use super::*;

/// The WordPress fixture of the in-process tests (`server/tests/it/fixtures`).
fn wordpress_fixture() -> PathBuf {
    root().join("server/tests/it/fixtures/wordpress.xml")
}

/// Runs `causerie-server import` on `server`'s database, with the server's sites, and
/// returns what it printed.
fn import(server: &Server, origin: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .arg("--database")
        .arg(server.database_url())
        .args(["--allow-origin", origin])
        .arg("import")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn imported_threads_show_as_the_widgets_own() {
    preconditions();
    // The post was WordPress's /?p=4, a plain link: its article names it so.
    let TwoOrigins {
        comments,
        site,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hello world!</title>
<link rel="canonical" href="/?p=4"></head>
<body><main><h1>Hello world!</h1><p>Welcome to WordPress.</p>
<script src="{w}/embed.js" defer></script></main></body></html>"#
        )
    });
    let origin = site.url("").trim_end_matches('/').to_owned();
    let fixture = wordpress_fixture();
    let file = fixture.to_str().unwrap();
    // A dry run first: it says what would come, and writes nothing.
    let dry = import(&comments, &origin, &["--dry-run", "--site", &origin, file]);
    assert!(dry.contains(&format!("{origin}/?p=4: 6, 1, 1")), "{dry}");
    assert!(dry.contains("10 would be added"), "{dry}");
    let done = import(&comments, &origin, &["--site", &origin, file]);
    assert!(
        done.contains("10 added") && done.contains("1 pingbacks"),
        "{done}"
    );

    // The site's page; its canonical link names the post.
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "imported", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelectorAll('li[data-id]').length === 6").await?;
        let shape = thread_shape(&c).await?;
        let depth = |start: &str| {
            shape
                .iter()
                .find(|(text, _)| text.starts_with(start))
                .unwrap_or_else(|| panic!("no {start:?} in {shape:?}"))
                .1
        };
        assert_eq!(depth("First line"), 1);
        assert_eq!(depth("A reply without an address"), 2);
        assert_eq!(depth("Third level"), 3);
        // Deeper than the widget nests: at its deepest level, as for its own replies.
        assert_eq!(depth("The fourth level's parent"), 3);
        assert_eq!(depth("Fourth level"), 3);
        assert_eq!(depth("My parent is not"), 1, "the orphan, at the top");
        let first = js(
            &c,
            "const li = [...root.querySelectorAll('li[data-id]')].find(li =>
                li.querySelector(':scope > article .text').textContent.startsWith('First line'));
             const a = li.querySelector(':scope > article');
             return [a.querySelector('.text').textContent,
                     new Date(a.querySelector('time').getAttribute('datetime')).getTime(),
                     a.querySelector('time').textContent,
                     [...a.querySelectorAll('.text a')].map(l => l.href),
                     root.querySelectorAll('script, strong').length,
                     root.querySelector('[data-testid=count]').textContent];",
        )
        .await?;
        assert_eq!(
            first[0],
            "First line\nsecond line, bold & café.\n\nSee the docs (https://example.com/doc) and https://example.com/."
        );
        assert_eq!(first[1], json!(1_704_189_600_000_i64), "2024-01-02 10:00 GMT");
        assert!(
            first[2].as_str().unwrap().contains("ago") || first[2].as_str().unwrap().contains("year"),
            "a relative date, as for the widget's own: {}",
            first[2]
        );
        assert_eq!(
            first[3],
            json!(["https://example.com/doc", "https://example.com/"]),
            "addresses linked as in any comment"
        );
        assert_eq!(first[4], json!(0), "no markup from the import");
        assert_eq!(first[5], "6 comments");
        let reply = js(
            &c,
            "return [...root.querySelectorAll('.text')].map(t => t.textContent)
                .find(t => t.startsWith('A reply without'));",
        )
        .await?;
        assert_eq!(reply, "A reply without an address <script>alert(1)</script>");
        Ok(())
    })
    .await
    .unwrap();
}
