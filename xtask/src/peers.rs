//! Side by side with Isso, the best-known self-hosted peer, on this machine in the same
//! run: the same 50-comment thread read and new comments written through `wrk` at 1 and
//! 32 connections, the loader as a static file over one connection, each server's memory
//! idle and at its peak, the bytes a reader downloads, and the time until the comment
//! form can be used in headless Chromium.
//!
//! Isso 0.14.0 is installed from PyPI into a virtual environment under `target/isso`,
//! and run as its documentation says for production: gunicorn with 4 workers,
//! `--preload`, on a fresh SQLite file. Rate limits and moderation are off on both sides
//! (Isso's `[guard]`, our `--max-posts-per-ip 0 --min-seconds 0`), so that both store
//! every comment they are sent. The ratios are the figures that count: absolute numbers
//! move with the machine's load, which the report states.

use std::{
    io::{Read, Write},
    net::TcpStream,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::{
    bench::{Process, free_port, wait_for_port},
    loads,
};

/// The versions the comparison runs, pinned so that runs compare.
const ISSO: &str = "isso==0.14.0";
const GUNICORN: &str = "gunicorn==23.0.0";
/// The thread both servers serve.
const THREAD: &str = "/bench";

/// One load test's median figures.
#[derive(Clone, Copy, Debug, Default)]
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Answers that were not 2xx or 3xx, over all runs.
    errors: u64,
    /// The spread of the runs' throughputs: (max - min) / median.
    spread: f64,
}

