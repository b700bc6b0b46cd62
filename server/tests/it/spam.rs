//! The spam defences: the rate limit, duplicates, links, the blocklist, the honeypot,
//! the form token.

use super::*;

fn numbered(i: usize) -> String {
    comment("/spam", &format!("Commentaire n° {i}")).to_string()
}

/// Past `--max-posts-per-ip` in the window, an address gets 429 with `Retry-After` (in
/// the header and the body), and nothing is stored; other addresses still post. Behind a
/// trusted proxy the client is the forwarded address; from anyone else the header is
/// ignored.
#[tokio::test]
async fn posting_is_rate_limited_per_address() {
    let app = spawn(&[
        "--max-posts-per-ip",
        "2",
        "--post-window",
        "600",
        "--trusted-proxy",
        "10.0.0.1",
    ])
    .await;
    for i in 0..2 {
        assert_eq!(
            app.post_from("198.51.100.1", numbered(i), &[]).await.status,
            StatusCode::CREATED
        );
    }
    let before = app.count().await;
    let limited = app.post_from("198.51.100.1", numbered(2), &[]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.json()["error"], "rate_limited");
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&wait), "{wait}");
    assert_eq!(limited.json()["retry_after"], wait);
    assert_eq!(app.count().await, before);
    assert_eq!(
        app.post_from("198.51.100.2", numbered(3), &[]).await.status,
        StatusCode::CREATED
    );
    // A forged X-Forwarded-For from a stranger changes nothing…
    let forged = app
        .post_from(
            "198.51.100.1",
            numbered(4),
            &[("x-forwarded-for", "203.0.113.9")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::TOO_MANY_REQUESTS);
    // …but the trusted proxy's is believed: each client is counted on its own.
    for (i, client) in ["203.0.113.7", "203.0.113.7", "203.0.113.8"]
        .iter()
        .enumerate()
    {
        let reply = app
            .post_from("10.0.0.1", numbered(10 + i), &[("x-forwarded-for", client)])
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{client}");
    }
    let third = app
        .post_from(
            "10.0.0.1",
            numbered(20),
            &[("x-forwarded-for", "203.0.113.7")],
        )
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
}

