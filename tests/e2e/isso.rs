//! A real Isso's database imported: Isso 0.14 from PyPI (`cargo xtask test` installs it
//! into `target/isso`, as the bench does, and names it in `CAUSERIE_TEST_ISSO`) takes
//! comments, replies, a deletion and a held comment through its own API; then
//! `causerie-server import` reads its database file, and every field is compared.

use std::collections::HashMap;

use sqlx::Connection;

use super::*;

/// Isso, run by its own command on `dir/isso.db`, with or without moderation.
struct Isso {
    port: u16,
    _process: Group,
}

impl Isso {
    fn start(dir: &Path, moderation: bool) -> Isso {
        let venv = std::env::var("CAUSERIE_TEST_ISSO").expect(
            "CAUSERIE_TEST_ISSO names Isso's virtual environment: `cargo xtask test` installs it",
        );
        let port = free_port();
        let config = dir.join(format!("isso-{moderation}.cfg"));
        std::fs::write(
            &config,
            format!(
                "[general]\ndbpath = {}\nhost = http://127.0.0.1:{port}/\n\
                 [moderation]\nenabled = {moderation}\n\
                 [guard]\nenabled = false\n\
                 [server]\nlisten = http://127.0.0.1:{port}/\n",
                dir.join("isso.db").display()
            ),
        )
        .unwrap();
        let mut command = Command::new(Path::new(&venv).join("bin/isso"));
        command
            .arg("-c")
            .arg(&config)
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = Group::spawn(&mut command).expect("Isso starts");
        wait_for_port(port, "Isso");
        Isso {
            port,
            _process: process,
        }
    }

    /// A request to Isso: its status, its `Set-Cookie` headers, and its body.
    fn request(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        body: &Value,
    ) -> (u16, Vec<String>, String) {
        let body = body.to_string();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Content-Type: application/json\r\nAccept: application/json\r\nCookie: {cookie}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len(),
            port = self.port
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let cookies = head
            .lines()
            .filter_map(|l| l.strip_prefix("Set-Cookie: "))
            .map(|c| c.split(';').next().unwrap().to_owned())
            .collect();
        (status, cookies, body.to_owned())
    }

    /// Posts a comment on `uri`; its id, and the cookie that lets its author delete it.
    fn post(&self, uri: &str, body: Value) -> (i64, String) {
        let uri: String = uri.bytes().map(|b| format!("%{b:02X}")).collect();
        let (status, cookies, text) = self.request("POST", &format!("/new?uri={uri}"), "", &body);
        assert_eq!(status, 201, "{text}");
        let comment: Value = serde_json::from_str(&text).unwrap();
        let id = comment["id"].as_i64().unwrap();
        let cookie = cookies
            .into_iter()
            .find(|c| c.starts_with(&format!("{id}=")))
            .expect("Isso's cookie for its author");
        (id, cookie)
    }
}

/// A row of Isso's `comments`, with its thread's `uri`.
#[derive(sqlx::FromRow)]
struct IssoRow {
    id: i64,
    parent: Option<i64>,
    created: f64,
    mode: i64,
    remote_addr: String,
    text: Option<String>,
    author: Option<String>,
    email: Option<String>,
    website: Option<String>,
    uri: String,
}

