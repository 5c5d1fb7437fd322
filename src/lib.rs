//! coze-wasm: Coze OAuth PKCE login and streamed bot chat for the browser.
//!
//! `core` is pure Rust (tested natively); `web` and the `#[wasm_bindgen]` facade below only build
//! for wasm32. The facade takes `JsValue`s and checks them itself, so a wrong type is a `CozeError`
//! with code `INVALID_ARGUMENT`, never a bare TypeError from the glue.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

/// Coze's China-region API host.
pub const COZE_CN_BASE_URL: &str = "https://api.coze.cn";
/// Coze's global API host (every official SDK's default).
pub const COZE_COM_BASE_URL: &str = "https://api.coze.com";

#[cfg(target_arch = "wasm32")]
pub use facade::*;

#[cfg(target_arch = "wasm32")]
mod facade {
    use js_sys::{Array, Promise};
    use wasm_bindgen::prelude::*;

    use crate::core::authorize::{self, AuthorizeRequest};
    use crate::core::batch::{Batch, MAX_BATCHED_FIELD};
    use crate::core::{pkce, sse, CozeError, Result};
    use crate::web::js::{self, object};
    use crate::web::oauth::{self, token_to_js};
    use crate::web::{login, promise, signal_of, Options};

    pub use crate::web::client::CozeAPI;
    pub use crate::web::tokens::TokenManager;

