//! The token endpoint: request bodies (Coze takes JSON), and reading the answer with Coze's quirks
//! (coze-api.md §1.4–§1.7):
//!
//! * success is a flat object `{access_token, refresh_token, expires_in, token_type?}` and `expires_in`
//!   is an **absolute** Unix time in seconds, not a duration;
//! * OAuth errors come as `error`/`error_description` or `error_code`/`error_message`, sometimes with
//!   HTTP 200, so an error-shaped body is an error whatever the status;
//! * some failures use Coze's envelope `{code, msg, detail:{logid}}`.
//!
//! JSON output is written by hand (no serde_json in the wasm); input arrives already deserialized into
//! [`TokenResponseFields`], whose fields are deliberately lenient so that odd but harmless shapes still
//! give a precise error instead of "not JSON".

use core::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::error::{CozeError, ErrorCode, Result};

/// `expires_in` values below this (2001-09-09) cannot be absolute timestamps; they are taken as a
/// lifetime in seconds relative to now.
pub const RELATIVE_EXPIRY_THRESHOLD: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// Request side
// ---------------------------------------------------------------------------------------------

/// `{base}/api/permission/oauth2/token` (trailing slashes of `base_url` ignored).
pub fn token_endpoint(base_url: &str) -> String {
    format!("{}/api/permission/oauth2/token", base_url.trim_end_matches('/'))
}

/// A JSON string literal for `s`: quotes, backslash and control characters (U+0000–U+001F, as
/// `\u00xx`) are escaped; everything else, non-ASCII included, is kept as UTF-8.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xF) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn require(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(CozeError::invalid_argument(format!("{field} is required")));
    }
    Ok(())
}

fn json_object(pairs: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_string(k));
        out.push(':');
        out.push_str(&json_string(v));
    }
    out.push('}');
    out
}

/// Body of the PKCE code exchange:
/// `{"grant_type":"authorization_code","code":..,"client_id":..,"redirect_uri":..,"code_verifier":..}`.
pub fn code_exchange_body(code: &str, client_id: &str, redirect_uri: &str, code_verifier: &str) -> Result<String> {
    require("code", code)?;
    require("client_id", client_id)?;
    require("redirect_uri", redirect_uri)?;
    require("code_verifier", code_verifier)?;
    Ok(json_object(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code_verifier", code_verifier),
    ]))
}

/// Body of a refresh: `{"grant_type":"refresh_token","client_id":..,"refresh_token":..}`.
pub fn refresh_body(client_id: &str, refresh_token: &str) -> Result<String> {
    require("client_id", client_id)?;
    require("refresh_token", refresh_token)?;
    Ok(json_object(&[("grant_type", "refresh_token"), ("client_id", client_id), ("refresh_token", refresh_token)]))
}

// ---------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------

/// An OAuth token as @coze/api shapes it. `expires_in` is the absolute expiry in Unix seconds.
/// `Debug` never shows token text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthToken {
    pub access_token: String,
    pub refresh_token: String,
    /// Absolute Unix time (seconds) at which the access token expires.
    pub expires_in: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthToken")
            .field("access_token", &format_args!("<redacted, {} chars>", self.access_token.chars().count()))
            .field("refresh_token", &format_args!("<redacted, {} chars>", self.refresh_token.chars().count()))
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .finish()
    }
}

/// True when a token expiring at `token_expires_in` (absolute Unix seconds) should be refreshed now,
/// i.e. it expires within `skew_seconds` (negative skew counts as 0).
pub fn needs_refresh(token_expires_in: i64, now_unix: i64, skew_seconds: i64) -> bool {
    now_unix.saturating_add(skew_seconds.max(0)) >= token_expires_in
}

// ---------------------------------------------------------------------------------------------
// Response fields (lenient deserialization)
// ---------------------------------------------------------------------------------------------

/// `expires_in` as sent: an integer (number, integral float, or numeric string), or something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiresIn {
    Seconds(i64),
    /// Present but not an integer (e.g. `"soon"`, `1.5`, `true`, an object).
    Invalid,
}

/// `detail` of a Coze envelope; only `logid` is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detail {
    pub logid: Option<String>,
}

