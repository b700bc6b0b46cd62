//! Causerie's own export (`docs/export.md`): a first line that names the format, its
//! version and the database it came from, then a comment per line.

use std::{
    io::{BufRead, Read},
    path::Path,
};

use causerie_protocol::Status;
use serde::Deserialize;

use super::{Entry, ImportError, Incoming, Opened, Place, malformed};

/// The longest line read, in bytes: far more than any comment's.
pub const MAX_LINE: u64 = 4 << 20;

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

/// Opens our export `file`: its source is the database it came from.
pub fn open(file: &Path, name: &str) -> Result<Opened, ImportError> {
    let (first, lines) = lines(file, name, MAX_LINE)?;
    let header: Header = serde_json::from_str(&first).map_err(|_| {
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
    let owned = name.to_owned();
    let entries = lines.map(move |line| {
        let (number, text) = line?;
        let line: Line = serde_json::from_str(&text)
            .map_err(|e| malformed(&owned, number, format!("not a comment's line: {e}")))?;
        let place = Place::Page {
            site: Some(line.site.clone()),
            page: line.page.clone(),
        };
        Ok(Entry::Comment {
            line: number,
            place,
            comment: incoming(line),
            trashed: false,
        })
    });
    Ok(Opened {
        source: ["causerie:", &header.database].concat(),
        entries: Box::pin(futures_util::stream::iter(entries)),
    })
}

/// The lines of a JSON Lines file after its first, each with its number.
pub type Lines = Box<dyn Iterator<Item = Result<(u64, String), ImportError>> + Send>;

/// The first line of the JSON Lines `file`, and the others; each line is whole UTF-8
/// text, of at most `max` bytes (the first at most 16 times more: a header may list a
/// site's users), and none is empty.
pub fn lines(file: &Path, name: &str, max: u64) -> Result<(String, Lines), ImportError> {
    let owned = name.to_owned();
    let io = move |e: std::io::Error| ImportError::Io(e, owned.clone());
    let mut reader = super::reader(file).map_err(&io)?;
    // Lines are read whole, up to a bound: a file of one endless line cannot take the
    // machine's memory.
    let mut read = move |bound: u64| {
        let mut line = Vec::new();
        match (&mut reader).take(bound + 1).read_until(b'\n', &mut line) {
            Ok(0) => None,
            Ok(_) if line.len() as u64 > bound => Some(Err(None)),
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                Some(Ok(line))
            }
            Err(e) => Some(Err(Some(e))),
        }
    };
    let text = |name: &str,
                number: u64,
                bound: u64,
                line: Result<Vec<u8>, Option<std::io::Error>>| match line {
        Err(None) => Err(malformed(
            name,
            number,
            format!("a line over {bound} bytes"),
        )),
        Err(Some(e)) => Err(ImportError::Io(e, name.to_owned())),
        Ok(bytes) if bytes.is_empty() => Err(malformed(name, number, "an empty line".into())),
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|e| malformed(name, number, format!("not UTF-8 ({})", e.utf8_error()))),
    };
    let first = match read(max * 16) {
        None => return Err(malformed(name, 1, "the file is empty".into())),
        Some(line) => text(name, 1, max * 16, line)?,
    };
    let first = first.trim_start_matches('\u{feff}').to_owned();
    let name = name.to_owned();
    let mut number = 1;
    let rest = std::iter::from_fn(move || {
        let line = read(max)?;
        number += 1;
        Some(text(&name, number, max, line).map(|text| (number, text)))
    });
    Ok((first, Box::new(rest)))
}