/// Runs the comparison: one short run of each measure with `quick`, else the median of
/// three. `widget_brotli` is what a reader of ours downloads, from the build.
pub fn compare(root: &Path, quick: bool, widget_brotli: usize) -> Result<()> {
    let venv = install_isso(root)?;
    crate::tools::wrk()?;
    let (runs, seconds) = if quick { (1, 1) } else { (3, 5) };
    let dir = tempfile::tempdir()?;
    let load_before = load_average();

    let ours = Process::server(root, &dir.path().join("ours"))?;
    // Isso answers CORS for its one site: the origin of the bench's article pages.
    let isso = Isso::start(&venv, &dir.path().join("isso"), ours.port)?;
    for i in 0..50 {
        let text = format!(
            "Commentaire numéro {i} du fil de mesure, assez long pour ressembler à un vrai."
        );
        let body = json!({"page": THREAD, "comment": text, "author": "Bench", "email": "bench@example.org"});
        post(ours.port, "/api/v1/comments", &body.to_string())?;
        let body = json!({"text": text, "author": "Bench", "email": "bench@example.org", "title": "Bench"});
        post(isso.port, "/new?uri=%2Fbench", &body.to_string())?;
    }
    let idle = (rss(&[ours.pid()]), rss(&isso.pids()));

    let get_ours = format!("/api/v1/comments?page={THREAD}&limit=50");
    let get_isso = "/?uri=%2Fbench".to_owned();
    let mut rows = Vec::new();
    for (what, connections) in [("GET", 1), ("GET", 32), ("POST", 1), ("POST", 32)] {
        let mut pair = [Load::default(); 2];
        for (side, port) in [ours.port, isso.port].into_iter().enumerate() {
            let mut samples = Vec::new();
            for run in 0..runs {
                let file = dir
                    .path()
                    .join(format!("{what}-{connections}-{side}-{run}.lua"));
                let (path, script) = match (what, side) {
                    ("GET", 0) => (get_ours.as_str(), GET_SCRIPT.to_owned()),
                    ("GET", _) => (get_isso.as_str(), GET_SCRIPT.to_owned()),
                    (_, 0) => ("/api/v1/comments", post_script(run, connections, true)),
                    _ => (
                        "/new?uri=%2Fbench-post",
                        post_script(run, connections, false),
                    ),
                };
                std::fs::write(&file, script)?;
                samples.push(wrk(port, path, connections, seconds, &file)?);
            }
            pair[side] = median(&samples);
        }
        rows.push((what, connections, pair));
    }
    // A static file over one keep-alive connection: the loader, each side's own.
    let mut statics = [Load::default(); 2];
    for (side, (port, path)) in [(ours.port, "/embed.js"), (isso.port, "/js/embed.min.js")]
        .into_iter()
        .enumerate()
    {
        let file = dir.path().join(format!("static-{side}.lua"));
        std::fs::write(&file, STATIC_SCRIPT)?;
        let samples = (0..runs)
            .map(|_| wrk(port, path, 1, seconds, &file))
            .collect::<Result<Vec<_>>>()?;
        statics[side] = median(&samples);
    }
    let peak = (hwm(&[ours.pid()]), hwm(&isso.pids()));
    let load_after = load_average();

    let isso_bytes = isso_download(&venv)?;
    let ready = time_to_form(root, ours.port, isso.port, if quick { 1 } else { 7 })?;
    drop(isso);
    drop(ours);

    println!(
        "\nside by side with Isso 0.14.0 (gunicorn, 4 workers), {runs} run(s) of {seconds} s each, median; rate limits off on both sides"
    );
    println!(
        "{:<22} {:>12} {:>12} {:>8}   {:>9} {:>9} {:>9} {:>9}",
        "", "ours req/s", "Isso req/s", "ratio", "ours p50", "Isso p50", "ours p99", "Isso p99"
    );
    for (what, connections, [o, i]) in &rows {
        let what = match *what {
            "GET" => format!("GET 50-comment thread, {connections} conn."),
            _ => format!("POST a comment, {connections} conn."),
        };
        print_loads(&what, o, i);
    }
    let [o, i] = statics;
    print_loads("GET the loader, 1 conn.", &o, &i);
    let json = rows[0].2[0].requests_per_second;
    println!(
        "{:<22} {:>12.2} {:>12.2}            (a static file / the JSON thread, 1 conn.; target: ours at least 0.5)",
        "static / JSON",
        o.requests_per_second / json.max(f64::MIN_POSITIVE),
        i.requests_per_second / rows[0].2[1].requests_per_second.max(f64::MIN_POSITIVE),
    );
    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "{:<22} {:>9.1} MB {:>9.1} MB {:>7.2}×",
        "memory (RSS), idle",
        mb(idle.0),
        mb(idle.1),
        idle.0 as f64 / idle.1.max(1) as f64
    );
    println!(
        "{:<22} {:>9.1} MB {:>9.1} MB {:>7.2}×",
        "memory, peak under load",
        mb(peak.0),
        mb(peak.1),
        peak.0 as f64 / peak.1.max(1) as f64
    );
    println!(
        "{:<22} {:>9} B  {:>9} B  {:>7.2}×   (brotli; Isso: embed.min.js + isso.css)",
        "reader's download",
        widget_brotli,
        isso_bytes,
        widget_brotli as f64 / isso_bytes.max(1) as f64
    );
    let loads = if quick { 1 } else { 7 };
    println!(
        "\npage loads, from navigation, for a reader who scrolls to the comments: median of {loads} cold load(s)"
    );
    println!(
        "{:<28} {:>12} {:>14} {:>9} {:>12}",
        "", "ours, HTML", "ours, script", "Isso", "HTML / Isso"
    );
    for (device, name) in [(0, "phone"), (1, "desktop")] {
        let [html, script, isso] = [&ready[device][0], &ready[device][1], &ready[device][2]];
        for (what, f) in [
            (
                "the form can be typed into",
                (|l: &loads::Load| l.form_ms) as fn(&loads::Load) -> f64,
            ),
            ("the first comment shows", |l: &loads::Load| l.first_ms),
        ] {
            println!(
                "{:<28} {:>9.0} ms {:>11.0} ms {:>6.0} ms {:>11.2}×",
                format!("{name}: {what}"),
                f(html),
                f(script),
                f(isso),
                f(html) / f(isso).max(f64::MIN_POSITIVE)
            );
        }
        println!(
            "{:<28} {:>12.4} {:>14.4} {:>9.4}   (the largest of the loads)",
            format!("{name}: layout shift"),
            html.shift,
            script.shift,
            isso.shift
        );
        println!(
            "{:<28} {:>10.0} B {:>12.0} B {:>7.0} B {:>11.2}×   (bodies as sent, compressed)",
            format!("{name}: bytes before scroll"),
            html.before_scroll,
            script.before_scroll,
            isso.before_scroll,
            html.before_scroll / isso.before_scroll.max(f64::MIN_POSITIVE)
        );
    }
    println!(
        "(phone: Lighthouse's mobile profile, 4x CPU, 150 ms RTT, 1.6 Mbit/s, 412 x 823; HTML: the thread as HTML in the page, taken over by the script)"
    );
    let spread = rows
        .iter()
        .flat_map(|(_, _, pair)| pair.iter().map(|l| l.spread))
        .fold(0.0, f64::max);
    println!(
        "noise: load average {load_before} before, {load_after} after; the widest spread of a \
         throughput over its runs was {:.0}% of its median",
        spread * 100.0
    );
    println!(
        "(Isso's memory is its gunicorn master and workers together; the peak is the sum of each process's peak)"
    );
    Ok(())
}

