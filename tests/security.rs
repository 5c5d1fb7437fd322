//! The security checklist (DESIGN.md §3, SECURITY.md) in a real browser against the emulator:
//! what lands in sessionStorage and what does not, one-time pending logins, checks before any token
//! request, the address bar, no client secret on the wire, the rotated refresh token persisted,
//! tokens in memory by default. Run like the browser suite:
//! `COZE_EMULATOR_URL=... cargo test --target wasm32-unknown-unknown --test security`.
#![cfg(target_arch = "wasm32")]

#[allow(dead_code)]
mod support;

use coze_wasm::*;
use js_sys::Promise;
use support::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function sessionItem(key) { return sessionStorage.getItem(key); }
export function storageKeys(kind) {
  const s = kind === 'local' ? localStorage : sessionStorage;
  return Array.from({ length: s.length }, (_, i) => s.key(i));
}
/** Whether any sessionStorage or localStorage value contains `text`. */
export function webStorageHolds(text) {
  for (const s of [sessionStorage, localStorage]) {
    for (let i = 0; i < s.length; i++) if ((s.getItem(s.key(i)) || '').includes(text)) return true;
  }
  return false;
}
export function clearPendingLogins() {
  for (const key of storageKeys('session')) if (key.startsWith('coze-wasm:')) sessionStorage.removeItem(key);
}
export function memoryStore() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => { map.set(k, String(v)); },
    removeItem: (k) => { map.delete(k); },
    dump: () => JSON.stringify([...map]),
  };
}
export function dump(store) { return store.dump(); }
export function href() { return location.href; }
export function setSearch(search) { history.replaceState(history.state, '', location.pathname + search); }
export function restoreHref(url) { history.replaceState(history.state, '', url); }
export function search() { return location.search; }
/** Records every request the library sends (it calls the global fetch with a Request). */
export function spyOnFetch() {
  const real = globalThis.fetch;
  const calls = [];
  globalThis.fetch = function (input, init) {
    const request = new Request(input, init);
    calls.push({ url: request.url, authorization: request.headers.get('authorization'), body: request.clone().text() });
    return real.call(this, request);
  };
  return { calls, restore() { globalThis.fetch = real; } };
}
export async function tokenRequests(spy) {
  const out = [];
  for (const c of spy.calls) {
    if (c.url.includes('/api/permission/oauth2/token')) out.push({ url: c.url, authorization: c.authorization, body: await c.body });
  }
  return out;
}
export function restoreFetch(spy) { spy.restore(); }
export function queryParam(url, name) { return new URL(url).searchParams.get(name); }
export function call(target, method, ...args) { return target[method](...args); }
export function callCount(spy) { return spy.calls.length; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = sessionItem)]
    fn session_item(key: &str) -> Option<String>;
    #[wasm_bindgen(js_name = storageKeys)]
    fn storage_keys(kind: &str) -> Vec<String>;
    #[wasm_bindgen(js_name = webStorageHolds)]
    fn web_storage_holds(text: &str) -> bool;
    #[wasm_bindgen(js_name = clearPendingLogins)]
    fn clear_pending_logins();
    #[wasm_bindgen(js_name = memoryStore)]
    fn memory_store() -> JsValue;
    fn dump(store: &JsValue) -> String;
    fn href() -> String;
    #[wasm_bindgen(js_name = setSearch)]
    fn set_search(search: &str);
    #[wasm_bindgen(js_name = restoreHref)]
    fn restore_href(url: &str);
    fn search() -> String;
    #[wasm_bindgen(js_name = spyOnFetch)]
    fn spy_on_fetch() -> JsValue;
    #[wasm_bindgen(js_name = tokenRequests)]
    fn token_requests(spy: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = restoreFetch)]
    fn restore_fetch(spy: &JsValue);
    #[wasm_bindgen(js_name = callCount)]
    fn call_count(spy: &JsValue) -> u32;
    #[wasm_bindgen(js_name = queryParam)]
    fn query_param(url: &str, name: &str) -> Option<String>;
    /// `target[method]()` (a promise for the TokenManager methods used here).
    #[wasm_bindgen(js_name = call)]
    fn call0(target: &JsValue, method: &str) -> Promise;
    #[wasm_bindgen(js_name = call)]
    fn call2(target: &JsValue, method: &str, a: &JsValue, b: &JsValue);
}

