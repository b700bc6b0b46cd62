//! Notifications: the signed webhook, its retries.

use super::*;

/// A server that mails, through an SMTP server that none of these tests reaches: what
/// it queues is what they read.
const MAILING: [&str; 4] = [
    "--smtp-url",
    "smtp://127.0.0.1:9",
    "--mail-from",
    "comments@example.org",
];

/// With a webhook, each new comment is POSTed to the site owner's endpoint, signed with
/// HMAC-SHA256 over the body. The commenter never waits for it: the endpoint fails at
/// first, and the delivery is retried until it is accepted, then forgotten.
#[tokio::test]
async fn new_comments_are_announced_to_a_signed_webhook_with_retries() {
    use std::sync::{Arc, Mutex};
    // The site owner's endpoint: it refuses the first delivery, then records them.
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let endpoint = {
        let received = received.clone();
        let calls = calls.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let received = received.clone();
                let calls = calls.clone();
                async move {
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let signature = headers["causerie-signature"].to_str().unwrap().to_owned();
                    received.lock().unwrap().push((signature, body));
                    StatusCode::NO_CONTENT
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, endpoint).await.unwrap() });

    let url = format!("http://127.0.0.1:{port}/hook");
    let app = spawn(&["--webhook-url", &url, "--webhook-secret", "s3cret"]).await;
    let hook = causerie_server::notify::webhook::Webhook::new(url, "s3cret".into());
    let started = std::time::Instant::now();
    assert_eq!(
        app.post(comment("/w", "Annoncé").to_string(), None)
            .await
            .status,
        StatusCode::CREATED
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the commenter does not wait"
    );
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 1);
    let task = tokio::spawn(causerie_server::notify::deliver(
        app.store.clone(),
        causerie_server::notify::Destinations::default()
            .with(causerie_server::notify::WEBHOOK, std::sync::Arc::new(hook)),
    ));
    // Until it is delivered and forgotten (the endpoint answers before the outbox is
    // updated, so both are waited for).
    for _ in 0..100 {
        let done = !received.lock().unwrap().is_empty()
            && app.store.pending_deliveries().await.unwrap() == 0;
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    task.abort();
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "delivered once, after one failure");
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    let (signature, body) = &received[0];
    assert_eq!(
        *signature,
        causerie_server::notify::webhook::signature("s3cret", body)
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["event"], "comment.created");
    assert_eq!(event["comment"]["text"], "Annoncé");
    assert!(
        !body.contains("zoe@example.org"),
        "no e-mail in the webhook"
    );
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 0);
    // A webhook needs its secret.
    assert!(Config::try_parse_from(["causerie-server", "--webhook-url", "http://x"]).is_err());
}

