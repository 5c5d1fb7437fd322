//! Coze's `{code, msg, data, detail:{logid}}` envelope, reading reply fields, and request paths,
//! as pure functions.

use super::authorize::form_urlencode;
use super::error::{CozeError, ErrorCode, Result};
use super::json::{decimal, parse_integer, Object, Value};

/// Decides whether a reply is a success. `Ok(())` means: use the body (its `data`).
/// Errors carry status, Coze code/msg, the logid (body `detail.logid` first, then the
/// `x-tt-logid` header) and, when the body could not be understood, the raw text.
pub fn check_envelope(status: u16, body: &str, header_logid: Option<&str>) -> Result<()> {
    let object = Object::parse(body);
    let logid = reply_logid(object.as_ref(), header_logid);
    let msg = object.as_ref().and_then(|o| text_field(o, "msg"));
    if let Some(code) = object.as_ref().and_then(|o| integer_field(o, "code")).filter(|c| *c != 0) {
        return Err(CozeError::coze_api(code, msg.unwrap_or_default()).with_status(status).with_logid(logid));
    }
    let mut err = if !(200..300).contains(&status) {
        let mut err = CozeError::new(ErrorCode::CozeApiError, http_error_message(status, msg.as_deref()));
        err.msg = msg;
        err
    } else if object.is_none() {
        CozeError::new(ErrorCode::InvalidResponse, "reply is not a JSON object")
    } else {
        return Ok(());
    };
    err.raw = shareable_raw(body, object.as_ref());
    Err(err.with_status(status).with_logid(logid))
}

fn http_error_message(status: u16, msg: Option<&str>) -> String {
    let reason = match status {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        413 => "payload too large",
        429 => "rate limited",
        500..=599 => "server error",
        _ => "request failed",
    };
    let head = ["HTTP ", &decimal(i64::from(status)), " ", reason].concat();
    match msg {
        Some(m) => [&head, ": ", m].concat(),
        None => head,
    }
}

/// A field as text: a string (trimmed) or a number as written (some servers send codes and ids
/// as numbers); `None` when absent, empty or of another type.
pub fn text_field(object: &Object, key: &str) -> Option<String> {
    let text = match object.get(key)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_owned(), // as written
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// A field as an exact integer: a number, or a string holding one (read as JS's unary `+` would).
pub fn integer_field(object: &Object, key: &str) -> Option<i64> {
    match object.get(key)? {
        Value::String(s) => parse_integer(s.trim()),
        v => v.as_integer(),
    }
}

/// `detail.logid` from the body, else the `x-tt-logid` header; blank ones do not count.
pub fn reply_logid(body: Option<&Object>, header_logid: Option<&str>) -> Option<String> {
    let header = header_logid.map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned);
    body.and_then(|o| o.object("detail")).and_then(|d| text_field(&d, "logid")).or(header)
}

/// The body to keep on an error (bounded), unless it may hold credentials: any mention of
/// `access_token` / `refresh_token` (a cut-off or nested token reply included), or a top-level
/// key that decodes to one (`"access\u005ftoken"`). Errors travel to logs and error reporters.
pub fn shareable_raw(body: &str, object: Option<&Object>) -> Option<String> {
    const CREDENTIALS: [&str; 2] = ["access_token", "refresh_token"];
    let named = |o: &Object| CREDENTIALS.iter().any(|k| o.get(k).is_some());
    if CREDENTIALS.iter().any(|k| super::json::contains(body, k)) || object.is_some_and(named) {
        return None;
    }
    Some(truncate(body))
}

/// Raw bodies are kept for diagnosis, but bounded: an HTML error page can be large.
pub fn truncate(raw: &str) -> String {
    const MAX: usize = 4096;
    if raw.len() <= MAX {
        return raw.to_owned();
    }
    let mut end = MAX;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    [&raw[..end], "…"].concat()
}

/// Whether a failure means "the access token is no longer good" (refresh once and retry).
pub fn is_auth_failure(err: &CozeError) -> bool {
    err.status == Some(401) || err.coze_code == Some(4100)
}

/// `path?k=v&...`, skipping absent values.
pub fn path_with_query(path: &str, query: &[(&str, Option<&str>)]) -> String {
    let mut out = String::from(path);
    let mut sep = '?';
    for (key, value) in query {
        if let Some(value) = value {
            out.push(sep);
            sep = '&';
            out.push_str(&form_urlencode(key));
            out.push('=');
            out.push_str(&form_urlencode(value));
        }
    }
    out
}

