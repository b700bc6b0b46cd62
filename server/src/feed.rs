//! The Atom feed of a page's comments (RFC 4287), for readers who follow a discussion.
//!
//! Every value a commenter wrote is escaped as XML text, and the protocol's rules already
//! keep out the characters XML 1.0 cannot carry. The e-mail is not in the feed.

use std::fmt::Write;

use causerie_protocol::Comment;

use crate::dates::rfc3339;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
    }
}
