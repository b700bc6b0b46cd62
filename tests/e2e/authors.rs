//! The author's Edit and Delete, within the window, and nobody else's.

use super::*;

/// The author edits, then deletes, their own comment within the site's window, with real
/// clicks, and cannot after it; another reader sees no buttons and gets 403 without the
/// token, with a forged one, or with the author's token for another comment; a token
/// replayed after its comment is gone does nothing.
#[tokio::test]
async fn the_author_edits_and_deletes_within_the_window_and_nobody_else_can() {
    preconditions();
    const WINDOW_SECONDS: u64 = 20;
    let dir = tempfile::tempdir().unwrap();
    let window = format!("{WINDOW_SECONDS}s");
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--edit-window", &window],
    );
    let browser = Browser::start();
    let page = server.url("/");
    let late = "Celui-ci attendra la fin du délai";
    let first = "Premier jet, à revoir";
    let fixed = "Version corrigée";
    with_two_sessions(&browser, |author, reader| async move {
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, late, "a@example.org").await?;
        until(&author, "the first comment", "root.querySelectorAll('li[data-id]').length === 1").await?;
        // The end of its window, as the server gave it.
        let late_id = comment_id(&author, late).await?;
        let kept = js(&author, &format!("return localStorage.getItem('causerie:edit:{late_id}');")).await?;
        let late_token = kept.as_str().ok_or("no token kept")?.split('\n').next().ok_or("no token")?.to_owned();
        let until_ms: u64 = kept.as_str().ok_or("no token kept")?.split('\n').nth(1).ok_or("no end")?.parse()?;
        fill_and_submit(&author, first, "a@example.org").await?;
        until(&author, "the second comment", "root.querySelectorAll('li[data-id]').length === 2").await?;
        assert!(has_author_buttons(&author, first).await?);
        assert!(has_author_buttons(&author, late).await?);

        // Edit, with real clicks and keys.
        click_on_comment(&author, first, "edit").await?;
        type_in(&author, "editor", fixed).await?;
        let host = author.find(Locator::Css("[data-causerie]")).await?;
        host.shadow_root().await?.find(Locator::Css("[data-testid=save]")).await?.click().await?;
        until(&author, "the edited text", &format!(
            "[...root.querySelectorAll('[data-testid=entry-text]')].some(e => e.textContent === {fixed:?})"
        )).await?;
        let fixed_id = comment_id(&author, fixed).await?;
        let fixed_token = js(&author, &format!("return localStorage.getItem('causerie:edit:{fixed_id}').split('\\n')[0];")).await?;
        let fixed_token = fixed_token.as_str().ok_or("no token")?.to_owned();

        // Another reader: no buttons; no token, a forged one, or the author's token for
        // another comment are all refused.
        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(&reader, "the thread", "root.querySelectorAll('li[data-id]').length === 2").await?;
        assert!(!has_author_buttons(&reader, fixed).await?);
        assert!(!has_author_buttons(&reader, late).await?);
        for method in ["PUT", "DELETE"] {
            assert_eq!(author_request(&reader, method, &fixed_id, "").await?, 403, "{method} without a token");
            assert_eq!(author_request(&reader, method, &fixed_id, "0123456789abcdef0123456789abcdef").await?, 403, "{method} with a forged token");
            assert_eq!(author_request(&reader, method, &late_id, &fixed_token).await?, 403, "{method} with another comment's token");
        }

        // Delete: the browser asks first.
        click_on_comment(&author, fixed, "delete").await?;
        author.accept_alert().await?;
        until(&author, "the deletion", "root.querySelectorAll('li[data-id]').length === 1").await?;
        assert_eq!(
            js(&author, "return root.querySelector('[data-testid=count]').textContent;").await?,
            json!("1 commentaire")
        );
        // Replayed, the token of a deleted comment does nothing.
        assert_eq!(author_request(&reader, "DELETE", &fixed_id, &fixed_token).await?, 404);
        assert_eq!(author_request(&reader, "PUT", &fixed_id, &fixed_token).await?, 404);

        // After the window: the server refuses even the right token; the widget, whose
        // page was open all along, says so and drops the buttons.
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(until_ms.saturating_sub(now) + 500)).await;
        assert_eq!(author_request(&author, "PUT", &late_id, &late_token).await?, 403);
        assert_eq!(author_request(&author, "DELETE", &late_id, &late_token).await?, 403);
        assert!(has_author_buttons(&author, late).await?, "still shown since the page loaded");
        click_on_comment(&author, late, "edit").await?;
        until(&author, "the refusal", "root.querySelector('[data-testid=entry-error]')").await?;
        assert_eq!(
            js(&author, "return root.querySelector('[data-testid=entry-error]').textContent;").await?,
            json!("Le délai pour modifier ce commentaire est écoulé.")
        );
        assert!(!has_author_buttons(&author, late).await?);
        author.refresh().await?;
        open_comments(&author).await?;
        until(&author, "the thread after a reload", "root.querySelectorAll('li[data-id]').length === 1").await?;
        assert!(!has_author_buttons(&author, late).await?);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(server.stored(late).await, 1, "unchanged after the window");
    assert_eq!(server.stored("Volé !").await, 0);
    assert_eq!(server.stored(first).await, 0);
    assert!(
        !server
            .get(&format!("/api/v1/comments?page={DEMO_PAGE}"))
            .contains(fixed)
    );
}
