//! A local emulator of the Coze (扣子) OpenAPI for integration tests and the demo page.
//!
//! One origin plays both roles: the *www* host (OAuth authorize + consent page) and the *api*
//! host (token endpoint, `/v1`, `/v3`). See `README.md` for the routes and the scenario format.

// Handlers return a ready HTTP response as their error value; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

mod admin;
mod api;
mod chat;
pub mod config;
mod device;
mod files;
mod http;
mod jwt;
mod maker;
mod oauth;
mod pages;
mod router;
mod scenarios;
mod store;
mod util;
mod web_app;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

pub use config::{Cli, Config, Limits, USAGE};
pub use scenarios::{Fault, ECHO_BOT, POET_BOT, SLOW_BOT};
pub use store::{DEMO_CLIENT_ID, DEMO_PAT};

/// Shared server state.
pub struct App {
    pub config: Config,
    /// The advertised base URL (`--public-url`, else the bound URL).
    pub base_url: String,
    store: Mutex<store::Store>,
    /// Uploaded files (`/v1/files/*`) and the upload rules of the admin route.
    files: Mutex<files::Files>,
    streams: Arc<http::StreamStats>,
    /// Opens the admin routes to non-loopback peers / origins (`X-Emulator-Secret`).
    pub(crate) admin_secret: String,
}

