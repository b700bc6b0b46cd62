//! End to end: the real server binary, the built widget, and real Chromium over WebDriver.
//!
//! Each test starts its own `causerie-server` on a free loopback port with a fresh SQLite
//! file, its own chromedriver in its own process group, and one or two browser sessions.
//! Every browser step returns a `Result`, sessions are always closed, and the process
//! groups the test started are killed when it ends, even when it fails.
//!
//! These tests need `www/pkg/` (`cargo xtask build`) and Debian's `chromium` and
//! `chromium-driver`; without them they fail and say so.
#![cfg(unix)]

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};

use causerie_testkit::{Group, postgres};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The demo article's thread id: the path of its `<link rel=canonical>`.
const DEMO_PAGE: &str = "/2026/11/mediatheque-ouverte-le-dimanche";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn preconditions() {
    let wasm = root().join("www/pkg/causerie_bg.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: build the widget with `cargo xtask build`",
        wasm.display()
    );
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).is_file(),
            "{tool} is missing: install Debian's chromium and chromium-driver (`cargo xtask test` does it as root)"
        );
    }
}

/// A corpus of `tests/data/`.
fn corpus(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("tests/data").join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn free_port() -> u16 {
    causerie_testkit::free_port()
}

fn wait_for_port(port: u16, what: &str) {
    if let Err(e) = causerie_testkit::wait_for_port(port, Duration::from_secs(20)) {
        panic!("{what}: {e}");
    }
}

/// The real server binary on a fixed port, over one SQLite file that outlives restarts.
struct Server {
    port: u16,
    /// The SQLite file, when the database is not PostgreSQL.
    database: PathBuf,
    /// The PostgreSQL database, if the server uses one.
    postgres: Option<String>,
    www: PathBuf,
    args: Vec<String>,
    process: Option<Group>,
}

impl Server {
    /// The server of the demo article, with the repository's `www`.
    fn start(dir: &Path) -> Server {
        Server::start_with(
            free_port(),
            dir.join("causerie.db"),
            root().join("www"),
            &[],
        )
    }

    fn start_with(port: u16, database: PathBuf, www: PathBuf, args: &[&str]) -> Server {
        let mut server = Server {
            port,
            database,
            postgres: None,
            www,
            args: args.iter().map(|a| a.to_string()).collect(),
            process: None,
        };
        server.restart();
        server
    }

    /// A server of the demo article on the PostgreSQL database `url`.
    fn start_on_postgres(url: &str, args: &[&str]) -> Server {
        let mut server = Server {
            port: free_port(),
            database: PathBuf::new(),
            postgres: Some(url.to_owned()),
            www: root().join("www"),
            args: args.iter().map(|a| a.to_string()).collect(),
            process: None,
        };
        server.restart();
        server
    }

    fn database_url(&self) -> String {
        match &self.postgres {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.database.display()),
        }
    }

    fn restart(&mut self) {
        // Published at once, and no spam limits, unless a test says otherwise.
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let process = Group::spawn(&mut causerie_testkit::server(
            Path::new(env!("CARGO_BIN_EXE_causerie-server")),
            self.port,
            &self.database_url(),
            &self.www,
            &args,
        ))
        .unwrap();
        self.process = Some(process);
        wait_for_port(self.port, "the server");
    }

    /// Stops the server as a crash would: SIGKILL, no chance to flush anything.
    fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A plain HTTP GET, as any client (or a scraper) would send it.
    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200"),
            "GET {path}: {response}"
        );
        response
    }

    /// Posts a comment as any HTTP client would, and checks that it was published.
    fn post(&self, page: &str, text: &str) {
        let body =
            json!({"page": page, "comment": text, "author": "Test", "email": "t@example.org"});
        self.post_json(&body);
    }

    /// Posts a comment's JSON, and checks that it was published.
    fn post_json(&self, body: &Value) {
        self.post_expecting(body, 201);
    }

    /// Posts a comment's JSON, and checks the answer's status.
    fn post_expecting(&self, body: &Value, status: u16) {
        let body = body.to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}")),
            "POST: {response}"
        );
    }

    /// How many stored comments, in any state, have this text: read from the database.
    async fn stored(&self, text: &str) -> i64 {
        let count = "SELECT COUNT(*) FROM comments WHERE text = ?";
        sqlx::query_scalar(count)
            .bind(text)
            .fetch_one(&mut self.db().await)
            .await
            .unwrap()
    }

    /// The pages of the stored comments with this text.
    async fn pages_of(&self, text: &str) -> Vec<String> {
        let pages = "SELECT page FROM comments WHERE text = ?";
        sqlx::query_scalar(pages)
            .bind(text)
            .fetch_all(&mut self.db().await)
            .await
            .unwrap()
    }

    async fn db(&self) -> sqlx::SqliteConnection {
        use sqlx::ConnectOptions;
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&self.database)
            .read_only(true)
            .connect()
            .await
            .unwrap()
    }
}

/// chromedriver and the browser sessions it starts.
struct Browser {
    port: u16,
    _driver: Group,
    profiles: tempfile::TempDir,
    /// The browser's own language (`navigator.language`).
    lang: &'static str,
}

impl Browser {
    fn start() -> Browser {
        Browser::start_in("en-US")
    }

    /// A browser whose own language is `lang`.
    fn start_in(lang: &'static str) -> Browser {
        let port = free_port();
        let driver = Group::spawn(
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                // Chromium on Linux takes its own language from the environment.
                .env("LANGUAGE", lang.replace('-', "_"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .unwrap();
        wait_for_port(port, "chromedriver");
        Browser {
            port,
            _driver: driver,
            profiles: tempfile::tempdir().unwrap(),
            lang,
        }
    }

    /// A new session with its own fresh profile: another reader.
    async fn session(&self, name: &str) -> Result<Client> {
        self.session_with(name, &[]).await
    }

    /// A new session, with more Chromium flags.
    async fn session_with(&self, name: &str, flags: &[&str]) -> Result<Client> {
        let profile = self.profiles.path().join(name);
        let caps = json!({ "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1024,700",
                     format!("--lang={}", self.lang),
                     format!("--accept-lang={}", self.lang),
                     format!("--user-data-dir={}", profile.display())],
        }});
        let mut caps = caps;
        for flag in flags {
            caps["goog:chromeOptions"]["args"]
                .as_array_mut()
                .unwrap()
                .push(json!(flag));
        }
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await?;
        // The window's size, again, before any page: a busy machine may show the first
        // page before `--window-size` applies, in a taller window that brings the
        // comments "near the viewport" at once.
        if let Err(e) = client.set_window_size(1024, 700).await {
            let _ = client.clone().close().await;
            return Err(e.into());
        }
        Ok(client)
    }
}

/// Runs `steps` with a session, and closes the session whatever happened.
async fn with_session<F, Fut>(browser: &Browser, name: &str, steps: F) -> Result<()>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let client = browser.session(name).await?;
    let outcome = steps(client.clone()).await;
    let closed = client.close().await;
    outcome?;
    closed?;
    Ok(())
}