/// The token endpoint's JSON body, every field optional. Unknown fields are ignored; the error and
/// envelope fields accept numbers as well as strings, so only a body that is not a JSON object at
/// all fails to deserialize.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct TokenResponseFields {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    #[serde(deserialize_with = "de_expires_in")]
    pub expires_in: Option<ExpiresIn>,
    #[serde(deserialize_with = "de_lenient_string")]
    pub token_type: Option<String>,
    #[serde(deserialize_with = "de_lenient_string")]
    pub error: Option<String>,
    #[serde(deserialize_with = "de_lenient_string")]
    pub error_code: Option<String>,
    #[serde(deserialize_with = "de_lenient_string")]
    pub error_message: Option<String>,
    #[serde(deserialize_with = "de_lenient_string")]
    pub error_description: Option<String>,
    /// Coze envelope code (`0` = success).
    #[serde(deserialize_with = "de_lenient_i64")]
    pub code: Option<i64>,
    #[serde(deserialize_with = "de_lenient_string")]
    pub msg: Option<String>,
    pub detail: Option<Detail>,
}

// Debug without token text, for test failures and logs.
impl fmt::Debug for TokenResponseFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |v: &Option<String>| v.as_ref().map(|s| format!("<redacted, {} chars>", s.chars().count()));
        f.debug_struct("TokenResponseFields")
            .field("access_token", &redact(&self.access_token))
            .field("refresh_token", &redact(&self.refresh_token))
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .field("error", &self.error)
            .field("error_code", &self.error_code)
            .field("error_message", &self.error_message)
            .field("error_description", &self.error_description)
            .field("code", &self.code)
            .field("msg", &self.msg)
            .field("detail", &self.detail)
            .finish()
    }
}

/// A scalar seen by the lenient visitors.
enum Scalar {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Other,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> core::result::Result<Scalar, E> {
        Ok(i64::try_from(v).map_or(Scalar::Other, Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> core::result::Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> core::result::Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> core::result::Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

fn float_to_i64(v: f64) -> Option<i64> {
    // 2^63 as f64; anything at or beyond it does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (v.is_finite() && v.fract() == 0.0 && v > -LIMIT && v < LIMIT).then_some(v as i64)
}

fn scalar_to_i64(s: &Scalar) -> Option<i64> {
    match s {
        Scalar::Int(v) => Some(*v),
        Scalar::Float(v) => float_to_i64(*v),
        Scalar::Str(t) => {
            let t = t.trim();
            t.parse::<i64>().ok().or_else(|| t.parse::<f64>().ok().and_then(float_to_i64))
        }
        _ => None,
    }
}

fn de_expires_in<'de, D: Deserializer<'de>>(d: D) -> core::result::Result<Option<ExpiresIn>, D::Error> {
    let s = d.deserialize_any(ScalarVisitor)?;
    Ok(match s {
        Scalar::Null => None,
        s => Some(scalar_to_i64(&s).map_or(ExpiresIn::Invalid, ExpiresIn::Seconds)),
    })
}

fn de_lenient_i64<'de, D: Deserializer<'de>>(d: D) -> core::result::Result<Option<i64>, D::Error> {
    Ok(scalar_to_i64(&d.deserialize_any(ScalarVisitor)?))
}

fn de_lenient_string<'de, D: Deserializer<'de>>(d: D) -> core::result::Result<Option<String>, D::Error> {
    Ok(match d.deserialize_any(ScalarVisitor)? {
        Scalar::Str(s) => Some(s),
        Scalar::Int(v) => Some(v.to_string()),
        Scalar::Float(v) => Some(v.to_string()),
        Scalar::Bool(v) => Some(v.to_string()),
        Scalar::Null | Scalar::Other => None,
    })
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct DetailVisitor;
        impl<'de> Visitor<'de> for DetailVisitor {
            type Value = Detail;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object with logid")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> core::result::Result<Detail, A::Error> {
                let mut detail = Detail::default();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "logid" {
                        detail.logid = map.next_value::<LenientString>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(detail)
            }
            // Anything that is not an object is ignored rather than failing the whole body.
            fn visit_unit<E: de::Error>(self) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_none<E: de::Error>(self) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> core::result::Result<Detail, D::Error> {
                d.deserialize_any(DetailVisitor)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_str<E: de::Error>(self, _: &str) -> core::result::Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> core::result::Result<Detail, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Detail::default())
            }
        }
        d.deserialize_any(DetailVisitor)
    }
}

struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        de_lenient_string(d).map(LenientString)
    }
}

