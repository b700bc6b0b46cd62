//! `causerie-server import` from other systems: WordPress (WXR 1.0 and 1.2), Disqus,
//! Remark42 and Isso, from fixtures written from each format's documentation
//! (`fixtures/`); `export --format wordpress` and its round trip. A real Isso's database
//! is imported by an end-to-end test (`tests/e2e/isso.rs`).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use causerie_server::import::{self, Format, Options, Report};

use super::{import::import_with, *};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name)
}

/// Imports `file`, its format recognised, as the command does without options.
async fn import(app: &TestApp, file: &Path) -> Report {
    import_with(app, file, &Options::default())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Every comment of `app`, private fields included, as its export has them.
async fn exported(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    causerie_server::export::causerie(&app.store, &app.state.sites, None, 7, &mut out)
        .await
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The exported comment whose text starts with `text`.
fn by_text<'a>(comments: &'a [Value], text: &str) -> &'a Value {
    comments
        .iter()
        .find(|c| c["text"].as_str().unwrap().starts_with(text))
        .unwrap_or_else(|| panic!("no comment {text:?} in {comments:#?}"))
}

/// The public thread of `page`, as the widget reads it.
async fn thread(app: &TestApp, page: &str) -> Vec<Value> {
    let page: String = form_urlencoded::byte_serialize(page.as_bytes()).collect();
    let reply = app
        .get(&format!("/api/v1/comments?page={page}&limit=100"))
        .await;
    reply.json()["comments"].as_array().unwrap().clone()
}

fn millis(date: &str) -> i64 {
    let (day, time) = date.split_once(' ').unwrap();
    let d: Vec<i64> = day.split('-').map(|p| p.parse().unwrap()).collect();
    let t: Vec<i64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    // Days from the civil date (Hinnant), for the tests' few dates.
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    ((days * 24 + t[0]) * 60 + t[1]) * 60_000 + t[2] * 1000
}

#[tokio::test]
async fn a_wordpress_export_keeps_every_status_reply_and_text() {
    let app = spawn(&[]).await;
    let report = import(&app, &fixture("wordpress.xml")).await;
    // 1, 2, 3, 5, 6, 7, 8, 11, 13 (a placeholder) and 14; 9 is in the trash, 10 a pingback.
    assert_eq!(report.added, 10, "{report:?}");
    assert_eq!(
        (report.trashed, report.pingbacks, report.orphans),
        (1, 1, 1)
    );
    let all = exported(&app).await;
    let first = by_text(&all, "First line");
    assert_eq!(
        first["text"],
        "First line\nsecond line, bold & café.\n\nSee the docs (https://example.com/doc) and https://example.com/."
    );
    assert_eq!(
        first["page"], "/?p=4",
        "the query names a plain link's page"
    );
    assert_eq!(first["author"], "Ana O'Neill");
    assert_eq!(first["email"], "ana@example.org");
    assert_eq!(first["url"], "https://ana.example.org/");
    assert_eq!(first["ip"], "192.0.2.1");
    assert_eq!(first["created"], millis("2024-01-02 10:00:00"), "GMT");
    assert_eq!(first["status"], "published");
    let no_address = by_text(&all, "A reply without an address");
    assert_eq!(no_address["email"], "");
    assert_eq!(
        no_address["text"], "A reply without an address <script>alert(1)</script>",
        "entities decoded into text, never markup"
    );
    assert_eq!(by_text(&all, "Waiting for moderation")["status"], "pending");
    assert_eq!(by_text(&all, "Buy now")["status"], "spam");
    assert!(all.iter().all(|c| c["text"] != "In the trash, unanswered"));
    assert!(
        all.iter()
            .all(|c| !c["text"].as_str().unwrap().contains("pingback"))
    );

    // The thread as readers see it: four levels, the reply that came before its parent
    // under it, the orphan at the top.
    let shown = thread(&app, "/?p=4").await;
    let id = |text: &str| by_text(&shown, text)["id"].clone();
    assert_eq!(
        by_text(&shown, "A reply without")["parent"],
        id("First line")
    );
    assert_eq!(
        by_text(&shown, "Third level")["parent"],
        id("A reply without")
    );
    assert_eq!(
        by_text(&shown, "The fourth level's parent")["parent"],
        id("Third level")
    );
    assert_eq!(
        by_text(&shown, "Fourth level")["parent"],
        id("The fourth level's parent")
    );
    assert_eq!(by_text(&shown, "My parent is not")["parent"], Value::Null);
    assert_eq!(
        shown.len(),
        6,
        "no held, spam, trashed or pingback: {shown:#?}"
    );
    assert!(
        !Value::Array(shown.clone())
            .to_string()
            .contains("@example.org")
    );

    // The trashed comment with a reply is its placeholder, and the page is the path as
    // a browser names it.
    let cafe = thread(&app, "/caf%C3%A9-cr%C3%A8me/").await;
    assert_eq!(cafe.len(), 2, "{cafe:#?}");
    assert_eq!(cafe[0]["deleted"], true);
    assert_eq!(cafe[0]["text"], "");
    assert_eq!(cafe[1]["parent"], cafe[0]["id"]);
    assert_eq!(
        cafe[1]["text"],
        "Ça répond à un commentaire effacé — «\u{a0}oui\u{a0}»"
    );
    assert!(
        !exported(&app)
            .await
            .iter()
            .any(|c| c["email"] == "gone@example.org")
    );

    // Again: nothing new.
    let again = import(&app, &fixture("wordpress.xml")).await;
    assert_eq!((again.added, again.present), (0, 10), "{again:?}");
    assert_eq!(app.store.count_all().await.unwrap(), 10);
}

