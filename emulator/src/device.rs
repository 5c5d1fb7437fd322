//! OAuth device authorization (coze-api.md §1.8): `POST …/device/code`, polling on the token
//! endpoint with `urn:ietf:params:oauth:grant-type:device_code`, and the verification page
//! where the user enters the code and allows or denies.

use hyper::StatusCode;
use serde_json::{json, Map, Value};

use crate::http::{self, read_body, OAuthShape, Req, Resp};
use crate::pages;
use crate::store::DeviceRec;
use crate::util::{now_ms, random_bytes, random_token, Params};
use crate::App;

pub const DEVICE_CODE_PATH: &str = "/api/permission/oauth2/device/code";
pub const VERIFY_PATH: &str = "/oauth/device";
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: each `slow_down` adds 5 seconds to the interval.
const SLOW_DOWN_STEP: u64 = 5;
/// At most this many pending device authorizations are kept (the oldest expired ones go first).
const MAX_DEVICE_RECORDS: usize = 10_000;
/// Unambiguous upper-case letters (no vowels, no I/O): user codes read aloud or typed.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// If `path` is a device-code endpoint, `Some(workspace_id)` (`Some(None)` for the plain one).
pub fn match_device_code_path(path: &str) -> Option<Option<String>> {
    if path == DEVICE_CODE_PATH {
        return Some(None);
    }
    let ws = path.strip_prefix("/api/permission/oauth2/workspace_id/")?.strip_suffix("/device/code")?;
    if ws.is_empty() || ws.contains('/') {
        return None;
    }
    Some(Some(crate::util::pct_decode(ws)?))
}

fn new_user_code() -> String {
    let bytes = random_bytes(8);
    let letters: String =
        bytes.iter().map(|b| USER_CODE_ALPHABET[*b as usize % USER_CODE_ALPHABET.len()] as char).collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}

/// `abcd efgh`, `ABCD-EFGH`, `abcdefgh` → `ABCD-EFGH` (None when it cannot be a user code).
pub fn normalize_user_code(s: &str) -> Option<String> {
    let letters: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    (letters.len() == 8).then(|| format!("{}-{}", &letters[..4], &letters[4..]))
}

/// `POST /api/permission/oauth2[/workspace_id/{id}]/device/code` `{client_id}` →
/// `{device_code, user_code, verification_uri, expires_in (relative seconds), interval}`.
pub async fn device_code(app: &App, req: Req, workspace_id: Option<String>) -> Resp {
    let both = OAuthShape::Both;
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let obj: Map<String, Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(o)) => o,
        _ => {
            return http::oauth_error_shaped(
                both,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "invalid request: the body is not a JSON object",
            )
        }
    };
    let client_id = match crate::oauth::str_field(both, &obj, "client_id") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let mut st = app.store();
    let Some(client) = st.clients.get(&client_id) else {
        drop(st);
        return http::oauth_error_shaped(
            both,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &format!("unknown client_id: {client_id}"),
        );
    };
    let interval = client.settings.device_interval.unwrap_or(5);
    let expires_in = client.settings.device_expires_in.unwrap_or(300);
    st.purge_devices(MAX_DEVICE_RECORDS);
    let device_code = random_token(32);
    let mut user_code = new_user_code();
    while st.user_codes.contains_key(&user_code) {
        user_code = new_user_code();
    }
    st.stats_mut(&client_id).device_codes += 1;
    st.user_codes.insert(user_code.clone(), device_code.clone());
    st.devices.insert(
        device_code.clone(),
        DeviceRec {
            client_id,
            workspace_id,
            expires_ms: now_ms() + expires_in * 1000,
            interval_s: interval,
            last_poll_ms: None,
            decision: None,
            redeemed: false,
        },
    );
    drop(st);
    let mut r = http::json(
        StatusCode::OK,
        &json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("{}{VERIFY_PATH}", app.base_url),
            "expires_in": expires_in,
            "interval": interval,
        }),
    );
    r.headers_mut().insert(hyper::header::CACHE_CONTROL, hyper::header::HeaderValue::from_static("no-store"));
    r
}

