//! Mail, through a real SMTP server: aiosmtpd (which `cargo xtask test` installs from
//! PyPI into `target/aiosmtpd` and names in `CAUSERIE_TEST_AIOSMTPD`), delivering to a
//! Maildir that the tests read back and parse.

use super::*;

/// A real SMTP server on 127.0.0.1, delivering to a Maildir; stopped when dropped.
struct Smtp {
    port: u16,
    dir: tempfile::TempDir,
    _process: Group,
}

impl Smtp {
    fn start_on(port: u16) -> Smtp {
        let venv = std::env::var("CAUSERIE_TEST_AIOSMTPD").expect(
            "CAUSERIE_TEST_AIOSMTPD names aiosmtpd's virtual environment: `cargo xtask test` installs it",
        );
        let dir = tempfile::tempdir().unwrap();
        let process = Group::spawn(
            Command::new(Path::new(&venv).join("bin/python"))
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(dir.path().join("Maildir"))
                .stdout(Stdio::null()),
        )
        .unwrap();
        wait_for_port(port, "aiosmtpd");
        Smtp {
            port,
            dir,
            _process: process,
        }
    }

    /// Every mail received so far, as it arrived.
    fn received(&self) -> Vec<Vec<u8>> {
        let new = self.dir.path().join("Maildir/new");
        let mut mails: Vec<(std::time::SystemTime, Vec<u8>)> = std::fs::read_dir(&new)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let when = e.metadata().and_then(|m| m.modified()).unwrap();
                        (when, std::fs::read(e.path()).unwrap())
                    })
                    .collect()
            })
            .unwrap_or_default();
        mails.sort_by_key(|(when, _)| *when);
        mails.into_iter().map(|(_, mail)| mail).collect()
    }

    /// Waits until `n` mails have arrived (20 s at most), then a second more, and
    /// returns every mail: more than `n` is a failure of the caller's to see.
    fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let start = Instant::now();
        while self.received().len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{} mail(s) within 30 s, not {n}",
                self.received().len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(1));
        self.received()
    }
}

