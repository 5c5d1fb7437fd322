//! The emulator as a loopback-only test double: Host check (DNS rebinding), the admin gate
//! (loopback peer + loopback Origin, or the admin secret) and bounds on admin-created state.
mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};

use common::*;
use serde_json::{json, Value};

/// Send raw request bytes to `addr` and parse the reply.
fn raw(addr: SocketAddr, bytes: &str) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(bytes.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_response(&out)
}

fn get_host(addr: SocketAddr, path: &str, host: &str) -> Resp {
    raw(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {PAT}\r\nConnection: close\r\n\r\n"),
    )
}

#[test]
fn host_header_must_name_this_server() {
    let emu = start();
    let port = emu.addr.port();
    for ok in
        [format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("LOCALHOST:{port}"), format!("[::1]:{port}")]
    {
        assert_eq!(get_host(emu.addr, "/v1/users/me", &ok).status, 200, "{ok}");
    }
    for bad in [
        format!("evil.example:{port}"),
        "evil.example".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost.evil.example:{port}"),
        format!("192.0.2.77:{port}"),
    ] {
        for path in ["/v1/users/me", "/_emulator/stats?client_id=x", "/", "/api/permission/oauth2/authorize"] {
            let r = get_host(emu.addr, path, &bad);
            assert_eq!(r.status, 421, "{bad} {path}");
            assert_eq!(r.json()["error"], "misdirected_request");
            assert!(r.header("access-control-allow-origin").is_none(), "no CORS on a refused host");
        }
    }
    // HTTP/1.0 without Host.
    let r = raw(emu.addr, "GET /v1/users/me HTTP/1.0\r\nAuthorization: Bearer pat_emulator_demo\r\n\r\n");
    assert_eq!(r.status, 421);
}

#[test]
fn allowed_hosts_and_public_url_are_accepted() {
    let emu = start_with(|c| {
        c.allowed_hosts = vec!["emu.test".into(), "other.test:8443".into()];
        c.public_url = Some("https://proxy.test".into());
    });
    let port = emu.addr.port();
    assert_eq!(get_host(emu.addr, "/v1/users/me", &format!("emu.test:{port}")).status, 200);
    assert_eq!(get_host(emu.addr, "/v1/users/me", "emu.test").status, 200);
    assert_eq!(get_host(emu.addr, "/v1/users/me", "other.test:8443").status, 200);
    assert_eq!(get_host(emu.addr, "/v1/users/me", "other.test").status, 421);
    assert_eq!(get_host(emu.addr, "/v1/users/me", "proxy.test").status, 200);
}

fn admin_with(emu: &Emu, headers: &[(&str, &str)]) -> Resp {
    request(emu.addr, "GET", "/_emulator/stats?client_id=x", headers, None)
}

#[test]
fn admin_routes_want_a_loopback_origin_or_the_secret() {
    let emu = start();
    assert_eq!(admin_with(&emu, &[]).status, 200, "no Origin (curl, node): allowed");
    for ok in [
        "http://127.0.0.1:8000",
        "http://localhost:5173",
        "http://[::1]:3000",
        "https://localhost",
        "http://127.1.2.3:80",
    ] {
        let r = admin_with(&emu, &[("Origin", ok)]);
        assert_eq!(r.status, 200, "{ok}");
        assert_eq!(r.header("access-control-allow-origin"), Some(ok));
    }
    for bad in [
        "http://evil.example",
        "null",
        "http://localhost.evil.example:8000",
        "http://127.0.0.1.evil.example",
        "http://[::2]:80",
        "file://",
        "http://user@127.0.0.1",
        "http://localhost:99999",
    ] {
        let r = admin_with(&emu, &[("Origin", bad)]);
        assert_eq!(r.status, 403, "{bad}");
        assert_eq!(r.json()["error"], "forbidden");
        assert!(r.header("access-control-allow-origin").is_none(), "{bad}: no CORS on a refusal");
        // Writes too.
        let r = request(
            emu.addr,
            "POST",
            "/_emulator/bots",
            &[("Origin", bad), ("Content-Type", "text/plain")],
            Some(b"{}"),
        );
        assert_eq!(r.status, 403, "{bad}");
    }
    // The secret opens the gate for any Origin; a wrong one does not.
    let secret = emu.admin_secret.clone();
    assert_eq!(secret.len(), 32);
    let r = admin_with(&emu, &[("Origin", "http://evil.example"), ("X-Emulator-Secret", &secret)]);
    assert_eq!(r.status, 200);
    let r = admin_with(&emu, &[("Origin", "http://evil.example"), ("X-Emulator-Secret", "0123456789abcdef")]);
    assert_eq!(r.status, 403);
    // Preflights pass (they cannot carry the secret) and allow the secret header.
    let r = request(
        emu.addr,
        "OPTIONS",
        "/_emulator/bots",
        &[("Origin", "http://evil.example"), ("Access-Control-Request-Headers", "content-type,x-emulator-secret")],
        None,
    );
    assert_eq!(r.status, 204);
    assert!(r.header("access-control-allow-headers").unwrap().contains("x-emulator-secret"));
    // Icons and the health probe stay public; API routes do not look at Origin.
    assert_eq!(request(emu.addr, "GET", "/_emulator/health", &[("Origin", "http://evil.example")], None).status, 200);
    assert_eq!(
        request(emu.addr, "GET", "/_emulator/icon/echo.svg", &[("Origin", "http://evil.example")], None).status,
        200
    );
    let auth = format!("Bearer {PAT}");
    let r =
        request(emu.addr, "GET", "/v1/users/me", &[("Origin", "https://app.example"), ("Authorization", &auth)], None);
    assert_eq!(r.status, 200);
}

