//! Minifies the widget's stylesheet into `OUT_DIR/style.css`, which `src/lib.rs`
//! includes: the wasm carries the CSS, and every reader downloads it. The repository's
//! `src/style.css` keeps its comments and layout.
//!
//! The minifier only drops comments and the white space that CSS never needs: around
//! `{ } ; , >`, after `:`, and before a `}`. It never removes the space before a `:`,
//! which separates a descendant selector from a pseudo-class (`a :focus`).

use std::{env, fs, path::Path};

fn main() {
    println!("cargo::rerun-if-changed=src/style.css");
    let css = fs::read_to_string("src/style.css").expect("src/style.css is readable");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("style.css");
    fs::write(out, minify(&css)).expect("OUT_DIR is writable");
}

fn minify(css: &str) -> String {
    // Comments first: they may hold any character.
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .split_once("*/")
            .map_or("", |(_, after)| after);
    }
    text.push_str(rest);
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let glued = out.ends_with(['{', '}', ';', ',', '>', ':']) || out.is_empty();
        if !glued && !word.starts_with(['{', '}', ';', ',', '>']) {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.replace(";}", "}")
}