#[tokio::test]
async fn a_real_isso_database_is_imported_field_by_field() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    {
        let isso = Isso::start(dir.path(), false);
        let comment = |text: &str, author: &str, email: &str, website: &str| {
            json!({"text": text, "author": author, "email": email, "website": website,
                   // Isso names a new thread by its title, or fetches the page for one.
                   "title": "A page"})
        };
        let (root, _) = isso.post(
            "/blog/hello/",
            comment(
                "Hello *Isso*, with <b>markup</b> & an entity",
                "Ana",
                "ana@example.org",
                "https://ana.example.org",
            ),
        );
        let mut reply = comment("A reply", "Bob", "", "");
        reply["parent"] = json!(root);
        let (reply, _) = isso.post("/blog/hello/", reply);
        let mut deeper = comment("A reply to the reply", "", "cy@example.org", "");
        deeper["parent"] = json!(reply);
        isso.post("/blog/hello/", deeper);
        let (gone, cookie) = isso.post(
            "/été/",
            comment("Soon deleted", "Dee", "dee@example.org", ""),
        );
        let mut under = comment("Under a deleted comment", "Eve", "eve@example.org", "");
        under["parent"] = json!(gone);
        isso.post("/été/", under);
        // Its author deletes it, as Isso lets them with its cookie: it has a reply, so
        // Isso keeps it as deleted (mode 4).
        let (status, _, text) = isso.request("DELETE", &format!("/id/{gone}"), &cookie, &json!({}));
        assert_eq!(status, 200, "{text}");
    }
    {
        // With moderation on, a new comment is held (mode 2).
        let isso = Isso::start(dir.path(), true);
        let (status, _, text) = isso.request(
            "POST",
            "/new?uri=%2Fblog%2Fhello%2F",
            "",
            &json!({"text": "Waiting for the moderator", "author": "Fay",
                    "email": "fay@example.org", "title": "A page"}),
        );
        assert_eq!(status, 202, "held: {text}");
    }
    let isso_db = dir.path().join("isso.db");

    // What Isso stored, row by row.
    let mut db =
        sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", isso_db.display()))
            .await
            .unwrap();
    let rows: Vec<IssoRow> = sqlx::query_as(
        "SELECT c.id, c.parent, c.created, c.mode, c.remote_addr, c.text, c.author, c.email,
                c.website, t.uri
         FROM comments c JOIN threads t ON t.id = c.tid ORDER BY c.id",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    drop(db);
    assert_eq!(rows.len(), 6);
    assert_eq!(
        rows.iter().filter(|r| r.mode == 4).count(),
        1,
        "one deleted"
    );
    assert_eq!(rows.iter().filter(|r| r.mode == 2).count(), 1, "one held");

    let server = Server::start(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .arg("--database")
        .arg(server.database_url())
        .arg("import")
        .arg(&isso_db)
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{summary}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(summary.contains("6 added"), "{summary}");
    let export = Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .arg("--database")
        .arg(server.database_url())
        .arg("export")
        .output()
        .unwrap();
    let ours: Vec<Value> = String::from_utf8(export.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ours.len(), 6);

    // Field by field: the same order (ids ascend in both), so a parent's index is its id's.
    let index_of_isso: HashMap<i64, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let index_of_ours: HashMap<i64, usize> = ours
        .iter()
        .enumerate()
        .map(|(i, c)| (c["id"].as_i64().unwrap(), i))
        .collect();
    for (row, c) in rows.iter().zip(&ours) {
        let IssoRow {
            id,
            parent,
            created,
            mode,
            remote_addr: ip,
            text,
            author,
            email,
            website,
            uri,
        } = row;
        let what = format!("Isso's comment {id}: {c}");
        let uri_page = uri.clone();
        assert_eq!(c["page"], json!(uri_page), "{what}");
        assert_eq!(
            c["parent"].as_i64().map(|p| index_of_ours[&p]),
            parent.map(|p| index_of_isso[&p]),
            "{what}"
        );
        assert_eq!(
            c["created"],
            json!((created * 1000.0).round() as i64),
            "{what}"
        );
        if *mode == 4 {
            assert_eq!(
                (&c["deleted"], &c["text"], &c["author"], &c["email"]),
                (&json!(true), &json!(""), &json!(""), &json!("")),
                "{what}"
            );
            assert_eq!(
                c["ip"],
                Value::Null,
                "a placeholder keeps nothing of its author"
            );
            continue;
        }
        assert_eq!(c["ip"], json!(ip), "{what}");
        assert_eq!(c["deleted"], json!(false), "{what}");
        assert_eq!(
            c["status"],
            json!(if *mode == 2 { "pending" } else { "published" }),
            "{what}"
        );
        assert_eq!(c["text"], json!(text.clone().unwrap_or_default()), "{what}");
        assert_eq!(
            c["author"],
            json!(author.clone().unwrap_or_default()),
            "{what}"
        );
        assert_eq!(
            c["email"],
            json!(email.clone().unwrap_or_default()),
            "{what}"
        );
        // A website as every website is kept: a parsed URL.
        let website = website
            .clone()
            .filter(|w| !w.is_empty())
            .map(|w| url::Url::parse(&w).unwrap().to_string());
        assert_eq!(c["url"], json!(website), "{what}");
    }

    // And the widget's API serves the thread, nested, without an address.
    let thread: Value = serde_json::from_str(
        server
            .get("/api/v1/comments?page=/blog/hello/")
            .split_once("\r\n\r\n")
            .unwrap()
            .1,
    )
    .unwrap();
    let shown = thread["comments"].as_array().unwrap();
    assert_eq!(shown.len(), 3, "{thread}");
    // Isso answers a reply's reply as a reply to the first comment (it nests one level).
    assert_eq!(shown[1]["parent"], shown[0]["id"]);
    assert_eq!(shown[2]["parent"], shown[0]["id"]);
    assert!(!thread.to_string().contains("@example.org"));
}
