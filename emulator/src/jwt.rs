//! JWT (service) apps (coze-api.md §1.8): `POST /api/permission/oauth2/token` (or
//! `/api/permission/oauth2/account/{id}/token`) with `Authorization: Bearer <RS256 JWT>` and
//! `{grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", duration_seconds?, scope?}` →
//! `{access_token, expires_in}` (no refresh token). Each refusal is an OAuth error with HTTP 401
//! and its own description, so a client can tell the causes apart.

use std::collections::HashMap;

use base64::Engine as _;
use hyper::header::{HeaderValue, CACHE_CONTROL, DATE};
use hyper::StatusCode;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde_json::{json, Map, Value};

use crate::http::{self, OAuthShape, Resp};
use crate::util::{civil_utc, now_ms, now_secs, random_token};
use crate::App;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const MAX_DURATION_SECONDS: u64 = 86_399;
/// How far ahead of the server's clock an `iat` may be.
const IAT_LEEWAY_SECONDS: i64 = 60;
/// A path prefix that stands for a proxy which drops the `Authorization` header (what makes Coze
/// answer "invalid jwt: empty jwt token" in the wild): `<base>/_strip_authorization/api/...`.
pub const STRIP_AUTHORIZATION_PREFIX: &str = "/_strip_authorization";

/// A registered JWT app: its public keys by key id, and its switches.
pub struct JwtApp {
    pub name: String,
    pub keys: HashMap<String, RsaPublicKey>,
    /// Seconds added to this emulator's clock when it checks this app's JWTs (and in the `Date`
    /// header of the reply): a negative value plays a server clock behind the client's.
    pub clock_offset: i64,
    pub tokens_issued: u64,
    pub refusals: u64,
}

/// `Some(account_id)` for `/api/permission/oauth2/account/{id}/token`; `Some(None)` for the plain
/// token path is matched by the OAuth router, not here.
pub fn match_account_token_path(path: &str) -> Option<String> {
    let id = path.strip_prefix("/api/permission/oauth2/account/")?.strip_suffix("/token")?;
    (!id.is_empty() && !id.contains('/')).then(|| id.to_string())
}

/// An RSA public key from PEM: SPKI (`BEGIN PUBLIC KEY`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`).
pub fn parse_public_key(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem.trim()))
        .map_err(|_| "public_key must be an RSA public key in PEM (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)".into())
}

/// An IMF-fixdate for the `Date` header.
fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = secs.max(0) as u64;
    let (y, mo, d, h, mi, s) = civil_utc(secs);
    let weekday = DAYS[((secs / 86_400) % 7) as usize];
    format!("{weekday}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} GMT", MONTHS[mo as usize - 1])
}

fn refuse(code: &str, description: &str) -> Resp {
    http::oauth_error_shaped(OAuthShape::Both, StatusCode::UNAUTHORIZED, code, description)
}

fn decode_part(part: &str) -> Option<Map<String, Value>> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(o) => Some(o),
        _ => None,
    }
}

/// The JWT grant. `authorization` is the request's header (absent when a proxy dropped it),
/// `host` its `Host` (the `aud` a JWT for this server must carry).
pub fn token(app: &App, authorization: Option<&str>, host: &str, body: &Map<String, Value>) -> Resp {
    let (mut resp, server_now) = check_and_issue(app, authorization, host, body);
    let h = resp.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&http_date(server_now)) {
        h.insert(DATE, v);
    }
    resp
}

