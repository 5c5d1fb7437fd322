//! Test helpers: an in-process emulator and a tiny blocking HTTP/1.1 client over std::net.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use coze_emulator::Config;
use serde_json::{json, Value};

pub const PAT: &str = coze_emulator::DEMO_PAT;
pub const CLIENT: &str = coze_emulator::DEMO_CLIENT_ID;
pub const REDIRECT: &str = "http://127.0.0.1:5555/callback";

pub struct Emu {
    pub addr: SocketAddr,
    pub url: String,
    pub admin_secret: String,
}

pub fn start() -> Emu {
    start_with(|_| {})
}

pub fn start_with(f: impl FnOnce(&mut Config)) -> Emu {
    let mut c = Config { log_requests: false, ..Config::default() };
    f(&mut c);
    let h = coze_emulator::spawn(c).expect("emulator starts");
    Emu { addr: h.addr, url: h.url, admin_secret: h.admin_secret }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The de-chunked body.
    pub body: Vec<u8>,
    /// Chunk payloads as framed by the server (chunked responses only).
    pub chunks: Vec<Vec<u8>>,
    /// Chunked: the terminating zero-size chunk arrived. Otherwise: the body is complete.
    pub complete: bool,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("utf-8 body")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }
    pub fn location(&self) -> &str {
        self.header("location").expect("Location header")
    }
}

fn request_bytes(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    if let Some(b) = body {
        bytes.extend_from_slice(b);
    }
    bytes
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s
}

/// Send a request and read until the server closes the connection.
pub fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
    let mut s = connect(addr);
    s.write_all(&request_bytes(addr, method, path, headers, body)).unwrap();
    let mut raw = Vec::new();
    // A server-side abort may surface as ECONNRESET: keep what arrived.
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw)
}

/// Start a request and return the open socket (for reading a stream incrementally).
pub fn open(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> TcpStream {
    let mut s = connect(addr);
    s.write_all(&request_bytes(addr, method, path, headers, body)).unwrap();
    s
}

/// Read from `s` until `needle` appears in what was read; returns everything read.
pub fn read_until(s: &mut TcpStream, needle: &str) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&raw).contains(needle) {
        assert!(Instant::now() < deadline, "timed out waiting for {needle:?}");
        let n = s.read(&mut buf).expect("read");
        assert!(n > 0, "EOF before {needle:?}: {}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&buf[..n]);
    }
    raw
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let head_end =
        find(raw, b"\r\n\r\n").unwrap_or_else(|| panic!("no header end: {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..head_end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[head_end + 4..];
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let mut r = Resp { status, headers, body: Vec::new(), chunks: Vec::new(), complete: false };
    if chunked {
        let mut pos = 0;
        while let Some(le) = find(&rest[pos..], b"\r\n") {
            let size_str = std::str::from_utf8(&rest[pos..pos + le]).unwrap();
            let size = usize::from_str_radix(size_str.split(';').next().unwrap().trim(), 16).unwrap();
            let start = pos + le + 2;
            if size == 0 {
                r.complete = rest[start..].starts_with(b"\r\n");
                break;
            }
            if start + size + 2 > rest.len() {
                r.body.extend_from_slice(&rest[start.min(rest.len())..]);
                break;
            }
            r.chunks.push(rest[start..start + size].to_vec());
            r.body.extend_from_slice(&rest[start..start + size]);
            pos = start + size + 2;
        }
    } else {
        let len = r.header("content-length").map(|v| v.parse::<usize>().unwrap());
        r.body = rest.to_vec();
        r.complete = len.is_none_or(|l| l == rest.len());
    }
    r
}

// --- JSON helpers ---------------------------------------------------------------------------------

pub fn get(emu: &Emu, path: &str, token: Option<&str>) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h: Vec<(&str, &str)> = Vec::new();
    if let Some(a) = &auth {
        h.push(("Authorization", a));
    }
    request(emu.addr, "GET", path, &h, None)
}

pub fn post_json(emu: &Emu, path: &str, token: Option<&str>, body: &Value) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h: Vec<(&str, &str)> = vec![("Content-Type", "application/json")];
    if let Some(a) = &auth {
        h.push(("Authorization", a));
    }
    request(emu.addr, "POST", path, &h, Some(body.to_string().as_bytes()))
}

/// Register a scenario bot; returns its id.
pub fn scenario(emu: &Emu, spec: Value) -> String {
    let r = post_json(emu, "/_emulator/bots", None, &spec);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["bot_id"].as_str().unwrap().to_string()
}

pub fn chat_body(bot_id: &str, text: &str, stream: bool) -> Value {
    json!({
        "bot_id": bot_id,
        "user_id": "test-user",
        "stream": stream,
        "auto_save_history": true,
        "additional_messages": [{"role": "user", "content": text, "content_type": "text"}],
    })
}

