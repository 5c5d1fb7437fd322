//! Browser / JS-runtime layer: fetch, streams, storage, the client. Thin over `core`.

pub mod client;
pub mod http;
pub mod js;
pub mod login;
pub mod oauth;
pub mod storage;
pub mod stream;
pub mod tokens;

use wasm_bindgen::JsValue;

use crate::core::{CozeError, Result};

/// Reads a JS options object field by field; wrong types are INVALID_ARGUMENT naming the function
/// and the field. (Hand-written instead of serde: it keeps serde's machinery out of the wasm.)
pub struct Options<'a> {
    function: &'a str,
    obj: JsValue,
}

impl<'a> Options<'a> {
    /// `value` must be an object.
    pub fn new(function: &'a str, value: &JsValue) -> Result<Self> {
        if !value.is_object() || js_sys::Array::is_array(value) {
            return Err(CozeError::invalid_argument(format!("{function}: expected an options object")));
        }
        Ok(Options { function, obj: value.clone() })
    }

    /// `undefined` / `null` read as `{}`.
    pub fn optional(function: &'a str, value: &JsValue) -> Result<Self> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options { function, obj: js_sys::Object::new().into() });
        }
        Self::new(function, value)
    }

    pub fn get(&self, key: &str) -> JsValue {
        js::get(&self.obj, key)
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_string()
            .map(Some)
            .ok_or_else(|| CozeError::invalid_argument(format!("{}: `{key}` must be a string", self.function)))
    }

    /// A required, non-empty string.
    pub fn string(&self, key: &str) -> Result<String> {
        match self.opt_string(key)? {
            Some(s) if !s.is_empty() => Ok(s),
            Some(_) => Err(CozeError::invalid_argument(format!("{}: `{key}` must not be empty", self.function))),
            None => Err(CozeError::invalid_argument(format!("{}: `{key}` is required", self.function))),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        v.as_bool()
            .map(Some)
            .ok_or_else(|| CozeError::invalid_argument(format!("{}: `{key}` must be a boolean", self.function)))
    }

    pub fn opt_number(&self, key: &str) -> Result<Option<f64>> {
        let v = self.get(key);
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        match v.as_f64() {
            Some(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(CozeError::invalid_argument(format!("{}: `{key}` must be a finite number", self.function))),
        }
    }
}

/// `{signal?}` of a request-options argument.
pub fn signal_of(options: &JsValue) -> Result<Option<web_sys::AbortSignal>> {
    use wasm_bindgen::JsCast;
    let signal = js::get(options, "signal");
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    if js::get(&signal, "aborted").as_bool().is_none() {
        return Err(CozeError::invalid_argument("`signal` must be an AbortSignal"));
    }
    Ok(Some(signal.unchecked_into()))
}

/// A JS promise of a Rust future; errors become JS `CozeError`s.
pub fn promise<F>(fut: F) -> js_sys::Promise
where
    F: std::future::Future<Output = Result<JsValue>> + 'static,
{
    // One boxed future type: future_to_promise (and its task plumbing) is compiled once, not
    // once per exported async function.
    let boxed: std::pin::Pin<Box<dyn std::future::Future<Output = Result<JsValue>>>> = Box::pin(fut);
    wasm_bindgen_futures::future_to_promise(async move { boxed.await.map_err(JsValue::from) })
}
