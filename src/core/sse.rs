//! Incremental `text/event-stream` (Server-Sent Events) parser, following the HTML Living Standard,
//! "Interpreting an event stream".
//!
//! Feed it the response body chunk by chunk, as the bytes arrive; it yields every event the chunk
//! completed. Chunk boundaries may fall anywhere (inside a CRLF, a BOM, a UTF-8 character): the
//! events are the same as if the whole stream had been fed at once.
//!
//! Performance: time is linear in the bytes fed, however they are chunked. Each byte is scanned for
//! a line end once, word-at-a-time, and nothing is scanned again: lines that lie inside a chunk are
//! parsed in place; a line that spans chunks is classified as soon as its field name is known and
//! only `data`, `event`, `id` and `retry` lines are carried (comments and unknown fields are only
//! counted); a long `data:` line is decoded into the event's data as it grows (the carry keeps at
//! most `STREAM_DATA_AT` bytes of it), so a huge event is held once, not twice. Memory is bounded by
//! `max_event_size`, which counts everything an event holds: the pending line, data, type and the
//! last event ID. An ID reaches the sink once when it changes, not once per event.
//!
//! Pure Rust (std + alloc only): tested natively, compiled to wasm.

use crate::core::error::{CozeError, ErrorCode};

/// Default cap on one event (pending line + data + type + last event ID), in bytes.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// Buffers that grew past this (one huge event) are shrunk back afterwards, so a single outlier
/// does not pin megabytes for the rest of the stream.
const KEEP_CAPACITY: usize = 64 * 1024;

/// A `data:` line carried past this many bytes is decoded into the data buffer as it arrives, in
/// batches of about this size. Tiny under test and fuzzing, so every chunk-splitting test and fuzz input exercises that path.
const STREAM_DATA_AT: usize = if cfg!(any(test, fuzzing)) { 8 } else { 64 * 1024 };

/// The longest field name the parser acts on (`event`, `retry`).
const MAX_FIELD_NAME: usize = 5;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where dispatched events go. `Vec<SseEvent>` collects owned events; a consumer that only needs
/// to look at each event (the chat stream engine) implements it and copies nothing.
pub trait EventSink {
    /// One event: its type (`"message"` when none was given) and its data (the trailing "\n"
    /// already stripped; the sink may take the buffer). `id` is the last-event-ID buffer when an
    /// `id` field set it to a different value since the previous event, else `None` (it is what the sink last saw;
    /// initially `""`): an ID crosses once, not once per event.
    fn event(&mut self, event: &str, data: &mut String, id: Option<&str>);
}

/// An unchanged ID is copied from the last event in the Vec: keep one Vec across chunks (or use
/// [`SseParser::feed`]), since a Vec cleared in between has nothing to copy it from.
impl EventSink for Vec<SseEvent> {
    fn event(&mut self, event: &str, data: &mut String, id: Option<&str>) {
        // A huge event's buffer is handed over instead of copied; usual ones are copied, keeping
        // the parser's buffer warm for the next event.
        let data = if data.capacity() > KEEP_CAPACITY { core::mem::take(data) } else { data.clone() };
        let id = match id {
            Some(id) => id.to_owned(),
            None => self.last().map(|e| e.id.clone()).unwrap_or_default(),
        };
        self.push(SseEvent { event: event.to_owned(), data, id });
    }
}

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `"message"` when the event had none.
    pub event: String,
    /// The `data:` lines joined with `"\n"`.
    pub data: String,
    /// The last-event-ID buffer at dispatch time (it persists across events); `""` when none.
    pub id: String,
}

/// Where the parser stands in the stream. One value, so contradictory modes cannot coexist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Stream start: this many bytes of a BOM seen (held back; if no BOM follows they are the
    /// first line's start).
    Bom(u8),
    /// At a line start, nothing carried. `after_cr`: the last line ended with CR at the end of a
    /// chunk, so an LF opening the next chunk is the rest of that CRLF, not a blank line. `skip`:
    /// dropping an oversize event up to its blank line.
    Start { after_cr: bool, skip: bool },
    /// Dropping an oversize event, inside one of its lines (so that line is not blank).
    SkipLine,
    /// A line started in an earlier chunk, held in `line`. `named`: its colon has arrived and its
    /// field is `data`, `event`, `id` or `retry`; else no colon yet (at most `MAX_FIELD_NAME` bytes).
    Carry { named: bool },
    /// A comment or unknown field started in an earlier chunk: not kept, only its length counts
    /// (the size limit applies to every line, whatever the chunking).
    Ignore { len: usize },
    /// A long `data:` line decoded into `data` as it arrives: `line` holds only what is not
    /// decoded yet (a batch in the making, or an incomplete UTF-8 tail). `raw`: bytes of the line already decoded (prefix included); `base`: the data
    /// buffer's length before this line (what the size limit adds to).
    Stream { raw: usize, base: usize },
}

const START: State = State::Start { after_cr: false, skip: false };

/// Whether the next event takes the last-event-ID to the sink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IdNews {
    /// The sink has the current value (at first: `""`).
    Sent,
    /// An `id` field changed it since the last event.
    Changed,
    /// `feed` collects into a fresh Vec, which has no earlier event to copy the ID from.
    Resend,
}

/// Incremental event-stream parser. See the module docs.
#[derive(Clone, Debug)]
pub struct SseParser {
    max_event_size: usize,
    state: State,
    /// Carry buffer: the start of a line whose end has not arrived yet (see [`State`]).
    line: Vec<u8>,
    data: String,
    event_type: String,
    last_event_id: String,
    id_news: IdNews,
    retry: Option<u64>,
    /// The type of the last blank-line dispatch that had no data (and so yielded no event).
    dataless_event_type: String,
    /// Operations done so far; see [`work`](Self::work).
    #[cfg(any(test, fuzzing, debug_assertions))]
    work: u64,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// `max` bounds the bytes an event holds: its pending line, data buffer and type, plus the
    /// last event ID (which persists across events). An event that exceeds it makes
    /// `feed`/`feed_into` fail with `EVENT_TOO_LARGE`.
    pub fn with_max_event_size(max: usize) -> Self {
        Self {
            max_event_size: max,
            state: State::Bom(0),
            line: Vec::new(),
            data: String::new(),
            event_type: String::new(),
            last_event_id: String::new(),
            id_news: IdNews::Sent,
            retry: None,
            dataless_event_type: String::new(),
            #[cfg(any(test, fuzzing, debug_assertions))]
            work: 0,
        }
    }

