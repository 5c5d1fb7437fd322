//! `client.files` against the emulator, and multimodal chat with what was uploaded. Included by
//! tests/browser.rs (Chromium, Firefox, WebKit: the XMLHttpRequest path, progress as bytes go out)
//! and tests/node.rs (Node: the fetch path, progress at the start and the end only).
//! No inline JS here (one `inline_js` block per test binary: see scripts/suites.sh's lesson).

use super::api::*;
use super::support::*;
use coze_wasm::*;
use js_sys::{Array, Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

/// Bytes that are not text (every byte value, CR LF, a multipart boundary look-alike).
fn binary(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
    if len > 64 {
        v[10..14].copy_from_slice(b"\r\n--");
    }
    v
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn has_xhr() -> bool {
    Reflect::has(&js_sys::global(), &"XMLHttpRequest".into()).unwrap_or(false)
}

/// `new Blob([bytes])` from the global scope.
fn blob(bytes: &[u8]) -> JsValue {
    let class: js_sys::Function = get(&js_sys::global(), "Blob").unchecked_into();
    let parts = Array::of1(&Uint8Array::from(bytes));
    Reflect::construct(&class, &Array::of1(&parts)).unwrap()
}

fn object(pairs: &[(&str, &JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

/// Records every `onProgress` call as `[loaded, total]`.
struct Progress {
    seen: Array,
    callback: Closure<dyn FnMut(JsValue)>,
}

impl Progress {
    fn new() -> Progress {
        let seen = Array::new();
        let sink = seen.clone();
        let callback = Closure::new(move |p: JsValue| {
            sink.push(&Array::of2(&get(&p, "loaded"), &get(&p, "total")));
        });
        Progress { seen, callback }
    }

    fn options(&self, signal: Option<&web_sys::AbortSignal>) -> JsValue {
        let mut pairs: Vec<(&str, &JsValue)> = vec![("onProgress", self.callback.as_ref())];
        if let Some(s) = signal {
            pairs.push(("signal", s.as_ref()));
        }
        object(&pairs)
    }

    fn events(&self) -> Vec<(f64, f64)> {
        self.seen
            .iter()
            .map(|p| {
                let p = Array::from(&p);
                (p.get(0).as_f64().unwrap(), p.get(1).as_f64().unwrap())
            })
            .collect()
    }
}

fn upload(c: &CozeAPI, file: &JsValue, name: Option<&str>, options: JsValue) -> js_sys::Promise {
    let name = name.map(JsValue::from);
    let mut pairs = vec![("file", file)];
    if let Some(n) = &name {
        pairs.push(("name", n));
    }
    api(&c.files(), "upload", (object(&pairs), options))
}

/// A client of a fresh OAuth client (its id scopes the emulator's upload rules and counters).
async fn uploader() -> (String, CozeAPI) {
    let (client_id, token) = login(None).await;
    (client_id, client_with_token(&get_str(&token, "access_token")))
}

async fn upload_rule(client_id: &str, rule: &str) {
    let sep = if rule.is_empty() { "" } else { "," };
    admin("POST", "/_emulator/uploads", Some(json(&format!(r#"{{"client_id":"{client_id}"{sep}{rule}}}"#)))).await;
}

async fn upload_stats(client_id: &str) -> JsValue {
    admin("GET", &format!("/_emulator/uploads?client_id={client_id}"), None).await
}

#[wasm_bindgen_test]
async fn an_uploaded_file_reaches_the_bot_byte_exact() {
    let (_, c) = uploader().await;
    let bytes = binary(200_001);
    let progress = Progress::new();
    let file = upload(&c, &Uint8Array::from(&bytes[..]).into(), Some("照片.png"), progress.options(None));
    let file = await_ok(file).await;
    assert_eq!(get(&file, "bytes").as_f64(), Some(200_001.0));
    assert_eq!(get_str(&file, "file_name"), "照片.png");
    assert!(get(&file, "created_at").as_f64().unwrap() > 1.7e9);
    let id = get_str(&file, "id");
    let events = progress.events();
    assert_eq!(events.first(), Some(&(0.0, 200_001.0)), "{events:?}");
    assert_eq!(events.last(), Some(&(200_001.0, 200_001.0)), "{events:?}");
    assert!(events.windows(2).all(|w| w[0].0 < w[1].0), "only growing: {events:?}");

    let again = await_ok(api(&c.files(), "retrieve", (id.clone().into(), JsValue::UNDEFINED))).await;
    assert_eq!(js_sys::JSON::stringify(&again).unwrap(), js_sys::JSON::stringify(&file).unwrap());

    // The bot answers with what it received: name, size and SHA-256 of the bytes.
    let params = json(&format!(
        r#"{{"bot_id":"{ECHO_BOT}","additional_messages":[{{"role":"user","content":[{{"type":"text","text":"看这张图"}},{{"type":"image","file_id":"{id}"}}]}}]}}"#
    ));
    let events = collect(&api(&c.chat(), "stream", (params, JsValue::UNDEFINED))).await.unwrap();
    let expected = format!("You said: 看这张图 [image 照片.png, 200001 bytes, sha256 {}]", sha256_hex(&bytes));
    assert_eq!(delta_text(&events_js(&events)), expected);
}

#[wasm_bindgen_test]
async fn blobs_files_and_multimodal_messages_in_every_call() {
    let (_, c) = uploader().await;
    let named = await_ok(upload(&c, &blob(b"blob bytes"), Some("notes.txt"), JsValue::UNDEFINED)).await;
    assert_eq!((get_str(&named, "file_name").as_str(), get(&named, "bytes").as_f64()), ("notes.txt", Some(10.0)));
    // A Blob has no name of its own: refused before sending.
    let err = await_err(upload(&c, &blob(b"x"), None, JsValue::UNDEFINED)).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    if let Ok(class) = Reflect::get(&js_sys::global(), &"File".into()) {
        if class.is_function() {
            let parts = Array::of1(&Uint8Array::from(&b"file bytes!"[..]));
            let class: js_sys::Function = class.unchecked_into();
            let file = Reflect::construct(&class, &Array::of2(&parts, &"f.pdf".into())).unwrap();
            let up = await_ok(upload(&c, &file, None, JsValue::UNDEFINED)).await;
            assert_eq!((get_str(&up, "file_name").as_str(), get(&up, "bytes").as_f64()), ("f.pdf", Some(11.0)));
        }
    }
    let id = get_str(&named, "id");
    let content = format!(r#"[{{"type":"text","text":"读一下"}},{{"type":"file","file_id":"{id}"}}]"#);
    let reply = format!("You said: 读一下 [file notes.txt, 10 bytes, sha256 {}]", sha256_hex(b"blob bytes"));
    // chat.create + createAndPoll: the answer is in the messages.
    let params =
        json(&format!(r#"{{"bot_id":"{ECHO_BOT}","additional_messages":[{{"role":"user","content":{content}}}]}}"#));
    let polled = await_ok(api(&c.chat(), "createAndPoll", (params, json(r#"{"pollIntervalMs":50}"#)))).await;
    let messages = Array::from(&get(&polled, "messages"));
    let answer = messages.iter().find(|m| get_str(m, "type") == "answer").expect("an answer");
    assert_eq!(get_str(&answer, "content"), reply);
    // conversations.create keeps the items as the object_string Coze stores.
    let conv = await_ok(api(
        &c.conversations(),
        "create",
        (json(&format!(r#"{{"messages":[{{"role":"user","content":{content}}}]}}"#)), JsValue::UNDEFINED),
    ))
    .await;
    let list =
        await_ok(api(&c.conversations(), "messages.list", (get(&conv, "id"), JsValue::UNDEFINED, JsValue::UNDEFINED)))
            .await;
    let first = Array::from(&get(&list, "data")).get(0);
    assert_eq!(get_str(&first, "content_type"), "object_string");
    assert_eq!(get_str(&first, "content"), content);
}

#[wasm_bindgen_test]
async fn wrong_shapes_and_files_are_refused_before_any_request() {
    let (client_id, c) = uploader().await;
    for (file, name, why) in [
        (Uint8Array::new_with_length(0).into(), Some("a"), "is empty"),
        (Uint8Array::from(&b"x"[..]).into(), None, "`name` is required"),
        (Uint8Array::from(&b"x"[..]).into(), Some(" "), "`name` must not be empty"),
        (JsValue::from("text"), Some("a"), "must be a File, a Blob or a Uint8Array"),
    ] {
        let err = await_err(upload(&c, &file, name, JsValue::UNDEFINED)).await;
        assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
        assert!(get_str(&err, "message").contains(why), "{}", get_str(&err, "message"));
    }
    assert_eq!(num(&upload_stats(&client_id).await, &["started"]), 0.0, "nothing was sent");
    for (content, why) in [
        (r#"[{"type":"image","file_id":"1","file_url":"https://x/y.png"}]"#, "both `file_id` and `file_url`"),
        (r#"[{"type":"image","file_url":"http://x/y.png"}]"#, "must be an https"),
        (r#"[{"type":"video","file_id":"1"}]"#, "type` must be"),
        (r#"[{"type":"text"},{"type":"file","file_id":"1"}]"#, "without `text`"),
        ("[]", "empty list"),
    ] {
        let params = json(&format!(
            r#"{{"bot_id":"{ECHO_BOT}","additional_messages":[{{"role":"user","content":{content}}}]}}"#
        ));
        let (events, err) = collect_until_error(&api(&c.chat(), "stream", (params.clone(), JsValue::UNDEFINED))).await;
        assert!(events.is_empty());
        assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
        assert!(get_str(&err, "message").contains(why), "{content}: {}", get_str(&err, "message"));
        let err = await_err(api(&c.chat(), "create", (params, JsValue::UNDEFINED))).await;
        assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
        let conv = json(&format!(r#"{{"messages":[{{"role":"user","content":{content}}}]}}"#));
        let err = await_err(api(&c.conversations(), "create", (conv, JsValue::UNDEFINED))).await;
        assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    }
    let s = stats(&client_id).await;
    assert_eq!(num(&s, &["api_by_path", "/v3/chat"]) + num(&s, &["api_by_path", "/v1/conversation/create"]), 0.0);
}

#[wasm_bindgen_test]
async fn upload_faults_are_typed_errors_and_leave_nothing_behind() {
    let (client_id, c) = uploader().await;
    let cases = [
        (r#""fault":"http_500","times":1"#, "COZE_API_ERROR", Some(500.0)),
        (r#""fault":"html_200","times":1"#, "INVALID_RESPONSE", Some(200.0)),
        (r#""max_bytes":10"#, "COZE_API_ERROR", Some(413.0)),
        // Not just once: a browser sends a request again when a reused connection drops.
        (r#""fault":"drop""#, "NETWORK", None),
    ];
    for (rule, code, status) in cases {
        upload_rule(&client_id, rule).await;
        let progress = Progress::new();
        let outcome = JsFuture::from(upload(
            &c,
            &Uint8Array::from(&binary(100_000)[..]).into(),
            Some("f"),
            progress.options(None),
        ))
        .await;
        let err = outcome.expect_err(rule);
        assert_coze_error(&err);
        assert_eq!((get_str(&err, "code").as_str(), get(&err, "status").as_f64()), (code, status), "{rule}");
        if code == "INVALID_RESPONSE" {
            assert!(get_str(&err, "raw").contains("upstream gateway"), "the body is kept: {rule}");
        }
        if status == Some(413.0) {
            assert_eq!(get(&err, "cozeCode").as_f64(), Some(4000.0));
        }
        let seen = progress.events().len();
        upload_rule(&client_id, "").await;
        let ok = await_ok(upload(&c, &Uint8Array::from(&b"after"[..]).into(), Some("ok"), JsValue::UNDEFINED)).await;
        assert_eq!(get(&ok, "bytes").as_f64(), Some(5.0), "{rule}: the next upload works");
        assert_eq!(progress.events().len(), seen, "{rule}: no progress after the rejection");
    }
}

#[wasm_bindgen_test]
async fn an_expired_token_is_refreshed_and_the_upload_sent_again() {
    let (client_id, m, c) = managed_client("").await;
    let get_token: js_sys::Function = get(&m, "getToken").unchecked_into();
    let access = get_str(&await_ok(get_token.call0(&m).unwrap().unchecked_into()).await, "access_token");
    admin("POST", "/_emulator/expire", Some(json(&format!(r#"{{"access_token":"{access}"}}"#)))).await;
    let bytes = binary(3000);
    let file = await_ok(upload(&c, &Uint8Array::from(&bytes[..]).into(), Some("retry.bin"), JsValue::UNDEFINED)).await;
    assert_eq!(get(&file, "bytes").as_f64(), Some(3000.0));
    let s = stats(&client_id).await;
    assert_eq!(num(&s, &["token_requests", "refresh_token"]), 1.0);
    assert_eq!(num(&s, &["api_by_path", "/v1/files/upload"]), 2.0, "the upload and one retry");
}

#[wasm_bindgen_test]
async fn progress_is_reported_while_a_slow_upload_goes_out() {
    let (client_id, c) = uploader().await;
    let size = 8 * 1024 * 1024;
    upload_rule(&client_id, r#""read_bytes_per_second":6000000"#).await;
    let progress = Progress::new();
    let bytes = Uint8Array::new_with_length(size);
    bytes.fill(0x5a, 0, size);
    let file = await_ok(upload(&c, &JsValue::from(bytes), Some("big.bin"), progress.options(None))).await;
    assert_eq!(get(&file, "bytes").as_f64(), Some(size as f64));
    let events = progress.events();
    let total = size as f64;
    assert_eq!(events.first(), Some(&(0.0, total)));
    assert_eq!(events.last(), Some(&(total, total)));
    let between = events.iter().filter(|e| e.0 > 0.0 && e.0 < total).count();
    if has_xhr() {
        assert!(between >= 2, "progress as the bytes go out: {events:?}");
    } else {
        assert_eq!(events.len(), 2, "fetch reports the start and the end only: {events:?}");
    }
}

#[wasm_bindgen_test]
async fn an_upload_aborted_midway_rejects_and_reports_nothing_more() {
    let (client_id, c) = uploader().await;
    upload_rule(&client_id, r#""read_bytes_per_second":1000000"#).await;
    let controller = new_abort_controller();
    let progress = Progress::new();
    let size = 8 * 1024 * 1024;
    let bytes = Uint8Array::new_with_length(size);
    let pending = upload(&c, &JsValue::from(bytes), Some("abort.bin"), progress.options(Some(&controller.signal())));
    sleep_ms(400).await;
    controller.abort();
    let err = match JsFuture::from(pending).await {
        Ok(v) => panic!("the upload finished: {:?}", js_sys::JSON::stringify(&v)),
        Err(e) => e,
    };
    assert_coze_error(&err);
    assert_eq!(get_str(&err, "code"), "ABORTED");
    let seen = progress.events().len();
    sleep_ms(200).await;
    let events = progress.events();
    assert_eq!(events.len(), seen, "no progress after the rejection ({} events)", events.len());
    // (Progress may have reached the total: WebKit counts the bytes handed to its network
    // process, which takes in the whole body at once. What reached the server is checked here:)
    // The emulator saw the upload stop mid-body (once it has read what the sockets still buffer:
    // the rule's rate is read per chunk, so clearing it makes that quick).
    upload_rule(&client_id, "").await;
    let s = poll_admin(&format!("/_emulator/uploads?client_id={client_id}"), |s| num(s, &["interrupted"]) == 1.0).await;
    let counts = ["started", "interrupted", "completed", "refused"].map(|k| num(&s, &[k]));
    assert_eq!(counts, [1.0, 1.0, 0.0, 0.0], "started, interrupted, completed, refused");
}
