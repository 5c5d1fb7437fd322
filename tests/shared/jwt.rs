//! The JWT flow in Node (a server runtime): keys as people paste them, tokens minted against the
//! emulator's JWT apps, the JWTTokenManager as a CozeAPI token source, every refusal cause
//! diagnosed (`reason`), and a maker's bot set up by API. Included by tests/node.rs only: pages
//! and workers refuse the flow (tests/browser.rs checks JWT_IN_BROWSER).

use super::api::{chat_params, ec_private_key, pretend_worker, redirect_origin, rsa_key_pair, ECHO_BOT};
use super::support::*;
use coze_wasm::*;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = r#"
/** A fresh RSA key (PEM: PKCS#1, PKCS#8, SPKI) and a P-256 PKCS#8 key from node:crypto — the
 *  pasted-PEM shapes a maker's openssl gives; no private key is tracked in git. */
export function nodeKeys() {
  const crypto = process.getBuiltinModule('node:crypto');
  const pem = { format: 'pem' };
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048,
    privateKeyEncoding: { ...pem, type: 'pkcs8' }, publicKeyEncoding: { ...pem, type: 'spki' } });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256',
    privateKeyEncoding: { ...pem, type: 'pkcs8' }, publicKeyEncoding: { ...pem, type: 'spki' } });
  return { pkcs1: crypto.createPrivateKey(rsa.privateKey).export({ ...pem, type: 'pkcs1' }),
    pkcs8: rsa.privateKey, public: rsa.publicKey, ec: ec.privateKey };
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = nodeKeys)]
    fn node_keys() -> JsValue;
}

// The package's server entries register the JWT flow's driver (src/js/server.js) with the snippet;
// these suites load no entry, so each test registers it first (again is harmless). Without it the
// snippet only refuses (tests/browser.rs).
#[wasm_bindgen(module = "/src/js/server.js")]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = jwtFlow)]
    static JWT_FLOW: JsValue;
}

fn load_jwt_flow() {
    JWT_FLOW.with(coze_wasm::web::js::server_flows);
}

/// The maker's RSA key as PKCS#1, PKCS#8 and its SPKI public key, and an EC key: made once per run.
struct Keys {
    pkcs1: String,
    pkcs8: String,
    public: String,
    ec: String,
}

fn keys() -> &'static Keys {
    static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let k = node_keys();
        Keys {
            pkcs1: get_str(&k, "pkcs1"),
            pkcs8: get_str(&k, "pkcs8"),
            public: get_str(&k, "public"),
            ec: get_str(&k, "ec"),
        }
    })
}

fn set(o: &JsValue, key: &str, value: impl Into<JsValue>) {
    Reflect::set(o, &key.into(), &value.into()).unwrap();
}

/// `host:port` of the emulator: the `aud` its JWT apps expect.
fn emulator_host() -> &'static str {
    emulator().split_once("://").unwrap().1
}

