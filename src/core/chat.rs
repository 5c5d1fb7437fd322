//! Chat stream semantics: what each Coze event means for the consumer, and when a stream ended
//! badly. Pure; the data of the events this library must interpret (`error`,
//! `conversation.chat.failed`) is read here, the rest is handed to JS.

use super::api::{integer_field, text_field, truncate};
use super::error::{CozeError, ErrorCode, Result, REGION_HINT};
use super::json::Object;

pub const EVENT_DONE: &str = "done";
pub const EVENT_ERROR: &str = "error";
pub const EVENT_CHAT_FAILED: &str = "conversation.chat.failed";
/// Coze Studio (self-hosted) ends with this instead of `done`, often with no data line.
pub const EVENT_STUDIO_DONE: &str = "conversation.stream.done";
/// Coze Studio's name for `error`.
pub const EVENT_STUDIO_ERROR: &str = "conversation.error";
/// What `done` yields as data, whatever the server sent (`"[DONE]"`, `[DONE]`, `{debug_url}`).
pub const DONE_DATA: &str = "[DONE]";

const KNOWN_JSON_EVENTS: [&str; 8] = [
    "conversation.chat.created",
    "conversation.chat.in_progress",
    "conversation.chat.completed",
    "conversation.chat.requires_action",
    "conversation.chat.canceled",
    "conversation.message.delta",
    "conversation.message.completed",
    "conversation.audio.delta",
];

/// What to do with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// A Coze event whose data must be JSON: yield it parsed, or fail with MALFORMED_EVENT.
    Json,
    /// The end: yield `{event:"done", data:"[DONE]"}` and finish.
    Done,
    /// Throw STREAM_ERROR_EVENT with the event's `{code,msg}`.
    ErrorEvent,
    /// Yield it (the caller may render it), then throw CHAT_FAILED with `last_error`.
    ChatFailed,
    /// An event we don't know: yield JSON if it parses, else the raw string.
    PassThrough,
}

pub fn disposition(event: &str) -> Disposition {
    match event {
        EVENT_DONE | EVENT_STUDIO_DONE => Disposition::Done,
        EVENT_ERROR | EVENT_STUDIO_ERROR => Disposition::ErrorEvent,
        EVENT_CHAT_FAILED => Disposition::ChatFailed,
        e if KNOWN_JSON_EVENTS.contains(&e) => Disposition::Json,
        _ => Disposition::PassThrough,
    }
}

/// `error` event (data `{code, msg}`, sometimes `{}` or not JSON at all) → STREAM_ERROR_EVENT,
/// with the data as `raw`. The caller adds the logid.
pub fn error_event(raw: &str) -> CozeError {
    let data = Object::parse(raw);
    let code = data.as_ref().and_then(|d| integer_field(d, "code"));
    let msg = data.as_ref().and_then(|d| text_field(d, "msg"));
    let mut err = CozeError::new(ErrorCode::StreamErrorEvent, failure_message("error event", code, msg.as_deref()));
    err.coze_code = code;
    err.msg = msg;
    err.with_raw(truncate(raw))
}

/// `conversation.chat.failed`: data is a Chat object with `last_error {code, msg}`, or (per
/// Coze's docs) a bare `{code, msg}`. `Ok`: the CHAT_FAILED error to raise once the event is
/// yielded; `Err`: MALFORMED_EVENT, the data is not a JSON object. The caller adds the logid.
pub fn chat_failed(raw: &str) -> Result<CozeError> {
    let data = Object::parse(raw).ok_or_else(|| malformed_event(EVENT_CHAT_FAILED, raw))?;
    let source = data.object("last_error").unwrap_or(data);
    let code = integer_field(&source, "code");
    let msg = text_field(&source, "msg").unwrap_or_default();
    let mut err = CozeError::new(ErrorCode::ChatFailed, failure_message("chat failed", code, Some(&msg)));
    err.coze_code = code;
    err.msg = Some(msg);
    Ok(err)
}

/// `{what}: {code} {msg}`, with the region hint for 4101 (wrong token or wrong region).
fn failure_message(what: &str, code: Option<i64>, msg: Option<&str>) -> String {
    let mut message = String::from(what);
    let mut separator = ": ";
    if let Some(code) = code {
        message.push_str(separator);
        message.push_str(&super::json::decimal(code));
        separator = " ";
    }
    if let Some(msg) = msg.filter(|m| !m.is_empty()) {
        message.push_str(separator);
        message.push_str(msg);
    }
    if code == Some(4101) {
        message.push_str(REGION_HINT);
    }
    message
}

pub fn malformed_event(event: &str, raw: &str) -> CozeError {
    CozeError::new(ErrorCode::MalformedEvent, ["`", event, "` event data is not valid JSON"].concat())
        .with_raw(truncate(raw))
}

