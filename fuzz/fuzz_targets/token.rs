//! interpret_token_response: never panics, and its answer follows the documented rules, checked
//! against serde_json's reading of the same body (an oracle independent of core::json).
//!
//! Input: a flag (the body is built from choices, so every branch is reached, or taken as raw
//! text), the HTTP status, "now", an optional header logid, then the body.
#![no_main]

#[path = "common/json_oracle.rs"]
mod oracle;

use coze_wasm::core::api::truncate;
use coze_wasm::core::json::MAX_SAFE_INTEGER;
use coze_wasm::core::token::{
    interpret_token_response, json_string, needs_refresh, refresh_body, refresh_ends_login, OAuthToken,
    RELATIVE_EXPIRY_THRESHOLD,
};
use coze_wasm::core::{CozeError, ErrorCode};
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let Ok(structured) = u.arbitrary::<bool>() else { return };
    let Ok(status) = u.arbitrary::<u16>() else { return };
    let Ok(now) = u.arbitrary::<i64>() else { return };
    let header_logid: Option<String> = u.arbitrary().unwrap_or(None);
    let body = if structured {
        let Ok(body) = body_from(&mut u) else { return };
        body
    } else {
        String::from_utf8_lossy(u.take_rest()).into_owned()
    };

    let result = interpret_token_response(status, &body, header_logid.as_deref(), now);
    // Same input, same answer (no hidden state).
    assert_eq!(interpret_token_response(status, &body, header_logid.as_deref(), now), result);
    let map = oracle::object(&body);
    match &result {
        Ok(token) => check_token(token, &body, map.as_ref(), status, now),
        Err(e) => check_error(e, &body, map.as_ref(), status, header_logid.as_deref()),
    }

    // The request side: hand-written JSON must read back exactly, and the refresh rule must
    // match its definition without overflowing.
    assert_eq!(serde_json::from_str::<String>(&json_string(&body)).unwrap(), body);
    if !body.is_empty() {
        let sent: Value = serde_json::from_str(&refresh_body(&body, &body).unwrap()).unwrap();
        assert_eq!(
            (sent["refresh_token"].as_str(), sent["grant_type"].as_str()),
            (Some(&*body), Some("refresh_token"))
        );
    }
    let skew = i64::from(status) - 1000;
    let want = i128::from(now) + i128::from(skew.max(0)) >= i128::from(RELATIVE_EXPIRY_THRESHOLD);
    assert_eq!(needs_refresh(RELATIVE_EXPIRY_THRESHOLD, now, skew), want);
});

/// A JSON object from the keys the reader looks at, values of every type, escaped key spellings
/// and whitespace.
fn body_from(u: &mut Unstructured) -> ArbResult<String> {
    const KEYS: [&str; 14] = [
        "access_token",
        "refresh_token",
        "expires_in",
        "token_type",
        "error",
        "error_code",
        "error_message",
        "error_description",
        "code",
        "msg",
        "detail",
        "data",
        "access\\u005ftoken",
        "other",
    ];
    const STRINGS: [&str; 14] = [
        "",
        " \t",
        "0",
        " 0 ",
        "invalid_grant",
        "invalid_request",
        "invalid request: CLIENT_SECRET",
        "the refresh token has expired",
        " tok ",
        "4101",
        " 900 ",
        "1720098388",
        "1e3",
        "\u{0}\u{1f}\"\\扣😀",
    ];
    const NUMBERS: [&str; 12] =
        ["0", "-0", "0.0", "4101", "900", "1720098388", "1.5", "1e3", "-5", "9007199254740992", "1e400", "1e-400"];
    let mut out = String::from("{");
    for i in 0..u.int_in_range(0..=8)? {
        if i > 0 {
            out.push(',');
        }
        out.push_str(*u.choose(&["", " ", "\n\t"])?);
        out.push('"');
        out.push_str(u.choose(&KEYS)?);
        out.push_str("\":");
        match u.int_in_range(0..=9)? {
            0..=3 => out.push_str(&json_string(u.choose(&STRINGS)?)),
            4 => out.push_str(&json_string(u.arbitrary()?)),
            5 | 6 => out.push_str(u.choose(&NUMBERS)?),
            7 => out.push_str(&u.arbitrary::<i64>()?.to_string()),
            8 => out.push_str(u.choose(&["null", "true", "[1]", "{}", "\"\\ud800\""])?),
            _ => {
                let logid: String = u.arbitrary()?;
                out.push_str(&format!("{{\"logid\":{}}}", json_string(&logid)));
            }
        }
    }
    out.push('}');
    Ok(out)
}

