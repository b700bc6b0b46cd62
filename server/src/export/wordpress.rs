//! `causerie-server export --format wordpress`: a WordPress export (WXR 1.2) that
//! WordPress's own importer (Tools → Import → WordPress) reads: a channel per export,
//! an `<item>` per page (a post titled by its page, at its address), and its comments
//! under it. Written with quick-xml's writer, which escapes every value.
//!
//! A comment's text is plain text, and WordPress's is HTML: the text goes in escaped, so
//! that WordPress shows it as it was written, markup included, and its newlines are
//! WordPress's line breaks. A deleted comment kept for its replies is in the trash.
//! Comments are read a page of rows at a time, by page (`Store::export_by_page`).

use std::{io::Write, sync::Arc};

use causerie_protocol::Status;
use quick_xml::{
    Writer,
    escape::escape,
    events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event},
};

use super::{ExportError, PAGE};
use crate::{dates, sites::Sites, store::Store};

/// Writes the WXR export to `out`: every comment, or those of the site whose origin is
/// `site`. Returns how many comments it wrote.
pub async fn wordpress(
    store: &Store,
    sites: &Arc<Sites>,
    site: Option<&str>,
    now: i64,
    out: &mut impl Write,
) -> Result<u64, ExportError> {
    let only = super::only(sites, site)?;
    let key = only.map(|s| s.key.clone());
    let base = only.unwrap_or(sites.default_site()).origin.clone();
    let mut xml = Writer::new_with_indent(out, b' ', 1);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    xml.write_event(Event::Start(BytesStart::new("rss").with_attributes([
        ("version", "2.0"),
        ("xmlns:excerpt", "http://wordpress.org/export/1.2/excerpt/"),
        ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
        ("xmlns:wfw", "http://wellformedweb.org/CommentAPI/"),
        ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ("xmlns:wp", "http://wordpress.org/export/1.2/"),
    ])))?;
    xml.write_event(Event::Start(BytesStart::new("channel")))?;
    leaf(&mut xml, "title", "Comments exported from Causerie")?;
    leaf(&mut xml, "link", &base)?;
    leaf(&mut xml, "description", "")?;
    leaf(
        &mut xml,
        "pubDate",
        &httpdate::fmt_http_date(system_time(now)),
    )?;
    leaf(&mut xml, "wp:wxr_version", "1.2")?;
    leaf(&mut xml, "wp:base_site_url", &base)?;
    leaf(&mut xml, "wp:base_blog_url", &base)?;
    let mut after = None;
    let mut item: Option<(String, String)> = None;
    let mut posts = 0u64;
    let mut written = 0u64;
    loop {
        let rows = store
            .export_by_page(key.as_deref(), after.as_ref(), PAGE)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some((
            last.site.clone(),
            last.comment.page.clone(),
            last.comment.id,
        ));
        for m in &rows {
            let c = &m.comment;
            let here = (m.site.clone(), c.page.clone());
            if item.as_ref() != Some(&here) {
                if item.is_some() {
                    xml.write_event(Event::End(BytesEnd::new("item")))?;
                }
                posts += 1;
                let origin = sites.by_key(&m.site).map_or(m.site.as_str(), |s| &s.origin);
                let link = [origin, &c.page].concat();
                xml.write_event(Event::Start(BytesStart::new("item")))?;
                leaf(&mut xml, "title", &c.page)?;
                leaf(&mut xml, "link", &link)?;
                xml.write_event(Event::Start(
                    BytesStart::new("guid").with_attributes([("isPermaLink", "false")]),
                ))?;
                xml.write_event(Event::Text(BytesText::new(&link)))?;
                xml.write_event(Event::End(BytesEnd::new("guid")))?;
                leaf(&mut xml, "wp:post_id", &posts.to_string())?;
                leaf(&mut xml, "wp:post_date_gmt", &dates::sql(c.created))?;
                leaf(&mut xml, "wp:comment_status", "open")?;
                leaf(&mut xml, "wp:status", "publish")?;
                leaf(&mut xml, "wp:post_type", "post")?;
                item = Some(here);
            }
            let approved = match (c.deleted, m.spam, c.status) {
                (true, _, _) => "trash",
                (false, true, _) => "spam",
                (false, false, Status::Published) => "1",
                (false, false, Status::Pending) => "0",
            };
            xml.write_event(Event::Start(BytesStart::new("wp:comment")))?;
            leaf(&mut xml, "wp:comment_id", &c.id.to_string())?;
            leaf(&mut xml, "wp:comment_author", &c.author)?;
            leaf(&mut xml, "wp:comment_author_email", &m.email)?;
            leaf(
                &mut xml,
                "wp:comment_author_url",
                c.url.as_deref().unwrap_or(""),
            )?;
            leaf(
                &mut xml,
                "wp:comment_author_IP",
                m.ip.as_deref().unwrap_or(""),
            )?;
            leaf(&mut xml, "wp:comment_date", &dates::sql(c.created))?;
            leaf(&mut xml, "wp:comment_date_gmt", &dates::sql(c.created))?;
            // HTML, as WordPress keeps it: the text escaped, so that it shows as written.
            leaf(&mut xml, "wp:comment_content", &escape(c.text.as_str()))?;
            leaf(&mut xml, "wp:comment_approved", approved)?;
            leaf(&mut xml, "wp:comment_type", "comment")?;
            leaf(
                &mut xml,
                "wp:comment_parent",
                &c.parent.unwrap_or(0).to_string(),
            )?;
            leaf(&mut xml, "wp:comment_user_id", "0")?;
            xml.write_event(Event::End(BytesEnd::new("wp:comment")))?;
            written += 1;
        }
    }
    if item.is_some() {
        xml.write_event(Event::End(BytesEnd::new("item")))?;
    }
    xml.write_event(Event::End(BytesEnd::new("channel")))?;
    xml.write_event(Event::End(BytesEnd::new("rss")))?;
    let out = xml.into_inner();
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(written)
}

/// An element of text alone.
fn leaf<W: Write>(xml: &mut Writer<W>, name: &str, text: &str) -> std::io::Result<()> {
    xml.write_event(Event::Start(BytesStart::new(name)))?;
    xml.write_event(Event::Text(BytesText::new(text)))?;
    xml.write_event(Event::End(BytesEnd::new(name)))
}

fn system_time(millis: i64) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_millis(millis.max(0) as u64)
}
