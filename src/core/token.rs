//! The token endpoint: request bodies (Coze takes JSON), and reading the answer with Coze's quirks
//! (coze-api.md §1.4–§1.7):
//!
//! * success is a flat object `{access_token, refresh_token, expires_in, token_type?}` and `expires_in`
//!   is an **absolute** Unix time in seconds, not a duration;
//! * OAuth errors come as `error`/`error_description` or `error_code`/`error_message`, sometimes with
//!   HTTP 200, so an error-shaped body is an error whatever the status;
//! * some failures use Coze's envelope `{code, msg, detail:{logid}}`.
//!
//! Bodies are read from their text with [`super::json`], the one reader the wasm, the native tests
//! and the fuzz targets share.

use core::fmt;

use super::api::{integer_field, reply_logid, shareable_raw, text_field};
use super::error::{CozeError, ErrorCode, Result};
pub use super::json::json_string;
use super::json::{parse_integer, Object, Value};

/// `expires_in` values below this (2001-09-09) cannot be absolute timestamps; they are taken as a
/// lifetime in seconds relative to now.
pub const RELATIVE_EXPIRY_THRESHOLD: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// Request side
// ---------------------------------------------------------------------------------------------

/// `{base}/api/permission/oauth2/token` (trailing slashes of `base_url` ignored).
pub fn token_endpoint(base_url: &str) -> String {
    [base_url.trim_end_matches('/'), "/api/permission/oauth2/token"].concat()
}

pub(crate) fn require(field: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(CozeError::invalid_argument([field, " is required"].concat()));
    }
    Ok(())
}

