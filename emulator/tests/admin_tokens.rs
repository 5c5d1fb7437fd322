//! The admin switches the stress tests rely on: `POST /_emulator/expire`, the per-client API
//! counters in `/_emulator/stats` and the `peak` of `/_emulator/streams`.
mod common;

use common::*;
use serde_json::json;

fn stats(emu: &Emu) -> serde_json::Value {
    get(emu, &format!("/_emulator/stats?client_id={CLIENT}"), None).json()
}

fn expire(emu: &Emu, body: serde_json::Value) -> Resp {
    post_json(emu, "/_emulator/expire", None, &body)
}

#[test]
fn expire_ends_one_access_token_and_counts_api_requests() {
    let emu = start();
    let t = login(&emu);
    let (access, refresh_token) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    assert_eq!(me_status(&emu, access), 200);
    assert_eq!(me_status(&emu, access), 200);

    let r = expire(&emu, json!({"access_token": access}));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["expired"], 1);
    let r = get(&emu, "/v1/users/me", Some(access));
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], 4100);
    assert!(r.json()["msg"].as_str().unwrap().contains("expired"), "{}", r.text());

    // The refresh token of that login still works.
    let r = refresh(&emu, CLIENT, refresh_token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(me_status(&emu, r.json()["access_token"].as_str().unwrap()), 200);

    let s = stats(&emu);
    assert_eq!(s["api_requests"], json!({"ok": 3, "unauthorized": 1}), "{s}");
    // Unknown tokens and the PAT belong to no client.
    assert_eq!(me_status(&emu, "czu_unknown"), 401);
    assert_eq!(me_status(&emu, PAT), 200);
    assert_eq!(stats(&emu)["api_requests"], json!({"ok": 3, "unauthorized": 1}));
}

#[test]
fn expire_a_refresh_token_is_invalid_grant_without_revoking_the_login() {
    let emu = start();
    let t = login(&emu);
    let (access, refresh_token) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    let r = expire(&emu, json!({"refresh_token": refresh_token}));
    assert_eq!(r.json()["expired"], 1);
    let r = refresh(&emu, CLIENT, refresh_token);
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert!(r.json()["error_description"].as_str().unwrap().contains("expired"), "{}", r.text());
    assert_eq!(me_status(&emu, access), 200, "the access token lives on");
    let s = stats(&emu);
    assert_eq!(s["token_requests"]["refresh_token"], 1);
    assert_eq!(s["refresh_failures"], 1);
}

#[test]
fn expire_validation() {
    let emu = start();
    assert_eq!(expire(&emu, json!({})).status, 400);
    assert_eq!(expire(&emu, json!({"access_token": 7})).status, 400);
    assert_eq!(expire(&emu, json!({"access_token": "czu_never_issued"})).status, 400);
    assert_eq!(get(&emu, "/_emulator/expire", None).status, 405);
}

#[test]
fn streams_report_their_peak() {
    let emu = start();
    let bot = scenario(&emu, json!({"delay_ms": 100, "reply": "peak"}));
    let s = get(&emu, "/_emulator/streams", None).json();
    assert_eq!((s["open"].as_u64(), s["peak"].as_u64()), (Some(0), Some(0)), "{s}");
    let mut a = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &format!("Bearer {PAT}")), ("Content-Type", "application/json")],
        Some(chat_body(&bot, "a", true).to_string().as_bytes()),
    );
    let mut b = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &format!("Bearer {PAT}")), ("Content-Type", "application/json")],
        Some(chat_body(&bot, "b", true).to_string().as_bytes()),
    );
    read_until(&mut a, "conversation.chat.created");
    read_until(&mut b, "conversation.chat.created");
    let s = get(&emu, "/_emulator/streams", None).json();
    assert_eq!((s["open"].as_u64(), s["peak"].as_u64()), (Some(2), Some(2)), "{s}");
    read_until(&mut a, "[DONE]");
    read_until(&mut b, "[DONE]");
    wait_for("both streams to close", || get(&emu, "/_emulator/streams", None).json()["open"] == 0);
    assert_eq!(get(&emu, "/_emulator/streams", None).json()["peak"], 2);
}
