//! The DOM-free tests of shared/api.rs in Node ≥ 20 (no `run_in_browser`, so the runner uses
//! Node): `cargo test --target wasm32-unknown-unknown --test node`, with COZE_EMULATOR_URL set at
//! build time as for the browser suites.
#![cfg(target_arch = "wasm32")]

#[allow(dead_code)]
#[path = "shared/api.rs"]
mod api;
#[allow(dead_code)]
#[path = "shared/files.rs"]
mod files;
#[path = "shared/jwt.rs"]
mod jwt;
#[allow(dead_code)]
mod support;

use coze_wasm::*;
use support::*;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

// The PAT guard is for pages and workers (tests/browser.rs): a server script may use a PAT.
#[wasm_bindgen_test]
fn a_pat_is_accepted_outside_a_page() {
    assert!(CozeAPI::new(json(r#"{"token":"pat_abc"}"#)).is_ok());
}

// ------------------------------------------------------------------------------ web flow
// Server runtimes only (a page or worker is refused: tests/browser.rs).

async fn web_app() -> (String, String, String) {
    let redirect = "http://127.0.0.1:9/web/callback".to_owned();
    let body = json(&format!(r#"{{"redirect_uris":["{redirect}"],"client_type":"web"}}"#));
    let reply = admin("POST", "/_emulator/clients", Some(body)).await;
    (get_str(&reply, "client_id"), get_str(&reply, "client_secret"), redirect)
}

fn web_token(code: &str, client_id: &str, secret: &str, redirect: &str) -> js_sys::Promise {
    let params = format!(
        r#"{{"code":"{code}","clientId":"{client_id}","clientSecret":"{secret}","redirectUrl":"{redirect}","baseURL":"{}"}}"#,
        emulator()
    );
    get_web_oauth_token(json(&params), JsValue::UNDEFINED)
}

fn refresh_with_secret(refresh_token: &str, client_id: &str, secret: Option<&str>) -> js_sys::Promise {
    let secret = secret.map_or(String::new(), |s| format!(r#","clientSecret":"{s}""#));
    let params =
        format!(r#"{{"refreshToken":"{refresh_token}","clientId":"{client_id}","baseURL":"{}"{secret}}}"#, emulator());
    refresh_oauth_token(json(&params), JsValue::UNDEFINED)
}

#[wasm_bindgen_test]
async fn the_web_flow_logs_in_and_refreshes_with_the_secret() {
    let (client_id, secret, redirect) = web_app().await;
    let params = format!(
        r#"{{"clientId":"{client_id}","redirectUrl":"{redirect}","baseURL":"{e}","wwwURL":"{e}"}}"#,
        e = emulator()
    );
    let start = get_web_authentication_url(json(&params)).unwrap();
    let (url, state) = (get_str(&start, "url"), get_str(&start, "state"));
    assert_eq!(state.len(), 43, "a state is generated");
    assert!(url.contains(&format!("&state={state}")) && !url.contains("code_challenge"), "{url}");
    let body = js_sys::Object::new();
    js_sys::Reflect::set(&body, &"url".into(), &url.into()).unwrap();
    js_sys::Reflect::set(&body, &"decision".into(), &"allow".into()).unwrap();
    let location = get_str(&admin("POST", "/_emulator/authorize", Some(body.into())).await, "location");
    let code = get_str(&parse_authorization_callback(location.into(), state.into()).unwrap(), "code");

    // A wrong secret is refused by the server (and spends nothing); the right one gets the tokens.
    let err = await_err(web_token(&code, &client_id, "cs_wrong", &redirect)).await;
    assert_eq!((get_str(&err, "code"), get_str(&err, "error")), ("OAUTH_TOKEN_ERROR".into(), "invalid_client".into()));
    assert!(!get_str(&err, "message").contains("cs_wrong"));
    let token = await_ok(web_token(&code, &client_id, &secret, &redirect)).await;
    let access = get_str(&token, "access_token");
    assert!(access.starts_with("czu_"));
    let client = CozeAPI::new(json(&format!(r#"{{"token":"{access}","baseURL":"{}"}}"#, emulator()))).unwrap();
    let me = await_ok(api(&client.users(), "me", (JsValue::UNDEFINED,))).await;
    assert!(!get_str(&me, "user_id").is_empty());

    // refreshOAuthToken sends the secret (Authorization: Bearer <secret>); without it, refused.
    let refresh_token = get_str(&token, "refresh_token");
    let err = await_err(refresh_with_secret(&refresh_token, &client_id, None)).await;
    assert_eq!(get_str(&err, "error"), "invalid_request");
    let fresh = await_ok(refresh_with_secret(&refresh_token, &client_id, Some(&secret))).await;
    assert_ne!(get_str(&fresh, "refresh_token"), refresh_token);
    assert_eq!(refresh_count(&client_id).await, 2.0);
}

// `slow_down` makes every later wait 5 s longer (one lane only: it costs ~6 s).
#[wasm_bindgen_test]
async fn device_polling_slows_down_when_told() {
    let faults = r#"{"redirect_uris":["http://127.0.0.1:9/cb"],"device_interval":1,"token_fault":{"kind":"refuse","grant":"device_code","code":"slow_down","times":1}}"#;
    let client_id = get_str(&admin("POST", "/_emulator/clients", Some(json(faults))).await, "client_id");
    let params = json(&format!(r#"{{"clientId":"{client_id}","baseURL":"{}"}}"#, emulator()));
    let code = await_ok(get_device_code(params, JsValue::UNDEFINED)).await;
    let decision = format!(r#"{{"user_code":"{}","decision":"allow"}}"#, get_str(&code, "user_code"));
    admin("POST", "/_emulator/device", Some(json(&decision))).await;
    let started = now_ms();
    let params = format!(
        r#"{{"clientId":"{client_id}","deviceCode":"{}","baseURL":"{}","interval":1}}"#,
        get_str(&code, "device_code"),
        emulator()
    );
    let token = await_ok(get_device_token(json(&params), JsValue::UNDEFINED)).await;
    let waited = now_ms() - started;
    assert!((5900.0..9000.0).contains(&waited), "waited {waited} ms: 1 s interval + 5 s");
    assert!(get_str(&token, "access_token").starts_with("czu_"));
}
