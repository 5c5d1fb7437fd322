//! Test-only admin routes under `/_emulator/` (CORS-enabled, no auth).

use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

use crate::http::{self, admin_error, admin_error_status, read_admin_body, OAuthShape, Req, Resp};
use crate::scenarios::ScenarioSpec;
use crate::store::{Bot, Client, ClientSettings, TokenFault, TokenFaultKind};
use crate::util::{new_id, Params};
use crate::App;

/// Dispatch `/_emulator/*` (the gate in `router` has already let the request in).
pub async fn route(app: &App, req: Req, path: &str, method: &Method) -> Resp {
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    let rest = &path["/_emulator/".len()..];
    let (head, tail) = match rest.split_once('/') {
        Some((h, t)) => (h, Some(t)),
        None => (rest, None),
    };
    match (head, tail) {
        ("health", None) if get => health(),
        ("streams", None) if get => streams(app, &req),
        ("stats", None) if get => stats(app, &req),
        ("bots", None) if post => create_bot(app, req).await,
        ("bots", Some(id)) if get && !id.is_empty() => bot_info(app, id),
        ("clients", None) if post => create_client(app, req).await,
        ("clients", Some(id)) if get && !id.is_empty() => client_info(app, id),
        ("clients", Some(id)) if post && !id.is_empty() => update_client(app, id, req).await,
        ("authorize", None) if post => crate::oauth::admin_authorize(app, req).await,
        ("expire", None) if post => expire(app, req).await,
        ("device", None) if post => crate::device::admin_decide(app, req).await,
        ("jwt_apps", None) if post => match body_json(app, req).await {
            Ok(v) => crate::jwt::register(app, &v),
            Err(r) => r,
        },
        ("jwt_apps", Some(id)) if get && !id.is_empty() => crate::jwt::info(app, id),
        ("jwt_apps", Some(id)) if post && !id.is_empty() => match body_json(app, req).await {
            Ok(v) => crate::jwt::update(app, id, &v),
            Err(r) => r,
        },
        ("last_request", None) if get => last_request(app, &req),
        ("cancels", None) if get => cancels(app, &req),
        ("chats", Some(id)) if get && !id.is_empty() => chat_info(app, id),
        ("uploads", None) if post => crate::files::admin_set_rule(app, req).await,
        ("uploads", None) if get => crate::files::admin_stats(app, &req),
        ("icon", Some(name)) if get => icon(name.trim_end_matches(".svg")),
        (
            "health" | "streams" | "stats" | "bots" | "clients" | "authorize" | "expire" | "last_request" | "cancels"
            | "chats" | "icon" | "uploads" | "jwt_apps",
            _,
        ) => http::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => admin_error_status(StatusCode::NOT_FOUND, "not_found", &format!("no such admin route: {path}")),
    }
}

/// An admin request's JSON body (at most `limits.max_admin_body` bytes; empty = `{}`).
pub async fn body_json(app: &App, req: Req) -> Result<Value, Resp> {
    let bytes = read_admin_body(req, app.config.limits.max_admin_body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes).map_err(|e| admin_error("invalid_request", &format!("invalid JSON: {e}")))
}

fn too_many(what: &str, max: usize) -> Resp {
    admin_error_status(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("too_many_{what}"),
        &format!("this emulator holds at most {max} {what}; restart it (or raise Limits) for more"),
    )
}

/// `POST /_emulator/bots` scenario → `{"bot_id"}`.
pub async fn create_bot(app: &App, req: Req) -> Resp {
    let v = match body_json(app, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let spec: ScenarioSpec = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => return admin_error("invalid_request", &format!("invalid scenario: {e}")),
    };
    let name = spec.name.clone().unwrap_or_else(|| "Scenario Bot".into());
    let behaviour = match spec.into_behaviour_limited(app.config.limits.max_reply_bytes) {
        Ok(b) => b,
        Err(m) => return admin_error("invalid_request", &m),
    };
    let id = new_id();
    let mut st = app.store();
    let max = app.config.limits.max_bots;
    if st.scenario_bots() >= max {
        return too_many("bots", max);
    }
    st.add_bot(Bot::new(
        id.clone(),
        name,
        "Registered through POST /_emulator/bots".into(),
        "scenario".into(),
        behaviour,
        false,
    ));
    http::json(StatusCode::OK, &json!({ "bot_id": id }))
}

/// `GET /_emulator/bots/{bot_id}` → counters of one bot.
fn bot_info(app: &App, id: &str) -> Resp {
    let st = app.store();
    let Some(b) = st.bots.get(id) else {
        return admin_error_status(StatusCode::NOT_FOUND, "not_found", &format!("no such bot: {id}"));
    };
    http::json(
        StatusCode::OK,
        &json!({
            "bot_id": b.id,
            "name": b.name,
            "chat_requests": b.chat_requests,
            "emulated_unauthorized": b.emulated_unauthorized,
            "cancel_calls": b.cancel_calls,
            "streams": b.streams.to_json(),
            "last_request": b.last_request.as_ref().map(|r| r.to_json()),
        }),
    )
}

