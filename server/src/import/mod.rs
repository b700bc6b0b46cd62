//! `causerie-server import`: comments from another system, through the pipeline's
//! import step (`comments::import`), into the store in batches (`Store::import_batch`).
//!
//! A file is read twice, as a stream each time: first to check every line, so that a
//! malformed file (cut short, not the format, not UTF-8) is refused with the line that
//! is wrong and changes nothing; then to import. Each comment remembers its source and
//! its id there: an import run again, after a crash or on a newer export, adds only what
//! is not there yet. An import never deletes or changes a comment.
//!
//! Replies keep their parent at any depth, whatever the file's order: the first pass
//! notes the replies that come before their parent, and the second holds them back
//! until it is in. A trashed comment is left out, unless it has replies: then it is the
//! placeholder of a deleted comment, and they stay in place. Pingbacks and trackbacks
//! are not comments: they are counted, and left out.
//!
//! Pages: a source's page address becomes a page id as the loader makes one (its path,
//! and its query when the path names no page, `/?p=4`), after `--map`.
//!
//! Formats, a module each: `causerie` (our own export, `docs/export.md`), `wordpress`,
//! `disqus`, `isso`, `remark42`; `html` makes their HTML plain text, `xml` reads XML.

mod causerie;
mod disqus;
pub mod html;
mod isso;
mod remark42;
mod wordpress;
mod xml;

use std::{
    collections::{BTreeMap, HashSet},
    io::{BufRead, BufReader, Read},
    path::Path,
    sync::Arc,
};

use causerie_protocol::Status;
use futures_util::StreamExt;
use indicatif::ProgressBar;

pub use crate::comments::Incoming;
use crate::{
    comments,
    sites::{Site, Sites},
    store::{ImportRow, Imported, Store, keyed_hex},
};

/// How many comments go in one transaction.
const BATCH: usize = 2_000;

/// From how many comments an import defers the indexes (`Store::defer_indexes`).
const DEFER_INDEXES: u64 = 10_000;

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
    #[error("{0}: cannot tell its format: say it with --from")]
    Unknown(String),
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
    /// Pingbacks and trackbacks, left out.
    pub pingbacks: u64,
    /// Comments in the source's trash, left out.
    pub trashed: u64,
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

/// The name of this database in its exports: a keyed hash of its secret, which says
/// nothing of it but tells its exports from another database's.
pub fn database_name(store: &Store) -> String {
    keyed_hex(store.secret(), "export", "database", 8)
}

/// What to import, and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The files' format; without it, it is recognised from each file (`detect`).
    pub from: Option<Format>,
    /// The site every comment goes to (its origin), whatever the file says.
    pub site: Option<String>,
    /// Addresses of pages that moved: a page whose address starts with the first is
    /// taken as if it started with the second (`https://old.example.com/blog/` → `/`).
    pub maps: Vec<(String, String)>,
    /// Read and check, and count, but write nothing.
    pub dry_run: bool,
}

/// The formats the import reads: each is a module here with an `open` that gives a
/// file's entries, in the file's order (the extension point for one more).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Causerie's own export (`docs/export.md`).
    Causerie,
    /// A WordPress export (WXR 1.0 to 1.2: Tools → Export).
    Wordpress,
    /// A Disqus export (the XML that Disqus mails).
    Disqus,
    /// An Isso database (its SQLite file).
    Isso,
    /// A Remark42 backup (its JSON-lines file).
    Remark42,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Causerie => "causerie",
            Format::Wordpress => "wordpress",
            Format::Disqus => "disqus",
            Format::Isso => "isso",
            Format::Remark42 => "remark42",
        }
    }
}

/// Where a comment is, as its source names it.
#[derive(Debug, Clone)]
pub enum Place {
    /// A page's address (WordPress, Disqus, Remark42): its site and page are read from it.
    Url(String),
    /// A page id, and the origin of its site when the source names one.
    Page { site: Option<String>, page: String },
}

/// One thing a source holds.
#[allow(
    clippy::large_enum_variant,
    reason = "a pingback is rare, a comment is not"
)]
pub enum Entry {
    /// A comment, at `line` of the file (or row of the database), on `place`; `page` in
    /// `comment` is left empty, for `Place` to fill.
    Comment {
        line: u64,
        place: Place,
        comment: Incoming,
        /// In the source's trash: not imported, unless it has replies to hold in place
        /// (then it comes in as the placeholder of a deleted comment).
        trashed: bool,
    },
    /// A pingback or a trackback: not a comment, and counted.
    Pingback { line: u64 },
}

/// A file, opened for one pass: the name of its source (the system and the site it
/// came from, for each comment's `source`), and its entries.
pub struct Opened {
    pub source: String,
    pub entries: Entries,
}

