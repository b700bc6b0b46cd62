//! A comment that another system kept as HTML (WordPress, Disqus, Remark42), made into
//! the plain text its readers saw: paragraphs and line breaks become newlines, entities
//! are decoded (by html5gum's tokenizer, to the WHATWG rules and table), a link keeps its
//! words and its address when they differ, and every other element keeps only its text.
//! What is made is text: nothing of it is ever stored or shown as HTML.

use html5gum::{Token, Tokenizer};

/// How the source treats the newlines in its HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Newlines {
    /// As a browser does: a newline is a space (Disqus, Remark42).
    Collapsed,
    /// As WordPress shows a comment (`wpautop`): a newline is a line break, and a blank
    /// line a new paragraph.
    Kept,
}

/// The plain text that `html` shows.
pub fn to_text(html: &str, newlines: Newlines) -> String {
    let mut out = Text::default();
    // Elements whose content a reader never sees.
    let mut hidden: Option<Vec<u8>> = None;
    let mut pre = 0usize;
    // The open links: their address, and where their words start in the text.
    let mut links: Vec<(String, usize)> = Vec::new();
    for token in Tokenizer::new(html).flatten() {
        match token {
            Token::StartTag(tag) if hidden.is_none() => {
                let name = tag.name.to_ascii_lowercase();
                match name.as_slice() {
                    b"script" | b"style" | b"template" | b"noscript" | b"head" | b"title" => {
                        if !tag.self_closing {
                            hidden = Some(name);
                        }
                    }
                    b"br" => out.line_break(),
                    b"a" => {
                        let href = tag
                            .attributes
                            .get(b"href".as_slice())
                            .map(|v| String::from_utf8_lossy(v).trim().to_owned())
                            .unwrap_or_default();
                        if !tag.self_closing {
                            links.push((href, out.text.len()));
                        }
                    }
                    b"pre" => {
                        out.block(2);
                        pre += usize::from(!tag.self_closing);
                    }
                    name => out.block(block(name)),
                }
            }
            Token::EndTag(tag) => {
                let name = tag.name.to_ascii_lowercase();
                if let Some(open) = &hidden {
                    if *open == name {
                        hidden = None;
                    }
                    continue;
                }
                match name.as_slice() {
                    b"a" => {
                        if let Some((href, start)) = links.pop() {
                            out.link(&href, start);
                        }
                    }
                    b"pre" => {
                        pre = pre.saturating_sub(1);
                        out.block(2);
                    }
                    name => out.block(block(name)),
                }
            }
            Token::String(text) if hidden.is_none() => {
                let text = String::from_utf8_lossy(&text);
                if pre > 0 {
                    out.verbatim(&text);
                } else {
                    out.words(&text, newlines);
                }
            }
            _ => {}
        }
    }
    out.finish()
}

/// How many newlines an element's start or end makes: 2 for a paragraph, 1 for a line
/// of its own, 0 for an element within a line.
fn block(name: &[u8]) -> u8 {
    match name {
        b"p" | b"blockquote" | b"ul" | b"ol" | b"dl" | b"table" | b"h1" | b"h2" | b"h3" | b"h4"
        | b"h5" | b"h6" | b"figure" | b"hr" => 2,
        b"div" | b"li" | b"dt" | b"dd" | b"tr" | b"section" | b"article" | b"header"
        | b"footer" | b"address" | b"figcaption" | b"caption" => 1,
        _ => 0,
    }
}

/// The text being made: words, and the breaks owed before the next ones.
#[derive(Default)]
struct Text {
    text: String,
    /// Newlines owed before the next word (at most 2: a paragraph).
    breaks: u8,
    /// A space owed before the next word.
    space: bool,
    /// Newlines of the source since the last word, where they are breaks.
    newlines: u8,
    /// Whether a `<br>` was the last thing, so that a newline after it is not another.
    absorb: bool,
}

impl Text {
    fn block(&mut self, newlines: u8) {
        if newlines > 0 {
            self.breaks = self.breaks.max(newlines);
            self.space = false;
            self.newlines = 0;
        }
    }

    fn line_break(&mut self) {
        self.settle();
        self.text.push('\n');
        self.space = false;
        self.newlines = 0;
        self.absorb = true;
    }

    /// Pays what is owed before new text.
    fn settle(&mut self) {
        if !self.text.is_empty() {
            for _ in 0..self.breaks {
                self.text.push('\n');
            }
            if self.breaks == 0 && self.space && !self.text.ends_with(['\n', ' ']) {
                self.text.push(' ');
            }
        }
        self.breaks = 0;
        self.space = false;
    }

