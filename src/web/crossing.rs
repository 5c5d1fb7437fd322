//! A chunk's events on their way to JS — the one batching sink of the chat stream and of
//! `SseParser.feed`. Records are concatenated into one string crossing (`core::batch`) that JS cuts
//! apart (`records` in support.js); a record too big to copy crosses on its own, after a flush, so
//! the order holds.

use js_sys::Array;
use wasm_bindgen::JsValue;

use super::js;
use crate::core::batch::{Batch, MAX_BATCHED_FIELD};

/// What JS makes of each record.
#[derive(Clone, Copy, PartialEq)]
pub enum Records {
    /// A chat event: its JSON is parsed when it is yielded (strict: it must be JSON).
    Chat,
    /// `SseParser.feed`'s `{event, data, id}`.
    Sse,
}

pub struct Crossing<'a> {
    batch: &'a mut Batch,
    kind: Records,
    /// The last-event-ID as a JS string (SSE): it crosses once when it changes, not per event.
    id: &'a mut JsValue,
    pub out: Array,
}

impl<'a> Crossing<'a> {
    pub fn new(batch: &'a mut Batch, kind: Records, id: &'a mut JsValue) -> Self {
        Crossing { batch, kind, id, out: Array::new() }
    }

    /// A chat event; `strict`: its data must be JSON.
    pub fn chat(&mut self, event: &str, data: &str, strict: bool) {
        if data.len() > MAX_BATCHED_FIELD {
            self.push(&js::unparsed(event, data, strict));
            return;
        }
        self.batch.field(event);
        self.batch.field(data);
        self.batch.number(u32::from(strict));
    }

    /// An SSE event; `id`: the new last-event-ID, when it changed.
    pub fn sse(&mut self, event: &str, data: &str, id: Option<&str>) {
        if data.len() > MAX_BATCHED_FIELD || id.is_some_and(|id| id.len() > MAX_BATCHED_FIELD) {
            self.flush();
            if let Some(id) = id {
                *self.id = JsValue::from_str(id);
            }
            self.out.push(&js::sse_event(event, data, self.id));
            return;
        }
        self.batch.field(event);
        self.batch.field(data);
        match id {
            // 0: the ID is unchanged; else its UTF-16 length + 1, its text after the data.
            Some(id) => {
                self.batch.field(id);
                let meta = self.batch.meta_mut();
                let last = meta.len() - 1;
                meta[last] += 1;
            }
            None => self.batch.number(0),
        }
    }

    /// A value that crosses on its own, after what is batched.
    pub fn push(&mut self, value: &JsValue) {
        self.flush();
        self.out.push(value);
    }

    /// Hands the batched records to JS in one call.
    pub fn flush(&mut self) {
        if !self.batch.is_empty() {
            let chat = self.kind == Records::Chat;
            *self.id = js::records(self.batch.text(), self.batch.meta(), &self.out, self.id, chat);
            self.batch.clear();
        }
    }

    pub fn finish(mut self) -> Array {
        self.flush();
        self.out
    }
}