/// A source's entries, in its order.
pub type Entries = futures_util::stream::BoxStream<'static, Result<Entry, ImportError>>;

/// Which pass a file is opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The check: texts are not needed, and formats may leave them out.
    Check,
    /// The import: every field.
    Import,
}

async fn open(format: Format, file: &Path, name: &str, pass: Pass) -> Result<Opened, ImportError> {
    match format {
        Format::Causerie => causerie::open(file, name),
        Format::Wordpress => wordpress::open(file, name, pass),
        Format::Disqus => disqus::open(file, name, pass),
        Format::Isso => isso::open(file, name).await,
        Format::Remark42 => remark42::open(file, name, pass),
    }
}

/// The file, buffered, and decompressed when it is gzipped (Remark42's backups are;
/// an export may be).
fn reader(file: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    let mut f = BufReader::with_capacity(1 << 16, std::fs::File::open(file)?);
    if f.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(f);
        return Ok(Box::new(BufReader::with_capacity(1 << 16, gz)));
    }
    Ok(Box::new(f))
}

/// The format of `file`, from its first bytes.
pub fn detect(file: &Path) -> Result<Format, ImportError> {
    let name = file.display().to_string();
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(file)
        .and_then(|f| Read::take(f, 16).read_to_end(&mut head))
        .map_err(|e| ImportError::Io(e, name.clone()))?;
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(Format::Isso);
    }
    head.clear();
    reader(file)
        .and_then(|f| Read::take(f, 4096).read_to_end(&mut head))
        .map_err(|e| ImportError::Io(e, name.clone()))?;
    if head.starts_with(b"SQLite format 3\0") {
        return Ok(Format::Isso);
    }
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('{') {
        let first = text.lines().next().unwrap_or_default();
        return Ok(if first.contains(r#""format":"causerie""#) {
            Format::Causerie
        } else {
            Format::Remark42
        });
    }
    if text.starts_with('<') {
        if text.contains("wordpress.org/export/") {
            return Ok(Format::Wordpress);
        }
        if text.contains("<disqus") {
            return Ok(Format::Disqus);
        }
    }
    Err(ImportError::Unknown(name))
}

/// Imports `file` (every pass through the pipeline's import step, `comments::import`),
/// with a progress bar that shows only on a terminal.
pub async fn run(
    store: &Store,
    sites: &Arc<Sites>,
    file: &Path,
    options: &Options,
    progress: &ProgressBar,
) -> Result<Report, ImportError> {
    let name = file.display().to_string();
    let format = match options.from {
        Some(format) => format,
        None => detect(file)?,
    };
    let pages = Pages::new(sites, options)?;
    // First pass: every entry reads, and is on a page of a configured site; and which
    // comments have replies, and which come before their parent.
    progress.set_message(format!("checking {name}"));
    let Opened {
        source,
        mut entries,
    } = open(format, file, &name, Pass::Check).await?;
    if source == ["causerie:", &database_name(store)].concat() {
        return Err(ImportError::SameDatabase(name));
    }
    let mut seen = HashSet::new();
    let mut replied = HashSet::new();
    let mut early = Vec::new();
    let mut total = 0u64;
    while let Some(entry) = entries.next().await {
        if let Entry::Comment {
            line,
            place,
            comment,
            ..
        } = entry?
        {
            pages
                .place(&place)
                .and_then(|(_, page)| comments::importable(&page).map_err(|e| e.to_string()))
                .map_err(|e| malformed(&name, line, e))?;
            let id = hash(&comment.source_id);
            if let Some(parent) = &comment.parent_source_id {
                let parent = hash(parent);
                replied.insert(parent);
                if !seen.contains(&parent) {
                    early.push((id, parent));
                }
            }
            seen.insert(id);
            total += 1;
            if total.is_multiple_of(1024) {
                progress.set_position(total);
            }
        }
    }
    // Replies that come before their parent wait for it (a source's order is its own).
    let waiting: HashSet<u64> = early
        .into_iter()
        .filter(|(_, parent)| seen.contains(parent))
        .map(|(id, _)| id)
        .collect();
    drop(seen);
    // Second pass: through the pipeline, into the store, a batch at a time. The file is
    // read and its comments made into rows by one task while the store writes the
    // batches before (a core each), two batches ahead at most: constant memory.
    progress.set_length(total);
    progress.set_position(0);
    // A large import into a database that holds fewer comments writes faster without the
    // indexes that only the server reads: they are made again at the end, in seconds.
    let deferred = !options.dry_run
        && total >= DEFER_INDEXES
        && (store.count_all().await? as u64) < total
        && store.defer_indexes().await?;
    let imported = SecondPass {
        store,
        format,
        file,
        name: &name,
        pages,
        source,
        replied,
        waiting,
        options,
        progress,
    }
    .run()
    .await;
    if deferred {
        progress.set_message(format!("indexing {name}"));
        store.restore_indexes().await?;
    }
    progress.finish_and_clear();
    imported
}

