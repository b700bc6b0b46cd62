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

/// The Python of aiosmtpd's virtual environment.
fn aiosmtpd_python() -> PathBuf {
    let venv = std::env::var("CAUSERIE_TEST_AIOSMTPD").expect(
        "CAUSERIE_TEST_AIOSMTPD names aiosmtpd's virtual environment: `cargo xtask test` installs it",
    );
    Path::new(&venv).join("bin/python")
}

impl Smtp {
    /// aiosmtpd's own server, delivering every mail.
    fn start_on(port: u16) -> Smtp {
        Smtp::spawn(port, |maildir| {
            let mut command = Command::new(aiosmtpd_python());
            command
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(maildir);
            command
        })
    }

    /// One of the tests' own aiosmtpd scripts in `tests/e2e/`: its port and its Maildir,
    /// then `args`.
    fn script(name: &str, port: u16, args: &[&std::ffi::OsStr]) -> Smtp {
        Smtp::spawn(port, |maildir| {
            let mut command = Command::new(aiosmtpd_python());
            command
                .arg(root().join("tests/e2e").join(name))
                .arg(port.to_string())
                .arg(maildir)
                .args(args);
            command
        })
    }

    /// The server that `command` (given its Maildir) starts on `port`.
    fn spawn(port: u16, command: impl FnOnce(&Path) -> Command) -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let process =
            Group::spawn(command(&dir.path().join("Maildir")).stdout(Stdio::null())).unwrap();
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

