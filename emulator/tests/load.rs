//! Load: the emulator holds 1,000 concurrent SSE clients on loopback.
//!
//! 1,000 `POST /v3/chat` streams are opened at once against an in-process emulator, over raw tokio
//! sockets. The bot drips (one write every `DRIP_MS`), so every stream stays open for about
//! `WRITES × DRIP_MS` — longer than it takes to open them all. The test asserts that the emulator
//! saw all 1,000 open at the same moment (its own `peak` counter, and a poll of
//! `/_emulator/streams` while they run), then that every client read its own full reply, the
//! `done` event and the chunked terminator. Bounded: it fails after `LIMIT` instead of hanging.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENTS: usize = 1000;
/// Pause between two writes of a stream. A reply of `"You said: load client 0000"` at 8 characters
/// per delta is 11 writes: each stream lasts ~10 × DRIP_MS.
const DRIP_MS: u64 = 500;
const LIMIT: Duration = Duration::from_secs(60);

/// Each connection costs two descriptors here (client and server side, one process).
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
fn ensure_fd_budget(want: u64) {
    // SAFETY: plain libc calls on a stack value.
    unsafe {
        let mut l = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut l), 0, "getrlimit");
        if (l.rlim_cur as u64) < want {
            l.rlim_cur = (want as libc::rlim_t).min(l.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &l), 0, "setrlimit");
        }
        assert!(
            l.rlim_cur as u64 >= want,
            "this test needs {want} file descriptors; the hard limit (ulimit -Hn) is {}",
            l.rlim_max
        );
    }
}

#[cfg(not(unix))]
fn ensure_fd_budget(_want: u64) {}

fn reply_for(i: usize) -> String {
    format!("You said: load client {i:04}")
}

/// One GET with `Connection: close`; the JSON body.
async fn get_json(addr: SocketAddr, path: &str) -> Value {
    let mut s = TcpStream::connect(addr).await.expect("connect for admin GET");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    parse_response(&raw).json()
}

struct Outcome {
    /// Time from the start of the test until the first bytes of the reply arrived.
    first_byte: Duration,
    raw: Vec<u8>,
}

async fn one_client(addr: SocketAddr, bot: String, i: usize, t0: Instant) -> Result<Outcome, String> {
    let body = chat_body(&bot, &format!("load client {i:04}"), true).to_string();
    let req = format!(
        "POST /v3/chat HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {PAT}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut s = TcpStream::connect(addr).await.map_err(|e| format!("client {i}: connect: {e}"))?;
    s.write_all(req.as_bytes()).await.map_err(|e| format!("client {i}: write: {e}"))?;
    let mut raw = Vec::with_capacity(8192);
    let mut buf = [0u8; 4096];
    let mut first_byte = None;
    loop {
        let n = s.read(&mut buf).await.map_err(|e| format!("client {i}: read: {e}"))?;
        if n == 0 {
            break;
        }
        first_byte.get_or_insert_with(|| t0.elapsed());
        raw.extend_from_slice(&buf[..n]);
    }
    Ok(Outcome { first_byte: first_byte.ok_or(format!("client {i}: no reply at all"))?, raw })
}

fn check(i: usize, o: &Outcome) -> Result<(), String> {
    let r = parse_response(&o.raw);
    if r.status != 200 || !r.header("content-type").unwrap_or("").starts_with("text/event-stream") {
        return Err(format!("client {i}: HTTP {} {:?}", r.status, String::from_utf8_lossy(&r.body)));
    }
    if !r.complete {
        return Err(format!("client {i}: no chunked terminator"));
    }
    let evs = sse(&r.body);
    let want = reply_for(i);
    let got = delta_text(&evs);
    if got != want {
        return Err(format!("client {i}: deltas {got:?}, expected {want:?}"));
    }
    let last = evs.last().map(|e| (e.event.as_str(), e.data.as_str()));
    if last != Some(("done", "\"[DONE]\"")) {
        return Err(format!("client {i}: last event {last:?}"));
    }
    let completed: Vec<&str> =
        evs.iter().map(|e| e.event.as_str()).filter(|e| *e == "conversation.chat.completed").collect();
    if completed.len() != 1 {
        return Err(format!("client {i}: {} chat.completed events", completed.len()));
    }
    Ok(())
}

#[test]
fn a_thousand_concurrent_sse_clients() {
    ensure_fd_budget(2 * CLIENTS as u64 + 512);
    let emu = start();
    let bot = scenario(&emu, json!({"delay_ms": DRIP_MS, "delta_chars": 8, "name": "Load drip"}));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let addr = emu.addr;
    let t0 = Instant::now();
    let run = async move {
        // Poll the emulator's own view while the streams run.
        let stop = Arc::new(AtomicBool::new(false));
        let max_open = Arc::new(AtomicU64::new(0));
        let monitor = {
            let (stop, max_open) = (stop.clone(), max_open.clone());
            tokio::spawn(async move {
                let mut all_open_at = None;
                while !stop.load(Ordering::Relaxed) {
                    let open = get_json(addr, "/_emulator/streams").await["open"].as_u64().unwrap();
                    if max_open.fetch_max(open, Ordering::Relaxed) < open && open == CLIENTS as u64 {
                        all_open_at = Some(t0.elapsed());
                    }
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                all_open_at
            })
        };
        let clients: Vec<_> = (0..CLIENTS).map(|i| tokio::spawn(one_client(addr, bot.clone(), i, t0))).collect();
        let mut outcomes = Vec::with_capacity(CLIENTS);
        for c in clients {
            outcomes.push(c.await.expect("client task"));
        }
        stop.store(true, Ordering::Relaxed);
        let all_open_at = monitor.await.expect("monitor task");
        (outcomes, max_open.load(Ordering::Relaxed), all_open_at)
    };
    let (outcomes, polled_max, all_open_at) = rt
        .block_on(async { tokio::time::timeout(LIMIT, run).await })
        .unwrap_or_else(|_| panic!("{CLIENTS} streams did not finish within {LIMIT:?}"));
    let elapsed = t0.elapsed();

    let mut errors = Vec::new();
    let mut last_first_byte = Duration::ZERO;
    for (i, o) in outcomes.iter().enumerate() {
        match o {
            Ok(o) => {
                last_first_byte = last_first_byte.max(o.first_byte);
                if let Err(e) = check(i, o) {
                    errors.push(e);
                }
            }
            Err(e) => errors.push(e.clone()),
        }
    }
    let streams = rt.block_on(get_json(addr, "/_emulator/streams"));
    eprintln!(
        "load: {CLIENTS} SSE clients in {:.2} s; all had their first bytes by {:.2} s; peak open {} \
         (polled max {polled_max}, all open at {:?}); {} failed",
        elapsed.as_secs_f64(),
        last_first_byte.as_secs_f64(),
        streams["peak"],
        all_open_at,
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{} of {CLIENTS} clients failed, e.g.:\n{}",
        errors.len(),
        errors[..errors.len().min(10)].join("\n")
    );
    assert_eq!(streams["started"], CLIENTS as u64, "{streams}");
    assert_eq!(
        streams["peak"],
        CLIENTS as u64,
        "the emulator never held all {CLIENTS} streams at once: {streams} (opening them took {:.2} s, \
         each stream lasts ~{:.1} s)",
        last_first_byte.as_secs_f64(),
        (10 * DRIP_MS) as f64 / 1000.0
    );
    assert_eq!(polled_max, CLIENTS as u64, "/_emulator/streams never showed all {CLIENTS} open");
    assert_eq!(streams["open"], 0, "{streams}");
    assert_eq!(streams["closed_by_client"], 0, "{streams}");
}
