//! The DOM-free tests of shared/api.rs in Node ≥ 20 (no `run_in_browser`, so the runner uses
//! Node): `cargo test --target wasm32-unknown-unknown --test node`, with COZE_EMULATOR_URL set at
//! build time as for the browser suites.
#![cfg(target_arch = "wasm32")]

#[allow(dead_code)]
#[path = "shared/api.rs"]
mod api;
#[path = "shared/jwt.rs"]
mod jwt;
#[allow(dead_code)]
mod support;

use coze_wasm::*;
use support::*;
use wasm_bindgen_test::*;

// The PAT guard is for pages and workers (tests/browser.rs): a server script may use a PAT.
#[wasm_bindgen_test]
fn a_pat_is_accepted_outside_a_page() {
    assert!(CozeAPI::new(json(r#"{"token":"pat_abc"}"#)).is_ok());
}
