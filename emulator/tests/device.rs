//! Device authorization (coze-api.md §1.8): device code, polling with authorization_pending /
//! slow_down / access_denied / expired_token, the verification page.
mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn new_client(emu: &Emu, extra: Value) -> String {
    let mut spec = json!({"redirect_uris": ["http://127.0.0.1:9/cb"], "name": "TV App"});
    if let (Some(o), Value::Object(e)) = (spec.as_object_mut(), extra) {
        o.extend(e);
    }
    let r = post_json(emu, "/_emulator/clients", None, &spec);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["client_id"].as_str().unwrap().to_string()
}

fn device_code(emu: &Emu, path: &str, client: &str) -> Value {
    let r = post_json(emu, path, Some(""), &json!({"client_id": client}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.json()
}

fn poll(emu: &Emu, client: &str, device_code: &str) -> Resp {
    token_request(emu, &json!({"grant_type": GRANT, "client_id": client, "device_code": device_code}))
}

fn assert_device_error(r: &Resp, code: &str) {
    assert_eq!(r.status, 400, "{}", r.text());
    let j = r.json();
    assert_eq!((j["error"].as_str(), j["error_code"].as_str()), (Some(code), Some(code)), "{j}");
    assert!(j["error_description"].as_str().is_some_and(|d| !d.is_empty()));
}

#[test]
fn device_code_response_and_full_flow_through_the_page() {
    let emu = start();
    let client = new_client(&emu, json!({"device_interval": 0}));
    let d = device_code(&emu, "/api/permission/oauth2/device/code", &client);
    let user_code = d["user_code"].as_str().unwrap().to_string();
    assert_eq!(user_code.len(), 9);
    assert_eq!(user_code.as_bytes()[4], b'-');
    assert_eq!(d["verification_uri"], format!("{}/oauth/device", emu.url));
    assert_eq!((d["expires_in"].as_u64(), d["interval"].as_u64()), (Some(300), Some(0)), "relative seconds");
    let device = d["device_code"].as_str().unwrap().to_string();
    assert!(device.len() >= 32);

    assert_device_error(&poll(&emu, &client, &device), "authorization_pending");

    // The page as PY/GO link it: verification_uri + "?user_code=" + user_code (any case/format).
    let entry = get(&emu, "/oauth/device", None);
    assert_eq!(entry.status, 200);
    assert!(entry.text().contains(r#"name="user_code""#));
    let lower = user_code.to_ascii_lowercase().replace('-', "");
    let page = get(&emu, &format!("/oauth/device?user_code={lower}"), None);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"id="allow""#) && html.contains(r#"id="deny""#) && html.contains("TV App"), "{html}");
    assert!(html.contains(&user_code));
    let bad = get(&emu, "/oauth/device?user_code=ZZZZ-ZZZZ", None);
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("error-message"));

    let form = format!("user_code={}&decision=allow", enc(&user_code));
    let r = request(
        emu.addr,
        "POST",
        "/oauth/device",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.as_bytes()),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(r#"data-decision="allow""#));
    // Used codes cannot be decided again.
    let again = request(emu.addr, "POST", "/oauth/device", &[], Some(form.as_bytes()));
    assert_eq!(again.status, 400);

    let t = poll(&emu, &client, &device);
    assert_eq!(t.status, 200, "{}", t.text());
    let t = t.json();
    assert!(t["access_token"].as_str().unwrap().starts_with("czu_"));
    assert!(t["expires_in"].as_u64().unwrap() > 1_700_000_000, "absolute, like every token reply");
    assert_eq!(me_status(&emu, t["access_token"].as_str().unwrap()), 200);
    // Refresh works as for PKCE logins; the device code is single-use.
    assert_eq!(refresh(&emu, &client, t["refresh_token"].as_str().unwrap()).status, 200);
    assert_device_error(&poll(&emu, &client, &device), "invalid_grant");
    let s = get(&emu, &format!("/_emulator/stats?client_id={}", enc(&client)), None).json();
    assert_eq!((s["device_codes"].as_u64(), s["token_requests"]["device_code"].as_u64()), (Some(1), Some(3)), "{s}");
}

#[test]
fn deny_expiry_and_wrong_client() {
    let emu = start();
    let client = new_client(&emu, json!({"device_interval": 0, "device_expires_in": 1}));
    let other = new_client(&emu, json!({}));
    let denied = device_code(&emu, "/api/permission/oauth2/workspace_id/7400000000000000102/device/code", &client);
    assert_eq!(denied["expires_in"], 1);
    let page = get(&emu, &format!("/oauth/device?user_code={}", denied["user_code"].as_str().unwrap()), None).text();
    assert!(page.contains("Team Emulator") || page.contains("7400000000000000102"), "{page}");
    let r = post_json(&emu, "/_emulator/device", None, &json!({"user_code": denied["user_code"], "decision": "deny"}));
    assert_eq!(r.json(), json!({"ok": true}));
    assert_device_error(&poll(&emu, &client, denied["device_code"].as_str().unwrap()), "access_denied");
    assert_device_error(&poll(&emu, &other, denied["device_code"].as_str().unwrap()), "invalid_grant");
    assert_device_error(&poll(&emu, &client, "no-such-device-code"), "invalid_grant");

    let late = device_code(&emu, "/api/permission/oauth2/device/code", &client);
    std::thread::sleep(Duration::from_millis(1100));
    assert_device_error(&poll(&emu, &client, late["device_code"].as_str().unwrap()), "expired_token");
    let r = post_json(&emu, "/_emulator/device", None, &json!({"user_code": late["user_code"], "decision": "allow"}));
    assert_eq!(r.status, 400, "an expired code cannot be approved");

    let r = post_json(&emu, "/api/permission/oauth2/device/code", None, &json!({"client_id": "nobody.app.coze"}));
    assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(post_json(&emu, "/api/permission/oauth2/device/code", None, &json!({})).status, 400);
    assert_eq!(get(&emu, "/api/permission/oauth2/device/code", None).status, 405);
}

#[test]
fn polling_faster_than_the_interval_is_slow_down() {
    let emu = start();
    let client = new_client(&emu, json!({"device_interval": 1}));
    let d = device_code(&emu, "/api/permission/oauth2/device/code", &client);
    assert_eq!(d["interval"], 1);
    let dc = d["device_code"].as_str().unwrap();
    assert_device_error(&poll(&emu, &client, dc), "authorization_pending");
    let r = poll(&emu, &client, dc);
    assert_device_error(&r, "slow_down");
    assert!(r.json()["error_description"].as_str().unwrap().contains("6 seconds"), "interval grows by 5 s");
    // Waiting the original interval is now too soon as well.
    std::thread::sleep(Duration::from_millis(1100));
    assert_device_error(&poll(&emu, &client, dc), "slow_down");
}

#[test]
fn device_errors_follow_the_client_shape() {
    let emu = start();
    let client = new_client(&emu, json!({"device_interval": 0, "oauth_error_shape": "error"}));
    let d = device_code(&emu, "/api/permission/oauth2/device/code", &client);
    let r = poll(&emu, &client, d["device_code"].as_str().unwrap());
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"error": "authorization_pending", "error_description": r.json()["error_description"]}));
    let bad = post_json(&emu, &format!("/_emulator/clients/{client}"), None, &json!({"device_interval": 61}));
    assert_eq!(bad.status, 400);
}

// Each refusal on demand: a `refuse` token fault on the device grant answers with any code.
#[test]
fn device_refusals_can_be_injected() {
    let emu = start();
    let client = new_client(&emu, json!({"device_interval": 0}));
    let d = device_code(&emu, "/api/permission/oauth2/device/code", &client);
    let device = d["device_code"].as_str().unwrap().to_string();
    for code in ["slow_down", "access_denied", "expired_token", "authorization_pending"] {
        let fault = json!({"token_fault": {"kind": "refuse", "grant": "device_code", "code": code, "times": 1}});
        assert_eq!(post_json(&emu, &format!("/_emulator/clients/{client}"), None, &fault).status, 200);
        assert_device_error(&poll(&emu, &client, &device), code);
    }
    // The fault is spent: the real state again (nobody decided yet).
    assert_device_error(&poll(&emu, &client, &device), "authorization_pending");
    let stats = get(&emu, &format!("/_emulator/stats?client_id={client}"), None).json();
    assert_eq!(stats["token_requests"]["device_code"], 5);
    assert_eq!(stats["token_faults"], 4);
}
