//! Request dispatch, API authentication, CORS and per-request logging.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hyper::header::{HeaderValue, VARY};
use hyper::{Method, Response, StatusCode};
use serde_json::json;

use crate::http::{self, header, Body, Req, Resp};
use crate::store::RecordedRequest;
use crate::util::ct_eq;
use crate::{admin, api, chat, device, jwt, maker, oauth, pages, App};

/// The connection a request arrived on.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub peer: SocketAddr,
    /// The address this connection was accepted on.
    pub local: SocketAddr,
    /// The listener's address (may be unspecified, e.g. `0.0.0.0:P`).
    pub bound: SocketAddr,
}

/// Per-request context handed to the API handlers.
pub struct Ctx {
    /// The OAuth client the bearer token was issued to (`None` for the PAT or an unknown token).
    pub client_id: Option<String>,
    /// What the request carried (method, path, headers), as recorded for `/_emulator/last_request`.
    pub request: RecordedRequest,
}

/// The header that opens the admin routes to non-loopback peers and origins.
pub const ADMIN_SECRET_HEADER: &str = "x-emulator-secret";
/// Headers every preflight allows, in this order; requested extra headers are appended.
const BASE_ALLOW_HEADERS: [&str; 3] = ["authorization", "content-type", "x-coze-client-user-agent"];
const MAX_REFLECTED_HEADERS: usize = 64;
const MAX_REFLECTED_LEN: usize = 4096;

/// CORS applies to the API routes, the token route and the admin routes — not to the www pages.
pub fn is_cors_path(path: &str) -> bool {
    path.starts_with("/v1/")
        || path.starts_with("/v3/")
        || path.starts_with("/_emulator/")
        || path == oauth::TOKEN_PATH
        || device::match_device_code_path(path).is_some()
}

pub async fn handle(app: Arc<App>, conn: Conn, req: Req) -> Result<Resp, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let origin = header(&req, "origin").map(str::to_string);
    let mut cors = is_cors_path(&path);
    let mut resp = if let Err(r) = check_host(&app, &conn, &req) {
        cors = false;
        r
    } else if let Err(r) = check_admin(&app, &conn, &req, &path) {
        cors = false;
        r
    } else if method == Method::OPTIONS && cors {
        preflight(&req)
    } else {
        route(&app, req, &path, &method).await
    };
    let h = resp.headers_mut();
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    if cors {
        let allow = origin.as_deref().and_then(|o| HeaderValue::from_str(o).ok());
        let echoed = allow.is_some();
        h.insert("access-control-allow-origin", allow.unwrap_or(HeaderValue::from_static("*")));
        if echoed {
            h.append(VARY, HeaderValue::from_static("Origin"));
        }
        if method != Method::OPTIONS {
            h.insert("access-control-expose-headers", HeaderValue::from_static("x-tt-logid, retry-after"));
        }
    }
    if app.config.log_requests {
        // Path only: query strings may carry codes, states or keys.
        eprintln!("{method} {path} {}", resp.status().as_u16());
    }
    Ok(resp)
}

/// The value of `Access-Control-Allow-Headers` for a preflight: the base list, plus every header
/// the browser asks for (`Access-Control-Request-Headers`) when that list is well-formed and of
/// reasonable size (at most 64 names, 4096 bytes); otherwise the base list alone.
pub fn allow_headers(requested: Option<&str>) -> String {
    let mut names: Vec<String> = BASE_ALLOW_HEADERS.iter().map(|s| s.to_string()).collect();
    if let Some(req) = requested.filter(|r| r.len() <= MAX_REFLECTED_LEN) {
        let asked: Vec<String> =
            req.split(',').map(|n| n.trim().to_ascii_lowercase()).filter(|n| !n.is_empty()).collect();
        let well_formed = asked.len() <= MAX_REFLECTED_HEADERS && asked.iter().all(|n| n.bytes().all(is_tchar));
        if well_formed {
            for n in asked {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
    }
    names.join(", ")
}

/// RFC 9110 `tchar` (header field names).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn preflight(req: &Req) -> Resp {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    let allow = allow_headers(header(req, "access-control-request-headers"));
    let h = r.headers_mut();
    h.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, OPTIONS"));
    if let Ok(v) = HeaderValue::from_str(&allow) {
        h.insert("access-control-allow-headers", v);
    }
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    h.append(VARY, HeaderValue::from_static("Access-Control-Request-Headers"));
    r
}

// ---------------------------------------------------------------------------------------------
// DNS-rebinding defence and the admin gate

fn ip_is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

fn host_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("{v4}:{port}"),
            None => format!("[{v6}]:{port}"),
        },
    }
}

