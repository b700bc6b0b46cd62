//! The thread as HTML put in pages by others than the widget: nginx's SSI, and a Hugo
//! site's build. Both run `examples/` with Debian's real nginx and Hugo.

use super::*;

/// `text` with `from` replaced by `to`, which must be there.
fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in the example");
    text.replace(from, to)
}

/// Makes `dir` and what is inside readable by nginx's workers (who are not root).
fn readable(dir: &Path) {
    causerie_testkit::readable(dir).unwrap();
}

/// A raw GET of `path` on 127.0.0.1:`port`: the status line and the body.
fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// An article served by a real nginx with `ssi on` (`examples/nginx-ssi`) has the
/// comments' text in its HTML as served, in the widget's shadow root, with a form that
/// sends the reader back to that article.
#[tokio::test]
async fn nginx_includes_the_thread_in_the_article_as_served() {
    const NGINX: &str = "/usr/sbin/nginx";
    assert!(
        Path::new(NGINX).is_file(),
        "{NGINX} is missing: install Debian's nginx (`cargo xtask test` does it as root)"
    );
    let dir = tempfile::tempdir().unwrap();
    let nginx_port = free_port();
    let comments = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--allow-origin", &format!("http://127.0.0.1:{nginx_port}")],
    );
    comments.post("/article.html", "Un commentaire inclus par nginx");

    let example = root().join("examples/nginx-ssi");
    let prefix = dir.path().join("nginx");
    std::fs::create_dir_all(prefix.join("site")).unwrap();
    std::fs::create_dir_all(prefix.join("tmp")).unwrap();
    let conf = std::fs::read_to_string(example.join("nginx.conf")).unwrap();
    let conf = replaced(
        &conf,
        "127.0.0.1:8080",
        &format!("127.0.0.1:{}", comments.port),
    );
    let conf = replaced(&conf, "127.0.0.1:8081", &format!("127.0.0.1:{nginx_port}"));
    std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
    std::fs::copy(
        example.join("site/article.html"),
        prefix.join("site/article.html"),
    )
    .unwrap();
    readable(dir.path());
    let _nginx = Group::spawn(
        Command::new(NGINX)
            .args(["-e", "stderr", "-p"])
            .arg(&prefix)
            .args(["-c", "nginx.conf"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    )
    .unwrap();
    wait_for_port(nginx_port, "nginx");

    let (status, html) = get(nginx_port, "/article.html");
    assert_eq!(status, "HTTP/1.1 200 OK", "{html}");
    assert!(html.contains("Un commentaire inclus par nginx"), "{html}");
    assert!(
        html.contains(r#"<template shadowrootmode="open">"#),
        "{html}"
    );
    assert!(html.contains(">1 commentaire</h2>"), "{html}");
    assert!(
        html.contains(&format!(
            r#"name="redirect_to" value="http://127.0.0.1:{nginx_port}/article.html""#
        )),
        "{html}"
    );
    assert!(!html.contains("<!--#"), "every include was made: {html}");
    // The comment server itself is not reachable through nginx: the includes only.
    let (status, _) = get(
        nginx_port,
        "/causerie/api/v1/thread.html?page=/article.html",
    );
    assert_eq!(status, "HTTP/1.1 404 Not Found");
}

/// A Hugo site (`examples/hugo`), built by Debian's Hugo against a running comment
/// server, has each page's comments in its HTML.
#[tokio::test]
async fn a_hugo_site_built_with_its_comments_has_them_in_its_pages() {
    const HUGO: &str = "/usr/bin/hugo";
    assert!(
        Path::new(HUGO).is_file(),
        "{HUGO} is missing: install Debian's hugo (`cargo xtask test` does it as root)"
    );
    let dir = tempfile::tempdir().unwrap();
    let comments = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--allow-origin", "https://blog.example.com"],
    );
    comments.post("/article/", "Un commentaire dans le site statique");
    let public = dir.path().join("public");
    let output = Command::new(HUGO)
        .arg("--source")
        .arg(root().join("examples/hugo"))
        .arg("--destination")
        .arg(&public)
        .arg("--cacheDir")
        .arg(dir.path().join("cache"))
        .arg("--ignoreCache")
        .env(
            "HUGO_PARAMS_COMMENTS",
            comments.url("").trim_end_matches('/'),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let html = std::fs::read_to_string(public.join("article/index.html")).unwrap();
    assert!(
        html.contains("Un commentaire dans le site statique"),
        "{html}"
    );
    assert!(
        html.contains(r#"<template shadowrootmode="open">"#),
        "{html}"
    );
    assert!(
        html.contains(r#"name="redirect_to" value="https://blog.example.com/article/""#),
        "{html}"
    );
}

/// A dynamic site (`examples/python-site`, Python's standard library) fetches the thread
/// for each request: the comments are in the page as it is served, and the form sends
/// readers back to it.
#[tokio::test]
async fn a_dynamic_site_puts_the_thread_in_each_page_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let site_port = free_port();
    let comments = Server::start_with(
        free_port(),
        dir.path().join("causerie.db"),
        root().join("www"),
        &["--allow-origin", &format!("http://127.0.0.1:{site_port}")],
    );
    comments.post("/article", "Un commentaire servi par le site");
    let _site = Group::spawn(
        Command::new("python3")
            .arg(root().join("examples/python-site/app.py"))
            .env("COMMENTS", comments.url("").trim_end_matches('/'))
            .env("PORT", site_port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    )
    .unwrap();
    wait_for_port(site_port, "the Python site");
    let (status, html) = get(site_port, "/article");
    assert_eq!(status, "HTTP/1.0 200 OK", "{html}");
    assert!(html.contains("Un commentaire servi par le site"), "{html}");
    assert!(
        html.contains(r#"<template shadowrootmode="open">"#),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"name="redirect_to" value="http://127.0.0.1:{site_port}/article""#
        )),
        "{html}"
    );
    // A new comment is in the next page served.
    comments.post("/article", "Un deuxième, aussitôt");
    let (_, html) = get(site_port, "/article");
    assert!(html.contains("Un deuxième, aussitôt"), "{html}");
}
