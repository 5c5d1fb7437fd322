//! Request dispatch, API authentication, CORS and per-request logging.

use std::convert::Infallible;
use std::sync::Arc;

use hyper::header::{HeaderValue, VARY};
use hyper::{Method, Response, StatusCode};

use crate::http::{self, header, Body, Req, Resp};
use crate::{admin, api, chat, oauth, pages, App};

/// CORS applies to the API routes, the token route and the admin routes — not to the www pages.
pub fn is_cors_path(path: &str) -> bool {
    path.starts_with("/v1/") || path.starts_with("/v3/") || path.starts_with("/_emulator/") || path == oauth::TOKEN_PATH
}

pub async fn handle(app: Arc<App>, req: Req) -> Result<Resp, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let origin = header(&req, "origin").map(str::to_string);
    let cors = is_cors_path(&path);
    let mut resp = if method == Method::OPTIONS && cors { preflight() } else { route(&app, req, &path, &method).await };
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

fn preflight() -> Resp {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    let h = r.headers_mut();
    h.insert("access-control-allow-methods", HeaderValue::from_static("GET, POST, OPTIONS"));
    h.insert(
        "access-control-allow-headers",
        HeaderValue::from_static("authorization, content-type, x-coze-client-user-agent"),
    );
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    r
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
    match path {
        "/" | "/index.html" if get => http::html(StatusCode::OK, pages::index(&app.base_url)),
        "/oauth/consent" if get => oauth::consent_page(app, &req),
        "/oauth/consent" if post => oauth::consent_submit(app, req).await,
        oauth::TOKEN_PATH if post => oauth::token(app, req).await,
        "/_emulator/health" if get => admin::health(),
        "/_emulator/streams" if get => admin::streams(app),
        "/_emulator/stats" if get => admin::stats(app, &req),
        "/_emulator/bots" if post => admin::create_bot(app, req).await,
        "/_emulator/clients" if post => admin::create_client(app, req).await,
        "/_emulator/authorize" if post => oauth::admin_authorize(app, req).await,
        "/_emulator/expire" if post => admin::expire(app, req).await,
        "/oauth/consent"
        | oauth::TOKEN_PATH
        | "/_emulator/health"
        | "/_emulator/streams"
        | "/_emulator/stats"
        | "/_emulator/bots"
        | "/_emulator/clients"
        | "/_emulator/authorize"
        | "/_emulator/expire" => method_not_allowed(),
        _ if path.starts_with("/_emulator/icon/") && get => {
            let name = path["/_emulator/icon/".len()..].trim_end_matches(".svg");
            admin::icon(name)
        }
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
        p if p.strip_prefix("/v1/bots/").is_some_and(|id| !id.is_empty() && !id.contains('/')) => {
            (Api::Bot, true, false)
        }
        _ => return None,
    })
}

/// Check `Authorization: Bearer <token>` against live access tokens and the demo PAT.
fn authenticate(app: &App, req: &Req) -> Result<(), Resp> {
    let Some(value) = header(req, "authorization") else {
        return Err(http::unauthorized("Authentication is missing: send Authorization: Bearer <token>."));
    };
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => return Err(http::unauthorized("Authentication is invalid: expected Authorization: Bearer <token>.")),
    };
    if token.is_empty() {
        return Err(http::unauthorized("Authentication is missing: the bearer token is empty."));
    }
    app.store().use_access_token(token).map_err(http::unauthorized)
}

async fn api_route(app: &Arc<App>, req: Req, path: &str, method: &Method) -> Resp {
    let Some((api, get_ok, post_ok)) = api_table(path) else {
        return http::api_error(StatusCode::NOT_FOUND, 4200, &format!("no such API: {path}"));
    };
    let allowed = (get_ok && (method == Method::GET || method == Method::HEAD)) || (post_ok && method == Method::POST);
    if !allowed {
        return http::api_error(
            StatusCode::METHOD_NOT_ALLOWED,
            4000,
            &format!("method {method} not allowed on {path}"),
        );
    }
    if let Err(r) = authenticate(app, &req) {
        return r;
    }
    match api {
        Api::Chat => chat::create(app.clone(), req).await,
        Api::ChatCancel => chat::cancel(app, req).await,
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
    }
}
