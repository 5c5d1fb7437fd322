//! TokenManager: keeps the OAuth token (memory by default), refreshes ahead of expiry, and makes
//! sure only one refresh runs at a time — in this page (a shared in-flight refresh) and across tabs
//! (a Web Lock, re-reading storage inside it). Refresh tokens rotate: two refreshes with the same
//! refresh token would log the user out.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::js;
use super::oauth::{self, token_from_js, token_to_js, token_to_json};
use super::promise;
use super::storage::{DefaultStore, Store};
use crate::core::authorize::normalize_base_url;
use crate::core::token::{needs_refresh, OAuthToken};
use crate::core::{CozeError, ErrorCode, Result};

const DEFAULT_REFRESH_AHEAD_SECONDS: i64 = 60;
/// How long a tab that refreshed keeps the "this refresh token was rotated" marker lock.
const ROTATION_MARKER_MS: f64 = 60_000.0;
/// How long a tab that finds that marker waits for the new token to reach its storage.
const ROTATION_WAIT_MS: u32 = 2_000;

type SharedResult = Rc<RefCell<Option<Result<OAuthToken>>>>;

pub struct ManagerInner {
    client_id: String,
    base_url: String,
    store: Store,
    key: String,
    lock_name: String,
    refresh_ahead: i64,
    /// `onChange`: told (in a microtask) whenever this manager stores a token or forgets it.
    on_change: Option<js_sys::Function>,
    /// The refresh in flight in this page: its promise (resolves when done) and its result.
    inflight: RefCell<Option<(Promise, SharedResult)>>,
}

/// Holds and refreshes OAuth tokens. `new TokenManager({clientId, baseURL?, storage?, storageKey?,
/// refreshAheadSeconds?, onChange?})`.
#[wasm_bindgen]
pub struct TokenManager {
    inner: Rc<ManagerInner>,
}

impl TokenManager {
    pub fn handle(&self) -> Rc<ManagerInner> {
        self.inner.clone()
    }
}

#[wasm_bindgen]
impl TokenManager {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TokenManager, JsValue> {
        let opts = super::Options::new("new TokenManager", &options)?;
        let client_id = opts.string("clientId")?;
        let base_url = normalize_base_url(opts.opt_string("baseURL")?.as_deref().unwrap_or(crate::COZE_COM_BASE_URL))?;
        let store = Store::from_option(&opts.get("storage")?, DefaultStore::Memory)?;
        let refresh_ahead = opts.opt_number("refreshAheadSeconds")?.map_or(DEFAULT_REFRESH_AHEAD_SECONDS, |s| s as i64);
        let key = opts.opt_nonempty("storageKey")?.unwrap_or_else(|| format!("coze-wasm:token:{client_id}"));
        let on_change = match opts.get("onChange")? {
            f if f.is_undefined() || f.is_null() => None,
            f if f.is_function() => Some(f.unchecked_into::<js_sys::Function>()),
            _ => return Err(opts.invalid("onChange", "must be a function").into()),
        };
        Ok(TokenManager {
            inner: Rc::new(ManagerInner {
                lock_name: format!("coze-wasm:refresh:{key}"),
                key,
                client_id,
                base_url,
                store,
                refresh_ahead,
                on_change,
                inflight: RefCell::new(None),
            }),
        })
    }

    /// Stores a token (e.g. from `completeLogin` or `getPKCEOAuthToken`).
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&self, token: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let token = token_from_js(&token)?;
            inner.save(&token).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The stored token, or `null`.
    #[wasm_bindgen(js_name = getToken)]
    pub fn get_token(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move { Ok(inner.load().await?.as_ref().map_or(JsValue::NULL, token_to_js)) })
    }

    /// A usable access token, refreshed first when it expires within `refreshAheadSeconds`.
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move { Ok(JsValue::from_str(&inner.access_token().await?)) })
    }

    /// Refreshes now (single-flight; joins a refresh already running here or in another tab).
    /// With `rejectedAccessToken` (what an API just refused), a token that has already replaced it
    /// is returned without another refresh — so N callers hitting 401 cause one refresh.
    pub fn refresh(&self, rejected_access_token: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let rejected = if rejected_access_token.is_undefined() || rejected_access_token.is_null() {
                None
            } else {
                match js::text(&rejected_access_token) {
                    Ok(Some(s)) => Some(s),
                    _ => {
                        return Err(CozeError::invalid_argument(
                            "refresh: `rejectedAccessToken` must be the access token (a string) an API refused",
                        ))
                    }
                }
            };
            let current = inner.load().await?.ok_or_else(not_logged_in)?;
            if let Some(rejected) = rejected {
                if current.access_token != rejected {
                    return Ok(token_to_js(&current));
                }
            }
            let token = inner.refresh_single_flight(current.refresh_token).await?;
            Ok(token_to_js(&token))
        })
    }

    /// Forgets the token (logout).
    pub fn clear(&self) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            inner.forget().await?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

fn not_logged_in() -> CozeError {
    CozeError::new(ErrorCode::NotLoggedIn, "no token: log in first (or the last refresh failed and cleared it)")
}

impl ManagerInner {
    pub async fn load(&self) -> Result<Option<OAuthToken>> {
        let stored = self.store.get(&self.key).await?;
        Ok(stored.and_then(|text| oauth::token_from_json(&text)))
    }