    pub fn max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// Parse one chunk; hand every event this chunk completed to `out` (never earlier ones again).
    ///
    /// On an oversize event this returns `EVENT_TOO_LARGE`, after still parsing the rest of the
    /// chunk: the offending event is dropped (its buffers are cleared and its remaining lines are
    /// skipped up to its terminating blank line), every other event of the chunk is in `out`, and
    /// the parser stays usable. The ID and retry fields it had already set remain set (an `id`
    /// line that does not fit is not applied). At most one error is reported per chunk.
    pub fn feed_into(&mut self, chunk: &[u8], out: &mut dyn EventSink) -> Result<(), CozeError> {
        let mut rest = chunk;
        match self.state {
            State::Bom(matched) => rest = self.consume_bom(rest, matched),
            State::Start { after_cr: true, skip } if !rest.is_empty() => {
                self.state = State::Start { after_cr: false, skip };
                if rest[0] == b'\n' {
                    rest = &rest[1..];
                }
            }
            _ => {}
        }
        let mut error = None;
        while let Some(i) = find_eol(rest) {
            self.count(i + 1);
            self.end_line(&rest[..i], out, &mut error);
            let mut next = i + 1;
            if rest[i] == b'\r' {
                match rest.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    // end_line always leaves the state at a line start.
                    None => {
                        if let State::Start { after_cr, .. } = &mut self.state {
                            *after_cr = true;
                        }
                    }
                }
            }
            rest = &rest[next..];
        }
        self.count(rest.len());
        self.carry(rest, &mut error);
        match error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Convenience over [`feed_into`](Self::feed_into). On error, events completed by the same
    /// chunk are lost; use `feed_into` to keep them.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, CozeError> {
        let mut out = Vec::new();
        if self.id_news == IdNews::Sent {
            self.id_news = IdNews::Resend;
        }
        let result = self.feed_into(chunk, &mut out);
        if self.id_news == IdNews::Resend {
            self.id_news = IdNews::Sent; // no event took it, and no `id` field changed it
        }
        result.map(|()| out)
    }

    /// End of stream: resets the parser to a fresh state (same max size; the next stream may
    /// start with a BOM again; the last event ID and retry are cleared too, so read them first).
    ///
    /// It never yields an event, by design:
    /// - per spec, at EOF "any pending data must be discarded": an event without its terminating
    ///   blank line is never dispatched, and a final line without a line end is not a line at all;
    /// - a CR at the end of the stream does terminate a line, but `feed` already processed that line
    ///   when it saw the CR (CR alone is a complete line end; the after-CR state only swallows a
    ///   following LF). So `"data:x\n\r"` dispatched during `feed`, and nothing is left for EOF.
    pub fn finish(&mut self) {
        *self = Self::with_max_event_size(self.max_event_size);
    }

    /// The last-event-ID buffer (`""` when none was set or an empty `id` reset it).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time in milliseconds from the latest valid `retry:` field.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// The `event:` type of the most recent event that ended with no data (so yielded nothing),
    /// or `""`. Coze Studio's `conversation.stream.done` often comes that way.
    pub fn last_dataless_event_type(&self) -> &str {
        &self.dataless_event_type
    }

    /// Memory held by the parser's buffers (their capacity, not just their contents). Stays flat
    /// over a long stream: it tracks the largest recent event, never the stream length.
    pub fn buffered_bytes(&self) -> usize {
        self.line.capacity() + self.data.capacity() + self.event_type.capacity() + self.last_event_id.capacity()
    }

    /// Operations since the parser was made or last `finish`ed: bytes scanned, copied or decoded,
    /// plus one per line and per dispatch. Tests and the fuzz target check it stays within a small
    /// multiple of the bytes fed. Only in test, fuzzing and debug builds (it costs nothing in
    /// release).
    #[cfg(any(test, fuzzing, debug_assertions))]
    pub fn work(&self) -> u64 {
        self.work
    }

    #[inline(always)]
    fn count(&mut self, _ops: usize) {
        #[cfg(any(test, fuzzing, debug_assertions))]
        {
            self.work += _ops as u64;
        }
    }

    /// Strip a BOM at the very start of the stream, even if it arrives split across chunks.
    fn consume_bom<'a>(&mut self, rest: &'a [u8], mut matched: u8) -> &'a [u8] {
        self.count(rest.len().min(3));
        for (i, &b) in rest.iter().enumerate() {
            if b != BOM[usize::from(matched)] {
                // Not a BOM after all: the bytes held back are ordinary content of the first line.
                self.line.extend_from_slice(&BOM[..usize::from(matched)]);
                self.state = if matched == 0 { START } else { State::Carry { named: false } };
                return &rest[i..];
            }
            matched += 1;
            if matched == 3 {
                self.state = START;
                return &rest[i + 1..];
            }
        }
        self.state = State::Bom(matched);
        &[]
    }

    /// A line end arrived; `head` is the part of the line inside the current chunk.
    fn end_line(&mut self, head: &[u8], out: &mut dyn EventSink, error: &mut Option<CozeError>) {
        self.count(1);
        let held = match self.state {
            State::Start { skip: true, .. } | State::SkipLine => {
                // The blank line that ends the oversize event ends the skipping, without a dispatch.
                let blank = head.is_empty() && self.state != State::SkipLine;
                self.state = State::Start { after_cr: false, skip: !blank };
                return;
            }
            State::Ignore { len } => len,
            State::Stream { raw, .. } => raw + self.line.len(),
            _ => self.line.len(),
        };
        // Checking the whole line length (not just the part that arrived last) keeps the error
        // independent of how the stream was chunked.
        if self.over_limit(held + head.len()) {
            self.state = START;
            self.fail(error, false);
            return;
        }
        let fits = match core::mem::replace(&mut self.state, START) {
            State::Ignore { .. } => true,
            State::Stream { .. } => {
                // The rest of a data line whose start is already decoded into `data`.
                self.line.extend_from_slice(head);
                self.count(2 * self.line.len());
                push_lossy(&mut self.data, &self.line);
                self.data.push('\n');
                self.clear_line();
                !self.over_limit(0)
            }
            State::Carry { .. } => {
                self.line.extend_from_slice(head);
                self.count(head.len());
                let line = core::mem::take(&mut self.line); // moves the Vec, no allocation
                let fits = self.process_line(&line, out);
                self.line = line;
                self.clear_line();
                fits
            }
            // The line lies inside this chunk: parse it in place.
            _ => self.process_line(head, out),
        };
        if !fits {
            self.fail(error, false);
        }
    }

    /// The chunk ended mid-line: keep what the line needs for the next chunk.
    fn carry(&mut self, rest: &[u8], error: &mut Option<CozeError>) {
        if rest.is_empty() {
            return;
        }
        let held = match self.state {
            State::Start { skip: true, .. } | State::SkipLine => {
                self.state = State::SkipLine;
                return;
            }
            State::Ignore { len } => len,
            State::Stream { raw, .. } => raw + self.line.len(),
            _ => self.line.len(),
        };
        // Checked before copying, so the carry buffer never grows past the limit.
        let len = held + rest.len();
        if self.over_limit(len) {
            self.fail(error, true);
            return;
        }
        match self.state {
            State::Ignore { .. } => self.state = State::Ignore { len },
            State::Stream { .. } => {
                self.line.extend_from_slice(rest);
                self.count(rest.len());
                // Decoded in batches: a tiny chunk is not worth re-checking a held UTF-8 tail for.
                if self.line.len() > STREAM_DATA_AT {
                    self.decode_stream(0);
                }
            }
            State::Carry { named: true } => self.extend_named(rest),
            _ => {
                // The field name is still open: search only the new bytes for its end.
                let colon = rest.iter().position(|&b| b == b':');
                self.count(colon.map_or(rest.len(), |c| c + 1));
                let name_len = held + colon.unwrap_or(rest.len());
                if name_len <= MAX_FIELD_NAME {
                    self.line.extend_from_slice(&rest[..name_len - held]);
                    self.count(name_len - held);
                    if colon.is_none() {
                        self.state = State::Carry { named: false };
                        return;
                    }
                    if matches!(&self.line[..], b"data" | b"event" | b"id" | b"retry") {
                        self.extend_named(&rest[name_len - held..]);
                        return;
                    }
                }
                // A comment or a field the parser ignores: keep nothing.
                self.clear_line();
                self.state = State::Ignore { len };
            }
        }
    }

    /// Append to a carried `data`, `event`, `id` or `retry` line. A long `data:` line starts being
    /// decoded into `data` as it arrives, so it is not held a second time.
    fn extend_named(&mut self, bytes: &[u8]) {
        self.line.extend_from_slice(bytes);
        self.count(bytes.len());
        self.state = State::Carry { named: true };
        if self.line.len() > STREAM_DATA_AT && self.line.starts_with(b"data:") {
            // The value is not empty (the line is long), so its one optional leading space is known.
            let start = 5 + usize::from(self.line[5] == b' ');
            self.state = State::Stream { raw: 0, base: self.data.len() };
            self.decode_stream(start);
        }
    }

    /// While streaming: decode what has arrived of the value (from `line[start..]`) into `data`,
    /// holding back an incomplete UTF-8 sequence.
    fn decode_stream(&mut self, start: usize) {
        let State::Stream { raw, base } = self.state else { return };
        let value = &self.line[start..];
        let end = self.line.len() - incomplete_utf8_suffix(value);
        push_lossy(&mut self.data, &self.line[start..end]);
        // Decoded bytes, the suffix check's window, and what is moved to the front.
        self.count(end - start + value.len().min(3) + (self.line.len() - end));
        self.line.drain(..end);
        self.state = State::Stream { raw: raw + end, base };
    }

    fn clear_line(&mut self) {
        self.line.clear();
        if self.line.capacity() > KEEP_CAPACITY {
            self.line.shrink_to(KEEP_CAPACITY);
        }
    }

    /// Whether a line of `line_len` raw bytes, on top of what the event holds, exceeds the limit.
    fn over_limit(&self, line_len: usize) -> bool {
        // While streaming, `data` already holds part of the line, which `line_len` counts.
        let data = if let State::Stream { base, .. } = self.state { base } else { self.data.len() };
        let held = data + self.event_type.len() + self.last_event_id.len();
        line_len.saturating_add(held) > self.max_event_size
    }

    /// Drop the offending event and skip the rest of it. `mid_line`: the failing line has not
    /// ended yet, so its remaining bytes (whatever they look like) are not a blank line.
    fn fail(&mut self, error: &mut Option<CozeError>, mid_line: bool) {
        if error.is_none() {
            *error = Some(CozeError::new(
                ErrorCode::EventTooLarge,
                ["SSE event exceeds the maximum size of ", &super::json::decimal(self.max_event_size as i64), " bytes"]
                    .concat(),
            ));
        }
        self.clear_line();
        self.data.clear();
        self.data.shrink_to(KEEP_CAPACITY);
        self.event_type.clear();
        self.event_type.shrink_to(KEEP_CAPACITY);
        self.state = if mid_line { State::SkipLine } else { State::Start { after_cr: false, skip: true } };
    }

    /// One complete line, without its line end. Returns false if it did not fit the size limit:
    /// the check before it counts raw bytes, but decoding can grow a field (one invalid byte
    /// becomes a 3-byte U+FFFD). Without this, the data buffer could reach 3x the limit, and the
    /// blank line would then trip the check and start a skip that ate the next event.
    fn process_line(&mut self, line: &[u8], out: &mut dyn EventSink) -> bool {
        if line.is_empty() {
            self.dispatch(out);
            return true;
        }
        // Splitting the bytes at the first ':' then decoding each side equals decoding the line
        // first: an ASCII byte is never part of an invalid sequence, so it never becomes U+FFFD.
        let colon = line.iter().position(|&b| b == b':');
        self.count(colon.map_or(line.len(), |c| c + 1));
        let (field, value) = match colon {
            Some(0) => return true, // comment (Coze Studio's `: keep-alive`)
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        // Field names are case-sensitive; non-UTF-8 names match nothing, so compare bytes.
        match field {
            b"data" => {
                self.count(value.len());
                push_lossy(&mut self.data, value);
                self.data.push('\n');
                return !self.over_limit(0);
            }
            b"event" => {
                self.count(value.len());
                self.event_type.clear();
                push_lossy(&mut self.event_type, value);
                return !self.over_limit(0);
            }
            b"id" => return self.set_id(value),
            // Only non-empty all-ASCII-digit values count; others are ignored.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.count(2 * value.len());
                // Absurdly long digit strings saturate rather than being ignored.
                let ms = value.iter().fold(0u64, |acc, &d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                self.retry = Some(ms);
            }
            _ => {}
        }
        true
    }

    /// An `id` field. Returns false (and keeps the old ID) if the new one does not fit the limit.
    fn set_id(&mut self, value: &[u8]) -> bool {
        self.count(4 * value.len());
        // An id containing NUL is ignored entirely; an equal one changes nothing (and is not news).
        // (An invalid UTF-8 value never equals the old one here, so it counts as a change.)
        if value.contains(&0) || value == self.last_event_id.as_bytes() {
            return true;
        }
        // Checked before decoding, so the new ID never pushes the event past the limit. Decoding at
        // most triples the bytes: the usual short ID skips the exact count. The 3 bytes of room
        // keep an `id:` line that resets it within the limit, so a huge ID never wedges the parser
        // (and a reset passes: its line fit next to the old ID, so the 3 bytes are there).
        let others = self.data.len() + self.event_type.len() + 3;
        let fits = |len: usize| len.saturating_add(others) <= self.max_event_size;
        if !fits(value.len().saturating_mul(3)) && !fits(lossy_len(value)) {
            return false;
        }
        self.last_event_id.clear();
        push_lossy(&mut self.last_event_id, value);
        if self.last_event_id.capacity() > KEEP_CAPACITY {
            self.last_event_id.shrink_to(KEEP_CAPACITY);
        }
        self.id_news = IdNews::Changed;
        true
    }

    fn dispatch(&mut self, out: &mut dyn EventSink) {
        self.count(1);
        if !self.data.is_empty() {
            // Non-empty data always ends with the "\n" its last data line appended: strip it.
            self.data.pop();
            let event = if self.event_type.is_empty() { "message" } else { self.event_type.as_str() };
            let id = if self.id_news == IdNews::Sent { None } else { Some(self.last_event_id.as_str()) };
            out.event(event, &mut self.data, id);
            self.id_news = IdNews::Sent;
            if self.data.capacity() > KEEP_CAPACITY {
                self.data = String::new(); // one huge event does not pin its buffer
            }
        } else if !self.event_type.is_empty() {
            // Spec: no event. Remembered because Coze Studio ends with a data-less
            // `conversation.stream.done`, and the chat layer must tell that from a truncated stream.
            core::mem::swap(&mut self.dataless_event_type, &mut self.event_type);
        }
        self.data.clear();
        self.event_type.clear();
        if self.event_type.capacity() > KEEP_CAPACITY {
            self.event_type = String::new();
        }
    }
}

