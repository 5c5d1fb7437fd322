//! WebKit hands a stream reader multi-megabyte reads (whatever arrived while the page was busy;
//! up to 4.7 MB seen against the emulator, Chromium's largest was 2 MB). Each read must not cost
//! its own size in wasm memory: the driver feeds the wasm at most 1 MiB at a time. Its own test
//! binary, so the wasm memory it measures is fresh. The body comes from a stubbed `fetch`, so the
//! read size is the same in every browser.
#![cfg(target_arch = "wasm32")]

#[allow(dead_code)]
mod support;

use coze_wasm::*;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
// The next fetch answers a Coze stream of `deltas` 4 kB deltas, all in one read.
export function oneBigRead(deltas) {
  const enc = new TextEncoder();
  const ids = '"id":"3","conversation_id":"2","chat_id":"1","bot_id":"7"';
  let text = `event:conversation.chat.created\ndata:{"id":"1","conversation_id":"2","status":"created"}\n\n`;
  const delta = `event:conversation.message.delta\ndata:{${ids},"role":"assistant","type":"answer","content":"${'x'.repeat(4096)}","content_type":"text"}\n\n`;
  text += delta.repeat(deltas);
  text += `event:conversation.chat.completed\ndata:{"id":"1","conversation_id":"2","status":"completed"}\n\n`;
  text += 'event:done\ndata:"[DONE]"\n\n';
  const bytes = enc.encode(text);
  const original = globalThis.fetch;
  globalThis.fetch = async () => {
    globalThis.fetch = original;
    const body = new ReadableStream({ start(c) { c.enqueue(bytes); c.close(); } });
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  return bytes.length;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = oneBigRead)]
    fn one_big_read(deltas: u32) -> f64;
}

#[wasm_bindgen_test]
async fn a_webkit_sized_read_costs_a_slice_of_wasm_memory_not_its_size() {
    let memory = || {
        wasm_bindgen::memory()
            .unchecked_into::<js_sys::WebAssembly::Memory>()
            .buffer()
            .unchecked_into::<js_sys::ArrayBuffer>()
            .byte_length() as f64
    };
    let c = CozeAPI::new(json(r#"{"token":"czu_stub","baseURL":"http://127.0.0.1:9"}"#)).unwrap();
    let params = json(r#"{"bot_id":"7","user_id":"u","additional_messages":[{"role":"user","content":"hi"}]}"#);
    let before = memory();
    let bytes = one_big_read(4096); // ~17 MB in one read
    let stream = api(&c.chat(), "stream", (params, JsValue::UNDEFINED));
    let r = JsFuture::from(count_delta_chars(&stream)).await.unwrap();
    assert_eq!(get_str(&r, "last"), "done");
    assert_eq!(get(&r, "chars").as_f64(), Some(4096.0 * 4096.0));
    let grown = memory() - before;
    assert!(grown < 8.0 * 1048576.0, "a {bytes} B read grew wasm memory by {grown} B");
}
