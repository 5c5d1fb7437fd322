mod common;

use std::io::Read;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const ECHO: &str = coze_emulator::ECHO_BOT;
const SLOW: &str = coze_emulator::SLOW_BOT;
const POET: &str = coze_emulator::POET_BOT;

const NORMAL_ORDER: [&str; 4] = [
    "conversation.message.completed",
    "conversation.message.completed",
    "conversation.message.completed",
    "conversation.chat.completed",
];

fn assert_sse_headers(r: &Resp) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/event-stream; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("x-accel-buffering"), Some("no"));
    assert!(r.header("x-tt-logid").is_some());
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
}

/// Checks the standard order: created, in_progress, deltas, answer, verbose, follow_up, chat.completed, done.
fn assert_normal_turn(evs: &[Ev], expected_reply: &str) {
    let n = names(evs);
    assert_eq!(&n[..2], ["conversation.chat.created", "conversation.chat.in_progress"]);
    let deltas = n.iter().filter(|e| **e == "conversation.message.delta").count();
    assert!(deltas >= 1);
    assert!(n[2..2 + deltas].iter().all(|e| *e == "conversation.message.delta"));
    assert_eq!(&n[2 + deltas..n.len() - 1], NORMAL_ORDER);
    assert_eq!(n[n.len() - 1], "done");
    assert_eq!(evs.last().unwrap().data, "\"[DONE]\"");

    let created = evs[0].json();
    assert_eq!(created["status"], "created");
    let chat_id = created["id"].as_str().unwrap();
    assert_eq!(chat_id.len(), 19);
    assert!(chat_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(created["created_at"].as_u64().unwrap().to_string().len(), 10);
    assert_eq!(evs[1].json()["status"], "in_progress");

    assert_eq!(delta_text(evs), expected_reply);
    let answer_id = evs[2].json()["id"].as_str().unwrap().to_string();
    for d in &evs[2..2 + deltas] {
        let j = d.json();
        assert_eq!(j["id"], answer_id.as_str());
        assert_eq!(j["chat_id"], chat_id);
        assert_eq!((j["role"].as_str(), j["type"].as_str()), (Some("assistant"), Some("answer")));
    }
    let answer = evs[2 + deltas].json();
    assert_eq!(answer["id"], answer_id.as_str());
    assert_eq!(answer["type"], "answer");
    assert_eq!(answer["content"], expected_reply);
    let verbose = evs[3 + deltas].json();
    assert_eq!(verbose["type"], "verbose");
    assert_eq!(
        verbose["content"],
        r#"{"msg_type":"generate_answer_finish","data":"","from_module":null,"from_unit":null}"#
    );
    assert_eq!(evs[4 + deltas].json()["type"], "follow_up");
    let done = evs[5 + deltas].json();
    assert_eq!(done["status"], "completed");
    assert!(done["usage"]["token_count"].as_u64().unwrap() > 0);
    assert!(done["usage"]["output_count"].is_u64() && done["usage"]["input_count"].is_u64());
}

/// Real Coze framing: `event:<name>\ndata:<one-line JSON>\n\n`, no space after colons.
fn assert_coze_framing(body: &[u8]) {
    let text = std::str::from_utf8(body).unwrap();
    assert!(text.ends_with("\n\n"));
    assert!(!text.contains('\r'));
    for block in text.trim_end_matches('\n').split("\n\n") {
        let lines: Vec<&str> = block.split('\n').collect();
        assert_eq!(lines.len(), 2, "{block:?}");
        assert!(lines[0].starts_with("event:") && !lines[0].starts_with("event: "), "{block:?}");
        assert!(lines[1].starts_with("data:") && !lines[1].starts_with("data: "), "{block:?}");
        serde_json::from_str::<Value>(&lines[1][5..]).unwrap();
    }
}

#[test]
fn happy_stream_order_framing_and_storage() {
    let emu = start();
    let text = "你好，世界 😀 hello";
    let r = stream_chat(&emu, ECHO, text);
    assert_sse_headers(&r);
    assert!(r.complete);
    assert_coze_framing(&r.body);
    let evs = sse(&r.body);
    assert_normal_turn(&evs, &format!("You said: {text}"));
    // Every event is written (and chunk-framed) on its own.
    assert_eq!(r.chunks.len(), evs.len());
    for (chunk, ev) in r.chunks.iter().zip(&evs) {
        let s = std::str::from_utf8(chunk).unwrap();
        assert!(s.starts_with(&format!("event:{}\n", ev.event)) && s.ends_with("\n\n"));
    }

    let chat = evs[0].json();
    let (cid, chat_id) = (chat["conversation_id"].as_str().unwrap(), chat["id"].as_str().unwrap());
    let ret =
        post_json(&emu, &format!("/v3/chat/retrieve?conversation_id={cid}&chat_id={chat_id}"), Some(PAT), &json!({}));
    assert_eq!(ret.json()["data"]["status"], "completed");
    let ret = get(&emu, &format!("/v3/chat/retrieve?conversation_id={cid}&chat_id={chat_id}"), Some(PAT));
    assert_eq!(ret.json()["data"]["id"], chat_id);
    let msgs = get(&emu, &format!("/v3/chat/message/list?conversation_id={cid}&chat_id={chat_id}"), Some(PAT)).json();
    let types: Vec<&str> = msgs["data"].as_array().unwrap().iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["answer", "verbose", "follow_up"]);
    let list = post_json(
        &emu,
        &format!("/v1/conversation/message/list?conversation_id={cid}"),
        Some(PAT),
        &json!({"order": "asc"}),
    )
    .json();
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!((data[0]["role"].as_str(), data[0]["content"].as_str()), (Some("user"), Some(text)));
    assert_eq!(data[1]["content"], format!("You said: {text}"));

    // A second turn in the same conversation.
    let r = post_json(&emu, &format!("/v3/chat?conversation_id={cid}"), Some(PAT), &chat_body(ECHO, "again", true));
    let evs = sse(&r.body);
    assert_normal_turn(&evs, "You said: again");
    assert_eq!(evs[0].json()["conversation_id"], cid);
}

