//! `causerie-server`: parse the configuration, open the store, serve until SIGTERM or Ctrl-C.

use anyhow::Context;
use causerie_server::{AppState, Config, Store, app};
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "causerie_server=info,tower_http=warn".into()),
        )
        .init();

    let store = Store::open(&config.database)
        .await
        .with_context(|| format!("cannot open the database {}", config.database))?;
    let state = AppState::new(store.clone(), &config)?;
    tokio::spawn(causerie_server::expire_idempotency_keys(store.clone()));
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
