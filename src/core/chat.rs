//! Chat stream semantics: what each Coze event means for the consumer, and when a stream ended
//! badly. Pure; the web layer parses `data` with `JSON.parse` and follows these decisions.

use super::error::{CozeError, ErrorCode};

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

/// `error` event: data is `{code,msg}` (sometimes `{}` or not JSON at all).
pub fn error_event(code: Option<f64>, msg: Option<String>, raw: &str) -> CozeError {
    let mut err = match code {
        Some(code) => {
            let mut e = CozeError::coze_api(code as i64, msg.clone().unwrap_or_default());
            e.code = ErrorCode::StreamErrorEvent;
            e.message = format!("the server sent an error event: {}", e.message);
            e
        }
        None => CozeError::new(
            ErrorCode::StreamErrorEvent,
            format!("the server sent an error event: {}", msg.as_deref().unwrap_or("(no details)")),
        ),
    };
    err.msg = msg;
    err.with_raw(super::api::truncate(raw))
}

/// `conversation.chat.failed`: a Chat object with `last_error`, or (per Coze's docs) a bare `{code,msg}`.
pub fn chat_failed(last_error_code: Option<f64>, last_error_msg: Option<String>, logid: Option<String>) -> CozeError {
    let code = last_error_code.map(|c| c as i64);
    let msg = last_error_msg.unwrap_or_default();
    let mut message = match code {
        Some(c) => format!("the chat failed: {c} {msg}"),
        None => format!("the chat failed: {msg}"),
    };
    if code == Some(4101) {
        message.push_str(super::error::REGION_HINT);
    }
    let mut err = CozeError::new(ErrorCode::ChatFailed, message.trim_end().to_owned()).with_logid(logid);
    err.coze_code = code;
    err.msg = Some(msg);
    err
}

pub fn malformed_event(event: &str, raw: &str) -> CozeError {
    CozeError::new(ErrorCode::MalformedEvent, format!("the `{event}` event's data is not valid JSON"))
        .with_raw(super::api::truncate(raw))
}

/// The body ended (or broke) before `done`.
pub fn truncated(events_seen: u64, cause: Option<&str>) -> CozeError {
    let mut message = format!("the event stream ended after {events_seen} events without `done`");
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
        let e = error_event(Some(5000.0), Some("boom".into()), r#"{"code":5000,"msg":"boom"}"#);
        assert_eq!(e.code, ErrorCode::StreamErrorEvent);
        assert_eq!(e.coze_code, Some(5000));
        assert_eq!(e.msg.as_deref(), Some("boom"));
        assert!(e.message.contains("boom"));
        let empty = error_event(None, None, "{}");
        assert_eq!(empty.code, ErrorCode::StreamErrorEvent);
        assert_eq!(empty.raw.as_deref(), Some("{}"));
    }

    #[test]
    fn chat_failed_surfaces_last_error() {
        let e = chat_failed(Some(4028.0), Some("free quota used up".into()), Some("L".into()));
        assert_eq!(e.code, ErrorCode::ChatFailed);
        assert_eq!(e.coze_code, Some(4028));
        assert!(e.message.contains("4028 free quota used up"));
        assert_eq!(e.logid.as_deref(), Some("L"));
        assert!(chat_failed(Some(4101.0), None, None).message.contains("api.coze.cn"));
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
