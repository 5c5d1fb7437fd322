//! The device code flow and the web flow (coze-api.md §1.8): what to send, and what each reply
//! means. The JS driver only sends, sleeps for the time decided here and loops.
//!
//! * Device code: `POST {base}/api/permission/oauth2[/workspace_id/{id}]/device/code {client_id}`
//!   → `{device_code, user_code, verification_uri, expires_in (relative seconds), interval}`; then the
//!   token endpoint is polled with the device grant: `authorization_pending` waits `interval`,
//!   `slow_down` waits 5 s longer from then on (RFC 8628 §3.5), `access_denied` and `expired_token`
//!   end it with their own error codes.
//! * Web: the authorize URL without PKCE parameters, and the code exchange with
//!   `Authorization: Bearer <client_secret>`. A secret in a page is readable by anyone, so every
//!   step that holds one is refused there ([`refuse_secret_in_browser`]). The exchange is only in the
//!   server build (feature `server`, like core::jwt): pages refuse the flow anyway.

use super::authorize::{encode_path_segment, form_urlencode};
use super::error::{CozeError, ErrorCode, Result};
use super::json::{decimal, Object};
use super::token::{interpret_token_response, json_object, require};

pub const DEVICE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Coze's defaults when a device-code reply leaves a field out (coze-api.md §1.8).
pub const DEFAULT_INTERVAL_SECONDS: i64 = 5;
pub const DEFAULT_EXPIRES_IN_SECONDS: i64 = 300;
/// RFC 8628 §3.5: each `slow_down` adds 5 seconds to the polling interval.
pub const SLOW_DOWN_STEP_SECONDS: i64 = 5;
/// Polling faster than once a second only hammers the server; longer than an hour is a typo.
const INTERVAL_RANGE: (i64, i64) = (1, 3600);

/// `{base}/api/permission/oauth2[/workspace_id/{id}]/device/code`.
pub fn device_code_endpoint(base_url: &str, workspace_id: Option<&str>) -> Result<String> {
    let base = base_url.trim_end_matches('/');
    Ok(match workspace_id {
        None => [base, "/api/permission/oauth2/device/code"].concat(),
        Some(id) if id.trim().is_empty() => {
            return Err(CozeError::invalid_argument("workspaceId must not be empty when given"))
        }
        Some(id) => [base, "/api/permission/oauth2/workspace_id/", &encode_path_segment(id), "/device/code"].concat(),
    })
}

/// `{"client_id":..}`, the device-code request body.
pub fn device_code_body(client_id: &str) -> Result<String> {
    require("clientId", client_id)?;
    Ok(json_object(&[("client_id", client_id)]))
}

/// `{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","client_id":..,"device_code":..}`.
pub fn device_token_body(client_id: &str, device_code: &str) -> Result<String> {
    require("clientId", client_id)?;
    require("deviceCode", device_code)?;
    Ok(json_object(&[("grant_type", DEVICE_GRANT_TYPE), ("client_id", client_id), ("device_code", device_code)]))
}

/// The web flow's code exchange body: `{grant_type:"authorization_code", client_id, redirect_uri,
/// code}` (no verifier: the secret in the header authenticates the client).
#[cfg(feature = "server")]
pub fn web_code_exchange_body(code: &str, client_id: &str, redirect_uri: &str) -> Result<String> {
    require("code", code)?;
    require("clientId", client_id)?;
    require("redirectUrl", redirect_uri)?;
    Ok(json_object(&[
        ("grant_type", "authorization_code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code", code),
    ]))
}

/// A client secret (the web flow, a refresh with `clientSecret`) in a page or a Web Worker →
/// SECRET_IN_BROWSER, naming PKCE instead.
pub fn refuse_secret_in_browser(in_browser: bool) -> Result<()> {
    if in_browser {
        return Err(CozeError::new(
            ErrorCode::SecretInBrowser,
            "a client secret in a page or worker is readable by anyone: use it on a server; in pages, \
             PKCE (startLogin)",
        ));
    }
    Ok(())
}

