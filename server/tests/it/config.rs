//! The configuration: flags, the environment, the TOML file and its sites.

use super::*;

#[test]
fn config_is_consistent() {
    Config::command().debug_assert();
    let config = Config::try_parse_from(["causerie-server"]).unwrap();
    // Held until the site owner knows the commenter: the default a public form needs.
    assert_eq!(config.moderation, Moderation::FirstTime);
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    // The last of repeated flags wins, so that a wrapper script can override one.
    let twice = Config::try_parse_from([
        "causerie-server",
        "--moderation",
        "hold",
        "--moderation",
        "publish",
    ])
    .unwrap();
    assert_eq!(twice.moderation, Moderation::Publish);
    assert!(Config::try_parse_from(["causerie-server", "--moderation", "sometimes"]).is_err());
}

/// One TOML file for every setting and the sites; environment variables override it,
/// and flags override both. A site may have its own moderation mode.
#[tokio::test]
async fn a_toml_file_configures_the_server_and_its_sites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("causerie.toml");
    let db = format!("sqlite://{}/toml.db", dir.path().display());
    std::fs::write(
        &file,
        format!(
            r#"
database = "{db}"
moderation = "hold"
max_posts_per_ip = 3
min-seconds = 0
trusted_proxy = ["10.0.0.1", "10.0.0.2"]

owner_email = "Owner <owner@example.com>"

[[site]]
origin = "https://blog.example.com"
moderation = "publish"
owner_email = "blog@example.com"
owner_lang = "ja"

[[site]]
origin = "https://news.example.com"
"#
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let args = |extra: &[&str]| {
        let mut args = vec![
            "causerie-server".to_owned(),
            "--config".to_owned(),
            path.clone(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let no_env = |_: &str| None;
    let config = Config::load_from(args(&[]), no_env).unwrap();
    assert_eq!(config.moderation, Moderation::Hold);
    assert_eq!(config.max_posts_per_ip, 3);
    assert_eq!(config.trusted_proxies.len(), 2);
    // The site owner's address, and a site's own.
    assert_eq!(
        config
            .owner_email
            .as_ref()
            .map(|m| m.to_string())
            .as_deref(),
        Some("Owner <owner@example.com>")
    );
    let owners: Vec<Option<String>> = config
        .sites
        .iter()
        .map(|s| s.owner_email.as_ref().map(|m| m.email.to_string()))
        .collect();
    assert_eq!(owners, [Some("blog@example.com".to_owned()), None]);
    let langs: Vec<Option<&str>> = config
        .sites
        .iter()
        .map(|s| s.owner_lang.as_deref())
        .collect();
    assert_eq!(langs, [Some("ja"), None]);
    assert_eq!(config.owner_lang, "en");
    assert_eq!(
        config.allow_origins,
        ["https://blog.example.com", "https://news.example.com"]
    );
    // A flag overrides the file. A setting in the environment makes the file's yield:
    // clap then reads the variable itself (here, the process has none, so the default).
    let env = |name: &str| (name == "CAUSERIE_MAX_POSTS_PER_IP").then(|| "5".to_owned());
    let config = Config::load_from(args(&["--max-posts-per-ip", "7"]), env).unwrap();
    assert_eq!(config.max_posts_per_ip, 7);
    let config = Config::load_from(args(&[]), env).unwrap();
    assert_eq!(config.max_posts_per_ip, 10, "not the file's 3");
    // Mistakes are named.
    std::fs::write(&file, "moderaton = \"hold\"\n").unwrap();
    let wrong = Config::load_from(args(&[]), no_env)
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("unknown setting `moderaton`"), "{wrong}");
    std::fs::write(&file, "moderation = \n").unwrap();
    assert!(
        Config::load_from(args(&[]), no_env)
            .unwrap_err()
            .to_string()
            .contains("not valid TOML")
    );
    std::fs::write(
        &file,
        "[[site]]\norigin = \"https://a.example\"\nowner_email = \"nobody\"\n",
    )
    .unwrap();
    let wrong = Config::load_from(args(&[]), no_env)
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("owner_email that is no address"), "{wrong}");
    std::fs::write(
        &file,
        "[[site]]\norigin = \"https://a.example\"\nowner_lang = \"klingon\"\n",
    )
    .unwrap();
    let wrong = Config::load_from(args(&[]), no_env)
        .unwrap_err()
        .to_string();
    assert!(
        wrong.contains("owner_lang") && wrong.contains("en, fr"),
        "{wrong}"
    );
    std::fs::write(&file, "[[site]]\nmoderation = \"hold\"\n").unwrap();
    assert!(
        Config::load_from(args(&[]), no_env)
            .unwrap_err()
            .to_string()
            .contains("origin")
    );

    // The blog publishes at once; the news site holds, as the server does.
    std::fs::write(
        &file,
        format!("database = \"{db}\"\nmoderation = \"hold\"\nmin_seconds = 0\n[[site]]\norigin = \"https://blog.example.com\"\nmoderation = \"publish\"\n[[site]]\norigin = \"https://news.example.com\"\n"),
    )
    .unwrap();
    let config = Config::load_from(args(&[]), no_env).unwrap();
    let store = Store::open(&config.database).await.unwrap();
    let router = app(AppState::new(store, &config).unwrap(), dir.path());
    let post = |origin: Option<&str>, text: &str| {
        let mut request =
            Request::post("/api/v1/comments").header(header::CONTENT_TYPE, "application/json");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request
            .body(Body::from(comment("/s", text).to_string()))
            .unwrap()
    };
    assert_eq!(
        send(
            router.clone(),
            post(Some("https://blog.example.com"), "du blog")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(
            router.clone(),
            post(Some("https://news.example.com"), "des nouvelles")
        )
        .await
        .status,
        StatusCode::ACCEPTED
    );
    // Without an origin: the default site, the first.
    assert_eq!(
        send(router.clone(), post(None, "sans origine"))
            .await
            .status,
        StatusCode::CREATED
    );
}

/// The real precedence, in a real process: an environment variable beats the file.
#[test]
fn the_environment_overrides_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("causerie.toml");
    let from_file = dir.path().join("file.db");
    let from_env = dir.path().join("env.db");
    std::fs::write(
        &file,
        format!("database = \"sqlite://{}\"\n", from_file.display()),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .args(["--config", &file.display().to_string(), "admin", "list"])
        .env(
            "CAUSERIE_DATABASE",
            format!("sqlite://{}", from_env.display()),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(from_env.exists() && !from_file.exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_causerie-server"))
        .args(["--config", &file.display().to_string(), "admin", "list"])
        .env_remove("CAUSERIE_DATABASE")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        from_file.exists(),
        "without the variable, the file's database"
    );
}
