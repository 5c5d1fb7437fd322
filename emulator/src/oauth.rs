//! OAuth 2.0 authorization code + PKCE, refresh rotation with reuse detection (coze-api.md §1).
//!
//! www role: `GET …/authorize` → consent page → `POST /oauth/consent` → redirect with `code`.
//! api role: `POST /api/permission/oauth2/token` (JSON body, flat JSON reply).

use hyper::header::{HeaderValue, CACHE_CONTROL};
use hyper::StatusCode;
use serde_json::{json, Map, Value};

use crate::http::{self, read_body, OAuthShape, Req, Resp};
use crate::pages;
use crate::store::{ChallengeMethod, CodeRec, PendingAuth, TokenFault, TokenFaultKind, PENDING_TTL_MS, WORKSPACES};
use crate::util::{append_query, ct_eq, now_ms, random_hex, random_token, s256_challenge, Params};
use crate::App;

pub const AUTHORIZE_PATH: &str = "/api/permission/oauth2/authorize";
pub const TOKEN_PATH: &str = "/api/permission/oauth2/token";

/// If `path` is an authorize endpoint, `Some(workspace_id)` (`Some(None)` for the plain one).
pub fn match_authorize_path(path: &str) -> Option<Option<String>> {
    if path == AUTHORIZE_PATH {
        return Some(None);
    }
    let ws = path.strip_prefix("/api/permission/oauth2/workspace_id/")?.strip_suffix("/authorize")?;
    if ws.is_empty() || ws.contains('/') {
        return None;
    }
    Some(Some(crate::util::pct_decode(ws)?))
}

/// The result of validating an authorize request.
pub enum AuthorizeOutcome {
    /// Valid: a pending authorization was stored under this key.
    Consent(String),
    /// The client and redirect URI are trusted, but another parameter is wrong: redirect with `error=`.
    RedirectError(String),
    /// Unknown client or unregistered redirect URI: never redirect, show an error.
    Invalid { error: &'static str, description: String },
}

pub fn start_authorization(app: &App, q: &Params, workspace_id: Option<String>) -> AuthorizeOutcome {
    let invalid = |error, description: String| AuthorizeOutcome::Invalid { error, description };
    for name in ["client_id", "redirect_uri"] {
        if q.0.iter().filter(|(k, _)| k == name).count() > 1 {
            return invalid("invalid_request", format!("duplicated parameter: {name}"));
        }
    }
    let Some(client_id) = q.get_nonempty("client_id") else {
        return invalid("invalid_request", "invalid request: client_id is missing".into());
    };
    let mut st = app.store();
    let Some(client) = st.clients.get(client_id) else {
        return invalid("invalid_client", format!("unknown client_id: {client_id}"));
    };
    let Some(redirect_uri) = q.get_nonempty("redirect_uri") else {
        return invalid("invalid_request", "invalid request: redirect_uri is missing".into());
    };
    if !client.redirect_allowed(redirect_uri) {
        return invalid(
            "invalid_request",
            format!("redirect_uri is not registered for client {client_id}: {redirect_uri}"),
        );
    }
    let state = q.get("state").map(str::to_string);
    let redirect_error = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = &state {
            pairs.push(("state", s));
        }
        AuthorizeOutcome::RedirectError(append_query(redirect_uri, &pairs))
    };
    if let Some(dup) = q.duplicated() {
        return redirect_error("invalid_request", &format!("duplicated parameter: {dup}"));
    }
    match q.get("response_type") {
        Some("code") => {}
        None | Some("") => return redirect_error("invalid_request", "invalid request: response_type"),
        Some(_) => return redirect_error("unsupported_response_type", "response_type must be code"),
    }
    // A web app authenticates with its secret instead (PKCE optional); public apps need PKCE.
    let challenge = match q.get_nonempty("code_challenge") {
        Some(c) => c,
        None if client.client_secret.is_some() => "",
        None => return redirect_error("invalid_request", "invalid request: code_challenge is required (PKCE)"),
    };
    let method = match q.get("code_challenge_method") {
        None | Some("") | Some("plain") => ChallengeMethod::Plain,
        Some("S256") => ChallengeMethod::S256,
        Some(_) => return redirect_error("invalid_request", "code_challenge_method must be S256 or plain"),
    };
    let key = random_hex(16);
    let pending = PendingAuth {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state,
        challenge: challenge.to_string(),
        method,
        workspace_id,
        created_ms: now_ms(),
    };
    st.pending.insert(key.clone(), pending);
    AuthorizeOutcome::Consent(key)
}

