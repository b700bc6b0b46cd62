//! `causerie-server`: parse the configuration, open the store, serve until SIGTERM or
//! Ctrl-C; or, with `admin …`, moderate or set the admin password from a terminal; or,
//! with `export`, write every comment to standard output.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use causerie_server::{Admin, AppState, Command, Config, ExportFormat, Store, app};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = match Config::load() {
        Ok(config) => config,
        // `--help`, `--version`, and bad flags, as clap prints them.
        Err(causerie_server::ConfigError::Flags(e)) => e.exit(),
        Err(e) => anyhow::bail!(e),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "causerie_server=info,tower_http=warn".into()),
        )
        .init();

    let store = Store::open(&config.database)
        .await
        .with_context(|| format!("cannot open the database {}", config.database))?;
    if let Some(Command::Admin(command)) = &config.command {
        // Approving a reply here announces it as the admin page does: to the mail, which
        // the running server sends.
        let announce = causerie_server::notify::Announce::of_config(&config);
        let outcome = admin(&store, command, announce).await;
        store.close().await;
        return outcome;
    }
    if let Some(Command::Export { format, site }) = &config.command {
        let sites = std::sync::Arc::new(causerie_server::sites::Sites::new(&config));
        let now = causerie_server::clock::Clock::system().now();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let site = site.as_deref();
        let outcome = match format {
            ExportFormat::Causerie => {
                causerie_server::export::causerie(&store, &sites, site, now, &mut out).await
            }
            ExportFormat::Wordpress => {
                causerie_server::export::wordpress(&store, &sites, site, now, &mut out).await
            }
        };
        store.close().await;
        let written = outcome?;
        eprintln!("{written} comments exported");
        return Ok(());
    }
    if let Some(Command::Import {
        from,
        maps,
        site,
        dry_run,
        files,
    }) = &config.command
    {
        let sites = std::sync::Arc::new(causerie_server::sites::Sites::new(&config));
        let options = causerie_server::import::Options {
            from: *from,
            site: site.clone(),
            maps: maps.clone(),
            dry_run: *dry_run,
        };
        let outcome = import(&store, &sites, files, &options).await;
        store.close().await;
        return outcome;
    }
    let state = AppState::new(store.clone(), &config)?;
    tokio::spawn(causerie_server::expire_idempotency_keys(
        store.clone(),
        std::time::Duration::from_secs(config.post_window),
    ));
    let destinations = destinations(&config, &state)?;
    if !destinations.is_empty() {
        tokio::spawn(causerie_server::notify::deliver(
            store.clone(),
            destinations,
        ));
    }
    if !config.www.join("embed.js").is_file() {
        tracing::warn!(www = %config.www.display(), "no embed.js here: build the widget with `cargo xtask build`");
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let timeout = state.client_timeout;
    causerie_server::serve(listener, app(state, &config.www), timeout, shutdown()).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The configured destinations of the notifications: the webhook, the mail.
fn destinations(
    config: &causerie_server::config::Config,
    state: &AppState,
) -> anyhow::Result<causerie_server::notify::Destinations> {
    use causerie_server::notify::{self, Destinations};
    let mut destinations = Destinations::default();
    if let (Some(url), Some(secret)) = (&config.webhook_url, &config.webhook_secret) {
        let hook = notify::webhook::Webhook::new(url.clone(), secret.clone());
        destinations = destinations.with(notify::WEBHOOK, std::sync::Arc::new(hook));
    }
    if let (Some(url), Some(from)) = (&config.smtp_url, &config.mail_from) {
        // Each site's owner: its own `owner_email` and `owner_lang`, else the flags'.
        let owners = state
            .sites
            .all()
            .iter()
            .filter_map(|site| {
                let own = config
                    .sites
                    .iter()
                    .find(|s| s.origin.trim_end_matches('/') == site.origin);
                let lang = own
                    .and_then(|s| s.owner_lang.clone())
                    .unwrap_or_else(|| config.owner_lang.clone());
                own.and_then(|s| s.owner_email.clone())
                    .or_else(|| config.owner_email.clone())
                    .map(|owner| (site.key.clone(), owner, lang))
            })
            .collect();
        let ca =
            match &config.smtp_ca {
                Some(path) => Some(std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("cannot read the SMTP CA {}: {e}", path.display())
                })?),
                None => None,
            };
        let mailer = notify::mail::Mailer::new(
            url,
            ca.as_deref(),
            from.clone(),
            owners,
            config.owner_mail,
            config.public_url.clone(),
            causerie_server::moderate::LinkKey::new(state.store.secret()),
        )
        .map_err(|e| anyhow::anyhow!("the mail: {e}"))?;
        // One mailer sends both the mails and the site owner's digest.
        let mailer = std::sync::Arc::new(mailer);
        destinations = destinations
            .with(notify::MAIL, mailer.clone())
            .with(notify::DIGEST, mailer);
    }
    Ok(destinations)
}