/// The token endpoint's `device_code` grant: `authorization_pending`, `slow_down` (polled sooner
/// than `interval` after the previous poll; the interval then grows by 5 s), `access_denied`,
/// `expired_token`, `invalid_grant` (unknown / other client / already redeemed), or the tokens.
pub fn poll(app: &App, shape: OAuthShape, client_id: &str, obj: &Map<String, Value>) -> Resp {
    let bad = |code: &str, msg: &str| http::oauth_error_shaped(shape, StatusCode::BAD_REQUEST, code, msg);
    let device_code = match crate::oauth::str_field(shape, obj, "device_code") {
        Ok(d) => d.to_string(),
        Err(r) => return r,
    };
    let mut st = app.store();
    st.stats_mut(client_id).device_code += 1;
    let Some(client) = st.clients.get(client_id) else {
        drop(st);
        return http::oauth_error_shaped(
            shape,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            &format!("unknown client_id: {client_id}"),
        );
    };
    let ttl = client.access_ttl.unwrap_or(app.config.token_ttl);
    let now = now_ms();
    let Some(rec) = st.devices.get_mut(&device_code) else {
        return bad("invalid_grant", "invalid grant: the device code is invalid");
    };
    if rec.client_id != client_id {
        return bad("invalid_grant", "invalid grant: the device code was issued to another client");
    }
    if rec.redeemed {
        return bad("invalid_grant", "invalid grant: the device code has already been used");
    }
    if now >= rec.expires_ms {
        return bad("expired_token", "The device code has expired. Start the device authorization again.");
    }
    let too_soon = rec.last_poll_ms.is_some_and(|last| now < last + rec.interval_s * 1000);
    rec.last_poll_ms = Some(now);
    if too_soon {
        rec.interval_s += SLOW_DOWN_STEP;
        let msg = format!("Polling too fast: wait at least {} seconds between requests.", rec.interval_s);
        return bad("slow_down", &msg);
    }
    match rec.decision {
        None => bad("authorization_pending", "The user has not yet entered the code and authorized the device."),
        Some(false) => bad("access_denied", "The user denied the authorization request."),
        Some(true) => {
            rec.redeemed = true;
            let family = st.new_family();
            let tokens = st.issue_tokens(client_id, family, ttl);
            drop(st);
            crate::oauth::token_reply(tokens)
        }
    }
}

/// Record the user's decision for a user code. `Err` when unknown, expired or already decided.
pub fn decide(app: &App, user_code: &str, allow: bool) -> Result<(), String> {
    let code = normalize_user_code(user_code).ok_or("That is not a valid code (8 letters, e.g. BCDF-GHJK).")?;
    let mut st = app.store();
    let device = st.user_codes.get(&code).cloned().ok_or("Unknown code. Check it and try again.")?;
    let rec = st.devices.get_mut(&device).ok_or("Unknown code. Check it and try again.")?;
    if now_ms() >= rec.expires_ms {
        return Err("This code has expired. Start again on your device.".into());
    }
    if rec.decision.is_some() {
        return Err("This code has already been used.".into());
    }
    rec.decision = Some(allow);
    Ok(())
}

/// `GET /oauth/device[?user_code=]`: the code entry form, or the Allow/Deny page for a valid code.
pub fn verify_page(app: &App, req: &Req) -> Resp {
    let q = Params::parse(req.uri().query().unwrap_or("")).unwrap_or_default();
    let Some(raw) = q.get_nonempty("user_code") else {
        return http::html(StatusCode::OK, pages::device_entry("", None));
    };
    let st = app.store();
    let found = normalize_user_code(raw)
        .and_then(|c| st.user_codes.get(&c).map(|d| (c.clone(), d.clone())))
        .and_then(|(c, d)| st.devices.get(&d).map(|r| (c, r)));
    match found {
        Some((code, rec)) if rec.decision.is_none() && now_ms() < rec.expires_ms => {
            let app_name = st.clients.get(&rec.client_id).map(|c| c.name.clone()).unwrap_or(rec.client_id.clone());
            let ws = rec.workspace_id.clone();
            http::html(StatusCode::OK, pages::device_consent(&code, &app_name, &rec.client_id, ws.as_deref()))
        }
        Some(_) => http::html(
            StatusCode::BAD_REQUEST,
            pages::device_entry(raw, Some("This code has expired or was already used.")),
        ),
        None => {
            http::html(StatusCode::BAD_REQUEST, pages::device_entry(raw, Some("Unknown code. Check it and try again.")))
        }
    }
}

/// `POST /oauth/device` (form `user_code`, `decision=allow|deny`) → a result page.
pub async fn verify_submit(app: &App, req: Req) -> Resp {
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let form = std::str::from_utf8(&body).ok().and_then(|s| Params::parse(s).ok()).unwrap_or_default();
    let allow = match form.get("decision") {
        Some("allow") => true,
        Some("deny") => false,
        _ => {
            return http::html(
                StatusCode::BAD_REQUEST,
                pages::error("Invalid request", "decision must be allow or deny."),
            )
        }
    };
    let user_code = form.get("user_code").unwrap_or("");
    match decide(app, user_code, allow) {
        Ok(()) => http::html(StatusCode::OK, pages::device_done(allow)),
        Err(msg) => http::html(StatusCode::BAD_REQUEST, pages::device_entry(user_code, Some(&msg))),
    }
}

/// `POST /_emulator/device` `{user_code, decision: "allow"|"deny"}` → `{"ok":true}`: what entering
/// the code on the verification page and pressing the button does.
pub async fn admin_decide(app: &App, req: Req) -> Resp {
    let v = match crate::admin::body_json(app, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let allow = match v.get("decision").and_then(Value::as_str) {
        Some("allow") => true,
        Some("deny") => false,
        _ => return http::admin_error("invalid_request", "decision must be \"allow\" or \"deny\""),
    };
    let Some(code) = v.get("user_code").and_then(Value::as_str) else {
        return http::admin_error("invalid_request", "user_code is required");
    };
    match decide(app, code, allow) {
        Ok(()) => http::json(StatusCode::OK, &json!({"ok": true})),
        Err(m) => http::admin_error("invalid_request", &m),
    }
}
