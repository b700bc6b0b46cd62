//! The thread benchmark: how long a reader waits for the comments of a page with 50 and
//! with 5,000 comments, and how many bytes the first page of the thread costs.
//!
//! It runs the release server on a fresh SQLite database, posts the comments over HTTP
//! (one in five on the article, the others replies, up to three deep), then opens the
//! demo article in headless Chromium, each run with a fresh profile (a cold cache), and
//! scrolls to the comments. "First comment" is the time from the scroll, when the loader
//! starts fetching the widget, to the first comment in the widget's DOM; "first page" is
//! when the heading's count and every comment of the first page are there. Bytes are those
//! of the first `GET /api/v1/comments`, as sent (compressed) and as parsed.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PAGE: &str = "/2026/11/mediatheque-ouverte-le-dimanche";

/// One measured configuration.
struct Row {
    comments: usize,
    first_comment_ms: f64,
    first_page_ms: f64,
    shown: u64,
    wire_bytes: u64,
    json_bytes: u64,
}

/// Runs the thread benchmark: 50 comments once with `quick`, else 50 and 5,000, each the
/// median of three cold runs.
pub fn threads(root: &Path, quick: bool) -> Result<()> {
    release_server()?;
    let sizes: &[usize] = if quick { &[50] } else { &[50, 5_000] };
    let runs = if quick { 1 } else { 3 };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    for &n in sizes {
        let dir = tempfile::tempdir()?;
        let server = Process::server(root, dir.path())?;
        let started = Instant::now();
        seed(server.port, n)?;
        println!(
            "  {n} comments posted in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let driver = Process::chromedriver()?;
        let mut samples = Vec::new();
        for run in 0..runs {
            let profile = dir.path().join(format!("profile-{run}"));
            samples.push(runtime.block_on(measure(driver.port, server.port, &profile, n))?);
        }
        samples.sort_by(|a, b| a.first_page_ms.total_cmp(&b.first_page_ms));
        rows.push(samples.swap_remove(samples.len() / 2));
    }
    println!(
        "\n{:<10} {:>14} {:>12} {:>8} {:>12} {:>12}",
        "comments", "first comment", "first page", "shown", "wire bytes", "JSON bytes"
    );
    for r in &rows {
        println!(
            "{:<10} {:>11.0} ms {:>9.0} ms {:>8} {:>12} {:>12}",
            r.comments, r.first_comment_ms, r.first_page_ms, r.shown, r.wire_bytes, r.json_bytes
        );
    }
    println!(
        "(median of {runs} cold run{}; from the scroll that starts loading the widget)",
        if runs == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Posts `n` comments to the demo page: every fifth on the article, each other one a
/// reply to the one before it while the chain is under three deep.
fn seed(port: u16, n: usize) -> Result<()> {
    let mut parent: Option<i64> = None;
    let mut depth = 0;
    for i in 0..n {
        if i % 5 == 0 || depth >= 3 {
            parent = None;
            depth = 0;
        }
        let body = json!({
            "page": PAGE,
            "comment": format!("Commentaire n° {i} : il était une fois une médiathèque ouverte le dimanche, et des lecteurs ravis."),
            "author": format!("Lectrice {}", i % 97),
            "email": format!("r{}@example.org", i % 97),
            "url": if i % 3 == 0 { "https://example.org/" } else { "" },
            "parent": parent,
        });
        let created = post(port, &body.to_string())?;
        parent = created["id"].as_i64();
        depth += 1;
    }
    Ok(())
}

/// Gives the demo article a short conversation, if it has no comment yet.
pub fn seed_demo(port: u16) -> Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "GET /api/v1/comments?page={PAGE}&limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let json = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let list: Value = serde_json::from_str(json).context("the demo thread")?;
    if list["total"].as_u64() != Some(0) {
        return Ok(());
    }
    let mut ids: Vec<Value> = Vec::new();
    for (text, author, email, parent) in [
        (
            "Enfin ! Le dimanche après-midi, c’est le seul moment où je peux y aller avec les enfants.",
            "Amélie",
            "amelie@example.org",
            None,
        ),
        (
            "Pareil pour nous. Vous savez si la ludothèque sera ouverte aussi ?",
            "Karim",
            "karim@example.org",
            Some(0),
        ),
        (
            "Oui, de 14 h à 18 h, d’après le programme : https://example.org/programme",
            "Amélie",
            "amelie@example.org",
            Some(1),
        ),
        (
            "Bonne nouvelle. Et qui assure les heures des bibliothécaires ?\n\nLe dimanche se paie double, j’espère.",
            "Jeanne",
            "jeanne@example.org",
            None,
        ),
    ] {
        let parent = parent.map(|i: usize| ids[i].clone());
        let body = json!({ "page": PAGE, "comment": text, "author": author, "email": email, "parent": parent });
        ids.push(post(port, &body.to_string())?["id"].clone());
    }
    Ok(())
}

/// Waits until something listens on `port`.
pub fn wait_for_port(port: u16) -> Result<()> {
    causerie_testkit::wait_for_port(port, Duration::from_secs(20)).map_err(anyhow::Error::msg)
}

/// POSTs a comment and returns the created comment.
fn post(port: u16, body: &str) -> Result<Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if !response.starts_with("HTTP/1.1 201") {
        bail!("the server refused a seed comment: {response}");
    }
    let json = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    Ok(serde_json::from_str(json)?)
}

/// A headless Chromium session, 1024 × 700, with the fresh profile `profile` (a cold
/// cache). Close it when done, so that no Chromium is left running.
pub async fn session(driver: u16, profile: &Path) -> Result<Client> {
    session_with(driver, profile, json!({})).await
}

/// A session as `session`, with Chromium's logs of `logging` (`goog:loggingPrefs`).
pub async fn session_with(driver: u16, profile: &Path, logging: Value) -> Result<Client> {
    let caps = json!({ "goog:loggingPrefs": logging, "goog:chromeOptions": {
        "binary": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1024,700",
                 format!("--user-data-dir={}", profile.display())],
    }});
    Ok(
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.as_object().context("capabilities")?.clone())
            .connect(&format!("http://127.0.0.1:{driver}"))
            .await?,
    )
}

