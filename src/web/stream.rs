//! `ReadableStream` chunks → SSE parser → chat events. Bytes are parsed as they arrive; each event
//! is yielded as soon as the chunk that completes it is in.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Promise, JSON};
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use super::http::{self, describe};
use super::{js, promise};
use crate::core::batch::{Batch, MAX_BATCHED_FIELD};
use crate::core::chat::{self, Disposition, DONE_DATA};
use crate::core::sse::{EventSink, SseParser};
use crate::core::{CozeError, ErrorCode, Result};

/// Opens the HTTP response when iteration starts (so creating a stream has no side effects).
pub type Opener = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response>>>>>;

struct State {
    opener: Option<Opener>,
    reader: Option<ReadableStreamDefaultReader>,
    signal: Option<AbortSignal>,
    logid: Option<String>,
    parser: SseParser,
    batch: Batch,
    chunk: Vec<u8>,
    events_seen: u64,
    finished: bool,
    /// Thrown on the next `check()`, after the parts before it have been yielded.
    pending_failure: Option<CozeError>,
}

/// The engine behind `client.chat.stream(...)`. JS (`chatIterable` in support.js) pumps the body
/// reader and serves `next()` from a queue; this decides what every byte means, synchronously per
/// chunk, so a chunk's events cost one wasm call and one string crossing.
#[wasm_bindgen]
pub struct ChatStream {
    state: Rc<RefCell<State>>,
}

impl ChatStream {
    pub fn new(opener: Opener, signal: Option<AbortSignal>) -> ChatStream {
        ChatStream {
            state: Rc::new(RefCell::new(State {
                opener: Some(opener),
                reader: None,
                signal,
                logid: None,
                parser: SseParser::new(),
                batch: Batch::new(),
                chunk: Vec::new(),
                events_seen: 0,
                finished: false,
                pending_failure: None,
            })),
        }
    }

    /// The JS async iterable over this stream.
    pub fn into_iterable(self) -> JsValue {
        js::chat_iterable(JsValue::from(self))
    }
}

#[wasm_bindgen]
impl ChatStream {
    /// Sends the request (first iteration only) → the body reader, or `undefined` once cancelled.
    pub fn open(&self) -> Promise {
        let state = self.state.clone();
        promise(async move {
            let Some(open) = state.borrow_mut().opener.take() else {
                return Ok(JsValue::UNDEFINED);
            };
            let response = match open().await {
                Ok(response) => response,
                Err(err) => {
                    close(&state);
                    return Err(err);
                }
            };
            let Some(body) = response.body() else {
                close(&state);
                return Err(CozeError::new(ErrorCode::InvalidResponse, "the event-stream response has no body"));
            };
            let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            let mut s = state.borrow_mut();
            s.logid = http::logid(&response);
            if s.finished {
                // cancel() ran while the request was in flight.
                js::ignore_rejection(&reader.cancel());
                return Ok(JsValue::UNDEFINED);
            }
            s.reader = Some(reader.clone());
            Ok(reader.into())
        })
    }

    /// `true` once the stream is over; throws the failure due after the parts already yielded.
    pub fn check(&self) -> Result<bool, JsValue> {
        let failure = self.state.borrow_mut().pending_failure.take();
        match failure {
            Some(err) => {
                close(&self.state);
                Err(err.into())
            }
            None => Ok(self.state.borrow().finished),
        }
    }

    /// One chunk of the body → the iterator results it completed (often none, sometimes many).
    pub fn feed(&self, chunk: JsValue) -> Result<Array, JsValue> {
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        if s.finished {
            return Ok(Array::new());
        }
        let bytes = js::copy_chunk(&chunk, &mut s.chunk).ok_or_else(|| {
            CozeError::new(ErrorCode::InvalidResponse, "a chunk of the response body is not a Uint8Array")
        })?;
        let mut sink = Deliver::new(&mut s.batch, &mut s.events_seen, &s.logid);
        let parsed = s.parser.feed_into(bytes, &mut sink);
        let (out, done, mut failure) = sink.finish();
        if failure.is_none() && !done {
            // EVENT_TOO_LARGE: the chunk's other events are yielded first.
            failure = parsed.err().map(|err| err.with_logid(s.logid.clone()));
        }
        s.pending_failure = failure;
        drop(guard);
        self.settle(out, done)
    }

    /// The body ended → what its end still yields; a stream without `done` fails (STREAM_TRUNCATED).
    pub fn end(&self) -> Result<Array, JsValue> {
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        if s.finished {
            return Ok(Array::new());
        }
        s.reader = None;
        let mut sink = Deliver::new(&mut s.batch, &mut s.events_seen, &s.logid);
        // Coze Studio may end with a data-less `conversation.stream.done`, which yields no event.
        if s.parser.last_dataless_event_type() == chat::EVENT_STUDIO_DONE {
            sink.event(chat::EVENT_STUDIO_DONE, &mut String::new(), "");
        }
        let (out, done, mut failure) = sink.finish();
        s.parser.finish(); // releases its buffers (an event still pending at EOF is discarded, per spec)
        if failure.is_none() && !done {
            failure = Some(chat::truncated(s.events_seen, None).with_logid(s.logid.clone()));
        }
        s.pending_failure = failure;
        drop(guard);
        self.settle(out, done)
    }

