//! Moderation and spam defences with the real widget and the admin page.

use super::*;

/// The default, first-time moderation, end to end: a new commenter's comment is held and
/// seen by its author only; the site owner logs in to the admin page and approves it; a
/// second reader then sees it. axe-core finds nothing wrong with the admin page, in light
/// and dark.
#[tokio::test]
async fn a_first_time_comment_is_approved_on_the_admin_page() {
    preconditions();
    let axe_js = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("causerie.db");
    let server = Server::start_with(
        free_port(),
        database.clone(),
        root().join("www"),
        &["--moderation", "first-time"],
    );
    set_admin_password(&database, "correct horse battery staple");
    let browser = Browser::start();
    let page = server.url("/");
    let admin = server.url("/admin");
    let comment = "Première fois ici : bravo pour l’article.";
    let first_page = page.clone();
    // The identity the server gave the author's browser, which keeps it.
    let kept = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let kept_in = kept.clone();
    with_two_sessions(&browser, |author, reader| async move {
        let page = first_page;
        author.goto(&page).await?;
        open_comments(&author).await?;
        fill_and_submit(&author, comment, "nouvelle@example.org").await?;
        until(
            &author,
            "the held comment",
            "root.querySelector('li[data-id] .badge')",
        )
        .await?;
        let identity = js(&author, "return localStorage.getItem('causerie:identity');").await?;
        *kept_in.lock().unwrap() = identity.as_str().unwrap_or_default().to_owned();
        reader.goto(&page).await?;
        open_comments(&reader).await?;
        until(
            &reader,
            "the count",
            "root.querySelector('[data-testid=count]').textContent === 'Aucun commentaire'",
        )
        .await?;
        Ok(())
    })
    .await
    .unwrap();

    let mut violations = Vec::new();
    for (scheme, flags) in [
        ("light", &[][..]),
        (
            "dark",
            &[
                "--force-dark-mode",
                "--blink-settings=preferredColorScheme=0",
            ][..],
        ),
    ] {
        let owner = browser
            .session_with(&format!("owner-{scheme}"), flags)
            .await
            .unwrap();
        let steps = async {
            owner.goto(&admin).await?;
            assert_eq!(
                js(
                    &owner,
                    "return matchMedia('(prefers-color-scheme: dark)').matches;"
                )
                .await?,
                json!(scheme == "dark")
            );
            violations.extend(axe(&owner, &axe_js, &format!("admin login, {scheme}")).await?);
            admin_login(&owner, &admin, "correct horse battery staple").await?;
            let listed = js(
                &owner,
                "return document.querySelector('ol.comments li.held').textContent;",
            )
            .await?;
            assert!(
                listed.as_str().unwrap().contains("nouvelle@example.org"),
                "{listed}"
            );
            violations.extend(axe(&owner, &axe_js, &format!("admin list, {scheme}")).await?);
            if scheme == "dark" {
                owner
                    .find(Locator::Css(
                        "ol.comments li.held button[formaction='/admin/comments/approve']",
                    ))
                    .await?
                    .click()
                    .await?;
                owner.wait().for_element(Locator::Css("p.notice")).await?;
                violations.extend(
                    axe(&owner, &axe_js, &format!("admin after approving, {scheme}")).await?,
                );
                assert!(
                    js(&owner, "return document.querySelector('li.held');")
                        .await?
                        .is_null()
                );
            }
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        }
        .await;
        owner.close().await.unwrap();
        steps.unwrap();
    }
    assert!(
        violations.is_empty(),
        "axe found:\n{}",
        violations.join("\n")
    );

    with_session(&browser, "second-reader", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(
            &c,
            "the approved comment",
            "root.querySelectorAll('li[data-id]').length === 1",
        )
        .await?;
        assert_eq!(texts(&c).await?, [comment]);
        assert!(
            js(&c, "return root.querySelector('.badge');")
                .await?
                .is_null()
        );
        Ok(())
    })
    .await
    .unwrap();
    // Known now, by the identity their browser kept: the same commenter's next comment
    // is published at once, whatever address they type.
    let identity = kept.lock().unwrap().clone();
    assert_eq!(identity.len(), 32, "the browser keeps its identity");
    let body = json!({"page": DEMO_PAGE, "comment": "Encore moi", "author": "Amélie",
        "email": "autre@example.org", "identity": identity});
    server.post_json(&body);
    // The approved address without that identity is a stranger's: held.
    let impostor = json!({"page": DEMO_PAGE, "comment": "C'est moi", "author": "Amélie",
        "email": "nouvelle@example.org"});
    server.post_expecting(&impostor, 202);
}

/// The spam defences with the real widget: a comment posted sooner after the page
/// appeared than `--min-seconds` is refused, and said so in French, with the text kept;
/// later it goes through, carrying the form token that came with the thread through
/// CORS; past `--max-posts-per-ip`, the widget says how long to wait.
#[tokio::test]
async fn the_widget_meets_the_spam_defences_with_words() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &[
            "--min-seconds",
            "5",
            "--max-posts-per-ip",
            "1",
            "--post-window",
            "600",
        ],
    );
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "spam", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelector('[data-testid=count]').textContent !== ''").await?;
        let loaded = Instant::now();
        let status = "root.querySelector('[data-testid=status]').textContent";
        fill_and_submit(&c, "Trop vite ?", "vite@example.org").await?;
        until(&c, "the refusal", &format!("{status} === 'C’était rapide ! Relisez votre commentaire, puis envoyez-le à nouveau.'")).await?;
        let kept = js(&c, "return root.querySelector('[data-testid=comment]').value;").await?;
        assert_eq!(kept, json!("Trop vite ?"));
        tokio::time::sleep(Duration::from_secs(5).saturating_sub(loaded.elapsed()) + Duration::from_millis(300)).await;
        click_submit(&c).await?;
        until(&c, "the comment", "root.querySelectorAll('li[data-id]').length === 1").await?;
        fill_and_submit(&c, "Encore un", "vite@example.org").await?;
        until(&c, "the rate limit", &format!("{status} === 'Trop de commentaires en peu de temps : réessayez dans 10 min.'")).await?;
        let kept = js(&c, "return root.querySelector('[data-testid=comment]').value;").await?;
        assert_eq!(kept, json!("Encore un"));
        Ok(())
    })
    .await
    .unwrap();
}

/// With every spam defence at its default, a reader who types at a person's speed is
/// never refused.
#[tokio::test]
async fn a_reader_at_human_speed_is_never_refused() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    // The defaults, which the other tests turn off.
    let server = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &[
            "--min-seconds",
            "3",
            "--max-posts-per-ip",
            "10",
            "--max-links",
            "2",
            "--moderation",
            "first-time",
        ],
    );
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "human", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelector('[data-testid=count]').textContent !== ''").await?;
        for (field, text) in [
            ("comment", "J’ai lu l’article jusqu’au bout : bonne idée, ce dimanche."),
            ("author", "Lucie"),
            ("email", "lucie@example.org"),
        ] {
            type_in(&c, field, text).await?;
            tokio::time::sleep(Duration::from_millis(1200)).await;
        }
        click_submit(&c).await?;
        until(&c, "the answer", "root.querySelector('[data-testid=status]').textContent === 'Merci ! Votre commentaire est en attente de modération.'").await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        server
            .stored("J’ai lu l’article jusqu’au bout : bonne idée, ce dimanche.")
            .await,
        1
    );
}