/// Deserialize a present field as `Some(value)` (so `null` is `Some(Null)`, absent is `None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The switches of a client, as accepted by `POST /_emulator/clients` and `/_emulator/clients/{id}`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsSpec {
    #[serde(default, deserialize_with = "present")]
    auth_error_status: Option<Value>,
    oauth_error_shape: Option<String>,
    #[serde(default, deserialize_with = "present")]
    token_fault: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    device_interval: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    device_expires_in: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFaultSpec {
    kind: String,
    grant: Option<String>,
    times: Option<u64>,
    code: Option<String>,
}

impl SettingsSpec {
    /// Apply to `s`: absent fields are left alone, `null` resets to the default.
    fn apply(self, s: &mut ClientSettings) -> Result<(), String> {
        let seconds = |name: &str, v: Option<Value>, min: u64, max: u64, slot: &mut Option<u64>| match v {
            None => Ok(()),
            Some(Value::Null) => {
                *slot = None;
                Ok(())
            }
            Some(v) => match v.as_u64().filter(|n| (min..=max).contains(n)) {
                Some(n) => {
                    *slot = Some(n);
                    Ok(())
                }
                None => Err(format!("{name} must be a number of seconds from {min} to {max}, got {v}")),
            },
        };
        seconds("device_interval", self.device_interval, 0, 60, &mut s.device_interval)?;
        seconds("device_expires_in", self.device_expires_in, 1, 3600, &mut s.device_expires_in)?;
        match self.auth_error_status {
            None => {}
            Some(Value::Null) => s.auth_error_status = None,
            Some(v) => match v.as_u64() {
                Some(401) => s.auth_error_status = Some(401),
                Some(200) => s.auth_error_status = Some(200),
                _ => return Err(format!("auth_error_status must be 401, 200 or null, got {v}")),
            },
        }
        if let Some(shape) = self.oauth_error_shape {
            s.oauth_error_shape = OAuthShape::parse(&shape).ok_or_else(|| {
                format!("oauth_error_shape must be one of {}, got {shape:?}", OAuthShape::NAMES.join(", "))
            })?;
        }
        match self.token_fault {
            None => {}
            Some(Value::Null) => s.token_fault = None,
            Some(v) => {
                let f: TokenFaultSpec = serde_json::from_value(v).map_err(|e| format!("invalid token_fault: {e}"))?;
                let kind = TokenFaultKind::parse(&f.kind).ok_or_else(|| {
                    format!("token_fault.kind must be one of {}, got {:?}", TokenFaultKind::NAMES.join(", "), f.kind)
                })?;
                let grant = f.grant.unwrap_or_else(|| "refresh_token".into());
                if !matches!(grant.as_str(), "refresh_token" | "authorization_code" | "device_code" | "any") {
                    return Err(format!(
                        "token_fault.grant must be refresh_token, authorization_code, device_code or any, got {grant:?}"
                    ));
                }
                let code = f.code.unwrap_or_else(|| "invalid_grant".into());
                if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    return Err("token_fault.code must be 1-64 characters [A-Za-z0-9_]".into());
                }
                s.token_fault = Some(TokenFault { kind, grant, remaining: f.times, code });
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    redirect_uris: Vec<String>,
    access_token_ttl: Option<u64>,
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    auth_error_status: Option<Value>,
    oauth_error_shape: Option<String>,
    #[serde(default, deserialize_with = "present")]
    token_fault: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    device_interval: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    device_expires_in: Option<Value>,
    /// `"pkce"` (default: a public SPA/mobile/desktop app) or `"web"` (gets a client secret).
    client_type: Option<String>,
}

const MAX_REDIRECT_URI_LEN: usize = 2048;
const MAX_NAME_LEN: usize = 256;

/// `POST /_emulator/clients` `{redirect_uris, access_token_ttl?, name?, auth_error_status?,
/// oauth_error_shape?, token_fault?}` → `{"client_id"}`.
pub async fn create_client(app: &App, req: Req) -> Resp {
    let v = match body_json(app, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let spec: ClientSpec = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => return admin_error("invalid_request", &format!("invalid client: {e}")),
    };
    if spec.redirect_uris.is_empty() {
        return admin_error("invalid_request", "redirect_uris must list at least one URI");
    }
    let limits = &app.config.limits;
    if spec.redirect_uris.len() > limits.max_redirect_uris {
        return admin_error_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            &format!("at most {} redirect_uris per client", limits.max_redirect_uris),
        );
    }
    if spec.name.as_ref().is_some_and(|n| n.len() > MAX_NAME_LEN) {
        return admin_error_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            &format!("name is limited to {MAX_NAME_LEN} bytes"),
        );
    }
    for u in &spec.redirect_uris {
        if u.len() > MAX_REDIRECT_URI_LEN {
            return admin_error_status(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                &format!("redirect URIs are limited to {MAX_REDIRECT_URI_LEN} bytes"),
            );
        }
        let scheme_ok = u.starts_with("http://") || u.starts_with("https://");
        if !scheme_ok || u.contains('#') || u.len() <= "http://".len() {
            return admin_error(
                "invalid_request",
                &format!("redirect URI must be an absolute http(s) URL without fragment: {u}"),
            );
        }
    }
    if spec.access_token_ttl == Some(0) {
        return admin_error("invalid_request", "access_token_ttl must be at least 1 second");
    }
    let mut settings = ClientSettings::default();
    let update = SettingsSpec {
        auth_error_status: spec.auth_error_status,
        oauth_error_shape: spec.oauth_error_shape,
        token_fault: spec.token_fault,
        device_interval: spec.device_interval,
        device_expires_in: spec.device_expires_in,
    };
    if let Err(m) = update.apply(&mut settings) {
        return admin_error("invalid_request", &m);
    }
    let client_secret = match spec.client_type.as_deref() {
        None | Some("pkce") => None,
        Some("web") => Some(crate::web_app::new_secret()),
        Some(other) => {
            return admin_error("invalid_request", &format!("client_type must be pkce or web, got {other:?}"))
        }
    };
    let id = format!("{}.app.coze", new_id());
    let mut st = app.store();
    if st.registered_clients() >= limits.max_clients {
        return too_many("clients", limits.max_clients);
    }
    st.clients.insert(
        id.clone(),
        Client {
            name: spec.name.unwrap_or_else(|| "Test Client".into()),
            redirect_uris: spec.redirect_uris,
            loopback_rule: false,
            access_ttl: spec.access_token_ttl,
            settings,
            client_secret: client_secret.clone(),
        },
    );
    match client_secret {
        Some(secret) => http::json(StatusCode::OK, &json!({ "client_id": id, "client_secret": secret })),
        None => http::json(StatusCode::OK, &json!({ "client_id": id })),
    }
}