#[test]
fn admin_secret_can_be_chosen() {
    let emu = start_with(|c| c.admin_secret = Some("s3cret-for-tests".into()));
    assert_eq!(emu.admin_secret, "s3cret-for-tests");
    let r = admin_with(&emu, &[("Origin", "http://evil.example"), ("X-Emulator-Secret", "s3cret-for-tests")]);
    assert_eq!(r.status, 200);
}

/// A non-loopback address of this machine, if it has one.
fn lan_ip() -> Option<IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn non_loopback_peers_need_the_secret_for_admin_routes() {
    let Some(ip) = lan_ip() else {
        eprintln!("skipped: no non-loopback address on this machine");
        return;
    };
    let emu = start_with(|c| c.host = "0.0.0.0".into());
    let addr = SocketAddr::new(ip, emu.addr.port());
    let host = addr.to_string();
    let req = |path: &str, extra: &str| {
        raw(addr, &format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n"))
    };
    assert_eq!(req("/_emulator/stats?client_id=x", "").status, 403, "LAN peer, no Origin");
    let r = req("/_emulator/stats?client_id=x", &format!("X-Emulator-Secret: {}\r\n", emu.admin_secret));
    assert_eq!(r.status, 200);
    assert_eq!(req("/_emulator/health", "").status, 200);
    assert_eq!(req("/v1/users/me", &format!("Authorization: Bearer {PAT}\r\n")).status, 200, "API routes stay open");
    // Loopback still works on the same listener (Host: the loopback name or the bound 0.0.0.0:port).
    let lo = SocketAddr::from(([127, 0, 0, 1], emu.addr.port()));
    assert_eq!(get_host(lo, "/_emulator/stats?client_id=x", &lo.to_string()).status, 200);
    assert_eq!(get_host(lo, "/_emulator/stats?client_id=x", &emu.addr.to_string()).status, 200);
}

// --- bounds -----------------------------------------------------------------------------------

fn small_limits(c: &mut coze_emulator::Config) {
    c.limits.max_clients = 3;
    c.limits.max_bots = 2;
    c.limits.max_admin_body = 4096;
    c.limits.max_reply_bytes = 10_000;
    c.limits.max_redirect_uris = 2;
}

#[test]
fn registered_clients_and_bots_are_bounded() {
    let emu = start_with(small_limits);
    for i in 0..3 {
        let r =
            post_json(&emu, "/_emulator/clients", None, &json!({"redirect_uris": [format!("http://127.0.0.1:9/{i}")]}));
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = post_json(&emu, "/_emulator/clients", None, &json!({"redirect_uris": ["http://127.0.0.1:9/x"]}));
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["error"], "too_many_clients");
    assert!(r.json()["error_description"].as_str().unwrap().contains('3'));
    for _ in 0..2 {
        assert_eq!(post_json(&emu, "/_emulator/bots", None, &json!({})).status, 200);
    }
    let r = post_json(&emu, "/_emulator/bots", None, &json!({}));
    assert_eq!((r.status, r.json()["error"].as_str()), (429, Some("too_many_bots")));
    // The built-in bots and the demo client still work.
    assert_eq!(stream_chat(&emu, coze_emulator::ECHO_BOT, "hi").status, 200);
    assert_eq!(login(&emu)["token_type"], "Bearer");
}

#[test]
fn admin_bodies_and_scenario_sizes_are_bounded() {
    let emu = start_with(small_limits);
    let big = json!({"reply": "x".repeat(5000)});
    let r = post_json(&emu, "/_emulator/bots", None, &big);
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], "payload_too_large");
    // Without a Content-Length (chunked), the limit holds as well.
    let body = "x".repeat(5000);
    let req = format!(
        "POST /_emulator/bots HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        emu.addr,
        body.len()
    );
    let r = raw(emu.addr, &req);
    assert_eq!((r.status, r.json()["error"].as_str()), (413, Some("payload_too_large")));
    let r = post_json(&emu, "/_emulator/bots", None, &json!({"reply": "0123456789", "repeat": 1001}));
    assert_eq!(r.status, 400);
    assert!(r.json()["error_description"].as_str().unwrap().contains("10000"));
    assert_eq!(post_json(&emu, "/_emulator/bots", None, &json!({"reply": "0123456789", "repeat": 1000})).status, 200);
    let r =
        post_json(&emu, "/_emulator/clients", None, &json!({"redirect_uris": ["http://a/", "http://b/", "http://c/"]}));
    assert_eq!((r.status, r.json()["error"].as_str()), (413, Some("payload_too_large")));
    let long = format!("http://127.0.0.1/{}", "a".repeat(3000));
    let r = post_json(&emu, "/_emulator/clients", None, &json!({"redirect_uris": [long]}));
    assert_eq!(r.status, 413);
    let r = post_json(&emu, "/_emulator/authorize", None, &json!({"url": "x".repeat(5000), "decision": "allow"}));
    assert_eq!(r.status, 413);
}

#[test]
fn default_limits_are_generous_but_finite() {
    let l = coze_emulator::Limits::default();
    assert_eq!((l.max_clients, l.max_bots, l.max_admin_body), (10_000, 10_000, 1024 * 1024));
    assert_eq!(l.max_reply_bytes, 64 * 1024 * 1024);
}

#[test]
fn recorded_cancels_stay_bounded() {
    let emu = start();
    let conv = post_json(&emu, "/v1/conversation/create", Some(PAT), &json!({})).json()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..1010 {
        let r = post_json(&emu, "/v3/chat/cancel", Some(PAT), &json!({"conversation_id": conv, "chat_id": "1"}));
        assert_eq!(r.json()["code"], 4200);
    }
    let all = get(&emu, "/_emulator/cancels", None).json();
    assert_eq!(all["count"], 1000);
    let v: &Value = &all["calls"][0];
    assert_eq!(v["code"], 4200);
}
