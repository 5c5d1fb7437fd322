//! interpret_token_response: never panics, and its answer follows the documented rules.
//!
//! Input layout: byte 0 = mode (even: the rest is a JSON body parsed with serde, like the native
//! path; odd: the fields are built straight from the bytes, reaching combinations no JSON parser
//! would give), bytes 1..3 = HTTP status, bytes 3..11 = "now".
#![no_main]

use coze_wasm::core::token::{
    interpret_token_response, json_string, needs_refresh, refresh_body, ExpiresIn, OAuthToken, TokenResponseFields,
    RELATIVE_EXPIRY_THRESHOLD,
};
use coze_wasm::core::{CozeError, ErrorCode};
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let Ok(structured) = u.arbitrary::<bool>() else {
        return;
    };
    let Ok(status) = u.arbitrary::<u16>() else {
        return;
    };
    let Ok(now) = u.arbitrary::<i64>() else {
        return;
    };
    let header_logid: Option<String> = u.arbitrary().unwrap_or(None);

    let (fields, raw) = if structured {
        let Ok(f) = fields_from(&mut u) else { return };
        (Some(f), String::from_utf8_lossy(u.take_rest()).into_owned())
    } else {
        let raw = String::from_utf8_lossy(u.take_rest()).into_owned();
        (serde_json::from_str::<TokenResponseFields>(&raw).ok(), raw)
    };

    let result = interpret_token_response(status, fields.clone(), &raw, header_logid.as_deref(), now);
    match (&result, &fields) {
        (Ok(token), Some(f)) => check_token(token, f, status, now),
        (Ok(_), None) => panic!("a token from a body that is not a JSON object"),
        (Err(e), f) => check_error(e, f.as_ref(), status, &raw, header_logid.as_deref(), !structured),
    }
    // Same input, same answer (no hidden state).
    assert_eq!(interpret_token_response(status, fields, &raw, header_logid.as_deref(), now), result);

    // The request side: hand-written JSON must read back exactly, and the refresh rule must
    // match its definition without overflowing.
    let text = raw.as_str();
    assert_eq!(serde_json::from_str::<String>(&json_string(text)).unwrap(), text);
    if !text.is_empty() {
        let body: serde_json::Value = serde_json::from_str(&refresh_body(text, text).unwrap()).unwrap();
        assert_eq!((body["refresh_token"].as_str(), body["grant_type"].as_str()), (Some(text), Some("refresh_token")));
    }
    let skew = i64::from(status) - 1000;
    let want = i128::from(now) + i128::from(skew.max(0)) >= i128::from(RELATIVE_EXPIRY_THRESHOLD);
    assert_eq!(needs_refresh(RELATIVE_EXPIRY_THRESHOLD, now, skew), want);
});