/// Each destination has its own delivery of an event: while the mail fails (its SMTP
/// server is down), the webhook gets the comment once, and only the mail's delivery is
/// left to retry. An edit is the webhook's alone.
#[tokio::test]
async fn each_destination_is_delivered_and_retried_on_its_own() {
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let endpoint = {
        let received = received.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let received = received.clone();
                async move {
                    received.lock().unwrap().push(body);
                    StatusCode::NO_CONTENT
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, endpoint).await.unwrap() });
    // A port where nothing listens: the mail fails.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let smtp = format!("smtp://127.0.0.1:{}", dead.local_addr().unwrap().port());
    drop(dead);

    let url = format!("http://127.0.0.1:{port}/hook");
    let app = spawn(&[
        "--webhook-url",
        &url,
        "--webhook-secret",
        "s3cret",
        "--smtp-url",
        &smtp,
        "--mail-from",
        "comments@example.org",
        "--owner-email",
        "owner@example.org",
    ])
    .await;
    assert_eq!(
        app.post(comment("/m", "Deux fois annoncé").to_string(), None)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.store.pending_deliveries().await.unwrap(),
        2,
        "one per destination"
    );
    let mailer = causerie_server::notify::mail::Mailer::new(
        &causerie_server::notify::mail::SmtpUrl::parse(&smtp).unwrap(),
        None,
        causerie_server::notify::mail::mailbox("comments@example.org").unwrap(),
        vec![(
            String::new(),
            causerie_server::notify::mail::mailbox("owner@example.org").unwrap(),
            "en".to_owned(),
        )],
        causerie_server::config::OwnerMail::All,
        None,
        causerie_server::moderate::LinkKey::new(app.store.secret()),
    )
    .unwrap();
    let destinations = causerie_server::notify::Destinations::default()
        .with(
            causerie_server::notify::WEBHOOK,
            Arc::new(causerie_server::notify::webhook::Webhook::new(
                url,
                "s3cret".into(),
            )),
        )
        .with(causerie_server::notify::MAIL, Arc::new(mailer));
    let task = tokio::spawn(causerie_server::notify::deliver(
        app.store.clone(),
        destinations,
    ));
    for _ in 0..100 {
        if !received.lock().unwrap().is_empty()
            && app.store.pending_deliveries().await.unwrap() == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Long enough for the mail to fail twice (2 s of backoff): the webhook hears once.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    task.abort();
    assert_eq!(received.lock().unwrap().len(), 1, "the webhook heard once");
    assert_eq!(
        app.store.pending_deliveries().await.unwrap(),
        1,
        "the mail's delivery waits for its SMTP server"
    );
    // An SMTP URL needs its sender; a sender must be an address.
    assert!(Config::try_parse_from(["causerie-server", "--smtp-url", &smtp]).is_err());
    assert!(
        Config::try_parse_from([
            "causerie-server",
            "--smtp-url",
            &smtp,
            "--mail-from",
            "nobody"
        ])
        .is_err()
    );
}

/// Erasing an address's comments erases what is known of the address for its mail: that
/// it was confirmed, and its muted threads.
#[tokio::test]
async fn erasing_an_address_forgets_its_mail_state() {
    let app = spawn(&MAILING).await;
    let mut body = comment("/e", "Prévenez-moi");
    body["email"] = json!("Ana@Example.org");
    body["notify"] = json!(true);
    assert_eq!(
        app.post(body.to_string(), None).await.status,
        StatusCode::CREATED
    );
    let key = causerie_server::store::address_key(app.store.secret(), "ana@example.org");
    app.store
        .confirm_address(&key, 0, 5, |_| String::new())
        .await
        .unwrap();
    app.store.mute_thread(&key, "", "/e").await.unwrap();
    assert!(app.store.address(&key).await.unwrap().mailable());
    assert!(app.store.muted(&key, "", "/e").await.unwrap());
    let email = causerie_server::store::Email::parse("ana@example.org").unwrap();
    assert_eq!(app.store.erase(&email).await.unwrap(), 1);
    assert_eq!(app.store.address(&key).await.unwrap(), Default::default());
    assert!(!app.store.muted(&key, "", "/e").await.unwrap());
}

/// What the mail reads of a comment that asked for replies, on both databases: its wish,
/// and the publication of a reply, queued for the mail alone.
#[tokio::test]
async fn a_published_reply_is_queued_for_the_mail_of_a_comment_that_asked() {
    let app = spawn(&MAILING).await;
    let mut asked = comment("/r", "Prévenez-moi");
    asked["notify"] = json!(true);
    let asked = app.post(asked.to_string(), None).await.json();
    let id = asked["id"].as_i64().unwrap();
    assert!(app.store.wants_replies(id).await.unwrap());
    let quiet = app
        .post(comment("/r", "Sans mail").to_string(), None)
        .await
        .json();
    assert!(
        !app.store
            .wants_replies(quiet["id"].as_i64().unwrap())
            .await
            .unwrap()
    );
    // The first comment: the owner's mail (created) and a confirmation; the second: the
    // owner's; a reply published at once: the owner's and the reply's publication.
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 3);
    let mut reply = comment("/r", "Une réponse");
    reply["parent"] = json!(id);
    app.post(reply.to_string(), None).await;
    assert_eq!(app.store.pending_deliveries().await.unwrap(), 5);
}

