//! The import benchmark: a generated WordPress export of one million comments over
//! 20,000 posts (20,000 over 400 with `--quick`), imported by the release server's
//! `import` command into a fresh SQLite database. It reports comments per second and
//! the command's peak resident memory (`VmHWM`, read until it exits), against the
//! targets of 20,000 comments per second and 100 MB.
//!
//! The export is `causerie_testkit::wordpress`'s, which the import crash test reads too.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};

/// Comments per second the import should reach on this machine.
const TARGET_RATE: f64 = 20_000.0;
/// Peak resident memory it should stay under, in bytes.
const TARGET_RSS: u64 = 100 << 20;

pub fn import(root: &Path, quick: bool) -> Result<()> {
    let (comments, posts) = if quick {
        (20_000, 400)
    } else {
        (1_000_000, 20_000)
    };
    let dir = root.join("target/bench-import");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("wordpress-{comments}.xml"));
    if !file.exists() {
        println!("writing a WordPress export of {comments} comments over {posts} posts");
        causerie_testkit::wordpress::generate(&file, comments, posts)?;
    }
    let size = std::fs::metadata(&file)?.len();
    let db = dir.join("import.db");
    for suffix in ["", "-wal", "-shm", "-migrate"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let server = root.join("target/release/causerie-server");
    let started = Instant::now();
    let mut child = Command::new(&server)
        .arg("--database")
        .arg(format!("sqlite://{}", db.display()))
        .arg("import")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start causerie-server import")?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
        {
            peak = peak.max(kb * 1024);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed().as_secs_f64();
    let output = child.wait_with_output()?;
    if !status.success() {
        bail!(
            "the import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let summary = String::from_utf8_lossy(&output.stdout);
    let rate = comments as f64 / elapsed;
    println!(
        "\nimport of a WordPress export: {comments} comments over {posts} posts ({:.0} MB)",
        size as f64 / 1e6
    );
    println!("  {}", summary.trim());
    println!(
        "  {:>10.0} comments/s   (target ≥ {TARGET_RATE:.0}: {})",
        rate,
        if rate >= TARGET_RATE {
            "met"
        } else {
            "NOT met"
        }
    );
    println!(
        "  {:>10.1} MB peak RSS  (target ≤ {} MB: {})",
        peak as f64 / (1 << 20) as f64,
        TARGET_RSS >> 20,
        if peak <= TARGET_RSS { "met" } else { "NOT met" }
    );
    println!("  {elapsed:>10.1} s in all, both passes (the check, then the import)");
    for suffix in ["", "-wal", "-shm", "-migrate"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    Ok(())
}
