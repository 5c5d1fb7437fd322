//! The public `SseParser`'s engine. The class is the driver's (support.js); each instance holds a
//! `Core` and drives this through `Core.step`, like a chat stream, so it costs no wasm export.

use js_sys::Array;
use wasm_bindgen::JsValue;

use super::crossing::{Crossing, Records};
use super::js;
use crate::core::batch::Batch;
use crate::core::sse::{self, EventSink};
use crate::core::CozeError;

/// What the driver's `SseParser` asks (`Core.step`; support.js has the same numbers). They follow
/// the chat stream's (`super::stream::step`), so one `step` serves both.
pub mod step {
    /// `a`: the constructor's options → nothing; throws INVALID_ARGUMENT.
    pub const NEW: u32 = 8;
    /// `a`: a chunk of bytes → the `{event, data, id}` events it completed.
    pub const FEED: u32 = 9;
    /// End of stream → `[]`; the parser is reset.
    pub const FINISH: u32 = 10;
    /// → the last-event-ID.
    pub const LAST_EVENT_ID: u32 = 11;
    /// → the last valid `retry:` in milliseconds, or `undefined`.
    pub const RETRY: u32 = 12;
}

pub struct SseStream {
    inner: sse::SseParser,
    chunk: Vec<u8>,
    batch: Batch,
    /// The last-event-ID as a JS string: it crosses once when it changes, not per event.
    id: JsValue,
}

impl SseStream {
    fn new(inner: sse::SseParser) -> SseStream {
        SseStream { inner, chunk: Vec::new(), batch: Batch::new(), id: JsValue::from_str("") }
    }

    /// One operation of the driver's `SseParser` (`kind`: see [`step`]) on `parser`, which `NEW`
    /// makes → its value; errors are thrown.
    pub fn step(parser: &mut Option<SseStream>, kind: u32, a: JsValue) -> Result<JsValue, JsValue> {
        if kind == step::NEW {
            *parser = Some(SseStream::new(from_options(&a)?));
            return Ok(JsValue::UNDEFINED);
        }
        // The driver always sends NEW first; a default parser keeps any other order harmless.
        let parser = parser.get_or_insert_with(|| SseStream::new(sse::SseParser::new()));
        Ok(match kind {
            step::FEED => parser.feed(&a)?.into(),
            step::FINISH => {
                // An event without its blank line is discarded (per spec): nothing to yield. The
                // reset parser's ID is "", and it sends none until one changes it: the events
                // after this must not keep the old one.
                parser.inner.finish();
                parser.id = JsValue::from_str("");
                Array::new().into()
            }
            step::LAST_EVENT_ID => parser.inner.last_event_id().into(),
            // step::RETRY
            _ => parser.inner.retry().map_or(JsValue::UNDEFINED, |r| (r as f64).into()),
        })
    }

    /// Parses one chunk of bytes → the `{event, data, id}` events it completed.
    fn feed(&mut self, bytes: &JsValue) -> Result<Array, JsValue> {
        let chunk = js::copy_chunk(bytes, &mut self.chunk)
            .ok_or_else(|| CozeError::invalid_argument("feed: expected a Uint8Array"))?;
        let mut sink = JsEvents(Crossing::new(&mut self.batch, Records::Sse, &mut self.id));
        let result = self.inner.feed_into(chunk, &mut sink);
        let events = sink.0.finish();
        match result {
            Ok(()) => Ok(events),
            // The oversized event is dropped and the parser stays usable; the error carries the
            // other events this chunk completed, so none are lost.
            Err(err) => {
                let err = JsValue::from(err);
                let _ = js_sys::Reflect::set(&err, &"events".into(), &events);
                Err(err)
            }
        }
    }
}

/// `new SseParser({maxEventSize?})` — maxEventSize in bytes (default 16 MiB).
fn from_options(options: &JsValue) -> Result<sse::SseParser, JsValue> {
    let max = if options.is_undefined() || options.is_null() {
        JsValue::UNDEFINED
    } else if options.is_object() && !js::is_array(options) {
        js::try_get(options, "maxEventSize").map_err(|_| bad_max())?
    } else {
        return Err(CozeError::invalid_argument("options must be an object").into());
    };
    match max.as_f64() {
        None if max.is_undefined() || max.is_null() => Ok(sse::SseParser::new()),
        Some(n) if n >= 1.0 && n.fract() == 0.0 => Ok(sse::SseParser::with_max_event_size(n as usize)),
        _ => Err(bad_max()),
    }
}

fn bad_max() -> JsValue {
    CozeError::invalid_argument("`maxEventSize` must be a whole number ≥ 1").into()
}

/// `feed`'s sink: every event goes to the crossing.
struct JsEvents<'a>(Crossing<'a>);

impl EventSink for JsEvents<'_> {
    fn event(&mut self, event: &str, data: &mut String, id: Option<&str>) {
        self.0.sse(event, data, id);
    }
}