/// What the second pass needs of the first.
struct SecondPass<'a> {
    store: &'a Store,
    format: Format,
    file: &'a Path,
    name: &'a str,
    pages: Pages,
    source: String,
    replied: HashSet<u64>,
    waiting: HashSet<u64>,
    options: &'a Options,
    progress: &'a ProgressBar,
}

impl SecondPass<'_> {
    async fn run(self) -> Result<Report, ImportError> {
        let SecondPass {
            store,
            options,
            progress,
            ..
        } = self;
        let name = self.name.to_owned();
        progress.set_message(format!("importing {name}"));
        let mut report = Report::default();
        let mut dry = options.dry_run.then(DryRun::default);
        let Opened { entries, .. } = open(self.format, self.file, &name, Pass::Import).await?;
        let (batches, mut written) = tokio::sync::mpsc::channel(2);
        let reader = tokio::spawn(rows(Rows {
            entries,
            store: store.clone(),
            pages: self.pages,
            source: self.source.clone(),
            name: name.clone(),
            replied: self.replied,
            waiting: self.waiting,
            progress: progress.clone(),
            batches,
        }));
        while let Some(mut batch) = written.recv().await {
            batch.write(store, &mut report, dry.as_mut()).await?;
            progress.set_message(format!("importing {name}: {} added", report.added));
        }
        let Leftovers {
            held,
            mut waiting,
            pingbacks,
            trashed,
            ..
        } = reader.await.expect("the reading task does not panic")?;
        report.pingbacks = pingbacks;
        report.trashed = trashed;
        let mut held = held;
        let mut batch = Batch::default();
        // Then the replies that came before their parents, each after its parent.
        while !held.is_empty() {
            let (ready, later): (Vec<_>, Vec<_>) = held.into_iter().partition(|(_, c)| {
                c.parent_source_id
                    .as_ref()
                    .is_none_or(|parent| !waiting.contains(&hash(parent)))
            });
            // A loop of parents (a broken source) comes in all at once, its replies orphans.
            let (ready, later) = if ready.is_empty() {
                (later, Vec::new())
            } else {
                (ready, later)
            };
            for (site, comment) in ready {
                waiting.remove(&hash(&comment.source_id));
                let (row, findings) =
                    comments::import(store.secret(), &site, &self.source, comment)
                        .map_err(|e| malformed(&name, 0, e.to_string()))?;

                batch.push(row, findings);
                if batch.rows.len() == BATCH {
                    batch.write(store, &mut report, dry.as_mut()).await?;
                }
            }
            batch.write(store, &mut report, dry.as_mut()).await?;
            held = later;
        }
        Ok(report)
    }
}

/// What the second pass reads with, in its own task.
struct Rows {
    entries: Entries,
    store: Store,
    pages: Pages,
    source: String,
    name: String,
    replied: HashSet<u64>,
    waiting: HashSet<u64>,
    progress: ProgressBar,
    batches: tokio::sync::mpsc::Sender<Batch>,
}

/// What the second pass leaves to the end: the replies held for their parent, and
/// the counts of what it left out.
struct Leftovers {
    /// Replies that came before their parent, with their site.
    held: Vec<(Site, Incoming)>,
    waiting: HashSet<u64>,
    pingbacks: u64,
    trashed: u64,
    /// Comments read (the progress bar moves a thousand at a time).
    entries: u64,
}

/// Reads the entries, makes each comment a row through the pipeline's import step, and
/// sends them a batch at a time.
async fn rows(mut r: Rows) -> Result<Leftovers, ImportError> {
    let mut read = Leftovers {
        held: Vec::new(),
        waiting: HashSet::new(),
        pingbacks: 0,
        trashed: 0,
        entries: 0,
    };
    let mut batch = Batch::default();
    while let Some(entry) = r.entries.next().await {
        let (line, place, mut comment, trashed) = match entry? {
            Entry::Pingback { .. } => {
                read.pingbacks += 1;
                continue;
            }
            Entry::Comment {
                line,
                place,
                comment,
                trashed,
            } => (line, place, comment, trashed),
        };
        read.entries += 1;
        if read.entries.is_multiple_of(1024) {
            r.progress.inc(1024);
        }
        if trashed {
            if !r.replied.contains(&hash(&comment.source_id)) {
                read.trashed += 1;
                continue;
            }
            comment = placeholder(comment);
        }
        let (site, page) = r
            .pages
            .place(&place)
            .map_err(|e| malformed(&r.name, line, e))?;
        comment.page = page;
        if r.waiting.contains(&hash(&comment.source_id)) {
            read.held.push((site, comment));
            continue;
        }
        let (row, findings) = comments::import(r.store.secret(), &site, &r.source, comment)
            .map_err(|e| malformed(&r.name, line, e.to_string()))?;
        batch.push(row, findings);
        if batch.rows.len() == BATCH && r.batches.send(std::mem::take(&mut batch)).await.is_err() {
            // The writer stopped, on an error of its own, which it reports.
            break;
        }
    }
    if !batch.rows.is_empty() {
        let _ = r.batches.send(batch).await;
    }
    read.waiting = r.waiting;
    Ok(read)
}

