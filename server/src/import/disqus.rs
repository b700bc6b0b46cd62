//! A Disqus export (the XML that Disqus mails): `<disqus>`, its `<thread>`s (a page
//! each, with its `<link>`), then its `<post>`s, each naming its thread and its parent by
//! `dsq:id`. A post's text is HTML. A post is published unless `<isSpam>` (spam) or
//! `<isApproved>false` (held); `<isDeleted>`, or a deleted thread, is the trash. An
//! author without an e-mail address (Disqus leaves it out of many exports) is still
//! imported. Only the threads' addresses are kept in memory.

use std::{collections::HashMap, path::Path};

use causerie_protocol::Status;

use super::{
    Entry, ImportError, Incoming, Opened, Pass, Place,
    html::{Newlines, to_text},
    xml::{Node, Xml},
};

pub fn open(file: &Path, name: &str, pass: Pass) -> Result<Opened, ImportError> {
    let mut xml = Xml::open(file, name)?;
    match xml.next()? {
        Node::Open(root, _) if root == "disqus" => {}
        Node::Open(root, _) => {
            return Err(xml.error(format!(
                "not a Disqus export: its root is <{root}>, not <disqus>"
            )));
        }
        _ => return Err(xml.error("not a Disqus export: no <disqus>")),
    }
    let mut reader = Export {
        xml,
        pass,
        threads: HashMap::new(),
        forum: None,
        current: None,
    };
    // The source is the forum, named by the first thread; a file of no thread has no
    // post to import either.
    let first = reader.next()?;
    let forum = reader.forum.clone().unwrap_or_default();
    let mut first = first.map(Ok);
    let entries = std::iter::from_fn(move || first.take().or_else(|| reader.next().transpose()));
    Ok(Opened {
        source: ["disqus:", &forum].concat(),
        entries: Box::pin(futures_util::stream::iter(entries)),
    })
}

struct Export {
    xml: Xml,
    pass: Pass,
    /// Each thread's address, and whether it was deleted.
    threads: HashMap<String, (String, bool)>,
    forum: Option<String>,
    current: Option<Element>,
}

/// The `<thread>` or `<post>` being read.
#[derive(Default)]
struct Element {
    post: bool,
    line: u64,
    id: String,
    thread: String,
    parent: String,
    link: String,
    forum: String,
    message: String,
    created: String,
    email: String,
    name: String,
    ip: String,
    deleted: String,
    spam: String,
    approved: String,
}

impl Export {
    fn next(&mut self) -> Result<Option<Entry>, ImportError> {
        loop {
            match self.xml.next()? {
                Node::End => return Ok(None),
                Node::Open(name, attributes) => {
                    let depth = self.xml.path().len();
                    let id = attributes
                        .into_iter()
                        .find(|(key, _)| key == "id")
                        .map(|(_, value)| value)
                        .unwrap_or_default();
                    match (name.as_str(), depth) {
                        ("thread" | "post", 2) => {
                            self.current = Some(Element {
                                post: name == "post",
                                line: self.xml.line(),
                                id,
                                ..Element::default()
                            });
                        }
                        ("thread", 3) => {
                            if let Some(e) = &mut self.current {
                                e.thread = id;
                            }
                        }
                        ("parent", 3) => {
                            if let Some(e) = &mut self.current {
                                e.parent = id;
                            }
                        }
                        _ => {}
                    }
                }
                Node::Close(name, text) => {
                    let depth = self.xml.path().len();
                    if depth == 1 && (name == "thread" || name == "post") {
                        if let Some(e) = self.current.take()
                            && let Some(entry) = self.element(e)?
                        {
                            return Ok(Some(entry));
                        }
                        continue;
                    }
                    let Some(e) = &mut self.current else { continue };
                    let inside_author = self.xml.path().last().is_some_and(|p| p == "author");
                    let slot = match (name.as_str(), depth, inside_author) {
                        ("link", 2, _) => &mut e.link,
                        ("forum", 2, _) => &mut e.forum,
                        ("message", 2, _) => &mut e.message,
                        ("createdAt", 2, _) => &mut e.created,
                        ("ipAddress", 2, _) => &mut e.ip,
                        ("isDeleted", 2, _) => &mut e.deleted,
                        ("isSpam", 2, _) => &mut e.spam,
                        ("isApproved", 2, _) => &mut e.approved,
                        ("email", 3, true) => &mut e.email,
                        ("name", 3, true) => &mut e.name,
                        _ => continue,
                    };
                    *slot = text;
                }
            }
        }
    }

    fn element(&mut self, e: Element) -> Result<Option<Entry>, ImportError> {
        let at = |message: String| super::malformed(self.xml.name(), e.line, message);
        let yes = |flag: &str| flag.trim().eq_ignore_ascii_case("true");
        if !e.post {
            if self.forum.is_none() {
                self.forum = Some(e.forum.trim().to_owned());
            }
            self.threads
                .insert(e.id, (e.link.trim().to_owned(), yes(&e.deleted)));
            return Ok(None);
        }
        let Some((link, thread_deleted)) = self.threads.get(&e.thread) else {
            return Err(at(format!(
                "a post of the thread {:?}, which is not in the file before it",
                e.thread
            )));
        };
        if e.id.is_empty() {
            return Err(at("a post without its dsq:id".into()));
        }
        let created = crate::dates::parse(&e.created)
            .ok_or_else(|| at(format!("a post without a date ({:?})", e.created)))?;
        let (status, spam) = if yes(&e.spam) {
            (Status::Pending, true)
        } else if e.approved.trim().eq_ignore_ascii_case("false") {
            (Status::Pending, false)
        } else {
            (Status::Published, false)
        };
        let ip = e.ip.trim();
        Ok(Some(Entry::Comment {
            line: e.line,
            place: Place::Url(link.clone()),
            comment: Incoming {
                source_id: e.id,
                parent_source_id: Some(e.parent).filter(|p| !p.is_empty()),
                page: String::new(),
                author: e.name.trim().to_owned(),
                email: e.email.trim().to_owned(),
                url: None,
                text: if self.pass == Pass::Check {
                    String::new()
                } else {
                    to_text(&e.message, Newlines::Collapsed)
                },
                created,
                status,
                spam,
                deleted: false,
                ip: (!ip.is_empty()).then(|| ip.to_owned()),
            },
            trashed: yes(&e.deleted) || *thread_deleted,
        }))
    }
}