#[test]
fn builtin_poet_and_slow_bots() {
    let emu = start();
    let r = stream_chat(&emu, POET, "写首诗");
    let evs = sse(&r.body);
    let reply = delta_text(&evs);
    assert!(reply.contains("床前明月光"), "{reply}");
    assert_normal_turn(&evs, &reply);

    // Slow bot: deltas arrive ~150 ms apart.
    let mut s = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &format!("Bearer {PAT}")), ("Content-Type", "application/json")],
        Some(chat_body(SLOW, "hi", true).to_string().as_bytes()),
    );
    read_until(&mut s, "conversation.message.delta");
    let t = Instant::now();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while String::from_utf8_lossy(&raw).matches("conversation.message.delta").count() < 3 {
        let n = s.read(&mut buf).unwrap();
        raw.extend_from_slice(&buf[..n]);
    }
    assert!(t.elapsed() >= Duration::from_millis(250), "{:?}", t.elapsed());
}

#[test]
fn chunk_size_splits_bytes_anywhere() {
    let emu = start();
    let reply = "中文😊abc，";
    let bot = scenario(&emu, json!({"reply": reply, "repeat": 20, "chunk_size": 7, "delta_chars": 3}));
    let r = stream_chat(&emu, &bot, "x");
    assert_sse_headers(&r);
    assert!(r.complete);
    let (last, full) = r.chunks.split_last().unwrap();
    assert!(full.iter().all(|c| c.len() == 7), "all chunks but the last have exactly 7 bytes");
    assert!(!last.is_empty() && last.len() <= 7);
    assert!(r.chunks.iter().any(|c| std::str::from_utf8(c).is_err()), "some chunk splits a UTF-8 character");
    // Reassembled, the bytes are exactly a well-formed Coze stream: re-framing the parsed events
    // reproduces them byte for byte.
    let evs = sse(&r.body);
    let reframed: String = evs.iter().map(|e| format!("event:{}\ndata:{}\n\n", e.event, e.data)).collect();
    assert_eq!(reframed.as_bytes(), &r.body[..]);
    assert_normal_turn(&evs, &reply.repeat(20));
}

