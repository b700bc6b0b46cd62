//! The server's own words, for the people who read them: the admin page and the feed's
//! titles, in English and in French. (The API speaks in codes; the widget words them in the reader's
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
        accepted(headers)
            .into_iter()
            .find_map(Lang::from_tag)
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

/// The language ranges of `Accept-Language`, in the order of their weights; a weight of
/// 0 refuses the language.
pub fn accepted(headers: &HeaderMap) -> Vec<&str> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
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
    // A stable sort: equal weights keep their order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges.into_iter().map(|(_, tag)| tag).collect()
}

/// The admin page's words.
#[derive(Debug)]
pub struct AdminText {
    pub title: &'static str,
    pub password: &'static str,
    pub log_in: &'static str,
    pub log_out: &'static str,
    pub no_password: &'static str,
    pub wrong_password: &'static str,
    pub forbidden: &'static str,
    pub search_label: &'static str,
    pub search: &'static str,
    pub none: &'static str,
    /// The links between pages of the list.
    pub older: &'static str,
    pub newer: &'static str,
    pub approve_selected: &'static str,
    pub delete_selected: &'static str,
    pub approve: &'static str,
    pub delete: &'static str,
    pub spam: &'static str,
    pub edit: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub text: &'static str,
    pub held: &'static str,
    pub published: &'static str,
    pub spam_state: &'static str,
    pub on: &'static str,
    pub reply_to: &'static str,
    pub privacy: &'static str,
    pub export_label: &'static str,
    pub export: &'static str,
    /// The button that downloads every comment (`docs/export.md`).
    pub export_all: &'static str,
    pub forget_label: &'static str,
    pub anonymise: &'static str,
    pub erase: &'static str,
    lang: Lang,
}

impl AdminText {
    /// "Too many attempts: try again in 3 minutes."
    pub fn too_many(&self, minutes: u64) -> String {
        match self.lang {
            Lang::En => format!("Too many attempts: try again in {minutes} min."),
            Lang::Fr => format!("Trop de tentatives : réessayez dans {minutes} min."),
        }
    }

    /// "2 comments changed."
    pub fn changed(&self, n: u64) -> String {
        match (self.lang, n) {
            (Lang::En, 1) => "1 comment changed.".to_owned(),
            (Lang::En, n) => format!("{n} comments changed."),
            (Lang::Fr, 0 | 1) => format!("{n} commentaire modifié."),
            (Lang::Fr, n) => format!("{n} commentaires modifiés."),
        }
    }
}

const ADMIN_EN: AdminText = AdminText {
    title: "Comments: moderation",
    password: "Admin password",
    log_in: "Log in",
    log_out: "Log out",
    no_password: "No admin password is set yet. Set one on the server with: causerie-server admin set-password",
    wrong_password: "Wrong password.",
    forbidden: "This request did not come from the admin page, or the session has ended.",
    search_label: "Search by page, name, e-mail or text",
    search: "Search",
    none: "No comment matches.",
    older: "Older comments",
    newer: "Newer comments",
    approve_selected: "Approve selected",
    delete_selected: "Delete selected",
    approve: "Approve",
    delete: "Delete",
    spam: "Spam",
    edit: "Edit",
    save: "Save",
    cancel: "Cancel",
    text: "Text",
    held: "Held",
    published: "Published",
    spam_state: "Spam",
    on: "on",
    reply_to: "reply to",
    privacy: "Privacy requests",
    export_label: "Export every comment made with this e-mail address (JSON)",
    export: "Export",
    export_all: "Download every comment (JSON Lines, private fields included)",
    forget_label: "Anonymise or erase every comment made with this e-mail address",
    anonymise: "Anonymise",
    erase: "Erase",
    lang: Lang::En,
};

const ADMIN_FR: AdminText = AdminText {
    title: "Commentaires : modération",
    password: "Mot de passe d’administration",
    log_in: "Se connecter",
    log_out: "Se déconnecter",
    no_password: "Aucun mot de passe d’administration n’est défini. Définissez-en un sur le serveur avec : causerie-server admin set-password",
    wrong_password: "Mot de passe incorrect.",
    forbidden: "Cette requête ne vient pas de la page d’administration, ou la session a pris fin.",
    search_label: "Rechercher par page, nom, e-mail ou texte",
    search: "Rechercher",
    none: "Aucun commentaire ne correspond.",
    older: "Commentaires plus anciens",
    newer: "Commentaires plus récents",
    approve_selected: "Approuver la sélection",
    delete_selected: "Supprimer la sélection",
    approve: "Approuver",
    delete: "Supprimer",
    spam: "Indésirable",
    edit: "Modifier",
    save: "Enregistrer",
    cancel: "Annuler",
    text: "Texte",
    held: "En attente",
    published: "Publié",
    spam_state: "Indésirable",
    on: "sur",
    reply_to: "réponse à",
    privacy: "Demandes relatives aux données personnelles",
    export_label: "Exporter tous les commentaires faits avec cette adresse e-mail (JSON)",
    export: "Exporter",
    export_all: "Télécharger tous les commentaires (JSON Lines, champs privés compris)",
    forget_label: "Anonymiser ou effacer tous les commentaires faits avec cette adresse e-mail",
    anonymise: "Anonymiser",
    erase: "Effacer",
    lang: Lang::Fr,
};

impl Lang {
    /// The admin page's words in this language.
    pub fn admin(self) -> &'static AdminText {
        match self {
            Lang::En => &ADMIN_EN,
            Lang::Fr => &ADMIN_FR,
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