/// Evaluates JS in the page. `root` is the widget's shadow root, or `null`.
async fn js(c: &Client, body: &str) -> Result<Value> {
    let script = format!(
        "const host = document.querySelector('[data-causerie]'); const root = host && host.shadowRoot; {body}"
    );
    Ok(c.execute(&script, vec![]).await?)
}

/// Polls a JS condition for up to 20 seconds.
async fn until(c: &Client, what: &str, condition: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        if js(c, &format!("return !!({condition});")).await? == json!(true) {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(20) {
            let status = js(
                c,
                "return root && root.querySelector('[data-testid=status]').textContent;",
            )
            .await?;
            return Err(format!("timed out waiting for {what} (status: {status})").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scrolls to the comments, as a reader does, and waits for the widget.
async fn open_comments(c: &Client) -> Result<()> {
    js(c, "host.scrollIntoView();").await?;
    until(
        c,
        "the widget",
        "root && root.querySelector('[data-testid=submit]')",
    )
    .await
}

async fn type_in(c: &Client, testid: &str, text: &str) -> Result<()> {
    let host = c.find(Locator::Css("[data-causerie]")).await?;
    let root = host.shadow_root().await?;
    let field = root
        .find(Locator::Css(&format!("[data-testid={testid}]")))
        .await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

async fn click_submit(c: &Client) -> Result<()> {
    let host = c.find(Locator::Css("[data-causerie]")).await?;
    let root = host.shadow_root().await?;
    root.find(Locator::Css("[data-testid=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn fill_and_submit(c: &Client, comment: &str, email: &str) -> Result<()> {
    type_in(c, "comment", comment).await?;
    type_in(c, "author", "Amélie Durand").await?;
    type_in(c, "email", email).await?;
    type_in(c, "url", "amelie.example.org").await?;
    click_submit(c).await
}

async fn texts(c: &Client) -> Result<Vec<String>> {
    let v = js(
        c,
        "return [...root.querySelectorAll('[data-testid=entry-text]')].map(e => e.textContent);",
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

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

/// A real deployment on two origins: the comment server, which allows the site's origin,
/// and the site, a plain static server whose `index.html` is `page(comment_server_url)`.
struct TwoOrigins {
    comments: Server,
    site: Server,
    _dir: tempfile::TempDir,
}

fn two_origins(page: impl FnOnce(&str) -> String) -> TwoOrigins {
    let dir = tempfile::tempdir().unwrap();
    let site_port = free_port();
    let comments = Server::start_with(
        free_port(),
        dir.path().join("comments.db"),
        root().join("www"),
        &["--allow-origin", &format!("http://127.0.0.1:{site_port}")],
    );
    let site_www = dir.path().join("site");
    std::fs::create_dir_all(&site_www).unwrap();
    std::fs::write(site_www.join("index.html"), page(&comments.url(""))).unwrap();
    let site = Server::start_with(site_port, dir.path().join("site.db"), site_www, &[]);
    TwoOrigins {
        comments,
        site,
        _dir: dir,
    }
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

/// Runs `steps` with two sessions, two readers with their own profiles, and closes both
/// whatever happened.
async fn with_two_sessions<F, Fut>(browser: &Browser, steps: F) -> Result<()>
where
    F: FnOnce(Client, Client) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let author = browser.session("author").await?;
    let reader = match browser.session("reader").await {
        Ok(reader) => reader,
        Err(e) => {
            author.close().await?;
            return Err(e);
        }
    };
    let outcome = steps(author.clone(), reader.clone()).await;
    let closed = (author.close().await, reader.close().await);
    outcome?;
    closed.0?;
    closed.1?;
    Ok(())
}

/// The thread as a reader sees it: each comment's text and how deep it is drawn, in
/// document order.
async fn thread_shape(c: &Client) -> Result<Vec<(String, u32)>> {
    let shape = js(
        c,
        "return [...root.querySelectorAll('li[data-id]')].map(li =>
            [li.querySelector(':scope > article .text').textContent, Number(li.dataset.depth)]);",
    )
    .await?;
    Ok(serde_json::from_value(shape)?)
}

/// Presses Reply on the comment whose text is `text`, with a real click.
async fn reply_to(c: &Client, text: &str) -> Result<()> {
    let id = js(
        c,
        &format!(
            "return [...root.querySelectorAll('li[data-id]')].find(li =>
                li.querySelector(':scope > article .text').textContent === {text:?}).dataset.id;"
        ),
    )
    .await?;
    let id = id.as_str().ok_or("no such comment")?.to_owned();
    let host = c.find(Locator::Css("[data-causerie]")).await?;
    let root = host.shadow_root().await?;
    root.find(Locator::Css(&format!(
        "li[data-id='{id}'] > article [data-testid=reply]"
    )))
    .await?
    .click()
    .await?;
    Ok(())
}

/// Two readers: one comments, the other replies, the first replies to the reply. Both
/// see the same thread, in order, nested; the replies were posted with their parents.
#[tokio::test]
async fn replies_nest_alike_for_two_readers() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let browser = Browser::start();
    let page = server.url("/");
    with_two_sessions(&browser, |author, reader| async move {
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, "Premier !", "a@example.org").await?;
        until(
            &author,
            "the comment",
            "root.querySelectorAll('li[data-id]').length === 1",
        )
        .await?;

        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the author's comment",
            "root.querySelectorAll('li[data-id]').length === 1",
        )
        .await?;
        reply_to(&reader, "Premier !").await?;
        let heading = js(
            &reader,
            "return root.querySelector('form .heading').textContent;",
        )
        .await?;
        assert_eq!(heading, json!("Répondre à Amélie Durand"));
        fill_and_submit(&reader, "Une réponse", "b@example.org").await?;
        until(
            &reader,
            "the reply",
            "root.querySelectorAll('li[data-id]').length === 2",
        )
        .await?;
        assert_eq!(
            thread_shape(&reader).await?,
            [("Premier !".into(), 1), ("Une réponse".into(), 2)]
        );

        author.refresh().await?;
        open_comments(&author).await?;
        until(
            &author,
            "the reply",
            "root.querySelectorAll('li[data-id]').length === 2",
        )
        .await?;
        reply_to(&author, "Une réponse").await?;
        fill_and_submit(&author, "Réponse à la réponse", "a@example.org").await?;
        until(
            &author,
            "the reply to the reply",
            "root.querySelectorAll('li[data-id]').length === 3",
        )
        .await?;
        // A comment on the article, after the thread.
        fill_and_submit(&author, "Autre chose", "a@example.org").await?;
        until(
            &author,
            "the second thread",
            "root.querySelectorAll('li[data-id]').length === 4",
        )
        .await?;

        reader.refresh().await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the whole thread",
            "root.querySelectorAll('li[data-id]').length === 4",
        )
        .await?;
        let expected: Vec<(String, u32)> = vec![
            ("Premier !".into(), 1),
            ("Une réponse".into(), 2),
            ("Réponse à la réponse".into(), 3),
            ("Autre chose".into(), 1),
        ];
        assert_eq!(thread_shape(&reader).await?, expected);
        assert_eq!(thread_shape(&author).await?, expected);
        let count = js(
            &reader,
            "return root.querySelector('[data-testid=count]').textContent;",
        )
        .await?;
        assert_eq!(count, json!("4 commentaires"));
        Ok(())
    })
    .await
    .unwrap();
    // The server stored the tree, not just the texts.
    let api: Value = serde_json::from_str(
        server
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .split("\r\n\r\n")
            .nth(1)
            .unwrap(),
    )
    .unwrap();
    let comments = api["comments"].as_array().unwrap();
    let id_of = |text: &str| comments.iter().find(|c| c["text"] == text).unwrap()["id"].clone();
    let parent_of =
        |text: &str| comments.iter().find(|c| c["text"] == text).unwrap()["parent"].clone();
    assert_eq!(parent_of("Premier !"), Value::Null);
    assert_eq!(parent_of("Une réponse"), id_of("Premier !"));
    assert_eq!(parent_of("Réponse à la réponse"), id_of("Une réponse"));
    assert_eq!(parent_of("Autre chose"), Value::Null);
}

/// On a site that holds comments for moderation, a held comment is seen by its author,
/// marked, even after a reload, and by nobody else.
#[tokio::test]
async fn a_held_comment_is_seen_by_its_author_only() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--moderation", "hold"],
    );
    let browser = Browser::start();
    let page = server.url("/");
    with_two_sessions(&browser, |author, reader| async move {
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, "En attente, moi ?", "a@example.org").await?;
        until(
            &author,
            "the held comment",
            "root.querySelector('li[data-id] .badge')",
        )
        .await?;
        author.refresh().await?;
        open_comments(&author).await?;
        until(
            &author,
            "the held comment after a reload",
            "root.querySelector('li[data-id] .badge')",
        )
        .await?;
        let badge = js(
            &author,
            "return root.querySelector('li[data-id] .badge').textContent;",
        )
        .await?;
        assert_eq!(badge, json!("En attente de modération"));
        assert_eq!(texts(&author).await?, ["En attente, moi ?"]);

        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the count",
            "root.querySelector('[data-testid=count]').textContent === 'Aucun commentaire'",
        )
        .await?;
        assert!(texts(&reader).await?.is_empty());
        Ok(())
    })
    .await
    .unwrap();
    assert!(
        !server
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .contains("En attente, moi")
    );
    assert_eq!(server.stored("En attente, moi ?").await, 1);
}

