//! Bindings to the JS driver (`src/js/support.js`). The driver performs every fetch, await, body
//! read, storage call and lock; the wasm decides what to send and what each reply means.

use wasm_bindgen::prelude::*;

use crate::core::CozeError;
use crate::Core;

#[wasm_bindgen(module = "/src/js/support.js")]
extern "C" {
    #[wasm_bindgen(js_name = createError)]
    #[allow(clippy::too_many_arguments)]
    fn create_error(
        code: &str,
        message: &str,
        status: Option<u16>,
        coze_code: Option<f64>,
        msg: Option<String>,
        logid: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
        raw: Option<String>,
    ) -> JsValue;

    /// Hands the driver the `Core` it asks for its decisions.
    #[wasm_bindgen(js_name = setCore)]
    fn set_core(core: Core);
    /// Pushes a batch's records (chat events or `{event, data, id}`); → the last-event-ID after them.
    pub fn records(text: &str, meta: &[u32], out: &js_sys::Array, id: &JsValue, chat: bool) -> JsValue;
    pub fn part(event: &str, data: &JsValue) -> JsValue;
    pub fn unparsed(event: &str, raw: &str, strict: bool) -> JsValue;
    #[wasm_bindgen(js_name = sseEvent)]
    pub fn sse_event(event: &str, data: &str, id: &JsValue) -> JsValue;

    #[wasm_bindgen(js_name = textProblem)]
    fn text_problem(text: &JsValue) -> u32;
    /// A real Uint8Array's length from its internal slots; -1: not one, -2: detached.
    #[wasm_bindgen(js_name = byteLength)]
    fn byte_length(value: &JsValue) -> f64;
    #[wasm_bindgen(js_name = isAbortSignal)]
    pub fn is_abort_signal(value: &JsValue) -> bool;

    /// Adds server-only entries to the driver (`serverFlows` in support.js): for the wasm-bindgen
    /// tests, which load no package entry, with src/js/server.js's `jwtFlow`. The library never
    /// calls it, so the package's glue does not import it.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = serverFlows)]
    pub fn server_flows(install: &JsValue);
}

#[wasm_bindgen]
extern "C" {
    // The caller's objects can throw from getters and Proxy traps (or be revoked Proxies):
    // these run with `catch`, so such a throw is an error value here and never unwinds the wasm.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array_checked(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = "prototype.set.call")]
    fn copy_bytes(to: &mut [u8], from: &JsValue);
}

/// Hands the driver its `Core`, once: from `start` (`init()`), or from the Rust names' first call
/// where `start` did not run (the wasm-bindgen test runner).
pub fn ready() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static READY: AtomicBool = AtomicBool::new(false);
    if !READY.swap(true, Ordering::Relaxed) {
        set_core(Core::default());
    }
}

/// A string argument as Rust text; `Ok(None)` when `value` is not a string. Over 16384 UTF-16
/// units, or holding a lone surrogate (which the conversion would turn into U+FFFD) → why not.
pub fn text(value: &JsValue) -> Result<Option<String>, &'static str> {
    if !value.is_string() {
        return Ok(None);
    }
    match text_problem(value) {
        0 => Ok(value.as_string()),
        1 => Err("is too long"),
        _ => Err("is not valid Unicode"),
    }
}

/// `Array.isArray`; a revoked Proxy counts as one (it cannot be read as an object either).
pub fn is_array(value: &JsValue) -> bool {
    is_array_checked(value).unwrap_or(true)
}

/// `target[key]`, with a throwing getter or Proxy trap as the error.
pub fn try_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if target.is_object() || target.is_function() {
        reflect_get(target, key)
    } else {
        Ok(JsValue::UNDEFINED)
    }
}

/// `target[key]`, `undefined` when reading it throws.
pub fn get(target: &JsValue, key: &str) -> JsValue {
    try_get(target, key).unwrap_or(JsValue::UNDEFINED)
}

/// Copies the bytes of a real `Uint8Array` into `buf` (reused, only grows); `None` for anything
/// else (detached included). The length comes from internal slots, so a lying subclass or Proxy
/// cannot make the copy over- or under-run.
pub fn copy_chunk<'a>(chunk: &JsValue, buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    let len = byte_length(chunk);
    if len < 0.0 {
        return None;
    }
    let len = len as usize;
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let bytes = &mut buf[..len];
    copy_bytes(bytes, chunk);
    Some(bytes)
}

impl From<CozeError> for JsValue {
    fn from(err: CozeError) -> JsValue {
        create_error(
            err.code.as_str(),
            &err.message,
            err.status,
            err.coze_code.map(|c| c as f64),
            err.msg,
            err.logid,
            err.error,
            err.error_description,
            err.raw,
        )
    }
}
