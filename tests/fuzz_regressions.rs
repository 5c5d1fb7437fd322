//! Inputs found by the cargo-fuzz targets (fuzz/fuzz_targets/), kept as native regression tests.
//! Each test says what it caught.

use coze_wasm::core::sse::{SseEvent, SseParser};
use coze_wasm::core::ErrorCode;

fn ev(event: &str, data: &str) -> SseEvent {
    SseEvent { event: event.into(), data: data.into(), id: String::new() }
}

/// Feeds `stream` whole and byte by byte; both must give `want` and report an oversize error.
fn check_oversize(max: usize, stream: &[u8], want: &[SseEvent]) {
    let mut p = SseParser::with_max_event_size(max);
    let mut out = Vec::new();
    let err = p.feed_into(stream, &mut out).unwrap_err();
    assert_eq!(err.code, ErrorCode::EventTooLarge);
    assert_eq!(out, want, "fed whole");

    let mut p = SseParser::with_max_event_size(max);
    let (mut out, mut errors) = (Vec::new(), 0);
    for b in stream {
        errors += usize::from(p.feed_into(&[*b], &mut out).is_err());
    }
    assert_eq!(errors, 1);
    assert_eq!(out, want, "fed byte by byte");
}

/// Caught by `sse`: the size check counted the line's raw bytes, but decoding turns each invalid
/// byte into a 3-byte U+FFFD, so a data line of invalid bytes could leave the data buffer above
/// the limit. The blank line ending that event then tripped the check and started skipping "up
/// to the blank line that ends the event" -- which was the *next* event's, so a valid event was
/// silently lost (and the buffer held up to 3x the limit).
#[test]
fn sse_invalid_utf8_growth_past_the_limit_drops_only_its_own_event() {
    // Smallest form: 8 raw bytes fit a limit of 8, but decode to 10 bytes of data.
    check_oversize(8, b"data:\xFF\xFF\xFF\n\ndata:ok\n\n", &[ev("message", "ok")]);

    // The fuzzer's input, minus its 9 control bytes (which chose a 128-byte limit): the first
    // event's data line is ~50 invalid bytes; the second event must survive.
    let stream = b"\xFF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\
        \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xDF\x00\x07\x00\x00\x00a\n\nH\n:\n\
        data:\x00,\xA1\xF5\x00\xDFH\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\
        \xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\xDF\
        \xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xDF\x00\x07\x00\x00\x00a\n\nH\n:\n\
        data:\x00,\xA1\xF5\x00\xDF\xDFG\n\n(";
    assert_eq!(stream.len(), 137);
    check_oversize(128, stream, &[ev("message", "\0,\u{FFFD}\u{FFFD}\0\u{FFFD}\u{FFFD}G")]);
}
