//! Tidy checks, run with the workspace's tests: every Rust file says what it is for in
//! its first line (`//!`), and the workspace's patches still apply.

use std::path::{Path, PathBuf};

/// The `.rs` files of the project, outside `target/` and other build output.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" || name == "node_modules" {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, out);
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_module_comment() {
    let root = crate::project_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 50, "found only {} Rust files", files.len());
    let bare: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.starts_with("//!")
        })
        .map(|f| f.strip_prefix(&root).unwrap_or(f).display().to_string())
        .collect();
    assert!(
        bare.is_empty(),
        "these files do not open with `//!`: {bare:?}"
    );
}

#[test]
fn every_patch_of_the_workspace_applies() {
    let lock = std::fs::read_to_string(crate::project_root().join("Cargo.lock")).unwrap();
    assert_eq!(crate::build::unused_patches(&lock), Vec::<String>::new());
    assert!(crate::build::unused_patches("[[patch.unused]]\nname = \"x\"\n") == ["x"]);
}