/// The flags of a server on `port` that mails the site owner through `smtp`.
fn mailing(smtp: u16, port: u16) -> Vec<String> {
    [
        "--smtp-url",
        &format!("smtp://127.0.0.1:{smtp}"),
        "--mail-from",
        "Causerie <comments@example.org>",
        "--owner-email",
        "Owner <owner@example.org>",
        "--public-url",
        &format!("http://127.0.0.1:{port}"),
        "--moderation",
        "hold",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A held comment with a hostile text.
fn held_comment(text: &str) -> Value {
    json!({"page": "/2026/un-article", "comment": text, "author": "Zoé <b>",
           "email": "zoe@example.net", "url": "https://zoe.example.net/"})
}

/// Each of a mail's text parts, decoded, by content type.
fn parts(mail: &mailparse::ParsedMail) -> Vec<(String, String)> {
    if mail.subparts.is_empty() {
        return vec![(mail.ctype.mimetype.clone(), mail.get_body().unwrap())];
    }
    mail.subparts.iter().flat_map(parts).collect()
}

/// The site owner hears of a held comment, once, from the sender, to them alone: the
/// page, the name, the address (which the owner may see), the website and the text, as
/// text in both parts; a link to moderate it; a `Message-ID` made from its cause.
#[tokio::test]
async fn the_site_owner_is_mailed_about_a_held_comment_once() {
    let smtp = Smtp::start_on(free_port());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args = mailing(smtp.port, port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    let text = "Bonjour <script>alert(1)</script> & merci";
    server.post_expecting(&held_comment(text), 202);
    let mails = smtp.wait_for(1);
    assert_eq!(mails.len(), 1, "one mail, not {}", mails.len());
    let mail = mailparse::parse_mail(&mails[0]).unwrap();
    use mailparse::MailHeaderMap;
    let header = |name: &str| mail.headers.get_all_values(name);
    assert_eq!(header("To"), ["Owner <owner@example.org>"]);
    assert_eq!(header("From"), ["Causerie <comments@example.org>"]);
    for name in ["Cc", "Bcc", "Reply-To"] {
        assert!(header(name).is_empty(), "{name}: {:?}", header(name));
    }
    assert_eq!(
        header("Subject"),
        [format!(
            "[127.0.0.1:{port}] A comment waits for you on /2026/un-article"
        )]
    );
    let id = &header("Message-ID")[0];
    assert!(
        id.starts_with("<comment-") && id.ends_with(".created.owner@example.org>"),
        "{id}"
    );
    // The commenter's address appears in the body only, never in a header.
    for (name, value) in mail.headers.iter().map(|h| (h.get_key(), h.get_value())) {
        assert!(!value.contains("zoe@example.net"), "{name}: {value}");
    }
    let parts = parts(&mail);
    let kinds: Vec<&str> = parts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["text/plain", "text/html"]);
    let (plain, html) = (&parts[0].1, &parts[1].1);
    let admin = format!("http://127.0.0.1:{port}/admin");
    for needed in [
        text,
        "Zoé <b> <zoe@example.net>",
        "https://zoe.example.net/",
        "/2026/un-article",
        admin.as_str(),
    ] {
        assert!(plain.contains(needed), "{needed:?} in {plain}");
    }
    assert!(
        html.contains("Bonjour &#60;script&#62;alert(1)&#60;/script&#62; &#38; merci"),
        "{html}"
    );
    assert!(html.contains("Zoé &#60;b&#62;"), "{html}");
    assert!(!html.contains("<script") && !html.contains("<b>"), "{html}");
    // No remote image, no tracker: nothing is loaded when it is read.
    assert!(!html.contains("<img") && !html.contains("src="), "{html}");

    // Its link to publish it asks first (a GET changes nothing), then its button does.
    let approve = plain
        .lines()
        .find_map(|l| l.strip_prefix("Publish it: "))
        .expect("a link to publish it")
        .to_owned();
    let path = approve.trim_start_matches(&format!("http://127.0.0.1:{port}"));
    let (status, page) = raw(port, "GET", path, "");
    assert!(status.contains("200"), "{status}: {page}");
    assert!(page.contains("Publish this comment?"), "{page}");
    assert_eq!(server.stored(text).await, 1);
    assert_eq!(published(port), 0, "opening the link published nothing");
    let body = path.split_once('?').unwrap().1;
    let (status, page) = raw(port, "POST", "/mail/moderate", body);
    assert!(status.contains("200"), "{status}: {page}");
    assert_eq!(published(port), 1);
    let (status, _) = raw(port, "POST", "/mail/moderate", body);
    assert!(status.contains("400"), "a link works once: {status}");

    // A published comment is not mailed unless the owner asks for every one.
    drop(server);
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &[&args[..args.len() - 2], &["--moderation", "publish"]].concat(),
    );
    server.post(
        "/2026/un-article",
        "Publié sans attendre, sans mail au propriétaire",
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(smtp.received().len(), 1, "a published comment was mailed");
}

/// A mail queued while the SMTP server is down survives a `kill -9` of the server
/// before it could be sent: once both are back, it goes, once.
#[test]
fn a_queued_mail_survives_kill_9_and_goes_once() {
    let smtp_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args = mailing(smtp_port, port);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    server.post_expecting(&held_comment("Écrit pendant que le courrier dormait"), 202);
    // The server tries, fails (nothing listens), and is killed.
    std::thread::sleep(Duration::from_secs(2));
    server.kill();
    let smtp = Smtp::start_on(smtp_port);
    server.restart();
    let mails = smtp.wait_for(1);
    // Backoff may wait a few seconds more: long enough to see a second copy if one came.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(smtp.received().len(), 1, "sent once, not {}", mails.len());
    let mail = mailparse::parse_mail(&mails[0]).unwrap();
    assert!(
        parts(&mail)[0]
            .1
            .contains("Écrit pendant que le courrier dormait")
    );
}

/// A request to 127.0.0.1:`port`, as the confirmation page's own form sends it: its
/// status line and body.
fn raw(port: u16, method: &str, path: &str, form: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nSec-Fetch-Site: same-origin\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// How many comments the article's thread shows.
fn published(port: u16) -> u64 {
    let (_, body) = raw(port, "GET", "/api/v1/comments?page=/2026/un-article", "");
    let json: Value = serde_json::from_str(&body).unwrap();
    json["total"].as_u64().unwrap()
}