fn check_and_issue(app: &App, authorization: Option<&str>, host: &str, body: &Map<String, Value>) -> (Resp, i64) {
    let real_now = now_secs() as i64;
    let jwt = authorization
        .and_then(|v| v.split_once(' ').filter(|(s, _)| s.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim()))
        .unwrap_or("");
    if jwt.is_empty() {
        return (refuse("invalid_request", "invalid jwt: empty jwt token"), real_now);
    }
    let parts: Vec<&str> = jwt.split('.').collect();
    let (header, claims) = match parts[..] {
        [h, c, _] => match (decode_part(h), decode_part(c)) {
            (Some(h), Some(c)) => (h, c),
            _ => return (refuse("invalid_request", "invalid jwt: malformed header or claims"), real_now),
        },
        _ => return (refuse("invalid_request", "invalid jwt: not three base64url parts"), real_now),
    };
    let text = |o: &Map<String, Value>, k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let iss = text(&claims, "iss");
    let mut st = app.store();
    let Some(japp) = st.jwt_apps.get_mut(&iss) else {
        let is_other_client = st.clients.contains_key(&iss);
        return if is_other_client {
            (refuse("access_deny", "access deny: invalid app type, this app is not a JWT (service) app"), real_now)
        } else {
            (refuse("invalid_client", &format!("invalid client: app not found: {iss:?}")), real_now)
        };
    };
    let server_now = real_now + japp.clock_offset;
    let mut fail = |code: &str, description: &str| {
        japp.refusals += 1;
        (refuse(code, description), server_now)
    };
    if text(&header, "alg") != "RS256" {
        return fail("invalid_request", "invalid jwt: alg must be RS256");
    }
    let kid = text(&header, "kid");
    let Some(key) = japp.keys.get(&kid) else {
        return fail("invalid_client", &format!("invalid client: key id {kid:?} does not belong to this app"));
    };
    let signed = &jwt[..parts[0].len() + 1 + parts[1].len()];
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[2])
        .ok()
        .and_then(|s| Signature::try_from(s.as_slice()).ok());
    let verified =
        signature.is_some_and(|s| VerifyingKey::<Sha256>::new(key.clone()).verify(signed.as_bytes(), &s).is_ok());
    if !verified {
        return fail("invalid_client", "invalid jwt: signature verification failed");
    }
    let aud = text(&claims, "aud");
    if !aud.eq_ignore_ascii_case(host) {
        return fail("invalid_request", &format!("invalid jwt: aud {aud:?} is not this API host ({host})"));
    }
    let (Some(iat), Some(exp)) = (claims.get("iat").and_then(Value::as_i64), claims.get("exp").and_then(Value::as_i64))
    else {
        return fail("invalid_request", "invalid jwt: iat and exp are required numbers");
    };
    if exp <= iat {
        return fail("invalid_request", "invalid jwt: exp must be after iat");
    }
    if iat > server_now + IAT_LEEWAY_SECONDS {
        return fail("invalid_request", "invalid jwt: iat is in the future (the token is not valid yet)");
    }
    if server_now >= exp {
        return fail("invalid_request", "invalid jwt: the jwt has expired");
    }
    let jti = text(&claims, "jti");
    if jti.is_empty() {
        return fail("invalid_request", "invalid jwt: jti is required");
    }
    let duration = match body.get("duration_seconds") {
        None | Some(Value::Null) => Some(900),
        Some(v) => v.as_u64().filter(|d| (1..=MAX_DURATION_SECONDS).contains(d)),
    };
    let Some(duration) = duration else {
        return fail("invalid_request", "invalid request: duration_seconds must be 1 to 86399");
    };
    let jti_key = format!("{iss}\n{jti}");
    if st.jwt_ids_seen.contains_key(&jti_key) {
        if let Some(a) = st.jwt_apps.get_mut(&iss) {
            a.refusals += 1;
        }
        return (refuse("invalid_request", "invalid jwt: jti already used (replayed jwt)"), server_now);
    }
    // Remembered until the JWT would have expired anyway.
    st.jwt_ids_seen.retain(|_, until| *until > real_now);
    st.jwt_ids_seen.insert(jti_key, exp - (server_now - real_now));
    if let Some(a) = st.jwt_apps.get_mut(&iss) {
        a.tokens_issued += 1;
    }
    let family = st.new_family();
    let access_token = format!("czs_{}", random_token(32));
    let expires_ms = now_ms() + duration * 1000;
    st.access.insert(access_token.clone(), crate::store::AccessRec { client_id: iss, family, expires_ms });
    let reply =
        json!({"access_token": access_token, "expires_in": server_now + duration as i64, "token_type": "Bearer"});
    (http::json(StatusCode::OK, &reply), server_now)
}

