//! Bindings to `src/js/support.js` and the few globals we use. `fetch` is the global one, so the
//! library works in windows, workers and Node (no `window` needed).

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;

use crate::core::CozeError;

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

    #[wasm_bindgen(js_name = isCozeError)]
    pub fn is_coze_error(value: &JsValue) -> bool;

    #[wasm_bindgen(js_name = chatIterable)]
    pub fn chat_iterable(stream: JsValue) -> JsValue;

    #[wasm_bindgen(js_name = ignoreRejection)]
    pub fn ignore_rejection(promise: &Promise);

    /// Pushes the batch's chat events onto `out`; their JSON is parsed as they are yielded.
    #[wasm_bindgen(js_name = chatParts)]
    pub fn chat_parts(text: &str, meta: &[u32], out: &js_sys::Array);

    /// Pushes the batch's `{event, data, id}` records onto `out`.
    #[wasm_bindgen(js_name = sseEvents)]
    pub fn sse_events(text: &str, meta: &[u32], out: &js_sys::Array);

    pub fn part(event: &str, data: &JsValue) -> JsValue;

    /// One (big) chat event outside a batch, parsed when it is yielded like the batched ones.
    pub fn unparsed(event: &str, raw: &str, strict: bool) -> JsValue;

    #[wasm_bindgen(js_name = sseEvent)]
    pub fn sse_event(event: &str, data: &str, id: &str) -> JsValue;

    /// Calls `listener(value)` in a microtask: a throwing listener is reported by the runtime
    /// and cannot break the refresh that told it.
    pub fn notify(listener: &js_sys::Function, value: &JsValue);

    #[wasm_bindgen(js_name = withLock)]
    pub fn with_lock(name: &str, task: &js_sys::Function) -> JsValue;

    /// Resolves whether a Web Lock of this name is held (false without Web Locks).
    #[wasm_bindgen(js_name = lockHeld)]
    pub fn lock_held(name: &str) -> Promise;

    /// Takes a shared Web Lock for `ms`; resolves once granted (at once without Web Locks).
    #[wasm_bindgen(js_name = holdLock)]
    pub fn hold_lock(name: &str, ms: f64) -> Promise;

    #[wasm_bindgen(js_name = sessionStorageOrNull)]
    pub fn session_storage_or_null() -> JsValue;

    #[wasm_bindgen(js_name = currentLocation)]
    pub fn current_location() -> Option<String>;

    #[wasm_bindgen(js_name = replaceLocation)]
    pub fn replace_location(url: &str);

    #[wasm_bindgen(js_name = isBrowser)]
    pub fn is_browser() -> bool;

    #[wasm_bindgen(js_name = nowSeconds)]
    pub fn now_seconds() -> f64;

    #[wasm_bindgen(js_name = describeValue)]
    pub fn describe_value(value: &JsValue) -> String;

    #[wasm_bindgen(js_name = textProblem)]
    fn text_problem(text: &JsValue) -> u32;

    /// A real Uint8Array's length from its internal slots; -1: not one, -2: detached.
    #[wasm_bindgen(js_name = byteLength)]
    fn byte_length(value: &JsValue) -> f64;

    #[wasm_bindgen(js_name = isAbortSignal)]
    pub fn is_abort_signal(value: &JsValue) -> bool;

    #[wasm_bindgen(js_name = sleep)]
    pub fn sleep(ms: f64, signal: Option<web_sys::AbortSignal>) -> Promise;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    pub fn fetch_with_request(request: &web_sys::Request) -> Promise;

    // The caller's objects can throw from getters and Proxy traps (or be revoked Proxies):
    // these run with `catch`, so such a throw is an error value here and never unwinds the wasm.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array_checked(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = from, catch)]
    pub fn array_from(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = assign, catch)]
    pub fn assign(target: &Object, source: &JsValue) -> Result<Object, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    pub fn entries(value: &JsValue) -> Result<js_sys::Array, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Uint8Array, js_name = "prototype.set.call")]
    fn copy_bytes(to: &mut [u8], from: &JsValue);
}

/// A string argument as Rust text; `Ok(None)` when `value` is not a string. Longer than 16384
/// UTF-16 units (IDs, tokens, URLs and option values are far shorter: a longer one is a mistake,
/// refused before it is copied into wasm memory), or holding a lone surrogate (which the conversion
/// would silently turn into U+FFFD) → why it is refused.
pub fn text(value: &JsValue) -> Result<Option<String>, &'static str> {
    if !value.is_string() {
        return Ok(None);
    }
    match text_problem(value) {
        0 => Ok(value.as_string()),
        1 => Err("is too long (more than 16384 characters)"),
        _ => Err("is not valid Unicode text (it holds a lone UTF-16 surrogate)"),
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

/// Copies the bytes of a real `Uint8Array` into `buf` (reused between chunks, only ever grows) and
/// returns them; `None` for anything else (detached included). The length comes from the array's
/// internal slots, so a subclass or Proxy that lies about `length` cannot make the copy over- or
/// under-run.
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

pub fn now_unix() -> i64 {
    now_seconds() as i64
}

/// The JS `CozeError` for a Rust error.
pub fn to_js_error(err: CozeError) -> JsValue {
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

impl From<CozeError> for JsValue {
    fn from(err: CozeError) -> JsValue {
        to_js_error(err)
    }
}

/// Builds a plain JS object from (key, value) pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in pairs {
        if !value.is_undefined() {
            let _ = js_sys::Reflect::set(&obj, &JsValue::from_str(key), value);
        }
    }
    obj.into()
}

/// `target[key]`, `undefined` when reading it throws (for values we made or that cannot matter;
/// caller options go through `Options`, which reports the throw).
pub fn get(target: &JsValue, key: &str) -> JsValue {
    try_get(target, key).unwrap_or(JsValue::UNDEFINED)
}
