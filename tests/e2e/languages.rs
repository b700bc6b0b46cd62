//! Languages: right to left, the browser's language, a site owner's wording.

use super::*;

/// An Arabic page gets the widget in Arabic, mirrored: the loader sets `dir="rtl"` from
/// the language file, and the fields' labels start at the right.
#[tokio::test]
async fn an_arabic_page_gets_a_mirrored_widget() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="ar"><head><meta charset="utf-8"><title>مقال</title></head>
<body><h1>مقال</h1><script src="{}/embed.js" defer></script></body></html>"#,
            w
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "arabic", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        assert_eq!(js(&c, "return root.querySelector('h2').textContent;").await?, json!("اترك تعليقًا"));
        assert_eq!(js(&c, "return host.dir;").await?, json!("rtl"));
        let mirrored = js(&c, "const box = root.querySelector('.causerie').getBoundingClientRect();
            const label = root.querySelector('label[for=causerie-author]').getBoundingClientRect();
            return [getComputedStyle(root.querySelector('form')).direction, Math.abs(box.right - label.right) < 2];").await?;
        assert_eq!(mirrored, json!(["rtl", true]));
        Ok(())
    })
    .await
    .unwrap();
}

/// Without `data-lang` or `<html lang>`, the widget speaks the browser's language.
#[tokio::test]
async fn without_a_page_language_the_browser_language_is_used() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html><head><meta charset="utf-8"><title>x</title></head>
<body><script src="{w}/embed.js" defer></script></body></html>"#
        )
    });
    let url = site.url("/");
    let browser = Browser::start_in("de-DE");
    with_session(&browser, "german", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        assert_eq!(js(&c, "return navigator.language;").await?, json!("de-DE"));
        assert_eq!(
            js(&c, "return root.querySelector('h2').textContent;").await?,
            json!("Schreibe einen Kommentar")
        );
        Ok(())
    })
    .await
    .unwrap();
}

/// A site owner rewords messages from the embed tag, without rebuilding: known names are
/// replaced, an unknown one is reported and ignored, and a reader downloads only their
/// own language's file.
#[tokio::test]
async fn a_site_owner_overrides_single_messages() {
    preconditions();
    let TwoOrigins {
        site,
        comments: _comments,
        _dir,
    } = two_origins(|w| {
        format!(
            r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title></head>
<body><main><h1>Article</h1>
<script src="{w}/embed.js" data-strings='{{"Submit": "Publier mon avis", "Heading": "Votre avis", "count.none": "Soyez le premier !", "Nope": "x"}}' defer></script>
</main></body></html>"#
        )
    });
    let url = site.url("/");
    let browser = Browser::start();
    with_session(&browser, "strings", |c| async move {
        c.goto(&url).await?;
        open_comments(&c).await?;
        until(&c, "the count", "root.querySelector('[data-testid=count]').textContent !== ''").await?;
        let shown = js(&c, "return [root.querySelector('[data-testid=submit]').textContent.trim(),
            root.querySelector('form .heading').textContent, root.querySelector('[data-testid=count]').textContent,
            root.querySelector('label[for=causerie-author]').textContent];").await?;
        assert_eq!(shown, json!(["Publier mon avis", "Votre avis", "Soyez le premier !", "Nom *"]));
        let languages = js(&c, "return performance.getEntriesByType('resource').map(r => r.name)
            .filter(n => n.includes('/i18n/')).map(n => n.split('/').pop()).sort();").await?;
        assert_eq!(languages, json!(["fr.json", "keys.json"]));
        Ok(())
    })
    .await
    .unwrap();
}
