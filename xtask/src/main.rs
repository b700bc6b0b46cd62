//! `cargo xtask`: Causerie's build, demo, test and bench tasks, in Rust rather than shell.
//!
//! - `cargo xtask demo`  installs what is missing, builds the widget, and serves the demo
//!   article with the reference server and SQLite on http://127.0.0.1:8080 (a new demo
//!   database gets a short conversation).
//! - `cargo xtask test`  installs what is missing, then runs every check and test, and
//!   ends with one line: `N passed, M failed`.
//! - `cargo xtask bench` measures what a reader downloads, and how fast threads of 50 and
//!   5,000 comments show in headless Chromium (`--quick`: 50 comments once, for CI), side
//!   by side with Isso, and how fast a WordPress export of a million comments imports
//!   (`--import`: that alone).
//! - `cargo xtask screenshots` takes the README's screenshots of the demo's comments.
//! - `cargo xtask build` builds the widget into `www/pkg/` and checks its byte budgets.

mod bench;
mod build;
mod children;
mod imports;
mod loads;
mod peers;
mod postgres;
#[cfg(test)]
mod tidy;
mod tools;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, Result, bail};

const USAGE: &str =
    "usage: cargo xtask <demo | test | bench [--quick] [--import] | screenshots | build>";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("demo") => demo(&root),
        Some("test") => test(&root),
        Some("bench") if args.iter().any(|a| a == "--import") => {
            bench::release_server()?;
            imports::import(&root, args.iter().any(|a| a == "--quick"))
        }
        Some("bench") => bench(&root, args.iter().any(|a| a == "--quick")),
        Some("screenshots") => screenshots(&root),
        Some("build") => {
            tools::widget_tools(&root)?;
            build::widget(&root)?;
            Ok(())
        }
        _ => bail!(USAGE),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds the widget and serves the demo article until Ctrl-C: a real nginx on 8080,
/// whose SSI puts the thread's HTML in the article (readers without JavaScript read and
/// post; with it, the widget takes that HTML over), in front of the comment server on
/// 8079. A new demo database gets a short conversation, so that the thread shows what it
/// does.
fn demo(root: &Path) -> Result<()> {
    const ARTICLE: u16 = 8080;
    const SERVER: u16 = 8079;
    tools::widget_tools(root)?;
    tools::nginx()?;
    build::widget(root)?;
    tools::run(Command::new("cargo").args(["build", "--quiet", "--package", "causerie-server"]))?;
    let mut server = Command::new(root.join("target/debug/causerie-server"))
        .args([
            "--listen",
            &format!("127.0.0.1:{SERVER}"),
            "--database",
            "sqlite://data/causerie.db",
            "--www",
            "www",
            // The reader's address comes from nginx.
            "--trusted-proxy",
            "127.0.0.1",
            // The demo publishes at once; a real site holds first-time commenters. Its
            // seed conversation is posted without a form.
            "--moderation",
            "publish",
            "--min-seconds",
            "0",
        ])
        .spawn()
        .context("cannot start the server")?;
    // nginx in the foreground, in this process group: Ctrl-C stops it with the server.
    let prefix = tempfile::tempdir()?;
    let mut nginx =
        match causerie_testkit::demo::nginx(prefix.path(), &root.join("www"), ARTICLE, SERVER)
            .and_then(|mut nginx| nginx.spawn())
        {
            Ok(nginx) => nginx,
            Err(e) => {
                let _ = server.kill();
                return Err(e).context("cannot start nginx");
            }
        };
    let ready = bench::wait_for_port(SERVER)
        .and_then(|()| bench::wait_for_port(ARTICLE))
        .and_then(|()| bench::seed_demo(SERVER));
    if let Err(e) = ready {
        let _ = server.kill();
        let _ = nginx.kill();
        return Err(e);
    }
    println!("\nCauserie's demo article: http://127.0.0.1:{ARTICLE}/  (Ctrl-C stops it)\n");
    let status = server.wait().context("the server")?;
    // However the server ended, nginx goes with it.
    let _ = nginx.kill();
    let _ = nginx.wait();
    if !status.success() {
        bail!("the server stopped: {status}");
    }
    Ok(())
}

