//! End to end: the real server binary, the built widget, and real Chromium over WebDriver.
//!
//! Each test starts its own `causerie-server` on a free loopback port with a fresh SQLite
//! file, its own chromedriver in its own process group, and one or two browser sessions.
//! Every browser step returns a `Result`, sessions are always closed, and the process
//! groups the test started are killed when it ends, even when it fails.
//!
//! These tests need `www/pkg/` (`cargo xtask build`) and Debian's `chromium` and
//! `chromium-driver`; without them they fail and say so.
//!
//! One module per concern; this file holds the harness they share: the server, the
//! browser, and the steps of a reader.
#![cfg(unix)]

mod accessibility;
mod authors;
mod durability;
mod hostile;
mod imports;
mod includes;
mod isso;
mod languages;
mod loading;
mod mail;
mod moderation;
mod noscript;
mod posting;
mod threads;

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
    // The loader makes the host; on a busy machine the navigation may return before it
    // has run.
    until(c, "the widget's host", "host").await?;
    js(c, "host.scrollIntoView();").await?;
    // The widget's own form, not the server's HTML that the loader may show before it.
    until(
        c,
        "the widget",
        "root && root.querySelector('[data-testid=remember]')",
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

/// A JS condition that holds once `count` comments show; until then, it presses "Show
/// more" whenever it is there, as a reader would.
fn whole_thread(count: usize) -> String {
    format!(
        "(() => {{ const more = root.querySelector('[data-testid=more]');
            if (more && !more.hidden) more.click();
            return root.querySelectorAll('[data-testid=entry]').length === {count}; }})()"
    )
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

/// A GET of the comment server's `path`, with the article's address as `Referer`.
fn fetch_fragment(server: &Server, path: &str, article: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nReferer: {article}\r\nConnection: close\r\n\r\n",
        server.port
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    body.to_owned()
}