/// A JS condition that holds once `count` comments show; until then, it presses "Show
/// more" whenever it is there, as a reader would.
fn whole_thread(count: usize) -> String {
    format!(
        "(() => {{ const more = root.querySelector('[data-testid=more]');
            if (more && !more.hidden) more.click();
            return root.querySelectorAll('[data-testid=entry]').length === {count}; }})()"
    )
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

/// On SIGTERM the server stops accepting connections, finishes the request in flight (here
/// a POST whose body is still arriving), and exits cleanly; the comment is stored.
#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server =
        Server::start_with(free_port(), dir.path().join("db"), root().join("www"), &[]);
    let body =
        json!({"page": "/a", "comment": "Dernier", "author": "Zoé", "email": "z@example.org"})
            .to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut process = server.process.take().unwrap();
    let pid = process.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    std::thread::sleep(Duration::from_millis(300));
    // No new connection is accepted…
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "still accepting after SIGTERM"
    );
    // …but the request in flight completes.
    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = process.try_wait() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the server did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    process.forget();
    assert_eq!(server.stored("Dernier").await, 1);
}

/// Slow clients are cut off: headers that trickle in close the connection, and a body
/// that trickles in is refused, so that neither holds the only permit for long.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("db"),
        root().join("www"),
        &["--client-timeout", "1", "--max-in-flight", "1"],
    );
    let read_all = |mut stream: TcpStream| {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut response = Vec::new();
        let result = stream.read_to_end(&mut response);
        (
            result.is_ok(),
            String::from_utf8_lossy(&response).into_owned(),
        )
    };

    // Headers that never end.
    let start = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .unwrap();
    let (closed, _) = read_all(slow);
    assert!(
        closed,
        "the server kept a connection whose headers never ended"
    );
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );

    // A body that never ends.
    let start = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(b"POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"page\":").unwrap();
    let (closed, response) = read_all(slow);
    assert!(closed);
    assert!(response.starts_with("HTTP/1.1 4"), "{response}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );

    // The permit is free again.
    assert!(
        server
            .get("/api/v1/comments?page=/a")
            .contains("\"comments\":[]")
    );
}

/// Sends a comment and returns the status, or `None` when the connection failed before
/// a status line arrived (the server was killed).
fn try_post(port: u16, body: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!(
        "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.get(9..12)?.parse().ok()
}

/// Crash test: under concurrent writes from four clients, the server is killed with
/// SIGKILL at 20 pseudo-random moments, and restarted. Returns the texts of the comments
/// that were acknowledged with a 201.
fn kill_9_under_load(server: &mut Server) -> Vec<String> {
    use std::sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    };
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let serial = Arc::new(AtomicUsize::new(0));
    let mut jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..20 {
        if round > 0 {
            server.restart();
        }
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|_| {
                let (port, stop) = (server.port, stop.clone());
                let (acknowledged, serial) = (acknowledged.clone(), serial.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let text = format!("crash test comment {}", serial.fetch_add(1, Ordering::Relaxed));
                        let body = json!({"page": "/crash", "comment": text, "author": "K", "email": "k@example.org"});
                        if try_post(port, &body.to_string()) == Some(201) {
                            acknowledged.lock().unwrap().push(text);
                        }
                    }
                })
            })
            .collect();
        // A pseudo-random moment between 50 and 350 ms (xorshift on the clock's nanoseconds).
        jitter ^= jitter << 13;
        jitter ^= jitter >> 7;
        jitter ^= jitter << 17;
        std::thread::sleep(Duration::from_millis(50 + jitter % 300));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for writer in writers {
            writer.join().unwrap();
        }
    }
    server.restart();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 100,
        "only {} comments were acknowledged",
        acknowledged.len()
    );
    acknowledged
}