/// The `Host` values this server answers to: `127.0.0.1:P`, `localhost:P`, `[::1]:P`, the address
/// the connection was accepted on, `--public-url`'s authority and every `--allow-host`.
fn host_allowed(app: &App, conn: &Conn, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let port = conn.local.port();
    let with_port = |name: &str| format!("{name}:{port}");
    let mut ok = host == with_port("127.0.0.1")
        || host == with_port("localhost")
        || host == with_port("[::1]")
        || host == host_port(conn.local.ip(), port)
        || host == host_port(conn.bound.ip(), port);
    if port == 80 {
        ok |= matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]");
    }
    if let Some(public) = &app.config.public_url {
        let authority = public.split_once("://").map(|(_, r)| r).unwrap_or(public);
        let authority = authority.split('/').next().unwrap_or("").to_ascii_lowercase();
        ok |= host == authority;
    }
    ok || app.config.allowed_hosts.iter().any(|a| *a == host || with_port(a) == host)
}

/// Reject requests whose `Host` is not this server (a DNS-rebinding page would send its own name).
fn check_host(app: &App, conn: &Conn, req: &Req) -> Result<(), Resp> {
    let host = header(req, "host").or_else(|| req.uri().authority().map(|a| a.as_str()));
    match host {
        Some(h) if host_allowed(app, conn, h) => Ok(()),
        other => Err(http::json(
            StatusCode::MISDIRECTED_REQUEST,
            &json!({
                "error": "misdirected_request",
                "error_description": format!(
                    "Host {:?} is not this emulator (DNS-rebinding defence); use 127.0.0.1:{p}, localhost:{p} or [::1]:{p}, or start it with --allow-host",
                    other.unwrap_or(""),
                    p = conn.local.port()
                ),
            }),
        )),
    }
}

/// `http(s)://` + a loopback host (127.0.0.0/8, `localhost`, `[::1]`), any port.
pub fn origin_is_loopback(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    if rest.contains(['/', '@', '?', '#']) {
        return false;
    }
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, tail)) if tail.is_empty() || tail.starts_with(':') => return h == "::1" && port_ok(tail),
            _ => return false,
        }
    } else {
        let (h, tail) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        if let Some(p) = tail {
            if !port_ok(&format!(":{p}")) {
                return false;
            }
        }
        h.to_ascii_lowercase()
    };
    host == "localhost" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

fn port_ok(tail: &str) -> bool {
    match tail.strip_prefix(':') {
        None => tail.is_empty(),
        Some(p) => {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        }
    }
}

/// Routes under `/_emulator/` that stay open to everyone: the static avatars (shown in `<img>`
/// on any page) and the health probe (reveals nothing).
fn admin_exempt(path: &str) -> bool {
    path == "/_emulator/health" || path.starts_with("/_emulator/icon/")
}

/// Admin routes answer a loopback peer whose `Origin` (if any) is loopback, or anyone carrying
/// the admin secret.
fn check_admin(app: &App, conn: &Conn, req: &Req, path: &str) -> Result<(), Resp> {
    // Preflights pass (they carry no secret and do nothing); the actual request is gated.
    if !path.starts_with("/_emulator/") || admin_exempt(path) || req.method() == Method::OPTIONS {
        return Ok(());
    }
    if header(req, ADMIN_SECRET_HEADER).is_some_and(|s| ct_eq(s, &app.admin_secret)) {
        return Ok(());
    }
    let peer_ok = ip_is_loopback(conn.peer.ip());
    let origin_ok = match req.headers().get("origin") {
        None => true,
        Some(o) => o.to_str().is_ok_and(origin_is_loopback),
    };
    if peer_ok && origin_ok {
        return Ok(());
    }
    let why = if !peer_ok { "the peer is not a loopback address" } else { "the Origin is not a loopback origin" };
    Err(http::json(
        StatusCode::FORBIDDEN,
        &json!({
            "error": "forbidden",
            "error_description": format!(
                "admin routes answer loopback clients only ({why}); send the admin secret in X-Emulator-Secret"
            ),
        }),
    ))
}

