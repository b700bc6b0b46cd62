//! The author's own edit and deletion, within the window.

use super::*;

/// The author edits and deletes their own comment with the token its creation returned,
/// within the window; not with another token, and not after the window. A deleted comment
/// with replies stays as a placeholder.
#[tokio::test]
async fn authors_edit_and_delete_their_comment_within_the_window() {
    let app = spawn(&["--edit-window", "15"]).await;
    let created = app
        .post(comment("/e", "Premier jet").to_string(), None)
        .await
        .json();
    let id = created["id"].as_i64().unwrap();
    let token = created["edit_token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(
        created["editable_until"],
        created["created"].as_i64().unwrap() + 15 * 60 * 1000
    );
    assert!(
        !app.get("/api/v1/comments?page=/e")
            .await
            .text()
            .contains(&token),
        "never public"
    );
    let edit = |token: Option<&str>, text: &str| {
        let mut request = Request::put(format!("/api/v1/comments/{id}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header("causerie-edit-token", token);
        }
        request
            .body(Body::from(json!({ "comment": text }).to_string()))
            .unwrap()
    };
    let wrong = app
        .send(edit(Some("0123456789abcdef0123456789abcdef"), "Volé"))
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.json()["error"], "forbidden");
    assert_eq!(
        app.send(edit(None, "Volé")).await.status,
        StatusCode::FORBIDDEN
    );
    let empty = app.send(edit(Some(&token), "  ")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let edited = app.send(edit(Some(&token), "Version corrigée")).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["text"], "Version corrigée");
    assert_eq!(
        app.get("/api/v1/comments?page=/e").await.json()["comments"][0]["text"],
        "Version corrigée"
    );

    // After the window: refused (the clock moves; nothing sleeps).
    app.clock.advance(15 * 60 * 1000 + 1);
    let closed = app.send(edit(Some(&token), "Trop tard")).await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
    assert_eq!(closed.json()["error"], "edit_window_closed");
    app.clock.advance(-(15 * 60 * 1000 + 1));

    // Deleted with a reply: a placeholder. Without: gone.
    let mut reply = comment("/e", "Une réponse");
    reply["parent"] = json!(id);
    app.post(reply.to_string(), None).await;
    let delete = |id: i64, token: &str| {
        Request::delete(format!("/api/v1/comments/{id}"))
            .header("causerie-edit-token", token)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(
        app.send(delete(id, &token)).await.status,
        StatusCode::NO_CONTENT
    );
    let thread = app.get("/api/v1/comments?page=/e").await.json();
    assert_eq!(thread["comments"][0]["deleted"], true);
    assert_eq!(thread["comments"][0]["text"], "");
    assert_eq!(
        app.send(delete(id, &token)).await.status,
        StatusCode::NOT_FOUND,
        "once"
    );
    let alone = app
        .post(comment("/e", "Seul").to_string(), None)
        .await
        .json();
    let alone_token = alone["edit_token"].as_str().unwrap().to_owned();
    let alone_id = alone["id"].as_i64().unwrap();
    assert_eq!(
        app.send(delete(alone_id, &alone_token)).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        !app.get("/api/v1/comments?page=/e")
            .await
            .text()
            .contains("Seul")
    );

    // With the window at 0, no token is given.
    let none = spawn(&["--edit-window", "0"]).await;
    let created = none
        .post(comment("/e", "Sans jeton").to_string(), None)
        .await
        .json();
    assert!(created.get("edit_token").is_none());
}
