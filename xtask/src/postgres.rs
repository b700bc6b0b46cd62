//! A throwaway PostgreSQL server for the tests: Debian's, installed when it is missing
//! (as root), started on 127.0.0.1 on a free port with its data in a temporary
//! directory, and stopped, its directory removed, when dropped. No mocks: the tests run
//! on the real database.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result};

use crate::tools::{is_root, run};

/// A running PostgreSQL server, stopped when dropped.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    data: tempfile::TempDir,
    port: u16,
    /// The user the server runs as, when this process is root (PostgreSQL refuses root).
    user: Option<&'static str>,
    /// Its registration with `children`, which stops it on Ctrl-C or SIGTERM.
    service: Option<u64>,
}

/// The user PostgreSQL runs as when the tests run as root: Debian's package makes it.
const SYSTEM_USER: &str = "postgres";

impl Postgres {
    /// Installs PostgreSQL if needed, and starts a fresh server.
    pub fn start() -> Result<Postgres> {
        let bin = match binaries() {
            Some(bin) => bin,
            None => {
                install()?;
                binaries().context("PostgreSQL was installed, but initdb is not there")?
            }
        };
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let data = tempfile::Builder::new().prefix("causerie-pg").tempdir()?;
        let user = is_root().then_some(SYSTEM_USER);
        if let Some(user) = user {
            run(Command::new("chown").arg(user).arg(data.path()))?;
        }
        let mut server = Postgres {
            bin,
            data,
            port,
            user,
            service: None,
        };
        let dir = server.data.path().join("data");
        server.run(
            "initdb",
            &[
                "--pgdata",
                path(&dir)?,
                "--username",
                "causerie",
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-h 127.0.0.1 -p {port} -k {} -c max_connections=200",
            path(server.data.path())?
        );
        server.run(
            "pg_ctl",
            &[
                "--pgdata",
                path(&dir)?,
                "--log",
                path(&server.data.path().join("log"))?,
                "--wait",
                "-o",
                &options,
                "start",
            ],
        )?;
        // On a signal, the server is stopped and its folder removed as `Drop` would.
        let (bin, user) = (server.bin.clone(), server.user);
        let folder = server.data.path().to_owned();
        server.service = Some(crate::children::service(move || {
            stop(&bin, user, &folder);
            let _ = std::fs::remove_dir_all(&folder);
        }));
        println!("PostgreSQL on 127.0.0.1:{port}, for the tests");
        Ok(server)
    }

    /// The server's URL, without a database: the tests make their own.
    pub fn url(&self) -> String {
        format!("postgres://causerie@127.0.0.1:{}", self.port)
    }

    /// Runs one of PostgreSQL's programs, as its user when this process is root.
    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        run_as(&self.bin, self.user, program, args)
    }
}

/// Runs one of PostgreSQL's programs from `bin`, as `user` if there is one.
fn run_as(bin: &Path, user: Option<&str>, program: &str, args: &[&str]) -> Result<()> {
    let program = bin.join(program);
    let mut command = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(&program);
            c
        }
        None => Command::new(&program),
    };
    // Quiet: its start-up chatter would drown the test report.
    command.args(args).stdout(std::process::Stdio::null());
    run(&mut command)
}

/// Stops the server whose folder is `folder`.
fn stop(bin: &Path, user: Option<&str>, folder: &Path) {
    let dir = folder.join("data");
    // Stopped already (by the signal handler, which also removed the folder).
    if !dir.exists() {
        return;
    }
    if let Ok(dir) = path(&dir) {
        let _ = run_as(
            bin,
            user,
            "pg_ctl",
            &["--pgdata", dir, "--mode", "fast", "--wait", "stop"],
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        stop(&self.bin, self.user, self.data.path());
        if let Some(id) = self.service {
            crate::children::stopped(id);
        }
    }
}

fn path(p: &Path) -> Result<&str> {
    p.to_str().context("a temporary path that is not UTF-8")
}

/// The directory of Debian's PostgreSQL programs, the newest version's.
fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn install() -> Result<()> {
    crate::tools::debian(&["postgresql"], "the PostgreSQL tests")
}
