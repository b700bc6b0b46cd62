//! The harness that Causerie's tests and its bench share, so that each starts the real
//! server the same way and stops it the same way:
//!
//! - `free_port` and `wait_for_port`, on 127.0.0.1 only;
//! - `Group`, a child process in its own process group, killed with its descendants
//!   when dropped: whatever a test starts is stopped on every way out, and nothing else;
//! - `server`, the command line of the real server with the tests' defaults (published
//!   at once, no spam limits) before the caller's own flags, which win;
//! - `postgres` (feature `postgres`): a fresh database on the server that
//!   `cargo xtask test` starts;
//! - `wordpress`, a generated WordPress export of any size;
//! - `demo`, the demo article's nginx, which `cargo xtask demo` and its test run.

use std::{
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub mod demo;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod wordpress;

/// Makes `dir` and what is inside readable by all, as a server that runs as another user
/// (nginx's workers) reads it.
pub fn readable(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        if path.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
        }
    }
    Ok(())
}

/// A port that is free on 127.0.0.1 now, and that no other caller of `free_port`, in
/// this process or another, is given while this process runs.
///
/// Asking the system for port 0 is not enough: the port is free again as soon as the
/// probe closes, the system hands it to the next test that asks, and two servers race
/// for it (a test then talks to another test's server). So ports come from below Linux's
/// ephemeral range (32768 and up), which the system never hands out by itself, in blocks
/// of `BLOCK`: a process claims a block by holding a listener on its first port for as
/// long as it lives, and hands out the others in turn, each checked free when given.
pub fn free_port() -> u16 {
    use std::sync::{
        OnceLock,
        atomic::{AtomicU16, Ordering},
    };
    static CLAIM: OnceLock<(TcpListener, u16)> = OnceLock::new();
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let (_, base) = CLAIM.get_or_init(|| {
        let blocks = (LAST - FIRST) / BLOCK;
        let first = (std::process::id() % u32::from(blocks)) as u16;
        (0..blocks)
            .map(|i| FIRST + (first + i) % blocks * BLOCK)
            .find_map(|base| Some((TcpListener::bind(("127.0.0.1", base)).ok()?, base)))
            .expect("a free block of ports below 32000 on 127.0.0.1")
    });
    (0..BLOCK)
        .map(|_| base + 1 + NEXT.fetch_add(1, Ordering::Relaxed) % (BLOCK - 1))
        .find(|&port| TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port in this process's block")
}

/// The ports `free_port` hands out: `FIRST..LAST`, in blocks of `BLOCK`.
const FIRST: u16 = 20_000;
const LAST: u16 = 32_000;
const BLOCK: u16 = 200;

/// Waits until something listens on `port`, for at most `within`.
pub fn wait_for_port(port: u16, within: Duration) -> Result<(), String> {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > within {
            return Err(format!(
                "nothing listens on 127.0.0.1:{port} after {within:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// A child process in its own process group, killed with its descendants on drop.
#[derive(Debug)]
pub struct Group {
    child: Child,
    ended: bool,
}

impl Group {
    /// Starts `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> Result<Group, String> {
        use std::os::unix::process::CommandExt;
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {command:?}: {e}"))?;
        Ok(Group {
            child,
            ended: false,
        })
    }

    /// The leader's process id (the group's id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the leader has exited, and how.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Kills the group at once (SIGKILL: as a crash would), and reaps the leader.
    pub fn kill(&mut self) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        // The group id is the child's pid: this ends what we started, and nothing else.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }

    /// The group has ended by itself (the caller waited for it).
    pub fn forget(&mut self) {
        self.ended = true;
    }

    /// The leader, to wait for it or signal it.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The real server's command line: `binary` on `port`, over `database`, serving `www`,
/// published at once and without spam limits unless `args` (which come last, and win)
/// say otherwise.
pub fn server(binary: &Path, port: u16, database: &str, www: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--database", database])
        .arg("--www")
        .arg(www)
        .args([
            "--moderation",
            "publish",
            "--max-posts-per-ip",
            "0",
            "--min-seconds",
            "0",
            "--max-links",
            "1000",
        ])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_killed_when_dropped() {
        let mut group = Group::spawn(Command::new("sleep").arg("60")).unwrap();
        let pid = group.id();
        assert!(group.try_wait().is_none(), "it runs");
        drop(group);
        let alive = Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(!alive, "the process {pid} is gone");
    }

    #[test]
    fn waiting_for_a_port_says_when_nothing_listens() {
        let port = free_port();
        assert!((FIRST..LAST).contains(&port));
        assert_ne!(port, free_port(), "a port is handed out once");
        assert!(wait_for_port(port, Duration::from_millis(100)).is_err());
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        assert!(wait_for_port(port, Duration::from_secs(1)).is_ok());
        drop(listener);
    }
}