    /// A read of the body failed → the error to throw (ABORTED when the caller's signal fired).
    pub fn fail(&self, err: JsValue) -> JsValue {
        let error = {
            let s = self.state.borrow();
            if s.signal.as_ref().is_some_and(|sig| sig.aborted()) {
                http::aborted()
            } else {
                let cause = describe(&err);
                chat::truncated(s.events_seen, Some(&format!("connection lost ({cause})"))).with_logid(s.logid.clone())
            }
        };
        close(&self.state);
        error.into()
    }

    /// An event JS could not parse as the JSON it must be → the error to throw; the stream ends
    /// there (a failure due after it is dropped: this one comes first).
    pub fn malformed(&self, event: JsValue, raw: JsValue) -> JsValue {
        // JsValue, not &str: the glue would encode the strings before checking the receiver.
        let (event, raw) = (event.as_string().unwrap_or_default(), raw.as_string().unwrap_or_default());
        let error = chat::malformed_event(&event, &raw).with_logid(self.state.borrow().logid.clone());
        self.state.borrow_mut().pending_failure = None;
        close(&self.state);
        error.into()
    }

    /// Stops reading and cancels the response body (the server sees the connection close).
    pub fn cancel(&self) {
        close(&self.state);
    }
}

impl ChatStream {
    /// The results of one call: closes the stream after `done`; with nothing to yield, a failure
    /// that is due is thrown now rather than on the next call.
    fn settle(&self, out: Array, done: bool) -> Result<Array, JsValue> {
        if done {
            close(&self.state);
        }
        if out.length() == 0 {
            let failure = self.state.borrow_mut().pending_failure.take();
            if let Some(err) = failure {
                close(&self.state);
                return Err(err.into());
            }
        }
        Ok(out)
    }
}

/// Receives the parser's events (borrowed: nothing is copied but into the batch) and turns them
/// into iterator results, in order, up to `done` or a failure.
struct Deliver<'a> {
    batch: &'a mut Batch,
    events_seen: &'a mut u64,
    logid: &'a Option<String>,
    out: Array,
    done: bool,
    failure: Option<CozeError>,
}

impl<'a> Deliver<'a> {
    fn new(batch: &'a mut Batch, events_seen: &'a mut u64, logid: &'a Option<String>) -> Self {
        Deliver { batch, events_seen, logid, out: Array::new(), done: false, failure: None }
    }

    /// Hands the batched events to JS in one call.
    fn flush(&mut self) {
        if !self.batch.is_empty() {
            js::chat_parts(self.batch.text(), self.batch.meta(), &self.out);
            self.batch.clear();
        }
    }

    fn finish(mut self) -> (Array, bool, Option<CozeError>) {
        self.flush();
        (self.out, self.done, self.failure)
    }
}

impl EventSink for Deliver<'_> {
    fn event(&mut self, name: &str, data: &mut String, _id: &str) {
        if self.done || self.failure.is_some() {
            return;
        }
        *self.events_seen += 1;
        let disposition = chat::disposition(name);
        if matches!(disposition, Disposition::Json | Disposition::PassThrough) {
            let strict = disposition == Disposition::Json;
            if data.len() > MAX_BATCHED_FIELD {
                // Too big to copy into the batch: crosses on its own, parsed at yield like the rest.
                self.flush();
                self.out.push(&js::unparsed(name, data, strict));
            } else {
                self.batch.field(name);
                self.batch.field(data);
                self.batch.number(u32::from(strict));
            }
            return;
        }
        self.flush();
        let logid = self.logid.clone();
        match disposition {
            Disposition::Done => {
                self.out.push(&js::part(chat::EVENT_DONE, &JsValue::from_str(DONE_DATA)));
                self.done = true;
            }
            Disposition::ErrorEvent => {
                let (code, msg) = match JSON::parse(data) {
                    Ok(d) => (js::get(&d, "code").as_f64(), js::get(&d, "msg").as_string()),
                    Err(_) => (None, None),
                };
                self.failure = Some(chat::error_event(code, msg, data).with_logid(logid));
            }
            Disposition::ChatFailed => match JSON::parse(data) {
                Ok(parsed) => {
                    // A Chat object with `last_error`, or (per Coze's docs) a bare `{code, msg}`.
                    let last_error = js::get(&parsed, "last_error");
                    let source = if last_error.is_object() { &last_error } else { &parsed };
                    let (code, msg) = (js::get(source, "code").as_f64(), js::get(source, "msg").as_string());
                    self.out.push(&js::part(name, &parsed));
                    self.failure = Some(chat::chat_failed(code, msg, logid));
                }
                Err(_) => self.failure = Some(chat::malformed_event(name, data).with_logid(logid)),
            },
            Disposition::Json | Disposition::PassThrough => unreachable!(),
        }
    }
}

fn close(state: &Rc<RefCell<State>>) {
    let reader = {
        let mut s = state.borrow_mut();
        s.finished = true;
        s.opener = None;
        s.reader.take()
    };
    if let Some(reader) = reader {
        // Errors here mean the body already ended or errored; nothing left to release.
        js::ignore_rejection(&reader.cancel());
    }
}