/// A device-code reply → `{device_code, user_code, verification_uri, verification_url, expires_in,
/// interval}` as JSON. `expires_in` stays relative seconds, as Coze sends it; `verification_url` is
/// the page with the code filled in. An error reply is read like a token error.
pub fn interpret_device_code(status: u16, body: &str, header_logid: Option<&str>) -> Result<String> {
    let object = Object::parse(body).filter(|_| (200..300).contains(&status));
    let text = |key: &str| object.as_ref()?.str(key).filter(|t| !t.is_empty());
    let (Some(device_code), Some(user_code), Some(uri)) =
        (text("device_code"), text("user_code"), text("verification_uri"))
    else {
        // Errors are shaped like the token endpoint's (OAuth error, envelope, HTTP status).
        let mut err = match interpret_token_response(status, body, header_logid, 0) {
            Err(err) => err,
            Ok(_) => CozeError::new(ErrorCode::InvalidResponse, ""),
        };
        if err.code == ErrorCode::InvalidResponse && object.is_some() {
            err.message = "device code reply has no device_code, user_code or verification_uri".into();
        }
        return Err(err);
    };
    // Coze's defaults stand in for a missing or unusable number.
    let seconds =
        |key: &str, default: i64| object.as_ref().and_then(|o| o.integer(key)).filter(|v| *v > 0).unwrap_or(default);
    let joiner = if uri.contains('?') { "&" } else { "?" };
    let url = [&uri, joiner, "user_code=", &form_urlencode(&user_code)].concat();
    let mut out = json_object(&[
        ("device_code", &device_code),
        ("user_code", &user_code),
        ("verification_uri", &uri),
        ("verification_url", &url),
    ]);
    out.pop(); // the `}`: the two numbers follow
    let expires_in = decimal(seconds("expires_in", DEFAULT_EXPIRES_IN_SECONDS));
    let interval = decimal(seconds("interval", DEFAULT_INTERVAL_SECONDS));
    out.push_str(&[",\"expires_in\":", &expires_in, ",\"interval\":", &interval, "}"].concat());
    Ok(out)
}

/// The polling interval to start with: the caller's `interval` (what getDeviceCode returned), else
/// Coze's default, kept within 1 s … 1 h.
pub fn first_interval(given: Option<i64>) -> i64 {
    given.unwrap_or(DEFAULT_INTERVAL_SECONDS).clamp(INTERVAL_RANGE.0, INTERVAL_RANGE.1)
}

/// What one device-token poll means.
#[derive(Debug, PartialEq, Eq)]
pub enum DevicePoll {
    /// The token, as JSON (the OAuthToken shape; `expires_in` absolute).
    Token(String),
    /// Not yet: wait `wait_ms`, then poll again with `interval` seconds from then on.
    Wait { wait_ms: i64, interval: i64 },
}

/// Reads one device-token poll reply. `interval` is the current interval in seconds;
/// `deadline_ms` (when the caller knows when the device code expires) stops the polling with
/// OAUTH_EXPIRED_TOKEN once it has passed, and no wait goes beyond it. With `poll` false a pending
/// answer is returned as the OAUTH_TOKEN_ERROR it is (`error: 'authorization_pending'`).
pub fn interpret_device_poll(
    status: u16,
    body: &str,
    header_logid: Option<&str>,
    now_ms: i64,
    interval: i64,
    deadline_ms: Option<i64>,
    poll: bool,
) -> Result<DevicePoll> {
    let err = match interpret_token_response(status, body, header_logid, now_ms.div_euclid(1000)) {
        Ok(token) => return Ok(DevicePoll::Token(token.to_json())),
        Err(err) => err,
    };
    let interval = match err.error.as_deref() {
        Some("authorization_pending") if poll => interval,
        Some("slow_down") if poll => interval.saturating_add(SLOW_DOWN_STEP_SECONDS).min(INTERVAL_RANGE.1),
        Some("access_denied") => {
            return Err(recode(err, ErrorCode::OAuthAccessDenied, "the user denied the device authorization"))
        }
        Some("expired_token") => {
            return Err(recode(
                err,
                ErrorCode::OAuthExpiredToken,
                "the device code expired: get a new one (getDeviceCode)",
            ))
        }
        _ => return Err(err),
    };
    let wait_ms = interval.saturating_mul(1000);
    let wait_ms = match deadline_ms {
        Some(deadline) if now_ms >= deadline => {
            return Err(CozeError::new(
                ErrorCode::OAuthExpiredToken,
                "the device code expired (expiresIn): get a new one (getDeviceCode)",
            )
            .with_status(status)
            .with_logid(err.logid))
        }
        Some(deadline) => wait_ms.min(deadline - now_ms),
        None => wait_ms,
    };
    Ok(DevicePoll::Wait { wait_ms, interval })
}

