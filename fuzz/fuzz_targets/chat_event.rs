//! Chat-event handling as the web layer drives it: SSE framing, then chat::disposition and the
//! error builders, with `data` parsed as JSON (serde_json standing in for JSON.parse).
//!
//! Input: a `text/event-stream` body. Events with no `event:` field are renamed after the first
//! data byte (a pick from the known Coze names), so every disposition is reached.
#![no_main]

use coze_wasm::core::api::truncate;
use coze_wasm::core::chat::{self, Disposition};
use coze_wasm::core::error::REGION_HINT;
use coze_wasm::core::sse::SseParser;
use coze_wasm::core::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const NAMES: [&str; 16] = [
    "done",
    "conversation.stream.done",
    "error",
    "conversation.error",
    "conversation.chat.failed",
    "conversation.chat.created",
    "conversation.chat.in_progress",
    "conversation.chat.completed",
    "conversation.chat.requires_action",
    "conversation.chat.canceled",
    "conversation.message.delta",
    "conversation.message.completed",
    "conversation.audio.delta",
    "Done",
    "conversation.ack",
    "message",
];

/// Disposition written out from the doc comments in chat.rs.
fn expected_disposition(event: &str) -> Disposition {
    match event {
        "done" | "conversation.stream.done" => Disposition::Done,
        "error" | "conversation.error" => Disposition::ErrorEvent,
        "conversation.chat.failed" => Disposition::ChatFailed,
        e if e.starts_with("conversation.") && NAMES[5..13].contains(&e) => Disposition::Json,
        _ => Disposition::PassThrough,
    }
}

fuzz_target!(|input: &[u8]| {
    let mut parser = SseParser::with_max_event_size(1 << 20);
    let mut events = Vec::new();
    let _ = parser.feed_into(input, &mut events);
    for (seen, mut e) in events.into_iter().enumerate() {
        if e.event == "message" {
            if let Some(&b) = e.data.as_bytes().first() {
                e.event = NAMES[usize::from(b) % NAMES.len()].to_owned();
            }
        }
        check_event(&e.event, &e.data);
        let t = chat::truncated(seen as u64, Some(&e.data));
        assert_eq!(t.code, ErrorCode::StreamTruncated);
        assert!(t.message.contains(&format!("after {seen} events")));
    }
    // Studio's data-less end is remembered, never dispatched.
    if parser.last_dataless_event_type() == chat::EVENT_STUDIO_DONE {
        assert_eq!(chat::disposition(parser.last_dataless_event_type()), Disposition::Done);
    }
    // Terminal statuses: exactly these four.
    let status = String::from_utf8_lossy(input);
    assert_eq!(
        chat::is_terminal_status(&status),
        ["completed", "failed", "requires_action", "canceled"].contains(&&*status)
    );
});

/// `raw` kept on an error: the data, cut to at most 4096 bytes on a char boundary, marked with "…".
fn check_raw(raw: Option<&str>, data: &str) {
    let raw = raw.expect("errors about event data keep it");
    assert_eq!(raw, truncate(data));
    if data.len() <= 4096 {
        assert_eq!(raw, data);
    } else {
        let cut = raw.strip_suffix('…').expect("a cut body ends with …");
        assert!(cut.len() <= 4096 && cut.len() > 4096 - 4 && data.starts_with(cut));
    }
}

fn code_and_msg(v: &Value) -> (Option<f64>, Option<String>) {
    (v.get("code").and_then(Value::as_f64), v.get("msg").and_then(Value::as_str).map(str::to_owned))
}

fn check_event(event: &str, data: &str) {
    let d = chat::disposition(event);
    assert_eq!(d, expected_disposition(event), "{event:?}");
    let json = serde_json::from_str::<Value>(data);
    match d {
        Disposition::Done | Disposition::PassThrough => {}
        Disposition::Json => {
            if json.is_err() {
                let e = chat::malformed_event(event, data);
                assert_eq!(e.code, ErrorCode::MalformedEvent);
                assert!(e.message.contains(&format!("`{event}`")));
                check_raw(e.raw.as_deref(), data);
            }
        }
        Disposition::ErrorEvent => {
            let (code, msg) = json.as_ref().map(code_and_msg).unwrap_or((None, None));
            let e = chat::error_event(code, msg.clone(), data);
            assert_eq!(e.code, ErrorCode::StreamErrorEvent);
            assert!(e.message.starts_with("the server sent an error event: "));
            assert_eq!(e.coze_code, code.map(|c| c as i64));
            assert_eq!(e.msg, msg);
            if let Some(m) = &msg {
                assert!(e.message.contains(m.as_str()));
            }
            check_raw(e.raw.as_deref(), data);
        }
        Disposition::ChatFailed => {
            let Ok(v) = json else {
                check_raw(chat::malformed_event(event, data).raw.as_deref(), data);
                return;
            };
            let source = v.get("last_error").filter(|l| l.is_object()).unwrap_or(&v);
            let (code, msg) = code_and_msg(source);
            let e = chat::chat_failed(code, msg.clone(), Some("logid".into()));
            assert_eq!(e.code, ErrorCode::ChatFailed);
            assert_eq!(e.coze_code, code.map(|c| c as i64));
            assert_eq!(e.msg.as_deref(), Some(msg.as_deref().unwrap_or("")));
            assert_eq!(e.logid.as_deref(), Some("logid"));
            assert!(e.message.starts_with("the chat failed:"));
            assert_eq!(e.message.trim_end(), e.message);
            if !msg.as_deref().unwrap_or("").contains(REGION_HINT) {
                assert_eq!(e.message.contains(REGION_HINT), e.coze_code == Some(4101));
            }
        }
    }
}
