//! Browser / JS-runtime layer: fetch, streams, storage, the client. Thin over `core`.

pub mod client;
pub mod http;
pub mod js;
pub mod login;
pub mod oauth;
pub mod storage;
pub mod stream;
pub mod tokens;

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::core::CozeError;

/// Reads an options object into `T`; a bad shape is INVALID_ARGUMENT naming the function.
pub fn parse_options<T: DeserializeOwned>(function: &str, options: &JsValue) -> Result<T, CozeError> {
    if !options.is_object() {
        return Err(CozeError::invalid_argument(format!("{function}: expected an options object")));
    }
    serde_wasm_bindgen::from_value(options.clone())
        .map_err(|e| CozeError::invalid_argument(format!("{function}: {e}")))
}