    fn string_arg(function: &str, name: &str, value: &JsValue) -> Result<String> {
        match js::text(value) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(CozeError::invalid_argument(format!("{function}: `{name}` must be a string"))),
            Err(why) => Err(CozeError::invalid_argument(format!("{function}: `{name}` {why}"))),
        }
    }

    fn base_url_or_com(base_url: Option<&str>) -> Result<String> {
        authorize::normalize_base_url(base_url.unwrap_or(crate::COZE_COM_BASE_URL))
    }

    /// A fresh PKCE code verifier: base64url of 32 random bytes (43 characters).
    #[wasm_bindgen(js_name = generateCodeVerifier)]
    pub fn generate_code_verifier() -> Result<String, JsValue> {
        Ok(pkce::generate_code_verifier()?)
    }

    /// The S256 challenge of a verifier: unpadded base64url of its SHA-256.
    #[wasm_bindgen(js_name = calculatePKCECodeChallenge)]
    pub fn calculate_pkce_code_challenge(verifier: JsValue) -> Result<String, JsValue> {
        let verifier = string_arg("calculatePKCECodeChallenge", "verifier", &verifier)?;
        Ok(pkce::code_challenge_s256(&verifier)?)
    }

    /// A fresh OAuth state: base64url of 32 random bytes.
    #[wasm_bindgen(js_name = generateState)]
    pub fn generate_state() -> Result<String, JsValue> {
        Ok(pkce::generate_state()?)
    }

    /// `{clientId, redirectUrl, baseURL?, state?, workspaceId?, wwwURL?}` →
    /// `Promise<{url, codeVerifier, state}>`. Always S256; a state is generated when not given.
    #[wasm_bindgen(js_name = getPKCEAuthenticationUrl)]
    pub fn get_pkce_authentication_url(params: JsValue) -> Promise {
        promise(async move {
            let o = Options::new("getPKCEAuthenticationUrl", &params)?;
            let (client_id, redirect_url) = (o.string("clientId")?, o.string("redirectUrl")?);
            pkce::check_challenge_method(o.opt_string("code_challenge_method")?.as_deref())?;
            let base_url = base_url_or_com(o.opt_string("baseURL")?.as_deref())?;
            let workspace_id = o.opt_string("workspaceId")?;
            let www = match &o.opt_string("wwwURL")? {
                Some(w) => authorize::normalize_base_url(w)?,
                None => authorize::www_base_url(&base_url)?,
            };
            let state = match o.opt_string("state")? {
                Some(s) if !s.is_empty() => s,
                _ => pkce::generate_state()?,
            };
            let verifier = pkce::generate_code_verifier()?;
            let challenge = pkce::code_challenge_s256(&verifier)?;
            let url = authorize::authorize_url(&AuthorizeRequest {
                www_base_url: &www,
                client_id: &client_id,
                redirect_uri: &redirect_url,
                state: &state,
                code_challenge: &challenge,
                workspace_id: workspace_id.as_deref().filter(|w| !w.is_empty()),
            })?;
            Ok(object(&[("url", url.into()), ("codeVerifier", verifier.into()), ("state", state.into())]))
        })
    }

    /// `{code, clientId, redirectUrl, codeVerifier, baseURL?}, {signal?}` → `Promise<OAuthToken>`.
    #[wasm_bindgen(js_name = getPKCEOAuthToken)]
    pub fn get_pkce_oauth_token(params: JsValue, options: JsValue) -> Promise {
        promise(async move {
            let o = Options::new("getPKCEOAuthToken", &params)?;
            let signal = signal_of(&options)?;
            let base_url = base_url_or_com(o.opt_string("baseURL")?.as_deref())?;
            let (code, client_id) = (o.string("code")?, o.string("clientId")?);
            let (redirect_url, verifier) = (o.string("redirectUrl")?, o.string("codeVerifier")?);
            // Caught here rather than sent: the server would only say "invalid grant".
            authorize::validate_redirect_uri(&redirect_url)?;
            pkce::validate_code_verifier(&verifier)?;
            let token =
                oauth::exchange_code(&base_url, &code, &client_id, &redirect_url, &verifier, signal.as_ref()).await?;
            Ok(token_to_js(&token))
        })
    }

    /// `{refreshToken, clientId, baseURL?, clientSecret?}, {signal?}` → `Promise<OAuthToken>`.
    /// The refresh token rotates: store the new one (TokenManager does).
    #[wasm_bindgen(js_name = refreshOAuthToken)]
    pub fn refresh_oauth_token(params: JsValue, options: JsValue) -> Promise {
        promise(async move {
            let o = Options::new("refreshOAuthToken", &params)?;
            let signal = signal_of(&options)?;
            let base_url = base_url_or_com(o.opt_string("baseURL")?.as_deref())?;
            let (refresh_token, client_id) = (o.string("refreshToken")?, o.string("clientId")?);
            let secret = o.opt_string("clientSecret")?.filter(|s| !s.is_empty());
            if secret.is_some() && js::is_browser() {
                return Err(CozeError::invalid_argument(
                    "refreshOAuthToken: a client secret in a browser is readable by anyone using the page; \
                     PKCE apps have none (keep a web app's secret on your server)",
                ));
            }
            let token =
                oauth::refresh(&base_url, &client_id, &refresh_token, secret.as_deref(), signal.as_ref()).await?;
            Ok(token_to_js(&token))
        })
    }

    /// Validates the redirect back from Coze: state first (exact match), then `error=`, then the
    /// code; repeated parameters are refused. → `{code, state}`.
    #[wasm_bindgen(js_name = parseAuthorizationCallback)]
    pub fn parse_authorization_callback(url: JsValue, expected_state: JsValue) -> Result<JsValue, JsValue> {
        let url = string_arg("parseAuthorizationCallback", "url", &url)?;
        let expected = string_arg("parseAuthorizationCallback", "expectedState", &expected_state)?;
        let cb = authorize::parse_callback(&url, &expected)?;
        Ok(object(&[("code", cb.code.into()), ("state", cb.state.into())]))
    }

    /// SPA login, step 1: `{clientId, redirectUrl, baseURL?, wwwURL?, workspaceId?, storage?}` →
    /// `Promise<{url, state}>`. Keeps the pending login in sessionStorage (or `storage`) keyed by
    /// state; send the user to `url`.
    #[wasm_bindgen(js_name = startLogin)]
    pub fn start_login(options: JsValue) -> Promise {
        promise(async move {
            let o = Options::new("startLogin", &options)?;
            let started = login::start(login::StartOptions::read(&o)?, &o.get("storage")?).await?;
            Ok(object(&[("url", started.url.into()), ("state", started.state.into())]))
        })
    }

    /// SPA login, step 2 (on the redirect page): `{url?, storage?, signal?, tokenManager?}` →
    /// `Promise<OAuthToken>`. Validates the callback against the pending login, deletes it, strips
    /// code/state from the address bar, exchanges the code once, and hands the token to
    /// `tokenManager` when given.
    #[wasm_bindgen(js_name = completeLogin)]
    pub fn complete_login(options: JsValue) -> Promise {
        promise(async move {
            let o = Options::optional("completeLogin", &options)?;
            let url = o.opt_string("url")?;
            let signal = o.signal()?;
            // Checked before the exchange: the code is single-use, so a bad manager found after
            // it would lose the login.
            let manager = o.get("tokenManager")?;
            let set_token = if manager.is_undefined() || manager.is_null() {
                None
            } else {
                let set = js::get(&manager, "setToken");
                if !set.is_function() {
                    return Err(CozeError::invalid_argument("completeLogin: `tokenManager` has no setToken()"));
                }
                Some(set.unchecked_into::<js_sys::Function>())
            };
            let token = login::complete(url, &o.get("storage")?, signal.as_ref()).await?;
            let token_js = token_to_js(&token);
            if let Some(set) = set_token {
                let failed =
                    |e: JsValue| CozeError::new(crate::core::ErrorCode::Storage, crate::web::http::describe(&e));
                let result = set.call1(&manager, &token_js).map_err(failed)?;
                wasm_bindgen_futures::JsFuture::from(Promise::resolve(&result)).await.map_err(failed)?;
            }
            Ok(token_js)
        })
    }

    /// The standalone WHATWG event-stream parser over bytes.
    #[wasm_bindgen]
    pub struct SseParser {
        inner: sse::SseParser,
        chunk: Vec<u8>,
        batch: Batch,
    }

    #[wasm_bindgen]
    impl SseParser {
        /// `new SseParser({maxEventSize?})` — maxEventSize in bytes (default 16 MiB).
        #[wasm_bindgen(constructor)]
        pub fn new(options: JsValue) -> Result<SseParser, JsValue> {
            let inner = match Options::optional("new SseParser", &options)?.opt_number("maxEventSize")? {
                None => sse::SseParser::new(),
                Some(n) if n >= 1.0 && n.fract() == 0.0 => sse::SseParser::with_max_event_size(n as usize),
                Some(_) => {
                    return Err(
                        CozeError::invalid_argument("new SseParser: `maxEventSize` must be a whole number ≥ 1").into()
                    )
                }
            };
            Ok(SseParser { inner, chunk: Vec::new(), batch: Batch::new() })
        }

        /// Parses one chunk of bytes → the `{event, data, id}` events it completed.
        pub fn feed(&mut self, bytes: JsValue) -> Result<Array, JsValue> {
            let chunk = js::copy_chunk(&bytes, &mut self.chunk).ok_or_else(|| {
                CozeError::invalid_argument("SseParser.feed: expected a Uint8Array (a real one, not detached)")
            })?;
            let mut sink = JsEvents { batch: &mut self.batch, out: Array::new() };
            let result = self.inner.feed_into(chunk, &mut sink);
            let events = sink.finish();
            match result {
                Ok(()) => Ok(events),
                // The oversized event is dropped and the parser stays usable; the error carries
                // the other events this chunk completed, so none are lost.
                Err(err) => {
                    let err = JsValue::from(err);
                    let _ = js_sys::Reflect::set(&err, &"events".into(), &events);
                    Err(err)
                }
            }
        }

        /// End of stream → what it still yields (an incomplete trailing event is discarded).
        pub fn finish(&mut self) -> Array {
            // Per spec an event without its blank line is discarded at EOF: nothing is left to yield.
            self.inner.finish();
            Array::new()
        }

        #[wasm_bindgen(getter = lastEventId)]
        pub fn last_event_id(&self) -> String {
            self.inner.last_event_id().to_owned()
        }

        /// The last valid `retry:` value in milliseconds, if any.
        #[wasm_bindgen(getter)]
        pub fn retry(&self) -> Option<f64> {
            self.inner.retry().map(|r| r as f64)
        }
    }

    /// A chunk's events for JS: batched into one string crossing (see core::batch), except a huge
    /// one, which crosses on its own rather than being copied.
    struct JsEvents<'a> {
        batch: &'a mut Batch,
        out: Array,
    }

    impl JsEvents<'_> {
        fn flush(&mut self) {
            if !self.batch.is_empty() {
                js::sse_events(self.batch.text(), self.batch.meta(), &self.out);
                self.batch.clear();
            }
        }

        fn finish(mut self) -> Array {
            self.flush();
            self.out
        }
    }

    impl sse::EventSink for JsEvents<'_> {
        fn event(&mut self, event: &str, data: &mut String, id: &str) {
            if data.len() > MAX_BATCHED_FIELD {
                self.flush();
                self.out.push(&js::sse_event(event, data, id));
            } else {
                self.batch.field(event);
                self.batch.field(data);
                self.batch.field(id);
            }
        }
    }
}