const PENDING: &str = "coze-wasm:pkce:";

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        js_sys::Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn login_options(client_id: &str, redirect: &str, storage: Option<&JsValue>) -> JsValue {
    let o = obj(&[
        ("clientId", client_id.into()),
        ("redirectUrl", redirect.into()),
        ("baseURL", emulator().into()),
        ("wwwURL", emulator().into()),
    ]);
    if let Some(s) = storage {
        js_sys::Reflect::set(&o, &"storage".into(), s).unwrap();
    }
    o
}

/// startLogin → the emulator's consent (allow/deny) → the callback URL it redirects to.
async fn start_and_authorize(
    client_id: &str,
    redirect: &str,
    storage: Option<&JsValue>,
    decision: &str,
) -> (String, String) {
    let started = await_ok(start_login(login_options(client_id, redirect, storage))).await;
    let body = obj(&[("url", get(&started, "url")), ("decision", decision.into())]);
    let location = get_str(&admin("POST", "/_emulator/authorize", Some(body)).await, "location");
    (location, get_str(&started, "state"))
}

fn complete(url: &str, storage: Option<&JsValue>) -> Promise {
    let o = obj(&[("url", url.into())]);
    if let Some(s) = storage {
        js_sys::Reflect::set(&o, &"storage".into(), s).unwrap();
    }
    complete_login(o)
}

async fn code_exchanges(client_id: &str) -> f64 {
    let stats = admin("GET", &format!("/_emulator/stats?client_id={client_id}"), None).await;
    get(&get(&stats, "token_requests"), "authorization_code").as_f64().unwrap()
}

// ------------------------------------------------------------------ PKCE S256, fresh per login

#[wasm_bindgen_test]
async fn each_login_gets_a_fresh_s256_verifier_and_state_kept_in_session_storage() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(None).await;
    let local_before = storage_keys("local");
    let a = await_ok(start_login(login_options(&client_id, &redirect, None))).await;
    let b = await_ok(start_login(login_options(&client_id, &redirect, None))).await;
    let (state_a, state_b) = (get_str(&a, "state"), get_str(&b, "state"));
    assert_ne!(state_a, state_b, "a fresh state per login");
    assert!(state_a.len() >= 43, "state of 256 bits");

    let mut verifiers = Vec::new();
    for (started, state) in [(&a, &state_a), (&b, &state_b)] {
        // The pending login lives in sessionStorage, keyed by its state...
        let stored = session_item(&format!("{PENDING}{state}")).expect("the pending login is in sessionStorage");
        let verifier = get_str(&json(&stored), "code_verifier");
        assert_eq!(verifier.len(), 43, "a 256-bit verifier");
        // ...and the URL carries only its S256 challenge, never the verifier.
        let url = get_str(started, "url");
        assert_eq!(query_param(&url, "code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(
            query_param(&url, "code_challenge"),
            calculate_pkce_code_challenge(verifier.clone().into()).unwrap().as_string()
        );
        assert_eq!(query_param(&url, "state").as_deref(), Some(state.as_str()));
        assert!(
            query_param(&url, "code_verifier").is_none() && !url.contains(&verifier),
            "the verifier stays in the page"
        );
        verifiers.push(verifier);
    }
    assert_ne!(verifiers[0], verifiers[1], "a fresh verifier per login");
    assert_eq!(storage_keys("local"), local_before, "nothing goes to localStorage");

    let x = await_ok(get_pkce_authentication_url(login_options(&client_id, &redirect, None))).await;
    let y = await_ok(get_pkce_authentication_url(login_options(&client_id, &redirect, None))).await;
    assert_ne!(get_str(&x, "codeVerifier"), get_str(&y, "codeVerifier"));
    assert_ne!(get_str(&x, "state"), get_str(&y, "state"));

    // A pending login in memory would not survive the redirect: refused, not silently lost.
    let err = await_err(start_login(login_options(&client_id, &redirect, Some(&"memory".into())))).await;
    assert_eq!(get_str(&err, "code"), "INVALID_ARGUMENT");
    clear_pending_logins();
}

// --------------------------------------------------------- one-time state, deleted after use