/// `{"k":"v",…}` of string pairs: every request body the library writes (one copy in the wasm).
pub(crate) fn json_object(pairs: &[(&str, &str)]) -> String {
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
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthToken {
    pub access_token: String,
    pub refresh_token: String,
    /// Absolute Unix time (seconds) at which the access token expires.
    pub expires_in: i64,
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

impl OAuthToken {
    /// The stored form, @coze/api's shape: `{"access_token","refresh_token","expires_in","token_type"?}`.
    pub fn to_json(&self) -> String {
        let mut out = [
            "{\"access_token\":",
            &json_string(&self.access_token),
            ",\"refresh_token\":",
            &json_string(&self.refresh_token),
            ",\"expires_in\":",
            &super::json::decimal(self.expires_in),
        ]
        .concat();
        if let Some(t) = &self.token_type {
            out.push_str(",\"token_type\":");
            out.push_str(&json_string(t));
        }
        out.push('}');
        out
    }

    /// Reads the stored form back (exactly what `to_json` wrote, for |expires_in| below 2^53);
    /// `None` for anything else, which callers treat as "no token".
    pub fn from_json(text: &str) -> Option<OAuthToken> {
        let o = Object::parse(text)?;
        Some(OAuthToken {
            access_token: o.str("access_token")?.into_owned(),
            refresh_token: o.str("refresh_token")?.into_owned(),
            expires_in: o.integer("expires_in")?,
            token_type: match o.get("token_type") {
                None | Some(Value::Null) => None,
                Some(Value::String(t)) => Some(t.into_owned()),
                Some(_) => return None,
            },
        })
    }
}

/// True when a token expiring at `token_expires_in` (absolute Unix seconds) should be refreshed now,
/// i.e. it expires within `skew_seconds` (negative skew counts as 0).
pub fn needs_refresh(token_expires_in: i64, now_unix: i64, skew_seconds: i64) -> bool {
    now_unix.saturating_add(skew_seconds.max(0)) >= token_expires_in
}

// ---------------------------------------------------------------------------------------------
// Interpreting the response
// ---------------------------------------------------------------------------------------------

/// For coze-js #212: `invalid request: client_secret` from a PKCE token call.
pub const CLIENT_SECRET_HINT: &str = " (hint: PKCE needs an SPA/mobile/desktop app, not a web app)";

/// Turns the token endpoint's answer into a token or a `CozeError`. In this order:
///
/// 1. not a JSON object → INVALID_RESPONSE;
/// 2. an OAuth error (`error` or `error_code`, a code of `0` excepted: Coze's "success"; or only an
///    `error_message` and no access token), whatever the status → OAUTH_TOKEN_ERROR;
/// 3. an envelope `code` other than 0 → COZE_API_ERROR;
/// 4. any other non-2xx → OAUTH_TOKEN_ERROR;
/// 5. the success shape, else INVALID_RESPONSE naming what is missing.
///
/// Error and envelope fields may be strings or numbers. `expires_in` may be an integer or a
/// numeric string (read as JS's unary `+`); below [`RELATIVE_EXPIRY_THRESHOLD`] it is taken as a
/// lifetime (`now_unix + expires_in`; Coze documents an absolute time, this is a fallback).
/// The logid is the body's `detail.logid`, else `header_logid` (`x-tt-logid`). Errors carry the
/// body as `raw` unless it may hold credentials (see [`shareable_raw`]).
#[inline(never)] // three callers (PKCE, device, web): one copy
pub fn interpret_token_response(
    status: u16,
    body: &str,
    header_logid: Option<&str>,
    now_unix: i64,
) -> Result<OAuthToken> {
    read_token_reply(status, body, header_logid, now_unix, true)
}

/// [`interpret_token_response`]; without `need_refresh` a reply with no `refresh_token` is a
/// token too (the JWT flow's `{access_token, expires_in}`; `refresh_token` is then empty).
pub fn read_token_reply(
    status: u16,
    body: &str,
    header_logid: Option<&str>,
    now_unix: i64,
    need_refresh: bool,
) -> Result<OAuthToken> {
    let object = Object::parse(body);
    let logid = reply_logid(object.as_ref(), header_logid);
    let fail = |code: ErrorCode, message: String| {
        let mut err = CozeError::new(code, message).with_status(status).with_logid(logid.clone());
        err.raw = shareable_raw(body, object.as_ref());
        err
    };
    let Some(o) = object else {
        let what = if body.trim().is_empty() { "empty" } else { "not a JSON object" };
        return Err(fail(ErrorCode::InvalidResponse, ["token reply is ", what].concat()));
    };

    let error_message = text_field(&o, "error_message");
    let error_description = text_field(&o, "error_description");
    let msg = text_field(&o, "msg");
    let hint = if [&error_message, &error_description, &msg]
        .iter()
        .any(|t| t.as_ref().is_some_and(|t| super::json::contains(&t.to_ascii_lowercase(), "client_secret")))
    {
        CLIENT_SECRET_HINT
    } else {
        ""
    };

    // 2. OAuth error, whatever the status (Coze may send these with HTTP 200).
    let oauth_code =
        ["error", "error_code"].iter().filter_map(|k| text_field(&o, k)).find(|c| parse_integer(c) != Some(0));
    let has_access_token = o.str("access_token").is_some_and(|t| !t.trim().is_empty());
    if oauth_code.is_some() || (error_message.is_some() && !has_access_token) {
        let description = error_description.or_else(|| error_message.clone());
        let message = match (&oauth_code, &description) {
            (Some(c), Some(d)) => ["token request failed: ", c, " (", d, ")", hint].concat(),
            (c, d) => ["token request failed: ", c.as_deref().or(d.as_deref()).unwrap_or_default(), hint].concat(),
        };
        let mut err = fail(ErrorCode::OAuthTokenError, message);
        err.error = oauth_code;
        err.error_description = description;
        err.msg = error_message;
        return Err(err);
    }

    // 3. Coze envelope error.
    if let Some(code) = integer_field(&o, "code").filter(|c| *c != 0) {
        let mut err = CozeError::coze_api(code, msg.unwrap_or_default()).with_status(status).with_logid(logid.clone());
        err.message.push_str(hint);
        err.raw = shareable_raw(body, Some(&o));
        return Err(err);
    }

    // 4. Any other non-2xx answer.
    if !(200..300).contains(&status) {
        let head = ["token request failed: HTTP ", &super::json::decimal(i64::from(status))].concat();
        let message = match &msg {
            Some(m) => [&head, " (", m, ")", hint].concat(),
            None => [&head, hint].concat(),
        };
        let mut err = fail(ErrorCode::OAuthTokenError, message);
        err.msg = msg;
        return Err(err);
    }

    // 5. Success shape. Such a body holds tokens, so `raw` is never attached (shareable_raw).
    let missing = |what: &str| fail(ErrorCode::InvalidResponse, ["token reply has ", what].concat());
    let token = |key: &str| o.str(key).map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let access_token = token("access_token").ok_or_else(|| missing("no access_token"))?;
    let refresh_token = match token("refresh_token") {
        None if need_refresh => return Err(missing("no refresh_token")),
        t => t.unwrap_or_default(),
    };
    let expires_in = match o.get("expires_in") {
        None | Some(Value::Null) => return Err(missing("no expires_in")),
        Some(Value::String(s)) => parse_integer(s.trim()),
        Some(v) => v.as_integer(),
    };
    let expires_in = match expires_in {
        Some(v) if v <= 0 => return Err(missing("a bad expires_in")),
        Some(v) if v < RELATIVE_EXPIRY_THRESHOLD => now_unix.saturating_add(v),
        Some(v) => v,
        None => return Err(missing("a bad expires_in")),
    };
    Ok(OAuthToken { access_token, refresh_token, expires_in, token_type: token("token_type") })
}

/// OAuth codes that refuse the grant itself: RFC 6749 `invalid_grant`, RFC 6750 `invalid_token`,
/// RFC 8628 `expired_token`, `access_denied` and Coze's spelling `access_deny` (app deactivated,
/// login session invalid).
const REFUSED_GRANT: [&str; 5] = ["invalid_grant", "invalid_token", "expired_token", "access_denied", "access_deny"];

/// Words with which a message reports a token dead (Coze answers in English or Chinese).
const DEAD_TOKEN_WORDS: [&str; 8] = ["expired", "revoked", "invalid", "过期", "失效", "无效", "撤销", "吊销"];

/// Whether a failed refresh ends the login (the stored token is forgotten). Only a definite
/// refusal of the refresh token does:
///
/// * a reply arrived (OAUTH_TOKEN_ERROR / COZE_API_ERROR with a status) that is not transient
///   (not 408, 429 or 5xx, whatever its body says), and
/// * it refuses the grant: an OAuth code in [`REFUSED_GRANT`]; or `invalid_request` whose
///   description mentions the refresh token (Coze's "invalid request: refresh_token"); or, with
///   any other or no code, a description or `msg` that mentions "refresh" and reports it dead
///   ([`DEAD_TOKEN_WORDS`]).
///
/// Everything else keeps the login: network errors, aborts, timeouts, unreadable replies
/// (INVALID_RESPONSE: a gateway's HTML page), bare HTTP errors, and errors about the client or
/// request (`invalid_client`, `unsupported_grant_type`, `client_secret`, a 4100/4101 envelope that
/// does not name the refresh token: Coze documents no code for a dead refresh token).
pub fn refresh_ends_login(err: &CozeError) -> bool {
    let answered = matches!(err.code, ErrorCode::OAuthTokenError | ErrorCode::CozeApiError);
    if !answered || !err.status.is_some_and(|s| s < 500 && s != 408 && s != 429) {
        return false;
    }
    let mut text = err.error_description.clone().unwrap_or_default();
    text.push('\n');
    text.push_str(err.msg.as_deref().unwrap_or_default());
    text.make_ascii_lowercase();
    let mentions_refresh = super::json::contains(&text, "refresh");
    match err.error.as_deref() {
        Some(code) if REFUSED_GRANT.iter().any(|r| r.eq_ignore_ascii_case(code)) => true,
        Some(code) if code.eq_ignore_ascii_case("invalid_request") => mentions_refresh,
        _ => mentions_refresh && DEAD_TOKEN_WORDS.iter().any(|w| super::json::contains(&text, w)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_720_000_000;

    fn run(status: u16, body: &str, header_logid: Option<&str>) -> Result<OAuthToken> {
        interpret_token_response(status, body, header_logid, NOW)
    }

    // ----- request side -----

    #[test]
    fn token_endpoint_paths() {
        assert_eq!(token_endpoint("https://api.coze.cn"), "https://api.coze.cn/api/permission/oauth2/token");
        assert_eq!(token_endpoint("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/api/permission/oauth2/token");
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
    }

    #[test]
    fn oauth_token_stored_form() {
        let t = OAuthToken { access_token: "a".into(), refresh_token: "r".into(), expires_in: 5, token_type: None };
        assert_eq!(t.to_json(), r#"{"access_token":"a","refresh_token":"r","expires_in":5}"#);
        assert_eq!(OAuthToken::from_json(&t.to_json()), Some(t));
        let t = OAuthToken {
            access_token: "czu_\"\\\u{1}扣😀".into(),
            refresh_token: " r ".into(),
            expires_in: -(1 << 53) + 1,
            token_type: Some("Bearer".into()),
        };
        let json = t.to_json();
        assert_eq!(OAuthToken::from_json(&json).as_ref(), Some(&t));
        // Same reading as an independent parser.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["access_token"], t.access_token.as_str());
        assert_eq!(v["expires_in"], t.expires_in);
        assert_eq!(v["token_type"], "Bearer");
        // Written by the old web layer (same shape), with whitespace and key order of any writer.
        let old = r#" { "expires_in" : 1720098388 , "token_type" : null, "refresh_token":"r","access_token":"a"} "#;
        assert_eq!(OAuthToken::from_json(old).map(|t| t.expires_in), Some(1_720_098_388));
        for bad in [
            "",
            "null",
            r#"{"access_token":"a","refresh_token":"r"}"#,
            r#"{"access_token":"a","refresh_token":"r","expires_in":"5"}"#,
            r#"{"access_token":"a","refresh_token":"r","expires_in":5.5}"#,
            r#"{"access_token":1,"refresh_token":"r","expires_in":5}"#,
            r#"{"access_token":"a","refresh_token":"r","expires_in":5,"token_type":1}"#,
            r#"{"access_token":"a","refresh_token":"r","expires_in":5"#,
        ] {
            assert_eq!(OAuthToken::from_json(bad), None, "{bad}");
        }
    }

    #[test]
    fn oauth_token_round_trips() {
        let texts = ["", "a", "\u{0}\u{1f}\"\\/", "扣子 😀 \u{2028}", "\u{FFFD}x"];
        for (i, a) in texts.iter().enumerate() {
            for b in texts {
                for expires_in in [0, 1, -1, 1_720_098_388, (1 << 53) - 1, -(1 << 53) + 1] {
                    let token_type = [None, Some(a.to_string())][i % 2].clone();
                    let t = OAuthToken { access_token: a.to_string(), refresh_token: b.into(), expires_in, token_type };
                    assert_eq!(OAuthToken::from_json(&t.to_json()).as_ref(), Some(&t));
                }
            }
        }
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
        for (text, want) in [
            ("1720098388", 1_720_098_388),
            ("\"1720098388\"", 1_720_098_388),
            ("1720098388.0", 1_720_098_388),
            ("1.720098388e9", 1_720_098_388),
            ("\" 1720098388 \"", 1_720_098_388),
            ("\"+1720098388\"", 1_720_098_388),
            ("\"1720098388.\"", 1_720_098_388),
            // Relative fallback: small numbers are a lifetime.
            ("900", NOW + 900),
            ("\"900\"", NOW + 900),
            ("9e2", NOW + 900),
            ("999999999", NOW + 999_999_999),
            ("1000000000", 1_000_000_000),
            ("9007199254740991", 9_007_199_254_740_991),
        ] {
            assert_eq!(run(200, &body(text), None).unwrap().expires_in, want, "{text}");
        }
        for bad in [
            "1.5",
            "\"soon\"",
            "\"\"",
            "\" \"",
            "true",
            "{}",
            "[1]",
            "0",
            "-5",
            "\"-0\"",
            "1e30",
            "9007199254740992",
            "\"0x10\"",
            "\"Infinity\"",
            "\"1 2\"",
        ] {
            let err = run(200, &body(bad), None).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidResponse, "{bad}");
            assert_eq!(err.message, "token reply has a bad expires_in", "{bad}");
            assert_eq!(err.raw, None, "{bad}");
        }
        let err = run(200, &body("null"), None).unwrap_err();
        assert_eq!(err.message, "token reply has no expires_in");
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
        assert_eq!(
            run(400, r#"{"error":"invalid_grant"}"#, None).unwrap_err().message,
            "token request failed: invalid_grant"
        );
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
        // A numeric error_code still counts, as number or string.
        assert_eq!(run(400, r#"{"error_code":4001}"#, None).unwrap_err().error.as_deref(), Some("4001"));
        assert_eq!(run(400, r#"{"error_code":"4100"}"#, None).unwrap_err().error.as_deref(), Some("4100"));
        assert_eq!(run(400, r#"{"error_code":4.5}"#, None).unwrap_err().error.as_deref(), Some("4.5"));
        // Only error_message (PY treats this as an error too).
        let err = run(400, r#"{"error_message":"something broke"}"#, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.error, None);
        assert_eq!(err.message, "token request failed: something broke");
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
        assert_eq!(err.message, "token reply is not a JSON object");
        // JSON but not an object, or not quite JSON.
        for body in ["[1,2]", "\"str\"", "{\"a\":1,}", "{'a':1}", "{\"a\":1} x", "\u{feff}{}"] {
            assert_eq!(run(200, body, None).unwrap_err().code, ErrorCode::InvalidResponse, "{body}");
        }
        let err = run(200, " ", None).unwrap_err();
        assert_eq!(err.message, "token reply is empty");
        // Cut off mid-token: not JSON, and the text may hold a credential, so no raw.
        let err = run(200, r#"{"access_token":"czu_secret","refr"#, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidResponse);
        assert_eq!(err.raw, None);
    }
    #[test]
    fn non_2xx_without_error_fields() {
        let err = run(503, r#"{"something":"else"}"#, Some("hdr")).unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthTokenError);
        assert_eq!(err.status, Some(503));
        assert_eq!(err.message, "token request failed: HTTP 503");
        assert_eq!(err.raw.as_deref(), Some(r#"{"something":"else"}"#));
        assert_eq!(err.logid.as_deref(), Some("hdr"));
        let err = run(500, r#"{"code":0,"msg":"boom"}"#, None).unwrap_err();
        assert_eq!(err.message, "token request failed: HTTP 500 (boom)");
        assert_eq!(err.msg.as_deref(), Some("boom"));
        // Even a token-shaped body with an error status is refused, and not attached.
        let err = run(500, r#"{"access_token":"a","refresh_token":"r","expires_in":1720098388}"#, None).unwrap_err();
        assert_eq!((err.code, err.raw), (ErrorCode::OAuthTokenError, None));
    }

    #[test]
    fn zero_codes_are_not_errors() {
        let ok = r#""access_token":"a","refresh_token":"r","expires_in":1720098388"#;
        for extra in [
            r#""error_code":0"#,
            r#""error_code":"0""#,
            r#""error":0,"error_code":"0""#,
            r#""code":0,"msg":"success""#,
            r#""code":"0""#,
            r#""error":"""#,
            r#""error":null,"error_code":false"#,
        ] {
            let body = format!("{{{extra},{ok}}}");
            assert_eq!(run(200, &body, None).unwrap().access_token, "a", "{body}");
        }
        // 0 next to a real code: the real one counts.
        let err = run(200, &format!(r#"{{"error":"0","error_code":"invalid_grant",{ok}}}"#), None).unwrap_err();
        assert_eq!(err.error.as_deref(), Some("invalid_grant"));
    }

    #[test]
    fn raw_never_carries_credentials() {
        for (status, body) in [
            (200, r#"{"error":"access_deny","access_token":"secret","expires_in":1}"#),
            (400, r#"{"error":"x","refresh_token":"secret"}"#),
            (200, r#"{"code":4101,"msg":"m","access_token":"secret"}"#),
            (500, r#"{"refresh_token":"secret"}"#),
            (400, r#"{"error":"x","re\u0066resh_token":"secret"}"#),
            (400, r#"{"error":"x","data":{"access_token":"secret"}}"#),
            (200, r#"{"access_token":"secret""#),
        ] {
            let err = run(status, body, None).unwrap_err();
            assert_eq!(err.raw, None, "{status} {body}");
            assert!(!format!("{err:?} {err}").contains("secret"), "{status} {body}");
        }
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
    fn field_types() {
        // A token must be a string: a number counts as missing (the body is not attached: it names one).
        let err = run(200, r#"{"access_token":5,"refresh_token":"r","expires_in":1720098388}"#, None).unwrap_err();
        assert_eq!(
            (err.code, err.message.as_str(), err.raw),
            (ErrorCode::InvalidResponse, "token reply has no access_token", None)
        );
        // Error texts may be numbers; other types do not count.
        let err = run(400, r#"{"error":true,"msg":12,"code":1.0,"detail":[1],"error_description":{"a":1}}"#, None)
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::CozeApiError);
        assert_eq!((err.coze_code, err.msg.as_deref(), err.logid), (Some(1), Some("12"), None));
        let err = run(400, r#"{"error":"x","detail":{"logid":20240101}}"#, None).unwrap_err();
        assert_eq!(err.logid.as_deref(), Some("20240101"));
        // A code that is not an integer is not an envelope code.
        let err = run(400, r#"{"code":"abc"}"#, None).unwrap_err();
        assert_eq!((err.code, err.coze_code), (ErrorCode::OAuthTokenError, None));
        // Escaped keys and values read as JSON.parse reads them; the last duplicate wins.
        let t = run(200, r#"{"access\u005ftoken":"\u0061\ud83d\ude00","refresh_token":"x","refresh_token":"r","expires_in":1720098388}"#, None).unwrap();
        assert_eq!((t.access_token.as_str(), t.refresh_token.as_str()), ("a😀", "r"));
    }
    // ----- which failed refreshes end the login -----

    #[test]
    fn refresh_ends_login_table() {
        // (HTTP status, token endpoint body, ends the login?)
        let table: &[(u16, &str, bool)] = &[
            // Definite refusals of the refresh token.
            (
                400,
                r#"{"error":"invalid_grant","error_description":"invalid grant: the refresh token has expired"}"#,
                true,
            ),
            (400, r#"{"error_code":"invalid_grant","error_message":"x"}"#, true),
            (401, r#"{"error":"invalid_token"}"#, true),
            (400, r#"{"error":"expired_token"}"#, true),
            (403, r#"{"error":"access_denied"}"#, true),
            (200, r#"{"error_code":"access_deny","error_message":"login session invalid"}"#, true),
            (400, r#"{"error_code":"invalid_request","error_message":"invalid request: refresh_token"}"#, true),
            (400, r#"{"error":"invalid_request","error_description":"Invalid Refresh_Token"}"#, true),
            (400, r#"{"code":4000,"msg":"the refresh token has been revoked"}"#, true),
            (401, r#"{"code":4100,"msg":"refresh token expired","detail":{"logid":"L"}}"#, true),
            (400, r#"{"error_message":"Refresh token is invalid"}"#, true),
            (400, r#"{"code":4000,"msg":"refresh_token 已过期"}"#, true),
            // Not about the refresh token: configuration or request problems.
            (400, r#"{"error_code":"invalid_request","error_message":"invalid request: client_secret"}"#, false),
            (400, r#"{"error_code":"invalid_request","error_message":"invalid request: client_id"}"#, false),
            (401, r#"{"error":"invalid_client"}"#, false),
            (400, r#"{"error":"unsupported_grant_type"}"#, false),
            (400, r#"{"error_code":"internal_error"}"#, false),
            (200, r#"{"code":4101,"msg":"The token you entered is incorrect."}"#, false),
            (401, r#"{"code":4100,"msg":"authentication is invalid"}"#, false),
            // Transient: rate limits, server errors, gateways, unreadable replies.
            (429, r#"{"code":4013,"msg":"Request rate exceeded the limit"}"#, false),
            (429, r#"{"error":"slow_down"}"#, false),
            (429, "Too Many Requests", false),
            (408, r#"{"error":"invalid_grant"}"#, false),
            (500, r#"{"error":"invalid_grant"}"#, false),
            (500, r#"{"code":5000,"msg":"internal error"}"#, false),
            (502, "<html><body>502 Bad Gateway</body></html>", false),
            (503, r#"{"something":"else"}"#, false),
            (504, "", false),
            (401, r#"{"something":"else"}"#, false),
            (400, "{}", false),
            (200, "not json", false),
            (200, r#"{"access_token":"a","refresh_token":"r"}"#, false),
        ];
        let mut wrong = Vec::new();
        for &(status, body, want) in table {
            let err = run(status, body, None).unwrap_err();
            if refresh_ends_login(&err) != want {
                wrong.push(format!("HTTP {status} {body} -> {}, want {want}", !want));
            }
        }
        // Failures before or instead of a reply never end the login.
        for code in [ErrorCode::Network, ErrorCode::Aborted, ErrorCode::Timeout, ErrorCode::InvalidResponse] {
            if refresh_ends_login(&CozeError::new(code, "x")) {
                wrong.push(format!("{} -> true, want false", code.as_str()));
            }
        }
        // No reply at all (e.g. the web layer's lock failure): no status, not a refusal.
        if refresh_ends_login(&CozeError::new(ErrorCode::OAuthTokenError, "x")) {
            wrong.push("OAUTH_TOKEN_ERROR without a status -> true, want false".into());
        }
        assert!(wrong.is_empty(), "{} misclassified:\n{}", wrong.len(), wrong.join("\n"));
    }
}
