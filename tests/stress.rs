//! The token manager and the client under stress, in headless Chromium against the emulator:
//! many concurrent calls at expiry or after a server-side rejection share one refresh; a refused
//! refresh is typed and empties storage; 100 concurrent streams each get exactly their own text.
//! Counts come from the emulator's own stats (`/_emulator/stats`: token and API requests per client).
//!
//! `COZE_EMULATOR_URL=$EMULATOR_URL WASM_BINDGEN_TEST_TIMEOUT=60 cargo test --target wasm32-unknown-unknown --test stress`
#![cfg(target_arch = "wasm32")]

#[allow(dead_code)]
mod support;

use coze_wasm::*;
use js_sys::{Array, Object, Promise, Reflect};
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const ECHO_BOT: &str = "7000000000000000001";

#[wasm_bindgen(inline_js = r#"
export function mapStorage() {
  const map = new Map();
  // Async, like a store backed by IndexedDB: every call answers a promise.
  return {
    map,
    getItem: async (k) => (map.has(k) ? map.get(k) : null),
    setItem: async (k, v) => { map.set(k, String(v)); },
    removeItem: async (k) => { map.delete(k); },
  };
}
export async function collectAll(iterable) {
  const out = [];
  for await (const part of iterable) out.push(part);
  return out;
}
/** What TokenManager names the marker of a rotated refresh token (lock name + SHA-256 prefix). */
export async function rotationMarker(storageKey, refreshToken) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(refreshToken)));
  const b64 = btoa(String.fromCharCode(...digest.slice(0, 12))).replace(/\+/g, '-').replace(/\//g, '_');
  return `coze-wasm:refresh:${storageKey}:rotated:${b64}`;
}
/** Takes a shared Web Lock as another tab would; resolves to the function that releases it. */
export function holdLock(name) {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  return new Promise((granted) => navigator.locks.request(name, { mode: 'shared' }, () => { granted(release); return held; }));
}
export function sessionGet(key) { return sessionStorage.getItem(key); }
export function sessionRemove(key) { sessionStorage.removeItem(key); }
export async function settle(promises) {
  const out = await Promise.allSettled(promises);
  return out.map((r) => (r.status === 'fulfilled' ? { ok: true, value: r.value } : { ok: false, error: r.reason }));
}
/** Hides navigator.locks (an insecure context has none); returns the function that restores it. */
export function withoutWebLocks() {
  Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  return () => { delete navigator.locks; };
}
/**
 * The reply to the refresh that spends `refreshToken` reaches the library only after
 * `manager.clear()` ran (a logout in between). Other tests' requests pass untouched.
 */