/// Checks that every acknowledged text is stored exactly once, and that every stored
/// comment is whole: in its thread, with its avatar.
fn check_after_crashes(acknowledged: &[String], stored: &[(String, Option<i64>, String)]) {
    let mut counts = std::collections::HashMap::<&str, usize>::new();
    for (text, thread, avatar) in stored {
        *counts.entry(text.as_str()).or_default() += 1;
        assert!(
            thread.is_some() && !avatar.is_empty(),
            "{text} is half-written"
        );
    }
    for text in acknowledged {
        assert_eq!(
            counts.get(text.as_str()),
            Some(&1),
            "{text} was acknowledged but is not stored once"
        );
    }
    println!(
        "crash test: 20 kills, {} comments acknowledged, {} stored, every acknowledged one once",
        acknowledged.len(),
        stored.len()
    );
}

/// Crash test on SQLite: every comment that got a 201 is in the database after the
/// restarts, exactly once, and the database is intact.
#[tokio::test]
async fn acknowledged_comments_survive_kill_9_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let acknowledged = kill_9_under_load(&mut server);
    let mut db = server.db().await;
    let stored: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT text, thread, avatar FROM comments")
            .fetch_all(&mut db)
            .await
            .unwrap();
    check_after_crashes(&acknowledged, &stored);
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
}

/// The same crash test on PostgreSQL.
#[tokio::test]
async fn acknowledged_comments_survive_kill_9_under_load_on_postgres() {
    let url = postgres::fresh_database().await;
    let mut server = Server::start_on_postgres(&url, &[]);
    let acknowledged = kill_9_under_load(&mut server);
    let stored: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT text, thread, avatar FROM comments")
            .fetch_all(&mut postgres::connect(&url).await)
            .await
            .unwrap();
    check_after_crashes(&acknowledged, &stored);
}

/// Sends a comment with an idempotency key, and returns the status and whether the
/// answer was a replay.
fn post_with_key(port: u16, body: &str, key: &str) -> Option<(u16, bool)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.get(9..12)?.parse().ok()?;
    Some((
        status,
        response
            .to_ascii_lowercase()
            .contains("idempotent-replayed: true"),
    ))
}

/// Two server processes on one PostgreSQL: comments posted through either show through
/// both; the per-address rate limit and the idempotency keys hold across them; and
/// neither keeps state of its own that the other would miss.
#[tokio::test(flavor = "multi_thread")]
async fn two_servers_share_one_postgres() {
    let url = postgres::fresh_database().await;
    // Both start at once, and so migrate at once: the migrator's lock lets one do it.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start_on_postgres(&url, &["--max-posts-per-ip", "30"]));
        let b = s.spawn(|| Server::start_on_postgres(&url, &["--max-posts-per-ip", "30"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    let body = |text: &str| {
        json!({"page": "/two", "comment": text, "author": "D", "email": "d@example.org"})
            .to_string()
    };
    // Posted through both, concurrently.
    let statuses: Vec<Option<u16>> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..10)
            .map(|i| {
                let port = if i % 2 == 0 { a.port } else { b.port };
                let body = body(&format!("à travers deux serveurs {i}"));
                s.spawn(move || try_post(port, &body))
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == Some(201)), "{statuses:?}");
    for server in [&a, &b] {
        let thread = server.get("/api/v1/comments?page=/two");
        for i in 0..10 {
            assert!(
                thread.contains(&format!("à travers deux serveurs {i}")),
                "{thread}"
            );
        }
    }

    // The same key through both: one comment, and the second answer is the first one's.
    let first = post_with_key(a.port, &body("une clé, deux serveurs"), "key-shared-1");
    let second = post_with_key(b.port, &body("une clé, deux serveurs"), "key-shared-1");
    assert_eq!(first, Some((201, false)));
    assert_eq!(second, Some((201, true)));
    // And at once, many times over: never two comments for one key; a request that
    // meets its twin in flight gets 409 and may retry.
    let outcomes: Vec<Option<(u16, bool)>> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..20)
            .map(|i| {
                let port = if i % 2 == 0 { a.port } else { b.port };
                let body = body(&format!("course {}", i / 2));
                let key = format!("key-race-{}", i / 2);
                s.spawn(move || post_with_key(port, &body, &key))
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for outcome in &outcomes {
        assert!(
            matches!(outcome, Some((201, _)) | Some((409, false))),
            "{outcomes:?}"
        );
    }
    let mut db = postgres::connect(&url).await;
    for i in 0..10 {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments WHERE text = $1")
            .bind(format!("course {i}"))
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(count, 1, "course {i}");
    }

    // The rate limit counts the comments of both servers: 30 in all from this address.
    let posted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM comments")
        .fetch_one(&mut db)
        .await
        .unwrap();
    let room = 30 - posted;
    let mut accepted = 0;
    for i in 0..room + 2 {
        let port = if i % 2 == 0 { a.port } else { b.port };
        match try_post(port, &body(&format!("quota {i}"))) {
            Some(201) => accepted += 1,
            Some(429) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(accepted, room, "the limit holds across both servers");
}
/// An Arabic page gets the widget in Arabic, mirrored: the loader sets `dir="rtl"` from
/// the language file, and the fields' labels start at the right.
#[tokio::test]
async fn an_arabic_page_gets_a_mirrored_widget() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>مقال</title></head>
<body><h1>مقال</h1><script src="{}/embed.js" defer></script></body></html>"#,
            w
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "arabic", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        assert_eq!(js(&c, "return root.querySelector('h2').textContent;").await?, json!("اترك تعليقًا"));
        assert_eq!(js(&c, "return host.dir;").await?, json!("rtl"));
        let mirrored = js(&c, "const box = root.querySelector('.causerie').getBoundingClientRect();
            const label = root.querySelector('label[for=causerie-author]').getBoundingClientRect();
            return [getComputedStyle(root.querySelector('form')).direction, Math.abs(box.right - label.right) < 2];").await?;
        assert_eq!(mirrored, json!(["rtl", true]));
        Ok(())
    })
    .await
    .unwrap();
}

/// Without `data-lang` or `<html lang>`, the widget speaks the browser's language.
#[tokio::test]
async fn without_a_page_language_the_browser_language_is_used() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html><head><meta charset="utf-8"><title>x</title></head>
<body><script src="{w}/embed.js" defer></script></body></html>"#
        )
    });
    let url = site.url("/");
    let browser = Browser::start_in("de-DE");
    with_session(&browser, "german", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        assert_eq!(js(&c, "return navigator.language;").await?, json!("de-DE"));
        assert_eq!(
            js(&c, "return root.querySelector('h2').textContent;").await?,
            json!("Schreibe einen Kommentar")
        );
        Ok(())
    })
    .await
    .unwrap();
}