/// `causerie-server admin …`: the site owner's commands, on the server's database.
async fn admin(
    store: &Store,
    command: &Admin,
    announce: causerie_server::notify::Announce,
) -> anyhow::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let now = i64::try_from(now)?;
    match command {
        Admin::SetPassword => {
            let password = if std::io::stdin().is_terminal() {
                let first = rpassword::prompt_password("New admin password: ")?;
                let again = rpassword::prompt_password("Again: ")?;
                anyhow::ensure!(first == again, "the two passwords differ; nothing changed");
                first
            } else {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_owned()
            };
            causerie_server::set_password(store, &password).await?;
            println!("The admin password is set; every admin session was closed.");
        }
        Admin::List { search, limit } => {
            for m in store.moderation_list(search, None, 0, *limit).await? {
                let c = &m.comment;
                let state = match (m.spam, c.status) {
                    (true, _) => "spam",
                    (false, causerie_protocol::Status::Pending) => "held",
                    (false, causerie_protocol::Status::Published) => "published",
                };
                let text: String = c
                    .text
                    .chars()
                    .take(70)
                    .collect::<String>()
                    .replace('\n', " ");
                println!(
                    "{:>6}  {state:<9}  {}  {} <{}>  {text}",
                    c.id, c.page, c.author, m.email
                );
            }
        }
        Admin::Approve { ids } => println!("{} approved", store.approve(ids, now, announce).await?),
        Admin::Delete { ids } => println!("{} deleted", store.delete(ids).await?),
        Admin::Spam { ids } => println!("{} marked as spam", store.mark_spam(ids).await?),
        Admin::Export { email } => {
            let email = address(email)?;
            let comments = store
                .moderation_list("", Some(email.as_str()), 0, u32::MAX)
                .await?;
            println!("{}", causerie_server::export_json(&comments));
        }
        Admin::Anonymise { email } => {
            println!("{} anonymised", store.anonymise(&address(email)?).await?)
        }
        Admin::Erase { email } => println!("{} erased", store.erase(&address(email)?).await?),
    }
    Ok(())
}

/// `causerie-server import`: each file in turn, and what it did (or, in a dry run,
/// would do), per page and in all.
async fn import(
    store: &Store,
    sites: &std::sync::Arc<causerie_server::sites::Sites>,
    files: &[std::path::PathBuf],
    options: &causerie_server::import::Options,
) -> anyhow::Result<()> {
    let would = if options.dry_run { "would be " } else { "" };
    for file in files {
        // On a terminal only: comments checked, then imported, with the rate and the time
        // left; the summary below is printed in every case.
        let progress =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr())
                .with_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} {wide_bar} {human_pos}/{human_len} ({per_sec}, {eta} left)",
                    )
                    .expect("a valid template"),
                );
        let report = causerie_server::import::run(store, sites, file, options, &progress).await?;
        if options.dry_run {
            println!("{}: per page (published, pending, spam):", file.display());
            for ((site, page), [published, pending, spam]) in &report.pages {
                let site = sites
                    .by_key(site)
                    .map_or(site.as_ref(), |s| s.origin.as_str());
                println!("  {site}{page}: {published}, {pending}, {spam}");
            }
        }
        println!(
            "{}: {} read, {} {would}added, {} there already; {} orphans (at the top level), \
             {} invalid e-mail addresses and {} invalid websites (left out), {} texts over \
             the limits of new comments (kept whole), {} with control characters (left out); \
             {} pingbacks and trackbacks and {} trashed comments left out",
            file.display(),
            report.read,
            report.added,
            report.present,
            report.orphans,
            report.invalid_emails,
            report.invalid_urls,
            report.over_limits,
            report.cleaned,
            report.pingbacks,
            report.trashed,
        );
    }
    Ok(())
}

/// The address of a privacy request: refused when blank, so that no request can reach
/// the comments whose address was erased already.
fn address(raw: &str) -> anyhow::Result<causerie_server::store::Email> {
    causerie_server::store::Email::parse(raw)
        .ok_or_else(|| anyhow::anyhow!("{raw:?} is not an e-mail address: nothing was changed"))
}

/// Resolves on SIGTERM or Ctrl-C: the server then stops accepting connections and
/// finishes the requests in flight.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
