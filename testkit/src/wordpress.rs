//! A generated WordPress export (WXR 1.2) as large as asked: the file that the import
//! benchmark (`cargo xtask bench --import`) and the import crash test both read.
//!
//! It has what real ones have: HTML with entities in CDATA, replies (one in three
//! answers an earlier comment of its post, one in fifty a later one), held and spam
//! comments, trash, a pingback in a hundred, and addresses on most comments. The same
//! arguments always make the same file.

use std::{
    io::{BufWriter, Write},
    path::Path,
};

/// Writes a WXR 1.2 file of `comments` comments over `posts` posts.
pub fn generate(file: &Path, comments: usize, posts: usize) -> std::io::Result<()> {
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
