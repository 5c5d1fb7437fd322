//! Coze's `{code, msg, data, detail:{logid}}` envelope and request paths, as pure functions.

use super::authorize::form_urlencode;
use super::error::{CozeError, ErrorCode, Result};

/// What the web layer read off a JSON reply (or learned that it was not JSON).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EnvelopeFields {
    /// The body parsed as JSON at all.
    pub is_json: bool,
    /// The body was a JSON object (not an array, string, ...).
    pub is_object: bool,
    /// Numeric `code`, when present.
    pub code: Option<f64>,
    pub msg: Option<String>,
    /// `detail.logid`.
    pub logid: Option<String>,
}

/// Decides whether a reply is a success. `Ok(())` means: use the body (its `data`).
/// Errors carry status, Coze code/msg, the logid (body first, then the `x-tt-logid` header) and,
/// when the body could not be understood, the raw text.
pub fn check_envelope(status: u16, fields: &EnvelopeFields, raw: &str, header_logid: Option<&str>) -> Result<()> {
    let logid = fields.logid.clone().or_else(|| header_logid.map(str::to_owned));
    if let Some(code) = fields.code.filter(|c| *c != 0.0) {
        let msg = fields.msg.clone().unwrap_or_default();
        return Err(CozeError::coze_api(code as i64, msg).with_status(status).with_logid(logid));
    }
    if !(200..300).contains(&status) {
        let mut err = CozeError::new(ErrorCode::CozeApiError, http_error_message(status, fields.msg.as_deref()))
            .with_status(status)
            .with_logid(logid)
            .with_raw(truncate(raw));
        err.msg = fields.msg.clone();
        return Err(err);
    }
    if !fields.is_json || !fields.is_object {
        return Err(CozeError::new(ErrorCode::InvalidResponse, "the server's reply is not a JSON object")
            .with_status(status)
            .with_logid(logid)
            .with_raw(truncate(raw)));
    }
    Ok(())
}

fn http_error_message(status: u16, msg: Option<&str>) -> String {
    let reason = match status {
        400 => "bad request",
        401 => "authentication failed (token missing, invalid or expired)",
        403 => "permission denied",
        404 => "not found",
        408 => "request timeout",
        429 => "rate limited",
        502 => "bad gateway",
        503 => "service unavailable",
        500..=599 => "server error",
        _ => "request failed",
    };
    match msg {
        Some(m) if !m.is_empty() => format!("HTTP {status}: {reason}: {m}"),
        _ => format!("HTTP {status}: {reason}"),
    }
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
    format!("{}…", &raw[..end])
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
        Some(_) => Err(CozeError::invalid_argument(format!("`{name}` must not be empty"))),
        None => Err(CozeError::invalid_argument(format!(
            "`{name}` is required and must be a string (Coze IDs are 19-digit strings; numbers lose precision)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(code: Option<f64>, msg: Option<&str>, logid: Option<&str>) -> EnvelopeFields {
        EnvelopeFields { is_json: true, is_object: true, code, msg: msg.map(Into::into), logid: logid.map(Into::into) }
    }

    #[test]
    fn success_envelope() {
        assert!(check_envelope(200, &json(Some(0.0), Some(""), None), "{}", None).is_ok());
        assert!(check_envelope(200, &json(None, None, None), "{}", None).is_ok());
    }

    #[test]
    fn envelope_error_even_with_http_200() {
        let e = check_envelope(200, &json(Some(4101.0), Some("bad token"), Some("L1")), "", Some("H")).unwrap_err();
        assert_eq!(e.code, ErrorCode::CozeApiError);
        assert_eq!(e.coze_code, Some(4101));
        assert_eq!(e.msg.as_deref(), Some("bad token"));
        assert_eq!(e.logid.as_deref(), Some("L1"), "body logid wins");
        assert_eq!(e.status, Some(200));
        assert!(e.message.contains("api.coze.cn"), "4101 carries the region hint");
    }

    #[test]
    fn header_logid_when_body_has_none() {
        let e = check_envelope(401, &json(Some(4100.0), Some("expired"), None), "", Some("H1")).unwrap_err();
        assert_eq!(e.logid.as_deref(), Some("H1"));
        assert!(is_auth_failure(&e));
    }

    #[test]
    fn http_error_without_envelope_keeps_raw() {
        let fields = EnvelopeFields::default();
        let e = check_envelope(502, &fields, "<html>bad gateway</html>", None).unwrap_err();
        assert_eq!(e.code, ErrorCode::CozeApiError);
        assert_eq!(e.status, Some(502));
        assert_eq!(e.raw.as_deref(), Some("<html>bad gateway</html>"));
        assert!(e.message.contains("502"));
        assert!(!is_auth_failure(&e));
        assert!(is_auth_failure(&check_envelope(401, &fields, "", None).unwrap_err()));
    }

    #[test]
    fn non_json_success_is_invalid_response() {
        let e = check_envelope(200, &EnvelopeFields::default(), "not json", None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidResponse);
        assert_eq!(e.raw.as_deref(), Some("not json"));
        let arr = EnvelopeFields { is_json: true, ..Default::default() };
        assert_eq!(check_envelope(200, &arr, "[]", None).unwrap_err().code, ErrorCode::InvalidResponse);
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