/// axe-core, as `cargo xtask test` installs it from npm.
fn axe_source() -> String {
    let axe = root().join("target/tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&axe).unwrap_or_else(|_| {
        panic!(
            "{} is missing: `cargo xtask test` installs axe-core 4.14.1 from npm",
            axe.display()
        )
    })
}

/// Runs axe-core 4.14.1 on the whole page, the widget's shadow root included, with every
/// rule it enables by default and `target-size` (WCAG 2.2's 24×24 px, off by default),
/// and returns its violations, one line each.
async fn axe(c: &Client, axe: &str, state: &str) -> Result<Vec<String>> {
    if js(c, "return typeof window.axe;").await? != json!("object") {
        c.execute(axe, vec![]).await?;
    }
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'], rules: { 'target-size': { enabled: true } } })
                .then(r => done(r.violations.flatMap(v => v.nodes.map(n =>
                    v.id + ' (' + v.impact + '): ' + JSON.stringify(n.target) + ' ' + n.failureSummary))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await?;
    let found: Vec<String> = serde_json::from_value(found)?;
    Ok(found
        .into_iter()
        .map(|v| format!("[{state}] {v}"))
        .collect())
}

/// The demo page's theme switch, as a reader presses it.
async fn press_theme_switch(c: &Client) -> Result<()> {
    c.find(Locator::Css("#theme")).await?.click().await?;
    Ok(())
}

/// axe-core finds nothing wrong on the demo article with its widget, in light and in
/// dark: the empty form, the form with errors, while sending, after posting, a thread
/// with replies, and the form open to reply.
#[tokio::test]
async fn axe_finds_no_violation_in_any_state_in_light_and_dark() {
    preconditions();
    let axe_js = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.post_json(&json!({"page": DEMO_PAGE, "comment": "Premier ! https://example.org/a", "author": "Ana", "email": "a@example.org", "url": "ana.example.org"}));
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "axe", |c| async move {
        let mut violations = Vec::new();
        for theme in ["light", "dark"] {
            c.goto(&page).await?;
            if theme == "dark" {
                press_theme_switch(&c).await?;
                until(&c, "the dark widget", "host.dataset.scheme === 'dark'").await?;
            }
            open_comments(&c).await?;
            until(&c, "the thread", "root.querySelector('li[data-id]')").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, empty")).await?);
            click_submit(&c).await?;
            until(&c, "the errors", "root.querySelector('[aria-invalid=true]')").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, errors")).await?);
            // Sending: the server's answer is held back.
            js(&c, "window.__fetch = window.fetch; window.fetch = (url, init) =>
                init && init.method === 'POST' ? new Promise(r => { window.__go = () => r(window.__fetch(url, init)); }) : window.__fetch(url, init);").await?;
            fill_and_submit(&c, "Une réponse accessible.", "b@example.org").await?;
            until(&c, "the post in flight", "root.querySelector('[data-testid=submit]').disabled").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, sending")).await?);
            js(&c, "window.__go();").await?;
            until(&c, "the posted comment", "root.querySelectorAll('li[data-id]').length >= 2").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, posted")).await?);
            reply_to(&c, "Premier ! https://example.org/a").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, replying")).await?);
            // The author's own comment: its editor, and a refused edit.
            click_on_comment(&c, "Une réponse accessible.", "edit").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, editing")).await?);
            type_in(&c, "editor", " ").await?;
            js(&c, "root.querySelector('[data-testid=save]').click();").await?;
            until(&c, "the edit's error", "root.querySelector('[data-testid=entry-error]')").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, edit refused")).await?);
        }
        assert!(violations.is_empty(), "axe found:\n{}", violations.join("\n"));
        Ok(())
    })
    .await
    .unwrap();
}

/// Presses keys, as a keyboard does: each a key down and a key up, on whatever has focus.
async fn press(c: &Client, keys: &str) -> Result<()> {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    c.perform_actions(actions).await?;
    Ok(())
}

const TAB: &str = "\u{e004}";
const SHIFT_TAB_DOWN: char = '\u{e008}';
const ENTER: &str = "\u{e007}";

/// Shift+Tab.
async fn back_tab(c: &Client) -> Result<()> {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: SHIFT_TAB_DOWN,
        })
        .then(KeyAction::Down { value: '\u{e004}' })
        .then(KeyAction::Up { value: '\u{e004}' })
        .then(KeyAction::Up {
            value: SHIFT_TAB_DOWN,
        });
    c.perform_actions(actions).await?;
    Ok(())
}

