//! The chat stream engine: body chunks → SSE parser → chat events. The JS driver (`chatIterable`)
//! owns the body reader and serves `next()` from a queue; this decides what every byte means,
//! synchronously per chunk, so a chunk's events cost one wasm call and one string crossing.

use js_sys::Array;
use wasm_bindgen::JsValue;

use super::crossing::{Crossing, Records};
use super::js;
use crate::core::batch::Batch;
use crate::core::chat::{self, Disposition, DONE_DATA};
use crate::core::sse::{EventSink, SseParser};
use crate::core::{CozeError, ErrorCode};

/// What the driver asks of a stream (`Core.step`; support.js has the same numbers).
pub mod step {
    /// `a`: a body chunk → the iterator results it completed; once `done` is among them, the
    /// array says `finished: true` (the driver then releases the reader; no call of its own).
    pub const FEED: u32 = 0;
    /// The body ended → what its end still yields (`finished` as for FEED).
    pub const END: u32 = 1;
    /// → `true` once over; throws the failure due after the parts already yielded.
    pub const CHECK: u32 = 2;
    /// `a`: the logid, `b`: whether there is a body.
    pub const OPENED: u32 = 3;
    /// `a`: whether the caller's signal fired, `b`: the read's error text → throws.
    pub const FAIL: u32 = 4;
    /// `a`: the event, `b`: its data that is not JSON → throws.
    pub const MALFORMED: u32 = 5;
    /// The consumer stopped (`break`, abort).
    pub const CANCEL: u32 = 6;
}

/// Not a wasm-bindgen class: a stream lives in a `Core` and is driven through `Core.step`, one
/// export for all its operations (a class costs an export and a glue method per operation).
pub struct ChatStream {
    parser: SseParser,
    batch: Batch,
    /// Unused by chat records (they carry no ID); the crossing wants a place for one.
    id: JsValue,
    chunk: Vec<u8>,
    logid: Option<String>,
    events_seen: u64,
    finished: bool,
    /// Thrown on the next `check()`, after the parts before it have been yielded.
    pending_failure: Option<CozeError>,
}

impl Default for ChatStream {
    fn default() -> Self {
        Self::new()
    }
}

impl ChatStream {
    pub fn new() -> ChatStream {
        ChatStream {
            parser: SseParser::new(),
            batch: Batch::new(),
            id: JsValue::UNDEFINED,
            chunk: Vec::new(),
            logid: None,
            events_seen: 0,
            finished: false,
            pending_failure: None,
        }
    }

    fn fail_with(&mut self, err: CozeError) -> JsValue {
        self.finished = true;
        self.pending_failure = None;
        err.with_logid(self.logid.clone()).into()
    }
}

impl ChatStream {
    /// One operation of the driver's (`kind`: see [`step`]) → its value; errors are thrown.
    pub fn step(&mut self, kind: u32, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
        Ok(match kind {
            step::FEED => self.feed(a)?.into(),
            step::END => self.end()?.into(),
            step::CHECK => self.check()?.into(),
            step::OPENED => {
                self.opened(a.as_string(), b.is_truthy())?;
                JsValue::UNDEFINED
            }
            step::FAIL => return Err(self.fail(a.is_truthy(), &b.as_string().unwrap_or_default())),
            step::MALFORMED => return Err(self.malformed(a, b)),
            // step::CANCEL; any other number stops the stream too.
            _ => {
                self.cancel();
                JsValue::UNDEFINED
            }
        })
    }

    /// The response arrived: its logid, and whether it has a body to read.
    fn opened(&mut self, logid: Option<String>, has_body: bool) -> Result<(), JsValue> {
        self.logid = logid.filter(|l| !l.is_empty());
        if !has_body {
            return Err(self.fail_with(CozeError::new(ErrorCode::InvalidResponse, "the stream has no body")));
        }
        Ok(())
    }

    /// `true` once the stream is over; throws the failure due after the parts already yielded.
    fn check(&mut self) -> Result<bool, JsValue> {
        match self.pending_failure.take() {
            Some(err) => Err(self.fail_with(err)),
            None => Ok(self.finished),
        }
    }

    /// One chunk of the body → the iterator results it completed (often none, sometimes many).
    fn feed(&mut self, chunk: JsValue) -> Result<Array, JsValue> {
        if self.finished {
            return Ok(Array::new());
        }
        let Some(bytes) = js::copy_chunk(&chunk, &mut self.chunk) else {
            return Err(self.fail_with(CozeError::new(ErrorCode::InvalidResponse, "a body chunk is not a Uint8Array")));
        };
        let mut sink = Deliver::new(Crossing::new(&mut self.batch, Records::Chat, &mut self.id), &mut self.events_seen);
        let parsed = self.parser.feed_into(bytes, &mut sink);
        let (out, done, mut failure) = sink.finish();
        if failure.is_none() && !done {
            // EVENT_TOO_LARGE: the chunk's other events are yielded first.
            failure = parsed.err();
        }
        self.settle(out, done, failure)
    }