/// Resolve a pending authorization (single use): the Location the consent page redirects to.
pub fn decide(app: &App, key: &str, allow: bool) -> Result<String, String> {
    let mut st = app.store();
    let pending = match st.pending.remove(key) {
        Some(p) if p.created_ms + PENDING_TTL_MS > now_ms() => p,
        Some(_) => return Err("This authorization request has expired. Start the login again.".into()),
        None => return Err("Unknown or already used authorization request. Start the login again.".into()),
    };
    let state = pending.state.as_deref();
    let location = if allow {
        let code = format!("code_{}", random_token(24));
        st.codes.insert(
            code.clone(),
            CodeRec {
                client_id: pending.client_id.clone(),
                redirect_uri: pending.redirect_uri.clone(),
                challenge: pending.challenge.clone(),
                method: pending.method,
                expires_ms: now_ms() + app.config.code_ttl * 1000,
                used: false,
                family: None,
            },
        );
        let mut pairs = vec![("code", code.as_str())];
        if let Some(s) = state {
            pairs.push(("state", s));
        }
        append_query(&pending.redirect_uri, &pairs)
    } else {
        let mut pairs =
            vec![("error", "access_denied"), ("error_description", "The user denied the authorization request.")];
        if let Some(s) = state {
            pairs.push(("state", s));
        }
        append_query(&pending.redirect_uri, &pairs)
    };
    Ok(location)
}

fn workspace_label(id: &str) -> String {
    match WORKSPACES.iter().find(|w| w.id == id) {
        Some(w) => format!("{} ({id})", w.name),
        None => id.to_string(),
    }
}

fn query_of(req: &Req) -> Result<Params, ()> {
    Params::parse(req.uri().query().unwrap_or(""))
}

// ---------------------------------------------------------------------------------------------
// www role

pub fn authorize(app: &App, req: &Req, workspace_id: Option<String>) -> Resp {
    let Ok(q) = query_of(req) else {
        return http::html(StatusCode::BAD_REQUEST, pages::error("Invalid request", "The query string is not valid."));
    };
    match start_authorization(app, &q, workspace_id) {
        AuthorizeOutcome::Consent(key) => http::redirect(&format!("/oauth/consent?authorize_key={key}")),
        AuthorizeOutcome::RedirectError(location) => http::redirect(&location),
        AuthorizeOutcome::Invalid { error, description } => {
            let title = if error == "invalid_client" { "Unknown application" } else { "Invalid authorization request" };
            http::html(StatusCode::BAD_REQUEST, pages::error(title, &description))
        }
    }
}

pub fn consent_page(app: &App, req: &Req) -> Resp {
    let key = query_of(req).ok().and_then(|q| q.get_nonempty("authorize_key").map(str::to_string));
    let st = app.store();
    let pending = key.as_deref().and_then(|k| st.pending.get(k)).filter(|p| p.created_ms + PENDING_TTL_MS > now_ms());
    let (Some(key), Some(p)) = (key.as_deref(), pending) else {
        return http::html(
            StatusCode::BAD_REQUEST,
            pages::error("Authorization request not found", "Unknown, expired or already used authorize_key."),
        );
    };
    let app_name = st.clients.get(&p.client_id).map(|c| c.name.clone()).unwrap_or_else(|| p.client_id.clone());
    http::html(
        StatusCode::OK,
        pages::consent(&pages::ConsentInfo {
            authorize_key: key,
            app_name: &app_name,
            client_id: &p.client_id,
            redirect_uri: &p.redirect_uri,
            workspace: p.workspace_id.as_deref().map(workspace_label),
        }),
    )
}

