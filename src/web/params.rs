//! Parameter encoding: the caller's JS arguments → query pairs and JSON bodies, read defensively
//! (throwing getters and Proxy traps are INVALID_ARGUMENT, never an exception through the wasm).

use js_sys::{Array, Object, JSON};
use wasm_bindgen::JsValue;

use super::js;
use crate::core::api::require_id;
use crate::core::{CozeError, Result};

fn invalid(key: &str, why: &str) -> CozeError {
    CozeError::invalid_argument(format!("`{key}` {why}"))
}

fn unreadable(key: &str) -> CozeError {
    invalid(key, "could not be read")
}

/// `target[key]`, or `None` for `undefined` / `null`.
fn present(target: &JsValue, key: &str) -> Result<Option<JsValue>> {
    let v = js::try_get(target, key).map_err(|_| unreadable(key))?;
    Ok(if v.is_undefined() || v.is_null() { None } else { Some(v) })
}

/// An object argument; `undefined` / `null` read as `{}` when `optional`.
pub fn object(value: JsValue, what: &str, optional: bool) -> Result<JsValue> {
    if optional && (value.is_undefined() || value.is_null()) {
        return Ok(Object::new().into());
    }
    if !value.is_object() || js::is_array(&value) {
        return Err(invalid(what, "must be an object"));
    }
    Ok(value)
}

/// An ID: a non-empty string (Coze IDs are 19-digit strings; numbers would lose precision).
pub fn id(name: &str, value: &JsValue) -> Result<String> {
    let text = js::text(value).map_err(|why| invalid(name, why))?;
    require_id(name, text.as_deref()).map(str::to_owned)
}

/// An optional ID field of `params`.
pub fn optional_id(params: &JsValue, key: &str) -> Result<Option<String>> {
    present(params, key)?.map(|v| id(key, &v)).transpose()
}

/// Query pairs from a params object: `strings` are non-empty strings, `numbers` whole numbers
/// (or strings of digits).
pub fn query(params: &JsValue, strings: &[&str], numbers: &[&str], out: &mut Vec<(String, String)>) -> Result<()> {
    for key in strings {
        if let Some(v) = optional_id(params, key)? {
            out.push(((*key).to_owned(), v));
        }
    }
    for key in numbers {
        let Some(v) = present(params, key)? else { continue };
        let n = v.as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15).map(|n| (n as i64).to_string());
        let digits = |s: &String| !s.is_empty() && s.len() < 16 && s.bytes().all(|b| b.is_ascii_digit());
        let n = n.or_else(|| js::text(&v).ok().flatten().filter(digits));
        out.push(((*key).to_owned(), n.ok_or_else(|| invalid(key, "must be a whole number"))?));
    }
    Ok(())
}

/// A shallow copy (`Object.assign`).
fn copy_of(what: &str, value: &JsValue) -> Result<Object> {
    js::assign(&Object::new(), value).map_err(|_| unreadable(what))
}

fn set(target: &Object, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &key.into(), value);
}

/// `JSON.stringify`, failing loudly (cycles, BigInt) instead of sending an empty body.
pub fn to_json(what: &str, value: &JsValue) -> Result<String> {
    JSON::stringify(value).ok().and_then(|s| s.as_string()).ok_or_else(|| invalid(what, "is not serializable to JSON"))
}

/// The messages array at `key`, copied with object/array `content` serialized to the JSON string
/// Coze expects (`content_type` defaulting to `object_string`); `None` when absent.
fn encode_messages(params: &JsValue, key: &str) -> Result<Option<Array>> {
    let Some(messages) = present(params, key)? else { return Ok(None) };
    if !js::is_array(&messages) {
        return Err(invalid(key, "must be an array"));
    }
    let encoded = Array::new();
    for message in js::array_from(&messages).map_err(|_| unreadable(key))?.iter() {
        if !message.is_object() {
            return Err(invalid(key, "must hold objects"));
        }
        let m = copy_of(key, &message)?;
        let content = js::get(&m, "content");
        if content.is_object() {
            set(&m, "content", &to_json("content", &content)?.into());
            if js::get(&m, "content_type").is_undefined() {
                set(&m, "content_type", &"object_string".into());
            }
        }
        encoded.push(&m);
    }
    Ok(Some(encoded))
}

/// `/v3/chat`: IDs must be strings, `conversation_id` moves to the query, `user_id` defaults to
/// the client's, object `content` is JSON-encoded. The caller's object is not mutated.
pub fn chat(params: &JsValue, stream: bool, user_id: &str, query: &mut Vec<(String, String)>) -> Result<String> {
    let params = object(params.clone(), "params", false)?;
    id("bot_id", &js::try_get(&params, "bot_id").map_err(|_| unreadable("bot_id"))?)?;
    if let Some(conversation_id) = optional_id(&params, "conversation_id")? {
        query.push(("conversation_id".into(), conversation_id));
    }
    let user_id = optional_id(&params, "user_id")?.unwrap_or_else(|| user_id.to_owned());
    let copy = copy_of("params", &params)?;
    let _ = js_sys::Reflect::delete_property(&copy, &"conversation_id".into());
    set(&copy, "stream", &JsValue::from_bool(stream));
    set(&copy, "user_id", &user_id.into());
    if let Some(encoded) = encode_messages(&params, "additional_messages")? {
        set(&copy, "additional_messages", &encoded);
    }
    to_json("params", &copy)
}

/// `conversations.create`: `{bot_id?, messages?, meta_data?}` with message content encoded.
pub fn conversation(params: &JsValue) -> Result<String> {
    let params = object(params.clone(), "params", true)?;
    optional_id(&params, "bot_id")?;
    match encode_messages(&params, "messages")? {
        Some(encoded) => {
            let copy = copy_of("params", &params)?;
            set(&copy, "messages", &encoded);
            to_json("params", &copy)
        }
        None => to_json("params", &params),
    }
}
