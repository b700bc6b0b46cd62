//! Threads: replies nest alike for two readers; a held comment is its author's only.

use super::*;

/// Two readers: one comments, the other replies, the first replies to the reply. Both
/// see the same thread, in order, nested; the replies were posted with their parents.
#[tokio::test]
async fn replies_nest_alike_for_two_readers() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let browser = Browser::start();
    let page = server.url("/");
    with_two_sessions(&browser, |author, reader| async move {
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, "Premier !", "a@example.org").await?;
        until(
            &author,
            "the comment",
            "root.querySelectorAll('li[data-id]').length === 1",
        )
        .await?;

        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the author's comment",
            "root.querySelectorAll('li[data-id]').length === 1",
        )
        .await?;
        reply_to(&reader, "Premier !").await?;
        let heading = js(
            &reader,
            "return root.querySelector('form .heading').textContent;",
        )
        .await?;
        assert_eq!(heading, json!("Répondre à Amélie Durand"));
        fill_and_submit(&reader, "Une réponse", "b@example.org").await?;
        until(
            &reader,
            "the reply",
            "root.querySelectorAll('li[data-id]').length === 2",
        )
        .await?;
        assert_eq!(
            thread_shape(&reader).await?,
            [("Premier !".into(), 1), ("Une réponse".into(), 2)]
        );

        author.refresh().await?;
        open_comments(&author).await?;
        until(
            &author,
            "the reply",
            "root.querySelectorAll('li[data-id]').length === 2",
        )
        .await?;
        reply_to(&author, "Une réponse").await?;
        fill_and_submit(&author, "Réponse à la réponse", "a@example.org").await?;
        until(
            &author,
            "the reply to the reply",
            "root.querySelectorAll('li[data-id]').length === 3",
        )
        .await?;
        // A comment on the article, after the thread.
        fill_and_submit(&author, "Autre chose", "a@example.org").await?;
        until(
            &author,
            "the second thread",
            "root.querySelectorAll('li[data-id]').length === 4",
        )
        .await?;

        reader.refresh().await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the whole thread",
            "root.querySelectorAll('li[data-id]').length === 4",
        )
        .await?;
        let expected: Vec<(String, u32)> = vec![
            ("Premier !".into(), 1),
            ("Une réponse".into(), 2),
            ("Réponse à la réponse".into(), 3),
            ("Autre chose".into(), 1),
        ];
        assert_eq!(thread_shape(&reader).await?, expected);
        assert_eq!(thread_shape(&author).await?, expected);
        let count = js(
            &reader,
            "return root.querySelector('[data-testid=count]').textContent;",
        )
        .await?;
        assert_eq!(count, json!("4 commentaires"));
        Ok(())
    })
    .await
    .unwrap();
    // The server stored the tree, not just the texts.
    let api: Value = serde_json::from_str(
        server
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .split("\r\n\r\n")
            .nth(1)
            .unwrap(),
    )
    .unwrap();
    let comments = api["comments"].as_array().unwrap();
    let id_of = |text: &str| comments.iter().find(|c| c["text"] == text).unwrap()["id"].clone();
    let parent_of =
        |text: &str| comments.iter().find(|c| c["text"] == text).unwrap()["parent"].clone();
    assert_eq!(parent_of("Premier !"), Value::Null);
    assert_eq!(parent_of("Une réponse"), id_of("Premier !"));
    assert_eq!(parent_of("Réponse à la réponse"), id_of("Une réponse"));
    assert_eq!(parent_of("Autre chose"), Value::Null);
}

/// On a site that holds comments for moderation, a held comment is seen by its author,
/// marked, even after a reload, and by nobody else.
#[tokio::test]
async fn a_held_comment_is_seen_by_its_author_only() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--moderation", "hold"],
    );
    let browser = Browser::start();
    let page = server.url("/");
    with_two_sessions(&browser, |author, reader| async move {
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, "En attente, moi ?", "a@example.org").await?;
        until(
            &author,
            "the held comment",
            "root.querySelector('li[data-id] .badge')",
        )
        .await?;
        author.refresh().await?;
        open_comments(&author).await?;
        until(
            &author,
            "the held comment after a reload",
            "root.querySelector('li[data-id] .badge')",
        )
        .await?;
        let badge = js(
            &author,
            "return root.querySelector('li[data-id] .badge').textContent;",
        )
        .await?;
        assert_eq!(badge, json!("En attente de modération"));
        assert_eq!(texts(&author).await?, ["En attente, moi ?"]);

        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the count",
            "root.querySelector('[data-testid=count]').textContent === 'Aucun commentaire'",
        )
        .await?;
        assert!(texts(&reader).await?.is_empty());
        Ok(())
    })
    .await
    .unwrap();
    assert!(
        !server
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .contains("En attente, moi")
    );
    assert_eq!(server.stored("En attente, moi ?").await, 1);
}
