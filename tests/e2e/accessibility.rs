//! Accessibility: axe-core in every state, the keyboard alone, the theme at runtime.

use super::*;

/// axe-core finds nothing wrong on the demo article with its widget, in light and in
/// dark: the empty form, the form with errors, while sending, after posting, a thread
/// with replies, and the form open to reply.
#[tokio::test]
async fn axe_finds_no_violation_in_any_state_in_light_and_dark() {
    preconditions();
    let axe_js = axe_source();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.post_json(&json!({"page": DEMO_PAGE, "comment": "Premier ! https://example.org/a", "author": "Ana", "email": "a@example.org", "url": "ana.example.org"}));
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "axe", |c| async move {
        let mut violations = Vec::new();
        for theme in ["light", "dark"] {
            c.goto(&page).await?;
            if theme == "dark" {
                press_theme_switch(&c).await?;
                until(&c, "the dark widget", "host.dataset.scheme === 'dark'").await?;
            }
            open_comments(&c).await?;
            until(&c, "the thread", "root.querySelector('li[data-id]')").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, empty")).await?);
            click_submit(&c).await?;
            until(&c, "the errors", "root.querySelector('[aria-invalid=true]')").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, errors")).await?);
            // Sending: the server's answer is held back.
            js(&c, "window.__fetch = window.fetch; window.fetch = (url, init) =>
                init && init.method === 'POST' ? new Promise(r => { window.__go = () => r(window.__fetch(url, init)); }) : window.__fetch(url, init);").await?;
            fill_and_submit(&c, "Une réponse accessible.", "b@example.org").await?;
            until(&c, "the post in flight", "root.querySelector('[data-testid=submit]').disabled").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, sending")).await?);
            js(&c, "window.__go();").await?;
            until(&c, "the posted comment", "root.querySelectorAll('li[data-id]').length >= 2").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, posted")).await?);
            reply_to(&c, "Premier ! https://example.org/a").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, replying")).await?);
            // The author's own comment: its editor, and a refused edit.
            click_on_comment(&c, "Une réponse accessible.", "edit").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, editing")).await?);
            type_in(&c, "editor", " ").await?;
            js(&c, "root.querySelector('[data-testid=save]').click();").await?;
            until(&c, "the edit's error", "root.querySelector('[data-testid=entry-error]')").await?;
            violations.extend(axe(&c, &axe_js, &format!("{theme}, edit refused")).await?);
        }
        assert!(violations.is_empty(), "axe found:\n{}", violations.join("\n"));
        Ok(())
    })
    .await
    .unwrap();
}