/// A commenter's links: a forged, expired or reused confirmation confirms nothing, and
/// says what any refused link says; a forged stop link stops nothing; the genuine ones
/// do, the stop link with one click (RFC 8058), from no page.
#[tokio::test]
async fn a_commenters_links_open_only_what_they_were_signed_for() {
    use causerie_server::moderate::{LIFETIME_MS, LinkKey};
    let app = spawn(&[]).await;
    let signer = LinkKey::new(app.store.secret());
    let address = causerie_server::store::address_key(app.store.secret(), "ana@example.org");
    let other = causerie_server::store::address_key(app.store.secret(), "bob@example.org");
    let (k, o) = (hex(&address), hex(&other));
    let expires = app.clock.now() + LIFETIME_MS;
    let confirm = |k: &str, e: i64, s: &str| format!("k={k}&c=7&e={e}&s={s}");
    let app = &app;
    let good = confirm(
        &k,
        expires,
        &signer.sign(&format!("confirm.{k}.7.{expires}")),
    );
    let post = |path: &'static str, body: String| async move {
        app.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    };
    let refused = post("/mail/confirm", String::new()).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    for forged in [
        confirm(
            &o,
            expires,
            &signer.sign(&format!("confirm.{k}.7.{expires}")),
        ),
        confirm(
            &k,
            expires + 1,
            &signer.sign(&format!("confirm.{k}.7.{expires}")),
        ),
        // Signed for another comment: another commenter.
        confirm(
            &k,
            expires,
            &signer.sign(&format!("confirm.{k}.8.{expires}")),
        ),
        confirm(&k, expires, &signer.sign(&format!("confirm.{k}.{expires}"))),
        confirm(&k, expires, &signer.sign(&format!("stop.{k}.0"))),
        confirm(&k, expires, &"0".repeat(64)),
    ] {
        let reply = post("/mail/confirm", forged.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{forged}");
        assert_eq!(reply.text(), refused.text(), "one answer for every refusal");
    }
    assert!(!app.store.address(&address).await.unwrap().mailable());
    assert!(!app.store.address(&other).await.unwrap().mailable());
    // Expired: a later one works, once.
    let stale = app.clock.now() - 1;
    let old = confirm(&k, stale, &signer.sign(&format!("confirm.{k}.7.{stale}")));
    assert_eq!(
        post("/mail/confirm", old).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("/mail/confirm", good.clone()).await.status,
        StatusCode::OK
    );
    assert!(app.store.address(&address).await.unwrap().mailable());
    assert_eq!(
        post("/mail/confirm", good).await.status,
        StatusCode::BAD_REQUEST,
        "used once"
    );

    // A link's page speaks its mail's language (`l`), else the browser's.
    let signed = signer.sign(&format!("stop.{k}.0"));
    let arabic = app
        .get(&format!("/mail/stop?k={k}&t=0&s={signed}&l=ar"))
        .await
        .text();
    assert!(
        arabic.contains(r#"lang="ar" dir="rtl""#) && arabic.contains("أي رسائل نوقف؟"),
        "{arabic}"
    );
    let german = app
        .get_in(
            &format!("/mail/stop?k={k}&t=0&s={signed}"),
            "de-AT, en;q=0.5",
        )
        .await
        .text();
    assert!(
        german.contains("Welche E-Mails sollen aufhören?"),
        "{german}"
    );

    // Stop: forged, then genuine with one click.
    let stop = |k: &str, t: i64, s: &str| format!("/mail/stop?k={k}&t={t}&s={s}");
    let one_click = |uri: String| {
        app.send(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("List-Unsubscribe=One-Click"))
                .unwrap(),
        )
    };
    let forged = stop(&k, 0, &signer.sign(&format!("stop.{o}.0")));
    assert_eq!(one_click(forged).await.status, StatusCode::BAD_REQUEST);
    assert!(
        app.store.address(&address).await.unwrap().mailable(),
        "nothing stopped"
    );
    let genuine = stop(&k, 0, &signer.sign(&format!("stop.{k}.0")));
    assert_eq!(
        app.get(&genuine).await.status,
        StatusCode::OK,
        "the page asks"
    );
    assert!(
        app.store.address(&address).await.unwrap().mailable(),
        "a GET stops nothing"
    );
    assert_eq!(one_click(genuine).await.status, StatusCode::OK);
    assert!(
        !app.store.address(&address).await.unwrap().mailable(),
        "stopped"
    );
}

