//! The server's own words, for the people who read them: the feed's titles, in English
//! and in French. (The API speaks in codes; the widget words them in the reader's
//! language.)
//!
//! The language is the `lang` query parameter when it names one, else the first
//! language of `Accept-Language` that the server speaks, else English.

use axum::http::{HeaderMap, header};

/// A language the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// The language for a request: `lang` (a query parameter), else `Accept-Language`.
    pub fn of(lang: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(lang) = lang.and_then(Lang::from_tag) {
            return lang;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        // Ranges in the order of their weights; a weight of 0 refuses the language.
        let mut ranges: Vec<(f32, &str)> = accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse().ok())?;
                Some((q, tag))
            })
            .filter(|(q, _)| *q > 0.0)
            .collect();
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .iter()
            .find_map(|(_, tag)| Lang::from_tag(tag))
            .unwrap_or(Lang::En)
    }

    /// `fr`, `fr-CA`, `FR` → French; `en…` → English; anything else → none.
    fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The feed's title: the comments on `page`.
    pub fn feed_title(self, page: &str) -> String {
        match self {
            Lang::En => format!("Comments on {page}"),
            Lang::Fr => format!("Commentaires sur {page}"),
        }
    }

    /// An entry's title: a comment, or a reply, by `author`.
    pub fn entry_title(self, author: &str, reply: bool) -> String {
        match (self, reply) {
            (Lang::En, false) => format!("Comment by {author}"),
            (Lang::En, true) => format!("Reply by {author}"),
            (Lang::Fr, false) => format!("Commentaire de {author}"),
            (Lang::Fr, true) => format!("Réponse de {author}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_then_accept_language() {
        let accept = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
            headers
        };
        let cases = [
            (None, "", Lang::En),
            (None, "fr-FR,fr;q=0.9,en;q=0.8", Lang::Fr),
            (None, "de-DE, en;q=0.5, fr;q=0.7", Lang::Fr),
            (None, "de, ja", Lang::En),
            (None, "fr;q=0, en", Lang::En),
            (None, "en;q=0.1, fr;q=x", Lang::En),
            (Some("fr-CA"), "en", Lang::Fr),
            (Some("xx"), "fr", Lang::Fr),
        ];
        for (query, header, expected) in cases {
            assert_eq!(
                Lang::of(query, &accept(header)),
                expected,
                "{query:?} {header:?}"
            );
        }
    }
}