/// Append `bytes` decoded as UTF-8, replacing each maximal invalid subpart with U+FFFD exactly like
/// `TextDecoder` does. No allocation beyond `dst` growing.
fn push_lossy(dst: &mut String, bytes: &[u8]) {
    lossy_parts(bytes, |valid, replaced| {
        dst.push_str(valid);
        if replaced {
            dst.push(char::REPLACEMENT_CHARACTER);
        }
    });
}

/// How many bytes `push_lossy` would append.
fn lossy_len(bytes: &[u8]) -> usize {
    let mut len = 0;
    lossy_parts(bytes, |valid, replaced| len += valid.len() + if replaced { 3 } else { 0 });
    len
}

/// `bytes` as runs of valid text, each followed (`true`) by one maximal invalid subpart — what
/// `utf8_chunks` yields, through `from_utf8` (one UTF-8 validator in the wasm, not two).
fn lossy_parts(mut bytes: &[u8], mut part: impl FnMut(&str, bool)) {
    loop {
        match core::str::from_utf8(bytes) {
            Ok(valid) => return part(valid, false),
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                // Checked again rather than `unsafe`; only invalid input takes this path.
                part(core::str::from_utf8(valid).unwrap_or_default(), true);
                match e.error_len() {
                    Some(n) => bytes = &rest[n..],
                    None => return, // an incomplete sequence at the end: one U+FFFD
                }
            }
        }
    }
}