export function clearWhileRefreshIsInFlight(manager, refreshToken) {
  const real = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const reply = await real(url, init);
    if (init && typeof init.body === 'string' && init.body.includes(refreshToken)) {
      globalThis.fetch = real;
      await manager.clear();
    }
    return reply;
  };
}
/** Token requests spending `refreshToken` never answer (until their signal aborts them). */
export function hangRefreshOf(refreshToken) {
  const real = globalThis.fetch;
  globalThis.fetch = (url, init) => {
    if (!(init && typeof init.body === 'string' && init.body.includes(refreshToken))) return real(url, init);
    globalThis.fetch = real;
    return new Promise((_, reject) => init.signal && init.signal.addEventListener('abort', () => reject(init.signal.reason)));
  };
}
export function pendingKeys() {
  return Object.keys(sessionStorage).filter((k) => k.startsWith('coze-wasm:pkce:'));
}
/** Token sources that each hand over a PAT some other way than a plain string option. */
export function patSources(pat) {
  return [() => pat, () => Promise.resolve(pat), `  ${pat}\n`, { getAccessToken: async () => pat, refresh: async () => pat }];
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = mapStorage)]
    fn map_storage() -> JsValue;
    #[wasm_bindgen(js_name = sessionGet)]
    fn session_get(key: &str) -> Option<String>;
    #[wasm_bindgen(js_name = sessionRemove)]
    fn session_remove(key: &str);
    fn settle(promises: Array) -> Promise;
    #[wasm_bindgen(js_name = rotationMarker)]
    fn rotation_marker(storage_key: &str, refresh_token: &str) -> Promise;
    #[wasm_bindgen(js_name = holdLock)]
    fn hold_lock(name: &str) -> Promise;
    #[wasm_bindgen(js_name = collectAll)]
    fn collect_promise(iterable: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = withoutWebLocks)]
    fn without_web_locks() -> js_sys::Function;
    #[wasm_bindgen(js_name = pendingKeys)]
    fn pending_keys() -> Array;
    #[wasm_bindgen(js_name = hangRefreshOf)]
    fn hang_refresh_of(refresh_token: &str);
    #[wasm_bindgen(js_name = clearWhileRefreshIsInFlight)]
    fn clear_while_refresh_is_in_flight(manager: &JsValue, refresh_token: &str);
    #[wasm_bindgen(js_name = patSources)]
    fn pat_sources(pat: &str) -> Array;
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// A full PKCE login for a fresh client (optionally with a short access-token TTL).
async fn login(ttl: Option<u32>) -> (String, JsValue) {
    let (client_id, redirect) = new_client(ttl).await;
    let e = emulator();
    let params =
        json(&format!(r#"{{"clientId":"{client_id}","redirectUrl":"{redirect}","baseURL":"{e}","wwwURL":"{e}"}}"#));
    let started = await_ok(get_pkce_authentication_url(params)).await;
    let body = obj(&[("url", get(&started, "url")), ("decision", "allow".into())]);
    let location = get_str(&admin("POST", "/_emulator/authorize", Some(body)).await, "location");
    let cb = parse_authorization_callback(location.into(), get(&started, "state")).unwrap();
    let exchange = json(&format!(
        r#"{{"code":"{}","clientId":"{client_id}","redirectUrl":"{redirect}","codeVerifier":"{}","baseURL":"{e}"}}"#,
        get_str(&cb, "code"),
        get_str(&started, "codeVerifier")
    ));
    let token = await_ok(get_pkce_oauth_token(exchange, JsValue::UNDEFINED)).await;
    (client_id, token)
}

/// A TokenManager, as the JS object a page holds (so the client and the test can share it).
fn manager_with(client_id: &str, storage: Option<JsValue>, key: Option<&str>) -> JsValue {
    let mut opts = vec![("clientId", JsValue::from_str(client_id)), ("baseURL", emulator().into())];
    if let Some(s) = storage {
        opts.push(("storage", s));
    }
    if let Some(k) = key {
        opts.push(("storageKey", k.into()));
    }
    TokenManager::new(obj(&opts)).unwrap().into()
}

/// `target[name](...args)` → its (promised) result.
fn call(target: &JsValue, name: &str, args: &[JsValue]) -> Promise {
    let f: js_sys::Function = get(target, name).dyn_into().unwrap_or_else(|_| panic!("no method {name}"));
    let r = f.apply(target, &args.iter().collect::<Array>()).unwrap_or_else(|e| panic!("{name} threw {e:?}"));
    Promise::resolve(&r)
}

fn api_with(m: &JsValue) -> CozeAPI {
    CozeAPI::new(obj(&[("token", m.clone()), ("baseURL", emulator().into())])).unwrap()
}

/// The emulator's counters for one client: (refresh requests, refresh failures, API ok, API 401).
async fn stats(client_id: &str) -> (f64, f64, f64, f64) {
    let s = admin("GET", &format!("/_emulator/stats?client_id={client_id}"), None).await;
    let n = |v: JsValue, k: &str| get(&v, k).as_f64().unwrap();
    (
        n(get(&s, "token_requests"), "refresh_token"),
        n(s.clone(), "refresh_failures"),
        n(get(&s, "api_requests"), "ok"),
        n(get(&s, "api_requests"), "unauthorized"),
    )
}

/// Makes the emulator treat these tokens as expired from now on (the client is not told).
async fn expire_at_server(access_token: Option<&str>, refresh_token: Option<&str>) {
    let mut body = Vec::new();
    if let Some(a) = access_token {
        body.push(("access_token", JsValue::from_str(a)));
    }
    if let Some(r) = refresh_token {
        body.push(("refresh_token", JsValue::from_str(r)));
    }
    admin("POST", "/_emulator/expire", Some(obj(&body))).await;
}

/// `n` concurrent calls through one client, a mix of endpoints; resolves when all are done.
async fn concurrent_calls(c: &CozeAPI, n: usize) -> Vec<JsValue> {
    let calls: Array = (0..n)
        .map(|i| -> JsValue {
            match i % 3 {
                0 => api(&c.users(), "me", (JsValue::UNDEFINED,)).into(),
                1 => api(&c.workspaces(), "list", (JsValue::UNDEFINED, JsValue::UNDEFINED)).into(),
                _ => api(
                    &c.conversations(),
                    "create",
                    (json(&format!(r#"{{"bot_id":"{ECHO_BOT}"}}"#)), JsValue::UNDEFINED),
                )
                .into(),
            }
        })
        .collect();
    let results = await_ok(Promise::all(&calls)).await;
    let results: Vec<JsValue> = Array::from(&results).iter().collect();
    for (i, r) in results.iter().enumerate() {
        let ok = match i % 3 {
            0 => !get_str(r, "user_id").is_empty(),
            1 => Array::from(&get(r, "workspaces")).length() > 0,
            _ => !get_str(r, "id").is_empty(),
        };
        assert!(ok, "call {i} returned {:?}", js_sys::JSON::stringify(r));
    }
    results
}

// ------------------------------------------------------------------------------- refresh

#[wasm_bindgen_test]
async fn fifty_calls_at_expiry_make_one_refresh_and_all_use_the_new_token() {
    // A 30 s token is inside refreshAheadSeconds (60): every call must refresh first. The server
    // also treats the old access token as expired, so a call that used it would show up as a 401.
    let (client_id, token) = login(Some(30)).await;
    let old_access = get_str(&token, "access_token");
    expire_at_server(Some(&old_access), None).await;
    let m = manager_with(&client_id, None, None);
    await_ok(call(&m, "setToken", std::slice::from_ref(&token))).await;
    let c = api_with(&m);

    concurrent_calls(&c, 50).await;

    let (refreshes, failures, ok, unauthorized) = stats(&client_id).await;
    web_sys::console::log_1(
        &format!("50 calls at expiry: {refreshes} refresh(es), API ok {ok}, 401 {unauthorized}").into(),
    );
    assert_eq!(refreshes, 1.0, "50 concurrent calls at expiry: refresh requests");
    assert_eq!(failures, 0.0);
    assert_eq!((ok, unauthorized), (50.0, 0.0), "every call went out once, with the refreshed token");
    let now = await_ok(call(&m, "getToken", &[])).await;
    assert_ne!(get_str(&now, "access_token"), old_access);
    assert_ne!(get_str(&now, "refresh_token"), get_str(&token, "refresh_token"), "the rotated refresh token is kept");
}

#[wasm_bindgen_test]
async fn fifty_calls_rejected_mid_life_make_one_refresh() {
    // The manager thinks its token is good for 15 more minutes; the server refuses it (401 / 4100).
    let (client_id, token) = login(None).await;
    let old_access = get_str(&token, "access_token");
    let m = manager_with(&client_id, None, None);
    await_ok(call(&m, "setToken", std::slice::from_ref(&token))).await;
    expire_at_server(Some(&old_access), None).await;
    let c = api_with(&m);

    concurrent_calls(&c, 50).await;

    let (refreshes, failures, ok, unauthorized) = stats(&client_id).await;
    web_sys::console::log_1(
        &format!("50 calls rejected mid-life: {refreshes} refresh(es), API ok {ok}, 401 {unauthorized}").into(),
    );
    assert_eq!(refreshes, 1.0, "50 concurrent 401s: refresh requests");
    assert_eq!(failures, 0.0);
    assert_eq!(unauthorized, 50.0, "each call first went out with the refused token");
    assert_eq!(ok, 50.0, "each call was retried once, with the new token");
    let now = await_ok(call(&m, "getToken", &[])).await;
    assert_ne!(get_str(&now, "access_token"), old_access);
}

// ------------------------------------------------------------------------- a refused refresh

/// Refresh-token dead at the server (expired there, not reused): `getAccessToken()` on a token at
/// expiry and a 401'd API call both reject with OAUTH_TOKEN_ERROR, the storage is emptied, one
/// refresh request was made for many concurrent callers.
async fn refused_refresh_clears(storage: JsValue, read_back: impl Fn(&str) -> Option<String>) {
    // At expiry: getAccessToken must refresh, and the refresh is refused.
    let (client_id, token) = login(Some(30)).await;
    expire_at_server(None, Some(&get_str(&token, "refresh_token"))).await;
    let key = format!("stress:{client_id}");
    let m = manager_with(&client_id, Some(storage.clone()), Some(&key));
    await_ok(call(&m, "setToken", std::slice::from_ref(&token))).await;
    assert!(read_back(&key).is_some_and(|v| v.contains(&get_str(&token, "access_token"))), "the token is stored");

    let callers: Array = (0..10).map(|_| JsValue::from(call(&m, "getAccessToken", &[]))).collect();
    let outcomes = Array::from(&JsFuture::from(settle(callers)).await.unwrap());
    for o in outcomes.iter() {
        assert!(!get(&o, "ok").as_bool().unwrap(), "getAccessToken must reject");
        let err = get(&o, "error");
        assert_coze_error(&err);
        assert_eq!(get_str(&err, "code"), "OAUTH_TOKEN_ERROR", "{}", get_str(&err, "message"));
        assert_eq!(get_str(&err, "error"), "invalid_grant");
        assert_eq!(get(&err, "status").as_f64(), Some(400.0));
    }
    assert_eq!(stats(&client_id).await.0, 1.0, "ten callers, one refresh request");
    assert_eq!(stats(&client_id).await.1, 1.0, "which the server refused");
    assert!(await_ok(call(&m, "getToken", &[])).await.is_null(), "getToken() is null after a refused refresh");
    assert_eq!(read_back(&key), None, "the storage no longer holds the token");
    let err = await_err(call(&m, "getAccessToken", &[])).await;
    assert_eq!(get_str(&err, "code"), "NOT_LOGGED_IN");

    // Mid-life: the API refuses the access token (401), the refresh that follows is refused too.
    let (client_id, token) = login(None).await;
    expire_at_server(Some(&get_str(&token, "access_token")), Some(&get_str(&token, "refresh_token"))).await;
    let key = format!("stress:{client_id}");
    let m = manager_with(&client_id, Some(storage), Some(&key));
    await_ok(call(&m, "setToken", &[token])).await;
    let c = api_with(&m);
    let err = await_err(api(&c.users(), "me", (JsValue::UNDEFINED,))).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_TOKEN_ERROR", "{}", get_str(&err, "message"));
    assert_eq!(get_str(&err, "error"), "invalid_grant");
    assert!(await_ok(call(&m, "getToken", &[])).await.is_null());
    assert_eq!(read_back(&key), None);
    let (refreshes, failures, ok, unauthorized) = stats(&client_id).await;
    assert_eq!((refreshes, failures, ok, unauthorized), (1.0, 1.0, 0.0, 1.0));
    // Nothing left to send: the next call fails before the network.
    let err = await_err(api(&c.users(), "me", (JsValue::UNDEFINED,))).await;
    assert_eq!(get_str(&err, "code"), "NOT_LOGGED_IN");
    assert_eq!(stats(&client_id).await, (1.0, 1.0, 0.0, 1.0));
}

#[wasm_bindgen_test]
async fn refused_refresh_is_typed_and_empties_a_custom_async_storage() {
    let storage = map_storage();
    let map: js_sys::Map = get(&storage, "map").unchecked_into();
    refused_refresh_clears(storage.clone(), |key| map.get(&key.into()).as_string()).await;
    assert_eq!(map.size(), 0);
}

#[wasm_bindgen_test]
async fn refused_refresh_is_typed_and_empties_session_storage() {
    refused_refresh_clears("session".into(), session_get).await;
}

// ------------------------------------------------- another tab rotated, our storage is stale

/// Chromium propagates localStorage between tabs asynchronously, unordered with Web Locks: a tab
/// can get the refresh lock right after another tab rotated the refresh token and still read the
/// old one. That tab finds the other's rotation marker (a Web Lock), must not send the spent token
/// (the server would revoke the login) and waits for the new one to reach its storage.
/// Here "the other tab" is this test: it rotates at the emulator and holds the marker.
async fn another_tab_rotated(storage: JsValue, new_token_arrives: bool) {
    let (client_id, token) = login(None).await;
    let key = format!("stress:{client_id}");
    let m = manager_with(&client_id, Some(storage.clone()), Some(&key));
    await_ok(call(&m, "setToken", std::slice::from_ref(&token))).await;
    let rotated = await_ok(refresh_oauth_token(
        json(&format!(
            r#"{{"refreshToken":"{}","clientId":"{client_id}","baseURL":"{}"}}"#,
            get_str(&token, "refresh_token"),
            emulator()
        )),
        JsValue::UNDEFINED,
    ))
    .await;
    let marker = await_ok(rotation_marker(&key, &get_str(&token, "refresh_token"))).await.as_string().unwrap();
    let release: js_sys::Function = await_ok(hold_lock(&marker)).await.unchecked_into();
    if new_token_arrives {
        // The other tab's write reaches our storage 300 ms later.
        let other_view = manager_with(&client_id, Some(storage.clone()), Some(&key));
        let rotated = rotated.clone();
        wasm_bindgen_futures::spawn_local(async move {
            sleep_ms(300).await;
            await_ok(call(&other_view, "setToken", &[rotated])).await;
        });
    }
    let start = now_ms();
    let outcome = JsFuture::from(call(&m, "refresh", &[])).await;
    let waited = now_ms() - start;
    release.call0(&JsValue::NULL).unwrap();
    let (refreshes, failures, _, _) = stats(&client_id).await;
    assert_eq!((refreshes, failures), (1.0, 0.0), "only the other tab's refresh reached the server");
    if new_token_arrives {
        let got = outcome.unwrap_or_else(|e| panic!("refresh rejected: {}", get_str(&e, "message")));
        assert_eq!(get_str(&got, "access_token"), get_str(&rotated, "access_token"), "the other tab's token");
        assert!(waited >= 250.0, "waited for the new token ({waited} ms)");
        let now = await_ok(call(&m, "getAccessToken", &[])).await;
        assert_eq!(now.as_string().unwrap(), get_str(&rotated, "access_token"));
    } else {
        // E.g. a sessionStorage copied into a new tab: the replacement never shows up here.
        let err = outcome.expect_err("the spent refresh token has no replacement here");
        assert_coze_error(&err);
        assert_eq!(get_str(&err, "code"), "OAUTH_TOKEN_ERROR");
        assert!(await_ok(call(&m, "getToken", &[])).await.is_null(), "the dead token is removed");
    }
    assert_eq!(stats(&client_id).await.0, 1.0, "and none after");
}

#[wasm_bindgen_test]
async fn rotated_by_another_tab_waits_for_the_new_token_instead_of_reusing_the_old() {
    another_tab_rotated(map_storage(), true).await;
}

#[wasm_bindgen_test]
async fn rotated_by_another_tab_with_no_replacement_fails_without_reuse() {
    another_tab_rotated("session".into(), false).await;
}

// --------------------------------------------------------------------------------- streams

#[wasm_bindgen_test]
async fn a_hundred_concurrent_streams_each_get_their_own_text() {
    let (client_id, token) = login(None).await;
    let m = manager_with(&client_id, None, None);
    await_ok(call(&m, "setToken", &[token])).await;
    let c = api_with(&m);
    const N: usize = 100;
    let text = |i: usize| format!("stream {i:03} 你好🙂");
    let runs: Array = (0..N)
        .map(|i| {
            let params = json(&format!(
                r#"{{"bot_id":"{ECHO_BOT}","user_id":"u{i}","additional_messages":[{{"role":"user","content":"{}","content_type":"text"}}]}}"#,
                text(i)
            ));
            JsValue::from(collect_promise(&api(&c.chat(), "stream", (params, JsValue::UNDEFINED))))
        })
        .collect();
    let start = now_ms();
    let all = Array::from(&await_ok(Promise::all(&runs)).await);
    let secs = (now_ms() - start) / 1000.0;
    for (i, events) in all.iter().enumerate() {
        let events = Array::from(&events);
        assert_eq!(delta_text(&events), format!("You said: {}", text(i)), "stream {i}");
        let last = events.get(events.length() - 1);
        assert_eq!(
            (get_str(&last, "event"), get_str(&last, "data")),
            ("done".to_owned(), "[DONE]".to_owned()),
            "stream {i}"
        );
        let completed = events.iter().filter(|e| get_str(e, "event") == "conversation.chat.completed").count();
        assert_eq!(completed, 1, "stream {i}");
        let answer = events
            .iter()
            .find(|e| {
                get_str(e, "event") == "conversation.message.completed" && get_str(&get(e, "data"), "type") == "answer"
            })
            .unwrap_or_else(|| panic!("stream {i}: no answer message"));
        assert_eq!(get_str(&get(&answer, "data"), "content"), format!("You said: {}", text(i)));
    }
    let (refreshes, _, ok, unauthorized) = stats(&client_id).await;
    assert_eq!((refreshes, ok, unauthorized), (0.0, N as f64, 0.0), "one request per stream, no retries");
    web_sys::console::log_1(&format!("{N} concurrent streams: {secs:.2} s").into());
}

// ------------------------------------------------------------------- refresh safety (logout, spent tokens)

#[wasm_bindgen_test]
async fn a_logout_during_a_refresh_is_not_undone_by_its_result() {
    let (client_id, token) = login(None).await;
    let m = manager_with(&client_id, None, None);
    clear_while_refresh_is_in_flight(&m, &get_str(&token, "refresh_token"));
    await_ok(call(&m, "setToken", &[token])).await;
    let err = JsFuture::from(call(&m, "refresh", &[])).await.expect_err("the refresh must not log the user back in");
    assert_eq!(get_str(&err, "code"), "NOT_LOGGED_IN");
    assert!(await_ok(call(&m, "getToken", &[])).await.is_null(), "still logged out");
    assert_eq!(stats(&client_id).await.0, 1.0, "the request itself went out");
}

#[wasm_bindgen_test]
async fn a_logout_removes_this_clients_pending_logins() {
    let e = emulator();
    let start = |client: &str| {
        start_login(json(&format!(
            r#"{{"clientId":"{client}","redirectUrl":"http://127.0.0.1:9/cb","baseURL":"{e}","wwwURL":"{e}"}}"#
        )))
    };
    let mine = get_str(&await_ok(start("logout-client-a")).await, "state");
    let theirs = get_str(&await_ok(start("logout-client-b")).await, "state");
    let m = manager_with("logout-client-a", None, None);
    await_ok(call(&m, "clear", &[])).await;
    let keys: Vec<String> = pending_keys().iter().filter_map(|k| k.as_string()).collect();
    assert!(!keys.iter().any(|k| k.ends_with(&mine)), "this client's pending login is gone");
    assert!(keys.iter().any(|k| k.ends_with(&theirs)), "another client's pending login stays");
    session_remove(&format!("coze-wasm:pkce:{theirs}"));
}

#[wasm_bindgen_test]
async fn a_spent_refresh_token_is_never_sent_again_even_without_web_locks() {
    let (client_id, token) = login(None).await;
    let restore = without_web_locks();
    // Two copies of one login, as in a duplicated tab: each has its own storage.
    let first = manager_with(&client_id, Some(map_storage()), None);
    let copy = manager_with(&client_id, Some(map_storage()), None);
    await_ok(call(&first, "setToken", std::slice::from_ref(&token))).await;
    await_ok(call(&copy, "setToken", &[token])).await;
    await_ok(call(&first, "refresh", &[])).await;
    let outcome = JsFuture::from(call(&copy, "refresh", &[])).await;
    restore.call0(&JsValue::NULL).unwrap();
    let err = outcome.expect_err("the copy holds a spent refresh token and no replacement");
    assert_eq!(get_str(&err, "code"), "OAUTH_TOKEN_ERROR");
    let (refreshes, failures, _, _) = stats(&client_id).await;
    assert_eq!((refreshes, failures), (1.0, 0.0), "the spent token never reached the server");
    assert!(await_ok(call(&copy, "getToken", &[])).await.is_null(), "the dead copy is forgotten");
}

// ------------------------------------------------------------------- one-time logins, the PAT guard

#[wasm_bindgen_test]
async fn two_completions_of_one_callback_redeem_the_code_once() {
    let (client_id, redirect) = new_client(None).await;
    let e = emulator();
    let started = await_ok(start_login(json(&format!(
        r#"{{"clientId":"{client_id}","redirectUrl":"{redirect}","baseURL":"{e}","wwwURL":"{e}"}}"#
    ))))
    .await;
    let body = obj(&[("url", get(&started, "url")), ("decision", "allow".into())]);
    let location = get_str(&admin("POST", "/_emulator/authorize", Some(body)).await, "location");
    // React StrictMode runs the effect twice, back to back.
    let complete = || complete_login(obj(&[("url", location.clone().into())]));
    let both = Array::of2(&complete(), &complete());
    let outcomes = Array::from(&await_ok(settle(both)).await);
    let ok: Vec<bool> = outcomes.iter().map(|o| get(&o, "ok").as_bool().unwrap()).collect();
    assert_eq!(ok, [true, false], "the first completes, the second is refused");
    assert_eq!(get_str(&get(&outcomes.get(1), "error"), "code"), "OAUTH_STATE_MISSING");
    let s = admin("GET", &format!("/_emulator/stats?client_id={client_id}"), None).await;
    assert_eq!(get(&get(&s, "token_requests"), "authorization_code").as_f64(), Some(1.0), "one token request");
}

#[wasm_bindgen_test]
async fn a_pat_is_refused_in_a_page_from_every_kind_of_token_source() {
    for (i, source) in pat_sources("pat_emulator_demo").iter().enumerate() {
        let client = CozeAPI::new(obj(&[("token", source.clone()), ("baseURL", emulator().into())]));
        let err = match client {
            Err(err) => err, // a plain string is refused at once
            Ok(c) => await_err(api(&c.users(), "me", (JsValue::UNDEFINED,))).await,
        };
        assert_eq!(get_str(&err, "code"), "PAT_IN_BROWSER", "source {i}");
    }
    // From a TokenManager that was handed one.
    let m = manager_with("pat-client", None, None);
    let pat = obj(&[
        ("access_token", "pat_emulator_demo".into()),
        ("refresh_token", "r".into()),
        ("expires_in", JsValue::from_f64(4_000_000_000.0)),
    ]);
    await_ok(call(&m, "setToken", &[pat])).await;
    let err = await_err(api(&api_with(&m).users(), "me", (JsValue::UNDEFINED,))).await;
    assert_eq!(get_str(&err, "code"), "PAT_IN_BROWSER", "via TokenManager");
    // Opting in lets it through.
    let allowed = obj(&[
        ("token", pat_sources("pat_emulator_demo").get(0)),
        ("baseURL", emulator().into()),
        ("allowPersonalAccessTokenInBrowser", true.into()),
    ]);
    await_ok(api(&CozeAPI::new(allowed).unwrap().users(), "me", (JsValue::UNDEFINED,))).await;
}

#[wasm_bindgen_test]
async fn a_hung_refresh_gives_up_and_keeps_the_login() {
    let (client_id, token) = login(None).await;
    let opts = obj(&[
        ("clientId", client_id.clone().into()),
        ("baseURL", emulator().into()),
        ("refreshTimeoutMs", JsValue::from_f64(300.0)),
    ]);
    let m: JsValue = TokenManager::new(opts).unwrap().into();
    await_ok(call(&m, "setToken", std::slice::from_ref(&token))).await;
    hang_refresh_of(&get_str(&token, "refresh_token"));
    let start = now_ms();
    let err = JsFuture::from(call(&m, "refresh", &[])).await.expect_err("a hung refresh must not hang its callers");
    assert_eq!(get_str(&err, "code"), "TIMEOUT");
    assert!(now_ms() - start < 5000.0, "gave up at its timeout");
    let kept = await_ok(call(&m, "getToken", &[])).await;
    assert_eq!(get_str(&kept, "refresh_token"), get_str(&token, "refresh_token"), "the login is kept");
    // The lock is free again: the next refresh goes through.
    await_ok(call(&m, "refresh", &[])).await;
}