/// The whole flow by keyboard alone: tab to the form, type, submit, meet errors, fix
/// them, post; reply to a comment, cancel, reply again. Focus always shows, and is never
/// lost: after errors it is on the first wrong field, after Cancel on the Reply button.
#[tokio::test]
async fn the_whole_flow_works_by_keyboard_alone() {
    preconditions();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.post_json(&json!({"page": DEMO_PAGE, "comment": "Premier !", "author": "Ana", "email": "a@example.org"}));
    let browser = Browser::start();
    let page = server.url("/");
    with_session(&browser, "keyboard", |c| async move {
        c.goto(&page).await?;
        open_comments(&c).await?;
        until(&c, "the thread", "root.querySelector('li[data-id]')").await?;
        js(&c, "window.scrollTo(0, 0); document.activeElement.blur();").await?;
        tab_to(&c, "comment", 40).await?;
        press(&c, "Un commentaire au clavier.").await?;
        tab_to(&c, "author", 1).await?;
        press(&c, "Zoé").await?;
        tab_to(&c, "email", 1).await?;
        press(&c, "zoe@").await?;
        tab_to(&c, "url", 1).await?;
        tab_to(&c, "remember", 1).await?;
        tab_to(&c, "submit", 1).await?;
        press(&c, ENTER).await?;
        until(
            &c,
            "the error",
            "root.querySelector('[data-testid=email-error]').textContent !== ''",
        )
        .await?;
        assert_eq!(
            focused(&c).await?,
            ("email".to_owned(), true),
            "focus goes to the first wrong field"
        );
        press(&c, "example.org").await?;
        tab_to(&c, "url", 1).await?;
        tab_to(&c, "remember", 1).await?;
        tab_to(&c, "submit", 1).await?;
        press(&c, ENTER).await?;
        until(
            &c,
            "the comment",
            "root.querySelectorAll('li[data-id]').length === 2",
        )
        .await?;
        let status = js(
            &c,
            "return root.querySelector('[data-testid=status]').textContent;",
        )
        .await?;
        assert_eq!(status, json!("Votre commentaire est publié."));

        // Reply to the first comment, cancel, and reply again.
        tab_to(&c, "reply", 20).await?;
        press(&c, ENTER).await?;
        assert_eq!(
            focused(&c).await?.0,
            "comment",
            "Reply puts focus in the form"
        );
        let heading = js(
            &c,
            "return root.querySelector('form .heading').textContent;",
        )
        .await?;
        assert_eq!(heading, json!("Répondre à Ana"));
        tab_to(&c, "cancel", 10).await?;
        press(&c, ENTER).await?;
        assert_eq!(
            focused(&c).await?,
            ("reply".to_owned(), true),
            "Cancel gives focus back to Reply"
        );
        press(&c, ENTER).await?;
        press(&c, "Merci !").await?;
        tab_to(&c, "submit", 10).await?;
        press(&c, ENTER).await?;
        until(
            &c,
            "the reply",
            "root.querySelector('li[data-id] > .replies > li[data-id]')",
        )
        .await?;
        // Focus goes to the reply just posted, and shows.
        assert_eq!(focused(&c).await?, ("entry".to_owned(), true));
        back_tab(&c).await?;
        assert_ne!(focused(&c).await?.0, "body");
        Ok(())
    })
    .await
    .unwrap();
}

/// Themes: `data-theme="auto"` follows the page's `<html>` as it toggles a class or
/// `data-theme` at runtime, and `dark` is dark whatever the page says.
#[tokio::test]
async fn the_theme_follows_the_page_at_runtime() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Themes</title></head>
<body><main><h1>Themes</h1><div id="auto"></div><div id="dark"></div>
<script src="{w}/embed.js" data-target="#auto" data-theme="auto" defer></script>
<script src="{w}/embed.js" data-target="#dark" data-theme="dark" defer></script></main></body></html>"##
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "themes", |c| async move {
        c.goto(&url).await?;
        let background = |id: &str| {
            format!(
                "return getComputedStyle(document.querySelector('#{id}').shadowRoot.querySelector('.causerie')).backgroundColor;"
            )
        };
        until(&c, "both widgets", "document.querySelector('#auto').shadowRoot && document.querySelector('#dark').shadowRoot").await?;
        assert_eq!(js(&c, &background("dark")).await?, json!("rgb(27, 30, 36)"));
        assert_eq!(js(&c, &background("auto")).await?, json!("rgba(0, 0, 0, 0)"));
        for (toggle, scheme) in [
            ("document.documentElement.classList.add('dark')", "dark"),
            ("document.documentElement.classList.remove('dark')", "light"),
            ("document.documentElement.dataset.theme = 'dark'", "dark"),
            ("document.documentElement.dataset.theme = 'light'", "light"),
        ] {
            js(&c, toggle).await?;
            until(&c, toggle, &format!("document.querySelector('#auto').dataset.scheme === '{scheme}'")).await?;
            let expected = if scheme == "dark" { "rgb(27, 30, 36)" } else { "rgba(0, 0, 0, 0)" };
            assert_eq!(js(&c, &background("auto")).await?, json!(expected), "{toggle}");
            assert_eq!(js(&c, &background("dark")).await?, json!("rgb(27, 30, 36)"), "{toggle}");
        }
        Ok(())
    })
    .await
    .unwrap();
}