/// Length of the incomplete (but so far valid) UTF-8 sequence that `bytes` ends with, if any: the
/// bytes to hold back until the rest of the character arrives. Decoding up to there and the rest
/// later gives exactly what decoding the whole would.
///
/// Only the last 3 bytes are looked at: such a sequence is at most 3 bytes and starts with a lead
/// byte, where decoding restarts whatever came before, so the window sees it as the whole would.
fn incomplete_utf8_suffix(bytes: &[u8]) -> usize {
    let window = &bytes[bytes.len().saturating_sub(3)..];
    // The window ends in an incomplete sequence exactly when decoding it stops early without an
    // error length; the rest after the last valid prefix is that sequence.
    let mut rest = window;
    loop {
        match core::str::from_utf8(rest) {
            Ok(_) => return 0,
            Err(e) => match e.error_len() {
                Some(n) => rest = &rest[e.valid_up_to() + n..],
                None => return rest.len() - e.valid_up_to(),
            },
        }
    }
}

/// Index of the first `\n` or `\r`. Word-at-a-time (SWAR): 8 bytes per step, which is what makes
/// long `data:` lines cheap. u64 arithmetic is native on wasm too.
fn find_eol(hay: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const LF: u64 = LO * b'\n' as u64;
    const CR: u64 = LO * b'\r' as u64;
    let mut i = 0;
    while i + 8 <= hay.len() {
        let word = u64::from_le_bytes(hay[i..i + 8].try_into().unwrap());
        let (a, b) = (word ^ LF, word ^ CR);
        // High bit set in each byte that is zero (i.e. matched). Spurious bits can only appear
        // above a real match, so the lowest one (first byte, little-endian) is exact.
        let zero = ((a.wrapping_sub(LO) & !a) | (b.wrapping_sub(LO) & !b)) & HI;
        if zero != 0 {
            return Some(i + (zero.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    hay[i..].iter().position(|&c| c == b'\n' || c == b'\r').map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: &str, data: &str, id: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into(), id: id.into() }
    }

    fn msg(data: &str) -> SseEvent {
        ev("message", data, "")
    }

    /// Feed the chunks in order, then finish. Panics on error.
    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed_into(c, &mut out).unwrap();
        }
        p.finish();
        out
    }

    fn parse(input: &[u8]) -> Vec<SseEvent> {
        parse_chunks(&[input])
    }

    /// Feed `input` cut at `cuts` (sorted offsets); collect events, the errors' count and the final
    /// id / retry.
    fn parse_cut(input: &[u8], cuts: &[usize], max: usize) -> (Vec<SseEvent>, usize, String, Option<u64>) {
        let mut p = SseParser::with_max_event_size(max);
        let mut out = Vec::new();
        let mut errors = 0;
        let mut start = 0;
        for &end in cuts.iter().chain([input.len()].iter()) {
            if p.feed_into(&input[start..end], &mut out).is_err() {
                errors += 1;
            }
            start = end;
        }
        let (id, retry) = (p.last_event_id().to_owned(), p.retry());
        p.finish();
        (out, errors, id, retry)
    }

    // ---- line ends ----------------------------------------------------------------------------

    #[test]
    fn line_end_table() {
        let cases: &[(&[u8], &[&str])] = &[
            (b"data:a\n\n", &["a"]),
            (b"data:a\r\n\r\n", &["a"]),
            (b"data:a\r\r", &["a"]),
            (b"data:a\ndata:b\n\n", &["a\nb"]),
            (b"data:a\r\ndata:b\r\n\r\n", &["a\nb"]),
            (b"data:a\rdata:b\r\r", &["a\nb"]),
            // lone CR then another line (mixed terminators)
            (b"data:a\rdata:b\n\r\n", &["a\nb"]),
            // CRLF is one line end, CR LF LF is two
            (b"data:a\r\n\n", &["a"]),
            // LF CR is two line ends: the CR makes the blank line
            (b"data:a\n\rdata:b\n\n", &["a", "b"]),
            (b"data:a\n\ndata:b\n\n", &["a", "b"]),
        ];
        for (input, want) in cases {
            let want: Vec<_> = want.iter().map(|d| msg(d)).collect();
            assert_eq!(parse(input), want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn cr_at_chunk_end_then_lf_is_one_line_end() {
        // A naive parser sees CR, then LF as a second (blank) line, and dispatches "a" alone.
        assert_eq!(parse_chunks(&[b"data:a\r", b"\ndata:b\r\n\r\n"]), vec![msg("a\nb")]);
        // Empty chunks in between do not forget the pending CR.
        assert_eq!(parse_chunks(&[b"data:a\r", b"", b"", b"\ndata:b\n\n"]), vec![msg("a\nb")]);
        // CR at chunk end followed by a non-LF: the CR alone was the line end.
        assert_eq!(parse_chunks(&[b"data:a\r", b"data:b\r", b"\r"]), vec![msg("a\nb")]);
        // CR at chunk end, then a real blank line split the same way.
        assert_eq!(parse_chunks(&[b"data:a\r", b"\n\r", b"\n"]), vec![msg("a")]);
    }

    // ---- BOM ----------------------------------------------------------------------------------

    #[test]
    fn bom_stripped_once() {
        let bom = "\u{FEFF}";
        assert_eq!(parse(format!("{bom}data:a\n\n").as_bytes()), vec![msg("a")]);
        // split 1+2 and 2+1 and 1+1+1
        assert_eq!(parse_chunks(&[b"\xEF", b"\xBB\xBFdata:a\n\n"]), vec![msg("a")]);
        assert_eq!(parse_chunks(&[b"\xEF\xBB", b"\xBFdata:a\n\n"]), vec![msg("a")]);
        assert_eq!(parse_chunks(&[b"\xEF", b"\xBB", b"\xBF", b"data:a\n\n"]), vec![msg("a")]);
        // A second BOM is content: the line's field becomes "\u{FEFF}data", which is unknown.
        assert_eq!(parse(format!("{bom}{bom}data:a\n\n").as_bytes()), vec![]);
        assert_eq!(parse(format!("{bom}data:a\n\n{bom}data:b\n\ndata:c\n\n").as_bytes()), vec![msg("a"), msg("c")]);
        // A BOM in a later chunk (not the stream start) is not stripped either.
        assert_eq!(parse_chunks(&[b"data:a\n\n", "\u{FEFF}data:b\n\n".as_bytes()]), vec![msg("a")]);
        // ... nor inside a value.
        assert_eq!(parse(format!("data:{bom}x\n\n").as_bytes()), vec![msg("\u{FEFF}x")]);
        // A BOM prefix that turns out not to be one is kept as (invalid) line content.
        assert_eq!(parse_chunks(&[b"\xEF", b"\ndata:a\n\n"]), vec![msg("a")]);
        assert_eq!(parse_chunks(&[b"\xEF\xBB", b"\xEF\xBB\xBF\n\ndata:a\n\n"]), vec![msg("a")]);
        // ... so the first line's field is "\u{FFFD}data", not "data".
        assert_eq!(parse_chunks(&[b"\xEF", b"data:a\n\ndata:b\n\n"]), vec![msg("b")]);
        assert_eq!(parse(b"\xEF\xBBdata:a\n\ndata:b\n\n"), vec![msg("b")]);
        // No BOM at all.
        assert_eq!(parse(b"data:a\n\n"), vec![msg("a")]);
    }

    #[test]
    fn bom_again_after_finish() {
        let mut p = SseParser::new();
        assert_eq!(p.feed("\u{FEFF}data:a\n\n".as_bytes()).unwrap(), vec![msg("a")]);
        p.finish();
        assert_eq!(p.feed("\u{FEFF}data:b\n\n".as_bytes()).unwrap(), vec![msg("b")]);
    }

    // ---- fields -------------------------------------------------------------------------------

    #[test]
    fn field_table() {
        let cases: Vec<(&str, Vec<SseEvent>)> = vec![
            // comments
            (": keep-alive\ndata:a\n\n", vec![msg("a")]),
            (":\n:comment\ndata:a\n:x\n\n", vec![msg("a")]),
            (":only a comment\n\n", vec![]),
            // field without colon: `data` alone appends an empty line, which still dispatches
            ("data\n\n", vec![msg("")]),
            ("data\n\ndata\n\n", vec![msg(""), msg("")]),
            ("data\n\ndata\ndata\n\ndata:", vec![msg(""), msg("\n")]), // the spec's example
            ("data:\n\n", vec![msg("")]),
            // exactly one leading space removed
            ("data:test\n\ndata: test\n\n", vec![msg("test"), msg("test")]),
            ("data:  x\n\n", vec![msg(" x")]),
            ("data:x \n\n", vec![msg("x ")]),
            ("data:\tx\n\n", vec![msg("\tx")]),
            // split at the FIRST colon only
            ("data:a:b: c\n\n", vec![msg("a:b: c")]),
            // case-sensitive fields; unknown fields ignored
            ("Data:x\nDATA:y\ndata:z\n\n", vec![msg("z")]),
            ("Data:x\n\n", vec![]),
            ("foo:bar\ndata:z\nevent\n\n", vec![msg("z")]),
            // multi-line data joined with "\n"; trailing "\n" stripped once only
            ("data:a\ndata:b\ndata:c\n\n", vec![msg("a\nb\nc")]),
            ("data:a\ndata:\n\n", vec![msg("a\n")]),
            ("data:\ndata:\n\n", vec![msg("\n")]),
            // event type: latest wins, empty means "message"
            ("event:add\ndata:1\n\n", vec![ev("add", "1", "")]),
            ("event: add\nevent:remove\ndata:1\n\n", vec![ev("remove", "1", "")]),
            ("event:\ndata:1\n\n", vec![msg("1")]),
            // no dispatch for empty data; the type does not leak into the next event
            ("event:x\n\n", vec![]),
            ("event:x\n\ndata:y\n\n", vec![msg("y")]),
            ("event:x\nid:1\n\n\n\n", vec![]),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input.as_bytes()), want, "{input:?}");
        }
    }

    #[test]
    fn id_rules() {
        // persists across events
        assert_eq!(parse(b"id:7\ndata:a\n\ndata:b\n\n"), vec![ev("message", "a", "7"), ev("message", "b", "7")]);
        // set even by an event that does not dispatch
        assert_eq!(parse(b"id:7\n\ndata:a\n\n"), vec![ev("message", "a", "7")]);
        // empty value resets (with and without colon)
        assert_eq!(parse(b"id:7\ndata:a\n\nid:\ndata:b\n\n"), vec![ev("message", "a", "7"), msg("b")]);
        assert_eq!(parse(b"id:7\ndata:a\n\nid\ndata:b\n\n"), vec![ev("message", "a", "7"), msg("b")]);
        // a NUL makes the whole field ignored: the old id stays
        assert_eq!(
            parse(b"id:7\ndata:a\n\nid:8\x009\ndata:b\n\n"),
            vec![ev("message", "a", "7"), ev("message", "b", "7")]
        );
        // one space removed; the latest id in the event wins; id applies to the event it is in
        assert_eq!(parse(b"data:a\nid: 1\nid:  2\n\n"), vec![ev("message", "a", " 2")]);
        // ID and Id are not id
        assert_eq!(parse(b"ID:1\nId:2\ndata:a\n\n"), vec![msg("a")]);

        let mut p = SseParser::new();
        assert_eq!(p.last_event_id(), "");
        p.feed(b"id:42\n").unwrap();
        assert_eq!(p.last_event_id(), "42"); // updated as soon as the line is parsed
        p.feed(b"id:\n").unwrap();
        assert_eq!(p.last_event_id(), "");
        p.feed(b"id:x\n").unwrap();
        p.finish();
        assert_eq!(p.last_event_id(), "", "finish() resets to a fresh parser");
    }

    #[test]
    fn retry_rules() {
        let cases: &[(&str, Option<u64>)] = &[
            ("retry:1000\n", Some(1000)),
            ("retry: 500\n", Some(500)),
            ("retry:0\n", Some(0)),
            ("retry:007\n", Some(7)),
            ("retry:\n", None),
            ("retry\n", None),
            ("retry:10a\n", None),
            ("retry:-1\n", None),
            ("retry:+1\n", None),
            ("retry:1.5\n", None),
            ("retry:  5\n", None),
            ("retry:5 \n", None),
            ("retry:１\n", None), // fullwidth digit is not an ASCII digit
            ("Retry:5\n", None),
            ("retry:5\nretry:x\n", Some(5)), // an invalid value leaves the previous one
            ("retry:5\nretry:6\n", Some(6)),
            ("retry:99999999999999999999999\n", Some(u64::MAX)),
        ];
        for (input, want) in cases {
            let mut p = SseParser::new();
            assert_eq!(p.feed(input.as_bytes()).unwrap(), vec![]);
            assert_eq!(p.retry(), *want, "{input:?}");
        }
        // retry never dispatches by itself, nor blocks a dispatch
        assert_eq!(parse(b"retry:5\n\ndata:a\nretry:1\n\n"), vec![msg("a")]);
    }

    // ---- end of stream ------------------------------------------------------------------------

    #[test]
    fn finish_discards_incomplete_event() {
        let cases: &[&[u8]] =
            &[b"data:x", b"data:x\n", b"data:x\r\n", b"data:x\ndata:y\n", b"event:e\ndata:x\n", b"data:x\n:comment"];
        for input in cases {
            let mut p = SseParser::new();
            assert_eq!(p.feed(input).unwrap(), vec![], "{:?}", String::from_utf8_lossy(input));
            p.finish();
            assert_eq!(p.feed(b"\n\n").unwrap(), vec![], "nothing of it survives finish");
        }
        // Complete events before the partial one were emitted by feed, exactly once.
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"data:a\n\ndata:b").unwrap(), vec![msg("a")]);
        p.finish();
        // A trailing CR is a line end: "data:x\n\r" completes the event during feed.
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"data:x\n\r").unwrap(), vec![msg("x")]);
        p.finish();
        // After finish the parser is fresh: nothing leaks into the next stream.
        let mut p = SseParser::new();
        p.feed(b"event:e\nid:1\nretry:5\ndata:x\ndata:partial").unwrap();
        p.finish();
        assert_eq!((p.last_event_id(), p.retry()), ("", None));
        assert_eq!(p.feed(b"\n\ndata:y\n\n").unwrap(), vec![msg("y")]);
    }

    // ---- real framings ------------------------------------------------------------------------

    #[test]
    fn coze_framing() {
        let body = concat!(
            "event:conversation.chat.created\n",
            "data:{\"id\":\"1\",\"status\":\"created\"}\n\n",
            "event:conversation.message.delta\n",
            "data:{\"role\":\"assistant\",\"content\":\"星期三\"}\n\n",
            "event:conversation.message.delta\n",
            "data:{\"role\":\"assistant\",\"content\":\"，你好🙂\"}\n\n",
            "event:done\n",
            "data:\"[DONE]\"\n\n",
        );
        let want = vec![
            ev("conversation.chat.created", "{\"id\":\"1\",\"status\":\"created\"}", ""),
            ev("conversation.message.delta", "{\"role\":\"assistant\",\"content\":\"星期三\"}", ""),
            ev("conversation.message.delta", "{\"role\":\"assistant\",\"content\":\"，你好🙂\"}", ""),
            ev("done", "\"[DONE]\"", ""),
        ];
        assert_eq!(parse(body.as_bytes()), want);
        for size in [1, 2, 3, 5, 64] {
            let chunks: Vec<&[u8]> = body.as_bytes().chunks(size).collect();
            assert_eq!(parse_chunks(&chunks), want, "chunk size {size}");
        }
    }

    #[test]
    fn coze_studio_framing() {
        let body =
            "id: 1\r\nevent: x\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\r\n\r\nid: 2\r\nevent: y\r\ndata: {}\r\n\r\n";
        assert_eq!(parse(body.as_bytes()), vec![ev("x", "{\"a\":1}", "1"), ev("y", "{}", "2")]);
    }

    // ---- UTF-8 --------------------------------------------------------------------------------

    #[test]
    fn chinese_split_at_every_byte_comes_out_whole() {
        let text = "星期三，你好🙂";
        let body = format!("event:消息\ndata:{text}\nid:编号🙂\n\n");
        let want = vec![ev("消息", text, "编号🙂")];
        let bytes = body.as_bytes();
        for cut in 0..=bytes.len() {
            assert_eq!(parse_chunks(&[&bytes[..cut], &bytes[cut..]]), want, "cut at {cut}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_chunks(&singles), want);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_char() {
        let cases: &[(&[u8], &str)] = &[
            (b"data:a\xFFb\n\n", "a\u{FFFD}b"),
            (b"data:\xC3\x28\n\n", "\u{FFFD}("),
            // a truncated 3-byte sequence is ONE maximal subpart → one U+FFFD (TextDecoder)
            (b"data:\xE6\x98\n\n", "\u{FFFD}"),
            (b"data:\xE6\x98\xE6\x98\x9F\n\n", "\u{FFFD}星"),
            (b"data:\xF0\x9F\x99\n\n", "\u{FFFD}"),
            (b"data:\xED\xA0\x80\n\n", "\u{FFFD}\u{FFFD}\u{FFFD}"), // surrogate: invalid each byte
            (b"data:\x80\x80\n\n", "\u{FFFD}\u{FFFD}"),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), vec![msg(want)], "{input:?}");
        }
        // In the field name: invalid bytes make the field unknown (no error).
        assert_eq!(parse(b"da\xFFta:x\n\ndata:y\n\n"), vec![msg("y")]);
        assert_eq!(parse(b"event:\xFF\ndata:y\n\n"), vec![ev("\u{FFFD}", "y", "")]);
    }

    // ---- size limit ---------------------------------------------------------------------------

    #[test]
    fn event_too_large() {
        // The limit is on pending line + data buffer: "data:abc" is 8 bytes.
        assert_eq!(SseParser::with_max_event_size(8).feed(b"data:abc\n\n").unwrap(), vec![msg("abc")]);
        let err = SseParser::with_max_event_size(7).feed(b"data:abc\n\n").unwrap_err();
        assert_eq!(err.code, ErrorCode::EventTooLarge);
        assert!(err.message.contains("7 bytes"), "{}", err.message);

        // Growth through many small data lines.
        let mut p = SseParser::with_max_event_size(32);
        let err = p.feed(b"data:0123456789\ndata:0123456789\ndata:0123456789\n").unwrap_err();
        assert_eq!(err.code, ErrorCode::EventTooLarge);
        // The offending event is dropped up to its blank line, then parsing resumes.
        let mut out = Vec::new();
        p.feed_into(b"data:rest of the big event\n\ndata:ok\n\n", &mut out).unwrap();
        assert_eq!(out, vec![msg("ok")]);

        // Default limit is 16 MiB.
        assert_eq!(SseParser::new().max_event_size(), DEFAULT_MAX_EVENT_SIZE);
        assert_eq!(SseParser::default().max_event_size(), 16 * 1024 * 1024);
    }

    #[test]
    fn event_too_large_never_grows_and_recovers() {
        // One endless line, fed in chunks: error once, memory stays bounded, later events survive.
        let mut p = SseParser::with_max_event_size(1000);
        let mut out = Vec::new();
        p.feed_into(b"data:ok\n\nid:9\ndata:", &mut out).unwrap();
        let chunk = [b'x'; 300];
        let mut errors = 0;
        for _ in 0..1000 {
            if let Err(e) = p.feed_into(&chunk, &mut out) {
                assert_eq!(e.code, ErrorCode::EventTooLarge);
                errors += 1;
            }
            assert!(p.buffered_bytes() <= 4096, "{}", p.buffered_bytes());
        }
        assert_eq!(errors, 1);
        // "\n" ends the long line, but the event goes on: lines until the blank one are dropped.
        p.feed_into(b"\ndata:dropped\n\ndata:after\n\n", &mut out).unwrap();
        assert_eq!(out, vec![msg("ok"), ev("message", "after", "9")]);

        // The error hits while the line is still open; its end arrives in the next chunk. That line
        // end is not a blank line: the event's further lines are still dropped.
        let mut p = SseParser::with_max_event_size(10);
        assert_eq!(p.feed(b"data:0123456789").unwrap_err().code, ErrorCode::EventTooLarge);
        assert_eq!(p.feed(b"\ndata:dropped\n\ndata:after\n\n").unwrap(), vec![msg("after")]);

        // Events before and after the oversize one in the same chunk are all in `out`.
        let mut p = SseParser::with_max_event_size(16);
        let mut out = Vec::new();
        let err = p.feed_into(b"data:a\n\ndata:0123456789abcdef\ndata:x\n\ndata:b\n\n", &mut out);
        assert_eq!(err.unwrap_err().code, ErrorCode::EventTooLarge);
        assert_eq!(out, vec![msg("a"), msg("b")]);
    }

    // ---- chunking invariance ("property" test, deterministic) ---------------------------------

    fn corpus() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = [
            "\u{FEFF}event:conversation.message.delta\ndata:{\"content\":\"星期三，你好🙂\"}\n\n",
            "id: 1\r\nevent: x\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\r\n\r\nretry:30\rdata:b\r\r",
            "data:a\r\n\r\ndata:b\r\rdata:c\n\r\n\rdata\n\nevent:x\n\nid:\n\n",
            "\u{FEFF}\u{FEFF}data:1\n\ndata:\u{FEFF}2\ndata: 3\n\nid:a\0b\nid:ok\ndata:4\n\ndata:x",
            ":c\nData:no\nevent\ndata:  sp\nretry:1x\nretry:250\n\n\n\r\n\r\rdata:end\r\n\r\n",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        // Invalid UTF-8 and a lone BOM prefix, split anywhere.
        v.push(b"\xEF\xBBdata:1\n\ndata:\xE6\x98\xF0\x9F\x99\x82\xFF\r\n\r\nevent:\xE6\n\xBF\ndata:z\r".to_vec());
        v.push(b"\xEF\rdata:\xEF\xBB\xBF\r\n\r".to_vec());
        v
    }

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Every 2- and 3-chunk split, every fixed chunk size 1..=7, and 200 random chunkings give the
    /// same events (and final id / retry / error count) as feeding the input whole.
    fn check_chunking_invariance(input: &[u8], max: usize) {
        let whole = parse_cut(input, &[], max);
        let n = input.len();
        let check = |cuts: &[usize]| {
            assert_eq!(parse_cut(input, cuts, max), whole, "input {:?}, cuts {cuts:?}", String::from_utf8_lossy(input));
        };
        for i in 0..=n {
            check(&[i]);
            for j in i..=n {
                check(&[i, j]);
            }
        }
        for size in 1..=7 {
            check(&(size..n).step_by(size).collect::<Vec<_>>());
        }
        let mut seed = 0x9E37_79B9_7F4A_7C15 ^ n as u64;
        for _ in 0..200 {
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                at += (xorshift(&mut seed) % 9) as usize; // 0 allows empty chunks
                if at >= n {
                    break;
                }
                cuts.push(at);
            }
            check(&cuts);
        }
    }

    #[test]
    fn chunking_never_changes_the_events() {
        for input in corpus() {
            assert!(!parse(&input).is_empty());
            check_chunking_invariance(&input, DEFAULT_MAX_EVENT_SIZE);
        }
    }

    #[test]
    fn chunking_never_changes_the_oversize_outcome() {
        let input = b"data:a\n\nid:1\ndata:0123456789\ndata:0123456789\ndata:0123456789\n\ndata:b\r\n\r\n";
        let whole = parse_cut(input, &[], 30);
        assert_eq!(whole, (vec![msg("a"), ev("message", "b", "1")], 1, "1".to_owned(), None));
        check_chunking_invariance(input, 30);
        // One over-long line (the error may hit mid-line or at its end, depending on the chunking).
        let input = b"data:a\n\ndata:0123456789012345678901234567890123\ndata:dropped\r\n\r\ndata:b\n\n";
        let whole = parse_cut(input, &[], 30);
        assert_eq!(whole, (vec![msg("a"), msg("b")], 1, String::new(), None));
        check_chunking_invariance(input, 30);
    }

    #[test]
    fn find_eol_matches_naive_search() {
        let naive = |h: &[u8]| h.iter().position(|&c| c == b'\n' || c == b'\r');
        let mut seed = 12345u64;
        for len in 0..40 {
            for _ in 0..200 {
                // Bytes near 0x0A/0x0D and high bytes exercise the SWAR borrow cases.
                let pool = [b'\n', b'\r', 0x0B, 0x0C, 0x09, 0x0E, 0x8A, 0x8D, 0xFF, 0x00, b'a', 0x01];
                let hay: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = xorshift(&mut seed);
                        if r % 8 == 0 {
                            pool[(r >> 8) as usize % 2]
                        } else {
                            pool[2 + (r >> 8) as usize % 10]
                        }
                    })
                    .collect();
                assert_eq!(find_eol(&hay), naive(&hay), "{hay:?}");
            }
        }
    }

    // ---- the ID crosses once -------------------------------------------------------------------

    /// Records what crosses to the sink, the ID as handed over (`None`: unchanged).
    #[derive(Default)]
    struct Recorder(Vec<(String, Option<String>)>);

    impl EventSink for Recorder {
        fn event(&mut self, _event: &str, data: &mut String, id: Option<&str>) {
            self.0.push((data.clone(), id.map(str::to_owned)));
        }
    }

    #[test]
    fn an_id_crosses_when_it_changes_not_with_every_event() {
        let mut p = SseParser::new();
        let mut r = Recorder::default();
        let input = b"data:a\n\nid:\ndata:b\n\nid:1\ndata:c\n\ndata:d\n\nid:1\ndata:e\n\n\
            id:2\nid:1\n\ndata:f\n\nid\ndata:g\n\nid:x\0y\ndata:h\n\n";
        p.feed_into(input, &mut r).unwrap();
        let some = |s: &str| Some(s.to_owned());
        let want = [
            ("a", None),      // initially "", and no id field
            ("b", None),      // set to "" again: unchanged
            ("c", some("1")), // changed
            ("d", None),      // persists, not resent
            ("e", None),      // same value again
            ("f", some("1")), // changed (to 2, then back) since the last event; a data-less one took nothing
            ("g", some("")),  // reset
            ("h", None),      // NUL: ignored
        ];
        let want: Vec<_> = want.iter().map(|(d, id)| (d.to_string(), id.clone())).collect();
        assert_eq!(r.0, want);
        // The same chunked byte by byte.
        let mut p = SseParser::new();
        let mut r = Recorder::default();
        for b in input {
            p.feed_into(&[*b], &mut r).unwrap();
        }
        assert_eq!(r.0, want);
    }

    /// The report's case: a 1 MiB ID, then 3000 events in the same chunk (2 MiB limit). Handing
    /// the ID over with every event made the consumer copy 3 GB; it crosses once.
    #[test]
    fn a_huge_id_crosses_once_not_once_per_event() {
        #[derive(Default)]
        struct Tally(usize, usize);
        impl EventSink for Tally {
            fn event(&mut self, _: &str, _: &mut String, id: Option<&str>) {
                self.0 += 1;
                self.1 += id.map_or(0, str::len);
            }
        }
        let mut input = b"id:".to_vec();
        input.resize(3 + (1 << 20), b'7');
        input.push(b'\n');
        for _ in 0..3000 {
            input.extend_from_slice(b"data\n\n");
        }
        let mut p = SseParser::with_max_event_size(2 << 20);
        let mut tally = Tally::default();
        p.feed_into(&input, &mut tally).unwrap();
        assert_eq!((tally.0, tally.1), (3000, 1 << 20));
    }

    #[test]
    fn feed_gives_every_event_its_id() {
        // `feed` returns a fresh Vec per chunk: an unchanged ID must still be filled in.
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"id:7\ndata:a\n\n").unwrap(), vec![ev("message", "a", "7")]);
        assert_eq!(p.feed(b"data:b\n\ndata:c\n\n").unwrap(), vec![ev("message", "b", "7"), ev("message", "c", "7")]);
        // A feed that dispatched nothing leaves no spurious "changed" behind for feed_into...
        assert_eq!(p.feed(b"data:d").unwrap(), vec![]);
        let mut r = Recorder::default();
        p.feed_into(b"\n\n", &mut r).unwrap();
        assert_eq!(r.0, vec![("d".to_owned(), None)]);
        // ... nor hides a real change.
        assert_eq!(p.feed(b"id:8\n").unwrap(), vec![]);
        p.feed_into(b"data:e\n\n", &mut r).unwrap();
        assert_eq!(r.0[1], ("e".to_owned(), Some("8".to_owned())));
    }

    // ---- every held field counts ----------------------------------------------------------------

    #[test]
    fn the_size_limit_counts_the_event_type_and_the_id() {
        let x30 = "x".repeat(30);
        let y20 = "y".repeat(20);
        // A 25-byte data line fits 50 alone, but not next to a 30-byte id or type.
        for field in ["id", "event"] {
            let input = format!("{field}:{x30}\ndata:{y20}\n\n{field}\n\ndata:{y20}\n\n");
            assert_eq!(parse_cut(input.as_bytes(), &[], 50), (vec![msg(&y20)], 1, String::new(), None), "{field}");
            check_chunking_invariance(input.as_bytes(), 50);
        }
        // An id that does not fit is not applied: the old one stays, the event is dropped.
        let input = format!("id:1\ndata:{y20}\nid:{x30}\n\ndata:ok\n\n");
        assert_eq!(parse_cut(input.as_bytes(), &[], 50), (vec![ev("message", "ok", "1")], 1, "1".to_owned(), None));
        check_chunking_invariance(input.as_bytes(), 50);
        // Decoding grows it (7 invalid bytes become 21): checked on the decoded length too.
        let input = b"id:1\n\nid:\xFF\xFF\xFF\xFF\xFF\xFF\xFF\ndata:a\n\ndata:b\n\n";
        assert_eq!(parse_cut(input, &[], 20), (vec![ev("message", "b", "1")], 1, "1".to_owned(), None));
        check_chunking_invariance(input, 20);
        let input = b"event:\xFF\xFF\xFF\xFF\xFF\xFF\xFF\ndata:a\n\ndata:b\n\n";
        assert_eq!(parse_cut(input, &[], 20), (vec![msg("b")], 1, String::new(), None));
    }

    #[test]
    fn an_id_that_fills_the_limit_can_still_be_reset() {
        // Invalid bytes triple when decoded: an ID could fill the whole budget, and then even the
        // `id` line resetting it would not fit. Whatever happens to it, the stream recovers.
        for max in 6..40 {
            for n in 0..max {
                let input = [&b"id:"[..], &vec![0xFF; n], b"\nid\n\ndata:a\n\n"].concat();
                let (events, _, id, _) = parse_cut(&input, &[], max);
                assert_eq!((events, id), (vec![msg("a")], String::new()), "max {max}, {n} invalid bytes");
            }
        }
    }

    /// The memory side: an id, a type and data each near the limit were all held at once (about
    /// 3x the limit, plus the carry buffer); now their sum is bounded.
    #[test]
    fn id_type_and_data_together_stay_within_the_limit() {
        let max = 2 << 20;
        let big = |field: &str| {
            let mut line = format!("{field}:").into_bytes();
            line.resize(line.len() + max * 3 / 4, b'z');
            line.push(b'\n');
            line
        };
        let input = [big("id"), big("event"), big("data"), b"\n".to_vec()].concat();
        let mut p = SseParser::with_max_event_size(max);
        let mut out = Vec::new();
        let mut errors = 0;
        for chunk in input.chunks(1024) {
            errors += usize::from(p.feed_into(chunk, &mut out).is_err());
            assert!(p.buffered_bytes() <= 2 * max, "{} bytes held", p.buffered_bytes());
        }
        assert_eq!((out.len(), errors), (0, 1));
        p.feed_into(b"data:ok\n\n", &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].id.len(), max * 3 / 4);
    }

    // ---- memory / throughput --------------------------------------------------------------------

    /// A ~20 MB Coze-like stream fed in 1 KB chunks: every event arrives intact, and the parser's
    /// memory stays flat (a few hundred bytes, the size of one event), never the stream size.
    #[test]
    fn twenty_megabytes_in_flat_memory() {
        let event = |n: usize| {
            format!(
                "event:conversation.message.delta\ndata:{{\"id\":\"74210000{n}\",\"conversation_id\":\"7421\",\"bot_id\":\"7400\",\"role\":\"assistant\",\"type\":\"answer\",\"content\":\"星期三，你好🙂 {n}\",\"content_type\":\"text\",\"chat_id\":\"7421\"}}\n\n"
            )
        };
        let mut stream = String::new();
        let mut count = 0;
        while stream.len() < 20_000_000 {
            stream.push_str(&event(count));
            count += 1;
        }
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let (mut seen, mut max_buffered) = (0, 0);
        for chunk in stream.as_bytes().chunks(1024) {
            out.clear();
            p.feed_into(chunk, &mut out).unwrap();
            for e in &out {
                assert_eq!(e.event, "conversation.message.delta");
                assert!(e.data.contains(&format!("\"content\":\"星期三，你好🙂 {seen}\"")), "{}", e.data);
                seen += 1;
            }
            max_buffered = max_buffered.max(p.buffered_bytes());
        }
        p.finish();
        assert_eq!(seen, count);
        assert!(count > 50_000);
        assert!(max_buffered <= 2048, "parser held {max_buffered} bytes");
    }

    /// In steady state, a chunk that completes no event must not allocate: the buffers keep their
    /// capacity (no regrowth) and nothing else on that path allocates.
    #[test]
    fn no_allocation_for_chunks_that_complete_no_event() {
        let event = "event:conversation.message.delta\ndata:{\"content\":\"星期三，你好🙂\"}\n\n";
        let mut p = SseParser::new();
        let mut out = Vec::with_capacity(4);
        let bytes = event.as_bytes();
        // Warm up the buffers (carry and data) with the same chunking as below.
        for _ in 0..3 {
            for chunk in bytes.chunks(7) {
                p.feed_into(chunk, &mut out).unwrap();
            }
        }
        // Cut the next event into pieces that end before its blank line.
        let before = (p.buffered_bytes(), out.len(), out.capacity());
        for chunk in bytes[..bytes.len() - 1].chunks(7) {
            p.feed_into(chunk, &mut out).unwrap();
            assert_eq!((p.buffered_bytes(), out.len(), out.capacity()), before);
        }
        p.feed_into(b"\n", &mut out).unwrap();
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn dataless_event_is_remembered_not_dispatched() {
        let mut p = SseParser::new();
        let events = p.feed(b"event: conversation.stream.done\r\n\r\n").unwrap();
        assert!(events.is_empty());
        assert_eq!(p.last_dataless_event_type(), "conversation.stream.done");
        // A following normal event doesn't inherit the type.
        let events = p.feed(b"data: x\n\n").unwrap();
        assert_eq!(events[0].event, "message");
    }

    #[test]
    fn long_data_lines_stream_into_data_with_the_same_result_however_cut() {
        // > STREAM_DATA_AT per line; Chinese, emoji, invalid bytes and a truncated sequence, so
        // cuts fall inside characters; leading-space variants; CRLF and CR line ends.
        let mut unit = Vec::new();
        unit.extend_from_slice("扣子 streaming 🚀 ".as_bytes());
        unit.extend_from_slice(b"\xFF\xE2\x82 ok \xF0\x9F");
        let body: Vec<u8> = unit.iter().copied().cycle().take(150_000).collect();
        let mut input = Vec::new();
        for (prefix, end) in [(&b"data: "[..], &b"\n"[..]), (b"data:", b"\r\n"), (b"data:  ", b"\r")] {
            input.extend_from_slice(b"event: big\n");
            input.extend_from_slice(prefix);
            input.extend_from_slice(&body);
            input.extend_from_slice(end);
            input.extend_from_slice(b"data: tail\n\n");
        }
        let whole = parse_cut(&input, &[], DEFAULT_MAX_EVENT_SIZE);
        assert_eq!(whole.0.len(), 3);
        assert!(whole.0[2].data.starts_with(' '), "only one leading space is stripped");
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for step in [1usize, 7, 4096, 65_535, 65_537, 100_000] {
            let mut cuts = Vec::new();
            let mut at = 0;
            while at < input.len() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                at += 1 + (seed as usize % (2 * step));
                if at < input.len() {
                    cuts.push(at);
                }
            }
            assert_eq!(parse_cut(&input, &cuts, DEFAULT_MAX_EVENT_SIZE), whole, "step {step}");
        }
        // The size limit drops the same events however the stream is cut (errors are counted per
        // chunk, so only whether one happened is compared).
        let outcome =
            |(events, errors, id, retry): (Vec<SseEvent>, usize, String, Option<u64>)| (events, errors > 0, id, retry);
        for max in [150_000, 150_020, 150_100, 450_000] {
            let whole = outcome(parse_cut(&input, &[], max));
            for step in [3usize, 30_000, 70_000] {
                let cuts: Vec<usize> = (step..input.len()).step_by(step).collect();
                assert_eq!(outcome(parse_cut(&input, &cuts, max)), whole, "max {max}, step {step}");
            }
        }
    }

    #[test]
    fn a_streamed_data_line_is_held_once() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed_into(b"data:", &mut out).unwrap();
        let chunk = [b'x'; 16 * 1024];
        for _ in 0..64 {
            p.feed_into(&chunk, &mut out).unwrap();
        }
        // 1 MiB of data so far: the carry holds at most one flush threshold plus a chunk.
        assert!(p.line.len() <= STREAM_DATA_AT + chunk.len(), "{}", p.line.len());
        assert_eq!(p.data.len() + p.line.len(), 1024 * 1024);
        p.feed_into(b"\n\n", &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data.len(), 1024 * 1024);
    }
}
