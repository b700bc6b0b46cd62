//! `causerie-server import`: comments from another system, through the pipeline's
//! import step (`comments::import`), into the store in batches (`Store::import_batch`).
//!
//! A file is read twice, as a stream each time: first to check every line, so that a
//! malformed file (cut short, not the format, not UTF-8) is refused with the line that
//! is wrong and changes nothing; then to import. Each comment remembers its source and
//! its id there: an import run again, after a crash or on a newer export, adds only what
//! is not there yet. An import never deletes or changes a comment.
//!
//! Formats: `causerie`, our own export (`docs/export.md`).

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Read},
    path::Path,
    sync::Arc,
};

use causerie_protocol::Status;
use serde::Deserialize;

use crate::{
    comments::{self, Incoming},
    sites::{Site, Sites},
    store::{ImportRow, Imported, Store, keyed_hex},
};

/// The longest line read, in bytes: far more than any comment's.
const MAX_LINE: u64 = 4 << 20;

/// How many comments go in one transaction.
const BATCH: usize = 500;

/// Why an import failed. Nothing was written, unless the database failed mid-way; then
/// what was written is whole comments, and the same import again completes it.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {0}", file = .1)]
    Io(std::io::Error, String),
    #[error("{file}, line {line}: {message}")]
    Malformed {
        file: String,
        line: u64,
        message: String,
    },
    #[error("{0:?} is not one of the configured sites (--allow-origin, [[site]])")]
    UnknownSite(String),
    #[error("{0}: this export is of this database: importing it would add nothing new")]
    SameDatabase(String),
    #[error("the database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What an import did, or would do (`--dry-run`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Comments read.
    pub read: u64,
    /// Added to the database (or that would be).
    pub added: u64,
    /// There already, from an earlier import.
    pub present: u64,
    /// Whose parent was missing: at the top level.
    pub orphans: u64,
    pub invalid_emails: u64,
    pub invalid_urls: u64,
    /// Texts or names over the limits of new comments, kept whole.
    pub over_limits: u64,
    /// Texts or names whose control characters were left out.
    pub cleaned: u64,
    /// Per site and page: published, pending, spam.
    pub pages: BTreeMap<(String, String), [u64; 3]>,
}

impl Report {
    fn count(&mut self, row: &ImportRow) {
        let by = self
            .pages
            .entry((row.site.clone(), row.page.clone()))
            .or_default();
        let i = match (row.spam, row.status) {
            (true, _) => 2,
            (false, Status::Published) => 0,
            (false, Status::Pending) => 1,
        };
        by[i] += 1;
    }
}

/// What to import, and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The site every comment goes to (its origin), whatever the file says.
    pub site: Option<String>,
    /// Read and check, and count, but write nothing.
    pub dry_run: bool,
}

/// The first line of our own export.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
    database: String,
}

/// A comment's line of our own export (`docs/export.md`); fields it does not know are
/// ignored, as the format allows.
#[derive(Deserialize)]
struct Line {
    id: i64,
    site: String,
    page: String,
    parent: Option<i64>,
    author: String,
    email: String,
    url: Option<String>,
    text: String,
    created: i64,
    status: String,
    deleted: bool,
    ip: Option<String>,
}

/// The name of this database in its exports: a keyed hash of its secret, which says
/// nothing of it but tells its exports from another database's.
pub fn database_name(store: &Store) -> String {
    keyed_hex(store.secret(), "export", "database", 8)
}

/// Imports the Causerie export `file`.
pub async fn causerie(
    store: &Store,
    sites: &Arc<Sites>,
    file: &Path,
    options: &Options,
) -> Result<Report, ImportError> {
    let name = file.display().to_string();
    let forced = match &options.site {
        None => None,
        Some(origin) => Some(site_of(sites, origin)?.clone()),
    };
    // First pass: every line parses, and names a configured site.
    let (source, first_pass) = lines(file, &name)?;
    for item in first_pass {
        let (number, line) = item?;
        if forced.is_none() {
            site_of(sites, &line.site).map_err(|e| malformed(&name, number, e.to_string()))?;
        }
        comments::importable(&line.page).map_err(|e| malformed(&name, number, e.to_string()))?;
    }
    if source == database_name(store) {
        return Err(ImportError::SameDatabase(name));
    }
    let source = ["causerie:", &source].concat();
    // Second pass: through the pipeline, into the store, a batch at a time.
    let mut report = Report::default();
    let mut dry = options.dry_run.then(DryRun::default);
    let mut batch = Batch::default();
    let (_, second_pass) = lines(file, &name)?;
    for item in second_pass {
        let (number, line) = item?;
        let site = match &forced {
            Some(site) => site.clone(),
            None => site_of(sites, &line.site)?.clone(),
        };
        let (row, findings) = comments::import(store.secret(), &site, &source, incoming(line))
            .map_err(|e| malformed(&name, number, e.to_string()))?;
        batch.rows.push(row);
        batch.findings.push(findings);
        if batch.rows.len() == BATCH {
            batch.write(store, &mut report, dry.as_mut()).await?;
        }
    }
    batch.write(store, &mut report, dry.as_mut()).await?;
    Ok(report)
}

/// What a dry run has seen: the source ids it would have added, for their replies.
#[derive(Default)]
struct DryRun {
    added: std::collections::HashSet<String>,
}

/// The comments of the next transaction, and what the rules found in each.
#[derive(Default)]
struct Batch {
    rows: Vec<ImportRow>,
    findings: Vec<comments::Findings>,
}