fn fields_from(u: &mut Unstructured) -> ArbResult<TokenResponseFields> {
    // Strings from a small alphabet (blank, token-ish, the hint trigger) more often than not, so
    // the interesting branches are reachable.
    fn s(u: &mut Unstructured) -> ArbResult<Option<String>> {
        Ok(match u.int_in_range(0..=7)? {
            0 => None,
            1 => Some(String::new()),
            2 => Some(" \t\n".into()),
            3 => Some("invalid request: CLIENT_SECRET".into()),
            4 => Some(" tok ".into()),
            _ => Some(u.arbitrary()?),
        })
    }
    let expires_in = match u.int_in_range(0..=4)? {
        0 => None,
        1 => Some(ExpiresIn::Invalid),
        2 => Some(ExpiresIn::Seconds(RELATIVE_EXPIRY_THRESHOLD + u.int_in_range(-2..=2)?)),
        _ => Some(ExpiresIn::Seconds(u.arbitrary()?)),
    };
    let code = match u.int_in_range(0..=3)? {
        0 => None,
        1 => Some(0),
        2 => Some(4101),
        _ => Some(u.arbitrary()?),
    };
    Ok(TokenResponseFields {
        access_token: s(u)?,
        refresh_token: s(u)?,
        expires_in,
        token_type: s(u)?,
        error: s(u)?,
        error_code: s(u)?,
        error_message: s(u)?,
        error_description: s(u)?,
        code,
        msg: s(u)?,
        detail: if u.arbitrary()? { Some(coze_wasm::core::token::Detail { logid: s(u)? }) } else { None },
    })
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A token comes only from a 2xx, error-free body with both tokens and a positive expiry.
fn check_token(t: &OAuthToken, f: &TokenResponseFields, status: u16, now: i64) {
    assert!((200..300).contains(&status), "token from HTTP {status}");
    assert!(non_empty(&f.error).is_none() && non_empty(&f.error_code).is_none(), "token despite an OAuth error");
    assert!(f.code.is_none_or(|c| c == 0), "token despite envelope code {:?}", f.code);
    assert_eq!(Some(t.access_token.as_str()), non_empty(&f.access_token));
    assert_eq!(Some(t.refresh_token.as_str()), non_empty(&f.refresh_token));
    assert_eq!(t.token_type.as_deref(), non_empty(&f.token_type));
    for text in [Some(&t.access_token), Some(&t.refresh_token), t.token_type.as_ref()].into_iter().flatten() {
        assert!(!text.is_empty() && text.trim() == text, "token text not trimmed");
    }
    let Some(ExpiresIn::Seconds(sent)) = f.expires_in else { panic!("token without an integer expires_in") };
    assert!(sent > 0, "token with expires_in {sent}");
    let want = if sent < RELATIVE_EXPIRY_THRESHOLD { now.saturating_add(sent) } else { sent };
    assert_eq!(t.expires_in, want);
    // An absolute expiry, so it is in the future of any sane clock.
    if now >= 0 {
        assert!(t.expires_in > 0);
    }
    // Debug never shows token text: only its length in chars matters.
    let blank = |s: &str| "x".repeat(s.chars().count());
    let masked =
        OAuthToken { access_token: blank(&t.access_token), refresh_token: blank(&t.refresh_token), ..t.clone() };
    assert_eq!(format!("{t:?}"), format!("{masked:?}"));
}

fn check_error(
    e: &CozeError,
    f: Option<&TokenResponseFields>,
    status: u16,
    raw: &str,
    header_logid: Option<&str>,
    raw_is_body: bool,
) {
    assert!(
        matches!(e.code, ErrorCode::OAuthTokenError | ErrorCode::CozeApiError | ErrorCode::InvalidResponse),
        "unexpected code {:?}",
        e.code
    );
    assert_eq!(e.status, Some(status));
    if let Some(logid) = &e.logid {
        assert!(!logid.is_empty() && logid.trim() == logid, "untrimmed logid");
    } else {
        assert!(header_logid.is_none_or(|h| h.trim().is_empty()), "header logid lost");
    }
    let Some(f) = f else {
        // Not a JSON object: the body is kept for diagnosis.
        assert_eq!(e.code, ErrorCode::InvalidResponse);
        assert_eq!(e.raw.as_deref(), Some(raw));
        return;
    };
    let oauth = non_empty(&f.error).or(non_empty(&f.error_code));
    match e.code {
        ErrorCode::OAuthTokenError => {
            assert_eq!(e.error.as_deref(), oauth);
            assert_eq!(e.raw.as_deref(), Some(raw));
        }
        ErrorCode::CozeApiError => {
            assert!(oauth.is_none(), "an OAuth error reported as an envelope error");
            assert_eq!(e.coze_code, f.code);
            assert!(e.coze_code.is_some_and(|c| c != 0));
        }
        _ => {
            // Success-shaped but incomplete: the body may hold a token, so it is never attached.
            assert!((200..300).contains(&status));
            assert!(oauth.is_none() && f.code.is_none_or(|c| c == 0));
            assert_eq!(e.raw, None, "a success-shaped body was attached to the error");
        }
    }
    // Debug never prints the raw body (checked when the fields came from that JSON object: its
    // quotes would show escaped in any message that quoted it).
    if raw_is_body && raw.len() >= 16 {
        assert!(!format!("{e:?}").contains(raw));
    }
}