    fn words(&mut self, text: &str, newlines: Newlines) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                match newlines {
                    Newlines::Collapsed => self.space = true,
                    // The newline just after a `<br>` is the same break (`wpautop`).
                    Newlines::Kept if self.absorb => self.absorb = false,
                    Newlines::Kept => self.newlines += 1,
                }
            }
            if line.starts_with(|c: char| c.is_ascii_whitespace()) {
                self.space = true;
            }
            let mut words = line.split_ascii_whitespace().peekable();
            while let Some(word) = words.next() {
                if self.newlines > 0 {
                    self.breaks = self.breaks.max(self.newlines.min(2));
                    self.newlines = 0;
                }
                self.absorb = false;
                self.settle();
                self.text.push_str(word);
                self.space = words.peek().is_some();
            }
            if line.ends_with(|c: char| c.is_ascii_whitespace()) {
                self.space = true;
            }
        }
    }

    fn verbatim(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.settle();
        self.text.push_str(text);
    }

    /// Ends a link whose words began at `start`: its address follows them when it says
    /// something they do not.
    fn link(&mut self, href: &str, start: usize) {
        let words = self.text[start..].trim();
        let readable = |s: &str| {
            let s = s.trim();
            let s = s
                .strip_prefix("mailto:")
                .or_else(|| s.strip_prefix("https://"))
                .or_else(|| s.strip_prefix("http://"))
                .unwrap_or(s);
            s.strip_prefix("www.")
                .unwrap_or(s)
                .trim_end_matches('/')
                .to_lowercase()
        };
        let shown = href.starts_with("http://")
            || href.starts_with("https://")
            || href.starts_with("mailto:");
        if !shown || readable(words) == readable(href) {
            return;
        }
        if words.is_empty() {
            self.settle();
            self.text.push_str(href);
        } else {
            self.text.push_str(" (");
            self.text.push_str(href);
            self.text.push(')');
        }
    }

    fn finish(self) -> String {
        // Lines keep no trailing spaces, and the text no leading or trailing newlines.
        let lines: Vec<&str> = self.text.split('\n').map(str::trim_end).collect();
        lines.join("\n").trim_matches('\n').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{Newlines::*, to_text};

    #[test]
    fn paragraphs_and_breaks_become_newlines() {
        let html = "<p>First  paragraph,\nstill the first.</p><p>Second<br>line two<br/>three</p>";
        assert_eq!(
            to_text("One<br />\ntwo<br>\n\nthree", Kept),
            "One\ntwo\n\nthree"
        );
        assert_eq!(
            to_text(html, Collapsed),
            "First paragraph, still the first.\n\nSecond\nline two\nthree"
        );
    }

    #[test]
    fn wordpress_newlines_are_its_breaks() {
        let text = "Line one\nline two\n\n\nNew paragraph with <strong>bold</strong>.\n";
        assert_eq!(
            to_text(text, Kept),
            "Line one\nline two\n\nNew paragraph with bold."
        );
        assert_eq!(
            to_text(text, Collapsed),
            "Line one line two New paragraph with bold."
        );
    }

    #[test]
    fn entities_are_decoded_and_markup_is_text() {
        let html = "Caf&eacute; &amp; cr&#232;me &lt;script&gt;alert(1)&lt;/script&gt; &nbsp;&#x1F600; &bogus;";
        assert_eq!(
            to_text(html, Collapsed),
            "Café & crème <script>alert(1)</script> \u{a0}😀 &bogus;"
        );
    }

    #[test]
    fn links_keep_their_words_and_their_address_when_they_differ() {
        let html = r#"See <a href="https://example.com/doc">the docs</a>, <a href="http://example.com/">example.com</a> and <a href="javascript:alert(1)">this</a>."#;
        assert_eq!(
            to_text(html, Collapsed),
            "See the docs (https://example.com/doc), example.com and this."
        );
        assert_eq!(
            to_text(r#"<a href="https://x.org/a"></a>"#, Collapsed),
            "https://x.org/a"
        );
    }

    #[test]
    fn hidden_content_goes_and_lists_are_lines() {
        let html = "<style>p{color:red}</style><script>alert('x')</script><ul><li>one</li><li>two</li></ul><blockquote>quoted</blockquote>after<img src=x onerror=alert(1)>";
        assert_eq!(to_text(html, Collapsed), "one\ntwo\n\nquoted\n\nafter");
    }

    #[test]
    fn preformatted_text_keeps_its_spaces() {
        let html = "<p>code:</p><pre>fn main() {\n    x();\n}</pre>done";
        assert_eq!(
            to_text(html, Collapsed),
            "code:\n\nfn main() {\n    x();\n}\n\ndone"
        );
    }

    #[test]
    fn text_without_markup_is_itself() {
        for text in [
            "",
            "plain",
            "x < y and y > z",
            "a & b",
            "«Ça va ?»",
            "مرحبا",
        ] {
            assert_eq!(to_text(text, Kept), text.trim(), "{text:?}");
        }
    }
}
