//! fetch with AbortSignal, typed network/abort errors, and the JSON envelope.

use js_sys::JSON;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, Request, RequestInit, Response};

use super::js::{self, fetch_with_request};
use crate::core::api::{check_envelope, EnvelopeFields};
use crate::core::{CozeError, ErrorCode, Result};

pub const LOGID_HEADER: &str = "x-tt-logid";

pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub url: String,
    pub bearer: Option<String>,
    pub json_body: Option<String>,
    pub extra_headers: &'a [(String, String)],
    pub signal: Option<&'a AbortSignal>,
}

/// Sends the request; the promise of a `Response` maps to NETWORK / ABORTED errors.
pub async fn send(req: HttpRequest<'_>) -> Result<Response> {
    if let Some(signal) = req.signal {
        if signal.aborted() {
            return Err(aborted());
        }
    }
    let headers = Headers::new().map_err(|e| network(&e))?;
    for (name, value) in req.extra_headers {
        headers.set(name, value).map_err(|_| CozeError::invalid_argument(format!("invalid header `{name}`")))?;
    }
    if let Some(token) = &req.bearer {
        headers
            .set("authorization", &format!("Bearer {token}"))
            .map_err(|_| CozeError::invalid_argument("the token contains characters not allowed in a header"))?;
    }
    let init = RequestInit::new();
    init.set_method(req.method);
    if let Some(body) = &req.json_body {
        let _ = headers.set("content-type", "application/json");
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    if let Some(signal) = req.signal {
        init.set_signal(Some(signal));
    }
    let request = Request::new_with_str_and_init(&req.url, &init)
        .map_err(|e| CozeError::invalid_argument(format!("invalid request URL {}: {}", req.url, describe(&e))))?;
    match JsFuture::from(fetch_with_request(&request)).await {
        Ok(resp) => Ok(resp.unchecked_into()),
        Err(e) => Err(fetch_failure(&e, req.signal, &req.url)),
    }
}

/// Reads the whole body as text (for small JSON replies only; streams use `stream.rs`).
pub async fn text(resp: &Response, signal: Option<&AbortSignal>) -> Result<String> {
    let promise = resp.text().map_err(|e| network(&e))?;
    match JsFuture::from(promise).await {
        Ok(v) => Ok(v.as_string().unwrap_or_default()),
        Err(e) => Err(fetch_failure(&e, signal, &resp.url())),
    }
}

pub fn logid(resp: &Response) -> Option<String> {
    resp.headers().get(LOGID_HEADER).ok().flatten().filter(|s| !s.is_empty())
}

/// `JSON.parse`, or `None` when the text is not JSON.
pub fn parse_json(text: &str) -> Option<JsValue> {
    JSON::parse(text).ok()
}

/// Reads `code`, `msg` and `detail.logid` off a parsed body.
pub fn envelope_fields(parsed: Option<&JsValue>) -> EnvelopeFields {
    let Some(body) = parsed else { return EnvelopeFields::default() };
    let is_object = body.is_object() && !js_sys::Array::is_array(body);
    EnvelopeFields {
        is_json: true,
        is_object,
        code: js::get(body, "code").as_f64(),
        msg: js::get(body, "msg").as_string(),
        logid: js::get(&js::get(body, "detail"), "logid").as_string(),
    }
}

/// Reads a Coze JSON reply, checks the envelope, and returns the whole parsed body.
pub async fn envelope_body(resp: &Response, signal: Option<&AbortSignal>) -> Result<JsValue> {
    let raw = text(resp, signal).await?;
    let parsed = parse_json(&raw);
    let fields = envelope_fields(parsed.as_ref());
    check_envelope(resp.status(), &fields, &raw, logid(resp).as_deref())?;
    Ok(parsed.unwrap_or(JsValue::NULL))
}

pub fn aborted() -> CozeError {
    CozeError::new(ErrorCode::Aborted, "the request was aborted")
}

/// fetch and body reads reject with an AbortError (signal) or a TypeError (network, CORS).
pub fn fetch_failure(err: &JsValue, signal: Option<&AbortSignal>, url: &str) -> CozeError {
    if signal.is_some_and(|s| s.aborted()) || error_name(err).as_deref() == Some("AbortError") {
        return aborted();
    }
    let mut e = network(err);
    e.message = format!("{} ({url}; is the server reachable and does it allow CORS from this origin?)", e.message);
    e
}

fn network(err: &JsValue) -> CozeError {
    CozeError::new(ErrorCode::Network, format!("network error: {}", describe(err)))
}

fn error_name(err: &JsValue) -> Option<String> {
    js::get(err, "name").as_string()
}

/// A short description of a thrown value for an error message; never throws.
pub fn describe(err: &JsValue) -> String {
    let message = js::get(err, "message").as_string().unwrap_or_default();
    let mut text = match error_name(err) {
        Some(name) if !message.is_empty() => format!("{name}: {message}"),
        Some(name) => name,
        // Not `{err:?}`: Debug formatting is compiled out of release builds.
        None => return js::describe_value(err),
    };
    if text.len() > 300 {
        let mut end = 300;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
