//! Installs the tools the build and the tests need, when they are missing.
//!
//! Everything comes from the package registries this project may use: the wasm32 target
//! through rustup, wasm-bindgen-cli from crates.io, wasm-opt from npm's `binaryen`, and
//! Chromium with its driver from Debian (when run as root).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};

/// The wasm-bindgen CLI must match the `wasm-bindgen` crate in Cargo.lock exactly.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// The npm packages: wasm-opt (Debian's binaryen 108 silently corrupts the module; npm's
/// 132 is right), esbuild, which minifies the loader and wasm-bindgen's JS glue, and
/// axe-core, which the accessibility tests inject into the page.
const NPM_PACKAGES: [&str; 3] = ["binaryen@132.0.0", "esbuild@0.25.12", "axe-core@4.14.1"];

/// The wasm32 target, wasm-bindgen and wasm-opt.
pub fn widget_tools(root: &Path) -> Result<()> {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm32 target")?;
    if !targets
        .lines()
        .any(|t| t.trim() == "wasm32-unknown-unknown")
    {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
            .context("cannot add the wasm32-unknown-unknown target")?;
    }
    let version = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if !version.contains(WASM_BINDGEN_VERSION) {
        println!("installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (about 2 minutes)");
        // Not --locked: one crate of its lockfile is missing from the registry here.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]))
        .context("cannot install wasm-bindgen-cli")?;
    }
    let axe = root.join("target/tools/node_modules/axe-core/axe.min.js");
    if !wasm_opt(root).is_file() || !esbuild(root).is_file() || !axe.is_file() {
        println!("installing {} from npm", NPM_PACKAGES.join(", "));
        let prefix = root.join("target/tools");
        std::fs::create_dir_all(&prefix)?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&prefix)
            .args(NPM_PACKAGES))
        .context("cannot install wasm-opt, esbuild and axe-core: npm (Node.js) is needed")?;
    }
    Ok(())
}

/// npm's wasm-opt, under `target/tools`.
pub fn wasm_opt(root: &Path) -> PathBuf {
    root.join("target/tools/node_modules/.bin/wasm-opt")
}

/// npm's esbuild, under `target/tools`.
pub fn esbuild(root: &Path) -> PathBuf {
    root.join("target/tools/node_modules/.bin/esbuild")
}

/// Chromium and chromedriver, for the browser and end-to-end tests.
pub fn browser() -> Result<()> {
    let present = |p: &str| Path::new(p).is_file();
    if present("/usr/bin/chromium") && present("/usr/bin/chromedriver") {
        return Ok(());
    }
    debian(&["chromium", "chromium-driver"], "the browser tests")
}

/// nginx and Hugo, which the end-to-end tests run `examples/nginx-ssi` and
/// `examples/hugo` with, and openssl, which makes the mail test's throwaway CA.
pub fn includers() -> Result<()> {
    let present = |p: &str| Path::new(p).is_file();
    if present("/usr/sbin/nginx") && present("/usr/bin/hugo") && present("/usr/bin/openssl") {
        return Ok(());
    }
    debian(
        &["nginx", "hugo", "openssl"],
        "the examples' and the mail's tests",
    )
}

/// `packages` from PyPI in a virtual environment under `target/<name>`, made once (a
/// marker file names what it holds). Returns the environment's directory.
pub fn pypi(root: &Path, name: &str, packages: &[&str]) -> Result<PathBuf> {
    let venv = root.join("target").join(name);
    let marker = venv.join(packages.join(" "));
    if marker.exists() {
        return Ok(venv);
    }
    println!(
        "installing {} from PyPI into target/{name}",
        packages.join(" and ")
    );
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(packages))
    .with_context(|| format!("cannot install {} from PyPI", packages.join(" and ")))?;
    std::fs::write(marker, "")?;
    Ok(venv)
}

/// aiosmtpd, the real SMTP server that the mail tests send to.
pub fn aiosmtpd(root: &Path) -> Result<PathBuf> {
    pypi(root, "aiosmtpd", &["aiosmtpd==1.4.6"])
}

/// nginx, which serves the demo article with its comments in it.
pub fn nginx() -> Result<()> {
    if Path::new(causerie_testkit::demo::NGINX).is_file() {
        return Ok(());
    }
    debian(&["nginx"], "the demo")
}

/// wrk, the load generator of the side-by-side benchmark.
pub fn wrk() -> Result<()> {
    if Path::new("/usr/bin/wrk").is_file() {
        return Ok(());
    }
    debian(&["wrk"], "the benchmark")
}

/// Installs Debian's `packages`, which `needed_by` needs, when this process is root;
/// otherwise an error that says how to install them.
pub fn debian(packages: &[&str], needed_by: &str) -> Result<()> {
    let list = packages.join(" ");
    if !is_root() {
        bail!(
            "{needed_by} need {list}: run `sudo apt-get install {list}`, or run the xtask \
             as root and it will install them"
        );
    }
    println!("installing {list} from Debian");
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .with_context(|| format!("cannot install {list}"))
}

pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|id| id.trim() == "0")
}

/// Runs a command to completion; an error if it fails.
pub fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}

/// A command's standard output; an error if it fails.
pub fn output(command: &mut Command) -> Result<String> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