pub async fn consent_submit(app: &App, req: Req) -> Resp {
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
    let key = form.get("authorize_key").unwrap_or("");
    match decide(app, key, allow) {
        Ok(location) => http::redirect(&location),
        Err(msg) => http::html(StatusCode::BAD_REQUEST, pages::error("Authorization request not found", &msg)),
    }
}

// ---------------------------------------------------------------------------------------------
// api role: token endpoint

fn bad(shape: OAuthShape, code: &str, description: &str) -> Resp {
    http::oauth_error_shaped(shape, StatusCode::BAD_REQUEST, code, description)
}

pub(crate) fn str_field<'a>(shape: OAuthShape, obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, Resp> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(bad(shape, "invalid_request", &format!("invalid request: {name}"))),
    }
}

pub async fn token(app: &App, req: Req) -> Resp {
    // Any Authorization header (absent, `Bearer `, `Bearer <anything>`) is accepted: the demo and
    // registered clients are public PKCE clients without a secret.
    let both = OAuthShape::Both;
    // The JWT grant needs the header (the signed JWT) and the Host (its `aud`).
    let authorization = http::header(&req, "authorization").map(str::to_string);
    let host = http::header(&req, "host").unwrap_or("").to_ascii_lowercase();
    if !http::is_json_content_type(&req) {
        return bad(both, "invalid_request", "invalid request: Content-Type must be application/json");
    }
    let bearer = crate::web_app::bearer_of(&req);
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let obj = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(o)) => o,
        _ => return bad(both, "invalid_request", "invalid request: the body is not a JSON object"),
    };
    let grant_type = match str_field(both, &obj, "grant_type") {
        Ok(g) => g.to_string(),
        Err(r) => return r,
    };
    if grant_type == crate::jwt::GRANT_TYPE {
        return crate::jwt::token(app, authorization.as_deref(), &host, &obj);
    }
    let client_id = match str_field(both, &obj, "client_id") {
        Ok(c) => c.to_string(),
        Err(r) => return r,
    };
    let (shape, fault) = client_switches(app, &client_id, &grant_type);
    let mut resp = if let Some(fault) = fault {
        injected_fault(shape, &fault)
    } else {
        match grant_type.as_str() {
            "authorization_code" => exchange_code(app, shape, &client_id, &obj, bearer.as_deref()),
            "refresh_token" => refresh(app, shape, &client_id, &obj, bearer.as_deref()),
            crate::device::GRANT_TYPE => crate::device::poll(app, shape, &client_id, &obj),
            other => {
                if !app.store().clients.contains_key(&client_id) {
                    invalid_client(shape, &client_id)
                } else {
                    bad(shape, "unsupported_grant_type", &format!("not supported grant type: {other}"))
                }
            }
        }
    };
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn invalid_client(shape: OAuthShape, client_id: &str) -> Resp {
    http::oauth_error_shaped(
        shape,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        &format!("unknown client_id: {client_id}"),
    )
}

/// The client's OAuth error shape, and the token fault to inject for this request (if any; its
/// `times` budget is spent here, and the request is counted in the client's stats).
fn client_switches(app: &App, client_id: &str, grant_type: &str) -> (OAuthShape, Option<TokenFault>) {
    let mut st = app.store();
    let Some(c) = st.clients.get_mut(client_id) else { return (OAuthShape::Both, None) };
    let shape = c.settings.oauth_error_shape;
    let fault = c.settings.token_fault.as_mut().filter(|f| f.applies_to(grant_type)).map(|f| {
        if let Some(n) = f.remaining.as_mut() {
            *n -= 1;
        }
        f.clone()
    });
    if let Some(f) = &fault {
        let stats = st.stats_mut(client_id);
        stats.token_faults += 1;
        match grant_type {
            "authorization_code" => stats.authorization_code += 1,
            crate::device::GRANT_TYPE => stats.device_code += 1,
            "refresh_token" => {
                stats.refresh_token += 1;
                if f.kind == TokenFaultKind::Refuse {
                    stats.refresh_failures += 1;
                }
            }
            _ => {}
        }
    }
    (shape, fault)
}

