//! A Remark42 backup (`remark42 backup`, or its daily files, gzipped or not): JSON
//! Lines, whose first line is the site's metadata (`{"version":1,"users":[…],"posts":[…]}`)
//! and each other line a comment, with its page's address in `locator.url`, its
//! parent's id in `pid`, and its text as the HTML Remark42 showed. Remark42 keeps no
//! e-mail address with a comment, nor a client address (only a keyed hash of it, which
//! is left out), nor a held state: every comment is published; a deleted one is the
//! trash.

use std::path::Path;

use causerie_protocol::Status;
use serde::Deserialize;

use super::{
    Entry, ImportError, Incoming, Opened, Pass, Place,
    causerie::{MAX_LINE, lines},
    html::{Newlines, to_text},
    malformed,
};

#[derive(Deserialize)]
struct Meta {
    version: u32,
}

#[derive(Deserialize)]
struct Comment {
    id: String,
    #[serde(default)]
    pid: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    user: User,
    locator: Locator,
    time: String,
    #[serde(default)]
    delete: bool,
}

#[derive(Deserialize, Default)]
struct User {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Locator {
    #[serde(default)]
    site: String,
    url: String,
}

pub fn open(file: &Path, name: &str, pass: Pass) -> Result<Opened, ImportError> {
    let (first, rest) = lines(file, name, MAX_LINE)?;
    let meta: Meta = serde_json::from_str(&first).map_err(|_| {
        malformed(
            name,
            1,
            "not a Remark42 backup: its first line must be its metadata ({\"version\":1,…})".into(),
        )
    })?;
    if meta.version > 1 {
        let message = format!(
            "version {} of Remark42's backup is not one read here (1 is)",
            meta.version
        );
        return Err(malformed(name, 1, message));
    }
    let owned = name.to_owned();
    let entries = rest.map(move |line| {
        let (number, text) = line?;
        let c: Comment = serde_json::from_str(&text)
            .map_err(|e| malformed(&owned, number, format!("not a Remark42 comment: {e}")))?;
        let created = crate::dates::parse(&c.time).ok_or_else(|| {
            malformed(
                &owned,
                number,
                format!("a comment without a date ({:?})", c.time),
            )
        })?;
        // Its ids are the site's own: the site is part of each.
        let id = |id: &str| [c.locator.site.as_str(), "/", id].concat();
        Ok(Entry::Comment {
            line: number,
            place: Place::Url(c.locator.url.clone()),
            comment: Incoming {
                source_id: id(&c.id),
                parent_source_id: Some(c.pid.as_str()).filter(|p| !p.is_empty()).map(id),
                page: String::new(),
                author: c.user.name.trim().to_owned(),
                email: String::new(),
                url: None,
                text: if pass == Pass::Check {
                    String::new()
                } else {
                    to_text(&c.text, Newlines::Collapsed)
                },
                created,
                status: Status::Published,
                spam: false,
                deleted: false,
                ip: None,
            },
            trashed: c.delete,
        })
    });
    Ok(Opened {
        source: "remark42".to_owned(),
        entries: Box::pin(futures_util::stream::iter(entries)),
    })
}