#[test]
fn delay_ms_drips_slowly() {
    let emu = start();
    let bot = scenario(&emu, json!({"reply": "abcdefgh", "delta_chars": 4, "delay_ms": 40}));
    let t = Instant::now();
    let r = stream_chat(&emu, &bot, "x");
    // 9 events → 8 pauses of 40 ms.
    assert!(t.elapsed() >= Duration::from_millis(320), "{:?}", t.elapsed());
    assert_normal_turn(&sse(&r.body), "abcdefgh");
}

#[test]
fn studio_framing() {
    let emu = start();
    let bot = scenario(&emu, json!({"studio": true, "reply": "工作室"}));
    let r = stream_chat(&emu, &bot, "x");
    assert_sse_headers(&r);
    let text = r.text();
    assert!(text.starts_with("id: 0\r\nevent: conversation.chat.created\r\ndata: {"), "{text}");
    assert!(text.contains("\r\n: keep-alive\r\nid: 1\r\nevent: conversation.chat.in_progress\r\n"), "{text}");
    assert!(text.ends_with("event: conversation.stream.done\r\n\r\n"), "{text}");
    assert!(!text.contains("event: done") && !text.contains("[DONE]"));
    let evs = sse(&r.body);
    // The data-less stream.done dispatches nothing under WHATWG rules.
    assert_eq!(names(&evs).last(), Some(&"conversation.chat.completed"));
    assert_eq!(delta_text(&evs), "工作室");
    assert_eq!(evs[1].id.as_deref(), Some("1"));
}