#[tokio::test]
async fn a_first_version_wordpress_export_moved_with_map() {
    let app = spawn(&[]).await;
    let options = Options {
        maps: vec![("http://old.example.com/blog/".into(), "/".into())],
        ..Options::default()
    };
    let report = import_with(&app, &fixture("wordpress-1.0.xml"), &options)
        .await
        .unwrap();
    assert_eq!((report.added, report.pingbacks), (1, 1), "{report:?}");
    let all = exported(&app).await;
    assert_eq!(all[0]["page"], "/2008/05/a-post/");
    assert_eq!(all[0]["text"], "Escaped & old");
    assert_eq!(
        all[0]["created"],
        millis("2008-05-02 08:00:00"),
        "no GMT date: the local one"
    );
    assert_eq!(all[0]["url"], "http://old.example.org/");
}

#[tokio::test]
async fn a_disqus_export_keeps_threads_without_addresses() {
    let app = spawn(&[]).await;
    let report = import(&app, &fixture("disqus.xml")).await;
    // 3001, 3002, 3003, 3004 (spam), 3005 (held), 3008; 3006 and 3007 are deleted.
    assert_eq!(report.added, 6, "{report:?}");
    assert_eq!((report.trashed, report.orphans), (2, 1), "{report:?}");
    let all = exported(&app).await;
    let root = by_text(&all, "Root with");
    assert_eq!(
        root["text"],
        "Root with HTML & an example.com/x\n\nSecond paragraph"
    );
    assert_eq!(
        root["page"], "/2019/a-post/",
        "a tracking query is not the page"
    );
    assert_eq!(root["email"], "ana@example.org");
    assert_eq!(root["ip"], "192.0.2.1");
    let guest = by_text(&all, "Third level, before its parent");
    assert_eq!(guest["email"], "", "imported without an address");
    assert_eq!(guest["author"], "Guest without an address");
    assert_eq!(by_text(&all, "Spam")["status"], "spam");
    let held = by_text(&all, "Held");
    assert_eq!(held["status"], "pending");
    assert_eq!(held["page"], "/%C3%BCn%C3%AFcode/");
    assert_eq!(
        by_text(&all, "A reply")["created"],
        millis("2019-06-01 12:00:00")
    );

    let shown = thread(&app, "/2019/a-post/").await;
    let id = |text: &str| by_text(&shown, text)["id"].clone();
    assert_eq!(by_text(&shown, "A reply")["parent"], id("Root with"));
    assert_eq!(by_text(&shown, "Third level")["parent"], id("A reply"));
    assert_eq!(shown.len(), 3);
}

