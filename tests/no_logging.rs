//! "Never log tokens or verifiers" starts with never logging: the library's code (src/, outside
//! `#[cfg(test)]` modules, and the JS snippet) prints nothing and calls no console or logger, so
//! nothing it holds can reach a log. Types that hold secrets print redacted (`Debug` tests in
//! src/core) or cannot be printed at all (tests/security.rs).
#![cfg(not(target_arch = "wasm32"))]

use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The file's text without its test module(s): everything before the first `#[cfg(test)]`.
fn library_code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.split("#[cfg(test)]").next().unwrap().to_owned()
}

#[test]
fn the_library_prints_and_logs_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut rust = Vec::new();
    files(&root.join("src"), "rs", &mut rust);
    assert!(rust.len() > 10, "found only {} Rust files", rust.len());
    let banned =
        ["println!", "print!(", "eprintln!", "eprint!(", "dbg!(", "console::", "console_log", "log::", "tracing::"];
    for path in &rust {
        let code = library_code(path);
        for pattern in banned {
            assert!(!code.contains(pattern), "{} uses {pattern}", path.display());
        }
    }
    let mut js = Vec::new();
    files(&root.join("src").join("js"), "js", &mut js);
    assert!(!js.is_empty());
    for path in &js {
        let code = fs::read_to_string(path).unwrap();
        for pattern in ["console.", "debugger"] {
            assert!(!code.contains(pattern), "{} uses {pattern}", path.display());
        }
    }
}

#[test]
fn web_sys_console_is_only_a_dev_dependency() {
    // The library cannot call console.* without web-sys's "console" feature in [dependencies]
    // (today it does not depend on web-sys at all: the JS driver does the web work).
    let manifest = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    // [dependencies] and the wasm32 [target....dependencies] come before [dev-dependencies].
    let library_deps = manifest.split("[dev-dependencies]").next().unwrap();
    assert!(library_deps.contains("wasm-bindgen"), "Cargo.toml layout changed; update this test");
    assert!(!library_deps.contains("\"console\""), "web-sys's console feature in a library dependency section");
}