#[test]
fn http_level_faults() {
    let emu = start();
    let cases = [
        ("json_error", 200, 4000, None),
        ("http_401", 401, 4100, None),
        ("http_429", 429, 4013, Some("2")),
        ("http_500", 500, 5000, None),
    ];
    for (fault, status, code, retry) in cases {
        let bot = scenario(&emu, json!({"fault": fault}));
        let r = stream_chat(&emu, &bot, "x");
        assert_eq!(r.status, status, "{fault}");
        assert!(r.header("content-type").unwrap().starts_with("application/json"), "{fault}");
        let j = r.json();
        assert_eq!(j["code"], code, "{fault}");
        assert!(j["msg"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(j["detail"]["logid"].as_str(), r.header("x-tt-logid"), "{fault}");
        assert_eq!(r.header("retry-after"), retry, "{fault}");
    }
}

#[test]
fn disconnect_fault_aborts_without_terminator() {
    let emu = start();
    let bot = scenario(&emu, json!({"fault": "disconnect", "fault_after": 3}));
    let r = stream_chat(&emu, &bot, "hello there");
    assert_eq!(r.status, 200);
    assert!(!r.complete, "no chunked terminator after an emulated disconnect");
    let evs = sse(&r.body);
    assert_eq!(
        names(&evs),
        ["conversation.chat.created", "conversation.chat.in_progress", "conversation.message.delta"]
    );
    // A server-side abort is not counted as closed by the client.
    let s = get(&emu, "/_emulator/streams", None).json();
    assert_eq!(s["closed_by_client"], 0);
    // fault_after beyond the end: the abort replaces done.
    let bot = scenario(&emu, json!({"fault": "disconnect", "fault_after": 1000, "reply": "ok"}));
    let r = stream_chat(&emu, &bot, "x");
    assert!(!r.complete);
    assert_eq!(names(&sse(&r.body)).last(), Some(&"conversation.chat.completed"));
}

#[test]
fn no_done_fault() {
    let emu = start();
    let bot = scenario(&emu, json!({"fault": "no_done", "reply": "bye"}));
    let r = stream_chat(&emu, &bot, "x");
    assert!(r.complete, "ends cleanly");
    let evs = sse(&r.body);
    assert_eq!(names(&evs).last(), Some(&"conversation.chat.completed"));
    assert!(r.text().ends_with("\n\n"));
}

#[test]
fn malformed_json_fault() {
    let emu = start();
    let bot = scenario(&emu, json!({"fault": "malformed_json", "fault_after": 3, "reply": "abcdefghijkl"}));
    let r = stream_chat(&emu, &bot, "x");
    assert!(r.complete);
    let evs = sse(&r.body);
    assert_eq!(evs[3].event, "conversation.message.delta");
    assert_eq!(evs[3].data, r#"{"id":"#);
    for (i, e) in evs.iter().enumerate().filter(|(i, _)| *i != 3) {
        serde_json::from_str::<Value>(&e.data).unwrap_or_else(|_| panic!("event {i} should be valid"));
    }
    assert_eq!(names(&evs).last(), Some(&"done"));
}

#[test]
fn error_event_fault() {
    let emu = start();
    let bot = scenario(&emu, json!({"fault": "error_event", "fault_after": 3}));
    let r = stream_chat(&emu, &bot, "x");
    assert!(r.complete);
    let evs = sse(&r.body);
    assert_eq!(evs.len(), 4);
    assert_eq!(evs[3].event, "error");
    assert_eq!(evs[3].json(), json!({"code": 5000, "msg": "emulated failure"}));
    assert!(r.text().ends_with("event:error\ndata:{\"code\":5000,\"msg\":\"emulated failure\"}\n\n"));
    let chat = evs[0].json();
    let ret = get(
        &emu,
        &format!(
            "/v3/chat/retrieve?conversation_id={}&chat_id={}",
            chat["conversation_id"].as_str().unwrap(),
            chat["id"].as_str().unwrap()
        ),
        Some(PAT),
    );
    assert_eq!(ret.json()["data"]["status"], "failed");
}

#[test]
fn chat_failed_fault() {
    let emu = start();
    let bot = scenario(&emu, json!({"fault": "chat_failed"}));
    let r = stream_chat(&emu, &bot, "x");
    let evs = sse(&r.body);
    assert_eq!(
        names(&evs),
        [
            "conversation.chat.created",
            "conversation.chat.in_progress",
            "conversation.message.delta",
            "conversation.chat.failed",
            "done"
        ]
    );
    let failed = evs[3].json();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["last_error"], json!({"code": 4028, "msg": "free quota used up"}));
    assert!(failed["failed_at"].is_u64());
    // Non-streamed chats fail too.
    let r = post_json(&emu, "/v3/chat", Some(PAT), &chat_body(&bot, "x", false)).json();
    let (cid, id) =
        (r["data"]["conversation_id"].as_str().unwrap().to_string(), r["data"]["id"].as_str().unwrap().to_string());
    wait_for("chat failed", || {
        get(&emu, &format!("/v3/chat/retrieve?conversation_id={cid}&chat_id={id}"), Some(PAT)).json()["data"]["status"]
            == "failed"
    });
}

#[test]
fn unauthorized_once_fault() {
    let emu = start();
    let bot = scenario(&emu, json!({"fault": "unauthorized_once", "reply": "ok"}));
    let r = stream_chat(&emu, &bot, "x");
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], 4100);
    let r = stream_chat(&emu, &bot, "x");
    assert_sse_headers(&r);
    assert_normal_turn(&sse(&r.body), "ok");
}

#[test]
fn huge_stream() {
    let emu = start();
    let unit = "0123456789abcdef中文字符😀\n".repeat(64);
    let repeat = (4 * 1024 * 1024) / unit.len() + 1;
    let bot = scenario(&emu, json!({"reply": unit, "repeat": repeat, "delta_chars": 16384}));
    let t = Instant::now();
    let r = stream_chat(&emu, &bot, "x");
    assert!(r.complete);
    let evs = sse(&r.body);
    let text = delta_text(&evs);
    assert_eq!(text.len(), unit.len() * repeat);
    assert!(text == unit.repeat(repeat));
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
}

