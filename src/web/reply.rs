//! How to read each reply: the API envelope (and when to refresh and retry), the token endpoint's
//! answer, chat error events, and failed fetches. The JS driver hands over status, logid and body
//! text; these decide.

use js_sys::JSON;
use wasm_bindgen::JsValue;

use super::js;
use crate::core::api::{check_envelope, is_auth_failure, EnvelopeFields};
use crate::core::token::{self, Detail, ExpiresIn, TokenResponseFields};
use crate::core::{chat, CozeError, ErrorCode, Result};

pub fn aborted() -> CozeError {
    CozeError::new(ErrorCode::Aborted, "aborted")
}

/// fetch rejected: ABORTED when the caller's signal fired, else NETWORK (DNS, refused, CORS).
pub fn fetch_failed(aborted_by_caller: bool, cause: &str, url: &str) -> CozeError {
    if aborted_by_caller {
        return aborted();
    }
    CozeError::new(ErrorCode::Network, format!("network error: {cause} ({url}; reachable, CORS allowed?)"))
}

/// The reply is the event stream the caller asked for (else its body is read and checked).
pub fn stream_ready(status: u16, content_type: &str) -> bool {
    (200..300).contains(&status) && content_type.contains("text/event-stream")
}

/// An API reply's body checked: `Ok(true)` = refresh the token and retry once, `Ok(false)` = use it.
pub fn api_reply(status: u16, logid: Option<&str>, body: &str, can_retry: bool, want_stream: bool) -> Result<bool> {
    let parsed = JSON::parse(body).ok();
    match check_envelope(status, &envelope_fields(parsed.as_ref()), body, logid) {
        Ok(()) if want_stream => Err(CozeError::new(ErrorCode::InvalidResponse, "expected an event stream")
            .with_status(status)
            .with_logid(logid.map(str::to_owned))
            .with_raw(body)),
        Ok(()) => Ok(false),
        Err(err) if can_retry && is_auth_failure(&err) => Ok(true),
        Err(err) => Err(err),
    }
}

fn envelope_fields(parsed: Option<&JsValue>) -> EnvelopeFields {
    let Some(body) = parsed else { return EnvelopeFields::default() };
    EnvelopeFields {
        is_json: true,
        is_object: body.is_object() && !js::is_array(body),
        code: js::get(body, "code").as_f64(),
        msg: js::get(body, "msg").as_string(),
        logid: js::get(&js::get(body, "detail"), "logid").as_string(),
    }
}

/// The token endpoint's answer → the token as JSON (the stored form), or the error.
pub fn token_reply(status: u16, logid: Option<&str>, body: &str, now: i64) -> Result<String> {
    let fields = JSON::parse(body).ok().and_then(|v| token_fields(&v));
    let token = token::interpret_token_response(status, fields, body, logid, now)?;
    Ok(token_json(&token))
}

fn token_json(t: &token::OAuthToken) -> String {
    let mut out = format!(
        "{{\"access_token\":{},\"refresh_token\":{},\"expires_in\":{}",
        token::json_string(&t.access_token),
        token::json_string(&t.refresh_token),
        t.expires_in
    );
    if let Some(tt) = &t.token_type {
        out.push_str(&format!(",\"token_type\":{}", token::json_string(tt)));
    }
    out.push('}');
    out
}

fn token_fields(body: &JsValue) -> Option<TokenResponseFields> {
    if !body.is_object() || js::is_array(body) {
        return None;
    }
    let text = |key: &str| {
        let v = js::get(body, key);
        v.as_string().or_else(|| v.as_f64().map(|n| (n as i64).to_string())).filter(|s| !s.is_empty())
    };
    let expires_in = js::get(body, "expires_in");
    let expires_in = if expires_in.is_undefined() || expires_in.is_null() {
        None
    } else {
        let numeric_text = expires_in.as_string().is_some_and(|s| !s.trim().is_empty());
        let n = expires_in.as_f64().or_else(|| numeric_text.then(|| expires_in.unchecked_into_f64()));
        Some(match n {
            Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => ExpiresIn::Seconds(n as i64),
            _ => ExpiresIn::Invalid,
        })
    };
    Some(TokenResponseFields {
        access_token: js::get(body, "access_token").as_string(),
        refresh_token: js::get(body, "refresh_token").as_string(),
        expires_in,
        token_type: text("token_type"),
        error: text("error"),
        error_code: text("error_code"),
        error_message: text("error_message"),
        error_description: text("error_description"),
        code: js::get(body, "code").as_f64().filter(|n| n.fract() == 0.0).map(|n| n as i64),
        msg: text("msg"),
        detail: Some(Detail { logid: js::get(&js::get(body, "detail"), "logid").as_string() }),
    })
}

/// The `error` event's data (`{code,msg}`, sometimes not JSON at all).
pub fn error_event(raw: &str) -> CozeError {
    let (code, msg) = match JSON::parse(raw) {
        Ok(d) => (js::get(&d, "code").as_f64(), js::get(&d, "msg").as_string()),
        Err(_) => (None, None),
    };
    chat::error_event(code, msg, raw)
}

/// `conversation.chat.failed`: `Ok(the failure to raise after yielding it)`, or MALFORMED_EVENT.
pub fn chat_failed(raw: &str) -> Result<CozeError> {
    let parsed = JSON::parse(raw).map_err(|_| chat::malformed_event(chat::EVENT_CHAT_FAILED, raw))?;
    // A Chat object with `last_error`, or (per Coze's docs) a bare `{code, msg}`.
    let last_error = js::get(&parsed, "last_error");
    let source = if last_error.is_object() { &last_error } else { &parsed };
    Ok(chat::chat_failed(js::get(source, "code").as_f64(), js::get(source, "msg").as_string(), None))
}
