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
        if !value.is_object() || js::is_array(value) {
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

    /// The object itself (`{}` for an omitted optional one).
    pub fn value(&self) -> &JsValue {
        &self.obj
    }

    pub fn invalid(&self, key: &str, why: &str) -> CozeError {
        CozeError::invalid_argument(format!("{}: `{key}` {why}", self.function))
    }

    /// A field; a getter or Proxy trap that throws is INVALID_ARGUMENT, not `undefined`.
    pub fn get(&self, key: &str) -> Result<JsValue> {
        js::try_get(&self.obj, key).map_err(|_| self.invalid(key, "could not be read (a getter or Proxy trap threw)"))
    }

    /// The field, or `None` for `undefined` / `null`.
    fn present(&self, key: &str) -> Result<Option<JsValue>> {
        let v = self.get(key)?;
        Ok(if v.is_undefined() || v.is_null() { None } else { Some(v) })
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>> {
        let Some(v) = self.present(key)? else { return Ok(None) };
        match js::text(&v) {
            Ok(Some(s)) => Ok(Some(s)),
            Ok(None) => Err(self.invalid(key, "must be a string")),
            Err(why) => Err(self.invalid(key, why)),
        }
    }

    /// An optional string that, when given, is not empty or blank.
    pub fn opt_nonempty(&self, key: &str) -> Result<Option<String>> {
        match self.opt_string(key)? {
            Some(s) if s.trim().is_empty() => Err(self.invalid(key, "must not be empty")),
            s => Ok(s),
        }
    }

    /// A required string that is not empty or blank.
    pub fn string(&self, key: &str) -> Result<String> {
        self.opt_nonempty(key)?.ok_or_else(|| self.invalid(key, "is required"))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => v.as_bool().map(Some).ok_or_else(|| self.invalid(key, "must be a boolean")),
        }
    }

    /// A finite number ≥ 0.
    pub fn opt_number(&self, key: &str) -> Result<Option<f64>> {
        match self.present(key)? {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(Some)
                .ok_or_else(|| self.invalid(key, "must be a finite number ≥ 0")),
        }
    }

    /// `{signal?}`: a real AbortSignal (the platform's brand check), not a look-alike.
    pub fn signal(&self) -> Result<Option<web_sys::AbortSignal>> {
        use wasm_bindgen::JsCast;
        match self.present("signal")? {
            None => Ok(None),
            Some(v) if js::is_abort_signal(&v) => Ok(Some(v.unchecked_into())),
            Some(_) => Err(self.invalid("signal", "must be an AbortSignal")),
        }
    }
}

/// `{signal?}` of a request-options argument (`undefined`, `null` or an object).
pub fn signal_of(options: &JsValue) -> Result<Option<web_sys::AbortSignal>> {
    Options::optional("request options", options)?.signal()
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