/// Isso under gunicorn, in a process group of its own: stopping it stops its workers.
struct Isso {
    child: Child,
    port: u16,
}

impl Isso {
    /// Isso for the site at `http://127.0.0.1:<site>`.
    fn start(venv: &Path, dir: &Path, site: u16) -> Result<Isso> {
        std::fs::create_dir_all(dir)?;
        let port = free_port()?;
        let config = dir.join("isso.cfg");
        std::fs::write(
            &config,
            format!(
                "[general]\ndbpath = {}\nhost = http://127.0.0.1:{site}/\n\
                 [moderation]\nenabled = false\n\
                 [guard]\nenabled = false\n\
                 [server]\nlisten = http://127.0.0.1:{port}/\n",
                dir.join("comments.db").display()
            ),
        )?;
        let child = Command::new(venv.join("bin/gunicorn"))
            .args(["-b", &format!("127.0.0.1:{port}"), "-w", "4", "--preload"])
            .args(["--log-level", "warning", "isso.run"])
            .env("ISSO_SETTINGS", &config)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("cannot start Isso under gunicorn")?;
        let isso = Isso { child, port };
        wait_for_port(port)?;
        Ok(isso)
    }

    /// The master's and its workers' process ids.
    fn pids(&self) -> Vec<u32> {
        let master = self.child.id();
        let mut pids = vec![master];
        pids.extend(children(master));
        pids
    }
}