/// The body ended (or broke) before `done`.
pub fn truncated(events_seen: u64, cause: Option<&str>) -> CozeError {
    let seen = super::json::decimal(events_seen as i64);
    let mut message = ["stream ended after ", &seen, " events without `done`"].concat();
    if let Some(cause) = cause {
        message.push_str(": ");
        message.push_str(cause);
    }
    CozeError::new(ErrorCode::StreamTruncated, message)
}

/// Statuses at which `createAndPoll` stops polling.
pub fn is_terminal_status(status: &str) -> bool {
    matches!(status, "completed" | "failed" | "requires_action" | "canceled")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions() {
        assert_eq!(disposition("done"), Disposition::Done);
        assert_eq!(disposition("conversation.stream.done"), Disposition::Done);
        assert_eq!(disposition("error"), Disposition::ErrorEvent);
        assert_eq!(disposition("conversation.error"), Disposition::ErrorEvent);
        assert_eq!(disposition("conversation.chat.failed"), Disposition::ChatFailed);
        assert_eq!(disposition("conversation.message.delta"), Disposition::Json);
        assert_eq!(disposition("conversation.chat.created"), Disposition::Json);
        assert_eq!(disposition("conversation.ack"), Disposition::PassThrough);
        assert_eq!(disposition("message"), Disposition::PassThrough);
        assert_eq!(disposition("Done"), Disposition::PassThrough, "event names are case-sensitive");
    }

    #[test]
    fn error_event_carries_code_and_msg() {
        let raw = r#"{"code":5000,"msg":"boom"}"#;
        let e = error_event(raw);
        assert_eq!(e.code, ErrorCode::StreamErrorEvent);
        assert_eq!(e.coze_code, Some(5000));
        assert_eq!(e.msg.as_deref(), Some("boom"));
        assert_eq!(e.message, "error event: 5000 boom");
        assert_eq!(e.raw.as_deref(), Some(raw));
        assert_eq!(e.logid, None);
        for (raw, message) in [
            ("{}", "error event"),
            ("not json", "error event"),
            (r#"{"msg":"only text"}"#, "error event: only text"),
            (r#"{"code":"4000"}"#, "error event: 4000"),
        ] {
            let e = error_event(raw);
            assert_eq!(
                (e.code, e.message.as_str(), e.raw.as_deref()),
                (ErrorCode::StreamErrorEvent, message, Some(raw))
            );
        }
        assert!(error_event(r#"{"code":4101,"msg":"bad token"}"#).message.contains("api.coze.cn"));
    }

    #[test]
    fn chat_failed_surfaces_last_error() {
        let chat = r#"{"id":"1","status":"failed","last_error":{"code":4028,"msg":"free quota used up"}}"#;
        let e = chat_failed(chat).unwrap();
        assert_eq!(e.code, ErrorCode::ChatFailed);
        assert_eq!(e.coze_code, Some(4028));
        assert_eq!(e.msg.as_deref(), Some("free quota used up"));
        assert_eq!(e.message, "chat failed: 4028 free quota used up");
        assert_eq!((e.logid, e.raw), (None, None));
        // The bare form from Coze's docs.
        let e = chat_failed(r#"{"code":4101,"msg":"x"}"#).unwrap();
        assert_eq!(e.coze_code, Some(4101));
        assert!(e.message.starts_with("chat failed: 4101 x") && e.message.contains("api.coze.cn"));
        // last_error that is not an object: the top level is read.
        let e = chat_failed(r#"{"last_error":null,"code":1,"msg":"m"}"#).unwrap();
        assert_eq!((e.coze_code, e.msg.as_deref()), (Some(1), Some("m")));
        let e = chat_failed("{}").unwrap();
        assert_eq!((e.coze_code, e.msg.as_deref(), e.message.as_str()), (None, Some(""), "chat failed"));
        // Not a JSON object: MALFORMED_EVENT with the data.
        for raw in ["", "[]", "{\"last_error\":", "null"] {
            let e = chat_failed(raw).unwrap_err();
            assert_eq!((e.code, e.raw.as_deref()), (ErrorCode::MalformedEvent, Some(raw)));
            assert!(e.message.contains("conversation.chat.failed"));
        }
    }

    #[test]
    fn malformed_and_truncated() {
        let e = malformed_event("conversation.message.delta", "{\"id\":");
        assert_eq!(e.code, ErrorCode::MalformedEvent);
        assert_eq!(e.raw.as_deref(), Some("{\"id\":"));
        let t = truncated(3, Some("network error"));
        assert_eq!(t.code, ErrorCode::StreamTruncated);
        assert!(t.message.contains("3 events") && t.message.contains("network error"));
    }

    #[test]
    fn terminal_statuses() {
        for s in ["completed", "failed", "requires_action", "canceled"] {
            assert!(is_terminal_status(s));
        }
        assert!(!is_terminal_status("in_progress"));
        assert!(!is_terminal_status("created"));
    }
}
