//! Builds the widget into `www/pkg/`, precompresses it, and enforces its byte budgets.
//!
//! cargo (release profile: opt-level s, LTO) → wasm-bindgen `--target web` → wasm-opt -Oz
//! → esbuild minifies the JS → `.br` and `.gz` beside each file, which the server sends to
//! browsers that accept them. The loader `www/embed.js` stays readable in the repository;
//! its minified copy is `www/pkg/embed.js`, which the server serves at `/embed.js`.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Result, bail};
use causerie_protocol::{BUILD_FOLDER_CHARS, is_build_folder};

use crate::tools::{esbuild, output, run, wasm_opt};

/// What every reader downloads, in brotli bytes, at most: the loader, the JS glue, the
/// wasm (the CSS is inside it) and one language file. Set by the comment-form issue.
pub const WIDGET_BUDGET_BROTLI: usize = 60_000;
/// The loader, `embed.js`, in brotli bytes, at most.
pub const LOADER_BUDGET_BROTLI: usize = 2_000;

/// The names of the patches that Cargo.lock records as unused (`[[patch.unused]]`).
pub fn unused_patches(lock: &str) -> Vec<String> {
    lock.split("\n[[")
        .filter(|table| table.trim_start_matches("[[").starts_with("patch.unused]]"))
        .filter_map(|table| {
            let line = table.lines().find(|l| l.starts_with("name = "))?;
            Some(
                line.trim_start_matches("name = ")
                    .trim_matches('"')
                    .to_owned(),
            )
        })
        .collect()
}