#[tokio::test]
async fn a_remark42_backup_plain_or_gzipped() {
    let plain = spawn(&[]).await;
    let report = import(&plain, &fixture("remark42.jsonl")).await;
    assert_eq!((report.added, report.orphans), (6, 1), "{report:?}");
    let all = exported(&plain).await;
    let root = by_text(&all, "Root with");
    assert_eq!(
        root["text"],
        "Root with HTML & a link (https://example.com/doc)"
    );
    assert_eq!(root["author"], "Ana");
    assert_eq!(
        root["ip"],
        Value::Null,
        "Remark42's hashed address is no address"
    );
    assert_eq!(root["created"], millis("2020-03-01 15:00:00") + 123);
    let shown = thread(&plain, "/%E6%97%A5%E6%9C%AC/").await;
    assert_eq!(shown.len(), 2);
    assert_eq!(
        shown[0]["deleted"], true,
        "a deleted comment holds its reply"
    );
    assert_eq!(shown[1]["parent"], shown[0]["id"]);
    let post = thread(&plain, "/post/").await;
    assert_eq!(
        by_text(&post, "Third level")["parent"],
        by_text(&post, "A reply")["id"]
    );

    // Remark42's own backups are gzipped: the same file, compressed, is the same import.
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("backup-remark-20200303.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut encoder,
        &std::fs::read(fixture("remark42.jsonl")).unwrap(),
    )
    .unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    let zipped = spawn(&[]).await;
    let report = import(&zipped, &gz).await;
    assert_eq!(report.added, 6);
    let strip = |mut v: Vec<Value>| {
        for c in &mut v {
            c["id"] = Value::Null;
            c["parent"] = json!(c["parent"].is_null());
        }
        v
    };
    assert_eq!(strip(exported(&zipped).await), strip(all));
}

/// An Isso database, made with the schema of Isso 0.14's `isso/db/` (a real Isso's
/// database is imported end to end in `tests/e2e/isso.rs`).
#[tokio::test]
async fn an_isso_database_is_read_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("comments.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", db.display()))
        .await
        .unwrap();
    for statement in [
        "CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "INSERT INTO preferences VALUES ('session-key', '0123456789abcdef0123456789abcdef')",
        "CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256))",
        "CREATE TABLE comments (tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR, text VARCHAR, author VARCHAR, email VARCHAR, website VARCHAR, likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL, notification INTEGER DEFAULT 0)",
        "INSERT INTO threads VALUES (1, '/blog/hello/', 'Hello'), (2, '/%C3%A9t%C3%A9/', 'Été')",
        "INSERT INTO comments (tid, id, parent, created, mode, remote_addr, text, author, email, website, voters) VALUES
           (1, 1, NULL, 1700000000.25, 1, '192.0.2.0', 'Some *Markdown* <b>as typed</b>', 'Ana', 'ana@example.org', 'https://ana.example.org', x''),
           (1, 2, 1, 1700000100.0, 1, '192.0.2.0', 'A reply', NULL, NULL, NULL, x''),
           (1, 3, NULL, 1700000200.0, 2, '198.51.100.0', 'Held', 'Held', 'held@example.org', NULL, x''),
           (2, 4, NULL, 1700000300.0, 4, '', '', NULL, NULL, NULL, x''),
           (2, 5, 4, 1700000400.0, 1, '2001:db8::', 'Under a deleted one', 'Bo', NULL, NULL, x''),
           (2, 6, NULL, 1700000500.0, 4, '', '', NULL, NULL, NULL, x'')",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let app = spawn(&[]).await;
    let report = import(&app, &db).await;
    assert_eq!((report.added, report.trashed), (5, 1), "{report:?}");
    let all = exported(&app).await;
    let root = by_text(&all, "Some *Markdown*");
    assert_eq!(
        root["text"], "Some *Markdown* <b>as typed</b>",
        "kept as typed"
    );
    assert_eq!(root["created"], 1_700_000_000_250_i64);
    assert_eq!(
        (&root["page"], &root["ip"]),
        (&json!("/blog/hello/"), &json!("192.0.2.0"))
    );
    assert_eq!(by_text(&all, "A reply")["author"], "");
    assert_eq!(by_text(&all, "Held")["status"], "pending");
    let ete = thread(&app, "/%C3%A9t%C3%A9/").await;
    assert_eq!((ete.len(), &ete[0]["deleted"]), (2, &json!(true)));
    assert_eq!(ete[1]["parent"], ete[0]["id"]);
    // The database was only read.
    let again = import(&app, &db).await;
    assert_eq!((again.added, again.present), (0, 5));
}

#[test]
fn the_format_is_recognised_from_the_file() {
    for (file, format) in [
        ("wordpress.xml", Format::Wordpress),
        ("wordpress-1.0.xml", Format::Wordpress),
        ("disqus.xml", Format::Disqus),
        ("remark42.jsonl", Format::Remark42),
    ] {
        assert_eq!(import::detect(&fixture(file)).unwrap(), format, "{file}");
    }
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "just some text\n").unwrap();
    let error = import::detect(&other).unwrap_err().to_string();
    assert!(error.contains("--from"), "{error}");
}