fn method_not_allowed() -> Resp {
    http::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

async fn route(app: &Arc<App>, req: Req, path: &str, method: &Method) -> Resp {
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    if let Some(ws) = oauth::match_authorize_path(path) {
        return if get { oauth::authorize(app, &req, ws) } else { method_not_allowed() };
    }
    if let Some(ws) = device::match_device_code_path(path) {
        return if post { device::device_code(app, req, ws).await } else { method_not_allowed() };
    }
    // JWT: the account-scoped token path, and a stand-in for a proxy that drops Authorization.
    let (path, req) = match path.strip_prefix(jwt::STRIP_AUTHORIZATION_PREFIX) {
        Some(rest) if rest == oauth::TOKEN_PATH || jwt::match_account_token_path(rest).is_some() => {
            let mut req = req;
            req.headers_mut().remove("authorization");
            (rest, req)
        }
        _ => (path, req),
    };
    if jwt::match_account_token_path(path).is_some() {
        return if post { oauth::token(app, req).await } else { method_not_allowed() };
    }
    match path {
        "/" | "/index.html" if get => http::html(StatusCode::OK, pages::index(&app.base_url)),
        "/oauth/consent" if get => oauth::consent_page(app, &req),
        "/oauth/consent" if post => oauth::consent_submit(app, req).await,
        oauth::TOKEN_PATH if post => oauth::token(app, req).await,
        device::VERIFY_PATH if get => device::verify_page(app, &req),
        device::VERIFY_PATH if post => device::verify_submit(app, req).await,
        "/oauth/consent" | oauth::TOKEN_PATH | device::VERIFY_PATH => method_not_allowed(),
        _ if path.starts_with("/_emulator/") => admin::route(app, req, path, method).await,
        _ if path.starts_with("/v1/") || path.starts_with("/v3/") => api_route(app, req, path, method).await,
        _ => http::text(StatusCode::NOT_FOUND, "not found"),
    }
}

#[derive(Clone, Copy)]
enum Api {
    Chat,
    ChatCancel,
    ChatRetrieve,
    ChatMessages,
    ConversationCreate,
    ConversationMessages,
    ConversationRetrieve,
    Bots,
    Bot,
    PublishedBots,
    Workspaces,
    Me,
    FileUpload,
    FileRetrieve,
    BotCreate,
    BotUpdate,
    BotPublish,
    BotOnlineInfo,
}

/// `(route, GET allowed, POST allowed)`.
fn api_table(path: &str) -> Option<(Api, bool, bool)> {
    Some(match path {
        "/v3/chat" => (Api::Chat, false, true),
        "/v3/chat/cancel" => (Api::ChatCancel, false, true),
        "/v3/chat/retrieve" => (Api::ChatRetrieve, true, true),
        "/v3/chat/message/list" => (Api::ChatMessages, true, true),
        "/v1/conversation/create" => (Api::ConversationCreate, false, true),
        "/v1/conversation/message/list" => (Api::ConversationMessages, true, true),
        "/v1/conversation/retrieve" => (Api::ConversationRetrieve, true, false),
        "/v1/bots" => (Api::Bots, true, false),
        "/v1/space/published_bots_list" => (Api::PublishedBots, true, false),
        "/v1/workspaces" => (Api::Workspaces, true, false),
        "/v1/users/me" => (Api::Me, true, false),
        "/v1/files/upload" => (Api::FileUpload, false, true),
        "/v1/files/retrieve" => (Api::FileRetrieve, true, false),
        "/v1/bot/create" => (Api::BotCreate, false, true),
        "/v1/bot/update" => (Api::BotUpdate, false, true),
        "/v1/bot/publish" => (Api::BotPublish, false, true),
        "/v1/bot/get_online_info" => (Api::BotOnlineInfo, true, false),
        p if p.strip_prefix("/v1/bots/").is_some_and(|id| !id.is_empty() && !id.contains('/')) => {
            (Api::Bot, true, false)
        }
        _ => return None,
    })
}

fn bearer(req: &Req) -> Result<&str, &'static str> {
    let Some(value) = header(req, "authorization") else {
        return Err("Authentication is missing: send Authorization: Bearer <token>.");
    };
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => return Err("Authentication is invalid: expected Authorization: Bearer <token>."),
    };
    if token.is_empty() {
        return Err("Authentication is missing: the bearer token is empty.");
    }
    Ok(token)
}

