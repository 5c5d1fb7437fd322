//! Pure Rust: no web-sys / js-sys. Everything here compiles and tests natively.

pub mod api;
pub mod authorize;
pub mod batch;
pub mod chat;
pub mod error;
pub mod pkce;
pub mod sse;
pub mod token;

pub use error::{CozeError, ErrorCode, Result};
