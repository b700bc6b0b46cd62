//! The smallest backend the Causerie widget can talk to: in memory, in one file.
//!
//! Run it with `cargo run -p minimal-backend`, then point the widget at it:
//! `<script src="http://127.0.0.1:8080/embed.js" data-backend="http://127.0.0.1:3000" defer>`.
//! It implements `docs/protocol.md` with the shared rules of `causerie-protocol`, and
//! nothing else: no storage, no moderation, no idempotency keys. The reference server
//! (`server/`) is the complete implementation.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    routing::get,
};
use causerie_protocol::{Comment, CommentList, ErrorBody, ErrorCode, NewComment, Status};
use tower_http::cors::{Any, CorsLayer};

type Comments = Arc<Mutex<Vec<Comment>>>;

#[derive(serde::Deserialize)]
struct Page {
    page: String,
}

/// `GET /api/v1/comments?page=…`: the page's comments, oldest first.
async fn list(State(comments): State<Comments>, Query(q): Query<Page>) -> Json<CommentList> {
    let all = comments.lock().unwrap();
    let comments: Vec<Comment> = all.iter().filter(|c| c.page == q.page).cloned().collect();
    Json(CommentList {
        total: comments.len() as u64,
        comments,
        next: None,
        // This backend mails nobody: the form offers no box for replies by mail.
        mail: false,
    })
}

/// `POST /api/v1/comments`: validate with the shared rules, store, answer 201.
async fn create(
    State(comments): State<Comments>,
    Json(new): Json<NewComment>,
) -> Result<(StatusCode, Json<Comment>), (StatusCode, Json<ErrorBody>)> {
    let valid = new.validate().map_err(|fields| {
        let body = ErrorBody {
            error: ErrorCode::InvalidFields,
            fields,
            retry_after: None,
        };
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body))
    })?;
    let mut all = comments.lock().unwrap();
    // A reply must answer a comment of the same page.
    if let Some(parent) = valid.parent()
        && !all.iter().any(|c| c.id == parent && c.page == valid.page())
    {
        let body = ErrorBody {
            error: ErrorCode::InvalidParent,
            fields: Vec::new(),
            retry_after: None,
        };
        return Err((StatusCode::UNPROCESSABLE_ENTITY, Json(body)));
    }
    let comment = Comment {
        id: all.len() as i64 + 1,
        parent: valid.parent(),
        page: valid.page().to_owned(),
        author: valid.author().to_owned(),
        url: valid.url().map(str::to_owned),
        text: valid.comment().to_owned(),
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
        status: Status::Published,
        // No avatar: the widget shows a neutral one. The reference server derives it from
        // the e-mail with a keyed hash; never send a plain hash of an e-mail.
        avatar: String::new(),
        deleted: false,
    };
    // The e-mail (`valid.email()`) would be kept for the site owner; it is never sent back.
    all.push(comment.clone());
    Ok((StatusCode::CREATED, Json(comment)))
}

/// The whole backend. Any origin may call it: this is an example, not a deployment.
fn app(comments: Comments) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any);
    Router::new()
        .route("/api/v1/comments", get(list).post(create))
        .layer(cors)
        .with_state(comments)
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000")
        .await
        .unwrap();
    println!("minimal Causerie backend on http://127.0.0.1:3000");
    axum::serve(listener, app(Comments::default()))
        .await
        .unwrap();
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn posts_then_lists_without_the_email() {
        let app = app(Comments::default());
        let body = r#"{"page":"/a","comment":"Bonjour","author":"Zoé","email":"zoe@example.org"}"#;
        let post = Request::post("/api/v1/comments")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        assert_eq!(
            app.clone().oneshot(post).await.unwrap().status(),
            StatusCode::CREATED
        );
        let bad = Request::post("/api/v1/comments")
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"page":"/a","comment":"","author":"","email":"zoe@"}"#,
            ))
            .unwrap();
        assert_eq!(
            app.clone().oneshot(bad).await.unwrap().status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let get = Request::get("/api/v1/comments?page=/a")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(get).await.unwrap();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let list: CommentList = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(list.comments.len(), 1);
        assert_eq!(list.comments[0].text, "Bonjour");
        assert!(!String::from_utf8_lossy(&bytes).contains("zoe@example.org"));
    }
}
