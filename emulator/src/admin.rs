//! Test-only admin routes under `/_emulator/` (CORS-enabled, no auth).

use std::sync::atomic::Ordering;

use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::{self, admin_error, read_body, Req, Resp};
use crate::scenarios::ScenarioSpec;
use crate::store::{Bot, Client};
use crate::util::{new_id, now_secs, Params};
use crate::App;

async fn body_json(req: Req) -> Result<Value, Resp> {
    let bytes = read_body(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes).map_err(|e| admin_error("invalid_request", &format!("invalid JSON: {e}")))
}

/// `POST /_emulator/bots` scenario → `{"bot_id"}`.
pub async fn create_bot(app: &App, req: Req) -> Resp {
    let v = match body_json(req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let spec: ScenarioSpec = match serde_json::from_value(v) {
        Ok(s) => s,
        Err(e) => return admin_error("invalid_request", &format!("invalid scenario: {e}")),
    };
    let name = spec.name.clone().unwrap_or_else(|| "Scenario Bot".into());
    let behaviour = match spec.into_behaviour() {
        Ok(b) => b,
        Err(m) => return admin_error("invalid_request", &m),
    };
    let id = new_id();
    app.store().add_bot(Bot {
        id: id.clone(),
        name,
        description: "Registered through POST /_emulator/bots".into(),
        icon: "scenario".into(),
        behaviour,
        listed: false,
        unauthorized_pending: false,
        created_at: now_secs(),
    });
    http::json(StatusCode::OK, &json!({ "bot_id": id }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientSpec {
    redirect_uris: Vec<String>,
    access_token_ttl: Option<u64>,
    name: Option<String>,
}

/// `POST /_emulator/clients` `{redirect_uris, access_token_ttl?, name?}` → `{"client_id"}`.
pub async fn create_client(app: &App, req: Req) -> Resp {
    let v = match body_json(req).await {
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
    for u in &spec.redirect_uris {
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
    let id = format!("{}.app.coze", new_id());
    app.store().clients.insert(
        id.clone(),
        Client {
            name: spec.name.unwrap_or_else(|| "Test Client".into()),
            redirect_uris: spec.redirect_uris,
            loopback_rule: false,
            access_ttl: spec.access_token_ttl,
        },
    );
    http::json(StatusCode::OK, &json!({ "client_id": id }))
}

/// `GET /_emulator/stats?client_id=`.
pub fn stats(app: &App, req: &Req) -> Resp {
    let q = Params::parse(req.uri().query().unwrap_or("")).unwrap_or_default();
    let Some(client_id) = q.get_nonempty("client_id") else {
        return admin_error("invalid_request", "client_id is required");
    };
    let s = app.store().stats.get(client_id).copied().unwrap_or_default();
    http::json(
        StatusCode::OK,
        &json!({
            "token_requests": {"authorization_code": s.authorization_code, "refresh_token": s.refresh_token},
            "refresh_failures": s.refresh_failures,
            "api_requests": {"ok": s.api_ok, "unauthorized": s.api_unauthorized},
        }),
    )
}

/// `POST /_emulator/expire` `{access_token?, refresh_token?}`: those tokens expire now (an expired
/// access token gets 401 / 4100, an expired refresh token `invalid_grant`); the login's other
/// tokens keep working. → `{"expired": n}`; 400 when none of them is known.
pub async fn expire(app: &App, req: Req) -> Resp {
    let v = match body_json(req).await {
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

/// `GET /_emulator/streams` → `{"open","peak","closed_by_client","started"}`.
pub fn streams(app: &App) -> Resp {
    let s = &app.streams;
    http::json(
        StatusCode::OK,
        &json!({
            "open": s.open.load(Ordering::Relaxed),
            "peak": s.peak.load(Ordering::Relaxed),
            "closed_by_client": s.closed_by_client.load(Ordering::Relaxed),
            "started": s.started.load(Ordering::Relaxed),
        }),
    )
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