impl Batch {
    /// Writes the batch (or, in a dry run, only counts it), and empties it.
    async fn write(
        &mut self,
        store: &Store,
        report: &mut Report,
        dry_run: Option<&mut DryRun>,
    ) -> Result<(), ImportError> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let outcomes = match dry_run {
            None => store.import_batch(&self.rows).await?,
            Some(dry) => {
                let known = store.imported_ids(&self.rows).await?;
                self.rows
                    .iter()
                    .map(|row| {
                        if known.contains(&row.source_id) {
                            return Imported::Present;
                        }
                        let orphan = row.parent_source_id.as_ref().is_some_and(|parent| {
                            !known.contains(parent) && !dry.added.contains(parent)
                        });
                        dry.added.insert(row.source_id.clone());
                        Imported::Added { id: 0, orphan }
                    })
                    .collect()
            }
        };
        for ((row, findings), outcome) in self.rows.iter().zip(&self.findings).zip(outcomes) {
            report.read += 1;
            match outcome {
                Imported::Present => report.present += 1,
                Imported::Added { orphan, .. } => {
                    report.added += 1;
                    report.orphans += u64::from(orphan);
                    report.invalid_emails += u64::from(findings.invalid_email);
                    report.invalid_urls += u64::from(findings.invalid_url);
                    report.over_limits += u64::from(findings.over_limits);
                    report.cleaned += u64::from(findings.cleaned);
                    report.count(row);
                }
            }
        }
        self.rows.clear();
        self.findings.clear();
        Ok(())
    }
}

fn malformed(file: &str, line: u64, message: String) -> ImportError {
    ImportError::Malformed {
        file: file.to_owned(),
        line,
        message,
    }
}

/// The configured site whose origin is `origin` ('' is the default site).
fn site_of<'a>(sites: &'a Sites, origin: &str) -> Result<&'a Site, ImportError> {
    if origin.is_empty() {
        return Ok(sites.default_site());
    }
    sites
        .configured(origin)
        .ok_or_else(|| ImportError::UnknownSite(origin.trim_end_matches('/').to_owned()))
}

fn incoming(line: Line) -> Incoming {
    let (status, spam) = match line.status.as_str() {
        "published" => (Status::Published, false),
        "spam" => (Status::Pending, true),
        _ => (Status::Pending, false),
    };
    Incoming {
        source_id: line.id.to_string(),
        parent_source_id: line.parent.map(|p| p.to_string()),
        page: line.page,
        author: line.author,
        email: line.email,
        url: line.url,
        text: line.text,
        created: line.created,
        status,
        spam,
        deleted: line.deleted,
        ip: line.ip,
    }
}

/// An export's comments, each with its line's number.
type Comments = Box<dyn Iterator<Item = Result<(u64, Line), ImportError>> + Send>;

/// The lines of the export `file`, after its first line, which is checked: the source
/// database's name, and each comment with its line's number.
fn lines(file: &Path, name: &str) -> Result<(String, Comments), ImportError> {
    let owned = name.to_owned();
    let io = move |e: std::io::Error| ImportError::Io(e, owned.clone());
    let mut reader = BufReader::new(std::fs::File::open(file).map_err(&io)?);
    // Lines are read whole, up to a bound: a file of one endless line cannot take the
    // machine's memory.
    let mut lines = std::iter::from_fn(move || {
        let mut line = Vec::new();
        match (&mut reader)
            .take(MAX_LINE + 1)
            .read_until(b'\n', &mut line)
        {
            Ok(0) => None,
            Ok(_) if line.len() as u64 > MAX_LINE => Some(Err(None)),
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Some(Ok(line))
            }
            Err(e) => Some(Err(Some(e))),
        }
    });
    let too_long = |number: u64| malformed(name, number, format!("a line over {MAX_LINE} bytes"));
    let first = match lines.next() {
        None => return Err(malformed(name, 1, "the file is empty".into())),
        Some(Err(None)) => return Err(too_long(1)),
        Some(Err(Some(e))) => return Err(io(e)),
        Some(Ok(first)) => first,
    };
    let header: Header = serde_json::from_slice(&first).map_err(|_| {
        malformed(
            name,
            1,
            "not a Causerie export: its first line must name the format (docs/export.md)".into(),
        )
    })?;
    if header.format != crate::export::FORMAT {
        let message = format!("the format is {:?}, not \"causerie\"", header.format);
        return Err(malformed(name, 1, message));
    }
    if header.version != crate::export::VERSION {
        let message = format!(
            "version {} of the format is not one this server reads (it reads {})",
            header.version,
            crate::export::VERSION
        );
        return Err(malformed(name, 1, message));
    }
    let name = name.to_owned();
    let comments = lines.enumerate().map(move |(i, bytes)| {
        let number = i as u64 + 2;
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(None) => {
                return Err(malformed(
                    &name,
                    number,
                    format!("a line over {MAX_LINE} bytes"),
                ));
            }
            Err(Some(e)) => return Err(io(e)),
        };
        if bytes.is_empty() {
            return Err(malformed(&name, number, "an empty line".into()));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|e| malformed(&name, number, format!("not UTF-8 ({e})")))?;
        let line: Line = serde_json::from_str(text)
            .map_err(|e| malformed(&name, number, format!("not a comment's line: {e}")))?;
        Ok((number, line))
    });
    Ok((header.database, Box::new(comments)))
}