fn client_json(id: &str, c: &Client) -> Value {
    json!({
        "client_id": id,
        "name": c.name,
        "redirect_uris": c.redirect_uris,
        "access_token_ttl": c.access_ttl,
        "client_type": if c.client_secret.is_some() { "web" } else { "pkce" },
        "settings": c.settings.to_json(),
    })
}

/// `GET /_emulator/clients/{client_id}` → `{client_id, name, redirect_uris, access_token_ttl, settings}`.
fn client_info(app: &App, id: &str) -> Resp {
    let st = app.store();
    match st.clients.get(id) {
        Some(c) => http::json(StatusCode::OK, &client_json(id, c)),
        None => admin_error_status(StatusCode::NOT_FOUND, "not_found", &format!("no such client: {id}")),
    }
}

/// `POST /_emulator/clients/{client_id}` `{auth_error_status?, oauth_error_shape?, token_fault?}`:
/// change a client's switches (absent = unchanged, null = default) → the client as `GET` shows it.
async fn update_client(app: &App, id: &str, req: Req) -> Resp {
    let v = match body_json(app, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let spec: SettingsSpec = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => return admin_error("invalid_request", &format!("invalid settings: {e}")),
    };
    let mut st = app.store();
    let Some(c) = st.clients.get_mut(id) else {
        return admin_error_status(StatusCode::NOT_FOUND, "not_found", &format!("no such client: {id}"));
    };
    let mut settings = c.settings.clone();
    if let Err(m) = spec.apply(&mut settings) {
        return admin_error("invalid_request", &m);
    }
    c.settings = settings;
    http::json(StatusCode::OK, &client_json(id, c))
}

fn query(req: &Req) -> Params {
    Params::parse(req.uri().query().unwrap_or("")).unwrap_or_default()
}

/// `GET /_emulator/last_request[?client_id=|?bot_id=]` → `{method, path, headers, at_ms}` of the
/// last `/v1`, `/v3` request (of that client's tokens / naming that bot on `/v3/chat`); 404 when none.
fn last_request(app: &App, req: &Req) -> Resp {
    let q = query(req);
    let st = app.store();
    let rec = if let Some(c) = q.get_nonempty("client_id") {
        st.last_request_by_client.get(c)
    } else if let Some(b) = q.get_nonempty("bot_id") {
        st.bots.get(b).and_then(|b| b.last_request.as_ref())
    } else {
        st.last_request.as_ref()
    };
    match rec {
        Some(r) => http::json(StatusCode::OK, &r.to_json()),
        None => admin_error_status(StatusCode::NOT_FOUND, "not_found", "no API request recorded yet"),
    }
}