/// The size of one file, raw and compressed.
#[derive(Debug)]
pub struct Size {
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// Builds, optimises and precompresses the widget; fails when it is over budget.
pub fn widget(root: &Path) -> Result<Vec<Size>> {
    println!("building the widget (wasm32, release)");
    run(Command::new("cargo").args([
        "build",
        "--quiet",
        "--package",
        "causerie",
        "--lib",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    // Cargo only warns when a `[patch]` no longer applies (a dependency moved past its
    // version): the widget would then silently grow by the bytes the patch saves.
    let unused = unused_patches(&std::fs::read_to_string(root.join("Cargo.lock"))?);
    if !unused.is_empty() {
        bail!("these [patch.crates-io] entries no longer apply: {unused:?} (see Cargo.toml)");
    }
    let pkg = root.join("www/pkg");
    clear_keeping_builds(&pkg)?;
    run(Command::new("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            "causerie",
            "--out-dir",
        ])
        .arg(&pkg)
        .arg(root.join("target/wasm32-unknown-unknown/release/causerie.wasm")))?;
    let wasm = pkg.join("causerie_bg.wasm");
    let features = [
        "--enable-bulk-memory",
        "--enable-nontrapping-float-to-int",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-reference-types",
        "--enable-multivalue",
    ];
    run(Command::new(wasm_opt(root))
        // Flattening the code and rebuilding its control flow first (`--flatten
        // --rereloop`) lets `-Oz` and the merging of similar functions find more: 755
        // bytes brotli less than `-Oz` alone, measured on 2026-12-02 (52,404 → 51,649).
        .args(["--flatten", "--rereloop", "--merge-similar-functions"])
        // Rust's wasm32 memory is the module's own, zero-filled, and its first page is
        // unused (the stack starts at 1 MiB), which lets wasm-opt drop more.
        .args([
            "-Oz",
            "--converge",
            "--zero-filled-memory",
            "--low-memory-unused",
        ])
        .args(["--strip-debug", "--strip-producers"])
        .args(features)
        .arg(&wasm)
        .arg("-o")
        .arg(&wasm))?;
    // wasm-bindgen names each import after its JS function and a hash
    // (`__wbg_setAttribute_f75317b2b5cabfb4`), once in the wasm and once in the glue:
    // about 3 KB brotli of names. wasm-opt shortens them, and the module's name to `a`,
    // and prints the mapping (one JSON object: this pass runs alone), which
    // `rename_in_glue` applies to the glue.
    let mapping = output(
        Command::new(wasm_opt(root))
            .arg("--minify-imports-and-exports-and-modules")
            .args(features)
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm),
    )?;
    let glue = pkg.join("causerie.js");
    let renamed = rename_in_glue(&std::fs::read_to_string(&glue)?, &mapping)?;
    // `patches/wasm-streams` exists so that the glue exports no JS stream adapter.
    if renamed.contains("IntoUnderlying") {
        bail!("the widget's glue exports wasm-streams' adapters: is the patch applied?");
    }
    std::fs::write(&glue, renamed)?;

    let loader = pkg.join("embed.js");
    run(Command::new(esbuild(root))
        .arg(root.join("www/embed.js"))
        .args(["--minify", "--log-level=warning", "--legal-comments=none"])
        .arg(format!("--outfile={}", loader.display())))?;
    // The modules that pages load only when they need them: counts, and overrides.
    let counts = pkg.join("counts.js");
    let strings = pkg.join("strings.js");
    for module in [&counts, &strings] {
        let name = module.file_name().expect("a file name");
        run(Command::new(esbuild(root))
            .arg(root.join("www").join(name))
            .args([
                "--minify",
                "--format=esm",
                "--log-level=warning",
                "--legal-comments=none",
            ])
            .arg(format!("--outfile={}", module.display())))?;
    }
    run(Command::new(esbuild(root))
        .arg(&glue)
        .args([
            "--minify",
            "--format=esm",
            "--log-level=warning",
            "--allow-overwrite",
        ])
        .arg(format!("--outfile={}", glue.display())))?;

    // The stylesheet as a file, for the thread that the server renders (the widget's
    // own copy is inside the wasm).
    let style = pkg.join("causerie.css");
    run(Command::new(esbuild(root))
        .arg(root.join("src/style.css"))
        .args(["--minify", "--log-level=warning", "--legal-comments=none"])
        .arg(format!("--outfile={}", style.display())))?;
    // The module that puts the server's HTML in a page served without it, with the
    // stylesheet built in as text.
    let prerender = pkg.join("prerender.js");
    run(Command::new(esbuild(root))
        .arg(root.join("www/prerender.js"))
        .args([
            "--bundle",
            "--minify",
            "--format=esm",
            "--loader:.css=text",
            "--log-level=warning",
            "--legal-comments=none",
        ])
        .arg(format!("--outfile={}", prerender.display())))?;
    let mut loaded: Vec<PathBuf> = vec![glue, wasm, counts, strings, style, prerender];
    loaded.extend(write_locales(&pkg)?);
    loaded.push(pkg.join("i18n/keys.json"));
    // The loader names the folder of this build's files, named by their content.
    let folder = build_folder(&pkg, &loaded)?;
    let minified = std::fs::read_to_string(&loader)?;
    if minified.matches("\"pkg/\"").count() != 1 {
        bail!("the minified loader does not name \"pkg/\" once: where does it load from?");
    }
    std::fs::write(
        &loader,
        minified.replace("\"pkg/\"", &format!("\"pkg/{folder}/\"")),
    )?;
    let mut sizes = Vec::new();
    for file in std::iter::once(&loader).chain(&loaded) {
        let bytes = std::fs::read(file)?;
        let gzip = gzip(&bytes)?;
        let brotli = brotli(&bytes)?;
        std::fs::write(with_suffix(file, ".gz"), &gzip)?;
        std::fs::write(with_suffix(file, ".br"), &brotli)?;
        // Only `strings.js` reads the names of the messages.
        if file.ends_with("keys.json") {
            continue;
        }
        sizes.push(Size {
            name: file
                .strip_prefix(root)
                .unwrap_or(file)
                .display()
                .to_string(),
            raw: bytes.len(),
            gzip: gzip.len(),
            brotli: brotli.len(),
        });
    }
    copy_into_build(&pkg, &folder, &loaded)?;
    // The server names the folder in the HTML it renders.
    std::fs::write(pkg.join("build"), &folder)?;
    print_sizes(&sizes);
    check_budgets(&sizes)?;
    Ok(sizes)
}

/// Empties `pkg/` for a new build, but for the folders of earlier builds: a reader whose
/// browser still holds the previous loader (cached for minutes) finds its files.
fn clear_keeping_builds(pkg: &Path) -> Result<()> {
    if !pkg.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(pkg)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            if !is_build_folder(&entry.file_name().to_string_lossy()) {
                std::fs::remove_dir_all(&path)?;
            }
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The name of this build's folder: the first hex digits of the SHA-256 of every file
/// that the loader fetches, each with its name.
fn build_folder(pkg: &Path, files: &[PathBuf]) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for file in files {
        let name = file.strip_prefix(pkg)?.to_string_lossy().into_owned();
        let bytes = std::fs::read(file)?;
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(hex[..BUILD_FOLDER_CHARS].to_owned())
}

/// Copies `files` (from `pkg/`), with their `.br` and `.gz`, into `pkg/<folder>/`, then
/// removes the folders of older builds but the newest one.
fn copy_into_build(pkg: &Path, folder: &str, files: &[PathBuf]) -> Result<()> {
    let dir = pkg.join(folder);
    for file in files {
        let to = dir.join(file.strip_prefix(pkg)?);
        std::fs::create_dir_all(to.parent().expect("a folder"))?;
        for suffix in ["", ".br", ".gz"] {
            std::fs::copy(with_suffix(file, suffix), with_suffix(&to, suffix))?;
        }
    }
    let mut older = Vec::new();
    for entry in std::fs::read_dir(pkg)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() && is_build_folder(&name) && name != folder {
            older.push((entry.metadata()?.modified()?, entry.path()));
        }
    }
    older.sort();
    older.pop();
    for (_, path) in older {
        std::fs::remove_dir_all(path)?;
    }
    Ok(())
}

/// Applies wasm-opt's mapping of minified names (its JSON output) to wasm-bindgen's glue:
/// the import module `./causerie_bg.js` becomes `a`; each import is a key of the glue's
/// import object (`name: function`), and each export a property of `wasm`
/// (`wasm.name`). Imports the optimised module no longer has are dropped from the glue.
/// Fails if a name is not where it is expected, rather than ship glue that does not
/// match its module.
fn rename_in_glue(glue: &str, mapping: &str) -> Result<String> {
    let map: serde_json::Value = serde_json::from_str(mapping.trim())?;
    let list = |key: &str| map[key].as_array().cloned().unwrap_or_default();
    let mut imports = std::collections::HashMap::new();
    for import in list("imports") {
        let (Some("./causerie_bg.js"), Some(name), Some(short)) =
            (import[0].as_str(), import[1].as_str(), import[2].as_str())
        else {
            bail!("an unexpected import in wasm-opt's mapping: {import}");
        };
        imports.insert(name.to_owned(), short.to_owned());
    }
    // The import object: rename the keys the module still imports, drop the others.
    let mut out = String::with_capacity(glue.len());
    let mut dropping = false;
    let mut renamed = 0;
    for line in glue.lines() {
        if dropping {
            // The entry ends at its first line indented as the key: `},` or, for
            // functions that may throw, `}, arguments); },`.
            dropping = !line.starts_with("        }");
            continue;
        }
        let key = line
            .strip_prefix("        ")
            .and_then(|l| l.split_once(": function"))
            .map(|(key, _)| key)
            .filter(|key| key.starts_with("__wbg") || key.starts_with("__wbindgen"));
        match key.map(|key| (key, imports.get(key))) {
            Some((key, Some(short))) => {
                out.push_str(&line.replacen(key, &format!("\"{short}\""), 1));
                renamed += 1;
            }
            Some((_, None)) => {
                dropping = !line.trim_end().ends_with("},");
                continue;
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    if renamed != imports.len() {
        bail!(
            "the glue has {renamed} of the module's {} imports",
            imports.len()
        );
    }
    let module = "\"./causerie_bg.js\": import0";
    if out.matches(module).count() != 1 {
        bail!("the glue's import object is not where it was: {module}");
    }
    let mut out = out.replacen(module, "\"a\": import0", 1);
    for export in list("exports") {
        let (Some(name), Some(short)) = (export[0].as_str(), export[1].as_str()) else {
            bail!("an export in wasm-opt's mapping has no name: {export}");
        };
        out = replace_word(&out, &format!("wasm.{name}"), &format!("wasm.{short}"));
    }
    Ok(out)
}

/// Replaces each `from` of `text` that is a whole word: neither preceded nor followed by
/// an identifier character.
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        let whole = !before.is_some_and(ident) && !after.is_some_and(ident);
        out.push_str(&rest[..i]);
        out.push_str(if whole { to } else { from });
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Writes each language to `pkg/i18n/<tag>.json`: its messages, which the widget takes
/// for every language, English included (none is built in), and its count forms, which the loader uses.
fn write_locales(pkg: &Path) -> Result<Vec<PathBuf>> {
    let dir = pkg.join("i18n");
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::new();
    for locale in &causerie_i18n::LOCALES {
        let mut counts = serde_json::Map::new();
        counts.insert("none".into(), locale.counts.none.into());
        for (category, form) in locale.counts.forms {
            counts.insert((*category).into(), (*form).into());
        }
        let direction = if locale.rtl { "rtl" } else { "ltr" };
        let messages = &locale.messages[..];
        let json = serde_json::json!({ "dir": direction, "messages": messages, "counts": counts });
        let file = dir.join(format!("{}.json", locale.tag));
        std::fs::write(&file, serde_json::to_string(&json)?)?;
        files.push(file);
    }
    // The message names, for `strings.js`.
    std::fs::write(
        dir.join("keys.json"),
        serde_json::to_string(&causerie_i18n::NAMES[..])?,
    )?;
    Ok(files)
}

/// The size of `bytes`, raw and compressed as the server sends them.
pub fn measure(name: &str, bytes: &[u8]) -> Result<Size> {
    Ok(Size {
        name: name.to_owned(),
        raw: bytes.len(),
        gzip: gzip(bytes)?.len(),
        brotli: brotli(bytes)?.len(),
    })
}

/// Fails when the widget or the loader is over its budget. An article's reader downloads
/// the loader, the glue, the wasm and at most one language file: the largest one is
/// counted. `counts.js` is for pages that show counts, and is reported apart.
pub fn check_budgets(sizes: &[Size]) -> Result<()> {
    let total = reader_total(sizes, |s| s.brotli);
    let loader = sizes
        .iter()
        .find(|s| s.name.ends_with("embed.js"))
        .map_or(0, |s| s.brotli);
    if total > WIDGET_BUDGET_BROTLI {
        bail!("the widget is {total} bytes brotli, over its budget of {WIDGET_BUDGET_BROTLI}");
    }
    if loader > LOADER_BUDGET_BROTLI {
        bail!("embed.js is {loader} bytes brotli, over its budget of {LOADER_BUDGET_BROTLI}");
    }
    Ok(())
}

/// What an article's reader downloads: everything but the modules that only some pages
/// load (`counts.js`, `strings.js`), and only the largest language file.
pub fn reader_total(sizes: &[Size], size: impl Fn(&Size) -> usize) -> usize {
    let locale = |s: &&Size| s.name.contains("/i18n/");
    // Only some pages load these; the stylesheet file only with the server's HTML in the
    // page, which then needs no `prerender.js`, larger, which the total counts.
    let counts = |s: &&Size| {
        s.name.ends_with("counts.js") || s.name.ends_with("strings.js") || s.name.ends_with(".css")
    };
    let files = sizes
        .iter()
        .filter(|s| !locale(s) && !counts(s))
        .map(&size)
        .sum::<usize>();
    files + sizes.iter().filter(locale).map(&size).max().unwrap_or(0)
}

/// A table of sizes, and the total a reader downloads.
pub fn print_sizes(sizes: &[Size]) {
    println!(
        "\n{:<28} {:>9} {:>9} {:>9}",
        "what a reader downloads", "raw", "gzip", "brotli"
    );
    for s in sizes {
        println!("{:<30} {:>9} {:>9} {:>9}", s.name, s.raw, s.gzip, s.brotli);
    }
    let sum = |f: fn(&Size) -> usize| reader_total(sizes, f);
    println!(
        "{:<30} {:>9} {:>9} {:>9}   (budget: {} brotli; loader {})",
        "reader's total (one language)",
        sum(|s| s.raw),
        sum(|s| s.gzip),
        sum(|s| s.brotli),
        WIDGET_BUDGET_BROTLI,
        LOADER_BUDGET_BROTLI
    );
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(name: &str, brotli: usize) -> Size {
        Size {
            name: name.into(),
            raw: 0,
            gzip: 0,
            brotli,
        }
    }

    #[test]
    fn glue_names_follow_the_minified_module() {
        let glue = "const import0 = {\n        __wbg_get_1: function(a) {\n            return a;\n        },\n\
                    \x20       __wbg_dead_2: function() { return handleError(function (a) {\n            return 0;\n        }, arguments); },\n\
                    \x20       __wbg_get_10: function(a) {\n            return 1;\n        },\n};\n\
                    return { \"./causerie_bg.js\": import0 };\n\
                    wasm.__wbindgen_malloc(1); wasm.__wbindgen_malloc_x(2); wasm.memory.buffer;\n";
        let mapping = r#"{ "imports": [["./causerie_bg.js", "__wbg_get_1", "a"], ["./causerie_bg.js", "__wbg_get_10", "$b"]],
                           "exports": [["memory", "c"], ["__wbindgen_malloc", "d"], ["__wbindgen_malloc_x", "e"], ["marker", "f"]] }"#;
        let renamed = rename_in_glue(glue, mapping).unwrap();
        assert_eq!(
            renamed,
            "const import0 = {\n        \"a\": function(a) {\n            return a;\n        },\n\
             \x20       \"$b\": function(a) {\n            return 1;\n        },\n};\n\
             return { \"a\": import0 };\n\
             wasm.d(1); wasm.e(2); wasm.c.buffer;\n"
        );
        // An import the glue does not have is an error, not a broken widget.
        let extra = r#"{ "imports": [["./causerie_bg.js", "__wbg_get_1", "a"], ["./causerie_bg.js", "__wbg_nope", "z"]], "exports": [] }"#;
        assert!(rename_in_glue(glue, extra).is_err());
    }

    #[test]
    fn budgets_fail_when_over() {
        assert!(check_budgets(&[size("www/pkg/embed.js", 900), size("w.wasm", 50_000)]).is_ok());
        assert!(check_budgets(&[size("www/pkg/embed.js", 900), size("w.wasm", 59_101)]).is_err());
        assert!(check_budgets(&[size("www/pkg/embed.js", 2_001)]).is_err());
        // Only the largest language file counts: a reader downloads one. `counts.js` is
        // not part of an article's download.
        let sizes = [
            size("www/pkg/embed.js", 900),
            size("w.wasm", 57_000),
            size("www/pkg/i18n/fr.json", 1_500),
            size("www/pkg/i18n/de.json", 1_600),
            size("www/pkg/counts.js", 5_000),
        ];
        assert!(check_budgets(&sizes).is_ok());
        let sizes = [size("w.wasm", 58_500), size("www/pkg/i18n/de.json", 1_600)];
        assert!(check_budgets(&sizes).is_err());
    }
}