pub fn stream_chat(emu: &Emu, bot_id: &str, text: &str) -> Resp {
    post_json(emu, "/v3/chat", Some(PAT), &chat_body(bot_id, text, true))
}

// --- SSE ------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub struct Ev {
    pub event: String,
    pub data: String,
    pub id: Option<String>,
}

impl Ev {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("event data not JSON ({e}): {}", self.data))
    }
}

/// A WHATWG-style event-stream parser (CR/LF/CRLF, comments, one optional space after the colon).
pub fn sse(body: &[u8]) -> Vec<Ev> {
    let text = std::str::from_utf8(body).expect("utf-8 stream");
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = Vec::new();
    let (mut event, mut data, mut id, mut has_data) = (String::new(), String::new(), None, false);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // The piece after the last newline is an incomplete line: discard it (and any incomplete event).
    lines.pop();
    for line in lines {
        if line.is_empty() {
            if has_data {
                if data.ends_with('\n') {
                    data.pop();
                }
                let name = if event.is_empty() { "message".into() } else { event.clone() };
                out.push(Ev { event: name, data: data.clone(), id: id.clone() });
            }
            event.clear();
            data.clear();
            has_data = false;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => event = value.to_string(),
            "data" => {
                data.push_str(value);
                data.push('\n');
                has_data = true;
            }
            "id" => id = Some(value.to_string()),
            _ => {}
        }
    }
    out
}

pub fn names(evs: &[Ev]) -> Vec<&str> {
    evs.iter().map(|e| e.event.as_str()).collect()
}

/// Concatenated content of the answer deltas.
pub fn delta_text(evs: &[Ev]) -> String {
    evs.iter()
        .filter(|e| e.event == "conversation.message.delta")
        .map(|e| e.json()["content"].as_str().unwrap().to_string())
        .collect()
}

// --- OAuth ----------------------------------------------------------------------------------------

pub fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

pub fn dec(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap());
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Query parameters of a URL (decoded).
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let q = q.split('#').next().unwrap();
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    query_params(url).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

pub fn s256(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

pub fn authorize_path(client: &str, redirect: &str, state: &str, challenge: &str, method: Option<&str>) -> String {
    let mut p = format!(
        "/api/permission/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state={}&code_challenge={}",
        enc(client),
        enc(redirect),
        enc(state),
        enc(challenge)
    );
    if let Some(m) = method {
        p.push_str(&format!("&code_challenge_method={m}"));
    }
    p
}

/// Walk authorize → consent page → POST decision like a browser; returns the final redirect URL.
pub fn browser_authorize(emu: &Emu, authorize: &str, decision: &str) -> String {
    let r = get(emu, authorize, None);
    assert_eq!(r.status, 302, "authorize: {}", r.text());
    let consent = r.location().to_string();
    assert!(consent.starts_with("/oauth/consent?authorize_key="), "{consent}");
    let page = get(emu, &consent, None);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains(r#"id="allow""#) && html.contains(r#"id="deny""#), "{html}");
    let key = param(&consent, "authorize_key").unwrap();
    let form = format!("authorize_key={}&decision={decision}", enc(&key));
    let r = request(
        emu.addr,
        "POST",
        "/oauth/consent",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.as_bytes()),
    );
    assert_eq!(r.status, 302, "consent: {}", r.text());
    r.location().to_string()
}

pub fn token_request(emu: &Emu, body: &Value) -> Resp {
    post_json(emu, "/api/permission/oauth2/token", None, body)
}

pub fn exchange(emu: &Emu, code: &str, redirect: &str, verifier: &str) -> Resp {
    token_request(
        emu,
        &json!({"grant_type": "authorization_code", "code": code, "client_id": CLIENT, "redirect_uri": redirect, "code_verifier": verifier}),
    )
}

pub fn refresh(emu: &Emu, client: &str, refresh_token: &str) -> Resp {
    token_request(emu, &json!({"grant_type": "refresh_token", "client_id": client, "refresh_token": refresh_token}))
}

/// A full demo-client login; returns the token JSON.
pub fn login(emu: &Emu) -> Value {
    let verifier = "v".repeat(20) + "-login-verifier-0123456789abcdef";
    let loc = browser_authorize(emu, &authorize_path(CLIENT, REDIRECT, "st", &s256(&verifier), Some("S256")), "allow");
    let code = param(&loc, "code").unwrap();
    let r = exchange(emu, &code, REDIRECT, &verifier);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

pub fn me_status(emu: &Emu, token: &str) -> u16 {
    get(emu, "/v1/users/me", Some(token)).status
}

pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