#[wasm_bindgen_test]
async fn the_pending_login_is_deleted_after_use_whatever_the_outcome() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(None).await;

    // Success: the token arrives, the pending login is gone, the callback cannot be replayed.
    let (location, state) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let token = await_ok(complete(&location, None)).await;
    assert!(get_str(&token, "access_token").starts_with("czu_"));
    assert!(session_item(&format!("{PENDING}{state}")).is_none(), "deleted after use");
    let err = await_err(complete(&location, None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING", "one-time state");

    // Denied: the error is reported and the pending login is gone too.
    let (location, state) = start_and_authorize(&client_id, &redirect, None, "deny").await;
    let err = await_err(complete(&location, None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_CALLBACK_ERROR");
    assert!(session_item(&format!("{PENDING}{state}")).is_none());

    // A code the server refuses: gone as well, and the error does not echo the code or verifier.
    let started = await_ok(start_login(login_options(&client_id, &redirect, None))).await;
    let state = get_str(&started, "state");
    let verifier = get_str(&json(&session_item(&format!("{PENDING}{state}")).unwrap()), "code_verifier");
    let err = await_err(complete(&format!("{redirect}?code=code_not_issued_123&state={state}"), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_TOKEN_ERROR");
    assert!(session_item(&format!("{PENDING}{state}")).is_none());
    for field in ["message", "raw", "error_description"] {
        let text = get_str(&err, field);
        assert!(!text.contains(&verifier), "{field} echoes the verifier");
    }

    // A malformed callback: a repeated `code`, a repeated `state` (one copy the real one, in
    // either order). Refused before any token request, and the pending login is gone as well.
    let before = code_exchanges(&client_id).await;
    for tamper in ["code", "state_after", "state_before"] {
        let (location, state) = start_and_authorize(&client_id, &redirect, None, "allow").await;
        let url = match tamper {
            "code" => format!("{location}&code=evil"),
            "state_after" => format!("{location}&state=again"),
            _ => location.replacen('?', "?state=first&", 1),
        };
        let err = await_err(complete(&url, None)).await;
        assert_eq!(get_str(&err, "code"), "OAUTH_DUPLICATE_PARAM", "{tamper}");
        assert!(session_item(&format!("{PENDING}{state}")).is_none(), "{tamper}: the pending login is deleted");
        // So the untampered callback cannot be used afterwards either.
        let err = await_err(complete(&location, None)).await;
        assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING", "{tamper}");
    }
    assert_eq!(code_exchanges(&client_id).await, before, "no code was sent");
    assert_eq!(storage_keys("session").iter().filter(|k| k.starts_with(PENDING)).count(), 0);
}

#[wasm_bindgen_test]
async fn callbacks_are_checked_before_any_token_request() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(None).await;
    let before = code_exchanges(&client_id).await;

    // No pending login for this state (forged, another tab, already used).
    let err = await_err(complete(&format!("{redirect}?code=stolen&state=forged"), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");
    // A forged error redirect is a state problem, not a login error: state before `error`.
    let err = await_err(complete(&format!("{redirect}?error=access_denied&state=forged"), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");
    // No state at all.
    let err = await_err(complete(&format!("{redirect}?code=stolen"), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");

    // Repeated parameters, with a real pending login.
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let err = await_err(complete(&format!("{location}&state=again"), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_DUPLICATE_PARAM");
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let err = await_err(complete(&format!("{location}&code=evil"), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_DUPLICATE_PARAM");
    // The state compared exactly: a pending login under a prefix of it does not match.
    let (location, state) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let cut = location.replace(&format!("state={state}"), &format!("state={}", &state[..state.len() - 1]));
    let err = await_err(complete(&cut, None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");
    // An expired pending login (older than 10 minutes).
    let store = memory_store();
    let (location, state) = start_and_authorize(&client_id, &redirect, Some(&store), "allow").await;
    let key = format!("{PENDING}{state}");
    let stored = dump(&store);
    let entry = js_sys::Array::from(&json(&stored)).get(0);
    let pending = js_sys::Array::from(&entry).get(1).as_string().unwrap();
    let aged = pending.replace("\"created_at\":", "\"created_at\":1000000000,\"was\":");
    call2(&store, "setItem", &key.into(), &aged.into());
    let err = await_err(complete(&location, Some(&store))).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");

    assert_eq!(code_exchanges(&client_id).await, before, "none of these reached the token endpoint");
    clear_pending_logins();
}

// -------------------------------------------------- mix-up defence (RFC 9207, RFC 9700 §4.4)

#[wasm_bindgen_test]
async fn complete_login_binds_the_callback_to_its_issuer_and_redirect_uri() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(None).await;
    let before = code_exchanges(&client_id).await;
    let encode = |s: &str| String::from(js_sys::encode_uri_component(s));

    // Another authorization server's `iss`: refused, also when it claims an error.
    let (location, state) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let err = await_err(complete(&format!("{location}&iss={}", encode("https://attacker.example")), None)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_ISSUER_MISMATCH");
    assert!(session_item(&format!("{PENDING}{state}")).is_none(), "the refused callback spent its pending login");
    let (_, state) = start_and_authorize(&client_id, &redirect, None, "deny").await;
    let forged = format!("{redirect}?error=access_denied&state={state}&iss={}", encode("https://attacker.example"));
    assert_eq!(get_str(&await_err(complete(&forged, None)).await, "code"), "OAUTH_ISSUER_MISMATCH");

    // The callback at another path than the login's redirect_uri.
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let moved = location.replacen("?", "/elsewhere?", 1);
    assert_eq!(get_str(&await_err(complete(&moved, None)).await, "code"), "OAUTH_REDIRECT_MISMATCH");
    assert_eq!(code_exchanges(&client_id).await, before, "none of these reached the token endpoint");

    // The issuer the login was started against (the authorize host, exactly) is accepted.
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let token = await_ok(complete(&format!("{location}&iss={}", encode(emulator())), None)).await;
    assert!(!get_str(&token, "access_token").is_empty());
    assert_eq!(code_exchanges(&client_id).await, before + 1.0);
    clear_pending_logins();
}

// ------------------------------------------------------------------------------ address bar

#[wasm_bindgen_test]
async fn code_and_state_leave_the_address_bar() {
    clear_pending_logins();
    let original = href();
    // A failed callback is stripped too (the code must not linger in history or the Referer).
    set_search("?keep=1&code=abc&state=forged&iss=x");
    let err = await_err(complete_login(JsValue::UNDEFINED)).await;
    assert_eq!(get_str(&err, "code"), "OAUTH_STATE_MISSING");
    assert_eq!(search(), "?keep=1");

    // A successful one: the page's own address carries the callback, so the login's redirect_uri
    // is this page (completeLogin accepts a callback only there).
    let page = original.split(['?', '#']).next().unwrap().to_owned();
    let reply = admin(
        "POST",
        "/_emulator/clients",
        Some(obj(&[("redirect_uris", js_sys::Array::of1(&page.clone().into()).into())])),
    )
    .await;
    let client_id = get_str(&reply, "client_id");
    let (location, _) = start_and_authorize(&client_id, &page, None, "allow").await;
    let query = &location[location.find('?').unwrap()..];
    set_search(query);
    let token = await_ok(complete_login(JsValue::UNDEFINED)).await;
    assert!(get_str(&token, "access_token").starts_with("czu_"));
    assert_eq!(search(), "", "code and state stripped with history.replaceState");
    restore_href(&original);
}

#[wasm_bindgen_test]
async fn complete_login_with_another_url_leaves_the_address_bar_alone() {
    // E.g. a popup's or an iframe's callback handed to the opener: the page's own address (here
    // carrying callback-like parameters of its own) is not the callback, so it is not rewritten.
    clear_pending_logins();
    let original = href();
    set_search("?keep=1&code=page_code&state=page_state");
    let before = search();
    let (client_id, redirect) = new_client(None).await;
    let (location, state) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let token = await_ok(complete(&location, None)).await;
    let after = search();
    restore_href(&original);
    assert!(get_str(&token, "access_token").starts_with("czu_"), "the login completes");
    assert_eq!(after, before, "the address bar is untouched");
    assert!(session_item(&format!("{PENDING}{state}")).is_none());
    assert_eq!(code_exchanges(&client_id).await, 1.0);
}

// ------------------------------------------------------------------------ no client secret

#[wasm_bindgen_test]
async fn no_client_secret_in_the_page() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(None).await;
    let spy = spy_on_fetch();
    // refreshOAuthToken refuses a secret in a browser, before any request.
    let params = obj(&[
        ("refreshToken", "rt".into()),
        ("clientId", client_id.clone().into()),
        ("baseURL", emulator().into()),
        ("clientSecret", "s3cr3t".into()),
    ]);
    let err = await_err(refresh_oauth_token(params, JsValue::UNDEFINED)).await;
    assert_eq!(get_str(&err, "code"), "SECRET_IN_BROWSER");
    assert_eq!(call_count(&spy), 0, "nothing was sent");

    // The PKCE flow (exchange, then a TokenManager refresh) sends no secret and no Authorization.
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let manager =
        TokenManager::new(obj(&[("clientId", client_id.clone().into()), ("baseURL", emulator().into())])).unwrap();
    let manager_js = JsValue::from(manager);
    let o = obj(&[("url", location.into()), ("tokenManager", manager_js.clone())]);
    await_ok(complete_login(o)).await;
    await_ok(call0(&manager_js, "refresh")).await;
    let requests = js_sys::Array::from(&JsFuture::from(token_requests(&spy)).await.unwrap());
    restore_fetch(&spy);
    assert_eq!(requests.length(), 2, "one code exchange, one refresh");
    for r in requests.iter() {
        assert!(get(&r, "authorization").is_null(), "no Authorization header on a PKCE token request");
        let body = json(&get_str(&r, "body"));
        assert!(get(&body, "client_secret").is_undefined(), "no client_secret in {}", get_str(&r, "body"));
    }
}

// ------------------------------------------------------------- rotated refresh token persisted

#[wasm_bindgen_test]
async fn the_rotated_refresh_token_is_persisted() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(Some(30)).await; // expires within refreshAheadSeconds
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let first = await_ok(complete(&location, None)).await;
    let store = memory_store();
    let manager = TokenManager::new(obj(&[
        ("clientId", client_id.clone().into()),
        ("baseURL", emulator().into()),
        ("storage", store.clone()),
    ]))
    .unwrap();
    await_ok(manager.set_token(first.clone())).await;
    let old = get_str(&first, "refresh_token");

    // An explicit refresh: the new refresh token replaces the old one in storage.
    let second = await_ok(manager.refresh(JsValue::UNDEFINED)).await;
    let new = get_str(&second, "refresh_token");
    assert_ne!(new, old, "refresh tokens rotate");
    assert_eq!(get_str(&await_ok(manager.get_token()).await, "refresh_token"), new);
    assert!(dump(&store).contains(&new) && !dump(&store).contains(&old), "the store holds the rotated token only");

    // The automatic one (the access token expires within 60 s): persisted the same way, and it
    // could only succeed because the rotated token, not the spent one, was used.
    let access = await_ok(manager.get_access_token()).await.as_string().unwrap();
    assert_ne!(access, get_str(&second, "access_token"));
    let third = get_str(&await_ok(manager.get_token()).await, "refresh_token");
    assert_ne!(third, new);
    assert!(dump(&store).contains(&third) && !dump(&store).contains(&new));
    assert_eq!(refresh_count(&client_id).await, 2.0);
}

// -------------------------------------------------------------- tokens in memory by default

#[wasm_bindgen_test]
async fn tokens_stay_in_memory_by_default() {
    clear_pending_logins();
    let (client_id, redirect) = new_client(None).await;
    let (location, _) = start_and_authorize(&client_id, &redirect, None, "allow").await;
    let manager =
        TokenManager::new(obj(&[("clientId", client_id.clone().into()), ("baseURL", emulator().into())])).unwrap();
    let manager_js = JsValue::from(manager);
    let token = await_ok(complete_login(obj(&[("url", location.into()), ("tokenManager", manager_js.clone())]))).await;
    let refreshed = await_ok(call0(&manager_js, "refresh")).await;
    for t in [&token, &refreshed] {
        for field in ["access_token", "refresh_token"] {
            let secret = get_str(t, field);
            assert!(!secret.is_empty());
            assert!(!web_storage_holds(&secret), "{field} reached web storage");
        }
    }
    // The manager still has it (in memory).
    let kept = await_ok(call0(&manager_js, "getToken")).await;
    assert_eq!(get_str(&kept, "refresh_token"), get_str(&refreshed, "refresh_token"));
}

// ------------------------------------------------------------------------- no Debug leaks

/// `true` when `T: Debug` (inherent method wins over the blanket trait by autoref).
struct Probe<T>(std::marker::PhantomData<T>);
trait NotDebug {
    fn is_debug(&self) -> bool {
        false
    }
}
impl<T> NotDebug for Probe<T> {}
impl<T: std::fmt::Debug> Probe<T> {
    #[allow(dead_code)]
    fn is_debug(&self) -> bool {
        true
    }
}
macro_rules! is_debug {
    ($t:ty) => {
        Probe::<$t>(std::marker::PhantomData).is_debug()
    };
}

#[wasm_bindgen_test]
fn types_holding_tokens_cannot_be_debug_printed() {
    // The web layer's types that carry a token, a verifier or a secret have no Debug at all, so
    // `{:?}` on them does not compile; the core ones print redacted (tested natively).
    assert!(!is_debug!(coze_wasm::Core), "Core hands out verifiers and tokens");
    assert!(!is_debug!(coze_wasm::web::stream::ChatStream), "ChatStream holds reply text");
    assert!(!is_debug!(coze_wasm::TokenManager));
    assert!(!is_debug!(coze_wasm::CozeAPI));
    // The probe itself works.
    assert!(is_debug!(coze_wasm::core::token::OAuthToken));
    let t = coze_wasm::core::token::OAuthToken {
        access_token: "czu_secret_access".into(),
        refresh_token: "secret_refresh".into(),
        expires_in: 1,
        token_type: None,
    };
    assert!(!format!("{t:?}").contains("secret"));
}
