//! Incremental `text/event-stream` (Server-Sent Events) parser, following the HTML Living Standard,
//! "Interpreting an event stream".
//!
//! Feed it the response body chunk by chunk, as the bytes arrive; it yields every event the chunk
//! completed. Chunk boundaries may fall anywhere (inside a CRLF, a BOM, a UTF-8 character): the
//! events are the same as if the whole stream had been fed at once.
//!
//! Performance: each byte is scanned for a line end once, word-at-a-time. Lines that lie inside a
//! chunk are parsed in place; only a line that spans chunks is copied into a carry buffer, and a
//! long `data:` line is decoded into the event's data as it grows (the carry keeps at most
//! `STREAM_DATA_AT` bytes of it), so a huge event is held once, not twice. Memory is bounded by the
//! largest event (and capped by `max_event_size`), never by the stream.
//!
//! Pure Rust (std + alloc only): tested natively, compiled to wasm.

use crate::core::error::{CozeError, ErrorCode};

/// Default cap on one event (pending line + data buffer), in bytes.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

/// Buffers that grew past this (one huge event) are shrunk back afterwards, so a single outlier
/// does not pin megabytes for the rest of the stream.
const KEEP_CAPACITY: usize = 64 * 1024;

/// A `data:` line carried past this many bytes is decoded into the data buffer as it arrives.
/// Tiny under test and fuzzing, so every chunk-splitting test and fuzz input exercises that path.
const STREAM_DATA_AT: usize = if cfg!(any(test, fuzzing)) { 8 } else { 64 * 1024 };

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Where dispatched events go. `Vec<SseEvent>` collects owned events; a consumer that only needs
/// to look at each event (the chat stream engine) implements it and copies nothing.
pub trait EventSink {
    /// One event: its type (`"message"` when none was given), its data (the trailing "\n" already
    /// stripped; the sink may take the buffer) and the last-event-ID buffer.
    fn event(&mut self, event: &str, data: &mut String, id: &str);
}

impl EventSink for Vec<SseEvent> {
    fn event(&mut self, event: &str, data: &mut String, id: &str) {
        // A huge event's buffer is handed over instead of copied; usual ones are copied, keeping
        // the parser's buffer warm for the next event.
        let data = if data.capacity() > KEEP_CAPACITY { core::mem::take(data) } else { data.clone() };
        self.push(SseEvent { event: event.to_owned(), data, id: id.to_owned() });
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

/// Incremental event-stream parser. See the module docs.
#[derive(Clone, Debug)]
pub struct SseParser {
    max_event_size: usize,
    /// Carry buffer: the start of a line whose end has not arrived yet.
    line: Vec<u8>,
    data: String,
    event_type: String,
    last_event_id: String,
    retry: Option<u64>,
    /// How many bytes of a leading BOM have been seen (and held back) so far.
    bom_matched: u8,
    /// The start of the stream is past: no BOM can follow any more.
    bom_done: bool,
    /// The last line ended with CR at the very end of a chunk: an LF that starts the next chunk
    /// is the second half of that CRLF, not another (empty) line.
    pending_cr: bool,
    /// The type of the last blank-line dispatch that had no data (and so yielded no event).
    dataless_event_type: String,
    /// After an oversize error: drop lines until the blank line that ends the offending event.
    skipping: bool,
    /// While skipping: the current (unterminated) line already had bytes, so it is not blank.
    skip_line_nonempty: bool,
    /// The carried line is a `data:` line being decoded as it arrives: `line` holds only its
    /// not-yet-decoded value bytes (at most an incomplete UTF-8 sequence after a flush).
    streaming: bool,
    /// While streaming: raw bytes of the line already moved out of `line` (prefix included).
    streamed_raw: usize,
    /// While streaming: the data buffer's length before this line (what the size limit adds to).
    stream_base: usize,
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

    /// `max` bounds the bytes of the pending line plus the event's data buffer. An event that
    /// exceeds it makes `feed`/`feed_into` fail with `EVENT_TOO_LARGE`.
    pub fn with_max_event_size(max: usize) -> Self {
        Self {
            max_event_size: max,
            line: Vec::new(),
            data: String::new(),
            event_type: String::new(),
            last_event_id: String::new(),
            retry: None,
            bom_matched: 0,
            bom_done: false,
            pending_cr: false,
            dataless_event_type: String::new(),
            skipping: false,
            skip_line_nonempty: false,
            streaming: false,
            streamed_raw: 0,
            stream_base: 0,
        }
    }

    pub fn max_event_size(&self) -> usize {
        self.max_event_size
    }

    /// Parse one chunk; push every event this chunk completed onto `out` (never earlier ones again).
    ///
    /// On an oversize event this returns `EVENT_TOO_LARGE`, after still parsing the rest of the
    /// chunk: the offending event is dropped (its buffers are cleared and its remaining lines are
    /// skipped up to its terminating blank line), every other event of the chunk is in `out`, and
    /// the parser stays usable. The ID and retry fields it had already set remain set. At most one
    /// error is reported per chunk.
    pub fn feed_into(&mut self, chunk: &[u8], out: &mut dyn EventSink) -> Result<(), CozeError> {
        let mut rest = chunk;
        if !self.bom_done {
            rest = self.consume_bom(rest);
        }
        if self.pending_cr {
            if let Some((&first, tail)) = rest.split_first() {
                self.pending_cr = false;
                if first == b'\n' {
                    rest = tail;
                }
            }
        }
        let mut error = None;
        while let Some(i) = find_eol(rest) {
            let mut next = i + 1;
            if rest[i] == b'\r' {
                match rest.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.pending_cr = true,
                }
            }
            self.end_line(&rest[..i], out, &mut error);
            rest = &rest[next..];
        }
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
        self.feed_into(chunk, &mut out)?;
        Ok(out)
    }

    /// End of stream. Returns the events still produced at EOF and resets the parser to a fresh
    /// state (same max size; the next stream may start with a BOM again; the last event ID and
    /// retry are cleared too, so read them first).
    ///
    /// This always returns no events, by design:
    /// - per spec, at EOF "any pending data must be discarded": an event without its terminating
    ///   blank line is never dispatched, and a final line without a line end is not a line at all;
    /// - a CR at the end of the stream does terminate a line, but `feed` already processed that line
    ///   when it saw the CR (CR alone is a complete line end; the pending-CR flag only swallows a
    ///   following LF). So `"data:x\n\r"` dispatched during `feed`, and nothing is left for EOF.
    pub fn finish(&mut self) -> Vec<SseEvent> {
        *self = Self::with_max_event_size(self.max_event_size);
        Vec::new()
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

    /// Strip a BOM at the very start of the stream, even if it arrives split across chunks.
    fn consume_bom<'a>(&mut self, mut rest: &'a [u8]) -> &'a [u8] {
        while let Some((&b, tail)) = rest.split_first() {
            let matched = usize::from(self.bom_matched);
            if b != BOM[matched] {
                // Not a BOM after all: the bytes held back are ordinary content of the first line.
                self.line.extend_from_slice(&BOM[..matched]);
                self.bom_done = true;
                return rest;
            }
            rest = tail;
            self.bom_matched += 1;
            if self.bom_matched == 3 {
                self.bom_done = true;
                return rest;
            }
        }
        rest
    }