    async fn save(&self, token: &OAuthToken) -> Result<()> {
        self.store.set(&self.key, &token_to_json(token)).await?;
        self.changed(token_to_js(token));
        Ok(())
    }

    async fn forget(&self) -> Result<()> {
        self.store.remove(&self.key).await?;
        self.changed(JsValue::NULL);
        Ok(())
    }

    fn changed(&self, token: JsValue) {
        if let Some(listener) = &self.on_change {
            js::notify(listener, &token);
        }
    }

    pub async fn access_token(self: &Rc<Self>) -> Result<String> {
        let token = self.load().await?.ok_or_else(not_logged_in)?;
        if needs_refresh(token.expires_in, js::now_unix(), self.refresh_ahead) {
            return Ok(self.refresh_single_flight(token.refresh_token).await?.access_token);
        }
        Ok(token.access_token)
    }

    /// Joins the refresh in flight, or starts one. `seen_refresh_token` is the token the caller
    /// decided to refresh from; if storage holds a newer one by the time we hold the lock, another
    /// tab already refreshed and we use its result.
    async fn refresh_single_flight(self: &Rc<Self>, seen_refresh_token: String) -> Result<OAuthToken> {
        let existing = self.inflight.borrow().clone();
        let (promise, result) = match existing {
            Some(flight) => flight,
            None => {
                let result: SharedResult = Rc::default();
                let (me, slot) = (self.clone(), result.clone());
                // The Web Lock's callback does the refresh; the lock's promise is this page's
                // in-flight refresh, which every caller here joins.
                let task = Closure::once_into_js(move || {
                    promise(async move {
                        *slot.borrow_mut() = Some(me.refresh_now(&seen_refresh_token).await);
                        *me.inflight.borrow_mut() = None;
                        Ok(JsValue::UNDEFINED)
                    })
                });
                let promise = Promise::resolve(&js::with_lock(&self.lock_name, task.unchecked_ref()));
                *self.inflight.borrow_mut() = Some((promise.clone(), result.clone()));
                (promise, result)
            }
        };
        let _ = JsFuture::from(promise).await;
        let outcome = result.borrow().clone();
        outcome.unwrap_or_else(|| {
            // The lock was refused before our callback ran: let the next caller try again.
            *self.inflight.borrow_mut() = None;
            Err(CozeError::new(ErrorCode::OAuthTokenError, "the refresh lock was not granted"))
        })
    }

    async fn refresh_now(&self, seen_refresh_token: &str) -> Result<OAuthToken> {
        let current = self.load().await?.ok_or_else(not_logged_in)?;
        if current.refresh_token != seen_refresh_token {
            // Refreshed (in this page or another tab) since the caller looked: that token is as
            // fresh as a refresh now would make it, even when the TTL is below refreshAheadSeconds.
            return Ok(current);
        }
        // Another tab may have rotated this refresh token and released the lock before its write
        // reached our copy of the storage: localStorage propagates between tabs asynchronously,
        // unordered with Web Locks. Its rotation marker (a Web Lock, so ordered with ours) says so;
        // then never send the spent token (the server would revoke the login), wait for the new one.
        let marker = format!("{}:rotated:{}", self.lock_name, fingerprint(&current.refresh_token));
        if JsFuture::from(js::lock_held(&marker)).await.is_ok_and(|held| held.is_truthy()) {
            return self.replacement_of(&current.refresh_token).await;
        }
        match oauth::refresh(&self.base_url, &self.client_id, &current.refresh_token, None, None).await {
            Ok(token) => {
                self.save(&token).await?;
                // Granted before our refresh lock is released, held long enough for any tab that
                // read the old token to see it.
                let _ = JsFuture::from(js::hold_lock(&marker, ROTATION_MARKER_MS)).await;
                Ok(token)
            }
            Err(err) => {
                // The server refused the refresh token: it is dead (rotated, revoked, expired).
                // Network trouble leaves the stored token alone.
                if matches!(err.code, ErrorCode::OAuthTokenError | ErrorCode::CozeApiError) {
                    let _ = self.forget().await;
                }
                Err(err)
            }
        }
    }

    /// Another tab rotated `spent`: wait until its replacement shows in our storage.
    async fn replacement_of(&self, spent: &str) -> Result<OAuthToken> {
        for _ in 0..ROTATION_WAIT_MS / 20 {
            match self.load().await? {
                Some(token) if token.refresh_token != spent => return Ok(token),
                Some(_) => {
                    let _ = JsFuture::from(js::sleep(20.0, None)).await;
                }
                None => return Err(not_logged_in()), // the other tab's refresh was refused
            }
        }
        // E.g. a sessionStorage copied into a new tab: the new token lives in the other tab only.
        let _ = self.forget().await;
        Err(CozeError::new(
            ErrorCode::OAuthTokenError,
            "the refresh token was already used by another tab and its replacement is not in this tab's storage",
        ))
    }
}

/// A short, non-secret name for a refresh token (lock names are visible to the whole origin).
fn fingerprint(refresh_token: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
    use sha2::{Digest as _, Sha256};
    URL_SAFE_NO_PAD.encode(&Sha256::digest(refresh_token.as_bytes())[..12])
}
