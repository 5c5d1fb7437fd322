//! Shared helpers for the wasm-bindgen-test suites: talking to the emulator's admin routes,
//! draining async iterables, reading error fields.

use js_sys::{Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
export async function adminCall(base, method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json; try { json = JSON.parse(text); } catch (_) { json = { raw: text }; }
  if (!res.ok) throw new Error(`admin ${method} ${path} -> ${res.status}: ${text}`);
  return json;
}
export async function collect(iterable, onEach) {
  const out = [];
  for await (const part of iterable) { out.push(part); if (onEach) await onEach(part, out.length); }
  return out;
}
export async function collectUntilError(iterable) {
  const events = [];
  try { for await (const part of iterable) events.push(part); } catch (error) { return { events, error }; }
  return { events, error: null };
}
export function deltaText(events) {
  return events.filter(e => e.event === 'conversation.message.delta').map(e => e.data.content).join('');
}
export async function countDeltaChars(iterable) {
  let chars = 0, events = 0, last = null;
  for await (const part of iterable) {
    events++; last = part.event;
    if (part.event === 'conversation.message.delta') chars += part.data.content.length;
  }
  return { chars, events, last };
}
export function newAbortController() { return new AbortController(); }
export function elapsedMs() { return performance.now(); }
export function sleepMs(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = adminCall, catch)]
    fn admin_call(base: &str, method: &str, path: &str, body: JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = collect, catch)]
    fn collect_js(iterable: &JsValue, on_each: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = collectUntilError)]
    fn collect_until_error_js(iterable: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = deltaText)]
    pub fn delta_text(events: &JsValue) -> String;
    #[wasm_bindgen(js_name = countDeltaChars)]
    pub fn count_delta_chars(iterable: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = newAbortController)]
    pub fn new_abort_controller() -> web_sys::AbortController;
    #[wasm_bindgen(js_name = elapsedMs)]
    pub fn now_ms() -> f64;
    #[wasm_bindgen(js_name = sleepMs)]
    fn sleep_ms_js(ms: u32) -> Promise;
}

// Not env!: the suites still compile (clippy, editors) without an emulator; they fail on first use.
#[allow(clippy::option_env_unwrap)]
pub fn emulator() -> &'static str {
    option_env!("COZE_EMULATOR_URL").expect("COZE_EMULATOR_URL must be set at build time (scripts/test.sh does)")
}

pub fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or_else(|_| panic!("bad test JSON: {text}"))
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

pub async fn admin(method: &str, path: &str, body: Option<JsValue>) -> JsValue {
    let p = admin_call(emulator(), method, path, body.unwrap_or(JsValue::UNDEFINED)).expect("admin call");
    JsFuture::from(p).await.expect("admin call failed")
}

/// A fresh OAuth client registered for this test, so tests never share counters.
pub async fn new_client(access_token_ttl: Option<u32>) -> (String, String) {
    let redirect = "http://127.0.0.1:9/callback".to_owned();
    let ttl = access_token_ttl.map_or(String::new(), |t| format!(",\"access_token_ttl\":{t}"));
    let reply =
        admin("POST", "/_emulator/clients", Some(json(&format!("{{\"redirect_uris\":[\"{redirect}\"]{ttl}}}")))).await;
    (get_str(&reply, "client_id"), redirect)
}

/// A bot with the given scenario (faults, chunking, framing).
pub async fn new_bot(scenario: &str) -> String {
    let reply = admin("POST", "/_emulator/bots", Some(json(scenario))).await;
    get_str(&reply, "bot_id")
}

/// A fresh OAuth client with extra registration fields (`settings`: JSON members without braces,
/// e.g. `"access_token_ttl":30,"oauth_error_shape":"error"`).
pub async fn new_client_with(settings: &str) -> (String, String) {
    let redirect = "http://127.0.0.1:9/callback".to_owned();
    let sep = if settings.is_empty() { "" } else { "," };
    let reply = admin(
        "POST",
        "/_emulator/clients",
        Some(json(&format!("{{\"redirect_uris\":[\"{redirect}\"]{sep}{settings}}}"))),
    )
    .await;
    (get_str(&reply, "client_id"), redirect)
}

/// Changes a registered client's switches at run time (`settings`: a JSON object).
pub async fn set_client(client_id: &str, settings: &str) {
    admin("POST", &format!("/_emulator/clients/{client_id}"), Some(json(settings))).await;
}