    /// A line end arrived; `head` is the part of the line inside the current chunk.
    fn end_line(&mut self, head: &[u8], out: &mut dyn EventSink, error: &mut Option<CozeError>) {
        if self.skipping {
            // The blank line that ends the oversize event ends the skipping, without a dispatch.
            if head.is_empty() && !self.skip_line_nonempty {
                self.skipping = false;
            }
            self.skip_line_nonempty = false;
            return;
        }
        // Checking the whole line length (not just the part that arrived last) keeps the error
        // independent of how the stream was chunked.
        if self.over_limit(self.streamed_raw + self.line.len() + head.len()) {
            self.fail(error, false);
            return;
        }
        if self.streaming {
            // The rest of a data line whose start is already decoded into `data`.
            self.line.extend_from_slice(head);
            push_lossy(&mut self.data, &self.line);
            self.data.push('\n');
            self.end_streaming();
        } else if self.line.is_empty() {
            // Fast path: the line lies inside this chunk, parse it in place.
            self.process_line(head, out);
        } else {
            self.line.extend_from_slice(head);
            let line = core::mem::take(&mut self.line); // moves the Vec, no allocation
            self.process_line(&line, out);
            self.line = line;
            self.line.clear();
            if self.line.capacity() > KEEP_CAPACITY {
                self.line.shrink_to(KEEP_CAPACITY);
            }
        }
        // The check above counts raw bytes, but decoding can grow the data (one invalid byte
        // becomes a 3-byte U+FFFD). Without this, the data buffer could reach 3x the limit, and
        // the blank line would then trip the check and start a skip that ate the next event.
        if self.data.len() > self.max_event_size {
            self.fail(error, false);
        }
    }

