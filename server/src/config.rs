//! The server's configuration: flags, each with an environment variable that sets it
//! too, and a TOML file (`--config`) for any of them, and for the sites.
//!
//! Precedence: a flag, then its environment variable, then the file, then the default.
//! This is the only module that reads the environment. `causerie-server --help` prints
//! every setting with its variable and default; the README shows a file.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Parser, Subcommand, ValueEnum};

/// Causerie's reference comment server: it stores, moderates and serves the comments of
/// your articles, and serves the widget (`embed.js`) that your pages load.
#[derive(Clone, Debug, Parser)]
#[command(name = "causerie-server", version, about, long_about = None, args_override_self = true)]
pub struct Config {
    /// Without a command, the server runs.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A TOML file of settings: any flag's long name (with `_` or `-`) as a key, and
    /// `[[site]]` tables, each with an `origin` and, optionally, its own `moderation`.
    /// Flags and environment variables override it.
    #[arg(long, env = "CAUSERIE_CONFIG")]
    pub config: Option<PathBuf>,

    /// The sites of the file, with their own moderation modes.
    #[arg(skip)]
    pub sites: Vec<Site>,

    /// The address and port to listen on.
    #[arg(long, env = "CAUSERIE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Where the comments are stored: `sqlite://path` (the file, mode 0600, and its folder
    /// are created) or `postgres://user:password@host/database`; migrated on start.
    #[arg(
        long,
        env = "CAUSERIE_DATABASE",
        default_value = "sqlite://data/causerie.db"
    )]
    pub database: String,

    /// The origin of a site whose pages may post comments from the browser, such as
    /// `https://blog.example.com`. Repeat it, or separate origins with commas. Pages on
    /// other origins get no CORS headers, so browsers refuse to let them call the API.
    #[arg(
        long = "allow-origin",
        env = "CAUSERIE_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,

    /// The folder served at `/`: `embed.js`, the widget in `pkg/`, and the demo article.
    #[arg(long, env = "CAUSERIE_WWW", default_value = "www")]
    pub www: PathBuf,

    /// How many requests may be in flight at once. Past that, the server answers 503
    /// with `Retry-After` at once, instead of queueing until every client times out.
    #[arg(long, env = "CAUSERIE_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,

    /// How many seconds a client may take to send a request's headers, and then its body.
    /// Slower clients are cut off, so that they cannot hold connections open (slowloris).
    #[arg(long, env = "CAUSERIE_CLIENT_TIMEOUT", default_value_t = 10)]
    pub client_timeout: u64,

    /// What happens to a new comment: `first-time` holds the comments of commenters
    /// whose e-mail address has no approved comment yet, and publishes the others;
    /// `hold` holds every comment; `publish` shows every comment at once. Only its author
    /// sees a held comment until the site owner approves it at `/admin`.
    #[arg(long, env = "CAUSERIE_MODERATION", value_enum, default_value_t = Moderation::FirstTime)]
    pub moderation: Moderation,

    /// How many comments one client address may post in `--post-window` seconds; more
    /// get 429 with `Retry-After`. 0 turns the limit off.
    #[arg(long, env = "CAUSERIE_MAX_POSTS_PER_IP", default_value_t = 10)]
    pub max_posts_per_ip: u32,

    /// The window of `--max-posts-per-ip`, in seconds.
    #[arg(long, env = "CAUSERIE_POST_WINDOW", default_value_t = 600)]
    pub post_window: u64,

    /// The address of a reverse proxy in front of the server, whose `X-Forwarded-For`
    /// names the client. Repeat it, or separate with commas. Without it, the client is
    /// the connection's peer, and `X-Forwarded-For` is ignored, so that nobody can forge
    /// their address.
    #[arg(
        long = "trusted-proxy",
        env = "CAUSERIE_TRUSTED_PROXY",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// A comment with more links than this waits for moderation.
    #[arg(long, env = "CAUSERIE_MAX_LINKS", default_value_t = 2)]
    pub max_links: usize,

    /// A file of blocklist rules, one per line: `word:TEXT` (in the comment or the
    /// name), `author:GLOB`, `email:GLOB`, `ip:GLOB`, where `*` matches anything; case
    /// does not matter; `#` starts a comment.
    #[arg(long, env = "CAUSERIE_BLOCKLIST")]
    pub blocklist: Option<PathBuf>,

    /// What the blocklist does to a comment it matches: `hold` it for moderation, or
    /// `reject` it (422 `blocked`).
    #[arg(long, env = "CAUSERIE_BLOCKLIST_ACTION", value_enum, default_value_t = BlockAction::Hold)]
    pub blocklist_action: BlockAction,

    /// A comment posted sooner than this many seconds after its form appeared (by the
    /// form's signed token) is refused (422 `too_fast`); so is one without a token.
    /// 0 turns the check off, for clients without the widget.
    #[arg(long, env = "CAUSERIE_MIN_SECONDS", default_value_t = 3)]
    pub min_seconds: u64,

    /// How long the author of a comment may edit or delete it, with the token their
    /// browser received: minutes (`15`), or with a unit (`90s`, `15m`, `2h`). 0 turns
    /// author edits off.
    #[arg(long, env = "CAUSERIE_EDIT_WINDOW", default_value = "15", value_parser = duration)]
    pub edit_window: Duration,

    /// A URL to POST each new comment to, as JSON (`{"event": "comment.created",
    /// "comment": {…}}`), signed in `Causerie-Signature: sha256=<HMAC-SHA256 of the
    /// body>`; failed deliveries are retried with backoff, and never delay the commenter.
    #[arg(long, env = "CAUSERIE_WEBHOOK_URL", requires = "webhook_secret")]
    pub webhook_url: Option<String>,

    /// The key of the webhook's signature.
    #[arg(long, env = "CAUSERIE_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,

    /// The server's address as readers and the site owner reach it, such as
    /// `https://comments.example.com`. When it is `https://`, the admin cookie is
    /// `Secure` (and named `__Host-…`). Without it, the cookie is `Secure` unless the
    /// server listens on a loopback address.
    #[arg(long, env = "CAUSERIE_PUBLIC_URL", value_parser = public_url)]
    pub public_url: Option<String>,

    /// The SMTP server that mail goes through: `smtp://user:password@host:587` (STARTTLS,
    /// required unless the host is a loopback address) or `smtps://user:password@host:465`
    /// (TLS). Without it, nothing is mailed.
    #[arg(long, env = "CAUSERIE_SMTP_URL", hide_env_values = true, value_parser = crate::notify::mail::SmtpUrl::parse, requires = "mail_from")]
    pub smtp_url: Option<crate::notify::mail::SmtpUrl>,

    /// A PEM file of a certificate that the SMTP server's may chain to, beyond the public
    /// roots: a private CA, or a relay's own certificate.
    #[arg(long, env = "CAUSERIE_SMTP_CA")]
    pub smtp_ca: Option<std::path::PathBuf>,

    /// The sender of every mail, such as `Comments <comments@example.com>`.
    #[arg(long, env = "CAUSERIE_MAIL_FROM", value_parser = crate::notify::mail::mailbox)]
    pub mail_from: Option<lettre::message::Mailbox>,

    /// Who hears of new comments by mail: the site owner's address. A `[[site]]` may
    /// name its own (`owner_email`).
    #[arg(long, env = "CAUSERIE_OWNER_EMAIL", value_parser = crate::notify::mail::mailbox)]
    pub owner_email: Option<lettre::message::Mailbox>,

    /// Which new comments the site owner is mailed about: those that wait for them
    /// (`held`), every one (`all`), or every one in one mail at the end of each
    /// `--owner-digest-every` (`digest`).
    #[arg(long, env = "CAUSERIE_OWNER_MAIL", value_enum, default_value_t = OwnerMail::Held)]
    pub owner_mail: OwnerMail,

    /// The language of the site owner's mails: one of the widget's (`en`, `fr`, `de`,
    /// `es`, `it`, `pt`, `nl`, `pl`, `ru`, `uk`, `ar`, `ja`). A `[[site]]` may name its
    /// own (`owner_lang`).
    #[arg(long, env = "CAUSERIE_OWNER_LANG", default_value = "en", value_parser = owner_lang)]
    pub owner_lang: String,

    /// With `--owner-mail digest`, how often the digest goes: `1h` (on the hour), or
    /// minutes (`30`), or `90s`, `15m`, `2h`.
    #[arg(long, env = "CAUSERIE_OWNER_DIGEST_EVERY", default_value = "1h", value_parser = digest_period)]
    pub owner_digest_every: Duration,

    /// Whether search engines may quote the comments of the HTML the server renders
    /// (`/api/v1/thread.html`): `index` them, or mark them `nosnippet`
    /// (`data-nosnippet`).
    #[arg(long, env = "CAUSERIE_SNIPPETS", value_enum, default_value_t = Snippets::Index)]
    pub snippets: Snippets,
}

