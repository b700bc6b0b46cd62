//! The demo article as `cargo xtask demo` serves it, and as its end-to-end test runs it:
//! a real nginx (`demo.nginx.conf`) in front of the comment server, whose SSI puts the
//! thread's HTML in the article, so that it is read and written without JavaScript.

use std::{io, path::Path, process::Command};

/// Debian's nginx.
pub const NGINX: &str = "/usr/sbin/nginx";

/// The demo's nginx configuration, with `@LISTEN@` and `@SERVER@` for the ports.
const CONF: &str = include_str!("demo.nginx.conf");

/// Prepares `prefix` (a directory of its own, such as a temporary one) for nginx: its
/// configuration, listening on `listen` and passing to the comment server on `server`,
/// and the article, a copy of `www/index.html`, all readable by nginx's workers (who are
/// not root). Returns the command that runs nginx in the foreground.
pub fn nginx(prefix: &Path, www: &Path, listen: u16, server: u16) -> io::Result<Command> {
    let site = prefix.join("site");
    std::fs::create_dir_all(prefix.join("tmp"))?;
    std::fs::create_dir_all(&site)?;
    std::fs::copy(www.join("index.html"), site.join("index.html"))?;
    let conf = CONF
        .replace("@LISTEN@", &listen.to_string())
        .replace("@SERVER@", &server.to_string());
    std::fs::write(prefix.join("nginx.conf"), conf)?;
    crate::readable(prefix)?;
    let mut command = Command::new(NGINX);
    command
        .arg("-e")
        .arg("stderr")
        .arg("-p")
        .arg(prefix)
        .args(["-c", "nginx.conf"]);
    Ok(command)
}
