//! Web ("confidential") OAuth apps: the authorization code flow with a client secret
//! (coze-api.md §1.8). The authorize URL carries no PKCE parameters; the code exchange and every
//! refresh must bring `Authorization: Bearer <client_secret>`.
//!
//! Refusals, in Coze's OAuth error shape (the client's `oauth_error_shape`):
//! * no secret → HTTP 400 `invalid_request` "invalid request: client_secret" (the message Coze sends,
//!   coze-js #212: also what a PKCE call against a web app gets);
//! * a wrong secret → HTTP 401 `invalid_client`.

use hyper::StatusCode;

use crate::http::{self, OAuthShape, Req, Resp};
use crate::store::Client;
use crate::util::{ct_eq, random_token};

/// The secret the emulator hands out when a web app is registered (`client_type: "web"`).
pub fn new_secret() -> String {
    format!("cs_{}", random_token(32))
}

/// The `Bearer` value of the request's Authorization header (`None` when absent or empty).
pub fn bearer_of(req: &Req) -> Option<String> {
    let value = req.headers().get(hyper::header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// For a web app: the request must carry its secret. Other apps (PKCE, device) ignore the header.
pub fn check_secret(client: &Client, shape: OAuthShape, bearer: Option<&str>) -> Result<(), Resp> {
    let Some(secret) = &client.client_secret else { return Ok(()) };
    match bearer {
        None => Err(http::oauth_error_shaped(
            shape,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "invalid request: client_secret",
        )),
        Some(given) if ct_eq(given, secret) => Ok(()),
        Some(_) => Err(http::oauth_error_shaped(
            shape,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "invalid client: the client_secret does not match this app",
        )),
    }
}