/// The token endpoint's injected answer: 429 + Coze envelope, 503 + HTML, or an OAuth refusal.
fn injected_fault(shape: OAuthShape, fault: &TokenFault) -> Resp {
    match fault.kind {
        TokenFaultKind::Http429 => {
            let mut r = http::api_error(
                StatusCode::TOO_MANY_REQUESTS,
                4013,
                "Your request rate is too high. Please reduce the request frequency. (emulated token_fault http_429)",
            );
            r.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
            r
        }
        TokenFaultKind::Http503Html => http::html(StatusCode::SERVICE_UNAVAILABLE, pages::service_unavailable()),
        TokenFaultKind::Refuse => {
            bad(shape, &fault.code, &format!("{}: the request was refused (emulated token_fault refuse)", fault.code))
        }
    }
}

pub(crate) fn token_reply(t: crate::store::IssuedTokens) -> Resp {
    http::json(
        StatusCode::OK,
        &json!({
            "access_token": t.access_token,
            "expires_in": t.expires_in,
            "refresh_token": t.refresh_token,
            "token_type": "Bearer",
        }),
    )
}

fn exchange_code(
    app: &App,
    shape: OAuthShape,
    client_id: &str,
    obj: &Map<String, Value>,
    bearer: Option<&str>,
) -> Resp {
    let mut st = app.store();
    st.stats_mut(client_id).authorization_code += 1;
    let Some(client) = st.clients.get(client_id) else { return invalid_client(shape, client_id) };
    let ttl = client.access_ttl.unwrap_or(app.config.token_ttl);
    if let Err(refused) = crate::web_app::check_secret(client, shape, bearer) {
        return refused;
    }
    // A web app's code needs no verifier unless its authorize request had a challenge.
    let web_without_pkce = client.client_secret.is_some()
        && obj
            .get("code")
            .and_then(Value::as_str)
            .and_then(|c| st.codes.get(c))
            .is_some_and(|r| r.challenge.is_empty());
    let verifier_field = if web_without_pkce { Ok("") } else { str_field(shape, obj, "code_verifier") };
    let (code, redirect_uri, verifier) =
        match (str_field(shape, obj, "code"), str_field(shape, obj, "redirect_uri"), verifier_field) {
            (Ok(c), Ok(r), Ok(v)) => (c, r, v),
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
        };
    let Some(rec) = st.codes.get(code) else {
        return bad(shape, "invalid_grant", "invalid grant: the authorization code is invalid");
    };
    let (used, family, expires_ms) = (rec.used, rec.family, rec.expires_ms);
    let (rec_client, rec_redirect) = (rec.client_id.clone(), rec.redirect_uri.clone());
    let (method, challenge) = (rec.method, rec.challenge.clone());
    if used {
        // RFC 6749 §4.1.2: a replayed code revokes what was issued from it.
        if let Some(f) = family {
            st.revoke_family(f);
        }
        return bad(
            shape,
            "invalid_grant",
            "invalid grant: the authorization code has already been used; tokens issued from it were revoked",
        );
    }
    if now_ms() >= expires_ms {
        st.codes.remove(code);
        return bad(shape, "invalid_grant", "invalid grant: the authorization code has expired");
    }
    if rec_client != client_id {
        return bad(shape, "invalid_grant", "invalid grant: the authorization code was issued to another client");
    }
    if rec_redirect != redirect_uri {
        return bad(shape, "invalid_grant", "invalid grant: redirect_uri does not match the authorization request");
    }
    let expected = match method {
        _ if web_without_pkce => String::new(),
        ChallengeMethod::S256 => s256_challenge(verifier),
        ChallengeMethod::Plain => verifier.to_string(),
    };
    if !ct_eq(&expected, &challenge) {
        // The code stays redeemable: a client with the right verifier may still use it.
        return bad(shape, "invalid_grant", "invalid grant: code_verifier does not match code_challenge");
    }
    let family = st.new_family();
    if let Some(rec) = st.codes.get_mut(code) {
        rec.used = true;
        rec.family = Some(family);
    }
    let tokens = st.issue_tokens(client_id, family, ttl);
    drop(st);
    token_reply(tokens)
}

