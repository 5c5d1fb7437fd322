//! coze-wasm: Coze OAuth PKCE login and streamed bot chat for the browser.
//!
//! `core` is pure Rust (tested natively); `web` and the `#[wasm_bindgen]` facade only build for wasm32.

pub mod core;

#[cfg(target_arch = "wasm32")]
mod web;

/// Coze's China-region API host.
pub const COZE_CN_BASE_URL: &str = "https://api.coze.cn";
/// Coze's global API host (every official SDK's default).
pub const COZE_COM_BASE_URL: &str = "https://api.coze.com";
