//! The XML exports (WordPress, Disqus) read as a stream with quick-xml: elements by
//! their local names (the exports' namespace prefixes vary with their versions), each
//! element's text with its CDATA and its references resolved, and the line of the file
//! where each thing is, for the errors. Only UTF-8 is read; no DTD is read, so no entity
//! is expanded but XML's own five and character references (no "billion laughs").

use std::{
    io::{BufRead, Read},
    path::Path,
};

use quick_xml::{
    Reader,
    errors::SyntaxError,
    escape::resolve_predefined_entity,
    events::{BytesStart, Event},
    name::QName,
};

use super::{ImportError, malformed};

/// The longest text of one element, in bytes: far more than any comment's.
const MAX_TEXT: usize = 16 << 20;

/// What the reader met.
pub enum Node {
    /// An element opens (an empty one opens, then closes): its local name and its
    /// attributes' local names and values.
    Open(String, Vec<(String, String)>),
    /// An element closes: its local name, and its text if it held no element.
    Close(String, String),
    /// The end of the file.
    End,
}

/// An XML file, read one node at a time.
pub struct Xml {
    reader: Reader<Lines<Box<dyn BufRead + Send>>>,
    buf: Vec<u8>,
    name: String,
    /// The open elements' local names.
    open: Vec<String>,
    text: String,
    /// Whether an element opened since the last one closed (its text is its own).
    leaf: bool,
    /// An empty element's close, owed after its open.
    pending: Option<String>,
    started: bool,
}

impl Xml {
    pub fn open(file: &Path, name: &str) -> Result<Xml, ImportError> {
        let f = super::reader(file).map_err(|e| ImportError::Io(e, name.to_owned()))?;
        let mut reader = Reader::from_reader(Lines {
            inner: f,
            newlines: 0,
        });
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = false;
        Ok(Xml {
            reader,
            buf: Vec::with_capacity(1 << 12),
            name: name.to_owned(),
            open: Vec::new(),
            text: String::new(),
            leaf: false,
            pending: None,
            started: false,
        })
    }

    /// The file's name, for errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The line the reader is at.
    pub fn line(&self) -> u64 {
        self.reader.get_ref().newlines + 1
    }

    /// The local names of the open elements, outermost first.
    pub fn path(&self) -> &[String] {
        &self.open
    }

    /// An error at the reader's line.
    pub fn error(&self, message: impl Into<String>) -> ImportError {
        malformed(&self.name, self.line(), message.into())
    }

    /// The next element's opening or closing.
    pub fn next(&mut self) -> Result<Node, ImportError> {
        if let Some(name) = self.pending.take() {
            return Ok(self.close(name));
        }
        loop {
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            let event = self.reader.read_event_into(&mut buf);
            let outcome = self.handle(event);
            self.buf = buf;
            if let Some(node) = outcome.transpose() {
                return node;
            }
        }
    }

    /// What an event gives: a node, or nothing yet.
    fn handle(&mut self, event: quick_xml::Result<Event>) -> Result<Option<Node>, ImportError> {
        {
            let event = match event {
                Ok(event) => event,
                Err(quick_xml::Error::Io(e)) => {
                    return Err(ImportError::Io(
                        std::io::Error::new(e.kind(), e.to_string()),
                        self.name.clone(),
                    ));
                }
                Err(quick_xml::Error::Encoding(_)) => {
                    return Err(self.error("not UTF-8 (only UTF-8 is read)"));
                }
                Err(quick_xml::Error::Syntax(e)) if e != SyntaxError::InvalidBangMarkup => {
                    return Err(self.error(format!(
                        "the file ends inside markup: it was cut short ({e})"
                    )));
                }
                Err(e) => return Err(self.error(format!("not well-formed XML: {e}"))),
            };
            match event {
                Event::Decl(decl) => {
                    if let Some(Ok(encoding)) = decl.encoding()
                        && !encoding.eq_ignore_ascii_case("utf-8")
                        && !encoding.eq_ignore_ascii_case("utf8")
                    {
                        return Err(self.error(format!(
                            "the file says it is in {encoding}: only UTF-8 is read (iconv -f {encoding} -t utf-8 converts it)"
                        )));
                    }
                }
                Event::Start(ref start) | Event::Empty(ref start) => {
                    self.started = true;
                    let (name, attributes) = self.element(start)?;
                    self.open.push(name.clone());
                    self.text.clear();
                    self.leaf = true;
                    if matches!(event, Event::Empty(_)) {
                        self.pending = Some(name.clone());
                    }
                    return Ok(Some(Node::Open(name, attributes)));
                }
                Event::End(end) => return Ok(Some(self.close(local(end.name())))),
                Event::Text(text) => {
                    let text = text.xml10_content();
                    if !self.started && !text.trim().is_empty() {
                        return Err(self.error("not XML: text before the first element"));
                    }
                    self.push(&text)?;
                }
                Event::CData(data) => {
                    let data = data.xml10_content();
                    self.push(&data)?;
                }
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => {
                            let name = reference.xml10_content();
                            match resolve_predefined_entity(&name) {
                                Some(s) => s.to_owned(),
                                None => {
                                    return Err(self.error(format!(
                                        "the entity &{name}; is not one of XML's (only &amp; &lt; &gt; &quot; &apos; and &#…; are read)"
                                    )));
                                }
                            }
                        }
                        Err(e) => return Err(self.error(format!("a bad character reference: {e}"))),
                    };
                    self.push(&resolved)?;
                }
                Event::Eof => {
                    if !self.started {
                        return Err(self.error("not XML: no element"));
                    }
                    if let Some(open) = self.open.last() {
                        return Err(
                            self.error(format!("the file ends inside <{open}>: it was cut short"))
                        );
                    }
                    return Ok(Some(Node::End));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// An element closes: its text is its own if no element opened inside it.
    fn close(&mut self, name: String) -> Node {
        self.open.pop();
        let text = if self.leaf {
            std::mem::take(&mut self.text)
        } else {
            String::new()
        };
        self.leaf = false;
        Node::Close(name, text)
    }

    fn push(&mut self, text: &str) -> Result<(), ImportError> {
        if self.text.len() + text.len() > MAX_TEXT {
            return Err(self.error(format!("an element's text over {MAX_TEXT} bytes")));
        }
        self.text.push_str(text);
        Ok(())
    }

    fn element(&self, start: &BytesStart) -> Result<(String, Vec<(String, String)>), ImportError> {
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| self.error(format!("a bad attribute: {e}")))?;
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| self.error(format!("a bad attribute: {e}")))?;
            attributes.push((local(attribute.key), value.into_owned()));
        }
        Ok((local(start.name()), attributes))
    }
}

fn local(name: QName) -> String {
    name.local_name().as_ref().to_owned()
}

/// A reader that counts the lines it has given out.
struct Lines<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.newlines += out[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amount.min(buf.len());
            self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amount);
    }
}