/// What has focus, through the widget's shadow root: its `data-testid` (or tag name),
/// and whether a focus indicator shows (an outline or a box shadow).
async fn focused(c: &Client) -> Result<(String, bool)> {
    let v = js(
        c,
        "let e = document.activeElement;
         while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
         const s = getComputedStyle(e);
         return [e.dataset.testid || e.getAttribute('name') || e.tagName.toLowerCase(),
                 (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'];",
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

/// Tabs until `testid` has focus (at most `max` presses), checking on the way that
/// focus never disappears and always shows.
async fn tab_to(c: &Client, testid: &str, max: usize) -> Result<()> {
    for _ in 0..max {
        press(c, TAB).await?;
        let (now, visible) = focused(c).await?;
        if now == "body" {
            return Err(format!("focus was lost on the way to {testid}").into());
        }
        if now == testid {
            if !visible {
                return Err(format!("{testid} has focus but shows no focus indicator").into());
            }
            return Ok(());
        }
    }
    Err(format!("{testid} not reached in {max} tabs").into())
}

/// The whole flow by keyboard alone: tab to the form, type, submit, meet errors, fix
/// them, post; reply to a comment, cancel, reply again. Focus always shows, and is never
/// lost: after errors it is on the first wrong field, after Cancel on the Reply button.
#[tokio::test]
async fn the_whole_flow_works_by_keyboard_alone() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.post_json(&json!({"page": DEMO_PAGE, "comment": "Premier !", "author": "Ana", "email": "a@example.org"}));
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "keyboard", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelector('li[data-id]')").await?;
        js(&c, "window.scrollTo(0, 0); document.activeElement.blur();").await?;
        tab_to(&c, "comment", 40).await?;
        press(&c, "Un commentaire au clavier.").await?;
        tab_to(&c, "author", 1).await?;
        press(&c, "Zoé").await?;
        tab_to(&c, "email", 1).await?;
        press(&c, "zoe@").await?;
        tab_to(&c, "url", 1).await?;
        tab_to(&c, "remember", 1).await?;
        tab_to(&c, "submit", 1).await?;
        press(&c, ENTER).await?;
        until(
            &c,
            "the error",
            "root.querySelector('[data-testid=email-error]').textContent !== ''",
        )
        .await?;
        assert_eq!(
            focused(&c).await?,
            ("email".to_owned(), true),
            "focus goes to the first wrong field"
        );
        press(&c, "example.org").await?;
        tab_to(&c, "url", 1).await?;
        tab_to(&c, "remember", 1).await?;
        tab_to(&c, "submit", 1).await?;
        press(&c, ENTER).await?;
        until(
            &c,
            "the comment",
            "root.querySelectorAll('li[data-id]').length === 2",
        )
        .await?;
        let status = js(
            &c,
            "return root.querySelector('[data-testid=status]').textContent;",
        )
        .await?;
        assert_eq!(status, json!("Votre commentaire est publié."));

        // Reply to the first comment, cancel, and reply again.
        tab_to(&c, "reply", 20).await?;
        press(&c, ENTER).await?;
        assert_eq!(
            focused(&c).await?.0,
            "comment",
            "Reply puts focus in the form"
        );
        let heading = js(
            &c,
            "return root.querySelector('form .heading').textContent;",
        )
        .await?;
        assert_eq!(heading, json!("Répondre à Ana"));
        tab_to(&c, "cancel", 10).await?;
        press(&c, ENTER).await?;
        assert_eq!(
            focused(&c).await?,
            ("reply".to_owned(), true),
            "Cancel gives focus back to Reply"
        );
        press(&c, ENTER).await?;
        press(&c, "Merci !").await?;
        tab_to(&c, "submit", 10).await?;
        press(&c, ENTER).await?;
        until(
            &c,
            "the reply",
            "root.querySelector('li[data-id] > .replies > li[data-id]')",
        )
        .await?;
        // Focus goes to the reply just posted, and shows.
        assert_eq!(focused(&c).await?, ("entry".to_owned(), true));
        back_tab(&c).await?;
        assert_ne!(focused(&c).await?.0, "body");
        Ok(())
    })
    .await
    .unwrap();
}

/// Themes: `data-theme="auto"` follows the page's `<html>` as it toggles a class or
/// `data-theme` at runtime, and `dark` is dark whatever the page says.
#[tokio::test]
async fn the_theme_follows_the_page_at_runtime() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Themes</title></head>
<body><main><h1>Themes</h1><div id="auto"></div><div id="dark"></div>
<script src="{w}/embed.js" data-target="#auto" data-theme="auto" defer></script>
<script src="{w}/embed.js" data-target="#dark" data-theme="dark" defer></script></main></body></html>"##
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "themes", |c| async move {
        c.goto(&url).await?;
        let background = |id: &str| {
            format!(
                "return getComputedStyle(document.querySelector('#{id}').shadowRoot.querySelector('.causerie')).backgroundColor;"
            )
        };
        until(&c, "both widgets", "document.querySelector('#auto').shadowRoot && document.querySelector('#dark').shadowRoot").await?;
        assert_eq!(js(&c, &background("dark")).await?, json!("rgb(27, 30, 36)"));
        assert_eq!(js(&c, &background("auto")).await?, json!("rgba(0, 0, 0, 0)"));
        for (toggle, scheme) in [
            ("document.documentElement.classList.add('dark')", "dark"),
            ("document.documentElement.classList.remove('dark')", "light"),
            ("document.documentElement.dataset.theme = 'dark'", "dark"),
            ("document.documentElement.dataset.theme = 'light'", "light"),
        ] {
            js(&c, toggle).await?;
            until(&c, toggle, &format!("document.querySelector('#auto').dataset.scheme === '{scheme}'")).await?;
            let expected = if scheme == "dark" { "rgb(27, 30, 36)" } else { "rgba(0, 0, 0, 0)" };
            assert_eq!(js(&c, &background("auto")).await?, json!(expected), "{toggle}");
            assert_eq!(js(&c, &background("dark")).await?, json!("rgb(27, 30, 36)"), "{toggle}");
        }
        Ok(())
    })
    .await
    .unwrap();
}