/// A JWT app registered with `public_pem` (`extra`: more JSON members) → (app_id, key_id).
async fn jwt_app(public_pem: &str, extra: &str) -> (String, String) {
    let body = json(&format!(r#"{{"public_key":{}{extra}}}"#, JSON_STR(public_pem)));
    let reply = admin("POST", "/_emulator/jwt_apps", Some(body)).await;
    (get_str(&reply, "app_id"), get_str(&reply, "key_id"))
}

#[allow(non_snake_case)]
fn JSON_STR(s: &str) -> String {
    js_sys::JSON::stringify(&s.into()).unwrap().as_string().unwrap()
}

/// getJWTToken's params for the emulator.
fn params(app_id: &str, keyid: &str, private_key: impl Into<JsValue>) -> JsValue {
    let p: JsValue = Object::new().into();
    set(&p, "appId", app_id);
    set(&p, "keyid", keyid);
    set(&p, "aud", emulator_host());
    set(&p, "baseURL", emulator());
    set(&p, "privateKey", private_key);
    p
}

async fn tokens_issued(app_id: &str) -> f64 {
    num(&admin("GET", &format!("/_emulator/jwt_apps/{app_id}"), None).await, &["tokens_issued"])
}

#[wasm_bindgen_test]
async fn a_pkcs1_key_as_pasted_mints_a_token_that_chats() {
    load_jwt_flow();
    let Keys { pkcs1, pkcs8, public, .. } = keys();
    let (app, kid) = jwt_app(public, "").await;
    // PKCS#1 as `openssl genrsa` printed it, with CRLF; PKCS#8 with the literal \n of an env var.
    for key in [pkcs1.replace('\n', "\r\n"), pkcs8.replace('\n', "\\n")] {
        let token = await_ok(get_jwt_token(params(&app, &kid, key), JsValue::UNDEFINED)).await;
        let access = get_str(&token, "access_token");
        assert!(access.starts_with("czs_"), "{access}");
        assert!(get(&token, "refresh_token").is_undefined(), "the JWT flow has no refresh token");
        let expires = get(&token, "expires_in").as_f64().unwrap();
        let now = js_sys::Date::now() / 1000.0;
        assert!((expires - now - 900.0).abs() < 5.0, "absolute expiry, default 900 s: {expires}");
        let c = client_with_token(&access);
        let events =
            collect(&api(&c.chat(), "stream", (chat_params(ECHO_BOT, "hi"), JsValue::UNDEFINED)).into()).await.unwrap();
        assert_eq!(delta_text(&events_js(&events)), "You said: hi");
    }
    assert_eq!(tokens_issued(&app).await, 2.0);
}

fn client_with_token(token: &str) -> CozeAPI {
    let options: JsValue = Object::new().into();
    set(&options, "token", token);
    set(&options, "baseURL", emulator());
    CozeAPI::new(options).unwrap()
}

#[wasm_bindgen_test]
async fn the_manager_mints_once_for_concurrent_callers_ahead_of_expiry_and_after_a_401() {
    load_jwt_flow();
    let pair = await_ok(rsa_key_pair()).await;
    let (app, kid) = jwt_app(&get_str(&pair, "publicPem"), "").await;
    let options = params(&app, &kid, get(&pair, "privateKey")); // a CryptoKey
    set(&options, "durationSeconds", 120);
    set(&options, "refreshAheadSeconds", 118);
    let m = JWTTokenManager::new(options).unwrap();
    assert!(await_ok(m.get_token()).await.is_null(), "nothing minted before first use");
    let calls: Vec<js_sys::Promise> = (0..10).map(|_| m.get_access_token()).collect();
    let all = await_ok(js_sys::Promise::all(&calls.into_iter().collect::<js_sys::Array>())).await;
    let first = js_sys::Array::from(&all).get(0).as_string().unwrap();
    assert!(js_sys::Array::from(&all).every(&mut |t, _, _| t.as_string().as_deref() == Some(&first)));
    assert_eq!(tokens_issued(&app).await, 1.0, "one mint for ten concurrent callers");
    assert_eq!(await_ok(m.get_access_token()).await.as_string().unwrap(), first, "still fresh");
    sleep_ms(2100).await; // now within refreshAheadSeconds of expiry
    let second = await_ok(m.get_access_token()).await.as_string().unwrap();
    assert_ne!(second, first, "minted ahead of expiry");
    assert_eq!(tokens_issued(&app).await, 2.0);

    // A CozeAPI with the manager: a 401 (the token expired early) mints once and retries.
    let options: JsValue = Object::new().into();
    set(&options, "token", JsValue::from(m));
    set(&options, "baseURL", emulator());
    let c = CozeAPI::new(options).unwrap();
    admin("POST", "/_emulator/expire", Some(json(&format!(r#"{{"access_token":"{second}"}}"#)))).await;
    let me = await_ok(api(&c.users(), "me", (JsValue::UNDEFINED,))).await;
    assert!(!get_str(&me, "user_id").is_empty());
    assert_eq!(tokens_issued(&app).await, 3.0, "one mint after the 401");
}

/// getJWTToken with `tweak` applied to the params → the rejection.
async fn refusal(app: &str, kid: &str, key: &str, tweak: impl FnOnce(&JsValue)) -> JsValue {
    let p = params(app, kid, key);
    tweak(&p);
    await_err(get_jwt_token(p, JsValue::UNDEFINED)).await
}

fn assert_reason(err: &JsValue, code: &str, reason: &str) {
    assert_eq!(
        (get_str(err, "code").as_str(), get_str(err, "reason").as_str()),
        (code, reason),
        "{}",
        get_str(err, "message")
    );
    let message = get_str(err, "message");
    assert!(!message.contains("MII"), "no key material in the message: {message}");
}

#[wasm_bindgen_test]
async fn every_refusal_of_the_token_endpoint_is_diagnosed() {
    load_jwt_flow();
    let Keys { pkcs8, public, .. } = keys();
    let (app, kid) = jwt_app(public, "").await;
    let refused = "OAUTH_TOKEN_ERROR";
    let e = refusal(&app, &kid, pkcs8, |p| set(p, "aud", "api.coze.cn")).await;
    assert_reason(&e, refused, "aud_mismatch");
    assert_eq!(get(&e, "status").as_f64(), Some(401.0));
    assert!(get_str(&e, "message").contains("baseURL's host"), "{}", get_str(&e, "message"));
    assert_reason(&refusal("1234", &kid, pkcs8, |_| {}).await, refused, "unknown_app");
    assert_reason(&refusal("demo-client.app.coze", &kid, pkcs8, |_| {}).await, refused, "not_jwt_app");
    assert_reason(&refusal(&app, "another-key", pkcs8, |_| {}).await, refused, "key_not_of_app");
    let other = await_ok(rsa_key_pair()).await;
    let e = refusal(&app, &kid, &get_str(&other, "privatePem"), |_| {}).await;
    assert_reason(&e, refused, "bad_signature");
    let stripping_proxy = format!("{}/_strip_authorization", emulator());
    assert_reason(&refusal(&app, &kid, pkcs8, |p| set(p, "baseURL", stripping_proxy)).await, refused, "empty_jwt");
    let (behind, kid_b) = jwt_app(public, r#","clock_offset_seconds":-300"#).await;
    assert_reason(&refusal(&behind, &kid_b, pkcs8, |_| {}).await, refused, "iat_in_future");
    let (ahead, kid_a) = jwt_app(public, r#","clock_offset_seconds":3600"#).await;
    assert_reason(&refusal(&ahead, &kid_a, pkcs8, |_| {}).await, refused, "clock_skew");
    // A coze.com app asked for at api.coze.cn (the test's DNS sends api.coze.cn to the emulator).
    let undo = redirect_origin(COZE_CN_BASE_URL, emulator());
    let e = refusal(&app, &kid, pkcs8, |p| {
        set(p, "baseURL", COZE_CN_BASE_URL);
        set(p, "aud", "api.coze.com");
    })
    .await;
    undo.call0(&JsValue::NULL).unwrap();
    assert_reason(&e, refused, "wrong_region");
}

#[wasm_bindgen_test]
async fn bad_keys_and_durations_are_refused_before_any_request() {
    load_jwt_flow();
    let Keys { pkcs1, pkcs8, public, ec } = keys();
    let (app, kid) = jwt_app(public, "").await;
    let bad = "INVALID_ARGUMENT";
    let encrypted = pkcs1.replace("KEY-----\n", "KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00\n\n");
    let cases: [(&str, &str, i32, &str); 7] = [
        (&kid, public, 900, "public_key"),
        (&kid, ec, 900, "key_not_rsa"),
        (&kid, &encrypted, 900, "encrypted_key"),
        (&kid, "my secret", 900, "key_not_pem"),
        ("  ", pkcs8, 900, "empty_kid"),
        (&kid, pkcs8, 0, "exp_not_after_iat"),
        (&kid, pkcs8, 86_400, "duration_too_long"),
    ];
    for (keyid, key, duration, reason) in cases {
        let e = refusal(&app, keyid, key, |p| set(p, "durationSeconds", duration)).await;
        assert_reason(&e, bad, reason);
    }
    assert_eq!(tokens_issued(&app).await, 0.0);
    let refusals = num(&admin("GET", &format!("/_emulator/jwt_apps/{app}"), None).await, &["refusals"]);
    assert_eq!(refusals, 0.0, "nothing was sent");
    // An ECDSA CryptoKey: WebCrypto refuses to sign RS256 with it.
    let ec_crypto_key = await_ok(ec_private_key()).await;
    assert_reason(&refusal(&app, &kid, "x", |p| set(p, "privateKey", ec_crypto_key)).await, bad, "key_not_rsa");
}

#[wasm_bindgen_test]
async fn a_maker_creates_publishes_and_chats_with_a_bot_using_a_jwt_token() {
    load_jwt_flow();
    let Keys { pkcs8, public, .. } = keys();
    let (app, kid) = jwt_app(public, "").await;
    let token = await_ok(get_jwt_token(params(&app, &kid, pkcs8), JsValue::UNDEFINED)).await;
    let c = client_with_token(&get_str(&token, "access_token"));
    let create = json(r#"{"space_id":"7400000000000000101","name":"Glasses","prompt_info":{"prompt":"be brief"}}"#);
    let bot = get_str(&await_ok(api(&c.bots(), "create", (create,))).await, "bot_id");
    let chat = || api(&c.chat(), "stream", (chat_params(&bot, "hi"), JsValue::UNDEFINED));
    let (_, err) = collect_until_error(&chat().into()).await;
    assert_eq!(get(&err, "cozeCode").as_f64(), Some(4015.0), "a draft is not chattable: {}", get_str(&err, "message"));
    let update = json(&format!(r#"{{"bot_id":"{bot}","name":"Glasses 2"}}"#));
    await_ok(api(&c.bots(), "update", (update,))).await;
    let publish = json(&format!(r#"{{"bot_id":"{bot}","connector_ids":["1024"]}}"#));
    assert_eq!(get_str(&await_ok(api(&c.bots(), "publish", (publish,))).await, "version"), "1");
    let info = await_ok(api(&c.bots(), "retrieve", (json(&format!(r#"{{"bot_id":"{bot}"}}"#)),))).await;
    assert_eq!(get_str(&info, "name"), "Glasses 2");
    let events = collect(&chat().into()).await.unwrap();
    assert_eq!(delta_text(&events_js(&events)), "You said: hi");
    let e = await_err(api(&c.bots(), "publish", (json(&format!(r#"{{"bot_id":"{bot}"}}"#)),))).await;
    assert_eq!(get_str(&e, "code"), "INVALID_ARGUMENT", "connector_ids is required");
}

// A browser's Web Worker is refused; Cloudflare's workerd (a WorkerGlobalScope too, but a server
// that says so in navigator.userAgent) is not. Node plays both here.
#[wasm_bindgen_test]
async fn a_web_worker_is_refused_and_a_workers_runtime_is_not() {
    load_jwt_flow();
    let Keys { pkcs8, public, .. } = keys();
    let (app, kid) = jwt_app(public, "").await;
    let undo = pretend_worker("Mozilla/5.0 (X11; Linux x86_64) Chrome/156");
    let refused =
        wasm_bindgen_futures::JsFuture::from(get_jwt_token(params(&app, &kid, pkcs8), JsValue::UNDEFINED)).await;
    undo.call0(&JsValue::NULL).unwrap();
    assert_eq!(get_str(&refused.unwrap_err(), "code"), "JWT_IN_BROWSER");
    let undo = pretend_worker("Cloudflare-Workers");
    let minted =
        wasm_bindgen_futures::JsFuture::from(get_jwt_token(params(&app, &kid, pkcs8), JsValue::UNDEFINED)).await;
    undo.call0(&JsValue::NULL).unwrap();
    assert!(get_str(&minted.expect("minted in a workers runtime"), "access_token").starts_with("czs_"));
}
