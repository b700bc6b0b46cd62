//! Notifications: the signed webhook, its retries.

use super::*;

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
        std::sync::Arc::new(hook),
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
