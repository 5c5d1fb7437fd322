//! Pure Rust: no web-sys / js-sys. Everything here compiles and tests natively.

// CozeError carries every field a JS error exposes: 168 bytes on 64-bit hosts (under clippy's
// threshold on wasm32, the target that ships). Errors are the cold path; boxing would cost more.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod authorize;
pub mod batch;
pub mod chat;
pub mod content;
pub mod endpoints;
pub mod error;
pub mod flows;
pub mod json;
#[cfg(feature = "server")]
pub mod jwt;
pub mod ops;
pub mod pkce;
pub mod sse;
pub mod token;

pub use error::{CozeError, ErrorCode, Result};