/// A site owner rewords messages from the embed tag, without rebuilding: known names are
/// replaced, an unknown one is reported and ignored, and a reader downloads only their
/// own language's file.
#[tokio::test]
async fn a_site_owner_overrides_single_messages() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title></head>
<body><main><h1>Article</h1>
<script src="{w}/embed.js" data-strings='{{"Submit": "Publier mon avis", "Heading": "Votre avis", "count.none": "Soyez le premier !", "Nope": "x"}}' defer></script>
</main></body></html>"#
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "strings", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        until(&c, "the count", "root.querySelector('[data-testid=count]').textContent !== ''").await?;
        let shown = js(&c, "return [root.querySelector('[data-testid=submit]').textContent.trim(),
            root.querySelector('form .heading').textContent, root.querySelector('[data-testid=count]').textContent,
            root.querySelector('label[for=causerie-author]').textContent];").await?;
        assert_eq!(shown, json!(["Publier mon avis", "Votre avis", "Soyez le premier !", "Nom *"]));
        let languages = js(&c, "return performance.getEntriesByType('resource').map(r => r.name)
            .filter(n => n.includes('/i18n/')).map(n => n.split('/').pop()).sort();").await?;
        assert_eq!(languages, json!(["fr.json", "keys.json"]));
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

/// Sets the admin password with the CLI, on the running server's database.
fn set_admin_password(database: &Path, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .arg("--database")
        .arg(format!("sqlite://{}", database.display()))
        .args(["admin", "set-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// The admin page's login, as the site owner types it.
async fn admin_login(c: &Client, url: &str, password: &str) -> Result<()> {
    c.goto(url).await?;
    c.find(Locator::Css("#password"))
        .await?
        .send_keys(password)
        .await?;
    c.find(Locator::Css("form.login button"))
        .await?
        .click()
        .await?;
    c.wait().for_element(Locator::Css("form.search")).await?;
    Ok(())
}

/// The default, first-time moderation, end to end: a new commenter's comment is held and
/// seen by its author only; the site owner logs in to the admin page and approves it; a
/// second reader then sees it. axe-core finds nothing wrong with the admin page, in light
/// and dark.
#[tokio::test]
async fn a_first_time_comment_is_approved_on_the_admin_page() {
    preconditions();
    let axe_js = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("causerie.db");
    let server = Server::start_with(
        free_port(),
        database.clone(),
        root().join("www"),
        &["--moderation", "first-time"],
    );
    set_admin_password(&database, "correct horse battery staple");
    let browser = Browser::start();
    let page = server.url("/");
    let admin = server.url("/admin");
    let comment = "Première fois ici : bravo pour l’article.";
    let first_page = page.clone();
    // The identity the server gave the author's browser, which keeps it.
    let kept = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept_in = kept.clone();
    with_two_sessions(&browser, |author, reader| async move {
        let page = first_page;
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, comment, "nouvelle@example.org").await?;
        until(
            &author,
            "the held comment",
            "root.querySelector('li[data-id] .badge')",
        )
        .await?;
        let identity = js(&author, "return localStorage.getItem('causerie:identity');").await?;
        *kept_in.lock().unwrap() = identity.as_str().unwrap_or_default().to_owned();
        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the count",
            "root.querySelector('[data-testid=count]').textContent === 'Aucun commentaire'",
        )
        .await?;
        Ok(())
    })
    .await
    .unwrap();

    let mut violations = Vec::new();
    for (scheme, flags) in [
        ("light", &[][..]),
        (
            "dark",
            &[
                "--force-dark-mode",
                "--blink-settings=preferredColorScheme=0",
            ][..],
        ),
    ] {
        let owner = browser
            .session_with(&format!("owner-{scheme}"), flags)
            .await
            .unwrap();
        let steps = async {
            owner.goto(&admin).await?;
            assert_eq!(
                js(
                    &owner,
                    "return matchMedia('(prefers-color-scheme: dark)').matches;"
                )
                .await?,
                json!(scheme == "dark")
            );
            violations.extend(axe(&owner, &axe_js, &format!("admin login, {scheme}")).await?);
            admin_login(&owner, &admin, "correct horse battery staple").await?;
            let listed = js(
                &owner,
                "return document.querySelector('ol.comments li.held').textContent;",
            )
            .await?;
            assert!(
                listed.as_str().unwrap().contains("nouvelle@example.org"),
                "{listed}"
            );
            violations.extend(axe(&owner, &axe_js, &format!("admin list, {scheme}")).await?);
            if scheme == "dark" {
                owner
                    .find(Locator::Css(
                        "ol.comments li.held button[formaction='/admin/comments/approve']",
                    ))
                    .await?
                    .click()
                    .await?;
                owner.wait().for_element(Locator::Css("p.notice")).await?;
                violations.extend(
                    axe(&owner, &axe_js, &format!("admin after approving, {scheme}")).await?,
                );
                assert!(
                    js(&owner, "return document.querySelector('li.held');")
                        .await?
                        .is_null()
                );
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }
        .await;
        owner.close().await.unwrap();
        steps.unwrap();
    }
    assert!(
        violations.is_empty(),
        "axe found:\n{}",
        violations.join("\n")
    );

    with_session(&browser, "second-reader", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(
            &c,
            "the approved comment",
            "root.querySelectorAll('li[data-id]').length === 1",
        )
        .await?;
        assert_eq!(texts(&c).await?, [comment]);
        assert!(
            js(&c, "return root.querySelector('.badge');")
                .await?
                .is_null()
        );
        Ok(())
    })
    .await
    .unwrap();
    // Known now, by the identity their browser kept: the same commenter's next comment
    // is published at once, whatever address they type.
    let identity = kept.lock().unwrap().clone();
    assert_eq!(identity.len(), 32, "the browser keeps its identity");
    let body = json!({"page": DEMO_PAGE, "comment": "Encore moi", "author": "Amélie",
        "email": "autre@example.org", "identity": identity});
    server.post_json(&body);
    // The approved address without that identity is a stranger's: held.
    let impostor = json!({"page": DEMO_PAGE, "comment": "C'est moi", "author": "Amélie",
        "email": "nouvelle@example.org"});
    server.post_expecting(&impostor, 202);
}

/// The spam defences with the real widget: a comment posted sooner after the page
/// appeared than `--min-seconds` is refused, and said so in French, with the text kept;
/// later it goes through, carrying the form token that came with the thread through
/// CORS; past `--max-posts-per-ip`, the widget says how long to wait.
#[tokio::test]
async fn the_widget_meets_the_spam_defences_with_words() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &[
            "--min-seconds",
            "5",
            "--max-posts-per-ip",
            "1",
            "--post-window",
            "600",
        ],
    );
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "spam", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelector('[data-testid=count]').textContent !== ''").await?;
        let loaded = Instant::now();
        let status = "root.querySelector('[data-testid=status]').textContent";
        fill_and_submit(&c, "Trop vite ?", "vite@example.org").await?;
        until(&c, "the refusal", &format!("{status} === 'C’était rapide ! Relisez votre commentaire, puis envoyez-le à nouveau.'")).await?;
        let kept = js(&c, "return root.querySelector('[data-testid=comment]').value;").await?;
        assert_eq!(kept, json!("Trop vite ?"));
        tokio::time::sleep(Duration::from_secs(5).saturating_sub(loaded.elapsed()) + Duration::from_millis(300)).await;
        click_submit(&c).await?;
        until(&c, "the comment", "root.querySelectorAll('li[data-id]').length === 1").await?;
        fill_and_submit(&c, "Encore un", "vite@example.org").await?;
        until(&c, "the rate limit", &format!("{status} === 'Trop de commentaires en peu de temps : réessayez dans 10 min.'")).await?;
        let kept = js(&c, "return root.querySelector('[data-testid=comment]').value;").await?;
        assert_eq!(kept, json!("Encore un"));
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
        c.execute_async("const done = arguments[arguments.length - 1]; window.__fetched.then(done);", vec![]).await?;
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

/// With every spam defence at its default, a reader who types at a person's speed is
/// never refused.
#[tokio::test]
async fn a_reader_at_human_speed_is_never_refused() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    // The defaults, which the other tests turn off.
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &[
            "--min-seconds",
            "3",
            "--max-posts-per-ip",
            "10",
            "--max-links",
            "2",
            "--moderation",
            "first-time",
        ],
    );
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "human", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelector('[data-testid=count]').textContent !== ''").await?;
        for (field, text) in [
            ("comment", "J’ai lu l’article jusqu’au bout : bonne idée, ce dimanche."),
            ("author", "Lucie"),
            ("email", "lucie@example.org"),
        ] {
            type_in(&c, field, text).await?;
            tokio::time::sleep(Duration::from_millis(1200)).await;
        }
        click_submit(&c).await?;
        until(&c, "the answer", "root.querySelector('[data-testid=status]').textContent === 'Merci ! Votre commentaire est en attente de modération.'").await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        server
            .stored("J’ai lu l’article jusqu’au bout : bonne idée, ce dimanche.")
            .await,
        1
    );
}

/// Clicks the button `testid` of the comment whose text is `text`, with a real click.
async fn click_on_comment(c: &Client, text: &str, testid: &str) -> Result<()> {
    let id = comment_id(c, text).await?;
    let host = c.find(Locator::Css("[data-causerie]")).await?;
    let root = host.shadow_root().await?;
    root.find(Locator::Css(&format!(
        "li[data-id='{id}'] > article [data-testid={testid}]"
    )))
    .await?
    .click()
    .await?;
    Ok(())
}