/// Which new comments the site owner hears of by mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OwnerMail {
    /// Those that wait for moderation.
    Held,
    /// Every one, held or published.
    All,
    /// Every one, held or published, in one digest at the end of each period.
    Digest,
}

/// What search engines may do with the comments of the server's HTML.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Snippets {
    /// Read and quote them, as any text of the page.
    Index,
    /// Read them, but never quote them in results (`data-nosnippet`).
    Nosnippet,
}

/// A public URL: `http://` or `https://`, a host, no path beyond `/`.
fn public_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{text:?}: an http:// or https:// address"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A site of the configuration file: its pages' origin, and how its comments are
/// moderated when it differs from `--moderation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// Such as `https://blog.example.com`.
    pub origin: String,
    /// Its own moderation mode.
    pub moderation: Option<Moderation>,
    /// Who hears of its new comments by mail, instead of `--owner-email`.
    pub owner_email: Option<lettre::message::Mailbox>,
    /// The language of its owner's mails, instead of `--owner-lang`.
    pub owner_lang: Option<String>,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("the configuration file {path} is not valid TOML: {error}")]
    Toml {
        path: String,
        error: Box<toml::de::Error>,
    },
    #[error("the configuration file {path}: {problem}")]
    Setting { path: String, problem: String },
    #[error(transparent)]
    Flags(#[from] clap::Error),
}