#[test]
fn client_abort_reaches_the_server() {
    let emu = start();
    let mut s = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &format!("Bearer {PAT}")), ("Content-Type", "application/json")],
        Some(chat_body(SLOW, "hi", true).to_string().as_bytes()),
    );
    let raw = read_until(&mut s, "conversation.message.delta");
    let text = String::from_utf8_lossy(&raw).to_string();
    let cid = text.split("\"conversation_id\":\"").nth(1).unwrap()[..19].to_string();
    let streams = get(&emu, "/_emulator/streams", None).json();
    assert_eq!(streams["open"], 1);
    let t = Instant::now();
    drop(s);
    wait_for("closed_by_client", || get(&emu, "/_emulator/streams", None).json()["closed_by_client"] == 1);
    assert!(t.elapsed() < Duration::from_secs(1), "abort noticed in {:?}", t.elapsed());
    assert_eq!(get(&emu, "/_emulator/streams", None).json()["open"], 0);
    // The aborted turn no longer blocks the conversation.
    wait_for("conversation free", || {
        post_json(&emu, &format!("/v3/chat?conversation_id={cid}"), Some(PAT), &chat_body(ECHO, "next", true)).status
            == 200
    });
}

#[test]
fn cancel_stops_a_running_stream() {
    let emu = start();
    let mut s = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &format!("Bearer {PAT}")), ("Content-Type", "application/json")],
        Some(chat_body(SLOW, "hi", true).to_string().as_bytes()),
    );
    let raw = read_until(&mut s, "conversation.message.delta");
    let text = String::from_utf8_lossy(&raw).to_string();
    let created = text.split("data:").nth(1).unwrap().split('\n').next().unwrap();
    let chat: Value = serde_json::from_str(created).unwrap();
    let (cid, id) = (chat["conversation_id"].as_str().unwrap(), chat["id"].as_str().unwrap());

    // One chat at a time per conversation.
    let busy = post_json(&emu, &format!("/v3/chat?conversation_id={cid}"), Some(PAT), &chat_body(ECHO, "x", true));
    assert_eq!(busy.status, 200);
    assert_eq!(busy.json()["code"], 4016);

    let c = post_json(&emu, "/v3/chat/cancel", Some(PAT), &json!({"conversation_id": cid, "chat_id": id}));
    assert_eq!(c.json()["code"], 0, "{}", c.text());
    assert_eq!(c.json()["data"]["status"], "canceled");
    assert_eq!(c.json()["data"]["id"], id);

    // The stream ends promptly with done and no further deltas.
    let t = Instant::now();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(t.elapsed() < Duration::from_secs(2));
    let mut all = raw.clone();
    all.extend_from_slice(&rest);
    let resp = parse_response(&all);
    assert!(resp.complete);
    let evs = sse(&resp.body);
    assert_eq!(names(&evs).last(), Some(&"done"));
    assert!(!names(&evs).contains(&"conversation.chat.completed"));

    let again = post_json(&emu, "/v3/chat/cancel", Some(PAT), &json!({"conversation_id": cid, "chat_id": id}));
    assert_eq!(again.json()["code"], 4104);
    let ret = get(&emu, &format!("/v3/chat/retrieve?conversation_id={cid}&chat_id={id}"), Some(PAT));
    assert_eq!(ret.json()["data"]["status"], "canceled");
    let unknown = post_json(
        &emu,
        "/v3/chat/cancel",
        Some(PAT),
        &json!({"conversation_id": cid, "chat_id": "7400000000000000000"}),
    );
    assert_eq!(unknown.json()["code"], 4200);
    // The conversation is free again.
    assert_eq!(
        post_json(&emu, &format!("/v3/chat?conversation_id={cid}"), Some(PAT), &chat_body(ECHO, "x", true)).status,
        200
    );
    // A completed chat cannot be canceled.
    let done = sse(&stream_chat(&emu, ECHO, "x").body)[0].json();
    let c = post_json(
        &emu,
        "/v3/chat/cancel",
        Some(PAT),
        &json!({"conversation_id": done["conversation_id"], "chat_id": done["id"]}),
    );
    assert_eq!(c.json()["code"], 4104);
}

