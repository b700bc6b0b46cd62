//! `causerie-server import`: our own export, through the pipeline's import step.

use causerie_server::import::{self, ImportError, Options, Report};

use super::*;

/// Writes `app`'s export to a file in `dir`.
async fn export_to(app: &TestApp, dir: &std::path::Path) -> std::path::PathBuf {
    let mut out = Vec::new();
    causerie_server::export::causerie(&app.store, &app.state.sites, None, 7, &mut out)
        .await
        .unwrap();
    let file = dir.join("export.jsonl");
    std::fs::write(&file, out).unwrap();
    file
}

/// The lines of an export, without the header, with ids replaced by their order and
/// parents by their parent's order: what must survive a round trip.
async fn comparable(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    causerie_server::export::causerie(&app.store, &app.state.sites, None, 7, &mut out)
        .await
        .unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let order: HashMap<i64, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l["id"].as_i64().unwrap(), i))
        .collect();
    lines
        .into_iter()
        .map(|mut l| {
            l["id"] = json!(order[&l["id"].as_i64().unwrap()]);
            if let Some(parent) = l["parent"].as_i64() {
                l["parent"] = json!(order[&parent]);
            }
            l
        })
        .collect()
}

use std::collections::HashMap;

async fn import_file(
    app: &TestApp,
    file: &std::path::Path,
    dry_run: bool,
) -> Result<Report, ImportError> {
    let options = Options {
        from: Some(import::Format::Causerie),
        dry_run,
        ..Options::default()
    };
    import_with(app, file, &options).await
}

/// Imports `file` as `causerie-server import` does, without its progress bar.
pub async fn import_with(
    app: &TestApp,
    file: &std::path::Path,
    options: &Options,
) -> Result<Report, ImportError> {
    let progress = indicatif::ProgressBar::hidden();
    import::run(&app.store, &app.state.sites, file, options, &progress).await
}

/// A database with a bit of everything: three levels of replies, a held comment, spam, a
/// placeholder, no address, a non-ASCII page, markup in a text.
async fn varied() -> (TestApp, tempfile::TempDir) {
    let rules = tempfile::tempdir().unwrap();
    let blocklist = rules.path().join("blocklist");
    std::fs::write(&blocklist, "word:tenu\n").unwrap();
    let app = spawn(&["--blocklist", blocklist.to_str().unwrap()]).await;
    let post = |page: &str, text: &str, email: &str, parent: Option<&Value>| {
        let mut body = comment(page, text);
        body["email"] = json!(email);
        if let Some(parent) = parent {
            body["parent"] = parent.clone();
        }
        let app = &app;
        async move {
            let reply = app.post(body.to_string(), None).await;
            assert!(reply.status.is_success(), "{}", reply.text());
            reply
        }
    };
    let root = post(
        "/été/",
        "Racine <b>pas du HTML</b> &amp;",
        "ana@example.org",
        None,
    )
    .await
    .json();
    let one = post("/été/", "Un", "bob@example.org", Some(&root["id"]))
        .await
        .json();
    let two = post("/été/", "Deux", "deux@example.org", Some(&one["id"]))
        .await
        .json();
    post("/été/", "Trois", "ana@example.org", Some(&two["id"])).await;
    let held = post("/b", "Tenu", "cy@example.org", None).await.json();
    let spam = post("/b", "Achetez", "spam@example.org", None).await.json();
    let gone = post("/b", "Effacé", "dan@example.org", None).await.json();
    post(
        "/b",
        "Réponse à l'effacé",
        "eve@example.org",
        Some(&gone["id"]),
    )
    .await;
    // Without an address or a name: anonymised.
    let deux = causerie_server::store::Email::parse("deux@example.org").unwrap();
    assert_eq!(app.store.anonymise(&deux).await.unwrap(), 1);
    // The states: held (by the blocklist), spam, and a placeholder (deleted, answered).
    assert_eq!(held["status"], "pending");
    app.store
        .mark_spam(&[spam["id"].as_i64().unwrap()])
        .await
        .unwrap();
    let dan = causerie_server::store::Email::parse("dan@example.org").unwrap();
    assert_eq!(app.store.erase(&dan).await.unwrap(), 1);
    let placeholder = app
        .store
        .comment(gone["id"].as_i64().unwrap())
        .await
        .unwrap();
    assert!(
        placeholder.unwrap().deleted,
        "a placeholder, since it was answered"
    );
    (app, rules)
}

