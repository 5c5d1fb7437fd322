//! `POST /v1/files/upload`, `GET /v1/files/retrieve`, the upload rules of `/_emulator/uploads`,
//! and a bot answering about the files an object_string message references.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BOUNDARY: &str = "----coze-test-boundary-7MA4YWxkTrZu0gW";

fn multipart(field: &str, file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_body(emu: &Emu, token: &str, body: &[u8]) -> Resp {
    let auth = format!("Bearer {token}");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    request(emu.addr, "POST", "/v1/files/upload", &[("Authorization", &auth), ("Content-Type", &ct)], Some(body))
}

fn upload(emu: &Emu, file_name: &str, bytes: &[u8]) -> Resp {
    upload_body(emu, PAT, &multipart("file", file_name, bytes))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes that are not text: every byte value, CR LF and a boundary look-alike included.
fn binary(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
    if len > 64 {
        v[10..12].copy_from_slice(b"\r\n");
        v[20..24].copy_from_slice(b"--\r\n");
    }
    v
}

fn envelope_code(r: &Resp) -> i64 {
    r.json()["code"].as_i64().unwrap()
}

#[test]
fn upload_and_retrieve_keep_name_size_and_id() {
    let emu = start();
    let bytes = binary(300_000);
    let r = upload(&emu, "照片.png", &bytes);
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["code"], 0);
    assert!(r.header("x-tt-logid").is_some());
    let data = &j["data"];
    assert_eq!((data["bytes"].as_u64(), data["file_name"].as_str()), (Some(300_000), Some("照片.png")));
    assert!(data["created_at"].as_u64().unwrap() > 1_700_000_000);
    let id = data["id"].as_str().unwrap();
    let got = get(&emu, &format!("/v1/files/retrieve?file_id={id}"), Some(PAT));
    assert_eq!(got.json()["data"], *data);
    let missing = get(&emu, "/v1/files/retrieve?file_id=404", Some(PAT));
    assert_eq!(envelope_code(&missing), 4200);
    assert_eq!(envelope_code(&get(&emu, "/v1/files/retrieve", Some(PAT))), 4000);
    // Like every API route: a token is required.
    assert_eq!(upload_body(&emu, "nope", &multipart("file", "a", b"x")).status, 401);
}

#[test]
fn bad_uploads_are_refused_as_coze_would() {
    let emu = start_with(|c| c.limits.max_file_bytes = 1000);
    // Not multipart, no file field, an empty file, two files.
    let r = post_json(&emu, "/v1/files/upload", Some(PAT), &json!({"file": "x"}));
    assert_eq!((r.status, envelope_code(&r)), (200, 4000));
    assert_eq!(envelope_code(&upload_body(&emu, PAT, &multipart("other", "a", b"x"))), 4000);
    let empty = upload(&emu, "a.txt", b"");
    assert!(empty.json()["msg"].as_str().unwrap().contains("empty"), "{}", empty.text());
    let mut twice = multipart("file", "a", b"1");
    twice.truncate(twice.len() - 4); // drop the closing "--\r\n"
    twice.extend_from_slice(b"\r\n");
    twice.extend_from_slice(&multipart("file", "b", b"2")[BOUNDARY.len() + 4..]);
    let r = upload_body(&emu, PAT, &twice);
    assert!(r.json()["msg"].as_str().unwrap().contains("more than once"), "{}", r.text());
    // Over the limit: 413 with the envelope, whether announced by Content-Length or found reading.
    assert_eq!(upload(&emu, "ok.bin", &binary(1000)).status, 200);
    let r = upload(&emu, "big.bin", &binary(1001));
    assert_eq!((r.status, envelope_code(&r)), (413, 4000), "{}", r.text());
    let r = upload(&emu, "huge.bin", &binary(200_000));
    assert_eq!(r.status, 413);
}

#[test]
fn the_bot_answers_with_each_files_name_size_and_sha256() {
    let emu = start();
    let bytes = binary(123_457);
    let id = upload(&emu, "cat.png", &bytes).json()["data"]["id"].as_str().unwrap().to_owned();
    let items = json!([
        {"type": "text", "text": "what is this?"},
        {"type": "image", "file_id": id},
        {"type": "file", "file_url": "https://example.com/a.pdf"}
    ]);
    let body = json!({
        "bot_id": coze_emulator::ECHO_BOT, "user_id": "u", "stream": true,
        "additional_messages": [{"role": "user", "content": items.to_string(), "content_type": "object_string"}],
    });
    let r = post_json(&emu, "/v3/chat", Some(PAT), &body);
    let reply: String = sse(&r.body)
        .iter()
        .filter(|e| e.event == "conversation.message.delta")
        .map(|e| serde_json::from_str::<Value>(&e.data).unwrap()["content"].as_str().unwrap().to_owned())
        .collect();
    let sha = sha256_hex(&bytes);
    assert_eq!(
        reply,
        format!("You said: what is this? [image cat.png, 123457 bytes, sha256 {sha}] [file https://example.com/a.pdf]")
    );
    // An unknown file_id, and shapes Coze refuses: errors instead of a stream.
    for (items, code) in [
        (json!([{"type": "image", "file_id": "7999999999999999999"}]), 4200),
        (json!([{"type": "text", "text": "only text"}]), 4000),
        (json!([{"type": "image", "file_id": id, "file_url": "https://x/y"}]), 4000),
        (json!([]), 4000),
    ] {
        let body = json!({
            "bot_id": coze_emulator::ECHO_BOT, "user_id": "u", "stream": true,
            "additional_messages": [{"role": "user", "content": items.to_string(), "content_type": "object_string"}],
        });
        let r = post_json(&emu, "/v3/chat", Some(PAT), &body);
        assert_eq!((r.status, envelope_code(&r)), (200, code), "{items}");
    }
}

#[test]
fn upload_rules_inject_faults_per_client_then_wear_off() {
    let emu = start();
    let rule = |spec: Value| {
        let r = post_json(&emu, "/_emulator/uploads", None, &spec);
        assert_eq!(r.status, 200, "{}", r.text());
    };
    rule(json!({"fault": "http_500", "times": 1}));
    let r = upload(&emu, "a", b"abc");
    assert_eq!((r.status, envelope_code(&r)), (500, 5000));
    assert_eq!(upload(&emu, "a", b"abc").status, 200, "the fault wore off");
    rule(json!({"fault": "html_200"}));
    let r = upload(&emu, "a", b"abc");
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    rule(json!({"max_bytes": 2}));
    assert_eq!(upload(&emu, "a", b"abc").status, 413);
    // Drop: the reply never completes (the connection is cut mid-upload).
    rule(json!({"fault": "drop"}));
    let body = multipart("file", "a", &binary(200_000));
    let mut s = connect(emu.addr);
    let head = format!(
        "POST /v1/files/upload HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {PAT}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        emu.addr,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(&body); // the server may cut the connection before all is written
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert!(!String::from_utf8_lossy(&raw).contains("\"code\""), "no reply: {}", String::from_utf8_lossy(&raw));
    let stats = get(&emu, "/_emulator/uploads", None).json();
    assert_eq!((stats["completed"].as_u64(), stats["refused"].as_u64()), (Some(1), Some(4)), "{stats}");
    // Bad rules.
    for bad in [json!({"fault": "nope"}), json!({"typo": 1})] {
        assert_eq!(post_json(&emu, "/_emulator/uploads", None, &bad).status, 400);
    }
}

#[test]
fn a_slow_upload_is_read_slowly_and_an_abort_is_counted() {
    let emu = start();
    let r = post_json(&emu, "/_emulator/uploads", None, &json!({"read_bytes_per_second": 200_000}));
    assert_eq!(r.status, 200);
    let started = Instant::now();
    assert_eq!(upload(&emu, "a", &binary(100_000)).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400), "read at the set rate: {:?}", started.elapsed());
    // The client goes away mid-body: counted as interrupted.
    let body = multipart("file", "a", &binary(1_000_000));
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let auth = format!("Bearer {PAT}");
    let mut s = connect(emu.addr);
    let head = format!(
        "POST /v1/files/upload HTTP/1.1\r\nHost: {}\r\nAuthorization: {auth}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
        emu.addr,
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..50_000]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(s);
    let mut stats = Value::Null;
    for _ in 0..100 {
        stats = get(&emu, "/_emulator/uploads", None).json();
        if stats["interrupted"] == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(stats["interrupted"], 1, "{stats}");
}
