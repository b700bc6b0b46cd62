//! `causerie-server export`: every comment of the database, or of one site, as the
//! JSON Lines of `docs/export.md`. A first line names the format and its version; then
//! one line per comment, in the order of their ids (so a parent always comes before its
//! replies), with every field, the private ones included: the export is the site
//! owner's, and holds e-mail and client addresses.
//!
//! The comments are read in pages of ids (`Store::export_page`) and written as they
//! come: an export of any size takes constant memory.

use std::{io::Write, sync::Arc};

use causerie_protocol::Status;
use serde::Serialize;

mod wordpress;

pub use wordpress::wordpress;

use crate::{
    sites::{Site, Sites},
    store::Store,
};

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
    /// This database's name (`import::database_name`).
    database: String,
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

/// An export being read: its first line, then a page of comments at a time.
pub struct Export {
    store: Store,
    sites: Arc<Sites>,
    /// The site's key, or every site.
    key: Option<String>,
    /// The id of the last comment read.
    after: i64,
    /// The first line's time, until the line is written.
    header: Option<i64>,
}

impl Export {
    /// An export of every comment, or of those of the site whose origin is `site`.
    pub fn new(
        store: Store,
        sites: Arc<Sites>,
        site: Option<&str>,
        now: i64,
    ) -> Result<Export, ExportError> {
        let key = only(&sites, site)?.map(|s| s.key.clone());
        let mut export = Export::all(store, sites, now);
        export.key = key;
        Ok(export)
    }

    /// An export of every comment.
    pub fn all(store: Store, sites: Arc<Sites>, now: i64) -> Export {
        Export {
            store,
            sites,
            key: None,
            after: 0,
            header: Some(now),
        }
    }

    /// The next lines, and how many comments they hold: the first line alone, then a
    /// page of comments at a time; `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<(Vec<u8>, u64)>, ExportError> {
        let mut out = Vec::new();
        if let Some(exported) = self.header.take() {
            let header = Header {
                format: FORMAT,
                version: VERSION,
                database: crate::import::database_name(&self.store),
                exported,
            };
            serde_json::to_writer(&mut out, &header).map_err(std::io::Error::from)?;
            out.push(b'\n');
            return Ok(Some((out, 0)));
        }
        let page = self
            .store
            .export_page(self.key.as_deref(), self.after, PAGE)
            .await?;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = last.comment.id;
        for m in &page {
            let c = &m.comment;
            // A site stored as '' is the default one: named by its origin, so that the
            // export can be imported into a server with other sites.
            let origin = self
                .sites
                .by_key(&m.site)
                .map_or(m.site.as_str(), |s| &s.origin);
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
            serde_json::to_writer(&mut out, &line).map_err(std::io::Error::from)?;
            out.push(b'\n');
        }
        Ok(Some((out, page.len() as u64)))
    }
}

/// The configured site whose origin is `site`, when an export is of one site only.
fn only<'a>(sites: &'a Sites, site: Option<&str>) -> Result<Option<&'a Site>, ExportError> {
    site.map(|origin| {
        sites
            .configured(origin)
            .ok_or_else(|| ExportError::UnknownSite(origin.to_owned()))
    })
    .transpose()
}

/// Writes the export to `out`: every comment, or those of the site whose origin is
/// `site`. Returns how many comments it wrote.
pub async fn causerie(
    store: &Store,
    sites: &Arc<Sites>,
    site: Option<&str>,
    now: i64,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    let mut export = Export::new(store.clone(), sites.clone(), site, now)?;
    let mut written = 0;
    while let Some((lines, comments)) = export.next_chunk().await? {
        out.write_all(&lines)?;
        written += comments;
    }
    out.flush()?;
    Ok(written)
}