    /// The body ended → what its end still yields; a stream without `done` fails (STREAM_TRUNCATED).
    fn end(&mut self) -> Result<Array, JsValue> {
        if self.finished {
            return Ok(Array::new());
        }
        let mut sink = Deliver::new(Crossing::new(&mut self.batch, Records::Chat, &mut self.id), &mut self.events_seen);
        // Coze Studio may end with a data-less `conversation.stream.done`, which yields no event.
        if self.parser.last_dataless_event_type() == chat::EVENT_STUDIO_DONE {
            sink.event(chat::EVENT_STUDIO_DONE, &mut String::new(), None);
        }
        let (out, done, mut failure) = sink.finish();
        self.parser = SseParser::new(); // releases its buffers (a pending event is discarded, per spec)
        if failure.is_none() && !done {
            failure = Some(chat::truncated(self.events_seen, None));
        }
        self.settle(out, done, failure)
    }

    /// A read of the body failed → the error to throw (ABORTED when the caller's signal fired).
    fn fail(&mut self, aborted: bool, cause: &str) -> JsValue {
        let err = if aborted {
            CozeError::new(ErrorCode::Aborted, "aborted")
        } else {
            chat::truncated(self.events_seen, Some(&["connection lost (", cause, ")"].concat()))
        };
        self.fail_with(err)
    }

    /// An event JS could not parse as the JSON it must be → the error to throw; the stream ends.
    fn malformed(&mut self, event: JsValue, raw: JsValue) -> JsValue {
        let (event, raw) = (event.as_string().unwrap_or_default(), raw.as_string().unwrap_or_default());
        self.fail_with(chat::malformed_event(&event, &raw))
    }

    /// The consumer stopped (`break`, abort): nothing more is parsed.
    fn cancel(&mut self) {
        self.finished = true;
        self.pending_failure = None;
    }
}

impl ChatStream {
    /// Closes the stream after `done`; with nothing to yield, a failure that is due is thrown now.
    fn settle(&mut self, out: Array, done: bool, failure: Option<CozeError>) -> Result<Array, JsValue> {
        self.finished |= done;
        if done {
            // `done` is in: the driver releases the body now.
            let _ = js_sys::Reflect::set(&out, &"finished".into(), &JsValue::TRUE);
        }
        self.pending_failure = failure;
        if out.length() == 0 {
            if let Some(err) = self.pending_failure.take() {
                return Err(self.fail_with(err));
            }
        }
        Ok(out)
    }
}

/// Receives the parser's events (borrowed: nothing is copied but into the crossing) and turns
/// them into iterator results, in order, up to `done` or a failure.
struct Deliver<'a> {
    crossing: Crossing<'a>,
    events_seen: &'a mut u64,
    done: bool,
    failure: Option<CozeError>,
}

impl<'a> Deliver<'a> {
    fn new(crossing: Crossing<'a>, events_seen: &'a mut u64) -> Self {
        Deliver { crossing, events_seen, done: false, failure: None }
    }

    fn finish(self) -> (Array, bool, Option<CozeError>) {
        (self.crossing.finish(), self.done, self.failure)
    }
}

impl EventSink for Deliver<'_> {
    fn event(&mut self, name: &str, data: &mut String, _id: Option<&str>) {
        if self.done || self.failure.is_some() {
            return;
        }
        *self.events_seen += 1;
        let disposition = chat::disposition(name);
        if matches!(disposition, Disposition::Json | Disposition::PassThrough) {
            self.crossing.chat(name, data, disposition == Disposition::Json);
            return;
        }
        self.crossing.flush();
        match disposition {
            Disposition::Done => {
                self.crossing.push(&js::part(chat::EVENT_DONE, &JsValue::from_str(DONE_DATA)));
                self.done = true;
            }
            Disposition::ErrorEvent => self.failure = Some(chat::error_event(data)),
            Disposition::ChatFailed => match chat::chat_failed(data) {
                Ok(failure) => {
                    // Yielded (the page may show it), then the stream fails.
                    self.crossing.push(&js::unparsed(name, data, true));
                    self.failure = Some(failure);
                }
                Err(malformed) => self.failure = Some(malformed),
            },
            Disposition::Json | Disposition::PassThrough => unreachable!(),
        }
    }
}
