//! The JS driver's whole interface to the core, `ops::run(op, json)`, with every operation and
//! arbitrary arguments: it never panics, always answers one JSON object — `{"v": …}` or
//! `{"e": {"code", "message", …}}` with a documented code and a message — and no error carries a
//! secret argument (a verifier, refresh token, client secret, token, code, device code or key).
//!
//! Input: the operation's index, then the arguments, built from the keys the operations read
//! with values of every JSON type (so each branch can be reached), some of them marked secrets.
#![no_main]

use coze_wasm::core::json::json_string;
use coze_wasm::core::ops::run;
use coze_wasm::core::ErrorCode;
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const OPS: [&str; 35] = [
    "baseUrl",
    "pkce",
    "challenge",
    "random",
    "callback",
    "exchange",
    "refresh",
    "token",
    "endsLogin",
    "needsRefresh",
    "bearer",
    "userId",
    "request",
    "streamReady",
    "reply",
    "fetchFailed",
    "terminal",
    "timeout",
    "callbackState",
    "callbackStates",
    "strip",
    "finishLogin",
    "fingerprint",
    "jwtStart",
    "jwtRequest",
    "jwtKeyRefused",
    "jwtReply",
    "deviceCode",
    "deviceCodeReply",
    "deviceToken",
    "devicePoll",
    "webUrl",
    "webToken",
    "noSuchOp",
    "",
];

/// Arguments that must never reach an error's fields.
const SECRET_KEYS: [&str; 8] =
    ["codeVerifier", "verifier", "refreshToken", "clientSecret", "token", "code", "deviceCode", "privateKey"];

const PLAIN_KEYS: [&str; 29] = [
    "baseURL",
    "wwwURL",
    "redirectUrl",
    "clientId",
    "state",
    "url",
    "method",
    "workspaceId",
    "now",
    "status",
    "body",
    "logid",
    "expires",
    "ahead",
    "inBrowser",
    "allowPat",
    "insecure",
    "canRetry",
    "stream",
    "aborted",
    "cause",
    "type",
    "ms",
    "endpoint",
    "args",
    "userId",
    "pending",
    "interval",
    "deadline",
];

const TEXTS: [&str; 16] = [
    "",
    " ",
    "https://api.coze.cn",
    "http://127.0.0.1:8080/",
    "http://evil.example",
    "https://app.example/cb",
    "https://app.example/cb?code=c&state=s",
    "?state=s&state=t",
    "S256",
    "plain",
    "pat_abc",
    "text/event-stream",
    "{\"code\":0,\"data\":{}}",
    "{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_in\":900}",
    "{\"error\":\"authorization_pending\"}",
    "in_progress",
];

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let Ok(op) = u.choose(&OPS) else { return };
    let mut secrets = Vec::new();
    let Ok(args) = arguments(&mut u, &mut secrets) else { return };

    let out = run(op, &args);
    let answer: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{op}: not JSON ({e}): {out}"));
    let answer = answer.as_object().unwrap_or_else(|| panic!("{op}: not an object: {out}"));
    assert_eq!(answer.len(), 1, "{op}: {out}");
    if answer.contains_key("v") {
        return;
    }
    let e = answer.get("e").and_then(Value::as_object).unwrap_or_else(|| panic!("{op}: neither v nor e: {out}"));
    let code = e.get("code").and_then(Value::as_str).unwrap_or_else(|| panic!("{op}: no code: {out}"));
    assert!(ErrorCode::ALL.iter().any(|c| c.as_str() == code), "{op}: unknown code {code}");
    let message = e.get("message").and_then(Value::as_str).unwrap_or_default();
    assert!(!message.trim().is_empty(), "{op}: an error without a message: {out}");
    for secret in &secrets {
        assert!(!out.contains(secret.as_str()), "{op}: a secret argument in the error: {out}");
    }
});

/// A JSON object of arguments; every secret value it holds is pushed to `secrets`.
fn arguments(u: &mut Unstructured, secrets: &mut Vec<String>) -> ArbResult<String> {
    let mut out = String::from("{");
    for i in 0..u.int_in_range(0..=12)? {
        if i > 0 {
            out.push(',');
        }
        let secret = u.ratio(1, 3)?;
        let key = if secret { *u.choose(&SECRET_KEYS)? } else { *u.choose(&PLAIN_KEYS)? };
        out.push_str(&json_string(key));
        out.push(':');
        if secret {
            // Distinct and long enough that no other argument or message holds it by chance.
            let value = format!("SeCrEt{}x{}", secrets.len(), u.arbitrary::<u64>()?);
            out.push_str(&json_string(&value));
            secrets.push(value);
        } else {
            out.push_str(&value(u, 0)?);
        }
    }
    out.push('}');
    // A plain value may not hold a secret's text (then finding it in an error proves nothing).
    if secrets.is_empty() || !out.contains("SeCrEt") || secrets.iter().all(|s| out.matches(s.as_str()).count() == 1) {
        Ok(out)
    } else {
        Err(libfuzzer_sys::arbitrary::Error::IncorrectFormat)
    }
}

fn value(u: &mut Unstructured, depth: u32) -> ArbResult<String> {
    Ok(match u.int_in_range(0..=9)? {
        0..=2 => json_string(u.choose(&TEXTS)?),
        3 => json_string(u.arbitrary::<&str>()?),
        4 => u.arbitrary::<i64>()?.to_string(),
        5 => u.choose(&["0", "200", "401", "429", "500", "1.5", "-1", "1e400", "9007199254740993"])?.to_string(),
        6 => u.choose(&["true", "false", "null"])?.to_string(),
        7 if depth < 2 => {
            let items = (0..u.int_in_range(0..=3)?).map(|_| value(u, depth + 1)).collect::<ArbResult<Vec<_>>>()?;
            ["[", &items.join(","), "]"].concat()
        }
        8 if depth < 2 => {
            let mut members = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                let key =
                    u.choose(&["content", "content_type", "role", "type", "text", "file_id", "file_url", "bot_id"])?;
                members.push([json_string(key), ":".into(), value(u, depth + 1)?].concat());
            }
            ["{", &members.join(","), "}"].concat()
        }
        _ => "\"\\ud800\"".to_owned(),
    })
}
