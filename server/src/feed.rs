//! The Atom feed of a page's comments (RFC 4287), for readers who follow a discussion.
//!
//! Every value a commenter wrote is escaped as XML text, and the protocol's rules already
//! keep out the characters XML 1.0 cannot carry. The e-mail is not in the feed.

use std::fmt::Write;

use causerie_protocol::Comment;

/// The most entries a feed carries: the newest comments.
pub const MAX_ENTRIES: usize = 100;

/// Where the feed lives and what it is about.
#[derive(Debug)]
pub struct FeedInfo<'a> {
    /// The comment server's host, such as `comments.example.com`: the authority of the
    /// feed's `tag:` ids.
    pub host: &'a str,
    /// The feed's own absolute URL.
    pub self_url: &'a str,
    /// The article's absolute URL, when the site's origin is known.
    pub article_url: Option<&'a str>,
    /// The thread id.
    pub page: &'a str,
    /// The language of the feed's own words.
    pub lang: crate::text::Lang,
}

/// The feed of `comments`, newest first. `comments` are a page's published comments, in
/// any order.
pub fn atom(info: &FeedInfo<'_>, comments: &[Comment]) -> String {
    let mut newest: Vec<&Comment> = comments.iter().collect();
    newest.sort_by_key(|c| std::cmp::Reverse(c.id));
    newest.truncate(MAX_ENTRIES);
    let updated = newest.iter().map(|c| c.created).max().unwrap_or(0);

    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        xml,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
        info.lang.tag()
    );
    let _ = writeln!(xml, "  <id>{}</id>", escape(&tag(info.host, info.page)));
    let _ = writeln!(
        xml,
        "  <title>{}</title>",
        escape(&info.lang.feed_title(info.page))
    );
    let _ = writeln!(xml, "  <updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(
        xml,
        "  <link rel=\"self\" href=\"{}\"/>",
        escape(info.self_url)
    );
    if let Some(article) = info.article_url {
        let _ = writeln!(
            xml,
            "  <link rel=\"alternate\" href=\"{}\"/>",
            escape(article)
        );
    }
    let _ = writeln!(xml, "  <generator>Causerie</generator>");
    for c in newest {
        let id = tag(info.host, &format!("{}#comment-{}", info.page, c.id));
        xml.push_str("  <entry>\n");
        let _ = writeln!(xml, "    <id>{}</id>", escape(&id));
        let title = info.lang.entry_title(&c.author, c.parent.is_some());
        let _ = writeln!(xml, "    <title>{}</title>", escape(&title));
        xml.push_str("    <author>");
        let _ = write!(xml, "<name>{}</name>", escape(&c.author));
        if let Some(url) = &c.url {
            let _ = write!(xml, "<uri>{}</uri>", escape(url));
        }
        xml.push_str("</author>\n");
        let _ = writeln!(xml, "    <published>{}</published>", rfc3339(c.created));
        let _ = writeln!(xml, "    <updated>{}</updated>", rfc3339(c.created));
        if let Some(article) = info.article_url {
            let href = format!("{article}#comment-{}", c.id);
            let _ = writeln!(
                xml,
                "    <link rel=\"alternate\" href=\"{}\"/>",
                escape(&href)
            );
        }
        let _ = writeln!(
            xml,
            "    <content type=\"text\">{}</content>",
            escape(&c.text)
        );
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// A `tag:` URI (RFC 4151): stable, and never mistaken for a link.
fn tag(host: &str, specific: &str) -> String {
    format!("tag:{host},2026:{specific}")
}

/// XML text and attribute escaping.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Milliseconds since the Unix epoch as an RFC 3339 UTC date-time, to the second.
pub fn rfc3339(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (rest / 3600, rest % 3600 / 60, rest % 60);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400_000, "2000-02-29T00:00:00Z"),
            (1_764_330_000_123, "2025-11-28T11:40:00Z"),
            (4_102_444_799_000, "2099-12-31T23:59:59Z"),
            (-1_000, "1969-12-31T23:59:59Z"),
        ];
        for (millis, expected) in cases {
            assert_eq!(rfc3339(millis), expected, "{millis}");
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }
}
