//! `ReadableStream` reader → SSE parser → chat events, one `next()` at a time.
//! Bytes are parsed as they arrive; each event is yielded as soon as its bytes are in.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Response};

use super::http::{self, copy_chunk, describe};
use super::js;
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
    queue: VecDeque<SseEvent>,
    scratch: Vec<SseEvent>,
    chunk: Vec<u8>,
    events_seen: u64,
    body_ended: bool,
    finished: bool,
    /// Set after `conversation.chat.failed` has been yielded: thrown on the next pull.
    pending_failure: Option<CozeError>,
    busy: bool,
}

/// The engine behind `client.chat.stream(...)`; JS sees it wrapped as an async iterable.
#[wasm_bindgen]
pub struct ChatStream {
    state: Rc<RefCell<State>>,
}

enum Step {
    Yield(JsValue),
    Fail(CozeError),
    Done,
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
                queue: VecDeque::new(),
                scratch: Vec::new(),
                chunk: Vec::new(),
                events_seen: 0,
                body_ended: false,
                finished: false,
                pending_failure: None,
                busy: false,
            })),
        }
    }

    /// The JS async iterable over this stream.
    pub fn into_iterable(self) -> JsValue {
        js::async_iterable(JsValue::from(self))
    }
}

#[wasm_bindgen]
impl ChatStream {
    /// Async-iterator `next()`: resolves `{value: {event, data}, done: false}` or `{done: true}`.
    /// `pull` hands back the finished iterator result, built in one JS call per event.
    pub fn next(&self) -> Promise {
        let state = self.state.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            {
                let mut s = state.borrow_mut();
                if s.busy {
                    return Err(CozeError::invalid_argument(
                        "next() called while the previous next() is still pending; await each one",
                    )
                    .into());
                }
                s.busy = true;
            }
            let result = pull(&state).await;
            state.borrow_mut().busy = false;
            match result {
                Ok(Some(result)) => Ok(result),
                Ok(None) => Ok(js::finished()),
                Err(err) => {
                    close(&state);
                    Err(err.into())
                }
            }
        })
    }

    /// Stops reading and cancels the response body (the server sees the connection close).
    pub fn cancel(&self) -> Promise {
        close(&self.state);
        Promise::resolve(&JsValue::UNDEFINED)
    }
}

fn close(state: &Rc<RefCell<State>>) {
    let reader = {
        let mut s = state.borrow_mut();
        s.finished = true;
        s.opener = None;
        s.queue.clear();
        s.reader.take()
    };
    if let Some(reader) = reader {
        // Errors here mean the body already ended or errored; nothing left to release.
        js::ignore_rejection(&reader.cancel());
    }
}

async fn pull(state: &Rc<RefCell<State>>) -> Result<Option<JsValue>> {
    loop {
        let (queued, failure, finished) = {
            let mut s = state.borrow_mut();
            let failure = s.pending_failure.take();
            let queued = if failure.is_none() { s.queue.pop_front() } else { None };
            (queued, failure, s.finished)
        };
        if let Some(err) = failure {
            return Err(err);
        }
        if finished {
            return Ok(None);
        }
        if let Some(event) = queued {
            match handle_event(state, event) {
                Step::Yield(value) => return Ok(Some(value)),
                Step::Fail(err) => return Err(err),
                Step::Done => {
                    close(state);
                    return Ok(Some(done_event()));
                }
            }
        }
        {
            let s = state.borrow();
            if s.body_ended {
                return Err(chat::truncated(s.events_seen, None).with_logid(s.logid.clone()));
            }
        }
        read_more(state).await?;
    }
}

fn done_event() -> JsValue {
    js::part(chat::EVENT_DONE, &JsValue::from_str(DONE_DATA))
}