/// IDs are strings on the wire; an empty one is always a caller bug.
pub fn require_id<'a>(name: &str, value: Option<&'a str>) -> Result<&'a str> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(v),
        Some(_) => Err(CozeError::invalid_argument(["`", name, "` must not be empty"].concat())),
        // Coze ids are 19 digits: as JS numbers they lose precision.
        None => Err(CozeError::invalid_argument(["`", name, "` must be a string"].concat())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_envelope() {
        assert!(check_envelope(200, r#"{"code":0,"msg":"","data":{}}"#, None).is_ok());
        assert!(check_envelope(200, "{}", None).is_ok());
        assert!(check_envelope(201, r#" {"code":"0"} "#, None).is_ok());
    }

    #[test]
    fn envelope_error_even_with_http_200() {
        let body = r#"{"code":4101,"msg":"bad token","detail":{"logid":"L1"}}"#;
        let e = check_envelope(200, body, Some("H")).unwrap_err();
        assert_eq!(e.code, ErrorCode::CozeApiError);
        assert_eq!(e.coze_code, Some(4101));
        assert_eq!(e.msg.as_deref(), Some("bad token"));
        assert_eq!(e.logid.as_deref(), Some("L1"), "body logid wins");
        assert_eq!(e.status, Some(200));
        assert_eq!(e.raw, None);
        assert!(e.message.contains("api.coze.cn"), "4101 carries the region hint");
        // A numeric-string code counts; a code that is no integer does not.
        assert_eq!(check_envelope(200, r#"{"code":"4100"}"#, None).unwrap_err().coze_code, Some(4100));
        assert!(check_envelope(200, r#"{"code":"abc"}"#, None).is_ok());
        assert!(check_envelope(200, r#"{"code":1.5}"#, None).is_ok());
    }

    #[test]
    fn header_logid_when_body_has_none() {
        let e = check_envelope(401, r#"{"code":4100,"msg":"expired"}"#, Some(" H1 ")).unwrap_err();
        assert_eq!(e.logid.as_deref(), Some("H1"));
        assert!(is_auth_failure(&e));
        let e = check_envelope(401, r#"{"code":4100,"detail":{"logid":""}}"#, Some("H1")).unwrap_err();
        assert_eq!(e.logid.as_deref(), Some("H1"));
        assert_eq!(check_envelope(401, "x", Some("")).unwrap_err().logid, None);
    }

    #[test]
    fn http_error_without_envelope_keeps_raw() {
        let e = check_envelope(502, "<html>bad gateway</html>", None).unwrap_err();
        assert_eq!(e.code, ErrorCode::CozeApiError);
        assert_eq!(e.status, Some(502));
        assert_eq!(e.raw.as_deref(), Some("<html>bad gateway</html>"));
        assert_eq!(e.message, "HTTP 502 server error");
        assert!(!is_auth_failure(&e));
        assert!(is_auth_failure(&check_envelope(401, "", None).unwrap_err()));
        let e = check_envelope(429, r#"{"code":0,"msg":"slow down"}"#, None).unwrap_err();
        assert_eq!(e.message, "HTTP 429 rate limited: slow down");
        assert_eq!(e.msg.as_deref(), Some("slow down"));
    }

    #[test]
    fn non_json_success_is_invalid_response() {
        let e = check_envelope(200, "not json", None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidResponse);
        assert_eq!(e.raw.as_deref(), Some("not json"));
        assert_eq!(check_envelope(200, "[]", None).unwrap_err().code, ErrorCode::InvalidResponse);
        assert_eq!(check_envelope(200, r#"{"a":1}x"#, None).unwrap_err().code, ErrorCode::InvalidResponse);
    }

    #[test]
    fn raw_never_carries_credentials() {
        for body in [
            r#"{"access_token":"czu_secret","code":0}"#,
            r#"{"data":{"refresh_token":"secret"}}"#,
            r#"{"access\u005ftoken":"secret"}"#,
            r#"{"refresh_token":"secret"#,
        ] {
            for status in [200, 400, 502] {
                if let Err(e) = check_envelope(status, body, None) {
                    assert_eq!(e.raw, None, "{status} {body}");
                }
            }
        }
        assert_eq!(shareable_raw("{}", None).as_deref(), Some("{}"));
    }

    #[test]
    fn fields_as_text_and_integers() {
        let o = Object::parse(r#"{"s":" x ","n":4001,"f":1.5,"b":true,"e":"","i":" 7 ","big":1e300}"#).unwrap();
        assert_eq!(text_field(&o, "s").as_deref(), Some("x"));
        assert_eq!(text_field(&o, "n").as_deref(), Some("4001"));
        assert_eq!(text_field(&o, "f").as_deref(), Some("1.5"));
        assert_eq!(text_field(&o, "b"), None);
        assert_eq!(text_field(&o, "e"), None);
        assert_eq!(text_field(&o, "missing"), None);
        assert_eq!(integer_field(&o, "n"), Some(4001));
        assert_eq!(integer_field(&o, "i"), Some(7));
        assert_eq!(integer_field(&o, "f"), None);
        assert_eq!(integer_field(&o, "big"), None);
        assert_eq!(integer_field(&o, "s"), None);
    }

    #[test]
    fn truncates_long_bodies_on_char_boundary() {
        let long = "扣".repeat(3000);
        let t = truncate(&long);
        assert!(t.len() <= 4096 + 3);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn query_building_encodes_like_urlsearchparams() {
        assert_eq!(path_with_query("/v3/chat", &[("conversation_id", None)]), "/v3/chat");
        assert_eq!(
            path_with_query("/v3/chat/retrieve", &[("conversation_id", Some("1")), ("chat_id", Some("a b&c/扣"))]),
            "/v3/chat/retrieve?conversation_id=1&chat_id=a+b%26c%2F%E6%89%A3"
        );
    }

    #[test]
    fn ids_must_be_non_empty_strings() {
        assert_eq!(require_id("bot_id", Some("7")).unwrap(), "7");
        assert!(require_id("bot_id", Some(" ")).unwrap_err().message.contains("empty"));
        assert!(require_id("bot_id", None).unwrap_err().message.contains("string"));
    }
}