/// `POST /_emulator/jwt_apps` `{public_key, key_id?, name?, clock_offset_seconds?}` →
/// `{app_id, key_id}`.
pub fn register(app: &App, v: &Value) -> Resp {
    let Some(pem) = v.get("public_key").and_then(Value::as_str) else {
        return http::admin_error("invalid_request", "public_key (PEM) is required");
    };
    let key = match parse_public_key(pem) {
        Ok(k) => k,
        Err(m) => return http::admin_error("invalid_request", &m),
    };
    let key_id = v.get("key_id").and_then(Value::as_str).map_or_else(|| random_token(12), str::to_string);
    let offset = v.get("clock_offset_seconds").and_then(Value::as_i64).unwrap_or(0);
    let name = v.get("name").and_then(Value::as_str).unwrap_or("JWT App").chars().take(256).collect();
    let app_id = crate::util::new_id();
    let mut st = app.store();
    if st.jwt_apps.len() >= app.config.limits.max_clients {
        return http::admin_error_status(StatusCode::TOO_MANY_REQUESTS, "too_many_clients", "too many JWT apps");
    }
    let keys = HashMap::from([(key_id.clone(), key)]);
    st.jwt_apps.insert(app_id.clone(), JwtApp { name, keys, clock_offset: offset, tokens_issued: 0, refusals: 0 });
    http::json(StatusCode::OK, &json!({"app_id": app_id, "key_id": key_id}))
}

/// `POST /_emulator/jwt_apps/{app_id}` `{public_key?, key_id?, clock_offset_seconds?}`: adds a
/// key and/or changes the clock offset → the app's JSON.
pub fn update(app: &App, app_id: &str, v: &Value) -> Resp {
    let key = match v.get("public_key").and_then(Value::as_str).map(parse_public_key) {
        Some(Err(m)) => return http::admin_error("invalid_request", &m),
        Some(Ok(k)) => Some(k),
        None => None,
    };
    let mut st = app.store();
    let Some(a) = st.jwt_apps.get_mut(app_id) else {
        return http::admin_error_status(StatusCode::NOT_FOUND, "not_found", "no such JWT app");
    };
    if let Some(key) = key {
        let key_id = v.get("key_id").and_then(Value::as_str).map_or_else(|| random_token(12), str::to_string);
        a.keys.insert(key_id, key);
    }
    if let Some(offset) = v.get("clock_offset_seconds").and_then(Value::as_i64) {
        a.clock_offset = offset;
    }
    info_of(app_id, a)
}

fn info_of(app_id: &str, a: &JwtApp) -> Resp {
    let mut key_ids: Vec<&String> = a.keys.keys().collect();
    key_ids.sort();
    http::json(
        StatusCode::OK,
        &json!({"app_id": app_id, "name": a.name, "key_ids": key_ids, "clock_offset_seconds": a.clock_offset,
                "tokens_issued": a.tokens_issued, "refusals": a.refusals}),
    )
}

/// `GET /_emulator/jwt_apps/{app_id}`.
pub fn info(app: &App, app_id: &str) -> Resp {
    let st = app.store();
    match st.jwt_apps.get(app_id) {
        Some(a) => info_of(app_id, a),
        None => http::admin_error_status(StatusCode::NOT_FOUND, "not_found", "no such JWT app"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_paths() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(match_account_token_path("/api/permission/oauth2/account/42/token").as_deref(), Some("42"));
        assert_eq!(match_account_token_path("/api/permission/oauth2/account//token"), None);
        assert_eq!(match_account_token_path("/api/permission/oauth2/token"), None);
    }
}
