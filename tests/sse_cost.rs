//! The SSE parser's cost is linear in the bytes fed, for every input shape and chunking: its work
//! counter (`SseParser::work`: bytes scanned, copied or decoded, plus one per line and event) stays
//! within `K` per byte fed. A parser that rescans a carried line on every chunk fails this at once
//! (a 1 MiB line without a colon fed in 1 KiB chunks cost ~512 operations per byte).
//!
//! `work()` exists in test, fuzzing and debug builds only, hence the cfg.
#![cfg(debug_assertions)]

use coze_wasm::core::sse::{EventSink, SseParser, DEFAULT_MAX_EVENT_SIZE};

/// Operations allowed per byte fed, and a constant for the first bytes.
const K: u64 = 8;
const K2: u64 = 64;

/// Counts events and the bytes of IDs handed over, without keeping them.
#[derive(Default)]
struct Tally {
    events: usize,
    id_bytes: usize,
}

impl EventSink for Tally {
    fn event(&mut self, _event: &str, _data: &mut String, id: Option<&str>) {
        self.events += 1;
        self.id_bytes += id.map_or(0, str::len);
    }
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn repeat(unit: &[u8], len: usize) -> Vec<u8> {
    unit.iter().copied().cycle().take(len).collect()
}

/// Adversarial streams, each about `n` bytes: one long line per field kind (with and without a
/// colon), many tiny events, every line-end style, invalid and split UTF-8.
fn shapes(n: usize) -> Vec<(String, Vec<u8>)> {
    let long = repeat(b"x", n);
    let utf8 = repeat("扣子🚀\u{FEFF}".as_bytes(), n);
    let broken = repeat(b"\xF0\x9F\x99\xE6\x98\xFFa", n);
    let digits = repeat(b"1234567890", n);
    let mut v = Vec::new();
    for (eol, name) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
        let e = eol.as_bytes();
        let mut add = |label: &str, parts: &[&[u8]]| {
            let mut s = Vec::new();
            for p in parts {
                s.extend_from_slice(p);
            }
            // A normal event after the shape: the parser must still be working.
            s.extend_from_slice(&[e, e, b"data:ok", e, e].concat());
            v.push((format!("{label} {name}"), s));
        };
        add("no colon", &[&long, e]);
        add("colon far away", &[&long, b":v", e]);
        add("comment", &[b":", &long, e]);
        add("unknown field", &[b"foo:", &long, e]);
        add("event", &[b"event:", &long, e, b"data:a", e]);
        add("id", &[b"id: ", &utf8, e, b"data:a", e]);
        add("retry", &[b"retry:", &digits, e]);
        add("data", &[b"data: ", &utf8, e]);
        add("data invalid utf-8", &[b"data:", &broken, e]);
        add("id invalid utf-8", &[b"id:", &broken, e, b"data:a", e]);
        add("blank lines", &[&repeat(e, n)]);
        let tiny = |unit: &[u8]| repeat(unit, n);
        add("tiny events", &[&tiny(&[b"data:a", e, e].concat())]);
        add("tiny dataless events", &[&tiny(&[b"data", e, e].concat())]);
        add("tiny events with ids", &[&tiny(&[b"id:1", e, b"data", e, e, b"id:22", e, b"data", e, e].concat())]);
        add("tiny events with types", &[&tiny(&[b"event:x", e, b"data:y", e, e].concat())]);
        add("short lines", &[&tiny(&[b"d", e, b"ev", e, b":", e, b"retry", e].concat())]);
    }
    v.push(("BOM then no colon".into(), [&b"\xEF\xBB\xBF"[..], &long, b"\n\ndata:ok\n\n"].concat()));
    v.push(("BOM prefix then no colon".into(), [&b"\xEF\xBB"[..], &long, b"\n\ndata:ok\n\n"].concat()));
    v
}

/// Feed `input` in chunks of the given sizes (cycled); check the bound after every chunk and
/// return the final operations-per-byte ratio.
fn run(label: &str, input: &[u8], max: usize, sizes: &mut dyn FnMut() -> usize) -> f64 {
    let mut p = SseParser::with_max_event_size(max);
    let mut tally = Tally::default();
    let mut fed = 0;
    while fed < input.len() {
        let n = sizes().min(input.len() - fed);
        let _ = p.feed_into(&input[fed..fed + n], &mut tally);
        fed += n;
        assert!(
            p.work() <= K * fed as u64 + K2,
            "{label}, max {max}: {} operations for {fed} bytes (chunk {n})",
            p.work()
        );
    }
    assert!(tally.events >= 1, "{label}: the event after the shape was lost");
    assert!(tally.id_bytes <= 3 * input.len(), "{label}: IDs crossed {} bytes", tally.id_bytes);
    p.work() as f64 / input.len() as f64
}

#[test]
fn work_is_linear_in_the_bytes_fed_for_every_shape_and_chunking() {
    let n = 100_000;
    let mut worst = (0.0, String::new());
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for (label, input) in shapes(n) {
        // The default limit, and one the long lines exceed (errors, then skipping).
        for max in [DEFAULT_MAX_EVENT_SIZE, n / 3] {
            let chunkings: [(&str, &mut dyn FnMut() -> usize); 3] = [
                ("1 B", &mut || 1),
                ("1 KiB", &mut || 1024),
                ("random", &mut || 1 + (xorshift(&mut seed) % 3000) as usize),
            ];
            for (chunking, sizes) in chunkings {
                let label = format!("{label}, {chunking} chunks");
                let ratio = run(&label, &input, max, sizes);
                if ratio > worst.0 {
                    worst = (ratio, format!("{label}, max {max}"));
                }
            }
        }
    }
    println!("max work per byte: {:.2} ({})", worst.0, worst.1);
}

/// The shape from the report: a line without a colon, 1/2/4 MiB, fed in 1 KiB chunks. Work (and
/// time) doubles with the size, instead of quadrupling.
#[test]
fn a_long_colonless_line_costs_linear_work() {
    let mut per_byte = Vec::new();
    for mib in [1usize, 2, 4] {
        let mut input = vec![b'x'; mib << 20];
        input.extend_from_slice(b"\n\ndata:ok\n\n");
        let mut p = SseParser::new();
        let mut tally = Tally::default();
        for chunk in input.chunks(1024) {
            p.feed_into(chunk, &mut tally).unwrap();
        }
        assert_eq!(tally.events, 1);
        println!("{mib} MiB without colon, 1 KiB chunks: {} operations", p.work());
        per_byte.push(p.work() as f64 / input.len() as f64);
    }
    assert!(per_byte.iter().all(|&r| r <= K as f64), "{per_byte:?}");
}