impl App {
    fn new(config: Config, base_url: String) -> App {
        let admin_secret = config.admin_secret.clone().unwrap_or_else(|| util::random_hex(16));
        App {
            config,
            base_url,
            store: Mutex::new(store::Store::new()),
            files: Mutex::new(files::Files::default()),
            streams: Arc::new(http::StreamStats::default()),
            admin_secret,
        }
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, store::Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Never held across `.await`; taken after `store()` when both are needed.
    pub(crate) fn files(&self) -> MutexGuard<'_, files::Files> {
        self.files.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A bound, not yet serving, emulator.
pub struct Bound {
    listener: TcpListener,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` (the bound address; unspecified hosts shown as loopback).
    pub url: String,
    pub app: Arc<App>,
}

/// Bind the listening socket (port 0 picks a free port).
pub async fn bind(config: Config) -> io::Result<Bound> {
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        ip if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    let url = format!("http://{host}:{}", addr.port());
    if !addr.ip().is_loopback() {
        eprintln!("{}", non_loopback_warning(&addr));
    }
    let base_url = config.public_url.clone().unwrap_or_else(|| url.clone());
    let app = Arc::new(App::new(config, base_url));
    Ok(Bound { listener, addr, url, app })
}

impl Bound {
    /// Accept connections forever.
    pub async fn serve(self) -> io::Result<()> {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(s) => s,
                Err(e) if is_per_connection(&e) => continue,
                Err(e) => {
                    // E.g. EMFILE: back off instead of spinning; descriptors free up as streams end.
                    eprintln!("coze-emulator: accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let local = stream.local_addr().unwrap_or(self.addr);
            let conn = router::Conn { peer, local, bound: self.addr };
            let app = self.app.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| router::handle(app.clone(), conn, req));
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    }

    /// The human-readable startup log.
    pub fn banner(&self) -> String {
        banner(&self.app)
    }
}

/// The loud stderr warning printed when the listener is not loopback-only.
pub fn non_loopback_warning(addr: &SocketAddr) -> String {
    let bar = "!".repeat(78);
    format!(
        "{bar}\n\
         !! WARNING: coze-emulator is listening on {addr}, which is NOT a loopback address.\n\
         !! It is a test double with a well-known PAT and no real security: anyone who can reach\n\
         !! this address can use it. Admin routes (/_emulator/*) still answer loopback peers only\n\
         !! unless the request carries the admin secret (X-Emulator-Secret).\n\
         !! Bind to 127.0.0.1 (the default) unless you really mean it.\n{bar}"
    )
}

fn is_per_connection(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted)
}

fn banner(app: &App) -> String {
    let b = &app.base_url;
    let c = &app.config;
    let mut s = String::new();
    s.push_str(&format!("Coze API emulator listening — base URL {b} (serves both the www and the api host)\n\n"));
    s.push_str("OAuth (authorization code + PKCE, refresh rotation):\n");
    s.push_str(&format!("  authorize   GET  {b}/api/permission/oauth2/authorize  (and /api/permission/oauth2/workspace_id/{{id}}/authorize)\n"));
    s.push_str(&format!("  consent     GET  {b}/oauth/consent?authorize_key=…   (buttons #allow / #deny)\n"));
    s.push_str(&format!("  token       POST {b}/api/permission/oauth2/token  (JSON body)\n"));
    s.push_str(&format!(
        "  device code POST {b}/api/permission/oauth2/device/code  {{client_id}}; verify at {b}/oauth/device\n"
    ));
    s.push_str(&format!("  demo client_id  {DEMO_CLIENT_ID}  (public client, no secret)\n"));
    s.push_str("  redirect URIs   http://127.0.0.1[:any port] or http://localhost[:any port] with path exactly\n");
    s.push_str(
        "                  /, /index.html, /embed.html or /callback (query allowed, no fragment); plus exact-match\n",
    );
    s.push_str("                  URIs of clients registered with POST /_emulator/clients\n");
    s.push_str(&format!(
        "  lifetimes       access token {} s, code {} s, refresh token 30 days\n\n",
        c.token_ttl, c.code_ttl
    ));
    s.push_str(&format!("API: {b}/v1/…, {b}/v3/…  (Authorization: Bearer <access token or PAT>)\n"));
    s.push_str(&format!("  demo PAT        {DEMO_PAT}\n"));
    s.push_str("  bots (workspace 7400000000000000101 \"Personal\"; \"Team Emulator\" is 7400000000000000102):\n");
    for bot in scenarios::builtin_bots() {
        s.push_str(&format!("    {}  {}\n", bot.id, bot.name));
    }
    s.push_str("\nAdmin routes (test only, CORS-enabled):\n");
    s.push_str("  POST /_emulator/bots       scenario JSON {reply, repeat, delta_chars, chunk_size, delay_ms, studio, fault, fault_after, name,\n                             auth_error_status, failed_data} → {bot_id}\n");
    s.push_str(&format!("                             faults: {}\n", Fault::NAMES.join(", ")));
    s.push_str("  POST /_emulator/clients    {redirect_uris, access_token_ttl?, name?, auth_error_status?, oauth_error_shape?,\n                             token_fault?, device_interval?, device_expires_in?} → {client_id}\n");
    s.push_str("  POST /_emulator/authorize  {url, decision: allow|deny} → {location}\n");
    s.push_str("  POST /_emulator/expire     {access_token?, refresh_token?} → those tokens expire now\n");
    s.push_str("  GET  /_emulator/stats?client_id=   token request and API request counters\n");
    s.push_str("  GET  /_emulator/streams    {open, peak, closed_by_client, started}\n");
    s.push_str("  POST /_emulator/uploads    {client_id?, fault?, times?, max_bytes?, read_bytes_per_second?} → slow/faulty uploads\n");
    s.push_str("  GET  /_emulator/health     {ok: true}\n");
    s.push_str("  (more in emulator/README.md: clients/{id}, bots/{id}, chats/{id}, cancels, last_request, device)\n");
    s.push_str("  Admin routes answer loopback peers with a loopback (or no) Origin; others need the header\n");
    match &c.admin_secret {
        Some(_) => s.push_str("  X-Emulator-Secret: <the secret from --admin-secret / $COZE_EMULATOR_ADMIN_SECRET>\n"),
        None => s.push_str(&format!("  X-Emulator-Secret: {}\n", app.admin_secret)),
    }
    s
}

/// A running emulator on a background thread (for tests and embedding).
pub struct Handle {
    pub addr: SocketAddr,
    pub url: String,
    /// The admin secret (`X-Emulator-Secret`) of this instance.
    pub admin_secret: String,
}

/// Start the emulator on its own thread and runtime; returns once it is listening.
pub fn spawn(config: Config) -> io::Result<Handle> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("coze-emulator".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        rt.block_on(async move {
            match bind(config).await {
                Ok(bound) => {
                    let _ = tx.send(Ok(Handle {
                        addr: bound.addr,
                        url: bound.url.clone(),
                        admin_secret: bound.app.admin_secret.clone(),
                    }));
                    let _ = bound.serve().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    })?;
    rx.recv().map_err(|_| io::Error::other("emulator thread exited"))?
}
