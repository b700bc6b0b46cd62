//! `causerie-server export`: every comment of the database, or of one site, as the
//! JSON Lines of `docs/export.md`. A first line names the format and its version; then
//! one line per comment, in the order of their ids (so a parent always comes before its
//! replies), with every field, the private ones included: the export is the site
//! owner's, and holds e-mail and client addresses.
//!
//! The comments are read in pages of ids (`Store::export_page`) and written as they
//! come: an export of any size takes constant memory.

use std::io::Write;

use causerie_protocol::Status;
use serde::Serialize;

use crate::{sites::Sites, store::Store};

/// The name of the format, in its first line.
pub const FORMAT: &str = "causerie";

/// Its version: a reader refuses a version it does not know.
pub const VERSION: u32 = 1;

/// How many comments are read from the database at a time.
const PAGE: u32 = 1_000;

/// The first line: fields in the order `docs/export.md` shows them.
#[derive(Serialize)]
struct Header {
    format: &'static str,
    version: u32,
    exported: i64,
}

/// One comment's line, as `docs/export.md` describes it.
#[derive(Serialize)]
struct Line<'a> {
    id: i64,
    site: &'a str,
    page: &'a str,
    parent: Option<i64>,
    author: &'a str,
    email: &'a str,
    url: Option<&'a str>,
    text: &'a str,
    created: i64,
    status: &'static str,
    deleted: bool,
    ip: Option<&'a str>,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The database failed.
    #[error("reading the database: {0}")]
    Database(#[from] sqlx::Error),
    /// The output could not be written.
    #[error("writing the export: {0}")]
    Write(#[from] std::io::Error),
    /// `--site` names no configured site.
    #[error(
        "{0:?} is not one of the configured sites (--allow-origin, [[site]]): nothing was exported"
    )]
    UnknownSite(String),
}

/// Writes the export to `out`: every comment, or those of the site whose origin is
/// `site`. Returns how many comments it wrote.
pub async fn causerie(
    store: &Store,
    sites: &Sites,
    site: Option<&str>,
    now: i64,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    let key = match site {
        None => None,
        Some(origin) => Some(
            sites
                .all()
                .iter()
                .find(|s| s.origin == origin.trim_end_matches('/'))
                .ok_or_else(|| ExportError::UnknownSite(origin.to_owned()))?
                .key
                .as_str(),
        ),
    };
    let header = Header {
        format: FORMAT,
        version: VERSION,
        exported: now,
    };
    serde_json::to_writer(&mut *out, &header).map_err(std::io::Error::from)?;
    writeln!(out)?;
    let (mut after, mut written) = (0, 0);
    loop {
        let page = store.export_page(key, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.comment.id;
        for m in &page {
            let c = &m.comment;
            // A site stored as '' is the default one: named by its origin, so that the
            // export can be imported into a server with other sites.
            let origin = sites.by_key(&m.site).map_or(m.site.as_str(), |s| &s.origin);
            let status = match (m.spam, c.status) {
                (true, _) => "spam",
                (false, Status::Pending) => "pending",
                (false, Status::Published) => "published",
            };
            let line = Line {
                id: c.id,
                site: origin,
                page: &c.page,
                parent: c.parent,
                author: &c.author,
                email: &m.email,
                url: c.url.as_deref(),
                text: &c.text,
                created: c.created,
                status,
                deleted: c.deleted,
                ip: m.ip.as_deref(),
            };
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            writeln!(out)?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}