    /// Waits until `n` mails have arrived (30 s at most), then a second more, and
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

/// With `--owner-mail digest`, the site owner hears of a period's new comments in one
/// mail at its end, not one each: those that wait for them first, each with its links;
/// the next period's comments come in the next digest. Replies and confirmations are
/// not held back for it.
#[tokio::test]
async fn the_site_owner_gets_one_digest_for_each_period() {
    const PERIOD_MS: u128 = 5_000;
    let smtp = Smtp::start_on(free_port());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut args = mailing(smtp.port, port);
    args.truncate(args.len() - 2);
    args.extend(
        [
            "--moderation",
            "publish",
            "--max-links",
            "1",
            "--owner-mail",
            "digest",
        ]
        .map(str::to_owned),
    );
    args.extend([
        "--owner-digest-every".to_owned(),
        format!("{}s", PERIOD_MS / 1000),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    // Post at the start of a period, so that the three comments share it.
    let since_epoch = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    };
    let into = since_epoch().as_millis() % PERIOD_MS;
    if into > PERIOD_MS / 2 {
        std::thread::sleep(Duration::from_millis((PERIOD_MS - into + 100) as u64));
    }
    let period = since_epoch().as_millis() / PERIOD_MS;
    let page = "/2026/un-article";
    server.post(page, "Premier, publié");
    server.post_expecting(
        &json!({"page": page, "comment": "Deux liens : https://a.example/ https://b.example/",
                "author": "Zoé", "email": "zoe@example.net"}),
        202,
    );
    server.post(page, "Troisième, publié aussi");
    assert_eq!(
        since_epoch().as_millis() / PERIOD_MS,
        period,
        "the posts took a period"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.received().len(), 0, "nothing before the period's end");

    let mails = wait_for_mails(&smtp, "owner@example.org", 1);
    assert_eq!(mails.len(), 1, "one digest: {mails:?}");
    let (subject, plain, headers) = &mails[0];
    assert_eq!(
        subject,
        &format!("[127.0.0.1:{port}] New comments: 3 · to approve: 1")
    );
    let header = |name: &str| {
        headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(header("To"), ["Owner <owner@example.org>"]);
    let id = header("Message-ID")[0];
    assert!(
        id.starts_with("<digest-") && id.ends_with(".owner@example.org>"),
        "{id}"
    );
    // The held one first, with its link to publish it; every one with its others.
    let at = |needle: &str| {
        plain
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in {plain}"))
    };
    assert!(at("Deux liens") < at("Premier, publié"), "{plain}");
    assert!(
        at("Premier, publié") < at("Troisième, publié aussi"),
        "{plain}"
    );
    assert!(plain.contains("Zoé <zoe@example.net>"), "{plain}");
    assert_eq!(plain.matches("Publish it: ").count(), 1, "{plain}");
    assert_eq!(plain.matches("Delete it: ").count(), 3, "{plain}");
    assert_eq!(
        plain
            .matches("== Waits for your approval, on the page")
            .count(),
        1,
        "{plain}"
    );
    assert_eq!(
        plain.matches("== Published, on the page").count(),
        2,
        "{plain}"
    );
    // Its link publishes the held comment, as a single mail's does.
    let approve = link_after(plain, "Publish it:");
    let (_, done) = follow(port, &approve, "");
    assert!(done.contains("200"), "{done}");
    assert_eq!(published(port), 3);

    // The next period's comment is the next digest's, alone.
    server.post(page, "Quatrième, plus tard");
    let mails = wait_for_mails(&smtp, "owner@example.org", 2);
    assert_eq!(mails.len(), 2, "{mails:?}");
    let (subject, plain, _) = &mails[1];
    assert_eq!(subject, &format!("[127.0.0.1:{port}] New comments: 1"));
    assert!(
        plain.contains("Quatrième, plus tard") && !plain.contains("Premier"),
        "{plain}"
    );
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

/// A comment's JSON POSTed as from the client `ip` (the server believes the loopback
/// proxy's `X-Forwarded-For`): its status and its answer.
fn post_from(port: u16, ip: &str, body: &Value) -> (String, Value) {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /api/v1/comments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-For: {ip}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, json) = response.split_once("\r\n\r\n").unwrap();
    (
        head.lines().next().unwrap().to_owned(),
        serde_json::from_str(json).unwrap_or(Value::Null),
    )
}

/// A mail as received: its subject, its plain text, and its headers.
type Received = (String, String, Vec<(String, String)>);

/// The mails received so far by `to`, parsed.
fn mails_to(smtp: &Smtp, to: &str) -> Vec<Received> {
    use mailparse::MailHeaderMap;
    smtp.received()
        .iter()
        .filter_map(|raw| {
            let mail = mailparse::parse_mail(raw).unwrap();
            let addressed = mail
                .headers
                .get_all_values("To")
                .iter()
                .any(|t| t.contains(to));
            addressed.then(|| {
                let headers = mail
                    .headers
                    .iter()
                    .map(|h| (h.get_key(), h.get_value()))
                    .collect();
                let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
                (subject, parts(&mail)[0].1.clone(), headers)
            })
        })
        .collect()
}

/// Waits until `to` has `n` mails (30 s at most), and a second more for any extra.
fn wait_for_mails(smtp: &Smtp, to: &str, n: usize) -> Vec<Received> {
    let start = Instant::now();
    while mails_to(smtp, to).len() < n {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{to} has {} mail(s) after 30 s, not {n}",
            mails_to(smtp, to).len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    mails_to(smtp, to)
}

/// The link of a mail's text after `label`.
fn link_after(text: &str, label: &str) -> String {
    text.lines()
        .skip_while(|l| !l.contains(label))
        .find_map(|l| l.split_whitespace().find(|w| w.starts_with("http")))
        .unwrap_or_else(|| panic!("no link after {label:?} in {text}"))
        .to_owned()
}

/// The link of a mail's text to `path`.
fn link_to(text: &str, path: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(path))
        .unwrap_or_else(|| panic!("no link to {path} in {text}"))
        .to_owned()
}

/// Opens a mail's link (a GET, which only asks), then presses its page's button `press`
/// (`name=value`, or nothing): the statuses of both.
fn follow(port: u16, link: &str, press: &str) -> (String, String) {
    let path = link.trim_start_matches(&format!("http://127.0.0.1:{port}"));
    let (asked, page) = raw(port, "GET", path, "");
    assert!(
        page.contains("<form method=\"post\""),
        "{link}: {asked}: {page}"
    );
    let (fields, _) = path.split_once('?').map(|(_, q)| (q, ())).unwrap();
    let form = if press.is_empty() {
        fields.to_owned()
    } else {
        format!("{fields}&{press}")
    };
    let action = path.split_once('?').unwrap().0;
    let (done, page) = raw(port, "POST", action, &form);
    (asked, format!("{done}: {page}"))
}

/// A commenter asks to hear of replies: one confirmation mail, and nothing else until
/// its link confirms; a reply held for moderation is mailed only once the site owner
/// publishes it from their own mail's link, once, threaded, with a one-click
/// unsubscribe; after which nothing more comes. Twenty requests for one address from
/// twenty client addresses send one confirmation; one client cannot send many.
#[tokio::test]
async fn replies_are_mailed_only_to_confirmed_addresses_that_asked() {
    let smtp = Smtp::start_on(free_port());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut args = mailing(smtp.port, port);
    args.extend([
        "--trusted-proxy".into(),
        "127.0.0.1".into(),
        "--max-posts-per-ip".into(),
        "0".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    let page = "/2026/un-article";
    let owner = "owner@example.org";
    let approve = |n: usize| {
        let mails = wait_for_mails(&smtp, owner, n);
        let (_, text, _) = mails.last().unwrap().clone();
        let (asked, done) = follow(port, &link_after(&text, "Publish it"), "");
        assert!(
            asked.contains("200") && done.contains("200 OK"),
            "{asked} {done}"
        );
    };

    // Amélie asks; her comment is held, then published by the owner.
    let (status, amelie) = post_from(
        port,
        "198.51.100.1",
        &json!({"page": page,
        "comment": "Quelqu’un sait ?", "author": "Amélie", "email": "Amelie@Example.net", "notify": true}),
    );
    assert!(status.contains("202"), "{status}");
    let amelie = amelie["id"].as_i64().unwrap();
    approve(1);
    let confirmation = wait_for_mails(&smtp, "Amelie@Example.net", 1);
    assert_eq!(confirmation.len(), 1);
    assert!(
        confirmation[0].0.contains("Confirm that you want replies"),
        "{:?}",
        confirmation[0].0
    );

    // Unconfirmed: Bruno's reply, once published, is mailed to nobody.
    let reply = |ip: &str, author: &str, email: &str, text: &str| {
        let (status, _) = post_from(
            port,
            ip,
            &json!({"page": page, "parent": amelie,
            "comment": text, "author": author, "email": email}),
        );
        assert!(status.contains("202"), "{status}");
    };
    reply(
        "198.51.100.2",
        "Bruno",
        "bruno@example.net",
        "Pas encore confirmée",
    );
    approve(2);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        mails_to(&smtp, "Amelie@Example.net").len(),
        1,
        "an unconfirmed address gets no notification"
    );

    // Her link asks, then confirms; used again, it opens nothing.
    let link = link_to(&confirmation[0].1, "/mail/confirm");
    let (asked, done) = follow(port, &link, "confirm=1");
    assert!(
        asked.contains("200") && done.contains("200 OK"),
        "{asked} {done}"
    );
    let (again, refused) = follow_again(port, &link);
    assert!(again.contains("400"), "{again}: {refused}");

    // Chloé replies: held, so nothing yet; published from the owner's mail, one mail.
    reply(
        "198.51.100.3",
        "Chloé",
        "chloe@example.net",
        "Oui, le dimanche à 14 h",
    );
    wait_for_mails(&smtp, owner, 3);
    assert_eq!(
        mails_to(&smtp, "Amelie@Example.net").len(),
        1,
        "nothing before the owner publishes it"
    );
    approve(3);
    let mails = wait_for_mails(&smtp, "Amelie@Example.net", 2);
    assert_eq!(mails.len(), 2, "one notification");
    let (subject, text, headers) = &mails[1];
    assert!(
        subject.contains("Chloé replied to your comment"),
        "{subject}"
    );
    assert!(text.contains("Oui, le dimanche à 14 h"), "{text}");
    let header = |name: &str| {
        headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        header("List-Unsubscribe-Post"),
        ["List-Unsubscribe=One-Click"]
    );
    assert_eq!(
        header("In-Reply-To"),
        [format!("<comment-{amelie}.thread@example.org>")]
    );
    let to = header("To");
    assert_eq!(to.len(), 1);
    assert!(
        !to[0].contains("chloe"),
        "the replier's address never goes: {to:?}"
    );
    for (name, value) in headers {
        assert!(!value.contains("chloe@"), "{name}: {value}");
    }

    // One click, as a mail client sends it: no more mail.
    let unsubscribe = header("List-Unsubscribe")[0]
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    let path = unsubscribe.trim_start_matches(&format!("http://127.0.0.1:{port}"));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = "List-Unsubscribe=One-Click";
    write!(stream, "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    reply(
        "198.51.100.4",
        "David",
        "david@example.net",
        "Et le samedi ?",
    );
    approve(4);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        mails_to(&smtp, "Amelie@Example.net").len(),
        2,
        "nothing after the unsubscribe"
    );

    // Twenty strangers ask for one address, each from their own client address: one
    // confirmation mail.
    for i in 0..20 {
        let (status, _answer) = post_from(
            port,
            &format!("203.0.113.{i}"),
            &json!({"page": page,
            "comment": format!("Abonnez-la {i}"), "author": "Inconnu", "email": "victim@example.net", "notify": true}),
        );
        assert!(status.contains("202"), "{status}: {_answer}");
    }
    // One client asks for ten addresses: five confirmation mails at most.
    for i in 0..10 {
        let (status, _) = post_from(
            port,
            "192.0.2.9",
            &json!({"page": page,
            "comment": format!("Beaucoup d’adresses {i}"), "author": "Robot", "email": format!("many{i}@example.net"), "notify": true}),
        );
        assert!(status.contains("202"), "{status}");
    }
    wait_for_mails(&smtp, "victim@example.net", 1);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        mails_to(&smtp, "victim@example.net").len(),
        1,
        "one confirmation a day"
    );
    let many = (0..10)
        .map(|i| mails_to(&smtp, &format!("many{i}@example.net")).len())
        .sum::<usize>();
    assert_eq!(many, 5, "a cap per client address");
    drop(server);
}

/// Follows a mail's link a second time: the GET, which must refuse.
fn follow_again(port: u16, link: &str) -> (String, String) {
    let path = link.trim_start_matches(&format!("http://127.0.0.1:{port}"));
    raw(port, "GET", path, "")
}

/// In Chromium: the form offers the box for replies by mail only where the server mails.
/// A reader who ticks it gets a confirmation mail, whose link, opened in the browser,
/// asks, and whose button confirms; the site owner publishes from their mail's link in
/// the browser (a page, then its button); a reply published later reaches the reader.
#[tokio::test]
async fn in_the_browser_a_reader_asks_for_replies_and_confirms() {
    preconditions();
    let smtp = Smtp::start_on(free_port());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut args = mailing(smtp.port, port);
    args.extend(["--trusted-proxy".into(), "127.0.0.1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    // A server that mails nobody: no box.
    let quiet = Server::start_with(
        free_port(),
        dir.path().join("quiet.db"),
        root().join("www"),
        &[],
    );
    let browser = Browser::start_in("fr-FR");
    let (article, quiet_article) = (server.url("/"), quiet.url("/"));
    let smtp = &smtp;
    with_session(&browser, "notify", |c| async move {
        c.goto(&quiet_article).await?;
        open_comments(&c).await?;
        assert_eq!(
            js(&c, "return root.querySelector('.notify').hidden;").await?,
            json!(true),
            "no box where the server does not mail"
        );

        c.goto(&article).await?;
        open_comments(&c).await?;
        until(&c, "the box", "!root.querySelector('.notify').hidden").await?;
        assert_eq!(
            js(
                &c,
                "return root.querySelector('.notify label').textContent;"
            )
            .await?,
            json!("Me prévenir des réponses par e-mail.")
        );
        assert_eq!(
            js(
                &c,
                "return root.querySelector('[data-testid=notify]').checked;"
            )
            .await?,
            json!(false),
            "unticked at first"
        );
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        host.shadow_root()
            .await?
            .find(Locator::Css("[data-testid=notify]"))
            .await?
            .click()
            .await?;
        fill_and_submit(&c, "Prévenez-moi des réponses", "amelie@example.net").await?;

        // The owner's mail: its link asks in the browser, its button publishes.
        let owner = wait_for_mails(smtp, "owner@example.org", 1);
        c.goto(&link_after(&owner[0].1, "Publish it")).await?;
        let asked = c.find(Locator::Css("main")).await?.text().await?;
        assert!(asked.contains("Publier ce commentaire ?"), "{asked}");
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        notice_starts(&c, "C’est fait.").await?;

        // The reader's confirmation: asked in the browser, confirmed by its button.
        let mails = wait_for_mails(smtp, "amelie@example.net", 1);
        assert_eq!(mails.len(), 1, "one confirmation mail, nothing else");
        assert!(
            mails[0]
                .0
                .contains("Confirmez que vous voulez les réponses"),
            "in French: {}",
            mails[0].0
        );
        c.goto(&link_to(&mails[0].1, "/mail/confirm")).await?;
        c.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        notice_starts(&c, "C’est confirmé").await?;
        Ok(())
    })
    .await
    .unwrap();

    // A reply, published at once by the owner's link: the reader hears of it, once.
    let id: i64 = sqlx::query_scalar("SELECT id FROM comments WHERE text = ?")
        .bind("Prévenez-moi des réponses")
        .fetch_one(&mut server.db().await)
        .await
        .unwrap();
    let (status, _) = post_from(
        port,
        "198.51.100.7",
        &json!({"page": DEMO_PAGE, "parent": id,
        "comment": "Voici la réponse", "author": "Bruno", "email": "bruno@example.net"}),
    );
    assert!(status.contains("202"), "{status}");
    let owner = wait_for_mails(smtp, "owner@example.org", 2);
    let (asked, done) = follow(port, &link_after(&owner[1].1, "Publish it"), "");
    assert!(
        asked.contains("200") && done.contains("200 OK"),
        "{asked} {done}"
    );
    let mails = wait_for_mails(smtp, "amelie@example.net", 2);
    assert_eq!(mails.len(), 2);
    // In the language she wrote in.
    assert!(
        mails[1].0.contains("Bruno a répondu à votre commentaire"),
        "{}",
        mails[1].0
    );
    // Its unsubscribe header, with one POST as her mail client sends it; after that,
    // a reply approved from the owner's mail reaches her no more.
    let unsubscribe = mails[1]
        .2
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("List-Unsubscribe"))
        .map(|(_, v)| v.trim_matches(|c| c == '<' || c == '>').to_owned())
        .expect("a List-Unsubscribe header");
    let path = unsubscribe.trim_start_matches(&format!("http://127.0.0.1:{port}"));
    let (status, _) = raw(port, "POST", path, "List-Unsubscribe=One-Click");
    assert!(status.contains("200"), "{status}");
    let (status, _) = post_from(
        port,
        "198.51.100.8",
        &json!({"page": DEMO_PAGE, "parent": id,
        "comment": "Une autre réponse", "author": "Chloé", "email": "chloe@example.net"}),
    );
    assert!(status.contains("202"), "{status}");
    let owner = wait_for_mails(smtp, "owner@example.org", 3);
    let (_, done) = follow(port, &link_after(&owner[2].1, "Publish it"), "");
    assert!(done.contains("200 OK"), "{done}");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        mails_to(smtp, "amelie@example.net").len(),
        2,
        "nothing after the unsubscribe"
    );
}

/// Waits until the page's notice starts with `text`: the page after a button's post,
/// not the one that asked.
async fn notice_starts(c: &Client, text: &str) -> Result<()> {
    let start = Instant::now();
    loop {
        let notice = c
            .execute(
                "const n = document.querySelector('.notice'); return n ? n.textContent : '';",
                vec![],
            )
            .await
            .unwrap_or_default();
        if notice.as_str().is_some_and(|n| n.starts_with(text)) {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!("the page says {notice}, not {text:?}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Mail through an SMTP server that requires STARTTLS and then AUTH, with a certificate
/// of a throwaway CA that the server trusts through `--smtp-ca`: the mail goes with the right
/// password, and not with a wrong one.
#[test]
fn mail_goes_through_starttls_and_auth() {
    let dir = tempfile::tempdir().unwrap();
    // A throwaway CA, and the SMTP server's certificate signed by it.
    let file = |name: &str| dir.path().join(name);
    let (ca, cert, key) = (file("ca.pem"), file("cert.pem"), file("key.pem"));
    std::fs::write(
        file("ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let made = Command::new("openssl")
            .current_dir(dir.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl makes the throwaway certificates (`cargo xtask test` installs it)");
        assert!(made.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=Causerie test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "ext",
        "-out",
        "cert.pem",
    ]);
    let smtp_port = free_port();
    let smtp = Smtp::script(
        "smtp_tls.py",
        smtp_port,
        &[
            cert.as_os_str(),
            key.as_os_str(),
            "causerie".as_ref(),
            "s3cret pass".as_ref(),
        ],
    );
    let received = || smtp.received().len();
    for (password, expected) in [("wrong", 0), ("s3cret%20pass", 1)] {
        let port = free_port();
        let mut args = mailing(smtp_port, port);
        args[1] = format!("smtp://causerie:{password}@127.0.0.1:{smtp_port}");
        args.extend(["--smtp-ca".into(), ca.display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start_with(
            port,
            dir.path().join(format!("{password}.db")),
            root().join("www"),
            &args,
        );
        server.post_expecting(
            &held_comment(&format!("Par TLS, mot de passe {password}")),
            202,
        );
        let start = Instant::now();
        while received() < expected && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(3));
        assert_eq!(received(), expected, "with the password {password:?}");
    }
}

/// Two servers on one PostgreSQL, both mailing through one SMTP server: each mail is
/// sent once, by one of them.
#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_postgres_send_each_mail_once() {
    let smtp = Smtp::start_on(free_port());
    let url = postgres::fresh_database().await;
    let args = [
        "--smtp-url",
        &format!("smtp://127.0.0.1:{}", smtp.port),
        "--mail-from",
        "Causerie <comments@example.org>",
        "--owner-email",
        "owner@example.org",
        "--owner-mail",
        "all",
        "--moderation",
        "publish",
    ]
    .map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start_on_postgres(&url, &args));
        let b = s.spawn(|| Server::start_on_postgres(&url, &args));
        (a.join().unwrap(), b.join().unwrap())
    });
    for i in 0..10 {
        let server = if i % 2 == 0 { &a } else { &b };
        server.post("/two", &format!("Par deux serveurs {i}"));
    }
    let mails = wait_for_mails(&smtp, "owner@example.org", 10);
    // Both servers' delivery loops had time to claim them all, twice over.
    std::thread::sleep(Duration::from_secs(3));
    let mails = mails_to(&smtp, "owner@example.org").len().max(mails.len());
    assert_eq!(mails, 10, "ten comments, ten mails");
    let mut ids: Vec<String> = mails_to(&smtp, "owner@example.org")
        .into_iter()
        .flat_map(|(_, _, headers)| {
            headers
                .into_iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case("Message-ID"))
                .map(|(_, v)| v)
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "ten distinct mails");
}

/// An address that the SMTP server refuses for good (550) is mailed no more (until its
/// owner confirms it anew: `AddressState::mailable`, whose unit test has that case).
#[tokio::test]
async fn an_address_refused_for_good_is_mailed_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let (log, refused) = (dir.path().join("asked"), dir.path().join("refused"));
    let smtp_port = free_port();
    let smtp = Smtp::script(
        "smtp_refusing.py",
        smtp_port,
        &[log.as_os_str(), refused.as_os_str()],
    );
    let asked = |address: &str| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == address)
            .count()
    };
    let until = |what: &str, done: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{what} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let port = free_port();
    let mut args = mailing(smtp_port, port);
    // Published at once: each reply is mailed when it is posted.
    let hold = args.iter().position(|a| a == "hold").unwrap();
    args[hold] = "publish".into();
    args.extend(["--trusted-proxy".into(), "127.0.0.1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    let page = "/2026/un-article";
    let (status, amelie) = post_from(
        port,
        "198.51.100.1",
        &json!({"page": page,
        "comment": "Prévenez-moi", "author": "Amélie", "email": "amelie@example.net", "notify": true}),
    );
    assert!(status.contains("201"), "{status}");
    let amelie = amelie["id"].as_i64().unwrap();
    // Confirmed from the mail's link, while the address is still taken.
    until("the confirmation", &|| asked("amelie@example.net") == 1);
    let mails = wait_for_mails(&smtp, "amelie@example.net", 1);
    let (first, done) = follow(port, &link_to(&mails[0].1, "/mail/confirm"), "confirm=1");
    assert!(
        first.contains("200") && done.contains("200 OK"),
        "{first} {done}"
    );
    // Then the mailbox is gone: the first reply is refused for good…
    std::fs::write(&refused, "amelie@example.net\n").unwrap();
    let reply = |ip: &str, text: &str| {
        let (status, _) = post_from(
            port,
            ip,
            &json!({"page": page, "parent": amelie,
            "comment": text, "author": "Bruno", "email": "bruno@example.net"}),
        );
        assert!(status.contains("201"), "{status}");
    };
    reply("198.51.100.2", "Une première réponse");
    until("the refused reply", &|| asked("amelie@example.net") == 2);
    // …and the next is not even tried.
    reply("198.51.100.3", "Une deuxième réponse");
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        asked("amelie@example.net"),
        2,
        "a refused address is not tried again"
    );
    drop(server);
}

/// In Chromium, a reader's two browsers (a laptop and a phone: two profiles, two
/// identities). Her laptop's comment, confirmed from her mail and approved, makes her
/// known there. A day later, her phone's first comment with the same address is a
/// stranger's (held, another avatar) until she presses the confirmation link that it
/// caused: then it is hers, with her avatar, and her phone's next comment is published
/// at once.
#[tokio::test]
async fn a_confirmed_address_makes_a_readers_phone_hers() {
    preconditions();
    let smtp = Smtp::start_on(free_port());
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut args = mailing(smtp.port, port);
    args.truncate(args.len() - 2);
    args.extend(["--moderation", "first-time"].map(str::to_owned));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start_with(
        port,
        dir.path().join("causerie.db"),
        root().join("www"),
        &args,
    );
    let browser = Browser::start_in("fr-FR");
    let article = server.url("/");
    let article = article.as_str();
    let email = "ana@example.net";
    // Ticks the box, posts, and waits for the comment to show in the thread.
    let post = |c: Client, text: &'static str| async move {
        open_comments(&c).await?;
        until(&c, "the box", "!root.querySelector('.notify').hidden").await?;
        let host = c.find(Locator::Css("[data-causerie]")).await?;
        host.shadow_root()
            .await?
            .find(Locator::Css("[data-testid=notify]"))
            .await?
            .click()
            .await?;
        fill_and_submit(&c, text, email).await?;
        let shown = format!(
            "[...root.querySelectorAll('[data-testid=entry-text]')].some(e => e.textContent === {text:?})"
        );
        until(&c, text, &shown).await?;
        let held = js(
            &c,
            &format!("return [...root.querySelectorAll('li.held [data-testid=entry-text]')].some(e => e.textContent === {text:?});"),
        )
        .await?;
        Result::Ok(held == json!(true))
    };
    // The avatar of a published comment of the thread, by its text, as anyone reads it.
    let avatar_of = |text: &str| {
        let (_, body) = raw(
            port,
            "GET",
            &format!("/api/v1/comments?page={DEMO_PAGE}"),
            "",
        );
        let thread: Value = serde_json::from_str(&body).unwrap();
        thread["comments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["text"] == text)
            .map(|c| c["avatar"].as_str().unwrap().to_owned())
    };
    // Presses the confirmation link of the `n`th mail to her, after its page shows
    // `comment`.
    let confirm = |n: usize, comment: &str| {
        let mails = wait_for_mails(&smtp, email, n);
        assert_eq!(mails.len(), n, "{mails:?}");
        let link = link_to(&mails[n - 1].1, "/mail/confirm");
        let page = follow_again(port, &link).1;
        assert!(page.contains(comment), "the page shows the comment: {page}");
        let (_, done) = follow(port, &link, "confirm=1");
        assert!(done.contains("200 OK"), "{done}");
    };

    with_session(&browser, "laptop", |c| async move {
        c.goto(article).await?;
        assert!(
            post(c.clone(), "Depuis mon ordinateur").await?,
            "a first comment is held"
        );
        Ok(())
    })
    .await
    .unwrap();
    confirm(1, "Depuis mon ordinateur");
    let owner = wait_for_mails(&smtp, "owner@example.org", 1);
    let (_, done) = follow(port, &link_after(&owner[0].1, "Publish it"), "");
    assert!(done.contains("200 OK"), "{done}");
    let hers = avatar_of("Depuis mon ordinateur").expect("published");

    // A day later (the day's one confirmation mail to her address was the laptop's):
    // the time of that mail moves back a day, in the server's database.
    {
        use sqlx::ConnectOptions;
        let mut writer = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("causerie.db"))
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await
            .unwrap();
        sqlx::query("UPDATE mail_addresses SET asked = asked - 90000000")
            .execute(&mut writer)
            .await
            .unwrap();
    }
    // The phone's first comment's avatar, held or not, as the database keeps it.
    let held_avatar = || async {
        let avatar: String = sqlx::query_scalar("SELECT avatar FROM comments WHERE text = ?")
            .bind("Depuis mon téléphone")
            .fetch_one(&mut server.db().await)
            .await
            .unwrap();
        avatar
    };
    with_session(&browser, "phone", |c| async move {
        c.goto(article).await?;
        assert!(
            post(c.clone(), "Depuis mon téléphone").await?,
            "a stranger's: held"
        );
        Ok(())
    })
    .await
    .unwrap();
    assert_ne!(
        held_avatar().await,
        hers,
        "until she confirms, another avatar"
    );
    confirm(2, "Depuis mon téléphone");
    assert_eq!(held_avatar().await, hers, "hers now");
    // The phone's browser again (its profile, its identity): published at once, as her.
    with_session(&browser, "phone", |c| async move {
        c.goto(article).await?;
        assert!(
            !post(c.clone(), "Encore depuis le téléphone").await?,
            "known: published"
        );
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        avatar_of("Encore depuis le téléphone").as_deref(),
        Some(hers.as_str())
    );
}
