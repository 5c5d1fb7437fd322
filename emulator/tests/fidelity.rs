//! Coze behaviours the client tests lean on: 4100 as HTTP 200 or 401, `unauthorized_always`,
//! required `user_id`, bare `chat.failed` data, OAuth error shapes and token-endpoint faults,
//! custom request headers (CORS + `last_request`), cancel and per-stream records.
mod common;

use std::io::Read;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const SLOW: &str = coze_emulator::SLOW_BOT;
const ECHO: &str = coze_emulator::ECHO_BOT;

/// Register a client (`extra` merged into the spec); returns (client_id, redirect).
fn new_client(emu: &Emu, extra: Value) -> (String, String) {
    let redirect = "http://127.0.0.1:9/callback".to_string();
    let mut spec = json!({"redirect_uris": [redirect]});
    if let (Some(o), Value::Object(e)) = (spec.as_object_mut(), extra) {
        o.extend(e);
    }
    let r = post_json(emu, "/_emulator/clients", None, &spec);
    assert_eq!(r.status, 200, "{}", r.text());
    (r.json()["client_id"].as_str().unwrap().to_string(), redirect)
}

/// A full login for `client`; returns the token JSON.
fn login_as(emu: &Emu, client: &str, redirect: &str) -> Value {
    let verifier = "fidelity-verifier-0123456789abcdef0123456789abcdef";
    let loc = browser_authorize(emu, &authorize_path(client, redirect, "s", &s256(verifier), Some("S256")), "allow");
    let code = param(&loc, "code").unwrap();
    let r = token_request(
        emu,
        &json!({"grant_type":"authorization_code","code":code,"client_id":client,"redirect_uri":redirect,"code_verifier":verifier}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn update_client(emu: &Emu, client: &str, settings: Value) -> Value {
    let r = post_json(emu, &format!("/_emulator/clients/{client}"), None, &settings);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn stats(emu: &Emu, client: &str) -> Value {
    get(emu, &format!("/_emulator/stats?client_id={}", enc(client)), None).json()
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

// --- A1: 4100 as HTTP 401 or 200; unauthorized_always -------------------------------------------

#[test]
fn auth_error_status_is_selectable_per_client() {
    let emu = start();
    let (c200, redirect) = new_client(&emu, json!({"auth_error_status": 200}));
    let t = login_as(&emu, &c200, &redirect);
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(me_status(&emu, access), 200);
    post_json(&emu, "/_emulator/expire", None, &json!({"access_token": access}));
    let r = get(&emu, "/v1/users/me", Some(access));
    assert_eq!(r.status, 200, "Coze-style business error: HTTP 200");
    assert_eq!(r.json()["code"], 4100);
    assert!(r.json()["msg"].as_str().unwrap().contains("expired"));
    assert!(r.json()["detail"]["logid"].is_string() && r.header("x-tt-logid").is_some());
    assert_eq!(stats(&emu, &c200)["api_requests"], json!({"ok": 1, "unauthorized": 1}));

    // Back to the server default (401); an unknown token always gets the server default.
    let c = update_client(&emu, &c200, json!({"auth_error_status": null}));
    assert_eq!(c["settings"]["auth_error_status"], Value::Null);
    let r = get(&emu, "/v1/users/me", Some(access));
    assert_eq!((r.status, r.json()["code"].as_i64()), (401, Some(4100)));
    assert_eq!(get(&emu, "/v1/users/me", Some("czu_nobody")).status, 401);
    update_client(&emu, &c200, json!({"auth_error_status": 200}));
    assert_eq!(get(&emu, "/v1/users/me", Some(access)).status, 200);
    let bad = post_json(&emu, &format!("/_emulator/clients/{c200}"), None, &json!({"auth_error_status": 403}));
    assert_eq!(bad.status, 400);
    assert_eq!(post_json(&emu, "/_emulator/clients/nope.app.coze", None, &json!({})).status, 404);
}

#[test]
fn auth_error_status_server_default() {
    let emu = start_with(|c| c.auth_error_status = 200);
    let r = get(&emu, "/v1/users/me", Some("czu_unknown"));
    assert_eq!((r.status, r.json()["code"].as_i64()), (200, Some(4100)));
    let r = get(&emu, "/v1/users/me", None);
    assert_eq!((r.status, r.json()["code"].as_i64()), (200, Some(4100)));
}

#[test]
fn unauthorized_always_answers_401_forever_and_is_counted() {
    let emu = start();
    let (client, redirect) = new_client(&emu, json!({}));
    let access = login_as(&emu, &client, &redirect)["access_token"].as_str().unwrap().to_string();
    let bot = scenario(&emu, json!({"fault": "unauthorized_always"}));
    for _ in 0..3 {
        let r = post_json(&emu, "/v3/chat", Some(&access), &chat_body(&bot, "hi", true));
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.json()["code"], 4100);
    }
    let s = stats(&emu, &client);
    assert_eq!(s["emulated_unauthorized"], 3, "{s}");
    assert_eq!(s["api_by_path"]["/v3/chat"], 3, "{s}");
    let b = get(&emu, &format!("/_emulator/bots/{bot}"), None).json();
    assert_eq!((b["chat_requests"].as_u64(), b["emulated_unauthorized"].as_u64()), (Some(3), Some(3)), "{b}");
    // The PAT is refused the same way; other bots still work with the same token.
    assert_eq!(stream_chat(&emu, &bot, "x").status, 401);
    assert_eq!(post_json(&emu, "/v3/chat", Some(&access), &chat_body(ECHO, "hi", true)).status, 200);
    assert_eq!(stats(&emu, &client)["api_by_path"]["/v3/chat"], 4);

    // The same fault as a Coze business error (HTTP 200).
    let bot200 = scenario(&emu, json!({"fault": "unauthorized_always", "auth_error_status": 200}));
    let r = stream_chat(&emu, &bot200, "x");
    assert_eq!((r.status, r.json()["code"].as_i64()), (200, Some(4100)));
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let once = scenario(&emu, json!({"fault": "unauthorized_once", "auth_error_status": 200}));
    assert_eq!(stream_chat(&emu, &once, "x").json()["code"], 4100);
    assert_eq!(stream_chat(&emu, &once, "x").header("content-type"), Some("text/event-stream; charset=utf-8"));
    assert_eq!(post_json(&emu, "/_emulator/bots", None, &json!({"auth_error_status": 500})).status, 400);
}

// --- A2: user_id ------------------------------------------------------------------------------------

#[test]
fn user_id_is_required_on_chat() {
    let emu = start();
    for body in [
        json!({"bot_id": ECHO, "stream": true, "additional_messages": [{"role":"user","content":"x","content_type":"text"}]}),
        json!({"bot_id": ECHO, "user_id": "", "stream": true}),
        json!({"bot_id": ECHO, "user_id": null, "stream": false}),
    ] {
        let r = post_json(&emu, "/v3/chat", Some(PAT), &body);
        assert_eq!(r.status, 200, "{body}");
        assert!(r.header("content-type").unwrap().starts_with("application/json"));
        let j = r.json();
        assert_eq!(j["code"], 4000, "{j}");
        assert!(j["msg"].as_str().unwrap().contains("user_id"), "{j}");
        assert!(j["detail"]["logid"].is_string());
    }
    assert_eq!(stream_chat(&emu, ECHO, "ok").status, 200);
}

// --- A3: bare chat.failed ---------------------------------------------------------------------------

#[test]
fn chat_failed_can_carry_bare_code_and_msg() {
    let emu = start();
    let bare = scenario(&emu, json!({"fault": "chat_failed", "failed_data": "bare", "fault_after": 2}));
    let evs = sse(&stream_chat(&emu, &bare, "x").body);
    let failed = evs.iter().find(|e| e.event == "conversation.chat.failed").expect("failed event");
    assert_eq!(failed.json(), json!({"code": 4028, "msg": "free quota used up"}));
    assert_eq!(evs.last().unwrap().event, "done");

    let chat = scenario(&emu, json!({"fault": "chat_failed", "failed_data": "chat"}));
    let evs = sse(&stream_chat(&emu, &chat, "x").body);
    let failed = evs.iter().find(|e| e.event == "conversation.chat.failed").unwrap().json();
    assert_eq!((failed["status"].as_str(), failed["last_error"]["code"].as_i64()), (Some("failed"), Some(4028)));
    assert_eq!(post_json(&emu, "/_emulator/bots", None, &json!({"failed_data": "nested"})).status, 400);
}

// --- A4: OAuth error shapes, token faults -------------------------------------------------------------

#[test]
fn oauth_errors_in_each_documented_shape() {
    let emu = start();
    let (plain, _) = new_client(&emu, json!({}));
    let (rfc, _) = new_client(&emu, json!({"oauth_error_shape": "error"}));
    let (doc, _) = new_client(&emu, json!({"oauth_error_shape": "error_code"}));
    let bad = |c: &str| refresh(&emu, c, "not-a-refresh-token");
    let r = bad(&plain);
    assert_eq!(r.status, 400);
    assert_eq!(keys(&r.json()), ["error", "error_code", "error_description", "error_message"]);
    let r = bad(&rfc);
    assert_eq!(r.status, 400);
    assert_eq!(keys(&r.json()), ["error", "error_description"]);
    assert_eq!(r.json()["error"], "invalid_grant");
    let r = bad(&doc);
    assert_eq!(r.status, 400);
    assert_eq!(keys(&r.json()), ["error_code", "error_message"]);
    assert_eq!(r.json()["error_code"], "invalid_grant");
    // Every OAuth error of that client takes the shape, e.g. a missing field or an unknown grant.
    let r = token_request(&emu, &json!({"grant_type": "password", "client_id": doc}));
    assert_eq!((r.status, r.json()["error_code"].as_str()), (400, Some("unsupported_grant_type")));
    assert!(r.json().get("error").is_none());
    let r = token_request(&emu, &json!({"grant_type": "refresh_token", "client_id": rfc}));
    assert_eq!(keys(&r.json()), ["error", "error_description"]);
    assert_eq!(r.json()["error"], "invalid_request");
    assert_eq!(
        post_json(
            &emu,
            "/_emulator/clients",
            None,
            &json!({"redirect_uris": ["http://x/"], "oauth_error_shape": "xml"})
        )
        .status,
        400
    );
}

#[test]
fn refresh_refusal_in_each_shape() {
    let emu = start();
    for (shape, fields) in [
        ("error", vec!["error", "error_description"]),
        ("error_code", vec!["error_code", "error_message"]),
        ("both", vec!["error", "error_code", "error_description", "error_message"]),
    ] {
        let (client, redirect) = new_client(&emu, json!({"oauth_error_shape": shape}));
        let t = login_as(&emu, &client, &redirect);
        update_client(&emu, &client, json!({"token_fault": {"kind": "refuse", "code": "access_deny"}}));
        let r = refresh(&emu, &client, t["refresh_token"].as_str().unwrap());
        assert_eq!(r.status, 400, "{}", r.text());
        assert_eq!(keys(&r.json()), fields, "{shape}");
        let code = r.json().get("error").or(r.json().get("error_code")).cloned().unwrap();
        assert_eq!(code, "access_deny");
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let s = stats(&emu, &client);
        assert_eq!((s["refresh_failures"].as_u64(), s["token_faults"].as_u64()), (Some(1), Some(1)), "{s}");
        assert_eq!(s["token_requests"]["refresh_token"], 1);
    }
}

#[test]
fn token_endpoint_429_and_503_pass() {
    let emu = start();
    let (client, redirect) = new_client(&emu, json!({}));
    let t = login_as(&emu, &client, &redirect);
    let access = t["access_token"].as_str().unwrap().to_string();
    let c = update_client(&emu, &client, json!({"token_fault": {"kind": "http_429", "times": 1}}));
    assert_eq!(
        c["settings"]["token_fault"],
        json!({"kind": "http_429", "grant": "refresh_token", "times": 1, "code": "invalid_grant"})
    );
    let r = refresh(&emu, &client, t["refresh_token"].as_str().unwrap());
    assert_eq!(r.status, 429);
    let j = r.json();
    assert_eq!(j["code"], 4013);
    assert!(j["msg"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(r.header("x-tt-logid").is_some());
    // The login survived: the access token works and the same refresh token still refreshes.
    assert_eq!(me_status(&emu, &access), 200);
    let r = refresh(&emu, &client, t["refresh_token"].as_str().unwrap());
    assert_eq!(r.status, 200, "{}", r.text());
    let t2 = r.json();

    update_client(&emu, &client, json!({"token_fault": {"kind": "http_503_html", "times": 2}}));
    for _ in 0..2 {
        let r = refresh(&emu, &client, t2["refresh_token"].as_str().unwrap());
        assert_eq!(r.status, 503);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.text().contains("<html") && r.text().contains("503"));
    }
    assert_eq!(refresh(&emu, &client, t2["refresh_token"].as_str().unwrap()).status, 200);
    let s = stats(&emu, &client);
    assert_eq!(s["token_faults"], 3, "{s}");
    assert_eq!(s["refresh_failures"], 0, "a passing server error is not a refusal: {s}");
    assert_eq!(s["token_requests"]["refresh_token"], 5);
}

#[test]
fn token_fault_on_the_code_exchange_keeps_the_code() {
    let emu = start();
    let (client, redirect) =
        new_client(&emu, json!({"token_fault": {"kind": "http_503_html", "grant": "authorization_code", "times": 1}}));
    let verifier = "fault-verifier-0123456789abcdef0123456789abcdef";
    let loc = browser_authorize(&emu, &authorize_path(&client, &redirect, "s", &s256(verifier), Some("S256")), "allow");
    let code = param(&loc, "code").unwrap();
    let body = json!({"grant_type":"authorization_code","code":code,"client_id":client,"redirect_uri":redirect,"code_verifier":verifier});
    assert_eq!(token_request(&emu, &body).status, 503);
    assert_eq!(token_request(&emu, &body).status, 200, "the code was not consumed by the fault");
    for bad in [
        json!({"token_fault": {"kind": "boom"}}),
        json!({"token_fault": {"kind": "refuse", "grant": "password"}}),
        json!({"token_fault": {"kind": "refuse", "code": "bad code"}}),
        json!({"token_fault": {"kind": "refuse", "extra": 1}}),
    ] {
        assert_eq!(post_json(&emu, &format!("/_emulator/clients/{client}"), None, &bad).status, 400, "{bad}");
    }
    let info = get(&emu, &format!("/_emulator/clients/{client}"), None).json();
    assert_eq!(info["settings"]["token_fault"]["times"], 0, "{info}");
}

// --- A5: custom headers ------------------------------------------------------------------------------

#[test]
fn preflight_allows_custom_headers() {
    let emu = start();
    let preflight = |req_headers: &str| {
        request(
            emu.addr,
            "OPTIONS",
            "/v3/chat",
            &[
                ("Origin", "http://127.0.0.1:8000"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", req_headers),
            ],
            None,
        )
    };
    let r = preflight("authorization,content-type,x-coze-client-user-agent,X-Trace-Id,x-my-app");
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("authorization, content-type, x-coze-client-user-agent, x-trace-id, x-my-app")
    );
    // Malformed or oversized lists fall back to the base list.
    for odd in ["x-ok, bad header", &(0..100).map(|i| format!("x-h{i}")).collect::<Vec<_>>().join(",")] {
        let r = preflight(odd);
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("authorization, content-type, x-coze-client-user-agent")
        );
    }
    let r = request(
        emu.addr,
        "OPTIONS",
        "/api/permission/oauth2/token",
        &[("Access-Control-Request-Headers", "x-a")],
        None,
    );
    assert!(r.header("access-control-allow-headers").unwrap().ends_with(", x-a"));
}

#[test]
fn last_request_reports_the_headers_sent() {
    let emu = start();
    assert_eq!(get(&emu, "/_emulator/last_request", None).status, 404);
    let (client, redirect) = new_client(&emu, json!({}));
    let access = login_as(&emu, &client, &redirect)["access_token"].as_str().unwrap().to_string();
    let auth = format!("Bearer {access}");
    let r = request(
        emu.addr,
        "GET",
        "/v1/users/me?x=1",
        &[("Authorization", &auth), ("X-Custom-Header", "hello 扣子"), ("x-multi", "a"), ("X-Multi", "b")],
        None,
    );
    assert_eq!(r.status, 200);
    let last = get(&emu, "/_emulator/last_request", None).json();
    assert_eq!((last["method"].as_str(), last["path"].as_str()), (Some("GET"), Some("/v1/users/me")));
    assert_eq!(last["headers"]["x-custom-header"], "hello 扣子");
    assert_eq!(last["headers"]["x-multi"], "a, b");
    let a = last["headers"]["authorization"].as_str().unwrap();
    assert!(a.starts_with("Bearer [redacted") && !a.contains(&access), "{a}");

    // Per client and per bot, so parallel tests do not see each other's requests.
    let bot = scenario(&emu, json!({}));
    let body = chat_body(&bot, "hi", true).to_string();
    request(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", "Bearer pat_emulator_demo"), ("Content-Type", "application/json"), ("X-Bot-Test", "1")],
        Some(body.as_bytes()),
    );
    get(&emu, "/v1/workspaces", Some(PAT));
    assert_eq!(get(&emu, "/_emulator/last_request", None).json()["path"], "/v1/workspaces");
    let by_bot = get(&emu, &format!("/_emulator/last_request?bot_id={bot}"), None).json();
    assert_eq!((by_bot["path"].as_str(), by_bot["headers"]["x-bot-test"].as_str()), (Some("/v3/chat"), Some("1")));
    let by_client = get(&emu, &format!("/_emulator/last_request?client_id={}", enc(&client)), None).json();
    assert_eq!(by_client["headers"]["x-custom-header"], "hello 扣子");
    // A refused request is recorded too.
    request(emu.addr, "GET", "/v1/users/me", &[("Authorization", "Bearer czu_bad"), ("X-Refused", "yes")], None);
    assert_eq!(get(&emu, "/_emulator/last_request", None).json()["headers"]["x-refused"], "yes");
}

// --- A6: cancel record, per-stream record ----------------------------------------------------------

fn open_stream(emu: &Emu, bot: &str, token: &str) -> (std::net::TcpStream, Value) {
    let body = chat_body(bot, "long please", true).to_string();
    let auth = format!("Bearer {token}");
    let mut s = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    let raw = read_until(&mut s, "event:conversation.chat.in_progress");
    let text = String::from_utf8_lossy(&raw);
    let line = text.lines().find(|l| l.starts_with("data:{")).expect("created event");
    let created: Value = serde_json::from_str(&line["data:".len()..]).unwrap();
    (s, created)
}

#[test]
fn cancel_calls_are_recorded_per_client_bot_and_chat() {
    let emu = start();
    assert_eq!(get(&emu, "/_emulator/cancels", None).json(), json!({"count": 0, "calls": []}));
    let (client, redirect) = new_client(&emu, json!({}));
    let access = login_as(&emu, &client, &redirect)["access_token"].as_str().unwrap().to_string();
    let (mut s, created) = open_stream(&emu, SLOW, &access);
    let (conv, chat) = (created["conversation_id"].as_str().unwrap(), created["id"].as_str().unwrap());
    let c = post_json(&emu, "/v3/chat/cancel", Some(&access), &json!({"conversation_id": conv, "chat_id": chat}));
    assert_eq!(c.json()["data"]["status"], "canceled");
    let again = post_json(&emu, "/v3/chat/cancel", Some(&access), &json!({"conversation_id": conv, "chat_id": chat}));
    assert_eq!(again.json()["code"], 4104);
    post_json(&emu, "/v3/chat/cancel", Some(PAT), &json!({"conversation_id": conv, "chat_id": "1"}));
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);

    let by_chat = get(&emu, &format!("/_emulator/cancels?chat_id={chat}"), None).json();
    assert_eq!(by_chat["count"], 2, "{by_chat}");
    let first = &by_chat["calls"][0];
    assert_eq!((first["code"].as_i64(), first["client_id"].as_str()), (Some(0), Some(client.as_str())));
    assert_eq!((first["conversation_id"].as_str(), first["bot_id"].as_str()), (Some(conv), Some(SLOW)));
    assert_eq!(by_chat["calls"][1]["code"], 4104);
    assert_eq!(get(&emu, &format!("/_emulator/cancels?client_id={}", enc(&client)), None).json()["count"], 2);
    assert_eq!(get(&emu, &format!("/_emulator/cancels?bot_id={SLOW}"), None).json()["count"], 2);
    let all = get(&emu, "/_emulator/cancels", None).json();
    assert_eq!((all["count"].as_u64(), all["calls"][2]["code"].as_i64()), (Some(3), Some(4200)));
    assert_eq!(all["calls"][2]["client_id"], Value::Null, "the PAT belongs to no client");
    assert_eq!(stats(&emu, &client)["cancel_calls"], 2);
    let info = get(&emu, &format!("/_emulator/chats/{chat}"), None).json();
    assert_eq!((info["cancel_calls"].as_u64(), info["status"].as_str()), (Some(2), Some("canceled")));
    assert_eq!(info["client_id"], client.as_str());
}

#[test]
fn each_stream_records_whether_the_client_closed_it() {
    let emu = start();
    // ~2 s of events, 20 ms apart: the client hangs up long before the end.
    let bot = scenario(&emu, json!({"delay_ms": 20, "reply": "word ", "repeat": 100}));
    let (s, created) = open_stream(&emu, &bot, PAT);
    let aborted = created["id"].as_str().unwrap().to_string();
    drop(s);
    let done = sse(&stream_chat(&emu, &bot, "to the end").body);
    let completed = done[0].json()["id"].as_str().unwrap().to_string();
    wait_for("the server to see the stream closed", || {
        get(&emu, &format!("/_emulator/chats/{aborted}"), None).json()["stream"]["closed_by_client"] == true
    });
    let a = get(&emu, &format!("/_emulator/chats/{aborted}"), None).json();
    assert_eq!(a["stream"]["open"], false);
    assert_eq!(a["status"], "canceled");
    assert!(a["stream"]["bytes"].as_u64().unwrap() > 0);
    let c = get(&emu, &format!("/_emulator/chats/{completed}"), None).json();
    assert_eq!((c["stream"]["closed_by_client"].as_bool(), c["stream"]["open"].as_bool()), (Some(false), Some(false)));
    assert_eq!(c["status"], "completed");
    let per_bot = get(&emu, &format!("/_emulator/streams?bot_id={bot}"), None).json();
    assert_eq!(per_bot["closed_by_client"], 1, "{per_bot}");
    assert_eq!((per_bot["open"].as_u64(), per_bot["started"].as_u64()), (Some(0), Some(2)), "{per_bot}");
    assert_eq!(get(&emu, "/_emulator/streams?bot_id=404", None).status, 404);
    assert_eq!(get(&emu, "/_emulator/chats/404", None).status, 404);
    // A non-streamed chat has no stream record.
    let id = post_json(&emu, "/v3/chat", Some(PAT), &chat_body(ECHO, "x", false)).json()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_millis(10));
    assert_eq!(get(&emu, &format!("/_emulator/chats/{id}"), None).json()["stream"], Value::Null);
}