/// The emulator's counters for one client (`GET /_emulator/stats`).
pub async fn stats(client_id: &str) -> JsValue {
    admin("GET", &format!("/_emulator/stats?client_id={client_id}"), None).await
}

/// A number at a path of keys (`num(&stats, &["api_by_path", "/v3/chat"])`); 0 when absent.
pub fn num(v: &JsValue, path: &[&str]) -> f64 {
    path.iter().fold(v.clone(), |v, k| get(&v, k)).as_f64().unwrap_or(0.0)
}

/// Polls an admin GET until `done` holds (up to ~4 s); returns the last answer either way.
pub async fn poll_admin(path: &str, done: impl Fn(&JsValue) -> bool) -> JsValue {
    let mut last = admin("GET", path, None).await;
    for _ in 0..100 {
        if done(&last) {
            break;
        }
        sleep_ms(40).await;
        last = admin("GET", path, None).await;
    }
    last
}

pub async fn refresh_count(client_id: &str) -> f64 {
    let stats = admin("GET", &format!("/_emulator/stats?client_id={client_id}"), None).await;
    get(&get(&stats, "token_requests"), "refresh_token").as_f64().unwrap()
}

pub async fn await_ok(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => v,
        Err(e) => panic!("unexpected rejection: {} {}", get_str(&e, "code"), get_str(&e, "message")),
    }
}

/// Awaits a promise that must reject with a CozeError; returns the error.
pub async fn await_err(p: Promise) -> JsValue {
    match JsFuture::from(p).await {
        Ok(v) => panic!("expected a rejection, got {:?}", JSON::stringify(&v)),
        Err(e) => {
            assert_coze_error(&e);
            e
        }
    }
}

pub fn assert_coze_error(e: &JsValue) {
    assert!(e.is_instance_of::<js_sys::Error>(), "errors are Error instances: {e:?}");
    assert_eq!(get_str(e, "name"), "CozeError");
    assert!(!get_str(e, "code").is_empty(), "errors carry a code");
}

pub async fn collect(iterable: &JsValue) -> Result<Vec<JsValue>, JsValue> {
    let p = collect_js(iterable, &JsValue::UNDEFINED)?;
    let arr = JsFuture::from(p).await?;
    Ok(js_sys::Array::from(&arr).iter().collect())
}

pub async fn collect_with(iterable: &JsValue, on_each: &js_sys::Function) -> Result<Vec<JsValue>, JsValue> {
    let p = collect_js(iterable, on_each)?;
    let arr = JsFuture::from(p).await?;
    Ok(js_sys::Array::from(&arr).iter().collect())
}

/// Drains a stream that must fail: (events before the error, the error).
pub async fn collect_until_error(iterable: &JsValue) -> (Vec<JsValue>, JsValue) {
    let r = JsFuture::from(collect_until_error_js(iterable)).await.unwrap();
    let events = js_sys::Array::from(&get(&r, "events")).iter().collect();
    let error = get(&r, "error");
    assert!(!error.is_null(), "the stream must fail");
    assert_coze_error(&error);
    (events, error)
}

pub fn events_js(events: &[JsValue]) -> JsValue {
    events.iter().collect::<js_sys::Array>().into()
}

/// Calls a method of one of the client's resources (`c.chat()` …), e.g.
/// `api(&c.conversations(), "messages.list", (id, params, opts))` → what it returned (a promise
/// or, for `chat.stream`, an async iterable).
pub fn api(resource: &JsValue, path: &str, args: impl Args) -> Promise {
    let mut this = resource.clone();
    let mut names: Vec<&str> = path.split('.').collect();
    let method = names.pop().unwrap();
    for name in names {
        this = get(&this, name);
    }
    let f: js_sys::Function = get(&this, method).unchecked_into();
    f.apply(&this, &args.array()).expect("resource methods never throw synchronously").unchecked_into()
}

pub trait Args {
    fn array(self) -> js_sys::Array;
}

impl Args for (JsValue,) {
    fn array(self) -> js_sys::Array {
        js_sys::Array::of1(&self.0)
    }
}

impl Args for (JsValue, JsValue) {
    fn array(self) -> js_sys::Array {
        js_sys::Array::of2(&self.0, &self.1)
    }
}

impl Args for (JsValue, JsValue, JsValue) {
    fn array(self) -> js_sys::Array {
        js_sys::Array::of3(&self.0, &self.1, &self.2)
    }
}

pub async fn sleep_ms(ms: u32) {
    JsFuture::from(sleep_ms_js(ms)).await.unwrap();
}