/// A 64-bit hash of a source id, for the sets of the first pass (a collision could
/// only hold a reply back until the end, or keep a trashed comment as a placeholder).
fn hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id)
}

/// A trashed comment that has replies: the placeholder of a deleted comment, with
/// nothing of its author or its text.
fn placeholder(comment: Incoming) -> Incoming {
    Incoming {
        author: String::new(),
        email: String::new(),
        url: None,
        text: String::new(),
        ip: None,
        deleted: true,
        status: Status::Published,
        spam: false,
        ..comment
    }
}

/// How pages are named: a source's page addresses, remapped, made into a site of
/// ours and a page id.
struct Pages {
    /// The site of every comment, when `--site` says.
    forced: Option<Site>,
    /// The only site, when only one is configured.
    only: Option<Site>,
    default: Site,
    sites: Arc<Sites>,
    maps: Vec<(String, String)>,
}

impl Pages {
    fn new(sites: &Arc<Sites>, options: &Options) -> Result<Pages, ImportError> {
        let forced = match &options.site {
            None => None,
            Some(origin) => Some(site_of(sites, origin)?.clone()),
        };
        let only = (sites.all().len() == 1).then(|| sites.default_site().clone());
        Ok(Pages {
            forced,
            only,
            default: sites.default_site().clone(),
            sites: sites.clone(),
            maps: options.maps.clone(),
        })
    }

    /// The site and the page id of `place`.
    fn place(&self, place: &Place) -> Result<(Site, String), String> {
        let (origin, page) = match place {
            Place::Page { site, page } => {
                let page = self.remap(page);
                (site.clone(), page)
            }
            Place::Url(url) => {
                let url = self.remap(url);
                if url.starts_with('/') {
                    (None, page_id(&url))
                } else {
                    let parsed = url::Url::parse(&url)
                        .map_err(|e| format!("the page's address {url:?} is not one ({e})"))?;
                    let origin = parsed.origin().ascii_serialization();
                    let mut page = parsed.path().to_owned();
                    keep_query(&mut page, parsed.query());
                    (Some(origin), page)
                }
            }
        };
        let site = match (&self.forced, origin.as_deref()) {
            (Some(site), _) => site.clone(),
            (None, Some("")) => self.default.clone(),
            (None, Some(origin)) => match self.sites.configured(origin) {
                Some(site) => site.clone(),
                None => self.only.clone().ok_or_else(|| {
                    format!(
                        "the site {origin} is not one of the configured sites: say which with --site, or map it with --map"
                    )
                })?,
            },
            (None, None) => self.only.clone().ok_or_else(|| {
                "the file does not say which site: say it with --site".to_owned()
            })?,
        };
        Ok((site, page))
    }

    fn remap(&self, address: &str) -> String {
        for (old, new) in &self.maps {
            if let Some(rest) = address.strip_prefix(old.as_str()) {
                let joined =
                    [new.trim_end_matches('/'), "/", rest.trim_start_matches('/')].concat();
                return joined;
            }
        }
        address.to_owned()
    }
}

/// A path (and query) as a page id: the path, and the query when it names the page.
fn page_id(path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let path = path.split('#').next().unwrap_or(path);
    let mut page = path.to_owned();
    keep_query(&mut page, query.map(|q| q.split('#').next().unwrap_or(q)));
    page
}

/// A page's query is its identity when its path names no page (`/?p=4`,
/// `/index.php?page_id=2`, WordPress's plain links), as the loader reads it (`embed.js`).
fn keep_query(page: &mut String, query: Option<&str>) {
    if let Some(query) = query.filter(|q| !q.is_empty())
        && (page == "/" || page.ends_with(".php"))
    {
        page.push('?');
        page.push_str(query);
    }
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
    fn push(&mut self, row: ImportRow, findings: comments::Findings) {
        self.rows.push(row);
        self.findings.push(findings);
    }

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

pub(crate) fn malformed(file: &str, line: u64, message: String) -> ImportError {
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