async fn measure(driver: u16, server: u16, profile: &Path, n: usize) -> Result<Row> {
    let client = session(driver, profile).await?;
    let row = run_once(&client, server, n).await;
    // Always close the session, so that no Chromium is left running.
    client.close().await?;
    row
}

async fn run_once(c: &Client, server: u16, n: usize) -> Result<Row> {
    c.goto(&format!("http://127.0.0.1:{server}/")).await?;
    // The loader makes the widget's host; in CI, once, after the navigation returned.
    crate::loads::comment_area(c, "[data-causerie]").await?;
    // Scroll to the comments and time, in the page, the first comment and the first page.
    let script = "const done = arguments[arguments.length - 1];
        const host = document.querySelector('[data-causerie]');
        const t0 = performance.now();
        let first = null;
        host.scrollIntoView();
        (function poll() {
            const root = host.shadowRoot;
            const items = root ? root.querySelectorAll('li[data-id]').length : 0;
            if (items > 0 && first === null) first = performance.now() - t0;
            const count = root && root.querySelector('[data-testid=count]');
            const more = root && root.querySelector('[data-testid=more]');
            const settled = count && count.dataset.total && (more.hidden ? items >= Number(count.dataset.total) : items > 0);
            if (settled) {
                const api = performance.getEntriesByType('resource').find(r => r.name.includes('/api/v1/comments'));
                return done([first, performance.now() - t0, items, api.transferSize, api.decodedBodySize]);
            }
            if (performance.now() - t0 > 60000) return done(null);
            requestAnimationFrame(poll);
        })();";
    let result = c.execute_async(script, vec![]).await?;
    let Some(values) = result.as_array() else {
        bail!("the thread of {n} comments did not render within a minute");
    };
    let number = |i: usize| values.get(i).and_then(Value::as_f64).unwrap_or(0.0);
    Ok(Row {
        comments: n,
        first_comment_ms: number(0),
        first_page_ms: number(1),
        shown: number(2) as u64,
        wire_bytes: number(3) as u64,
        json_bytes: number(4) as u64,
    })
}

/// Saves a PNG of the widget on the page at `url`, in a browser 800 px wide, once its
/// thread has loaded. `before` is JS run on the page first (a theme, for instance).
pub fn screenshot(url: &str, before: &str, out: &Path) -> Result<()> {
    let driver = Process::chromedriver()?;
    let profile = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let caps = json!({ "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=800,3000", "--hide-scrollbars",
                     format!("--user-data-dir={}", profile.path().display())],
        }});
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.as_object().context("capabilities")?.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await?;
        let shot = async {
            client.goto(url).await?;
            client.execute(before, vec![]).await?;
            let ready = "const done = arguments[arguments.length - 1];
                const host = document.querySelector('[data-causerie]');
                host.scrollIntoView();
                (function poll() {
                    const root = host.shadowRoot;
                    const count = root && root.querySelector('[data-testid=count]');
                    if (count && count.textContent) return setTimeout(() => done(true), 300);
                    setTimeout(poll, 50);
                })();";
            client.execute_async(ready, vec![]).await?;
            let host = client
                .find(fantoccini::Locator::Css("[data-causerie]"))
                .await?;
            anyhow::Ok(host.screenshot().await?)
        }
        .await;
        client.close().await?;
        std::fs::write(out, shot?)?;
        anyhow::Ok(())
    })
}

/// A child process of the benchmark, killed when dropped.
pub struct Process {
    child: Child,
    pub port: u16,
}

impl Process {
    /// The release server on a fresh SQLite file in `dir`, with rate limits off.
    pub fn server(root: &Path, dir: &Path) -> Result<Process> {
        let port = free_port()?;
        // Rate limits off, as for the peers the bench compares with: the tests' defaults.
        let child = causerie_testkit::server(
            &root.join("target/release/causerie-server"),
            port,
            &format!("sqlite://{}/bench.db", dir.display()),
            &root.join("www"),
            &[],
        )
        .spawn()
        .context("cannot start the server")?;
        Process::ready(child, port)
    }

    pub fn chromedriver() -> Result<Process> {
        let port = free_port()?;
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start chromedriver")?;
        Process::ready(child, port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the process listens on `port`.
    fn ready(child: Child, port: u16) -> Result<Process> {
        let process = Process { child, port };
        wait_for_port(port)?;
        Ok(process)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // Only the processes this benchmark started, by their handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the release server, which the benchmarks run.
pub fn release_server() -> Result<()> {
    crate::tools::run(Command::new("cargo").args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "causerie-server",
    ]))
}

pub fn free_port() -> Result<u16> {
    Ok(causerie_testkit::free_port())
}