/// `GET /_emulator/cancels[?client_id=|?bot_id=|?chat_id=]` → `{"count", "calls":[…]}` (the latest
/// 1000 calls, oldest first, filtered).
fn cancels(app: &App, req: &Req) -> Resp {
    let q = query(req);
    let (client, bot, chat) = (q.get_nonempty("client_id"), q.get_nonempty("bot_id"), q.get_nonempty("chat_id"));
    let st = app.store();
    let calls: Vec<Value> = st
        .cancels
        .iter()
        .filter(|c| client.is_none_or(|x| c.client_id.as_deref() == Some(x)))
        .filter(|c| bot.is_none_or(|x| c.bot_id.as_deref() == Some(x)))
        .filter(|c| chat.is_none_or(|x| c.chat_id == x))
        .map(|c| c.to_json())
        .collect();
    http::json(StatusCode::OK, &json!({"count": calls.len(), "calls": calls}))
}

/// `GET /_emulator/chats/{chat_id}` → `{chat_id, conversation_id, bot_id, client_id, status,
/// cancel_calls, stream: null | {open, closed_by_client, writes, bytes}}`.
fn chat_info(app: &App, id: &str) -> Resp {
    let st = app.store();
    let Some(e) = st.chats.get(id) else {
        return admin_error_status(StatusCode::NOT_FOUND, "not_found", &format!("no such chat: {id}"));
    };
    http::json(
        StatusCode::OK,
        &json!({
            "chat_id": e.chat.id,
            "conversation_id": e.chat.conversation_id,
            "bot_id": e.chat.bot_id,
            "client_id": e.client_id,
            "status": e.chat.status,
            "cancel_calls": e.cancel_calls,
            "stream": e.stream.as_ref().map(|s| s.to_json()),
        }),
    )
}

/// `GET /_emulator/stats?client_id=`.
pub fn stats(app: &App, req: &Req) -> Resp {
    let q = Params::parse(req.uri().query().unwrap_or("")).unwrap_or_default();
    let Some(client_id) = q.get_nonempty("client_id") else {
        return admin_error("invalid_request", "client_id is required");
    };
    let s = app.store().stats.get(client_id).cloned().unwrap_or_default();
    http::json(
        StatusCode::OK,
        &json!({
            "token_requests": {
                "authorization_code": s.authorization_code,
                "refresh_token": s.refresh_token,
                "device_code": s.device_code,
            },
            "device_codes": s.device_codes,
            "refresh_failures": s.refresh_failures,
            "token_faults": s.token_faults,
            "api_requests": {"ok": s.api_ok, "unauthorized": s.api_unauthorized},
            "api_by_path": s.api_paths,
            "emulated_unauthorized": s.api_emulated_unauthorized,
            "cancel_calls": s.cancel_calls,
        }),
    )
}

/// `POST /_emulator/expire` `{access_token?, refresh_token?}`: those tokens expire now (an expired
/// access token gets 401 / 4100, an expired refresh token `invalid_grant`); the login's other
/// tokens keep working. → `{"expired": n}`; 400 when none of them is known.
pub async fn expire(app: &App, req: Req) -> Resp {
    let v = match body_json(app, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let field = |name: &str| -> Result<Option<String>, Resp> {
        match v.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(admin_error("invalid_request", &format!("{name} must be a string"))),
        }
    };
    let (access, refresh) = match (field("access_token"), field("refresh_token")) {
        (Ok(a), Ok(r)) => (a, r),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    if access.is_none() && refresh.is_none() {
        return admin_error("invalid_request", "give access_token and/or refresh_token");
    }
    match app.store().expire_tokens(access.as_deref(), refresh.as_deref()) {
        0 => admin_error("invalid_request", "no such token"),
        n => http::json(StatusCode::OK, &json!({ "expired": n })),
    }
}

/// `GET /_emulator/streams[?bot_id=]` → `{"open","peak","closed_by_client","started"}`, emulator-wide
/// or of one bot's streams.
pub fn streams(app: &App, req: &Req) -> Resp {
    match query(req).get_nonempty("bot_id") {
        None => http::json(StatusCode::OK, &app.streams.to_json()),
        Some(b) => match app.store().bots.get(b) {
            Some(bot) => http::json(StatusCode::OK, &bot.streams.to_json()),
            None => admin_error_status(StatusCode::NOT_FOUND, "not_found", &format!("no such bot: {b}")),
        },
    }
}

pub fn health() -> Resp {
    http::json(StatusCode::OK, &json!({"ok": true}))
}

/// `GET /_emulator/icon/{name}.svg`.
pub fn icon(name: &str) -> Resp {
    let mut r = Response::new(http::Body::from(crate::pages::icon_svg(name)));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r
}