// ---------------------------------------------------------------------------------------------
// Interpreting the response
// ---------------------------------------------------------------------------------------------

/// Hint for coze-js #212: `invalid request: client_secret` from a PKCE token call.
pub const CLIENT_SECRET_HINT: &str = " (hint: the OAuth app must be of type SPA/mobile/desktop for PKCE; \
a \"web\" app needs a client secret, which must never be used in a browser)";

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn mentions_client_secret(texts: &[Option<&str>]) -> bool {
    texts.iter().flatten().any(|t| t.to_ascii_lowercase().contains("client_secret"))
}

/// Turns the token endpoint's answer into a token or a `CozeError`.
///
/// * `fields`: the body deserialized into [`TokenResponseFields`], or `None` if it was not a JSON object.
/// * `raw_body`: the body text, attached to errors whose body cannot hold a token (error bodies and
///   unparseable bodies), never to a success-shaped body.
/// * `header_logid`: the `x-tt-logid` header; `detail.logid` from the body takes precedence.
/// * `now_unix`: current time, used only when a server sends a relative `expires_in` (< 10^9; Coze
///   documents an absolute timestamp, so this is a defensive fallback: `now_unix + expires_in`).
pub fn interpret_token_response(
    status: u16,
    fields: Option<TokenResponseFields>,
    raw_body: &str,
    header_logid: Option<&str>,
    now_unix: i64,
) -> Result<OAuthToken> {
    let header_logid = header_logid.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let ok_status = (200..300).contains(&status);

    let Some(f) = fields else {
        let what = if raw_body.trim().is_empty() { "an empty body" } else { "a body that is not a JSON object" };
        return Err(CozeError::new(
            ErrorCode::InvalidResponse,
            format!("token endpoint returned {what} (HTTP {status})"),
        )
        .with_status(status)
        .with_raw(raw_body)
        .with_logid(header_logid));
    };

    let logid = f.detail.as_ref().and_then(|d| non_empty(&d.logid)).map(str::to_owned).or(header_logid);
    let error_message = non_empty(&f.error_message);
    let error_description = non_empty(&f.error_description);
    let msg = non_empty(&f.msg);
    let secret_hint = mentions_client_secret(&[error_message, error_description, msg]);

    // 1. OAuth error, whatever the status (Coze may send these with HTTP 200).
    let oauth_code = non_empty(&f.error).or(non_empty(&f.error_code));
    let has_access_token = non_empty(&f.access_token).is_some();
    if oauth_code.is_some() || (error_message.is_some() && !has_access_token) {
        let description = error_description.or(error_message);
        let mut message = format!("token request failed: {}", oauth_code.unwrap_or("error"));
        if let Some(d) = description {
            message.push_str(&format!(" ({d})"));
        }
        if secret_hint {
            message.push_str(CLIENT_SECRET_HINT);
        }
        let mut err = CozeError::new(ErrorCode::OAuthTokenError, message)
            .with_status(status)
            .with_logid(logid)
            .with_raw(raw_body);
        err.error = oauth_code.map(str::to_owned);
        err.error_description = description.map(str::to_owned);
        err.msg = error_message.map(str::to_owned);
        return Err(err);
    }

    // 2. Coze envelope error.
    if let Some(code) = f.code.filter(|c| *c != 0) {
        let mut err =
            CozeError::coze_api(code, msg.unwrap_or("")).with_status(status).with_logid(logid).with_raw(raw_body);
        if secret_hint {
            err.message.push_str(CLIENT_SECRET_HINT);
        }
        return Err(err);
    }

    // 3. Any other non-2xx answer.
    if !ok_status {
        let mut message = format!("token request failed with HTTP {status}");
        if let Some(m) = msg {
            message.push_str(&format!(": {m}"));
        }
        if secret_hint {
            message.push_str(CLIENT_SECRET_HINT);
        }
        let mut err = CozeError::new(ErrorCode::OAuthTokenError, message)
            .with_status(status)
            .with_logid(logid)
            .with_raw(raw_body);
        err.msg = msg.map(str::to_owned);
        return Err(err);
    }

    // 4. Success shape. The body may hold tokens: never attach it.
    let missing = |what: &str| {
        CozeError::new(ErrorCode::InvalidResponse, format!("token response {what} (HTTP {status})"))
            .with_status(status)
            .with_logid(logid.clone())
    };
    let access_token = non_empty(&f.access_token).ok_or_else(|| missing("has no access_token"))?;
    let refresh_token = non_empty(&f.refresh_token).ok_or_else(|| missing("has no refresh_token"))?;
    let expires_in = match f.expires_in {
        None => return Err(missing("has no expires_in")),
        Some(ExpiresIn::Invalid) => return Err(missing("has an expires_in that is not an integer")),
        Some(ExpiresIn::Seconds(v)) if v <= 0 => return Err(missing("has a non-positive expires_in")),
        Some(ExpiresIn::Seconds(v)) if v < RELATIVE_EXPIRY_THRESHOLD => now_unix.saturating_add(v),
        Some(ExpiresIn::Seconds(v)) => v,
    };
    Ok(OAuthToken {
        access_token: access_token.to_owned(),
        refresh_token: refresh_token.to_owned(),
        expires_in,
        token_type: non_empty(&f.token_type).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_720_000_000;

    fn parse(body: &str) -> Option<TokenResponseFields> {
        serde_json::from_str(body).ok()
    }

    fn run(status: u16, body: &str, header_logid: Option<&str>) -> Result<OAuthToken> {
        interpret_token_response(status, parse(body), body, header_logid, NOW)
    }

    // ----- request side -----

    #[test]
    fn token_endpoint_paths() {
        assert_eq!(token_endpoint("https://api.coze.cn"), "https://api.coze.cn/api/permission/oauth2/token");
        assert_eq!(token_endpoint("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/api/permission/oauth2/token");
    }

    #[test]
    fn json_string_escaping() {
        assert_eq!(json_string(""), r#""""#);
        assert_eq!(json_string("plain"), r#""plain""#);
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("\n\r\t\u{0}\u{1f}\u{8}\u{c}"), r#""\u000a\u000d\u0009\u0000\u001f\u0008\u000c""#);
        assert_eq!(json_string("扣子 😀 \u{7f} \u{2028} /"), "\"扣子 😀 \u{7f} \u{2028} /\"");
        // Round trip through a real JSON parser.
        for s in ["", "a\"\\\n\u{0}x", "扣子\u{1}😀", "</script>", "\u{2029}"] {
            let back: String = serde_json::from_str(&json_string(s)).unwrap();
            assert_eq!(back, s);
        }
    }

    #[test]
    fn code_exchange_body_exact() {
        let body = code_exchange_body(
            "code_abc",
            "123.app.coze",
            "https://a.example/cb?x=1&y=\"q\"",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        )
        .unwrap();
        assert_eq!(
            body,
            r#"{"grant_type":"authorization_code","code":"code_abc","client_id":"123.app.coze","redirect_uri":"https://a.example/cb?x=1&y=\"q\"","code_verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}"#
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["redirect_uri"], "https://a.example/cb?x=1&y=\"q\"");
    }

    #[test]
    fn code_exchange_body_requires_fields() {
        for (args, field) in [
            (["", "c", "r", "v"], "code"),
            (["x", "", "r", "v"], "client_id"),
            (["x", "c", "", "v"], "redirect_uri"),
            (["x", "c", "r", ""], "code_verifier"),
        ] {
            let err = code_exchange_body(args[0], args[1], args[2], args[3]).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument);
            assert_eq!(err.message, format!("{field} is required"));
        }
    }

    #[test]
    fn refresh_body_exact_and_required() {
        assert_eq!(
            refresh_body("123.app.coze", "rt_\u{1}扣").unwrap(),
            "{\"grant_type\":\"refresh_token\",\"client_id\":\"123.app.coze\",\"refresh_token\":\"rt_\\u0001扣\"}"
        );
        assert_eq!(refresh_body("", "r").unwrap_err().message, "client_id is required");
        assert_eq!(refresh_body("c", "").unwrap_err().message, "refresh_token is required");
    }

    // ----- token + refresh timing -----

    #[test]
    fn oauth_token_debug_is_redacted() {
        let t = OAuthToken {
            access_token: "czu_access_secret".into(),
            refresh_token: "refresh_secret".into(),
            expires_in: 1_720_098_388,
            token_type: Some("Bearer".into()),
        };
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(dbg.contains("1720098388") && dbg.contains("Bearer") && dbg.contains("<redacted, 17 chars>"), "{dbg}");
        let fields = parse(r#"{"access_token":"czu_access_secret","refresh_token":"refresh_secret"}"#).unwrap();
        assert!(!format!("{fields:?}").contains("secret"));
    }

    #[test]
    fn oauth_token_serde_shape() {
        let t = OAuthToken { access_token: "a".into(), refresh_token: "r".into(), expires_in: 5, token_type: None };
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"{"access_token":"a","refresh_token":"r","expires_in":5}"#);
        let back: OAuthToken =
            serde_json::from_str(r#"{"access_token":"a","refresh_token":"r","expires_in":5}"#).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn needs_refresh_rules() {
        assert!(!needs_refresh(NOW + 900, NOW, 60));
        assert!(needs_refresh(NOW + 60, NOW, 60));
        assert!(needs_refresh(NOW + 59, NOW, 60));
        assert!(needs_refresh(NOW, NOW, 0));
        assert!(needs_refresh(NOW - 1, NOW, 0));
        assert!(!needs_refresh(NOW + 1, NOW, 0));
        assert!(!needs_refresh(NOW + 1, NOW, -100));
        assert!(needs_refresh(i64::MAX, i64::MAX - 5, i64::MAX));
    }

    // ----- response parsing -----

    #[test]
    fn success_with_token_type() {
        let t = run(200, r#"{"access_token":"czu_a","expires_in":1720098388,"refresh_token":"r1","token_type":"Bearer","extra":{"x":[1]}}"#, None).unwrap();
        assert_eq!(
            t,
            OAuthToken {
                access_token: "czu_a".into(),
                refresh_token: "r1".into(),
                expires_in: 1_720_098_388,
                token_type: Some("Bearer".into())
            }
        );
    }

    #[test]
    fn success_without_token_type() {
        let t = run(200, r#"{"access_token":"czu_a","expires_in":1720098388,"refresh_token":"r1"}"#, None).unwrap();
        assert_eq!(t.token_type, None);
        assert_eq!(t.expires_in, 1_720_098_388);
        // Envelope code 0 and empty error fields are not errors.
        let t = run(200, r#"{"code":0,"msg":"","error":"","error_code":null,"access_token":"a","refresh_token":"r","expires_in":1720098388,"token_type":""}"#, None).unwrap();
        assert_eq!(t.access_token, "a");
        assert_eq!(t.token_type, None);
    }

    #[test]
    fn expires_in_forms() {
        let body = |e: &str| format!(r#"{{"access_token":"a","refresh_token":"r","expires_in":{e}}}"#);
        assert_eq!(run(200, &body("\"1720098388\""), None).unwrap().expires_in, 1_720_098_388);
        assert_eq!(run(200, &body("1720098388.0"), None).unwrap().expires_in, 1_720_098_388);
        assert_eq!(run(200, &body("\" 1720098388 \""), None).unwrap().expires_in, 1_720_098_388);
        // Relative fallback: small numbers are a lifetime.
        assert_eq!(run(200, &body("900"), None).unwrap().expires_in, NOW + 900);
        assert_eq!(run(200, &body("\"900\""), None).unwrap().expires_in, NOW + 900);
        assert_eq!(run(200, &body("999999999"), None).unwrap().expires_in, NOW + 999_999_999);
        assert_eq!(run(200, &body("1000000000"), None).unwrap().expires_in, 1_000_000_000);
        for bad in ["1.5", "\"soon\"", "true", "{}", "[1]", "0", "-5", "1e30"] {
            let err = run(200, &body(bad), None).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidResponse, "{bad}");
            assert!(err.message.contains("expires_in"), "{bad}: {}", err.message);
            assert_eq!(err.raw, None, "{bad}");
        }
        let err = run(200, &body("null"), None).unwrap_err();
        assert!(err.message.contains("no expires_in"));
    }

    #[test]
    fn error_via_error_field() {
        let body = r#"{"error":"invalid_grant","error_description":"code expired"}"#;
        let err = run(400, body, Some("hdr-logid")).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.error.as_deref(), Some("invalid_grant"));
        assert_eq!(err.error_description.as_deref(), Some("code expired"));
        assert_eq!(err.message, "token request failed: invalid_grant (code expired)");
        assert_eq!(err.status, Some(400));
        assert_eq!(err.logid.as_deref(), Some("hdr-logid"));
        assert_eq!(err.raw.as_deref(), Some(body));
    }

    #[test]
    fn error_via_error_code_and_message() {
        let err = run(401, r#"{"error_code":"invalid_client","error_message":"client not found"}"#, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.error.as_deref(), Some("invalid_client"));
        assert_eq!(err.error_description.as_deref(), Some("client not found"));
        assert_eq!(err.msg.as_deref(), Some("client not found"));
        assert_eq!(err.message, "token request failed: invalid_client (client not found)");
        assert_eq!(err.status, Some(401));
        assert_eq!(err.logid, None);
        // `error` wins over `error_code`; error_description over error_message.
        let err = run(400, r#"{"error":"a","error_code":"b","error_message":"m","error_description":"d"}"#, None)
            .unwrap_err();
        assert_eq!(err.error.as_deref(), Some("a"));
        assert_eq!(err.error_description.as_deref(), Some("d"));
        assert_eq!(err.msg.as_deref(), Some("m"));
        // A numeric error_code still counts.
        assert_eq!(run(400, r#"{"error_code":4001}"#, None).unwrap_err().error.as_deref(), Some("4001"));
        // Only error_message (PY treats this as an error too).
        let err = run(400, r#"{"error_message":"something broke"}"#, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.error, None);
        assert_eq!(err.message, "token request failed: error (something broke)");
    }

    #[test]
    fn error_with_http_200_is_not_a_token() {
        let err = run(200, r#"{"error_code":"authorization_pending","error_message":"pending"}"#, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.status, Some(200));
        assert_eq!(err.error.as_deref(), Some("authorization_pending"));
        // Even next to token-looking fields.
        let err =
            run(200, r#"{"error":"access_deny","access_token":"a","refresh_token":"r","expires_in":1720098388}"#, None)
                .unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
    }

    #[test]
    fn client_secret_hint() {
        let err =
            run(400, r#"{"error_code":"invalid_request","error_message":"invalid request: client_secret"}"#, None)
                .unwrap_err();
        assert!(err.message.starts_with("token request failed: invalid_request (invalid request: client_secret)"));
        assert!(err.message.contains("SPA/mobile/desktop"), "{}", err.message);
        let err = run(400, r#"{"code":4000,"msg":"invalid request: client_secret"}"#, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::CozeApiError);
        assert!(err.message.contains("SPA/mobile/desktop"), "{}", err.message);
        let err = run(400, r#"{"msg":"invalid request: Client_Secret"}"#, None).unwrap_err();
        assert!(err.message.contains("SPA/mobile/desktop"), "{}", err.message);
        let err = run(400, r#"{"error":"invalid_grant"}"#, None).unwrap_err();
        assert!(!err.message.contains("SPA"));
    }

    #[test]
    fn envelope_error_with_region_hint() {
        let body = r#"{"code":4101,"msg":"The token you entered is incorrect.","detail":{"logid":"body-logid"}}"#;
        let err = run(200, body, Some("hdr-logid")).unwrap_err();
        assert_eq!(err.code, ErrorCode::CozeApiError);
        assert_eq!(err.coze_code, Some(4101));
        assert_eq!(err.msg.as_deref(), Some("The token you entered is incorrect."));
        assert!(err.message.contains("api.coze.cn"), "{}", err.message);
        assert_eq!(err.status, Some(200));
        assert_eq!(err.logid.as_deref(), Some("body-logid"));
        assert_eq!(err.raw.as_deref(), Some(body));
        // A numeric-string code works too.
        assert_eq!(run(401, r#"{"code":"4100","msg":"x"}"#, None).unwrap_err().coze_code, Some(4100));
    }

    #[test]
    fn logid_body_vs_header() {
        let err =
            run(400, r#"{"error":"x","detail":{"logid":"from-body","other":1}}"#, Some("from-header")).unwrap_err();
        assert_eq!(err.logid.as_deref(), Some("from-body"));
        let err = run(400, r#"{"error":"x","detail":{"logid":""}}"#, Some("from-header")).unwrap_err();
        assert_eq!(err.logid.as_deref(), Some("from-header"));
        let err = run(400, r#"{"error":"x","detail":"weird"}"#, Some(" from-header ")).unwrap_err();
        assert_eq!(err.logid.as_deref(), Some("from-header"));
        let err = run(400, r#"{"error":"x","detail":null}"#, Some("")).unwrap_err();
        assert_eq!(err.logid, None);
        let err =
            run(200, r#"{"access_token":"a","expires_in":1720098388,"detail":{"logid":"L"}}"#, Some("H")).unwrap_err();
        assert_eq!(err.logid.as_deref(), Some("L"));
    }

    #[test]
    fn non_json_body() {
        let body = "<html>502 Bad Gateway</html>";
        let err = run(502, body, Some("hdr")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidResponse);
        assert_eq!(err.status, Some(502));
        assert_eq!(err.raw.as_deref(), Some(body));
        assert_eq!(err.logid.as_deref(), Some("hdr"));
        assert!(err.message.contains("HTTP 502"));
        // JSON but not an object.
        assert_eq!(run(200, "[1,2]", None).unwrap_err().code, ErrorCode::InvalidResponse);
        assert_eq!(run(200, "\"str\"", None).unwrap_err().code, ErrorCode::InvalidResponse);
        let err = run(200, "", None).unwrap_err();
        assert!(err.message.contains("empty body"), "{}", err.message);
    }

    #[test]
    fn non_2xx_without_error_fields() {
        let err = run(503, r#"{"something":"else"}"#, Some("hdr")).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.status, Some(503));
        assert_eq!(err.message, "token request failed with HTTP 503");
        assert_eq!(err.raw.as_deref(), Some(r#"{"something":"else"}"#));
        assert_eq!(err.logid.as_deref(), Some("hdr"));
        let err = run(500, r#"{"code":0,"msg":"boom"}"#, None).unwrap_err();
        assert_eq!(err.message, "token request failed with HTTP 500: boom");
        assert_eq!(err.msg.as_deref(), Some("boom"));
        // Even a token-shaped body with an error status is refused.
        assert!(run(500, r#"{"access_token":"a","refresh_token":"r","expires_in":1720098388}"#, None).is_err());
    }

    #[test]
    fn missing_fields_do_not_attach_raw() {
        let err = run(200, r#"{"refresh_token":"secret_rt","expires_in":1720098388}"#, Some("h")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidResponse);
        assert!(err.message.contains("access_token"), "{}", err.message);
        assert_eq!(err.raw, None);
        assert_eq!(err.logid.as_deref(), Some("h"));
        assert_eq!(err.status, Some(200));
        let err =
            run(200, r#"{"access_token":"secret_at","refresh_token":"","expires_in":1720098388}"#, None).unwrap_err();
        assert!(err.message.contains("refresh_token"), "{}", err.message);
        assert!(!format!("{err:?} {err}").contains("secret_at"));
        let err = run(200, r#"{"access_token":"a","refresh_token":"r"}"#, None).unwrap_err();
        assert!(err.message.contains("expires_in"));
        let err = run(200, "{}", None).unwrap_err();
        assert!(err.message.contains("access_token"));
    }

    #[test]
    fn lenient_fields() {
        let f =
            parse(r#"{"error":true,"msg":12,"code":1.0,"token_type":null,"detail":[1],"error_description":{"a":1}}"#)
                .unwrap();
        assert_eq!(f.error.as_deref(), Some("true"));
        assert_eq!(f.msg.as_deref(), Some("12"));
        assert_eq!(f.code, Some(1));
        assert_eq!(f.token_type, None);
        assert_eq!(f.detail, Some(Detail::default()));
        assert_eq!(f.error_description, None);
        let f = parse(r#"{"detail":{"logid":20240101}}"#).unwrap();
        assert_eq!(f.detail.unwrap().logid.as_deref(), Some("20240101"));
        let f = parse(r#"{"code":"abc","expires_in":18446744073709551615}"#).unwrap();
        assert_eq!(f.code, None);
        assert_eq!(f.expires_in, Some(ExpiresIn::Invalid));
        // Token fields stay strict: a non-string token fails the parse (body shown as raw then).
        assert!(parse(r#"{"access_token":5}"#).is_none());
        let d = TokenResponseFields::default();
        assert!(d.access_token.is_none() && d.code.is_none() && d.detail.is_none());
    }

    #[test]
    fn interpret_with_hand_built_fields() {
        let f = TokenResponseFields {
            access_token: Some("a".into()),
            refresh_token: Some("r".into()),
            expires_in: Some(ExpiresIn::Seconds(1_800_000_000)),
            ..Default::default()
        };
        let t = interpret_token_response(201, Some(f), "", None, NOW).unwrap();
        assert_eq!(t.expires_in, 1_800_000_000);
    }
}
