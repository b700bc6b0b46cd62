//! A fresh PostgreSQL database for a test, on the server that `cargo xtask test` starts
//! and names in `CAUSERIE_TEST_POSTGRES` (a URL without a database). Shared by the
//! in-process and the end-to-end tests.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor, PgConnection};

/// The server's URL, or a failure that says how to get one: never a silent skip.
fn server() -> String {
    std::env::var("CAUSERIE_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "CAUSERIE_TEST_POSTGRES is not set: the PostgreSQL tests need a PostgreSQL server \
             (`cargo xtask test` installs and starts one, and sets it)"
        )
    })
}

/// Makes a new, empty database, and returns its URL.
pub async fn fresh_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = server();
    let name = format!(
        "causerie_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = connect(&format!("{server}/postgres")).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap_or_else(|e| panic!("cannot create the database {name}: {e}"));
    admin.close().await.ok();
    format!("{server}/{name}")
}

/// A connection to the database `url`.
pub async fn connect(url: &str) -> PgConnection {
    PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
}