/// Check `Authorization: Bearer <token>` against live access tokens and the demo PAT; record the
/// request (last headers, per-client counters). A refusal is the 4100 envelope with HTTP 401, or
/// HTTP 200 when the token's client (else `--auth-error-status`) asks for it.
fn authenticate(app: &App, req: &Req, path: &str, request: &RecordedRequest) -> (Option<String>, Result<(), Resp>) {
    let mut st = app.store();
    let token = bearer(req);
    let client_id = token.ok().and_then(|t| st.token_client(t));
    st.record_request(client_id.as_deref(), request);
    let result = match token {
        Err(msg) => Err(msg),
        Ok(t) => st.use_access_token(t, path),
    };
    let status = client_id
        .as_deref()
        .and_then(|c| st.clients.get(c))
        .and_then(|c| c.settings.auth_error_status)
        .unwrap_or(app.config.auth_error_status);
    (client_id, result.map_err(|msg| http::unauthorized_with(status, msg)))
}

async fn api_route(app: &Arc<App>, req: Req, path: &str, method: &Method) -> Resp {
    let request = RecordedRequest::of(&req);
    let Some((api, get_ok, post_ok)) = api_table(path) else {
        app.store().record_request(None, &request);
        return http::api_error(StatusCode::NOT_FOUND, 4200, &format!("no such API: {path}"));
    };
    let allowed = (get_ok && (method == Method::GET || method == Method::HEAD)) || (post_ok && method == Method::POST);
    if !allowed {
        app.store().record_request(None, &request);
        return http::api_error(
            StatusCode::METHOD_NOT_ALLOWED,
            4000,
            &format!("method {method} not allowed on {path}"),
        );
    }
    // Counted per path; every bot's page is one path, so the counters stay bounded.
    let path_key = if matches!(api, Api::Bot) { "/v1/bots/{bot_id}" } else { path };
    let (client_id, auth) = authenticate(app, &req, path_key, &request);
    if let Err(r) = auth {
        if matches!(api, Api::FileUpload) {
            crate::files::drain_body(req).await; // see drain_body
        }
        return r;
    }
    let ctx = Ctx { client_id, request };
    match api {
        Api::Chat => chat::create(app.clone(), &ctx, req).await,
        Api::ChatCancel => chat::cancel(app, &ctx, req).await,
        Api::ChatRetrieve => chat::retrieve(app, &req),
        Api::ChatMessages => chat::messages(app, &req),
        Api::ConversationCreate => api::conversation_create(app, req).await,
        Api::ConversationMessages => api::conversation_messages(app, req).await,
        Api::ConversationRetrieve => api::conversation_retrieve(app, &req),
        Api::Bots => api::bots_list(app, &req),
        Api::Bot => api::bot_retrieve(app, &path["/v1/bots/".len()..]),
        Api::PublishedBots => api::published_bots(app, &req),
        Api::Workspaces => api::workspaces(app, &req),
        Api::Me => api::me(app),
        Api::FileUpload => crate::files::upload(app, &ctx, req).await,
        Api::FileRetrieve => crate::files::retrieve(app, &req),
        Api::BotCreate => maker::create(app, req).await,
        Api::BotUpdate => maker::update(app, req).await,
        Api::BotPublish => maker::publish(app, req).await,
        Api::BotOnlineInfo => maker::online_info(app, &req),
    }
}