impl Config {
    /// The configuration from the command line, the environment and the `--config` file.
    pub fn load() -> Result<Config, ConfigError> {
        Config::load_from(std::env::args().collect(), |name| std::env::var(name).ok())
    }

    /// The same, from `args` (the program's name first) and an environment.
    pub fn load_from(
        args: Vec<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file = args
            .iter()
            .enumerate()
            .find_map(|(i, a)| match a.strip_prefix("--config") {
                Some("") => args.get(i + 1).cloned(),
                Some(rest) => rest.strip_prefix('=').map(str::to_owned),
                None => None,
            })
            .or_else(|| env("CAUSERIE_CONFIG"));
        let Some(path) = file else {
            return Ok(Config::try_parse_from(args)?);
        };
        let text = std::fs::read_to_string(&path).map_err(|error| ConfigError::Read {
            path: path.clone(),
            error,
        })?;
        let table: toml::Table = text.parse().map_err(|error| ConfigError::Toml {
            path: path.clone(),
            error: Box::new(error),
        })?;
        let problem = |problem: String| ConfigError::Setting {
            path: path.clone(),
            problem,
        };
        let command = <Config as clap::CommandFactory>::command();
        let mut from_file: Vec<String> = Vec::new();
        let mut sites = Vec::new();
        for (key, value) in &table {
            if key == "site" {
                let list = value.as_array().ok_or_else(|| {
                    problem("`site` must be an array of tables ([[site]])".into())
                })?;
                for site in list {
                    let origin = site
                        .get("origin")
                        .and_then(|o| o.as_str())
                        .ok_or_else(|| problem("each [[site]] needs an `origin`".into()))?;
                    let moderation = match site.get("moderation") {
                        None => None,
                        Some(m) => Some(
                            m.as_str()
                                .and_then(|m| Moderation::from_str(m, true).ok())
                                .ok_or_else(|| {
                                    problem(format!(
                                        "the site {origin} has an unknown moderation {m}"
                                    ))
                                })?,
                        ),
                    };
                    let owner_email = match site.get("owner_email") {
                        None => None,
                        Some(e) => Some(
                            e.as_str()
                                .and_then(|e| crate::notify::mail::mailbox(e).ok())
                                .ok_or_else(|| {
                                    problem(format!(
                                        "the site {origin} has an owner_email that is no address: {e}"
                                    ))
                                })?,
                        ),
                    };
                    let owner_lang = match site.get("owner_lang") {
                        None => None,
                        Some(l) => Some(
                            l.as_str()
                                .ok_or_else(|| format!("{l} is not a language tag"))
                                .and_then(owner_lang)
                                .map_err(|e| {
                                    problem(format!("the site {origin} has an owner_lang: {e}"))
                                })?,
                        ),
                    };
                    if let Some(unknown) = site.as_table().and_then(|t| {
                        t.keys().find(|k| {
                            !["origin", "moderation", "owner_email", "owner_lang"]
                                .contains(&k.as_str())
                        })
                    }) {
                        return Err(problem(format!(
                            "unknown setting `{unknown}` in a [[site]]"
                        )));
                    }
                    sites.push(Site {
                        origin: origin.to_owned(),
                        moderation,
                        owner_email,
                        owner_lang,
                    });
                }
                continue;
            }
            let name = key.replace('_', "-");
            let arg = command
                .get_arguments()
                .find(|a| {
                    a.get_long() == Some(name.as_str()) || a.get_id().as_str() == key.as_str()
                })
                .filter(|a| a.get_long() != Some("config"))
                .ok_or_else(|| problem(format!("unknown setting `{key}`")))?;
            let long = arg.get_long().expect("settings have long names");
            let given = args
                .iter()
                .any(|a| a == &format!("--{long}") || a.starts_with(&format!("--{long}=")));
            let in_env = arg
                .get_env()
                .and_then(|e| env(&e.to_string_lossy()))
                .is_some();
            if given || in_env {
                continue;
            }
            let values = match value {
                toml::Value::Array(items) => items.iter().collect(),
                one => vec![one],
            };
            for value in values {
                let text = match value {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => return Err(problem(format!("`{key}` cannot be {other}"))),
                };
                from_file.push(format!("--{long}={text}"));
            }
        }
        let origins_given = args.iter().any(|a| a.starts_with("--allow-origin"))
            || env("CAUSERIE_ALLOW_ORIGIN").is_some();
        if !origins_given {
            from_file.extend(sites.iter().map(|s| format!("--allow-origin={}", s.origin)));
        }
        // The file's settings go first: a flag given too comes later, and the last wins.
        let mut all = vec![args[0].clone()];
        all.extend(from_file);
        all.extend(args.into_iter().skip(1));
        let mut config = Config::try_parse_from(all)?;
        config.sites = sites;
        Ok(config)
    }
}

