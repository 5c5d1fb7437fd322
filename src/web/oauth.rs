//! The token endpoint over fetch: code exchange and refresh. Parsing and quirks live in core::token.

use wasm_bindgen::JsValue;
use web_sys::AbortSignal;

use super::http::{self, HttpRequest};
use super::js;
use crate::core::token::{self, Detail, ExpiresIn, OAuthToken, TokenResponseFields};
use crate::core::Result;

pub async fn exchange_code(
    base_url: &str,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    code_verifier: &str,
    signal: Option<&AbortSignal>,
) -> Result<OAuthToken> {
    let body = token::code_exchange_body(code, client_id, redirect_uri, code_verifier)?;
    token_request(base_url, body, None, signal).await
}

pub async fn refresh(
    base_url: &str,
    client_id: &str,
    refresh_token: &str,
    client_secret: Option<&str>,
    signal: Option<&AbortSignal>,
) -> Result<OAuthToken> {
    let body = token::refresh_body(client_id, refresh_token)?;
    token_request(base_url, body, client_secret.filter(|s| !s.is_empty()).map(str::to_owned), signal).await
}

async fn token_request(
    base_url: &str,
    body: String,
    bearer: Option<String>,
    signal: Option<&AbortSignal>,
) -> Result<OAuthToken> {
    let resp = http::send(HttpRequest {
        method: "POST",
        url: token::token_endpoint(base_url),
        bearer,
        json_body: Some(body),
        extra_headers: &[],
        signal,
    })
    .await?;
    let raw = http::text(&resp, signal).await?;
    let fields = http::parse_json(&raw).and_then(|v| token_fields(&v));
    token::interpret_token_response(resp.status(), fields, &raw, http::logid(&resp).as_deref(), js::now_unix())
}

/// The token endpoint's body as core reads it; `None` when it is not a JSON object.
fn token_fields(body: &JsValue) -> Option<TokenResponseFields> {
    if !body.is_object() || js_sys::Array::is_array(body) {
        return None;
    }
    // Error and envelope fields may be numbers on some servers: read them as text.
    let text = |key: &str| {
        let v = js::get(body, key);
        v.as_string().or_else(|| v.as_f64().map(|n| (n as i64).to_string())).filter(|s| !s.is_empty())
    };
    let expires_in = js::get(body, "expires_in");
    let expires_in = if expires_in.is_undefined() || expires_in.is_null() {
        None
    } else {
        // A numeric string converts with unary + as in JS (Rust's float parser costs ~14 kB gz of wasm).
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

/// `{access_token, refresh_token, expires_in, token_type?}` — @coze/api's OAuthToken shape.
pub fn token_to_js(token: &OAuthToken) -> JsValue {
    js::object(&[
        ("access_token", JsValue::from_str(&token.access_token)),
        ("refresh_token", JsValue::from_str(&token.refresh_token)),
        ("expires_in", JsValue::from_f64(token.expires_in as f64)),
        ("token_type", token.token_type.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str)),
    ])
}

pub fn token_from_js(value: &JsValue) -> Result<OAuthToken> {
    let o = super::Options::new("setToken", value)?;
    let expires_in = o.get("expires_in")?.as_f64().filter(|n| n.is_finite());
    let expires_in = expires_in.ok_or_else(|| o.invalid("expires_in", "must be a number (unix seconds)"))?;
    Ok(OAuthToken {
        access_token: o.string("access_token")?,
        refresh_token: o.string("refresh_token")?,
        expires_in: expires_in as i64,
        token_type: o.opt_string("token_type")?.filter(|t| !t.is_empty()),
    })
}

/// Tokens are stored as this JSON (hand-built: no serde_json in the wasm).
pub fn token_to_json(token: &OAuthToken) -> String {
    let mut out = format!(
        "{{\"access_token\":{},\"refresh_token\":{},\"expires_in\":{}",
        token::json_string(&token.access_token),
        token::json_string(&token.refresh_token),
        token.expires_in
    );
    if let Some(t) = &token.token_type {
        out.push_str(",\"token_type\":");
        out.push_str(&token::json_string(t));
    }
    out.push('}');
    out
}

pub fn token_from_json(text: &str) -> Option<OAuthToken> {
    http::parse_json(text).and_then(|v| token_from_js(&v).ok())
}
