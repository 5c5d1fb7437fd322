//! Browser / JS-runtime layer, sans-IO: the JS driver (`src/js/support.js`) performs fetches,
//! awaits, body reads, storage and locks, and asks `core::ops` what to send and what replies mean.
//! What stays here works on JS values directly: the byte-level stream engine and the bindings.

pub mod crossing;
pub mod js;
pub mod parser;
pub mod stream;