/// The same server answer under a more specific code and message (its fields kept).
fn recode(mut err: CozeError, code: ErrorCode, message: &str) -> CozeError {
    err.code = code;
    err.message = match &err.error_description {
        Some(d) => [message, " (", d, ")"].concat(),
        None => message.to_owned(),
    };
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth_error(code: &str) -> String {
        format!(r#"{{"error":"{code}","error_code":"{code}","error_description":"d","error_message":"d"}}"#)
    }

    const TOKEN: &str = r#"{"access_token":"czu_a","refresh_token":"r","expires_in":1900000000}"#;

    #[test]
    fn device_requests() {
        assert_eq!(
            device_code_endpoint("http://127.0.0.1:1/", None).unwrap(),
            "http://127.0.0.1:1/api/permission/oauth2/device/code"
        );
        assert_eq!(
            device_code_endpoint("https://api.coze.cn", Some("7 4/x")).unwrap(),
            "https://api.coze.cn/api/permission/oauth2/workspace_id/7%204%2Fx/device/code"
        );
        assert!(device_code_endpoint("https://api.coze.cn", Some(" ")).is_err());
        assert_eq!(device_code_body("c\"1").unwrap(), r#"{"client_id":"c\"1"}"#);
        let body = device_token_body("c", "dc").unwrap();
        let o = Object::parse(&body).unwrap();
        assert_eq!(o.str("grant_type").unwrap(), DEVICE_GRANT_TYPE);
        assert_eq!(o.str("device_code").unwrap(), "dc");
        assert_eq!(device_token_body("c", "").unwrap_err().code, ErrorCode::InvalidArgument);
    }

    #[test]
    fn a_device_code_reply_gets_its_verification_url() {
        let body = r#"{"device_code":"dc","user_code":"BCDF-GHJK","verification_uri":"https://www.coze.cn/oauth/device","expires_in":300,"interval":5}"#;
        let out = interpret_device_code(200, body, None).unwrap();
        let o = Object::parse(&out).unwrap();
        assert_eq!(o.str("verification_url").unwrap(), "https://www.coze.cn/oauth/device?user_code=BCDF-GHJK");
        assert_eq!((o.integer("expires_in"), o.integer("interval")), (Some(300), Some(5)));
        // Defaults, a URI that already has a query, a code needing encoding.
        let body = r#"{"device_code":"dc","user_code":"a b&c","verification_uri":"http://x/d?lang=en","interval":7,"expires_in":-1}"#;
        let o2 = interpret_device_code(200, body, None).unwrap();
        let o2 = Object::parse(&o2).unwrap();
        assert_eq!(o2.str("verification_url").unwrap(), "http://x/d?lang=en&user_code=a+b%26c");
        assert_eq!((o2.integer("expires_in"), o2.integer("interval")), (Some(300), Some(7)));
    }

    #[test]
    fn device_code_failures_are_typed() {
        let cases = [
            (401, oauth_error("invalid_client"), ErrorCode::OAuthTokenError),
            (200, oauth_error("invalid_client"), ErrorCode::OAuthTokenError),
            (200, r#"{"code":4101,"msg":"bad"}"#.to_owned(), ErrorCode::CozeApiError),
            (502, "<html>".to_owned(), ErrorCode::InvalidResponse),
            (200, r#"{"device_code":"dc"}"#.to_owned(), ErrorCode::InvalidResponse),
            (200, r#"{"device_code":"dc","user_code":"","verification_uri":"v"}"#.into(), ErrorCode::InvalidResponse),
        ];
        for (status, body, code) in cases {
            let err = interpret_device_code(status, &body, Some("L")).unwrap_err();
            assert_eq!(err.code, code, "{status} {body}");
        }
    }

    #[test]
    fn each_poll_answer_has_its_meaning() {
        let poll = |status, body: &str, now, interval, deadline| {
            interpret_device_poll(status, body, None, now, interval, deadline, true)
        };
        let pending = oauth_error("authorization_pending");
        assert_eq!(poll(400, &pending, 0, 5, None), Ok(DevicePoll::Wait { wait_ms: 5000, interval: 5 }));
        // Coze may send OAuth errors with HTTP 200 too.
        assert_eq!(poll(200, &pending, 0, 2, None), Ok(DevicePoll::Wait { wait_ms: 2000, interval: 2 }));
        let slow = oauth_error("slow_down");
        assert_eq!(poll(400, &slow, 0, 5, None), Ok(DevicePoll::Wait { wait_ms: 10000, interval: 10 }));
        assert_eq!(poll(400, &slow, 0, 3600, None), Ok(DevicePoll::Wait { wait_ms: 3_600_000, interval: 3600 }));
        // Never waits past the device code's expiry; past it, the polling ends.
        assert_eq!(poll(400, &pending, 1000, 5, Some(2500)), Ok(DevicePoll::Wait { wait_ms: 1500, interval: 5 }));
        assert_eq!(poll(400, &pending, 2500, 5, Some(2500)).unwrap_err().code, ErrorCode::OAuthExpiredToken);
        let denied = poll(400, &oauth_error("access_denied"), 0, 5, None).unwrap_err();
        assert_eq!((denied.code, denied.error.as_deref()), (ErrorCode::OAuthAccessDenied, Some("access_denied")));
        let expired = poll(400, &oauth_error("expired_token"), 0, 5, None).unwrap_err();
        assert_eq!(expired.code, ErrorCode::OAuthExpiredToken);
        assert_eq!(poll(400, &oauth_error("invalid_grant"), 0, 5, None).unwrap_err().code, ErrorCode::OAuthTokenError);
        assert_eq!(poll(500, "oops", 0, 5, None).unwrap_err().code, ErrorCode::InvalidResponse);
        let Ok(DevicePoll::Token(token)) = poll(200, TOKEN, 0, 5, None) else { panic!() };
        assert_eq!(Object::parse(&token).unwrap().integer("expires_in"), Some(1_900_000_000));
        // One request (`poll: false`): pending is an answer, not a wait.
        let once = interpret_device_poll(400, &pending, None, 0, 5, None, false).unwrap_err();
        assert_eq!((once.code, once.error.as_deref()), (ErrorCode::OAuthTokenError, Some("authorization_pending")));
        assert_eq!((first_interval(None), first_interval(Some(0)), first_interval(Some(9))), (5, 1, 9));
    }

    #[test]
    #[cfg(feature = "server")]
    fn web_flow_bodies() {
        let body = web_code_exchange_body("C", "c", "https://app/cb").unwrap();
        let o = Object::parse(&body).unwrap();
        assert_eq!(o.str("grant_type").unwrap(), "authorization_code");
        assert!(o.get("code_verifier").is_none());
        assert_eq!(web_code_exchange_body("", "c", "r").unwrap_err().code, ErrorCode::InvalidArgument);
    }

    #[test]
    fn a_secret_is_refused_in_a_page() {
        let err = refuse_secret_in_browser(true).unwrap_err();
        assert_eq!(err.code, ErrorCode::SecretInBrowser);
        assert!(err.message.contains("PKCE"));
        assert!(refuse_secret_in_browser(false).is_ok());
    }
}
