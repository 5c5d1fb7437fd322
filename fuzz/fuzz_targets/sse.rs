//! SseParser against a naive reference model of the WHATWG "Interpreting an event stream" rules,
//! and against itself under different chunkings.
//!
//! Input layout: byte 0 picks the size limit (even: the 16 MiB default, odd: 1..=128 bytes so the
//! oversize path is reachable), byte 1 the number of chunk-size bytes that follow (0..=7), then the
//! chunk sizes (used cyclically, 0 = an empty chunk), then the stream itself.
//!
//! Besides the events, every run checks the parser's cost: its work counter stays within
//! `WORK_PER_BYTE` operations per byte fed (linear, whatever the input and chunking), and the IDs
//! handed to the sink add up to no more than the stream could have carried (an ID crosses when it
//! changes, not with every event).
#![no_main]

use coze_wasm::core::sse::{EventSink, SseEvent, SseParser, DEFAULT_MAX_EVENT_SIZE};
use coze_wasm::core::ErrorCode;
use libfuzzer_sys::fuzz_target;

/// What one run of the parser over a whole stream leaves behind.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<SseEvent>,
    errors: usize,
    last_event_id: String,
    retry: Option<u64>,
    dataless: String,
}

/// Operations allowed per byte fed, plus a constant (tests/sse_cost.rs uses the same bound).
const WORK_PER_BYTE: u64 = 8;
const WORK_BASE: u64 = 64;

/// Collects events into a Vec (its `EventSink` fills in unchanged IDs) and counts the ID bytes
/// that crossed.
struct Sink {
    events: Vec<SseEvent>,
    id_bytes: usize,
}

impl EventSink for Sink {
    fn event(&mut self, event: &str, data: &mut String, id: Option<&str>) {
        self.id_bytes += id.map_or(0, str::len);
        self.events.event(event, data, id);
    }
}

fuzz_target!(|input: &[u8]| {
    let (max, sizes, stream) = split_input(input);

    let mut p = SseParser::with_max_event_size(max);
    let whole = run(&mut p, stream, &mut [stream.len()].into_iter());
    // The same parser again: finish() must have reset it completely.
    let bytewise = run(&mut p, stream, &mut core::iter::repeat(1));
    let chunked = run(&mut SseParser::with_max_event_size(max), stream, &mut chunk_lengths(&sizes, stream.len()));

    // The reference model says exactly what must come out, errors included.
    let model = model(max, stream);
    assert_eq!(bytewise, model, "byte-at-a-time parse differs from the model");

    // Chunking invariance: same events, ID, retry and data-less type. Errors are reported at most
    // once per chunk, so only "some error or none" is comparable, and never more than one per
    // oversize event.
    for (name, o) in [("whole", &whole), ("chunked", &chunked)] {
        assert_eq!(o.events, model.events, "{name}: events differ from the model");
        assert_eq!(
            (&o.last_event_id, o.retry, &o.dataless),
            (&model.last_event_id, model.retry, &model.dataless),
            "{name}: final state differs"
        );
        assert_eq!(o.errors > 0, model.errors > 0, "{name}: error presence differs");
        assert!(o.errors <= model.errors, "{name}: more errors than oversize events");
    }
    assert!(whole.errors <= 1, "more than one error from a single chunk");

    for e in &model.events {
        // No field can hold a line end except data, whose lines are joined with "\n" and whose
        // final "\n" is stripped.
        assert!(!e.event.is_empty(), "empty event type must default to \"message\"");
        assert!(!e.event.contains(['\n', '\r']) && !e.id.contains(['\n', '\r']));
        assert!(!e.data.contains('\r'));
        assert!(!e.id.contains('\0'), "an id with NUL must be ignored");
    }
});

fn split_input(input: &[u8]) -> (usize, Vec<usize>, &[u8]) {
    let (&b0, rest) = input.split_first().unwrap_or((&0, &[]));
    let max = if b0 & 1 == 0 { DEFAULT_MAX_EVENT_SIZE } else { usize::from(b0 >> 1) + 1 };
    let (&n, rest) = rest.split_first().unwrap_or((&0, &[]));
    let n = usize::from(n % 8).min(rest.len());
    let sizes = rest[..n].iter().map(|&b| usize::from(b)).collect();
    (max, sizes, &rest[n..])
}

/// Chunk lengths cycling through `sizes`; zeros give empty chunks, but never forever.
fn chunk_lengths(sizes: &[usize], total: usize) -> impl Iterator<Item = usize> + '_ {
    let all_zero = sizes.iter().all(|&s| s == 0);
    let mut i = 0;
    core::iter::from_fn(move || {
        if total == 0 {
            return Some(0);
        }
        let s = if all_zero { 1 } else { sizes[i % sizes.len()] };
        i += 1;
        Some(s)
    })
}