/// The round trip: a database's export imported into an empty database gives the same
/// comments (pages, texts, names, addresses, statuses, times, the tree); ids may differ.
/// Importing it again adds nothing.
#[tokio::test]
async fn an_export_imported_into_an_empty_database_gives_the_same_comments() {
    let (from, _rules) = varied().await;
    let dir = tempfile::tempdir().unwrap();
    let file = export_to(&from, dir.path()).await;

    let to = spawn(&[]).await;
    let report = import_file(&to, &file, false).await.unwrap();
    assert_eq!(report.read, 8);
    assert_eq!(report.added, 8);
    assert_eq!(report.orphans, 0);
    assert_eq!(comparable(&to).await, comparable(&from).await);

    let again = import_file(&to, &file, false).await.unwrap();
    assert_eq!((again.added, again.present), (0, 8), "{again:?}");
    assert_eq!(to.store.count_all().await.unwrap(), 8);

    // The imported thread is served as any other: replies under their parents.
    let thread = to.get("/api/v1/comments?page=/%C3%A9t%C3%A9/").await.json();
    let texts: Vec<&str> = thread["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts[0], "Racine <b>pas du HTML</b> &amp;");
    assert_eq!(texts.len(), 4, "{thread}");
    assert!(
        !thread.to_string().contains("ana@example.org"),
        "no address in a public answer"
    );
}

/// A dry run says what would be imported, and writes nothing.
#[tokio::test]
async fn a_dry_run_counts_and_writes_nothing() {
    let (from, _rules) = varied().await;
    let dir = tempfile::tempdir().unwrap();
    let file = export_to(&from, dir.path()).await;
    let to = spawn(&[]).await;
    let report = import_file(&to, &file, true).await.unwrap();
    assert_eq!((report.read, report.added, report.orphans), (8, 8, 0));
    assert_eq!(to.store.count_all().await.unwrap(), 0, "nothing written");
    let by_page: u64 = report.pages.values().map(|c| c.iter().sum::<u64>()).sum();
    assert_eq!(by_page, 8);
    assert_eq!(report.pages[&(String::new(), "/b".to_owned())], [2, 1, 1]);
}

/// A malformed file is refused with the line that is wrong, and changes nothing: cut in
/// the middle of a line, not the format, not UTF-8.
#[tokio::test]
async fn a_malformed_file_names_its_line_and_changes_nothing() {
    let (from, _rules) = varied().await;
    let dir = tempfile::tempdir().unwrap();
    let file = export_to(&from, dir.path()).await;
    let whole = std::fs::read(&file).unwrap();
    let to = spawn(&[]).await;

    let cut = dir.path().join("cut.jsonl");
    // Into the middle of the fifth line.
    let starts: Vec<usize> = whole
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    std::fs::write(&cut, &whole[..starts[3] + 10]).unwrap();
    let error = import_file(&to, &cut, false).await.unwrap_err().to_string();
    assert!(error.contains("line 5"), "{error}");

    let xml = dir.path().join("wordpress.xml");
    std::fs::write(&xml, "<?xml version=\"1.0\"?>\n<rss></rss>\n").unwrap();
    let error = import_file(&to, &xml, false).await.unwrap_err().to_string();
    assert!(
        error.contains("line 1") && error.contains("not a Causerie export"),
        "{error}"
    );

    let latin1 = dir.path().join("latin1.jsonl");
    let mut bytes = whole.clone();
    let at = starts[1]
        + whole[starts[1]..]
            .windows(3)
            .position(|w| w == b"Un\"")
            .unwrap();
    bytes[at] = 0xE9;
    std::fs::write(&latin1, bytes).unwrap();
    let error = import_file(&to, &latin1, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("UTF-8"), "{error}");
    assert!(error.contains("line "), "{error}");

    assert_eq!(
        to.store.count_all().await.unwrap(),
        0,
        "nothing was written"
    );
}

/// An export of this very database is refused: it would only duplicate it.
#[tokio::test]
async fn an_export_is_not_imported_into_its_own_database() {
    let (app, _rules) = varied().await;
    let dir = tempfile::tempdir().unwrap();
    let file = export_to(&app, dir.path()).await;
    let error = import_file(&app, &file, false).await.unwrap_err();
    assert!(matches!(error, ImportError::SameDatabase(_)), "{error}");
    assert_eq!(app.store.count_all().await.unwrap(), 8);
}

/// A reply whose parent is not in the file comes in at the top level, and is counted.
#[tokio::test]
async fn an_orphan_comes_in_at_the_top_level() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orphan.jsonl");
    let line = |id: i64, parent: Option<i64>, text: &str| {
        json!({"id": id, "site": "", "page": "/o", "parent": parent, "author": "Ana",
               "email": "not an address", "url": "javascript:alert(1)", "text": text,
               "created": 1_700_000_000_000_i64, "status": "published", "deleted": false,
               "ip": null})
        .to_string()
    };
    let header = json!({"format": "causerie", "version": 1, "database": "0123456789abcdef",
                        "exported": 0});
    std::fs::write(
        &file,
        [
            header.to_string(),
            line(2, Some(1), "orphe\u{0}lin"),
            line(3, Some(2), "sa réponse"),
        ]
        .join("\n"),
    )
    .unwrap();
    let app = spawn(&[]).await;
    let report = import_file(&app, &file, false).await.unwrap();
    assert_eq!((report.added, report.orphans), (2, 1), "{report:?}");
    assert_eq!((report.invalid_emails, report.invalid_urls), (2, 2));
    assert_eq!(report.cleaned, 1, "a NUL is left out: {report:?}");
    let thread = app.get("/api/v1/comments?page=/o").await.json();
    let comments = thread["comments"].as_array().unwrap();
    assert_eq!(comments[0]["parent"], Value::Null, "{thread}");
    assert_eq!(comments[1]["parent"], comments[0]["id"]);
    assert_eq!(
        comments[0]["url"],
        Value::Null,
        "an invalid website is left out"
    );
}