/// A confirmed address proves who its commenter is. Ana confirms her address from her
/// laptop, and the site owner approves her comment; a day later she comments from her
/// phone (another identity), which gets a confirmation of its own, and until she presses
/// it, that comment is a stranger's: held, with an avatar of its own. Once she does, it
/// is hers (her avatar, then and after), and the phone's next comment is published at
/// once. Someone who only types her address stays a stranger; erasing her address
/// forgets the link.
#[tokio::test]
async fn a_confirmed_address_makes_each_of_its_owners_browsers_one_commenter() {
    use causerie_server::moderate::{LIFETIME_MS, LinkKey};
    let app = spawn(&[&MAILING[..], &["--moderation", "first-time"]].concat()).await;
    let signer = LinkKey::new(app.store.secret());
    let address = causerie_server::store::address_key(app.store.secret(), "ana@example.org");
    let k = hex(&address);
    let (app, signer, k) = (&app, &signer, k.as_str());
    let post = |text: &'static str, identity: Option<String>| async move {
        let mut body = json!({"page": "/p", "comment": text, "author": "Ana",
                              "email": "Ana@example.org", "notify": true});
        if let Some(identity) = identity {
            body["identity"] = json!(identity);
        }
        let reply = app.post(body.to_string(), None).await;
        assert!(reply.status.is_success(), "{}", reply.text());
        reply.json()
    };
    let press = |comment: i64| async move {
        let expires = app.clock.now() + LIFETIME_MS;
        let signature = signer.sign(&format!("confirm.{k}.{comment}.{expires}"));
        let link = format!("/mail/confirm?k={k}&c={comment}&e={expires}&s={signature}");
        let page = app.get(&link).await.text();
        assert!(
            page.contains("Confirm only if you wrote this comment"),
            "{page}"
        );
        let form = link.split_once('?').unwrap().1.to_owned();
        let done = app
            .send(
                Request::post("/mail/confirm")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header("sec-fetch-site", "same-origin")
                    .body(Body::from(form))
                    .unwrap(),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        page
    };
    // Every post queues the owner's mail; the rest of the outbox is confirmations.
    let posts = std::sync::atomic::AtomicI64::new(0);
    let posts = &posts;
    let post = |text: &'static str, identity: Option<String>| async move {
        posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        post(text, identity).await
    };
    let confirmations = || async {
        app.store.pending_deliveries().await.unwrap()
            - posts.load(std::sync::atomic::Ordering::SeqCst)
    };
    let author_key =
        |identity: &str| causerie_server::store::keyed(app.store.secret(), "author", identity, 16);

    // The laptop.
    let laptop = post("Depuis mon ordinateur", None).await;
    let laptop_identity = laptop["identity"].as_str().unwrap().to_owned();
    let first = laptop["id"].as_i64().unwrap();
    assert_eq!(confirmations().await, 1);
    let page = press(first).await;
    assert!(
        page.contains("Depuis mon ordinateur"),
        "the page shows the comment: {page}"
    );
    app.store
        .approve(&[first], app.clock.now(), Default::default())
        .await
        .unwrap();
    let again = post("Encore depuis l'ordinateur", Some(laptop_identity.clone())).await;
    assert_eq!(again["status"], "published", "known");
    assert_eq!(
        confirmations().await,
        1,
        "a confirmed commenter needs no confirmation"
    );
    let avatar = laptop["avatar"].clone();
    assert_eq!(again["avatar"], avatar);

    // A stranger who types her address, the same day: held, another avatar, no mail
    // (one confirmation a day reaches an address).
    let stranger = post("Je me fais passer pour Ana", None).await;
    assert_eq!(stranger["status"], "pending");
    assert_ne!(stranger["avatar"], avatar);
    assert_eq!(confirmations().await, 1);

    // The phone, the next day: a stranger too, until Ana presses its own link.
    app.clock.advance(25 * 3_600_000);
    let phone = post("Depuis mon téléphone", None).await;
    let phone_identity = phone["identity"].as_str().unwrap().to_owned();
    let phone_id = phone["id"].as_i64().unwrap();
    assert_eq!(phone["status"], "pending");
    assert_ne!(phone["avatar"], avatar);
    assert_eq!(
        confirmations().await,
        2,
        "the phone's comment asks to be confirmed"
    );
    press(phone_id).await;
    let thread = app.get("/api/v1/comments?page=/p").await.json();
    assert_eq!(
        thread["total"], 2,
        "the phone's first comment is still held"
    );
    let held = app.store.moderated_one(phone_id).await.unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&held.comment.avatar).unwrap(),
        avatar,
        "now hers"
    );
    let next = post("Encore depuis le téléphone", Some(phone_identity.clone())).await;
    assert_eq!(next["status"], "published", "known, as Ana");
    assert_eq!(next["avatar"], avatar);
    assert_eq!(
        confirmations().await,
        2,
        "the phone is hers: no more confirmation"
    );
    // The stranger's identity stays a stranger's.
    let stranger_identity = stranger["identity"].as_str().unwrap().to_owned();
    let stranger_again = post("Toujours pas Ana", Some(stranger_identity)).await;
    assert_eq!(stranger_again["status"], "pending");
    assert_ne!(stranger_again["avatar"], avatar);

    // Erasing her address forgets the link.
    let phone_key = author_key(&phone_identity);
    let laptop_key = author_key(&laptop_identity);
    assert_eq!(
        app.store.commenter(phone_key.clone()).await.unwrap().0,
        laptop_key
    );
    let email = causerie_server::store::Email::parse("ana@example.org").unwrap();
    app.store.erase(&email).await.unwrap();
    assert_eq!(
        app.store.commenter(phone_key.clone()).await.unwrap().0,
        phone_key
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// With the digest, on both databases: a period's new comments wait in the outbox for
/// its end, apart from every other delivery, and are claimed together, once.
#[tokio::test]
async fn the_digest_waits_for_its_periods_end_and_is_claimed_together() {
    let app = spawn(
        &[
            &MAILING[..],
            &["--owner-mail", "digest", "--owner-digest-every", "1h"],
        ]
        .concat(),
    )
    .await;
    let hour = 3_600_000;
    let now = app.clock.now();
    let end = (now / hour + 1) * hour;
    for text in ["Un", "Deux", "Trois"] {
        let reply = app.post(comment("/d", text).to_string(), None).await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    let lease = 60_000;
    assert!(
        app.store
            .due_deliveries(end, lease)
            .await
            .unwrap()
            .is_empty(),
        "the digest's alone"
    );
    assert!(
        app.store
            .due_digest(end - 1, lease)
            .await
            .unwrap()
            .is_empty(),
        "not before the hour"
    );
    let due = app.store.due_digest(end, lease).await.unwrap();
    assert_eq!(due.len(), 3);
    assert!(
        due.iter()
            .all(|d| d.destination == "digest" && d.kind == "comment.created")
    );
    assert!(
        app.store.due_digest(end, lease).await.unwrap().is_empty(),
        "claimed once"
    );
    assert_eq!(
        app.store
            .due_digest(end + lease, lease)
            .await
            .unwrap()
            .len(),
        3,
        "the lease over"
    );
}