    /// The chunk ended mid-line: keep the partial line for the next chunk.
    fn carry(&mut self, rest: &[u8], error: &mut Option<CozeError>) {
        if rest.is_empty() {
            return;
        }
        if self.skipping {
            self.skip_line_nonempty = true;
            return;
        }
        // Checked before copying, so the carry buffer never grows past the limit.
        if self.over_limit(self.streamed_raw + self.line.len() + rest.len()) {
            self.fail(error, true);
            return;
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > STREAM_DATA_AT {
            self.stream_data_line();
        }
    }

    /// A long carried line: if it is a `data:` line, decode what has arrived into `data` now
    /// (holding back an incomplete UTF-8 sequence), so the line is not held a second time.
    fn stream_data_line(&mut self) {
        let mut start = 0;
        if !self.streaming {
            let Some(colon) = self.line.iter().position(|&b| b == b':') else { return };
            if &self.line[..colon] != b"data" || colon + 1 == self.line.len() {
                return; // other fields are short in practice and stay carried whole
            }
            // The value is not empty (the line is long), so its one optional leading space is known.
            start = colon + 1 + usize::from(self.line.get(colon + 1) == Some(&b' '));
            self.streaming = true;
            self.stream_base = self.data.len();
        }
        let end = self.line.len() - incomplete_utf8_suffix(&self.line[start..]);
        push_lossy(&mut self.data, &self.line[start..end]);
        self.streamed_raw += end;
        self.line.drain(..end);
    }

    fn end_streaming(&mut self) {
        self.streaming = false;
        self.streamed_raw = 0;
        self.line.clear();
        if self.line.capacity() > KEEP_CAPACITY {
            self.line.shrink_to(KEEP_CAPACITY);
        }
    }

    /// The event's data before the current line: what a line's length is added to for the limit.
    fn over_limit(&self, line_len: usize) -> bool {
        let data = if self.streaming { self.stream_base } else { self.data.len() };
        line_len.saturating_add(data) > self.max_event_size
    }

    /// Drop the offending event and skip the rest of it. `mid_line`: the failing line has not
    /// ended yet, so its remaining bytes (whatever they look like) are not a blank line.
    fn fail(&mut self, error: &mut Option<CozeError>, mid_line: bool) {
        if error.is_none() {
            *error = Some(CozeError::new(
                ErrorCode::EventTooLarge,
                format!("SSE event exceeds the maximum size of {} bytes", self.max_event_size),
            ));
        }
        self.end_streaming();
        self.line.shrink_to(KEEP_CAPACITY);
        self.data.clear();
        self.data.shrink_to(KEEP_CAPACITY);
        self.event_type.clear();
        self.skipping = true;
        self.skip_line_nonempty = mid_line;
    }

    /// One complete line, without its line end.
    fn process_line(&mut self, line: &[u8], out: &mut dyn EventSink) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // comment (Coze Studio's `: keep-alive`)
        }
        // Splitting the bytes at the first ':' then decoding each side equals decoding the line
        // first: an ASCII byte is never part of an invalid sequence, so it never becomes U+FFFD.
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        // Field names are case-sensitive; non-UTF-8 names match nothing, so compare bytes.
        match field {
            b"data" => {
                push_lossy(&mut self.data, value);
                self.data.push('\n');
            }
            b"event" => {
                self.event_type.clear();
                push_lossy(&mut self.event_type, value);
            }
            // An id containing NUL is ignored entirely (the old id stays).
            b"id" if !value.contains(&0) => {
                self.last_event_id.clear();
                push_lossy(&mut self.last_event_id, value);
            }
            // Only non-empty all-ASCII-digit values count; others are ignored.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Absurdly long digit strings saturate rather than being ignored.
                let ms = value.iter().fold(0u64, |acc, &d| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                self.retry = Some(ms);
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut dyn EventSink) {
        if !self.data.is_empty() {
            // Non-empty data always ends with the "\n" its last data line appended: strip it.
            self.data.pop();
            let event = if self.event_type.is_empty() { "message" } else { self.event_type.as_str() };
            out.event(event, &mut self.data, &self.last_event_id);
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
    }
}

/// Append `bytes` decoded as UTF-8, replacing each maximal invalid subpart with U+FFFD exactly like
/// `TextDecoder` does. No allocation beyond `dst` growing.
fn push_lossy(dst: &mut String, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        dst.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            dst.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// Length of the incomplete (but so far valid) UTF-8 sequence that `bytes` ends with, if any: the
/// bytes to hold back until the rest of the character arrives. Decoding up to there and the rest
/// later gives exactly what decoding the whole would.
fn incomplete_utf8_suffix(bytes: &[u8]) -> usize {
    match bytes.utf8_chunks().last() {
        Some(chunk) if !chunk.invalid().is_empty() => match core::str::from_utf8(chunk.invalid()) {
            Err(e) if e.error_len().is_none() => chunk.invalid().len(),
            _ => 0,
        },
        _ => 0,
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
        out.extend(p.finish());
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
        out.extend(p.finish());
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
            assert_eq!(p.feed(input).unwrap(), vec![]);
            assert_eq!(p.finish(), vec![], "{:?}", String::from_utf8_lossy(input));
        }
        // Complete events before the partial one were emitted by feed, exactly once.
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"data:a\n\ndata:b").unwrap(), vec![msg("a")]);
        assert_eq!(p.finish(), vec![]);
        // A trailing CR is a line end: "data:x\n\r" completes the event during feed.
        let mut p = SseParser::new();
        assert_eq!(p.feed(b"data:x\n\r").unwrap(), vec![msg("x")]);
        assert_eq!(p.finish(), vec![]);
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
        assert!(p.finish().is_empty());
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
