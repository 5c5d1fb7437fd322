//! Browser / JS-runtime layer, sans-IO: the JS driver (`src/js/support.js`) performs fetches,
//! awaits, body reads, storage and locks; this layer decides what to send and what replies mean.

pub mod endpoints;
pub mod js;
pub mod params;
pub mod reply;
pub mod stream;
