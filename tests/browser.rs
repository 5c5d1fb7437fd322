//! Browser suite (headless Chromium, Firefox, WebKit): the real wasm against the real emulator over
//! cross-origin HTTP. Run by scripts/suites.sh (`cargo test --target wasm32-unknown-unknown`), which
//! starts the emulator and compiles its URL in as COZE_EMULATOR_URL. Most tests live in
//! shared/api.rs, which tests/node.rs runs in Node too; the ones here need a page.
#![cfg(target_arch = "wasm32")]

#[path = "shared/api.rs"]
mod api;
#[path = "shared/files.rs"]
mod files;
mod support;

use api::*;
use coze_wasm::*;
use js_sys::Promise;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// sessionStorage keeps the pending login.
#[wasm_bindgen_test]
async fn login_helpers_exchange_once() {
    let (client_id, redirect) = new_client(None).await;
    let opts = json(&format!(
        r#"{{"clientId":"{client_id}","redirectUrl":"{redirect}","baseURL":"{e}","wwwURL":"{e}"}}"#,
        e = emulator()
    ));
    let started = await_ok(start_login(opts)).await;
    let body = json(&format!(r#"{{"url":"{}","decision":"allow"}}"#, get_str(&started, "url")));
    let location = get_str(&admin("POST", "/_emulator/authorize", Some(body)).await, "location");
    let complete = |url: &str| complete_login(json(&format!(r#"{{"url":"{url}"}}"#)));
    // A bad tokenManager is refused before the single-use code is spent: the login survives.
    let err = await_err(complete_login(json(&format!(r#"{{"url":"{location}","tokenManager":{{}}}}"#)))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    let token = await_ok(complete(&location)).await;
    assert!(get_str(&token, "access_token").starts_with("czu_"));
    // The pending login is gone: the same callback can't be exchanged again.
    let err = await_err(complete(&location)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");
    // A callback nobody started.
    let err = await_err(complete("http://127.0.0.1:9/callback?code=x&state=forged")).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");
}

// A `pat_` token is refused only in a page or worker (tests/node.rs: accepted there).
#[wasm_bindgen_test]
async fn pat_guard_and_bad_params() {
    let err = CozeAPI::new(json(r#"{"token":"pat_abc"}"#)).err().unwrap();
    assert_eq!(get_str(&err, "code"), "PAT_IN_BROWSER");
    assert!(CozeAPI::new(json(r#"{"token":"pat_abc","allowPersonalAccessTokenInBrowser":true}"#)).is_ok());
    let c = client().await;
    let (_, err) = collect_until_error(&api(&c.chat(), "stream", (json(r#"{"bot_id":7}"#), JsValue::UNDEFINED))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    let err = await_err(api(&c.chat(), "cancel", ("".into(), "1".into(), JsValue::UNDEFINED))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    // Nothing is sent silently wrong: unserializable bodies and non-object params are refused.
    let cyclic = json(r#"{"bot_id":"1"}"#);
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let err = await_err(api(&c.conversations(), "create", (cyclic, JsValue::UNDEFINED))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    let err =
        await_err(api(&c.conversations(), "messages.list", ("7".into(), "newest".into(), JsValue::UNDEFINED))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    let err =
        await_err(api(&c.chat(), "createAndPoll", (chat_params(ECHO_BOT, "x"), json(r#"{"timeoutMs":"soon"}"#)))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
}

// The JWT flow is for servers: a page would expose the private key (tests/shared/jwt.rs runs it in Node).
#[wasm_bindgen_test]
async fn jwt_is_refused_in_a_page_and_names_pkce() {
    // Not a key: a PEM-shaped stand-in (the page refuses before reading it), built here.
    let label = "PRIVATE KEY";
    let key = format!(r"-----BEGIN {label}-----\nMII=\n-----END {label}-----");
    let params = json(&format!(
        r#"{{"appId":"1","keyid":"k","aud":"api.coze.cn","privateKey":"{key}","baseURL":"{}"}}"#,
        emulator()
    ));
    for p in [params.clone(), json("{}"), JsValue::UNDEFINED] {
        let err = await_err(get_jwt_token(p, JsValue::UNDEFINED)).await;
        assert_eq!(get_str(&err, "code"), "JWT_IN_BROWSER");
        assert!(get_str(&err, "message").contains("PKCE"), "{}", get_str(&err, "message"));
    }
    let err = JWTTokenManager::new(params).err().unwrap();
    assert_eq!(get_str(&err, "code"), "JWT_IN_BROWSER");
}

// Hides navigator.locks (Node has no navigator to hide it from).
#[wasm_bindgen_test]
async fn concurrent_refreshes_make_one_request_without_web_locks() {
    let (client_id, token) = login(Some(30)).await;
    let m = manager(&client_id);
    await_ok(m.set_token(token.clone())).await;
    let restore = hide_web_locks();
    assert!(!web_locks_present());
    let calls: js_sys::Array = (0..5)
        .map(|i| JsValue::from(if i % 2 == 0 { m.refresh(JsValue::UNDEFINED) } else { m.get_access_token() }))
        .collect();
    let outcome = JsFuture::from(Promise::all(&calls)).await;
    restore.call0(&JsValue::NULL).unwrap();
    assert!(web_locks_present());
    let results = js_sys::Array::from(&outcome.unwrap_or_else(|e| panic!("rejected: {}", get_str(&e, "message"))));
    let access = |v: JsValue| v.as_string().unwrap_or_else(|| get_str(&v, "access_token"));
    let first = access(results.get(0));
    assert!(results.iter().all(|r| access(r) == first), "one new token for every caller");
    assert_ne!(first, get_str(&token, "access_token"));
    let s = stats(&client_id).await;
    assert_eq!((num(&s, &["token_requests", "refresh_token"]), num(&s, &["refresh_failures"])), (1.0, 0.0));
}

// The web flow needs the client secret: refused in a page before anything is sent, naming PKCE
// (tests/node.rs: it works on a server).
#[wasm_bindgen_test]
async fn the_web_flow_is_refused_in_a_page() {
    let (client_id, _) = new_client(None).await;
    let before = num(&stats(&client_id).await, &["token_requests", "authorization_code"]);
    let url = json(&format!(
        r#"{{"clientId":"{client_id}","redirectUrl":"http://127.0.0.1:9/callback","baseURL":"{}"}}"#,
        emulator()
    ));
    let err = get_web_authentication_url(url).err().unwrap();
    assert_eq!(get_str(&err, "code"), "SECRET_IN_BROWSER");
    assert!(get_str(&err, "message").contains("PKCE"));
    let token = json(&format!(
        r#"{{"code":"c","clientId":"{client_id}","clientSecret":"cs_x","redirectUrl":"http://127.0.0.1:9/callback","baseURL":"{}"}}"#,
        emulator()
    ));
    let err = await_err(get_web_oauth_token(token, JsValue::UNDEFINED)).await;
    assert_eq!(get_str(&err, "code"), "SECRET_IN_BROWSER");
    assert!(!get_str(&err, "message").contains("cs_x"));
    assert_eq!(num(&stats(&client_id).await, &["token_requests", "authorization_code"]), before, "nothing sent");
}
