//! Threads: pages of whole threads, replies, avatars and identities, first-time
//! moderation.

use super::*;

/// A long thread comes in pages: `limit` cuts it, `next` is the cursor for `after`, and
/// walking the cursors gives every comment once, in order. Without `limit`, all of them.
#[tokio::test]
async fn threads_page_with_a_cursor() {
    let app = spawn(&[]).await;
    for i in 0..7 {
        app.post(comment("/long", &format!("n°{i}")).to_string(), None)
            .await;
    }
    app.post(comment("/other", "ailleurs").to_string(), None)
        .await;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/comments?page=/long&limit=3".to_owned();
    let mut pages = 0;
    loop {
        let list = app.get(&uri).await.json();
        pages += 1;
        let batch = list["comments"].as_array().unwrap();
        assert!(batch.len() <= 3);
        seen.extend(batch.iter().map(|c| c["text"].as_str().unwrap().to_owned()));
        match list["next"].as_str() {
            Some(cursor) => uri = format!("/api/v1/comments?page=/long&limit=3&after={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, (0..7).map(|i| format!("n°{i}")).collect::<Vec<_>>());
    let all = app.get("/api/v1/comments?page=/long").await.json();
    assert_eq!(all["comments"].as_array().unwrap().len(), 7);
    assert!(all.get("next").is_none());
    for bad in ["limit=0", "limit=501", "after=abc", "after=-1"] {
        let reply = app.get(&format!("/api/v1/comments?page=/long&{bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// Replies carry their parent's id, and come in whole threads: `limit` counts the
/// comments on the article, and each comes with all its replies, after its parent.
#[tokio::test]
async fn replies_come_with_their_thread() {
    let app = spawn(&[]).await;
    let post = |body: Value| {
        let app = &app;
        async move {
            let reply = app.post(body.to_string(), None).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
            reply.json()["id"].clone()
        }
    };
    let a = post(comment("/t", "A")).await;
    let b = post(comment("/t", "B")).await;
    let a1 = post(reply_to("/t", "A1", &a)).await;
    let a11 = post(reply_to("/t", "A11", &a1)).await;
    let b1 = post(reply_to("/t", "B1", &b)).await;
    let c = post(comment("/t", "C")).await;
    let a2 = post(reply_to("/t", "A2", &a)).await;

    let first = app.get("/api/v1/comments?page=/t&limit=1").await.json();
    let texts = |list: &Value| -> Vec<String> {
        list["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(texts(&first), ["A", "A1", "A11", "A2"]);
    assert_eq!(first["total"], 7);
    assert_eq!(first["next"], a.to_string());
    let parents: Vec<&Value> = first["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["parent"])
        .collect();
    assert_eq!(parents, [&Value::Null, &a, &a1, &a]);

    let uri = format!("/api/v1/comments?page=/t&limit=2&after={a}");
    let second = app.get(&uri).await.json();
    assert_eq!(texts(&second), ["B", "B1", "C"]);
    assert!(second.get("next").is_none());
    assert_eq!(second["comments"][1]["parent"], b);
    assert_eq!(second["comments"][2]["id"], c);

    let all = app.get("/api/v1/comments?page=/t").await.json();
    assert_eq!(texts(&all), ["A", "B", "A1", "A11", "B1", "C", "A2"]);
    let ids: Vec<&Value> = all["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&a, &b, &a1, &a11, &b1, &c, &a2]);
}

/// A reply must answer a published comment of the same page: anything else is a 422
/// `invalid_parent`, and nothing is stored.
#[tokio::test]
async fn a_reply_needs_a_published_parent_on_the_same_page() {
    let app = spawn(&[]).await;
    let here = app
        .post(comment("/here", "ici").to_string(), None)
        .await
        .json();
    let held = spawn(&["--moderation", "hold"]).await;
    let pending = held
        .post(comment("/here", "en attente").to_string(), None)
        .await
        .json();
    let before = app.count().await;
    let missing = json!(here["id"].as_i64().unwrap() + 100);
    let reply = app
        .post(reply_to("/here", "r", &missing).to_string(), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["error"], "invalid_parent");
    let elsewhere = app
        .post(reply_to("/elsewhere", "r", &here["id"]).to_string(), None)
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(elsewhere.json()["error"], "invalid_parent");
    assert_eq!(app.count().await, before);

    let before = held.count().await;
    let to_pending = held
        .post(reply_to("/here", "r", &pending["id"]).to_string(), None)
        .await;
    assert_eq!(to_pending.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(to_pending.json()["error"], "invalid_parent");
    assert_eq!(held.count().await, before);

    let bad_type = app
        .post(reply_to("/here", "r", &json!("12")).to_string(), None)
        .await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
}

/// The avatar is a keyed hash: the same address (in any case) gives the same avatar,
/// another address another one, and it is none of the unkeyed hashes a guesser could
/// compute (SHA-256 or MD5 of the address, as Gravatar uses).
#[tokio::test]
async fn avatars_reveal_nothing_about_the_email() {
    let app = spawn(&[]).await;
    let with = |email: &str, identity: Option<&str>| {
        let mut body = comment("/av", &format!("texte de {email} {identity:?}"));
        body["email"] = json!(email);
        if let Some(identity) = identity {
            body["identity"] = json!(identity);
        }
        body.to_string()
    };
    // The first comment gets an identity; the browser sends it back with the next.
    let one = app.post(with("zoe@example.org", None), None).await.json();
    let identity = one["identity"].as_str().unwrap().to_owned();
    assert_eq!(identity.len(), 32);
    let avatar = one["avatar"].as_str().unwrap();
    assert_eq!(avatar.len(), 16);
    assert!(avatar.bytes().all(|b| b.is_ascii_hexdigit()));
    let same = app
        .post(with("zoe@example.org", Some(&identity)), None)
        .await
        .json();
    assert_eq!(same["avatar"], avatar, "the same identity, the same avatar");
    assert!(same.get("identity").is_none(), "no new identity is made");
    // The same address without the identity: another avatar. Nobody can confirm a
    // guessed address by posting with it.
    let guess = app.post(with("zoe@example.org", None), None).await.json();
    assert_ne!(guess["avatar"], avatar);
    let other = app.post(with("max@example.org", None), None).await.json();
    assert_ne!(other["avatar"], avatar);
    let sha = hex(&Sha256::digest(b"zoe@example.org"));
    assert!(!sha.contains(avatar));
    assert!(!hex(&Sha256::digest(identity.as_bytes())).contains(avatar));
    let listed = app.get("/api/v1/comments?page=/av").await.json();
    assert_eq!(listed["comments"][0]["avatar"], avatar);
    // A malformed identity is no identity: a new one is made.
    let forged = app
        .post(with("zoe@example.org", Some("not-an-identity")), None)
        .await
        .json();
    assert!(forged["identity"].is_string());
    assert_ne!(forged["avatar"], avatar);
}

/// In the default mode, a first-time commenter's comment is held; once the site owner
/// approves one, the same address (in any case) is published at once.
#[tokio::test]
async fn first_time_commenters_are_held_until_approved() {
    let app = spawn(&["--moderation", "first-time"]).await;
    let first = app.post(comment("/ft", "Bonjour").to_string(), None).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    let identity = first.json()["identity"].as_str().unwrap().to_owned();
    let mine = |text: &str| {
        let mut body = comment("/ft", text);
        body["identity"] = json!(identity);
        body.to_string()
    };
    let again = app.post(mine("Encore moi"), None).await;
    assert_eq!(
        again.status,
        StatusCode::ACCEPTED,
        "not known until approved"
    );
    let id = first.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.store
            .approve(&[id], 0, Default::default())
            .await
            .unwrap(),
        1
    );
    // Known by the identity their browser holds, whatever the address.
    let mut known: Value = serde_json::from_str(&mine("Me revoilà")).unwrap();
    known["email"] = json!("autre@example.org");
    assert_eq!(
        app.post(known.to_string(), None).await.status,
        StatusCode::CREATED
    );
    // The approved address, without the identity, is a stranger: held.
    let impostor = app
        .post_from(
            "203.0.113.5",
            comment("/ft", "C'est moi, Zoé").to_string(),
            &[],
        )
        .await;
    assert_eq!(impostor.status, StatusCode::ACCEPTED);
    let public = app.get("/api/v1/comments?page=/ft").await.json();
    let texts: Vec<&str> = public["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Bonjour", "Me revoilà"]);
}