impl Drop for Isso {
    fn drop(&mut self) {
        // The group this bench made, and nothing else: gunicorn stops its workers on TERM.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// The ids of the processes whose parent is `parent`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // The fields after the command's closing parenthesis: state, then ppid.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

/// A field of `/proc/<pid>/status`, in kB, summed over `pids`.
fn status_kb(pids: &[u32], field: &str) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| {
            let line = status.lines().find(|l| l.starts_with(field))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum()
}

/// Resident memory now, in kB.
fn rss(pids: &[u32]) -> u64 {
    status_kb(pids, "VmRSS:")
}

/// Peak resident memory, in kB.
fn hwm(pids: &[u32]) -> u64 {
    status_kb(pids, "VmHWM:")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Isso and gunicorn in a virtual environment under `target/isso`, made once.
pub fn install_isso(root: &Path) -> Result<PathBuf> {
    crate::tools::pypi(root, "isso", &[ISSO, GUNICORN])
}

/// What a reader of Isso downloads: its embed script and its stylesheet, brotli.
fn isso_download(venv: &Path) -> Result<usize> {
    let lib = std::fs::read_dir(venv.join("lib"))?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages/isso"))
        .find(|p| p.is_dir())
        .context("Isso's package is not in the virtual environment")?;
    let mut total = 0;
    for file in ["js/embed.min.js", "css/isso.css"] {
        let bytes = std::fs::read(lib.join(file))?;
        total += crate::build::measure(file, &bytes)?.brotli;
    }
    Ok(total)
}

/// POSTs a JSON body; an error unless the answer is 201.
fn post(port: u16, path: &str, body: &str) -> Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    if !response.starts_with("HTTP/1.1 201") && !response.starts_with("HTTP/1.0 201") {
        bail!(
            "a seed comment was refused: {}",
            response.lines().next().unwrap_or("")
        );
    }
    Ok(())
}

const GET_SCRIPT: &str = "wrk.headers[\"Accept\"] = \"application/json\"\n\
                          wrk.headers[\"Accept-Encoding\"] = \"br, gzip\"\n";

/// What a browser sends for a script.
const STATIC_SCRIPT: &str = "wrk.headers[\"Accept\"] = \"*/*\"\n\
                             wrk.headers[\"Accept-Encoding\"] = \"br, gzip\"\n";

/// A wrk script that POSTs a new comment with each request, every text distinct (a
/// thread number, set by `setup`, and a counter), to our server or to Isso.
fn post_script(run: usize, connections: usize, ours: bool) -> String {
    let body = if ours {
        r#"'{"page":"/bench-post","comment":"load ' .. tag .. '","author":"Bench","email":"bench@example.org"}'"#
    } else {
        r#"'{"text":"load ' .. tag .. '","author":"Bench","email":"bench@example.org","title":"Bench"}'"#
    };
    format!(
        "local made = 0\n\
         function setup(thread) made = made + 1; thread:set(\"id\", made) end\n\
         wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"Accept\"] = \"application/json\"\n\
         local n = 0\n\
         request = function()\n\
           n = n + 1\n\
           local tag = \"r{run} c{connections} t\" .. tostring(id) .. \" n\" .. n\n\
           return wrk.format(nil, nil, nil, {body})\n\
         end\n"
    )
}

/// A row of the throughput table: ours and Isso's rates, their ratio and latencies.
fn print_loads(what: &str, o: &Load, i: &Load) {
    println!(
        "{:<22} {:>12.0} {:>12.0} {:>7.1}×   {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>7.2}ms",
        what,
        o.requests_per_second,
        i.requests_per_second,
        o.requests_per_second / i.requests_per_second.max(f64::MIN_POSITIVE),
        o.p50_ms,
        i.p50_ms,
        o.p99_ms,
        i.p99_ms
    );
    if o.errors + i.errors > 0 {
        println!(
            "{:<22} answers not 2xx/3xx: ours {}, Isso {}",
            "", o.errors, i.errors
        );
    }
}

/// Runs wrk against `path` and reads its figures.
fn wrk(port: u16, path: &str, connections: usize, seconds: u64, script: &Path) -> Result<Load> {
    let threads = connections.min(2);
    let out = crate::tools::output(
        Command::new("wrk")
            .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
            .args([
                "-d",
                &format!("{seconds}s"),
                "--latency",
                "--timeout",
                "10s",
                "-s",
            ])
            .arg(script)
            .arg(format!("http://127.0.0.1:{port}{path}")),
    )?;
    let figure = |label: &str| -> Option<f64> {
        let line = out.lines().find(|l| l.trim_start().starts_with(label))?;
        let value = line.trim_start()[label.len()..].split_whitespace().next()?;
        duration_ms(value).or_else(|| value.parse().ok())
    };
    let load = Load {
        requests_per_second: figure("Requests/sec:").context("wrk printed no Requests/sec")?,
        p50_ms: figure("50%").context("wrk printed no median latency")?,
        p99_ms: figure("99%").context("wrk printed no 99th percentile")?,
        errors: figure("Non-2xx or 3xx responses:").map_or(0, |n| n as u64)
            + out
                .lines()
                .find(|l| l.trim_start().starts_with("Socket errors:"))
                .map_or(0, |l| {
                    l.split(|c: char| !c.is_ascii_digit())
                        .filter_map(|n| n.parse::<u64>().ok())
                        .sum()
                }),
        spread: 0.0,
    };
    if load.requests_per_second <= 0.0 {
        bail!("wrk measured nothing on {path}:\n{out}");
    }
    Ok(load)
}

/// wrk's durations: `123.45us`, `1.23ms`, `2.00s`, in milliseconds.
fn duration_ms(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    Some(number.parse::<f64>().ok()? * scale)
}

/// The run with the median throughput, with the errors of all runs and their spread.
fn median(samples: &[Load]) -> Load {
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    let mut middle = sorted[sorted.len() / 2];
    let (low, high) = (
        sorted[0].requests_per_second,
        sorted[sorted.len() - 1].requests_per_second,
    );
    middle.spread = (high - low) / middle.requests_per_second;
    middle.errors = samples.iter().map(|s| s.errors).sum();
    middle
}

/// The milliseconds from navigation until each page's comment form can be used: ours,
/// then Isso's, the median of `runs` cold runs each, in headless Chromium. Both pages are
/// the demo article with its thread of 50 comments, and each is scrolled to its comments
/// once it has loaded (the reader who came for them).
fn time_to_form(root: &Path, ours: u16, isso: u16, runs: usize) -> Result<[Vec<loads::Load>; 2]> {
    let index = std::fs::read_to_string(root.join("www/index.html"))?;
    let tag = "<script src=\"/embed.js\" data-theme=\"auto\" defer></script>";
    if !index.contains(tag) {
        bail!("www/index.html no longer has the tag {tag}");
    }
    // Isso's page loads its script from Isso's origin: no CSP.
    let page = index
        .lines()
        .filter(|l| !l.contains("Content-Security-Policy"))
        .collect::<Vec<_>>()
        .join("\n");
    let script = format!("<script src=\"/embed.js\" data-page=\"{THREAD}\" defer></script>");
    let ours_page = page.replace(tag, &script);
    // The thread as HTML in the page, as a web server's include puts it there.
    let fragment = get(ours, &format!("/api/v1/thread.html?page={THREAD}&lang=fr"))?;
    let html_page = page.replace(tag, &format!("{fragment}{script}"));
    let isso_page = page.replace(
        tag,
        &format!(
            "<script data-isso=\"http://127.0.0.1:{isso}/\" src=\"http://127.0.0.1:{isso}/js/embed.min.js\"></script>\
             <section id=\"isso-thread\" data-isso-id=\"{THREAD}\"></section>"
        ),
    );
    std::fs::write(root.join("www/pkg/bench-ours.html"), ours_page)?;
    std::fs::write(root.join("www/pkg/bench-ours-html.html"), html_page)?;
    std::fs::write(root.join("www/pkg/bench-isso.html"), isso_page)?;
    let url = |page: &str| format!("http://127.0.0.1:{ours}/pkg/{page}");
    loads::side_by_side(
        &[
            url("bench-ours-html.html"),
            url("bench-ours.html"),
            url("bench-isso.html"),
        ],
        runs,
    )
}

/// GETs `path` from 127.0.0.1:`port` and returns the body of its 200.
fn get(port: u16, path: &str) -> Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").context("an HTTP answer")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {head}");
    }
    Ok(body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_durations_are_read_in_milliseconds() {
        for (text, ms) in [
            ("250.00us", 0.25),
            ("1.50ms", 1.5),
            ("2.00s", 2000.0),
            ("1.00m", 60000.0),
        ] {
            assert!((duration_ms(text).unwrap() - ms).abs() < 1e-9, "{text}");
        }
        assert_eq!(duration_ms("12"), None);
    }
}