/// Malformed XML is refused with its line, and nothing is written: cut in the middle,
/// not XML, another encoding, bytes that are not UTF-8, an entity of a DTD.
#[tokio::test]
async fn malformed_xml_names_its_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read_to_string(fixture("wordpress.xml")).unwrap();
    let app = spawn(&[]).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "cut.xml",
            // Into the middle of the second item, after many whole comments.
            whole[..whole.find("Trashed, but answered").unwrap()].into(),
            "cut short",
        ),
        (
            "not-xml.xml",
            b"<rss wordpress.org/export/ {{{ not xml".to_vec(),
            "line 1",
        ),
        (
            "latin1.xml",
            whole
                .replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1)
                .into_bytes(),
            "ISO-8859-1",
        ),
        ("bytes.xml", latin1_zoe(&whole), "UTF-8"),
        (
            "entity.xml",
            whole
                .replacen("Just another WordPress site", "&lol;", 1)
                .into_bytes(),
            "&lol;",
        ),
    ];
    for (name, bytes, expected) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let options = Options {
            from: Some(Format::Wordpress),
            ..Options::default()
        };
        let error = import_with(&app, &file, &options)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{name}: {error}");
        assert!(error.contains("line "), "{name}: {error}");
    }
    // The line is the line: the bad byte is in comment 14's author, on its line.
    let bytes_line = whole[..whole.find("Zoé").unwrap()].lines().count() as u64;
    let file = dir.path().join("bytes.xml");
    let error = import_with(&app, &file, &Options::default())
        .await
        .unwrap_err();
    match error {
        import::ImportError::Malformed { line, .. } => {
            assert!(line.abs_diff(bytes_line) <= 1, "{line} vs {bytes_line}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        app.store.count_all().await.unwrap(),
        0,
        "nothing was written"
    );
}

/// The WordPress fixture with one name's "é" as Latin-1's lone byte.
fn latin1_zoe(whole: &str) -> Vec<u8> {
    let at = whole.find("Zoé").unwrap() + 2;
    let mut bytes = whole.as_bytes().to_vec();
    bytes.splice(at..at + 2, [0xE9]);
    bytes
}

/// `export --format wordpress` is a WXR file with an item per page, which imports back
/// (here, and as WordPress reads it: every comment's fields in WordPress's names).
#[tokio::test]
async fn a_wordpress_export_round_trips() {
    let from = spawn(&[]).await;
    import(&from, &fixture("wordpress.xml")).await;
    import(&from, &fixture("disqus.xml")).await;
    let mut out = Vec::new();
    let written = causerie_server::export::wordpress(
        &from.store,
        &from.state.sites,
        None,
        1_700_000_000_000,
        &mut out,
    )
    .await
    .unwrap();
    assert_eq!(written, 16);
    let xml = String::from_utf8(out).unwrap();
    assert_eq!(xml.matches("<item>").count(), 4, "an item per page");
    assert!(xml.contains("<wp:comment_approved>spam</wp:comment_approved>"));
    assert!(
        xml.contains("&amp;lt;script&amp;gt;"),
        "a text's markup is escaped twice: as HTML, then as XML"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wordpress.xml");
    std::fs::write(&file, &xml).unwrap();
    assert_eq!(import::detect(&file).unwrap(), Format::Wordpress);

    let to = spawn(&[]).await;
    let report = import(&to, &file).await;
    assert_eq!((report.added, report.orphans), (16, 0), "{report:?}");
    // The same comments, each under the same parent (by its text and time).
    let same = |comments: Vec<Value>| {
        let key = |c: &Value| format!("{} {}", c["text"], c["created"]);
        let keys: HashMap<i64, String> = comments
            .iter()
            .map(|c| (c["id"].as_i64().unwrap(), key(c)))
            .collect();
        let mut comments: Vec<String> = comments
            .into_iter()
            .map(|mut c| {
                c["parent"] = json!(c["parent"].as_i64().map(|p| &keys[&p]));
                c["id"] = Value::Null;
                c.to_string()
            })
            .collect();
        comments.sort();
        comments
    };
    assert_eq!(same(exported(&to).await), same(exported(&from).await));
}