#[test]
fn non_stream_create_then_poll() {
    let emu = start();
    let r = post_json(&emu, "/v3/chat", Some(PAT), &chat_body(ECHO, "poll me", false));
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let j = r.json();
    assert_eq!(j["code"], 0);
    assert_eq!(j["data"]["status"], "in_progress");
    let (cid, id) =
        (j["data"]["conversation_id"].as_str().unwrap().to_string(), j["data"]["id"].as_str().unwrap().to_string());
    let t = Instant::now();
    wait_for("completed", || {
        post_json(&emu, &format!("/v3/chat/retrieve?conversation_id={cid}&chat_id={id}"), Some(PAT), &json!({})).json()
            ["data"]["status"]
            == "completed"
    });
    assert!(t.elapsed() >= Duration::from_millis(200));
    let msgs = get(&emu, &format!("/v3/chat/message/list?conversation_id={cid}&chat_id={id}"), Some(PAT)).json();
    let data = msgs["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data[0]["content"], "You said: poll me");
    assert_eq!(data[2]["type"], "follow_up");
}

#[test]
fn chat_request_validation() {
    let emu = start();
    let r = request(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", "Bearer pat_emulator_demo"), ("Content-Type", "application/json")],
        Some(b"{oops"),
    );
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let j = r.json();
    assert_eq!(j["code"], 4000);
    assert_eq!(j["detail"]["logid"].as_str(), r.header("x-tt-logid"));

    let mut numeric = chat_body(ECHO, "x", true);
    numeric["bot_id"] = json!(7000000000000000001u64);
    let j = post_json(&emu, "/v3/chat", Some(PAT), &numeric).json();
    assert_eq!(j["code"], 4000);
    assert!(j["msg"].as_str().unwrap().contains("IDs must be strings"));
    let mut numeric_user = chat_body(ECHO, "x", true);
    numeric_user["user_id"] = json!(12345);
    assert_eq!(post_json(&emu, "/v3/chat", Some(PAT), &numeric_user).json()["code"], 4000);

    assert_eq!(
        post_json(&emu, "/v3/chat", Some(PAT), &chat_body("7000000000000000999", "x", true)).json()["code"],
        4200
    );
    assert_eq!(
        post_json(&emu, "/v3/chat?conversation_id=123", Some(PAT), &chat_body(ECHO, "x", true)).json()["code"],
        4200
    );

    // Python-style nulls are fine.
    let py = json!({"bot_id": ECHO, "user_id": "u", "stream": true, "auto_save_history": null, "custom_variables": null, "meta_data": null,
        "additional_messages": [{"role": "user", "content": "null ok", "content_type": "text", "meta_data": null, "id": null, "type": null}]});
    let r = post_json(&emu, "/v3/chat", Some(PAT), &py);
    assert_sse_headers(&r);
    assert_eq!(delta_text(&sse(&r.body)), "You said: null ok");

    // Auth.
    for token in [None, Some("czu_nope"), Some("")] {
        let r = post_json(&emu, "/v3/chat", token, &chat_body(ECHO, "x", true));
        assert_eq!(r.status, 401, "{token:?}");
        assert_eq!(r.json()["code"], 4100);
        assert!(r.header("x-tt-logid").is_some());
    }
    // OAuth tokens work like the PAT.
    let t = login(&emu);
    let r = post_json(&emu, "/v3/chat", t["access_token"].as_str(), &chat_body(ECHO, "x", true));
    assert_sse_headers(&r);
}

#[test]
fn abort_is_noticed_while_the_producer_sleeps() {
    let emu = start();
    let bot = scenario(&emu, json!({"delay_ms": 5000}));
    let body = chat_body(&bot, "x", true).to_string();
    let mut s = open(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Authorization", &format!("Bearer {PAT}")), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    read_until(&mut s, "conversation.chat.created");
    let t = Instant::now();
    drop(s);
    wait_for("closed_by_client", || get(&emu, "/_emulator/streams", None).json()["closed_by_client"] == 1);
    assert!(t.elapsed() < Duration::from_millis(1000), "{:?}", t.elapsed());
}