/// The id of the comment whose text is `text`.
async fn comment_id(c: &Client, text: &str) -> Result<String> {
    let id = js(
        c,
        &format!(
            "const li = [...root.querySelectorAll('li[data-id]')].find(li =>
                li.querySelector(':scope > article .text').textContent === {text:?});
             return li ? li.dataset.id : null;"
        ),
    )
    .await?;
    Ok(id
        .as_str()
        .ok_or_else(|| format!("no comment {text:?}"))?
        .to_owned())
}

/// Whether the comment whose text is `text` shows Edit and Delete.
async fn has_author_buttons(c: &Client, text: &str) -> Result<bool> {
    let id = comment_id(c, text).await?;
    let found = js(
        c,
        &format!(
            "return [!!root.querySelector(\"li[data-id='{id}'] > article [data-testid=edit]\"),
                     !!root.querySelector(\"li[data-id='{id}'] > article [data-testid=delete]\")];"
        ),
    )
    .await?;
    assert_eq!(found[0], found[1], "Edit and Delete go together");
    Ok(found[0] == json!(true))
}

/// The status of an author request sent from the page with `fetch`: `method` on comment
/// `id`, with the edit token `token` (none when empty).
async fn author_request(c: &Client, method: &str, id: &str, token: &str) -> Result<u64> {
    let status = c
        .execute_async(
            "const [method, id, token, done] = arguments;
             const headers = { 'Content-Type': 'application/json' };
             if (token) headers['Causerie-Edit-Token'] = token;
             fetch('/api/v1/comments/' + id, { method, headers,
               body: method === 'PUT' ? JSON.stringify({ comment: 'Volé !' }) : undefined })
               .then(r => done(r.status), () => done(0));",
            vec![json!(method), json!(id), json!(token)],
        )
        .await?;
    Ok(status.as_u64().unwrap_or(0))
}

/// The author edits, then deletes, their own comment within the site's window, with real
/// clicks, and cannot after it; another reader sees no buttons and gets 403 without the
/// token, with a forged one, or with the author's token for another comment; a token
/// replayed after its comment is gone does nothing.
#[tokio::test]
async fn the_author_edits_and_deletes_within_the_window_and_nobody_else_can() {
    preconditions();
    const WINDOW_SECONDS: u64 = 20;
    let dir = tempfile::tempdir().unwrap();
    let window = format!("{WINDOW_SECONDS}s");
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--edit-window", &window],
    );
    let browser = Browser::start();
    let page = server.url("/");
    let late = "Celui-ci attendra la fin du délai";
    let first = "Premier jet, à revoir";
    let fixed = "Version corrigée";
    with_two_sessions(&browser, |author, reader| async move {
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, late, "a@example.org").await?;
        until(&author, "the first comment", "root.querySelectorAll('li[data-id]').length === 1").await?;
        // The end of its window, as the server gave it.
        let late_id = comment_id(&author, late).await?;
        let kept = js(&author, &format!("return localStorage.getItem('causerie:edit:{late_id}');")).await?;
        let late_token = kept.as_str().ok_or("no token kept")?.split('\n').next().ok_or("no token")?.to_owned();
        let until_ms: u64 = kept.as_str().ok_or("no token kept")?.split('\n').nth(1).ok_or("no end")?.parse()?;
        fill_and_submit(&author, first, "a@example.org").await?;
        until(&author, "the second comment", "root.querySelectorAll('li[data-id]').length === 2").await?;
        assert!(has_author_buttons(&author, first).await?);
        assert!(has_author_buttons(&author, late).await?);

        // Edit, with real clicks and keys.
        click_on_comment(&author, first, "edit").await?;
        type_in(&author, "editor", fixed).await?;
        let host = author.find(Locator::Css("[data-causerie]")).await?;
        host.shadow_root().await?.find(Locator::Css("[data-testid=save]")).await?.click().await?;
        until(&author, "the edited text", &format!(
            "[...root.querySelectorAll('[data-testid=entry-text]')].some(e => e.textContent === {fixed:?})"
        )).await?;
        let fixed_id = comment_id(&author, fixed).await?;
        let fixed_token = js(&author, &format!("return localStorage.getItem('causerie:edit:{fixed_id}').split('\\n')[0];")).await?;
        let fixed_token = fixed_token.as_str().ok_or("no token")?.to_owned();

        // Another reader: no buttons; no token, a forged one, or the author's token for
        // another comment are all refused.
        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(&reader, "the thread", "root.querySelectorAll('li[data-id]').length === 2").await?;
        assert!(!has_author_buttons(&reader, fixed).await?);
        assert!(!has_author_buttons(&reader, late).await?);
        for method in ["PUT", "DELETE"] {
            assert_eq!(author_request(&reader, method, &fixed_id, "").await?, 403, "{method} without a token");
            assert_eq!(author_request(&reader, method, &fixed_id, "0123456789abcdef0123456789abcdef").await?, 403, "{method} with a forged token");
            assert_eq!(author_request(&reader, method, &late_id, &fixed_token).await?, 403, "{method} with another comment's token");
        }

        // Delete: the browser asks first.
        click_on_comment(&author, fixed, "delete").await?;
        author.accept_alert().await?;
        until(&author, "the deletion", "root.querySelectorAll('li[data-id]').length === 1").await?;
        assert_eq!(
            js(&author, "return root.querySelector('[data-testid=count]').textContent;").await?,
            json!("1 commentaire")
        );
        // Replayed, the token of a deleted comment does nothing.
        assert_eq!(author_request(&reader, "DELETE", &fixed_id, &fixed_token).await?, 404);
        assert_eq!(author_request(&reader, "PUT", &fixed_id, &fixed_token).await?, 404);

        // After the window: the server refuses even the right token; the widget, whose
        // page was open all along, says so and drops the buttons.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(until_ms.saturating_sub(now) + 500)).await;
        assert_eq!(author_request(&author, "PUT", &late_id, &late_token).await?, 403);
        assert_eq!(author_request(&author, "DELETE", &late_id, &late_token).await?, 403);
        assert!(has_author_buttons(&author, late).await?, "still shown since the page loaded");
        click_on_comment(&author, late, "edit").await?;
        until(&author, "the refusal", "root.querySelector('[data-testid=entry-error]')").await?;
        assert_eq!(
            js(&author, "return root.querySelector('[data-testid=entry-error]').textContent;").await?,
            json!("Le délai pour modifier ce commentaire est écoulé.")
        );
        assert!(!has_author_buttons(&author, late).await?);
        author.refresh().await?;
        open_comments(&author).await?;
        until(&author, "the thread after a reload", "root.querySelectorAll('li[data-id]').length === 1").await?;
        assert!(!has_author_buttons(&author, late).await?);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(server.stored(late).await, 1, "unchanged after the window");
    assert_eq!(server.stored("Volé !").await, 0);
    assert_eq!(server.stored(first).await, 0);
    assert!(
        !server
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .contains(fixed)
    );
}
