//! Chat-event handling as the web layer drives it: SSE framing, then chat::disposition and the
//! readers of error events (core::json), checked against serde_json as an independent oracle.
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

/// The oracle's `code`: an integer (or a string holding one) within +-(2^53-1).
fn oracle_code(v: &Value) -> Option<i64> {
    let n = match v.get("code")? {
        // Rust's float syntax, minus the words (inf, NaN) JS's unary + reads differently.
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|_| !s.contains(['n', 'N']))?,
        v => v.as_f64()?,
    };
    (n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0).then_some(n as i64)
}

/// The oracle's `msg`: a string or number as text, trimmed, non-empty.
fn oracle_msg(v: &Value) -> Option<String> {
    let text = match v.get("msg")? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

fn check_event(event: &str, data: &str) {
    let d = chat::disposition(event);
    assert_eq!(d, expected_disposition(event), "{event:?}");
    // serde_json refuses lone surrogates, numbers out of f64 range and nesting past 127, which
    // JSON.parse (and core::json, up to 128 levels) accept: compare only where it has an answer.
    let json = serde_json::from_str::<Value>(data).ok().filter(Value::is_object);
    let oracle_sure = json.is_some() || serde_json::from_str::<serde::de::IgnoredAny>(data).is_err();
    match d {
        Disposition::Done | Disposition::PassThrough => {}
        Disposition::Json => {
            if json.is_none() {
                let e = chat::malformed_event(event, data);
                assert_eq!(e.code, ErrorCode::MalformedEvent);
                assert!(e.message.contains(&format!("`{event}`")));
                check_raw(e.raw.as_deref(), data);
            }
        }
        Disposition::ErrorEvent => {
            let e = chat::error_event(data);
            assert_eq!(e.code, ErrorCode::StreamErrorEvent);
            assert!(e.message.starts_with("error event"));
            assert_eq!(e.logid, None);
            check_raw(e.raw.as_deref(), data);
            if let Some(v) = &json {
                check_code(e.coze_code, oracle_code(v), data);
                if v.get("msg").is_some_and(Value::is_string) {
                    assert_eq!(e.msg, oracle_msg(v));
                }
            } else if oracle_sure {
                assert_eq!((e.coze_code, &e.msg), (None, &None), "fields from data that is not an object");
            }
            if let Some(m) = &e.msg {
                assert!(e.message.contains(m.as_str()));
            }
            assert_eq!(e.message.contains(REGION_HINT), e.coze_code == Some(4101) || hint_in(&e.msg));
        }
        Disposition::ChatFailed => match chat::chat_failed(data) {
            Err(e) => {
                assert!(json.is_none(), "an object refused: {data:?}");
                assert_eq!(e.code, ErrorCode::MalformedEvent);
                check_raw(e.raw.as_deref(), data);
            }
            Ok(e) => {
                assert!(json.is_some() || !oracle_sure, "a non-object accepted: {data:?}");
                assert_eq!(e.code, ErrorCode::ChatFailed);
                assert!(e.message.starts_with("chat failed"));
                assert_eq!((&e.logid, &e.raw), (&None, &None));
                if let Some(v) = &json {
                    let source = v.get("last_error").filter(|l| l.is_object()).unwrap_or(v);
                    check_code(e.coze_code, oracle_code(source), data);
                    if source.get("msg").is_none_or(Value::is_string) {
                        assert_eq!(e.msg.as_deref(), Some(oracle_msg(source).as_deref().unwrap_or("")));
                    }
                }
                assert_eq!(e.message.contains(REGION_HINT), e.coze_code == Some(4101) || hint_in(&e.msg));
            }
        },
    }
}

/// Our integer equals the oracle's, except where exact decimal reading and f64 rounding part
/// (e.g. 1.0000000000000001 is 1 to f64, not an integer to us).
fn check_code(ours: Option<i64>, oracle: Option<i64>, data: &str) {
    match (ours, oracle) {
        (Some(a), Some(b)) => assert_eq!(a, b, "{data:?}"),
        (Some(a), None) => panic!("code {a} where the oracle has none: {data:?}"),
        // f64 rounding needs more than 15 significant digits.
        (None, Some(_)) => {
            assert!(data.bytes().filter(u8::is_ascii_digit).count() > 15, "an integer code missed: {data:?}")
        }
        (None, None) => {}
    }
}

fn hint_in(msg: &Option<String>) -> bool {
    msg.as_deref().is_some_and(|m| m.contains(REGION_HINT))
}
