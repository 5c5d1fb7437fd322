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
use crate::core::sse::{SseEvent, SseParser};
use crate::core::{CozeError, ErrorCode, Result};

/// Opens the HTTP response when iteration starts (so creating a stream has no side effects).
pub type Opener = Box<dyn FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response>>>>>;

struct State {
    opener: Option<Opener>,
    reader: Option<ReadableStreamDefaultReader>,
    signal: Option<AbortSignal>,
    logid: Option<String>,
    parser: SseParser,
    /// Events the parser completed from the current chunk.
    parsed: Vec<SseEvent>,
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
                parsed: Vec::new(),
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
        let parsed = s.parser.feed_into(bytes, &mut s.parsed);
        let logid = s.logid.clone();
        drop(guard);
        // EVENT_TOO_LARGE: the chunk's other events are still yielded first.
        self.deliver(parsed.err().map(|err| err.with_logid(logid)))
    }

    /// The body ended → what its end still yields; a stream without `done` fails (STREAM_TRUNCATED).
    pub fn end(&self) -> Result<Array, JsValue> {
        {
            let mut guard = self.state.borrow_mut();
            let s = &mut *guard;
            if s.finished {
                return Ok(Array::new());
            }
            s.reader = None;
            // Coze Studio may end with a data-less `conversation.stream.done`, which yields no event.
            let studio_done = s.parser.last_dataless_event_type() == chat::EVENT_STUDIO_DONE;
            s.parsed.extend(s.parser.finish());
            if studio_done {
                s.parsed.push(SseEvent { event: chat::EVENT_STUDIO_DONE.to_owned(), ..SseEvent::default() });
            }
        }
        let out = self.deliver(None)?;
        let mut s = self.state.borrow_mut();
        if !s.finished && s.pending_failure.is_none() {
            let err = chat::truncated(s.events_seen, None).with_logid(s.logid.clone());
            if out.length() == 0 {
                drop(s);
                close(&self.state);
                return Err(err.into());
            }
            s.pending_failure = Some(err);
        }
        Ok(out)
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
    /// Turns the parsed events into iterator results, in order, up to the end or a failure;
    /// `failure` (from the parser) comes after them.
    fn deliver(&self, failure: Option<CozeError>) -> Result<Array, JsValue> {
        let out = Array::new();
        let mut guard = self.state.borrow_mut();
        let s = &mut *guard;
        let mut parsed = std::mem::take(&mut s.parsed);
        let mut done = false;
        for event in parsed.drain(..) {
            if done || s.pending_failure.is_some() {
                break;
            }
            s.events_seen += 1;
            let name = event.event.as_str();
            let disposition = chat::disposition(name);
            if matches!(disposition, Disposition::Json | Disposition::PassThrough)
                && event.data.len() > MAX_BATCHED_FIELD
            {
                flush(s, &out);
                match js::chat_part(name, &event.data, disposition == Disposition::Json) {
                    part if part.is_undefined() => {
                        s.pending_failure = Some(chat::malformed_event(name, &event.data).with_logid(s.logid.clone()));
                    }
                    part => {
                        out.push(&part);
                    }
                }
                continue;
            }
            if matches!(disposition, Disposition::Json | Disposition::PassThrough) {
                s.batch.field(name);
                s.batch.field(&event.data);
                s.batch.number(u32::from(disposition == Disposition::Json));
                continue;
            }
            flush(s, &out);
            match disposition {
                Disposition::Done => {
                    out.push(&js::part(chat::EVENT_DONE, &JsValue::from_str(DONE_DATA)));
                    done = true;
                }
                Disposition::ErrorEvent => {
                    let (code, msg) = match JSON::parse(&event.data) {
                        Ok(d) => (js::get(&d, "code").as_f64(), js::get(&d, "msg").as_string()),
                        Err(_) => (None, None),
                    };
                    s.pending_failure = Some(chat::error_event(code, msg, &event.data).with_logid(s.logid.clone()));
                }
                Disposition::ChatFailed => match JSON::parse(&event.data) {
                    Ok(data) => {
                        // A Chat object with `last_error`, or (per Coze's docs) a bare `{code, msg}`.
                        let last_error = js::get(&data, "last_error");
                        let source = if last_error.is_object() { &last_error } else { &data };
                        let (code, msg) = (js::get(source, "code").as_f64(), js::get(source, "msg").as_string());
                        out.push(&js::part(name, &data));
                        s.pending_failure = Some(chat::chat_failed(code, msg, s.logid.clone()));
                    }
                    Err(_) => {
                        s.pending_failure = Some(chat::malformed_event(name, &event.data).with_logid(s.logid.clone()));
                    }
                },
                Disposition::Json | Disposition::PassThrough => unreachable!(),
            }
        }
        flush(s, &out);
        parsed.clear();
        s.parsed = parsed; // keep the allocation
        if !done && s.pending_failure.is_none() {
            s.pending_failure = failure;
        }
        drop(guard);
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

/// Hands the batched JSON events to JS in one call.
fn flush(s: &mut State, out: &Array) {
    if s.batch.is_empty() {
        return;
    }
    js::chat_parts(s.batch.text(), s.batch.meta(), out);
    s.batch.clear();
}

fn close(state: &Rc<RefCell<State>>) {
    let reader = {
        let mut s = state.borrow_mut();
        s.finished = true;
        s.opener = None;
        s.parsed.clear();
        s.reader.take()
    };
    if let Some(reader) = reader {
        // Errors here mean the body already ended or errored; nothing left to release.
        js::ignore_rejection(&reader.cancel());
    }
}
