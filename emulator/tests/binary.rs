//! The real binary: first stdout line, startup log, env port, clean exit on SIGTERM/SIGINT.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coze-emulator");

fn wait_exit(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "emulator did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run_and_signal(args: &[&str], env_port: Option<u16>, signal: &str) -> (String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).env_remove("COZE_EMULATOR_ADMIN_SECRET");
    if let Some(p) = env_port {
        cmd.env("COZE_EMULATOR_PORT", p.to_string());
    } else {
        cmd.env_remove("COZE_EMULATOR_PORT");
    }
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let url =
        first.trim().strip_prefix("COZE_EMULATOR_URL=").unwrap_or_else(|| panic!("first line: {first:?}")).to_string();
    // The server answers (and logs the request without its query string).
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    use std::io::Write;
    let req = format!("GET /_emulator/health?secret=code_x HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200") && resp.ends_with(r#"{"ok":true}"#), "{resp}");

    let status = Command::new("kill").arg(signal).arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let code = wait_exit(&mut child);
    assert!(code.success(), "exit status {code:?}");
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (format!("{first}{rest}"), err)
}

#[test]
fn prints_url_first_and_exits_on_sigterm() {
    let (out, err) = run_and_signal(&["--port", "0"], None, "-TERM");
    assert!(out.starts_with("COZE_EMULATOR_URL=http://127.0.0.1:"), "{out}");
    for needle in [
        "demo-client.app.coze",
        "pat_emulator_demo",
        "7000000000000000001",
        "7000000000000000002",
        "7000000000000000003",
        "/_emulator/bots",
        "/index.html",
        "/callback",
    ] {
        assert!(out.contains(needle), "startup log lacks {needle}: {out}");
    }
    assert!(err.contains("GET /_emulator/health 200"), "{err}");
    assert!(!err.contains("code_x"), "query strings must not be logged: {err}");
    assert!(!err.contains("WARNING"), "loopback is quiet: {err}");
    // The generated admin secret is printed (not on the first line).
    let secret = out.split("X-Emulator-Secret: ").nth(1).expect("secret in the startup log").lines().next().unwrap();
    assert!(secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit()), "{secret}");
}

#[test]
fn warns_loudly_on_a_non_loopback_address() {
    let (out, err) = run_and_signal(&["--host", "0.0.0.0", "--port", "0"], None, "-TERM");
    assert!(out.starts_with("COZE_EMULATOR_URL=http://127.0.0.1:"), "{out}");
    assert!(err.contains("WARNING") && err.contains("NOT a loopback address") && err.contains("0.0.0.0:"), "{err}");
}

#[test]
fn admin_secret_from_the_environment_is_not_printed() {
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--quiet"])
        .env("COZE_EMULATOR_ADMIN_SECRET", "env-secret-value-123")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first.trim().strip_prefix("COZE_EMULATOR_URL=http://").unwrap().to_string();
    let ask = |secret: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        use std::io::Write;
        let req = format!(
            "GET /_emulator/stats?client_id=x HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://evil.example\r\nX-Emulator-Secret: {secret}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp
    };
    assert!(ask("env-secret-value-123").starts_with("HTTP/1.1 200"));
    assert!(ask("something-else-entirely").starts_with("HTTP/1.1 403"));
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    wait_exit(&mut child);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(!rest.contains("env-secret-value-123"), "{rest}");
}

#[test]
fn env_port_and_sigint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (out, _) = run_and_signal(&[], Some(port), "-INT");
    assert!(out.starts_with(&format!("COZE_EMULATOR_URL=http://127.0.0.1:{port}\n")), "{out}");
}

#[test]
fn help_and_bad_arguments() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--token-ttl"));
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