/// A field as text the way the reader documents it, when the oracle can tell: a string trimmed
/// and non-empty. `Err(())` for a number (its text form is the reader's choice).
fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, ()> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(Value::Number(_)) => Err(()),
        _ => Ok(None),
    }
}

/// `code` / `expires_in` as the reader documents: an exact integer, or a string holding one.
/// `None` when the oracle cannot tell (a number whose text serde_json does not keep).
fn integer(map: &Map<String, Value>, key: &str) -> Option<Option<i64>> {
    match map.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => oracle::exact_integer(s.trim()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.as_i64().filter(|i| i.abs() <= MAX_SAFE_INTEGER)),
        Some(Value::Number(_)) => None,
        _ => Some(None),
    }
}

/// Whether an `error` / `error_code` value is an OAuth error code (anything but blank or a zero),
/// `None` when the oracle cannot tell (a float 0.0 may be an underflowed 1e-400).
fn is_code(v: Option<&Value>) -> Option<bool> {
    match v {
        Some(Value::String(s)) => Some(!s.trim().is_empty() && oracle::exact_integer(s.trim()) != Some(Some(0))),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.as_f64() != Some(0.0)),
        Some(Value::Number(n)) => (n.as_f64() != Some(0.0)).then_some(true),
        _ => Some(false),
    }
}

/// The OAuth code the reader must report: `Some(Some(text))` when it is a string, `Some(None)`
/// when there is none, `None` when the oracle cannot tell or the code is a number.
fn oauth_code(m: &Map<String, Value>) -> Option<Option<String>> {
    for key in ["error", "error_code"] {
        match is_code(m.get(key))? {
            true => return m.get(key)?.as_str().map(|s| Some(s.trim().to_owned())),
            false => {}
        }
    }
    Some(None)
}

fn holds_credentials(body: &str, map: Option<&Map<String, Value>>) -> bool {
    ["access_token", "refresh_token"].iter().any(|k| body.contains(k) || map.is_some_and(|m| m.contains_key(*k)))
}

/// A token comes only from a 2xx, error-free body with both tokens and a positive expiry.
fn check_token(t: &OAuthToken, body: &str, map: Option<&Map<String, Value>>, status: u16, now: i64) {
    assert!((200..300).contains(&status), "token from HTTP {status}");
    assert!(oracle::accepts_object(body), "token from a body that is not a JSON object");
    if let Some(m) = map {
        for key in ["error", "error_code"] {
            assert_ne!(is_code(m.get(key)), Some(true), "token despite {key}");
        }
        if let Some(code) = integer(m, "code") {
            assert!(code.is_none_or(|c| c == 0), "token despite envelope code {code:?}");
        }
        let token = |k: &str| m.get(k).and_then(Value::as_str).map(str::trim);
        assert_eq!(Some(t.access_token.as_str()), token("access_token"));
        assert_eq!(Some(t.refresh_token.as_str()), token("refresh_token"));
        assert_eq!(t.token_type.as_deref(), token("token_type").filter(|s| !s.is_empty()));
        if let Some(sent) = integer(m, "expires_in") {
            let sent = sent.expect("token without an integer expires_in");
            let want = if sent < RELATIVE_EXPIRY_THRESHOLD { now.saturating_add(sent) } else { sent };
            assert_eq!(t.expires_in, want);
        }
    }
    assert!(!t.access_token.is_empty() && t.access_token.trim() == t.access_token);
    assert!(!t.refresh_token.is_empty() && t.refresh_token.trim() == t.refresh_token);
    if now >= 0 {
        assert!(t.expires_in > 0);
    }
    // Debug never shows token text: only its length in chars matters.
    let blank = |s: &str| "x".repeat(s.chars().count());
    let masked =
        OAuthToken { access_token: blank(&t.access_token), refresh_token: blank(&t.refresh_token), ..t.clone() };
    assert_eq!(format!("{t:?}"), format!("{masked:?}"));
    // The stored form reads back, and reads the same to serde_json.
    let stored = t.to_json();
    let stored_value: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored_value["access_token"].as_str(), Some(t.access_token.as_str()));
    if t.expires_in.abs() <= MAX_SAFE_INTEGER {
        assert_eq!(OAuthToken::from_json(&stored).as_ref(), Some(t));
        assert_eq!(stored_value["expires_in"].as_i64(), Some(t.expires_in));
    } else {
        assert_eq!(OAuthToken::from_json(&stored), None);
    }
}