/// What the blocklist does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BlockAction {
    /// The comment waits for the site owner.
    Hold,
    /// The comment is refused.
    Reject,
}

/// The commands for the site owner, on the same database as the server.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Moderate from a terminal, or set the admin password.
    #[command(subcommand)]
    Admin(Admin),
    /// Writes every comment, private fields included, to standard output, in the JSON
    /// Lines format of `docs/export.md`.
    Export {
        /// The format: `causerie`, Causerie's own, which keeps everything; `wordpress`,
        /// a WXR file that WordPress's importer reads.
        #[arg(long, value_enum, default_value_t = ExportFormat::Causerie)]
        format: ExportFormat,
        /// Only the comments of this site (its origin, as configured).
        #[arg(long)]
        site: Option<String>,
    },
    /// Imports comments from files (`docs/export.md`), while the server may be running:
    /// WordPress and Disqus exports, Isso databases, Remark42 backups, or our own export.
    /// Importing the same file again adds nothing; an import never deletes or changes a
    /// comment.
    Import {
        /// The files' format; without it, it is recognised from each file.
        #[arg(long = "from", value_enum)]
        from: Option<crate::import::Format>,
        /// A site that moved: pages whose address starts with OLD are taken as if it
        /// started with NEW (`--map https://old.example.com/blog/=/`). May be repeated;
        /// the first that matches is used.
        #[arg(long = "map", value_name = "OLD=NEW", value_parser = parse_map)]
        maps: Vec<(String, String)>,
        /// The site the comments go to (its origin), whatever the files say.
        #[arg(long)]
        site: Option<String>,
        /// Reads and checks the files, and says what would be imported, but writes
        /// nothing.
        #[arg(long)]
        dry_run: bool,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// `--map OLD=NEW`: the address split at its last `=` (a query may hold others).
fn parse_map(value: &str) -> Result<(String, String), String> {
    match value.rsplit_once('=') {
        Some((old, new)) if !old.is_empty() && !new.is_empty() => {
            Ok((old.to_owned(), new.to_owned()))
        }
        _ => Err(format!(
            "{value:?} is not OLD=NEW (as in https://old.example.com/blog/=/)"
        )),
    }
}

/// The formats of `causerie-server export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Causerie's own JSON Lines (`docs/export.md`).
    Causerie,
    /// A WordPress export (WXR 1.2): comments under an `<item>` per page.
    Wordpress,
}