/// Takes the README's screenshots of the demo article's comments, in French, light and
/// dark, and, right to left, in Arabic, from a fresh server with the demo's conversation.
fn screenshots(root: &Path) -> Result<()> {
    tools::widget_tools(root)?;
    tools::browser()?;
    build::widget(root)?;
    tools::run(Command::new("cargo").args(["build", "--quiet", "--package", "causerie-server"]))?;
    let dir = tempfile::tempdir()?;
    // The same article, with an Arabic page language: the widget speaks Arabic and mirrors.
    let index = std::fs::read_to_string(root.join("www/index.html"))?;
    let arabic = index.replacen("<html lang=\"fr\">", "<html lang=\"ar\">", 1);
    if arabic == index {
        bail!("www/index.html no longer starts with <html lang=\"fr\">");
    }
    std::fs::write(root.join("www/pkg/demo-ar.html"), arabic)?;
    let port = 8099;
    let mut server = Command::new(root.join("target/debug/causerie-server"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--database")
        .arg(format!("sqlite://{}/demo.db", dir.path().display()))
        .args([
            "--www",
            "www",
            "--moderation",
            "publish",
            "--min-seconds",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .spawn()
        .context("cannot start the server")?;
    let shots = (|| {
        bench::wait_for_port(port)?;
        bench::seed_demo(port)?;
        let out = root.join("docs/screenshots");
        std::fs::create_dir_all(&out)?;
        let dark = "document.documentElement.classList.add('dark')";
        for (name, path, before) in [
            ("demo-fr.png", "/", ""),
            ("demo-fr-dark.png", "/", dark),
            ("demo-ar-rtl.png", "/pkg/demo-ar.html", ""),
        ] {
            let url = format!("http://127.0.0.1:{port}{path}");
            bench::screenshot(&url, before, &out.join(name))?;
            println!("docs/screenshots/{name}");
        }
        anyhow::Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    shots
}

/// Every check and test. Each step's tests are counted; a step that fails without
/// running tests (formatting, lints, a build) counts as one failure.
fn test(root: &Path) -> Result<()> {
    children::stop_on_signal();
    tools::widget_tools(root)?;
    tools::browser()?;
    let mut tally = Tally::default();
    if let Err(e) = tools::includers() {
        // The examples' tests then fail, and say why; the others still run.
        eprintln!("error: {e:#}");
        tally.failed += 1;
    }
    let wasm = ["--target", "wasm32-unknown-unknown"];
    tally.check("cargo fmt --check", cargo(&["fmt", "--all", "--check"]));
    tally.check(
        "clippy (native)",
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    tally.check(
        "clippy (wasm32)",
        cargo(
            &[
                &[
                    "clippy",
                    "-p",
                    "causerie",
                    "-p",
                    "causerie-protocol",
                    "--all-targets",
                ][..],
                &wasm,
                &["--", "-D", "warnings"],
            ]
            .concat(),
        ),
    );
    match build::widget(root) {
        Ok(_) => tally.passed += 1,
        Err(e) => {
            eprintln!("error: the widget build failed: {e:#}");
            tally.failed += 1;
        }
    }
    // The PostgreSQL tests' server: the real database, stopped when this function ends.
    let postgres = match postgres::Postgres::start() {
        Ok(server) => Some(server),
        Err(e) => {
            // The PostgreSQL tests then fail, and say why; the others still run.
            eprintln!("error: cannot start PostgreSQL: {e:#}");
            tally.failed += 1;
            None
        }
    };
    // A real Isso, whose database an end-to-end test imports (as the bench compares).
    let isso = match peers::install_isso(root) {
        Ok(venv) => Some(venv),
        Err(e) => {
            // That test then fails, and says why; the others still run.
            eprintln!("error: cannot install Isso: {e:#}");
            tally.failed += 1;
            None
        }
    };
    // A real SMTP server, which the mail tests start and read.
    let aiosmtpd = match tools::aiosmtpd(root) {
        Ok(venv) => Some(venv),
        Err(e) => {
            // The mail tests then fail, and say why; the others still run.
            eprintln!("error: cannot install aiosmtpd: {e:#}");
            tally.failed += 1;
            None
        }
    };
    let on_postgres = |mut command: Command| {
        if let Some(server) = &postgres {
            command.env("CAUSERIE_TEST_POSTGRES", server.url());
        }
        if let Some(venv) = &aiosmtpd {
            command.env("CAUSERIE_TEST_AIOSMTPD", venv);
        }
        if let Some(venv) = &isso {
            command.env("CAUSERIE_TEST_ISSO", venv);
        }
        command
    };
    tally.tests(
        "host tests, in-process server and end-to-end (SQLite, and PostgreSQL where named)",
        // The widget's tests run in the browser, below; natively there is nothing to run.
        on_postgres(cargo(&[
            "test",
            "--workspace",
            "--exclude",
            "causerie",
            "--no-fail-fast",
        ])),
    );
    let mut conformance = on_postgres(cargo(&[
        "test",
        "-p",
        "causerie-server",
        "--test",
        "it",
        "--no-fail-fast",
    ]));
    conformance.env("CAUSERIE_TEST_STORE", "postgres");
    tally.tests(
        "the in-process server again, on PostgreSQL (the store's conformance suite)",
        conformance,
    );
    let mut web = cargo(
        &[
            &["test", "-p", "causerie", "--test", "web", "--no-fail-fast"][..],
            &wasm,
        ]
        .concat(),
    );
    web.env(
        "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
        root.join("tests/webdriver.json"),
    )
    .env("WASM_BINDGEN_TEST_TIMEOUT", "90");
    tally.tests(
        "browser tests (wasm-bindgen-test in headless Chromium)",
        web,
    );
    tally.check("bench --quick (so that it cannot rot)", xtask_bench_quick());
    // Stopped here, before the exit below, which would skip its `Drop`.
    drop(postgres);
    println!("\n{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// What a reader downloads, raw, gzip and brotli.
fn bench(root: &Path, quick: bool) -> Result<()> {
    tools::widget_tools(root)?;
    let sizes = build::widget(root)?;
    build::print_sizes(&sizes);
    let css = std::fs::read(root.join("src/style.css"))?;
    let css = build::measure("src/style.css (inside the wasm)", &css)?;
    println!(
        "{:<30} {:>9} {:>9} {:>9}",
        css.name, css.raw, css.gzip, css.brotli
    );
    let locales: Vec<&build::Size> = sizes.iter().filter(|s| s.name.contains("/i18n/")).collect();
    let (smallest, largest) = (
        locales.iter().map(|s| s.brotli).min().unwrap_or(0),
        locales.iter().map(|s| s.brotli).max().unwrap_or(0),
    );
    println!(
        "languages: {} files, {smallest} to {largest} bytes brotli each; a reader downloads \
         their own language's file and no other (no language is built into the wasm)",
        locales.len()
    );
    tools::browser()?;
    println!("\nthe thread: time to first render, and the bytes of its first page");
    bench::threads(root, quick)?;
    if quick {
        println!("(--quick: 50 comments, one run)");
    }
    let reader = build::reader_total(&sizes, |s| s.brotli);
    peers::compare(root, quick, reader)?;
    imports::import(root, quick)?;
    Ok(())
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new("cargo");
    command.args(args);
    command
}

/// The bench runs in its own process, as a user would run it.
fn xtask_bench_quick() -> Command {
    cargo(&["xtask", "bench", "--quick"])
}

/// Counts of passed and failed tests and checks.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    /// A step that passes or fails as a whole.
    fn check(&mut self, name: &str, mut command: Command) {
        if children::stopping() {
            return;
        }
        println!("\n== {name}");
        match children::step(&mut command, |_| Ok(())) {
            Ok(s) if s.success() => self.passed += 1,
            other => {
                eprintln!("error: {name} failed: {other:?}");
                self.failed += 1;
            }
        }
    }

    /// A step that runs tests: its `test result:` lines are added up as they stream by.
    /// Cargo names each test binary it runs (`Running …`, on standard error); a binary
    /// that ends without its result line (it crashed, or was killed) counts as one
    /// failure, so that the total never hides what did not run.
    fn tests(&mut self, name: &str, mut command: Command) {
        if children::stopping() {
            return;
        }
        println!("\n== {name}");
        let (mut passed, mut failed, mut results) = (0, 0, 0);
        let mut started: usize = 0;
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let status = children::step(&mut command, |child| {
            let out = child.stdout.take().expect("stdout is piped");
            let err = child.stderr.take().expect("stderr is piped");
            // Standard error is echoed as it comes, and its `Running` lines counted.
            let runs = std::thread::spawn(move || {
                let mut runs: usize = 0;
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    if is_binary_start(&line) {
                        runs += 1;
                    }
                }
                runs
            });
            for line in BufReader::new(out).lines() {
                let line = line?;
                println!("{line}");
                if let Some((p, f)) = parse_result(&line) {
                    passed += p;
                    failed += f;
                    results += 1;
                }
            }
            started = runs.join().unwrap_or(0);
            Ok(())
        });
        let unfinished = started.saturating_sub(results);
        if unfinished > 0 {
            eprintln!("error: {unfinished} test binaries of {name} ended without a result");
        }
        self.passed += passed;
        self.failed += failed + unfinished;
        match status {
            Ok(s) if s.success() => {}
            other => {
                eprintln!("error: {name} failed: {other:?}");
                if failed == 0 && unfinished == 0 {
                    self.failed += 1;
                }
            }
        }
    }
}

/// Whether cargo's line says it starts a test binary (`Running unittests src/lib.rs (…)`,
/// `Running tests/it/main.rs (…)`, `Doc-tests name`).
fn is_binary_start(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("Running ") || line.starts_with("Doc-tests ")
}

/// Reads libtest's `test result: ok. 3 passed; 1 failed; …` line.
fn parse_result(line: &str) -> Option<(usize, usize)> {
    let rest = line.trim().strip_prefix("test result: ")?;
    let number = |word: &str| {
        rest.split(';')
            .find_map(|part| {
                part.trim()
                    .trim_start_matches(|c: char| !c.is_ascii_digit())
                    .strip_suffix(word)
            })
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    Some((number("passed"), number("failed")))
}

#[cfg(test)]
mod tests {
    use super::parse_result;

    #[test]
    fn reads_libtest_summaries() {
        let cases = [
            (
                "test result: ok. 11 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 4.68s",
                Some((11, 0)),
            ),
            (
                "test result: FAILED. 3 passed; 2 failed; 0 ignored",
                Some((3, 2)),
            ),
            ("running 3 tests", None),
        ];
        for (line, expected) in cases {
            assert_eq!(parse_result(line), expected, "{line}");
        }
    }

    #[test]
    fn knows_where_a_test_binary_starts() {
        use super::is_binary_start;
        assert!(is_binary_start(
            "     Running unittests src/lib.rs (target/debug/deps/x-1)"
        ));
        assert!(is_binary_start("   Doc-tests causerie_protocol"));
        assert!(!is_binary_start("running 3 tests"));
        assert!(!is_binary_start("   Compiling x v0.1.0"));
    }
}