fn refresh(app: &App, shape: OAuthShape, client_id: &str, obj: &Map<String, Value>, bearer: Option<&str>) -> Resp {
    let mut st = app.store();
    st.stats_mut(client_id).refresh_token += 1;
    let result = (|| {
        let Some(client) = st.clients.get(client_id) else { return Err(invalid_client(shape, client_id)) };
        let ttl = client.access_ttl.unwrap_or(app.config.token_ttl);
        crate::web_app::check_secret(client, shape, bearer)?;
        let token = str_field(shape, obj, "refresh_token")?;
        let Some(rec) = st.refresh.get(token) else {
            return Err(bad(shape, "invalid_grant", "invalid grant: the refresh token is invalid"));
        };
        let (rec_client, family, rotated, expires_ms) =
            (rec.client_id.clone(), rec.family, rec.rotated, rec.expires_ms);
        let revoked = st.refresh_family_revoked(rec);
        if rec_client != client_id {
            return Err(bad(shape, "invalid_grant", "invalid grant: the refresh token was issued to another client"));
        }
        if revoked {
            return Err(bad(shape, "invalid_grant", "invalid grant: the refresh token has been revoked"));
        }
        if rotated {
            // Reuse of a rotated refresh token: assume theft, revoke the whole login.
            st.revoke_family(family);
            return Err(bad(
                shape,
                "invalid_grant",
                "invalid grant: the refresh token was already used; all tokens of this login were revoked",
            ));
        }
        if now_ms() >= expires_ms {
            return Err(bad(shape, "invalid_grant", "invalid grant: the refresh token has expired"));
        }
        if let Some(rec) = st.refresh.get_mut(token) {
            rec.rotated = true;
        }
        Ok(st.issue_tokens(client_id, family, ttl))
    })();
    match result {
        Ok(tokens) => {
            drop(st);
            token_reply(tokens)
        }
        Err(resp) => {
            st.stats_mut(client_id).refresh_failures += 1;
            resp
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Admin shortcut: POST /_emulator/authorize {url, decision}

pub async fn admin_authorize(app: &App, req: Req) -> Resp {
    let body = match http::read_admin_body(req, app.config.limits.max_admin_body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let obj = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(o)) => o,
        _ => return http::admin_error("invalid_request", "body must be a JSON object {url, decision}"),
    };
    let allow = match obj.get("decision").and_then(Value::as_str) {
        Some("allow") => true,
        Some("deny") => false,
        _ => return http::admin_error("invalid_request", "decision must be \"allow\" or \"deny\""),
    };
    let Some(url) = obj.get("url").and_then(Value::as_str) else {
        return http::admin_error("invalid_request", "url (the full authorize URL) is required");
    };
    // Accept an absolute URL (any host: the www role) or a path.
    let path_query = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => url,
    };
    let path_query = path_query.split('#').next().unwrap_or("");
    let (path, query) = path_query.split_once('?').unwrap_or((path_query, ""));
    let Some(workspace) = match_authorize_path(path) else {
        return http::admin_error("invalid_request", &format!("not an authorize URL: {path}"));
    };
    let Ok(q) = Params::parse(query) else {
        return http::admin_error("invalid_request", "the query string is not valid");
    };
    let location = match start_authorization(app, &q, workspace) {
        AuthorizeOutcome::Consent(key) => match decide(app, &key, allow) {
            Ok(l) => l,
            Err(msg) => return http::admin_error("invalid_request", &msg),
        },
        AuthorizeOutcome::RedirectError(l) => l,
        AuthorizeOutcome::Invalid { error, description } => return http::admin_error(error, &description),
    };
    http::json(StatusCode::OK, &json!({ "location": location }))
}
