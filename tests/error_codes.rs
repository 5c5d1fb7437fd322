//! The error codes are one list: Rust's `ErrorCode::ALL`, the `CozeErrorCode` union in
//! src/js/index.d.ts and the README's "Errors" table name the same codes.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use coze_wasm::core::ErrorCode;

fn read(rel: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Every `'CODE'` between `export type CozeErrorCode =` and the `;` that ends it.
fn typescript_union() -> BTreeSet<String> {
    let dts = read("src/js/index.d.ts");
    let start = dts.find("export type CozeErrorCode =").expect("the CozeErrorCode union");
    let union = &dts[start..start + dts[start..].find(';').unwrap()];
    union.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The first column of the README's "## Errors" table.
fn readme_table() -> BTreeSet<String> {
    let readme = read("README.md");
    let section = &readme[readme.find("## Errors").expect("an Errors section")..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    section.lines().filter_map(|line| line.strip_prefix("| `")?.split('`').next().map(str::to_owned)).collect()
}

#[test]
fn rust_typescript_and_readme_list_the_same_codes() {
    let rust: BTreeSet<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(rust.len(), ErrorCode::ALL.len(), "a code string is used twice");
    assert_eq!(typescript_union(), rust, "index.d.ts CozeErrorCode differs from ErrorCode::ALL");
    assert_eq!(readme_table(), rust, "README's Errors table differs from ErrorCode::ALL");
}

/// The JWT refusal reasons are one list too: `core::jwt::REASONS` (+ the fallback `refused`), the
/// `JWTRefusalReason` union and the README's "JWT troubleshooting" table.
#[cfg(feature = "server")]
#[test]
fn jwt_reasons_agree_in_rust_typescript_and_readme() {
    let mut rust: BTreeSet<String> = coze_wasm::core::jwt::REASONS.iter().map(|(r, _)| (*r).to_owned()).collect();
    rust.insert("refused".into());
    let dts = read("src/js/index.d.ts");
    let start = dts.find("export type JWTRefusalReason =").expect("the JWTRefusalReason union");
    let union = &dts[start..start + dts[start..].find(';').unwrap()];
    let ts: BTreeSet<String> = union.split('\'').skip(1).step_by(2).map(str::to_owned).collect();
    let readme = read("README.md");
    let section = &readme[readme.find("### JWT troubleshooting").expect("a JWT troubleshooting section")..];
    let section = &section[..section[3..].find("\n#").map_or(section.len(), |i| i + 3)];
    let table: BTreeSet<String> =
        section.lines().filter_map(|line| line.strip_prefix("| `")?.split('`').next().map(str::to_owned)).collect();
    assert_eq!(ts, rust, "index.d.ts JWTRefusalReason differs from core::jwt::REASONS");
    assert_eq!(table, rust, "README's JWT troubleshooting table differs from core::jwt::REASONS");
}
