//! The SPA login pair. `startLogin` keeps the pending login (state, verifier, redirect, client id,
//! base URL) in sessionStorage keyed by its state; `completeLogin` finds it by the callback's state,
//! deletes it (one-time state), validates the callback, strips code/state from the address bar and
//! exchanges the code exactly once.

use wasm_bindgen::JsValue;
use web_sys::AbortSignal;

use super::js;
use super::oauth;
use super::storage::{DefaultStore, Store};
use crate::core::authorize::{self, AuthorizeRequest};
use crate::core::token::{json_string, OAuthToken};
use crate::core::{pkce, CozeError, ErrorCode, Result};

const PENDING_PREFIX: &str = "coze-wasm:pkce:";
/// A login not finished within this time is refused (Coze codes live minutes, too).
const PENDING_MAX_AGE_SECONDS: i64 = 600;

pub struct StartOptions {
    pub client_id: String,
    pub redirect_url: String,
    pub base_url: Option<String>,
    pub www_url: Option<String>,
    pub workspace_id: Option<String>,
}

impl StartOptions {
    pub fn read(opts: &super::Options) -> Result<StartOptions> {
        Ok(StartOptions {
            client_id: opts.string("clientId")?,
            redirect_url: opts.string("redirectUrl")?,
            base_url: opts.opt_string("baseURL")?,
            www_url: opts.opt_string("wwwURL")?,
            workspace_id: opts.opt_string("workspaceId")?,
        })
    }
}

pub struct Started {
    pub url: String,
    pub state: String,
}

/// Builds the authorize URL (S256, fresh verifier and state) and remembers the pending login.
pub async fn start(opts: StartOptions, storage: &JsValue) -> Result<Started> {
    let store = pending_store(storage)?;
    let base_url = authorize::normalize_base_url(opts.base_url.as_deref().unwrap_or(crate::COZE_COM_BASE_URL))?;
    let www = match &opts.www_url {
        Some(www) => authorize::normalize_base_url(www)?,
        None => authorize::www_base_url(&base_url)?,
    };
    let verifier = pkce::generate_code_verifier()?;
    let state = pkce::generate_state()?;
    let challenge = pkce::code_challenge_s256(&verifier)?;
    let url = authorize::authorize_url(&AuthorizeRequest {
        www_base_url: &www,
        client_id: &opts.client_id,
        redirect_uri: &opts.redirect_url,
        state: &state,
        code_challenge: &challenge,
        workspace_id: opts.workspace_id.as_deref().filter(|w| !w.is_empty()),
    })?;
    let pending = format!(
        "{{\"code_verifier\":{},\"redirect_uri\":{},\"client_id\":{},\"base_url\":{},\"created_at\":{}}}",
        json_string(&verifier),
        json_string(&opts.redirect_url),
        json_string(&opts.client_id),
        json_string(&base_url),
        js::now_unix()
    );
    store.set(&pending_key(&state), &pending).await?;
    Ok(Started { url, state })
}

/// sessionStorage by default. Not 'memory': a pending login must outlive the redirect.
fn pending_store(storage: &JsValue) -> Result<Store> {
    if storage.as_string().as_deref() == Some("memory") {
        return Err(CozeError::invalid_argument(
            "storage 'memory' cannot keep a pending login across the redirect; use 'session' (the default) or a storage object",
        ));
    }
    Store::from_option(storage, DefaultStore::Session)
}

fn pending_key(state: &str) -> String {
    format!("{PENDING_PREFIX}{state}")
}

/// Validates the callback in `url` (default: the current address), exchanges the code once.
pub async fn complete(url: Option<String>, storage: &JsValue, signal: Option<&AbortSignal>) -> Result<OAuthToken> {
    let store = pending_store(storage)?;
    let current = js::current_location();
    let url = match url.or_else(|| current.clone()) {
        Some(url) => url,
        None => return Err(CozeError::invalid_argument("completeLogin: pass `url` (there is no location here)")),
    };
    // Whatever happens next, code and state leave the address bar (and so the history and Referer).
    if current.as_deref() == Some(url.as_str()) {
        js::replace_location(&authorize::strip_callback_params(&url));
    }
    let state = authorize::callback_state(&url)?;
    let key = pending_key(&state);
    let pending = store.get(&key).await?;
    // One-time state: gone before anything else can fail or be retried.
    store.remove(&key).await?;
    let pending = pending.ok_or_else(|| {
        CozeError::new(
            ErrorCode::OAuthStateMissing,
            "no pending login for this callback's state: it was already used, started in another \
             tab or browser, or never started here",
        )
    })?;
    let parsed = super::http::parse_json(&pending)
        .ok_or_else(|| CozeError::new(ErrorCode::Storage, "the stored pending login is corrupt"))?;
    let field = |name: &str| js::get(&parsed, name).as_string().unwrap_or_default();
    let created_at = js::get(&parsed, "created_at").as_f64().unwrap_or(0.0) as i64;
    if js::now_unix() - created_at > PENDING_MAX_AGE_SECONDS {
        return Err(CozeError::new(ErrorCode::OAuthStateMissing, "the pending login expired; start the login again"));
    }
    let callback = authorize::parse_callback(&url, &state)?;
    oauth::exchange_code(
        &field("base_url"),
        &callback.code,
        &field("client_id"),
        &field("redirect_uri"),
        &field("code_verifier"),
        signal,
    )
    .await
}
