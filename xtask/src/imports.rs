//! The import benchmark: a generated WordPress export of one million comments over
//! 20,000 posts (20,000 over 400 with `--quick`), imported by the release server's
//! `import` command into a fresh SQLite database. It reports comments per second and
//! the command's peak resident memory (`VmHWM`, read until it exits), against the
//! targets of 20,000 comments per second and 100 MB.
//!
//! The export has what real ones have: HTML with entities in CDATA, replies (one in
//! three answers an earlier comment of its post, some before their parent in the file),
//! held and spam comments, a pingback in a hundred, and addresses on most comments.

use std::{
    io::{BufWriter, Write},
    path::{Path, PathBuf},
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
        generate(&file, comments, posts)?;
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

/// Writes a WXR 1.2 file of `comments` comments over `posts` posts.
fn generate(file: &PathBuf, comments: usize, posts: usize) -> Result<()> {
    let partial = file.with_extension("partial");
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&partial)?);
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Bench</title>
<link>https://bench.example.com</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://bench.example.com</wp:base_site_url>"#
    )?;
    let per_post = comments / posts;
    let mut id = 0usize;
    // A small linear congruential generator: the same file every time.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for post in 0..posts {
        writeln!(
            out,
            "<item><title>Post {post}</title><link>https://bench.example.com/{}/{:02}/post-{post}/</link><wp:post_id>{}</wp:post_id><wp:post_type>post</wp:post_type>",
            2010 + post % 15,
            1 + post % 12,
            post + 1
        )?;
        let first = id + 1;
        let count = if post == posts - 1 {
            comments - id
        } else {
            per_post
        };
        for i in 0..count {
            id += 1;
            let r = next();
            // One in three answers an earlier comment of the post; one in fifty a later
            // one (an export's order is its own).
            let parent = if i > 0 && r % 3 == 0 {
                first + next() % i
            } else if i + 1 < count && r % 50 == 1 {
                id + 1
            } else {
                0
            };
            let approved = match r % 100 {
                0..=1 => "0",
                2 => "spam",
                3 => "trash",
                _ => "1",
            };
            let kind = if r % 100 == 99 { "pingback" } else { "comment" };
            let email = if r % 10 == 0 {
                String::new()
            } else {
                format!("reader{}@example.org", r % 50_000)
            };
            let seconds = 1_262_304_000 + id * 97;
            let (day, time) = (seconds / 86_400, seconds % 86_400);
            let (y, m, d) = civil(day as i64);
            writeln!(
                out,
                "<wp:comment><wp:comment_id>{id}</wp:comment_id><wp:comment_author><![CDATA[Reader {}]]></wp:comment_author><wp:comment_author_email><![CDATA[{email}]]></wp:comment_author_email><wp:comment_author_url>https://reader{}.example.org/</wp:comment_author_url><wp:comment_author_IP><![CDATA[192.0.2.{}]]></wp:comment_author_IP><wp:comment_date><![CDATA[{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}]]></wp:comment_date><wp:comment_date_gmt><![CDATA[{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}]]></wp:comment_date_gmt><wp:comment_content><![CDATA[<p>Comment {id}: a thought about post {post}, with <strong>some HTML</strong> &amp; an entity&nbsp;or two.</p>\n<p>A second paragraph, with <a href=\"https://example.com/{id}\">a link</a>.</p>]]></wp:comment_content><wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved><wp:comment_type><![CDATA[{kind}]]></wp:comment_type><wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>",
                r % 50_000,
                r % 997,
                r % 250,
                time / 3600,
                time % 3600 / 60,
                time % 60,
                time / 3600,
                time % 3600 / 60,
                time % 60,
            )?;
        }
        writeln!(out, "</item>")?;
    }
    writeln!(out, "</channel>\n</rss>")?;
    out.flush()?;
    drop(out);
    std::fs::rename(&partial, file)?;
    Ok(())
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}
