//! The server's configuration: flags, each with an environment variable that sets it too.
//!
//! This is the only module that reads the environment. `causerie-server --help` prints
//! every setting with its variable and default.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Parser, ValueEnum};

/// Causerie's reference comment server: it stores, moderates and serves the comments of
/// your articles, and serves the widget (`embed.js`) that your pages load.
#[derive(Clone, Debug, Parser)]
#[command(name = "causerie-server", version, about, long_about = None)]
pub struct Config {
    /// The address and port to listen on.
    #[arg(long, env = "CAUSERIE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Where the comments are stored: an SQLite URL. The file and its folder are created
    /// and migrated on start.
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

    /// What happens to a new comment: `publish` shows it at once; `hold` keeps it for
    /// moderation, and only its author sees it until then.
    #[arg(long, env = "CAUSERIE_MODERATION", value_enum, default_value_t = Moderation::Publish)]
    pub moderation: Moderation,
}

/// What happens to a new comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Moderation {
    /// Every comment is published at once.
    Publish,
    /// Every comment waits for the site owner.
    Hold,
}