fn run(p: &mut SseParser, stream: &[u8], lengths: &mut dyn Iterator<Item = usize>) -> Outcome {
    let max = p.max_event_size();
    let mut sink = Sink { events: Vec::new(), id_bytes: 0 };
    let mut errors = 0;
    let mut at = 0;
    let mut first = true;
    // Memory is bounded by the limit, not the stream (lossy decoding can triple the bytes; the
    // four buffers may each double on growth).
    let bound = 4 * (2 * 3 * max.min(stream.len() + 8) + 16);
    while at < stream.len() || first {
        first = false;
        let n = lengths.next().unwrap().min(stream.len() - at);
        if let Err(e) = p.feed_into(&stream[at..at + n], &mut sink) {
            assert_eq!(e.code, ErrorCode::EventTooLarge);
            errors += 1;
        }
        at += n;
        assert!(p.buffered_bytes() <= bound, "buffered {} > {bound}", p.buffered_bytes());
        let limit = WORK_PER_BYTE * at as u64 + WORK_BASE;
        assert!(p.work() <= limit, "work {} > {limit} after {at} bytes", p.work());
    }
    // Each crossing comes from its own `id` line; decoding can triple the bytes.
    assert!(sink.id_bytes <= 3 * stream.len(), "{} ID bytes crossed", sink.id_bytes);
    let out = Outcome {
        events: sink.events,
        errors,
        last_event_id: p.last_event_id().to_owned(),
        retry: p.retry(),
        dataless: p.last_dataless_event_type().to_owned(),
    };
    // finish(): resets everything (an unterminated event is discarded, per spec).
    p.finish();
    assert_eq!((p.last_event_id(), p.retry(), p.last_dataless_event_type()), ("", None, ""));
    assert_eq!(p.max_event_size(), max);
    out
}

// ---- reference model --------------------------------------------------------------------------

/// The spec, applied the slow way: strip one BOM, split into lines, process each. The size limit
/// follows the parser's documented rule, where "held" is the data buffer, the event type and the
/// last event ID together: a line whose raw length plus what is held exceeds `max`, or a data or
/// event field whose decoded value takes what is held past `max`, or an `id` whose decoded value
/// would (with 3 bytes to spare), is one error (such an `id` is not applied); the event is dropped and its remaining lines
/// are skipped up to the blank line that ends it.
fn model(max: usize, stream: &[u8]) -> Outcome {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    // A stream that is only part of a BOM: the parser holds those bytes back, as no line at all.
    let only_bom_prefix = BOM.starts_with(stream);
    let stream = stream.strip_prefix(BOM).unwrap_or(stream);
    let mut out =
        Outcome { events: Vec::new(), errors: 0, last_event_id: String::new(), retry: None, dataless: String::new() };
    let (mut data, mut event_type) = (String::new(), String::new());
    let mut skipping = false;
    let held = |data: &String, event_type: &String, id: &String| data.len() + event_type.len() + id.len();
    let mut rest = stream;
    loop {
        let Some(end) = rest.iter().position(|&b| b == b'\n' || b == b'\r') else {
            // Unterminated last line: never processed, but an oversize one is still reported.
            if !skipping && rest.len() + held(&data, &event_type, &out.last_event_id) > max && !only_bom_prefix {
                out.errors += 1;
            }
            break;
        };
        let line = &rest[..end];
        let skip = if rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n') { 2 } else { 1 };
        rest = &rest[end + skip..];

        if skipping {
            skipping = !line.is_empty();
            continue;
        }
        if line.len() + held(&data, &event_type, &out.last_event_id) > max {
            out.errors += 1;
            data.clear();
            event_type.clear();
            // The blank line that ends the event is the event's end even when it trips the limit.
            skipping = !line.is_empty();
            continue;
        }
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            if data.is_empty() {
                if !event_type.is_empty() {
                    out.dataless = core::mem::take(&mut event_type);
                }
            } else {
                data.pop();
                let event = if event_type.is_empty() { "message".to_owned() } else { event_type.clone() };
                out.events.push(SseEvent { event, data: data.clone(), id: out.last_event_id.clone() });
            }
            data.clear();
            event_type.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (&*line, ""),
        };
        // Decoding can outgrow the raw line (U+FFFD is 3 bytes): what is held stays bounded.
        let fits = match field {
            "data" => {
                data.push_str(value);
                data.push('\n');
                held(&data, &event_type, &out.last_event_id) <= max
            }
            "event" => {
                event_type = value.to_owned();
                held(&data, &event_type, &out.last_event_id) <= max
            }
            "id" if !value.contains('\0') => {
                // Room is kept for the 3 bytes of an `id:` line that would reset it (a reset fits).
                let fits = value.is_empty() || data.len() + event_type.len() + value.len() + 3 <= max;
                if fits {
                    out.last_event_id = value.to_owned();
                }
                fits
            }
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.retry =
                    Some(value.bytes().fold(0u64, |a, d| a.saturating_mul(10).saturating_add(u64::from(d - b'0'))));
                true
            }
            _ => true,
        };
        if !fits {
            out.errors += 1;
            data.clear();
            event_type.clear();
            skipping = true;
        }
    }
    out
}