/// `causerie-server admin …`
#[derive(Clone, Debug, Subcommand)]
pub enum Admin {
    /// Sets the password of the admin page (`/admin`), read from the terminal or from
    /// standard input; only its Argon2 hash is stored. Closes every admin session.
    SetPassword,
    /// Lists comments, held ones first, with their e-mail addresses.
    List {
        /// Only those whose page, name, e-mail or text contains this.
        #[arg(long, default_value = "")]
        search: String,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Publishes comments, and remembers their authors as known.
    Approve {
        /// The comments' ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Deletes comments, with the replies under them.
    Delete {
        /// The comments' ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Hides comments as spam.
    Spam {
        /// The comments' ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Prints, as JSON, every comment made with an e-mail address: what a GDPR access
    /// request asks for.
    Export {
        /// The e-mail address.
        email: String,
    },
    /// Removes a commenter's name, e-mail, website and address from all their comments,
    /// keeping the texts.
    Anonymise {
        /// The e-mail address.
        email: String,
    },
    /// Erases a commenter's comments: deleted, or, where others replied, left as
    /// placeholders without author or text. What a GDPR erasure request asks for.
    Erase {
        /// The e-mail address.
        email: String,
    },
}

/// What happens to a new comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Moderation {
    /// Comments from e-mail addresses with an approved comment are published at once;
    /// the others wait for the site owner.
    FirstTime,
    /// Every comment is published at once.
    Publish,
    /// Every comment waits for the site owner.
    Hold,
}

/// A duration in minutes (`15`), or with its unit: `90s`, `15m`, `2h`.
fn duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "m"),
    };
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{text:?}: say minutes (15), or 90s, 15m, 2h")),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: say minutes (15), or 90s, 15m, 2h"))?;
    let duration = Duration::from_secs(number.saturating_mul(seconds));
    if duration > MAX_EDIT_WINDOW {
        return Err(format!("{text:?}: at most a year (8784h)"));
    }
    Ok(duration)
}

/// One of the widget's languages, by its tag.
fn owner_lang(text: &str) -> Result<String, String> {
    causerie_i18n::LOCALES
        .iter()
        .find(|l| l.tag == text.trim().to_ascii_lowercase())
        .map(|l| l.tag.to_owned())
        .ok_or_else(|| {
            let tags: Vec<&str> = causerie_i18n::LOCALES.iter().map(|l| l.tag).collect();
            format!("{text:?} is not one of {}", tags.join(", "))
        })
}

/// A digest's period: a duration of at least a second.
fn digest_period(text: &str) -> Result<Duration, String> {
    let period = duration(text)?;
    if period < Duration::from_secs(1) {
        return Err(format!("{text:?}: at least a second"));
    }
    Ok(period)
}

/// The longest edit window: a year (of 366 days). Longer would overflow the times it
/// is added to, and no author needs it.
pub const MAX_EDIT_WINDOW: Duration = Duration::from_secs(366 * 24 * 3600);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edit_window_is_bounded_at_start() {
        assert!(duration("8784h").is_ok());
        assert!(duration("8785h").is_err());
        assert!(duration("99999999999999999").is_err());
        assert!(
            Config::try_parse_from(["causerie-server", "--edit-window", "999999999h"]).is_err()
        );
    }

    #[test]
    fn durations_are_minutes_unless_they_say_their_unit() {
        for (text, seconds) in [
            ("15", 900),
            ("0", 0),
            ("90s", 90),
            ("15m", 900),
            ("2h", 7200),
        ] {
            assert_eq!(duration(text), Ok(Duration::from_secs(seconds)), "{text}");
        }
        for bad in ["", "m", "15 m", "15d", "-1", "1.5", "s15"] {
            assert!(duration(bad).is_err(), "{bad:?} is accepted");
        }
    }
}