/// Decides what one event means; `Yield` carries the finished iterator result.
fn handle_event(state: &Rc<RefCell<State>>, event: SseEvent) -> Step {
    let mut s = state.borrow_mut();
    s.events_seen += 1;
    let name = event.event.as_str();
    match chat::disposition(name) {
        Disposition::Done => Step::Done,
        // The common case (every delta): parse and wrap in one JS call.
        Disposition::Json => match js::parsed_part(name, &event.data) {
            part if part.is_undefined() => Step::Fail(chat::malformed_event(name, &event.data).with_logid(s.logid.clone())),
            part => Step::Yield(part),
        },
        Disposition::PassThrough => match js::parsed_part(name, &event.data) {
            part if part.is_undefined() => Step::Yield(js::part(name, &JsValue::from_str(&event.data))),
            part => Step::Yield(part),
        },
        Disposition::ErrorEvent => {
            let (code, msg) = match JSON::parse(&event.data) {
                Ok(d) => (js::get(&d, "code").as_f64(), js::get(&d, "msg").as_string()),
                Err(_) => (None, None),
            };
            Step::Fail(chat::error_event(code, msg, &event.data).with_logid(s.logid.clone()))
        }
        Disposition::ChatFailed => match JSON::parse(&event.data) {
            Ok(data) => {
                // A Chat object with `last_error`, or (per Coze's docs) a bare `{code, msg}`.
                let last_error = js::get(&data, "last_error");
                let source = if last_error.is_object() { &last_error } else { &data };
                let (code, msg) = (js::get(source, "code").as_f64(), js::get(source, "msg").as_string());
                s.pending_failure = Some(chat::chat_failed(code, msg, s.logid.clone()));
                Step::Yield(js::part(name, &data))
            }
            Err(_) => Step::Fail(chat::malformed_event(name, &event.data).with_logid(s.logid.clone())),
        },
    }
}

/// Opens the response on first use, then reads one chunk into the parser.
async fn read_more(state: &Rc<RefCell<State>>) -> Result<()> {
    let opener = state.borrow_mut().opener.take();
    if let Some(open) = opener {
        let response = open().await?;
        let Some(body) = response.body() else {
            return Err(CozeError::new(ErrorCode::InvalidResponse, "the event-stream response has no body"));
        };
        let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
        let mut s = state.borrow_mut();
        s.logid = http::logid(&response);
        if s.finished {
            // cancel() ran while the request was in flight.
            js::ignore_rejection(&reader.cancel());
            return Ok(());
        }
        s.reader = Some(reader);
    }
    let (reader, signal) = {
        let s = state.borrow();
        match &s.reader {
            Some(r) => (r.clone(), s.signal.clone()),
            None => return Ok(()), // closed meanwhile
        }
    };
    let read = JsFuture::from(reader.read()).await;
    let mut s = state.borrow_mut();
    if s.finished {
        return Ok(());
    }
    let result = match read {
        Ok(result) => result,
        Err(err) => {
            if signal.as_ref().is_some_and(|sig| sig.aborted()) {
                return Err(http::aborted());
            }
            let cause = describe(&err);
            return Err(chat::truncated(s.events_seen, Some(&format!("connection lost ({cause})")))
                .with_logid(s.logid.clone()));
        }
    };
    if js::get(&result, "done").is_truthy() {
        s.body_ended = true;
        s.reader = None;
        // Coze Studio may end with a data-less `conversation.stream.done`, which yields no event.
        let studio_done = s.parser.last_dataless_event_type() == chat::EVENT_STUDIO_DONE;
        let tail = s.parser.finish();
        s.queue.extend(tail);
        if studio_done {
            s.queue.push_back(SseEvent { event: chat::EVENT_STUDIO_DONE.to_owned(), ..SseEvent::default() });
        }
        return Ok(());
    }
    let value: Uint8Array = js::get(&result, "value").unchecked_into();
    let State { parser, chunk, scratch, queue, .. } = &mut *s;
    let bytes = copy_chunk(&value, chunk);
    parser.feed_into(bytes, scratch)?;
    queue.extend(scratch.drain(..));
    Ok(())
}