/// The same text from the same address on the same page is refused, once stored, with
/// 422 `duplicate`; a retry with the same idempotency key still gets its first answer.
#[tokio::test]
async fn duplicates_are_refused() {
    let app = spawn(&[]).await;
    let body = comment("/dup", "Deux fois ?").to_string();
    let first = app.post(body.clone(), Some("k1")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let replay = app.post(body.clone(), Some("k1")).await;
    assert_eq!(
        replay.status,
        StatusCode::CREATED,
        "a retry is no duplicate"
    );
    let again = app.post(body.clone(), Some("k2")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"], "duplicate");
    // Another commenter (another address) may write the same words.
    let other = app.post_from("198.51.100.7", body.clone(), &[]).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.text());
    assert_eq!(app.count().await, 2);
}

/// A duplicate is the same text from the same commenter, never from the same e-mail
/// address: re-posting a victim's exact words with their address, from elsewhere, is
/// not refused, so a refusal confirms no address.
#[tokio::test]
async fn duplicates_reveal_no_address() {
    let app = spawn(&[]).await;
    let mut victim = comment("/dup", "Mes mots exacts");
    victim["email"] = json!("victim@example.org");
    assert_eq!(
        app.post_from("198.51.100.1", victim.to_string(), &[])
            .await
            .status,
        StatusCode::CREATED
    );
    let mut guess = victim.clone();
    guess["author"] = json!("Quelqu'un");
    let right = app.post_from("203.0.113.9", guess.to_string(), &[]).await;
    guess["email"] = json!("wrong@example.org");
    guess["comment"] = json!("Mes mots exacts ");
    let wrong = app.post_from("203.0.113.9", guess.to_string(), &[]).await;
    assert_eq!(right.status, wrong.status, "the guess changes nothing");
    assert_eq!(right.status, StatusCode::CREATED);
}

/// Too many links, or a blocklist match, hold a comment; with `--blocklist-action
/// reject`, a match is refused with 422 `blocked`. So is a robot that fills the honeypot,
/// and nothing of it is stored.
#[tokio::test]
async fn links_blocklist_and_honeypot() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("blocklist.txt");
    std::fs::write(&list, "# rules\nword: casino\nemail: *@spam.example\n").unwrap();
    let list = list.display().to_string();
    let hold = spawn(&["--blocklist", &list, "--max-links", "2"]).await;
    let links = comment(
        "/l",
        "https://a.example https://b.example https://c.example",
    );
    assert_eq!(
        hold.post(links.to_string(), None).await.status,
        StatusCode::ACCEPTED
    );
    let two = comment("/l", "https://a.example et https://b.example");
    assert_eq!(
        hold.post(two.to_string(), None).await.status,
        StatusCode::CREATED
    );
    let casino = comment("/l", "Le meilleur CASINO");
    assert_eq!(
        hold.post(casino.to_string(), None).await.status,
        StatusCode::ACCEPTED
    );
    let mut from = comment("/l", "Bonjour");
    from["email"] = json!("bot@spam.example");
    assert_eq!(
        hold.post(from.to_string(), None).await.status,
        StatusCode::ACCEPTED
    );

    let reject = spawn(&["--blocklist", &list, "--blocklist-action", "reject"]).await;
    let refused = reject.post(casino.to_string(), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["error"], "blocked");
    assert_eq!(reject.count().await, 0);
    assert!(
        spawn_err(&["--blocklist", "/nonexistent/blocklist.txt"])
            .await
            .contains("cannot read the blocklist")
    );

    // A robot that fills the honeypot is refused, and nothing of it is stored.
    let before = hold.count().await;
    let mut robot = comment("/l", "Achetez !");
    robot["trap"] = json!("http://spam.example");
    let trapped = hold.post(robot.to_string(), None).await;
    assert_eq!(trapped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(trapped.json()["error"], "blocked");
    assert_eq!(hold.count().await, before);
}

/// With `--min-seconds`, a comment needs the form token of the thread it was written
/// under, and must come at least that long after it; forged or missing tokens fail.
#[tokio::test]
async fn the_form_token_sets_a_minimum_time() {
    let app = spawn(&["--min-seconds", "1"]).await;
    let thread = app.get("/api/v1/comments?page=/t").await;
    let token = thread.headers["causerie-form-token"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = |text: &str| comment("/t", text).to_string();
    let post = |text: &'static str, token: Option<String>| {
        let app = &app;
        async move {
            let mut request =
                Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
            if let Some(token) = token {
                request = request.header("causerie-form-token", token);
            }
            app.send(request.body(Body::from(body(text))).unwrap())
                .await
        }
    };
    let early = post("tôt", Some(token.clone())).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(early.json()["error"], "too_fast");
    assert_eq!(post("sans jeton", None).await.json()["error"], "too_fast");
    let (time, tag) = token.split_once('.').unwrap();
    let forged = format!("{}.{tag}", time.parse::<i64>().unwrap() - 60_000);
    assert_eq!(post("faux", Some(forged)).await.json()["error"], "too_fast");
    app.clock.advance(1100);
    assert_eq!(
        post("à temps", Some(token)).await.status,
        StatusCode::CREATED
    );
}

/// Duplicates are found through a keyed index, whatever the page's size: the same text
/// from the same commenter is refused, whatever address they type, and from another
/// commenter it is not.
/// After an edit, the new text is the one that counts. An anonymised comment gets no
/// avatar back when the server restarts on its database.
#[tokio::test]
async fn duplicates_follow_edits_and_anonymised_comments_stay_anonymous() {
    let app = spawn(&["--edit-window", "15"]).await;
    let first = app
        .post(comment("/d", "Premier jet").to_string(), None)
        .await
        .json();
    let mut shouting = comment("/d", "Premier jet");
    shouting["email"] = json!("ZOE@Example.org");
    let again = app.post(shouting.to_string(), None).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.json()["error"], "duplicate");
    let mut someone_else = comment("/d", "Premier jet");
    someone_else["email"] = json!("ana@example.org");
    assert_eq!(
        app.post_from("198.51.100.3", someone_else.to_string(), &[])
            .await
            .status,
        StatusCode::CREATED
    );

    let id = first["id"].as_i64().unwrap();
    let token = first["edit_token"].as_str().unwrap();
    let edited = app
        .send(
            Request::put(format!("/api/v1/comments/{id}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header("causerie-edit-token", token)
                .body(Body::from(
                    json!({ "comment": "Version corrigée" }).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    let fixed = app
        .post(comment("/d", "Version corrigée").to_string(), None)
        .await;
    assert_eq!(fixed.json()["error"], "duplicate", "the edited text counts");
    assert_eq!(
        app.post(comment("/d", "Premier jet").to_string(), None)
            .await
            .status,
        StatusCode::CREATED,
        "the old text is gone"
    );

    // The site owner's edit counts too.
    assert!(app.store.edit(id, "Troisième version").await.unwrap());
    assert_eq!(
        app.post(comment("/d", "Troisième version").to_string(), None)
            .await
            .json()["error"],
        "duplicate"
    );

    let zoe = causerie_server::store::Email::parse("zoe@example.org").unwrap();
    assert_eq!(app.store.anonymise(&zoe).await.unwrap(), 2);
    let url = app.url.clone();
    let reopened = Store::open(&url).await.unwrap();
    let thread = reopened.threads("", "/d", 0, None).await.unwrap().0;
    for c in thread.iter().filter(|c| c.author == "—") {
        assert_eq!(c.avatar, "", "{c:?}");
    }
    assert_eq!(thread.iter().filter(|c| c.author == "—").count(), 2);
    // Anonymised, the texts no longer block anyone.
    assert_eq!(
        app.post(comment("/d", "Troisième version").to_string(), None)
            .await
            .status,
        StatusCode::CREATED
    );
}