fn check_error(e: &CozeError, body: &str, map: Option<&Map<String, Value>>, status: u16, header: Option<&str>) {
    assert!(
        matches!(e.code, ErrorCode::OAuthTokenError | ErrorCode::CozeApiError | ErrorCode::InvalidResponse),
        "unexpected code {:?}",
        e.code
    );
    assert_eq!(e.status, Some(status));
    match &e.logid {
        Some(logid) => assert!(!logid.is_empty() && logid.trim() == logid, "untrimmed logid"),
        None => assert!(header.is_none_or(|h| h.trim().is_empty()), "header logid lost"),
    }
    // raw: the (bounded) body, unless it may hold credentials.
    if map.is_some() || !oracle::accepts_object(body) {
        assert_eq!(e.raw.is_some(), !holds_credentials(body, map), "raw rule broken");
    }
    if let Some(raw) = &e.raw {
        assert_eq!(*raw, truncate(body));
        assert!(!holds_credentials(body, map));
    }
    // (Unless the header logid, as Debug escapes it, happens to contain the body.)
    if body.len() >= 16 && header.is_none_or(|h| !format!("{h:?}").contains(body)) {
        assert!(!format!("{e:?}").contains(body), "Debug printed the body");
    }
    // Only a reply that arrived and was not transient can end the login.
    if refresh_ends_login(e) {
        assert!(e.code != ErrorCode::InvalidResponse && status < 500 && status != 429 && status != 408);
    }

    if !oracle::accepts_object(body) {
        assert_eq!(e.code, ErrorCode::InvalidResponse, "{body:?}");
        assert!(e.message.starts_with("token reply is "));
        return;
    }
    let Some(m) = map else { return };
    let oauth = oauth_code(m);
    match e.code {
        ErrorCode::OAuthTokenError => {
            if let Some(Some(code)) = &oauth {
                assert_eq!(e.error.as_ref(), Some(code));
            }
            if oauth == Some(None) {
                assert_eq!(e.error, None);
                if text(m, "error_message") == Ok(None) {
                    assert!(!(200..300).contains(&status), "a bare OAUTH_TOKEN_ERROR from a 2xx");
                }
            }
        }
        ErrorCode::CozeApiError => {
            assert!(e.error.is_none() && oauth.is_none_or(|c| c.is_none()), "an OAuth error as an envelope error");
            let code = e.coze_code.expect("an envelope error has a code");
            assert_ne!(code, 0);
            if let Some(want) = integer(m, "code") {
                assert_eq!(Some(code), want);
            }
        }
        _ => {
            // Success-shaped but incomplete.
            assert!((200..300).contains(&status));
            assert!(oauth.is_none_or(|c| c.is_none()));
            assert!(e.message.starts_with("token reply has "));
        }
    }
}
