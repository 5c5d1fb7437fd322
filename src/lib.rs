//! coze-wasm: Coze OAuth PKCE login and streamed bot chat for the browser.
//!
//! `core` is pure Rust (tested natively). The wasm is sans-IO: the JS driver (`src/js/support.js`)
//! performs every fetch, await, body read, storage call and lock, and asks [`Core`] what to send
//! and what each reply means. The `#[wasm_bindgen]` exports below are the public JS names.

pub mod core;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::authorize::{COZE_CN_BASE_URL, COZE_COM_BASE_URL};

#[cfg(target_arch = "wasm32")]
pub use facade::*;

#[cfg(target_arch = "wasm32")]
mod facade {
    use js_sys::{Array, Promise};
    use wasm_bindgen::prelude::*;

    use crate::core::authorize::{self, AuthorizeRequest};
    use crate::core::batch::{Batch, MAX_BATCHED_FIELD};
    use crate::core::token::{json_string, needs_refresh, refresh_body};
    use crate::core::{chat, pkce, sse, CozeError, ErrorCode, Result};
    use crate::web::{endpoints, js, reply, stream::ChatStream};

    fn string_arg(name: &str, value: &JsValue) -> Result<String> {
        match js::text(value) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(CozeError::invalid_argument(format!("`{name}` must be a string"))),
            Err(why) => Err(CozeError::invalid_argument(format!("`{name}` {why}"))),
        }
    }

    /// A fresh PKCE code verifier: base64url of 32 random bytes (43 characters).
    #[wasm_bindgen(js_name = generateCodeVerifier)]
    pub fn generate_code_verifier() -> Result<String, JsValue> {
        Ok(pkce::generate_code_verifier()?)
    }

    /// The S256 challenge of a verifier: unpadded base64url of its SHA-256.
    #[wasm_bindgen(js_name = calculatePKCECodeChallenge)]
    pub fn calculate_pkce_code_challenge(verifier: JsValue) -> Result<String, JsValue> {
        Ok(pkce::code_challenge_s256(&string_arg("verifier", &verifier)?)?)
    }

    /// A fresh OAuth state: base64url of 32 random bytes.
    #[wasm_bindgen(js_name = generateState)]
    pub fn generate_state() -> Result<String, JsValue> {
        Ok(pkce::generate_state()?)
    }

    /// Validates the redirect back from Coze: state first (exact match), then `error=`, then the
    /// code; repeated parameters are refused. → `{code, state}`.
    #[wasm_bindgen(js_name = parseAuthorizationCallback)]
    pub fn parse_authorization_callback(url: JsValue, expected_state: JsValue) -> Result<JsValue, JsValue> {
        let url = string_arg("url", &url)?;
        let cb = authorize::parse_callback(&url, &string_arg("expectedState", &expected_state)?)?;
        let out = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&out, &"code".into(), &cb.code.into());
        let _ = js_sys::Reflect::set(&out, &"state".into(), &cb.state.into());
        Ok(out.into())
    }

    /// `{clientId, redirectUrl, baseURL?, state?, workspaceId?, wwwURL?}` →
    /// `Promise<{url, codeVerifier, state}>`. Always S256; a state is generated when not given.
    #[wasm_bindgen(js_name = getPKCEAuthenticationUrl)]
    pub fn get_pkce_authentication_url(params: JsValue) -> Promise {
        js::pkce_url(Core, params)
    }

    /// `{code, clientId, redirectUrl, codeVerifier, baseURL?}, {signal?}` → `Promise<OAuthToken>`.
    #[wasm_bindgen(js_name = getPKCEOAuthToken)]
    pub fn get_pkce_oauth_token(params: JsValue, options: JsValue) -> Promise {
        js::pkce_token(Core, params, options)
    }

    /// `{refreshToken, clientId, baseURL?, clientSecret?}, {signal?}` → `Promise<OAuthToken>`.
    /// The refresh token rotates: store the new one (TokenManager does).
    #[wasm_bindgen(js_name = refreshOAuthToken)]
    pub fn refresh_oauth_token(params: JsValue, options: JsValue) -> Promise {
        js::refresh_token(Core, params, options)
    }

    /// SPA login, step 1 → `Promise<{url, state}>`; the pending login waits in sessionStorage.
    #[wasm_bindgen(js_name = startLogin)]
    pub fn start_login(options: JsValue) -> Promise {
        js::start_login(Core, options)
    }

    /// SPA login, step 2 (on the redirect page) → `Promise<OAuthToken>`.
    #[wasm_bindgen(js_name = completeLogin)]
    pub fn complete_login(options: JsValue) -> Promise {
        js::complete_login(Core, options)
    }

    /// `new CozeAPI({token, baseURL?, allowPersonalAccessTokenInBrowser?, headers?})`: the
    /// resources (`chat`, `conversations`, `bots`, `workspaces`, `users`) live in the JS driver.
    #[wasm_bindgen]
    pub struct CozeAPI {
        client: JsValue,
    }

    #[wasm_bindgen]
    impl CozeAPI {
        #[wasm_bindgen(constructor)]
        pub fn new(options: JsValue) -> Result<CozeAPI, JsValue> {
            Ok(CozeAPI { client: js::new_client(Core, options)? })
        }

        #[wasm_bindgen(getter = baseURL)]
        pub fn base_url(&self) -> JsValue {
            js::get(&self.client, "baseURL")
        }

        #[wasm_bindgen(getter)]
        pub fn chat(&self) -> JsValue {
            js::get(&self.client, "chat")
        }

        #[wasm_bindgen(getter)]
        pub fn conversations(&self) -> JsValue {
            js::get(&self.client, "conversations")
        }

        #[wasm_bindgen(getter)]
        pub fn bots(&self) -> JsValue {
            js::get(&self.client, "bots")
        }

        #[wasm_bindgen(getter)]
        pub fn workspaces(&self) -> JsValue {
            js::get(&self.client, "workspaces")
        }

        #[wasm_bindgen(getter)]
        pub fn users(&self) -> JsValue {
            js::get(&self.client, "users")
        }
    }

    /// Holds and refreshes OAuth tokens (the driver's TokenManager: single-flight refresh in the
    /// page and across tabs). `new TokenManager({clientId, baseURL?, storage?, storageKey?,
    /// refreshAheadSeconds?, onChange?})`.
    #[wasm_bindgen]
    pub struct TokenManager {
        manager: JsValue,
    }

    #[wasm_bindgen]
    impl TokenManager {
        #[wasm_bindgen(constructor)]
        pub fn new(options: JsValue) -> Result<TokenManager, JsValue> {
            Ok(TokenManager { manager: js::new_token_manager(Core, options)? })
        }

        #[wasm_bindgen(js_name = setToken)]
        pub fn set_token(&self, token: JsValue) -> Promise {
            js::invoke(&self.manager, "setToken", token).unchecked_into()
        }

        #[wasm_bindgen(js_name = getToken)]
        pub fn get_token(&self) -> Promise {
            js::invoke(&self.manager, "getToken", JsValue::UNDEFINED).unchecked_into()
        }

        #[wasm_bindgen(js_name = getAccessToken)]
        pub fn get_access_token(&self) -> Promise {
            js::invoke(&self.manager, "getAccessToken", JsValue::UNDEFINED).unchecked_into()
        }

        pub fn refresh(&self, rejected_access_token: JsValue) -> Promise {
            js::invoke(&self.manager, "refresh", rejected_access_token).unchecked_into()
        }

        pub fn clear(&self) -> Promise {
            js::invoke(&self.manager, "clear", JsValue::UNDEFINED).unchecked_into()
        }
    }

    /// The decisions the JS driver asks for: what to send, how to read each reply, when to
    /// refresh, which error it is. Every method is synchronous.
    #[wasm_bindgen]
    pub struct Core;

    fn now(seconds: f64) -> i64 {
        seconds as i64
    }

    fn base_or_com(base_url: Option<String>) -> Result<String> {
        authorize::normalize_base_url(base_url.as_deref().unwrap_or(crate::COZE_COM_BASE_URL))
    }

    #[wasm_bindgen]
    impl Core {
        /// The normalized API base URL (`COZE_COM_BASE_URL` when none is given).
        #[wasm_bindgen(js_name = baseUrl)]
        pub fn base_url(&self, base_url: Option<String>) -> Result<String, JsValue> {
            Ok(base_or_com(base_url)?)
        }

        /// One PKCE start (getPKCEAuthenticationUrl and startLogin) →
        /// `[url, state, codeVerifier, pendingLogin]`; `pendingLogin` is the record startLogin keeps.
        #[wasm_bindgen(js_name = startPkce)]
        #[allow(clippy::too_many_arguments)]
        pub fn start_pkce(
            &self,
            client_id: String,
            redirect_url: String,
            base_url: Option<String>,
            www_url: Option<String>,
            workspace_id: Option<String>,
            state: Option<String>,
            method: Option<String>,
            now_seconds: f64,
        ) -> Result<Vec<String>, JsValue> {
            pkce::check_challenge_method(method.as_deref())?;
            let base_url = base_or_com(base_url)?;
            let www = match &www_url {
                Some(w) => authorize::normalize_base_url(w)?,
                None => authorize::www_base_url(&base_url)?,
            };
            let state = match state {
                Some(s) if !s.is_empty() => s,
                _ => pkce::generate_state()?,
            };
            let verifier = pkce::generate_code_verifier()?;
            let url = authorize::authorize_url(&AuthorizeRequest {
                www_base_url: &www,
                client_id: &client_id,
                redirect_uri: &redirect_url,
                state: &state,
                code_challenge: &pkce::code_challenge_s256(&verifier)?,
                workspace_id: workspace_id.as_deref().filter(|w| !w.is_empty()),
            })?;
            let pending = format!(
                "{{\"code_verifier\":{},\"redirect_uri\":{},\"client_id\":{},\"base_url\":{},\"created_at\":{}}}",
                json_string(&verifier),
                json_string(&redirect_url),
                json_string(&client_id),
                json_string(&base_url),
                now(now_seconds)
            );
            Ok(vec![url, state, verifier, pending])
        }

        /// The PKCE code exchange request (see `endpoints::describe`).
        #[wasm_bindgen(js_name = exchangeRequest)]
        pub fn exchange_request(
            &self,
            base_url: Option<String>,
            code: String,
            client_id: String,
            redirect_url: String,
            verifier: String,
        ) -> Result<String, JsValue> {
            let base_url = base_or_com(base_url)?;
            // Caught here rather than sent: the server would only say "invalid grant".
            authorize::validate_redirect_uri(&redirect_url)?;
            pkce::validate_code_verifier(&verifier)?;
            let body = crate::core::token::code_exchange_body(&code, &client_id, &redirect_url, &verifier)?;
            Ok(token_request(&base_url, &body, None))
        }

        /// A refresh request. A client secret is refused in a page or worker (anyone using the
        /// page could read it; PKCE apps have none).
        #[wasm_bindgen(js_name = refreshRequest)]
        pub fn refresh_request(
            &self,
            base_url: Option<String>,
            refresh_token: String,
            client_id: String,
            client_secret: Option<String>,
            in_browser: bool,
        ) -> Result<String, JsValue> {
            let base_url = base_or_com(base_url)?;
            let secret = client_secret.filter(|s| !s.is_empty());
            if secret.is_some() && in_browser {
                return Err(CozeError::invalid_argument("clientSecret in a browser is readable by anyone: keep it on a server").into());
            }
            let body = refresh_body(&client_id, &refresh_token)?;
            Ok(token_request(&base_url, &body, secret.map(|s| format!("Bearer {s}")).as_deref()))
        }

        /// The token endpoint's answer → the token as JSON, or the error (thrown).
        #[wasm_bindgen(js_name = tokenReply)]
        pub fn token_reply(&self, status: u16, logid: Option<String>, body: &str, now_seconds: f64) -> Result<String, JsValue> {
            Ok(reply::token_reply(status, logid.as_deref().filter(|l| !l.is_empty()), body, now(now_seconds))?)
        }

        /// Whether a failed refresh ends the login: only a definite refusal of the refresh token
        /// (not a rate limit, a server error, the network or an abort).
        #[wasm_bindgen(js_name = endsLogin)]
        pub fn ends_login(&self, code: JsValue, status: JsValue) -> bool {
            let status = status.as_f64().unwrap_or(0.0);
            code.as_string().as_deref() == Some(ErrorCode::OAuthTokenError.as_str()) && status != 429.0 && status < 500.0
        }

        /// Whether a token expiring at `expires_in` (unix seconds) should be refreshed now.
        #[wasm_bindgen(js_name = needsRefresh)]
        pub fn needs_refresh(&self, expires_in: f64, now_seconds: f64, ahead_seconds: f64) -> bool {
            needs_refresh(expires_in as i64, now(now_seconds), ahead_seconds as i64)
        }

        /// The Authorization header for a token from any source. A `pat_` token in a page or
        /// worker is refused (anyone using the page can read it) unless the caller opted in.
        pub fn bearer(&self, token: JsValue, allow_pat: bool, in_browser: bool) -> Result<String, JsValue> {
            let token = if token.is_string() { token } else { js::get(&token, "access_token") };
            let token = match js::text(&token) {
                Ok(Some(t)) if !t.trim().is_empty() => t,
                _ => return Err(CozeError::new(ErrorCode::NotLoggedIn, "the token source gave no token").into()),
            };
            if in_browser && !allow_pat && token.trim_start().starts_with("pat_") {
                return Err(CozeError::new(
                    ErrorCode::PatInBrowser,
                    "a personal access token (pat_) in a page is readable by anyone: use PKCE login, \
                     or set allowPersonalAccessTokenInBrowser",
                )
                .into());
            }
            if token.bytes().any(|b| b < 0x20 || b == 0x7f) {
                return Err(CozeError::invalid_argument("the token has characters not allowed in a header").into());
            }
            Ok(format!("Bearer {}", token.trim()))
        }

        /// A client's default `user_id` for `/v3/chat` (Coze requires one).
        #[wasm_bindgen(js_name = userId)]
        pub fn user_id(&self) -> Result<String, JsValue> {
            Ok(format!("coze-wasm-{}", &pkce::generate_state()?[..16]))
        }

        /// The request for endpoint `index` of the endpoint table.
        pub fn request(
            &self,
            index: u32,
            base_url: &str,
            a: JsValue,
            b: JsValue,
            user_id: &str,
        ) -> Result<String, JsValue> {
            Ok(endpoints::request(index, base_url, [&a, &b, &JsValue::UNDEFINED], user_id)?)
        }

        /// The reply is the event stream asked for (else the driver reads the body for `reply`).
        #[wasm_bindgen(js_name = streamReady)]
        pub fn stream_ready(&self, status: u16, content_type: Option<String>) -> bool {
            reply::stream_ready(status, content_type.as_deref().unwrap_or(""))
        }

        /// An API reply: `true` = refresh the token and retry once, `false` = use the body; or throws.
        pub fn reply(
            &self,
            status: u16,
            logid: Option<String>,
            body: &str,
            can_retry: bool,
            want_stream: bool,
        ) -> Result<bool, JsValue> {
            Ok(reply::api_reply(status, logid.as_deref().filter(|l| !l.is_empty()), body, can_retry, want_stream)?)
        }

        /// The error for a rejected fetch or body read.
        #[wasm_bindgen(js_name = fetchFailed)]
        pub fn fetch_failed(&self, aborted: bool, cause: &str, url: &str) -> JsValue {
            reply::fetch_failed(aborted, cause, url).into()
        }

        /// The chat stream engine for one `chat.stream` call.
        #[wasm_bindgen(js_name = chatStream)]
        pub fn chat_stream(&self) -> ChatStream {
            ChatStream::new()
        }

        /// Whether `createAndPoll` stops at this chat status.
        pub fn terminal(&self, status: JsValue) -> bool {
            chat::is_terminal_status(&status.as_string().unwrap_or_default())
        }

        /// `createAndPoll` ran out of time.
        pub fn timeout(&self, ms: f64) -> JsValue {
            CozeError::new(ErrorCode::Timeout, format!("the chat did not finish within {} ms (it still runs)", ms as i64))
                .into()
        }

        /// The callback URL's state, to find its pending login.
        #[wasm_bindgen(js_name = callbackState)]
        pub fn callback_state(&self, url: &str) -> Result<String, JsValue> {
            Ok(authorize::callback_state(url)?)
        }

        /// The URL without the callback's parameters (for the address bar).
        #[wasm_bindgen(js_name = stripCallback)]
        pub fn strip_callback(&self, url: &str) -> String {
            authorize::strip_callback_params(url)
        }

        /// The callback checked against its pending login (already removed from storage) → the
        /// code exchange request.
        #[wasm_bindgen(js_name = finishLogin)]
        pub fn finish_login(&self, url: &str, state: &str, pending: Option<String>, now_seconds: f64) -> Result<String, JsValue> {
            Ok(finish_login(url, state, pending, now(now_seconds))?)
        }

        /// A short, non-secret name for a refresh token (lock names are visible to the origin).
        pub fn fingerprint(&self, refresh_token: &str) -> String {
            use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
            use sha2::{Digest as _, Sha256};
            URL_SAFE_NO_PAD.encode(&Sha256::digest(refresh_token.as_bytes())[..12])
        }
    }

    fn token_request(base_url: &str, body: &str, auth: Option<&str>) -> String {
        endpoints::describe("POST", &crate::core::token::token_endpoint(base_url), Some(body), auth, "")
    }

    /// A login not finished within this time is refused (Coze codes live minutes, too).
    const PENDING_MAX_AGE_SECONDS: i64 = 600;

    fn finish_login(url: &str, state: &str, pending: Option<String>, now: i64) -> Result<String> {
        let Some(pending) = pending else {
            return Err(CozeError::new(ErrorCode::OAuthStateMissing, "no pending login for this state (used, or started elsewhere)"));
        };
        let parsed = js_sys::JSON::parse(&pending).map_err(|_| CozeError::new(ErrorCode::Storage, "the pending login is corrupt"))?;
        let field = |name: &str| js::get(&parsed, name).as_string().unwrap_or_default();
        let created_at = js::get(&parsed, "created_at").as_f64().unwrap_or(0.0) as i64;
        if now - created_at > PENDING_MAX_AGE_SECONDS {
            return Err(CozeError::new(ErrorCode::OAuthStateMissing, "the pending login expired; log in again"));
        }
        let callback = authorize::parse_callback(url, state)?;
        let body = crate::core::token::code_exchange_body(
            &callback.code,
            &field("client_id"),
            &field("redirect_uri"),
            &field("code_verifier"),
        )?;
        Ok(token_request(&field("base_url"), &body, None))
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
            let max = if options.is_undefined() || options.is_null() {
                JsValue::UNDEFINED
            } else if options.is_object() && !js::is_array(&options) {
                js::try_get(&options, "maxEventSize").map_err(|_| bad_max())?
            } else {
                return Err(CozeError::invalid_argument("options must be an object").into());
            };
            let inner = match max.as_f64() {
                None if max.is_undefined() || max.is_null() => sse::SseParser::new(),
                Some(n) if n >= 1.0 && n.fract() == 0.0 => sse::SseParser::with_max_event_size(n as usize),
                _ => return Err(bad_max()),
            };
            Ok(SseParser { inner, chunk: Vec::new(), batch: Batch::new() })
        }

        /// Parses one chunk of bytes → the `{event, data, id}` events it completed.
        pub fn feed(&mut self, bytes: JsValue) -> Result<Array, JsValue> {
            let chunk = js::copy_chunk(&bytes, &mut self.chunk)
                .ok_or_else(|| CozeError::invalid_argument("feed: expected a Uint8Array"))?;
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

        /// End of stream → what it still yields: nothing, since an event without its blank line
        /// is discarded (per spec). The parser is reset.
        pub fn finish(&mut self) -> Array {
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

    fn bad_max() -> JsValue {
        CozeError::invalid_argument("`maxEventSize` must be a whole number ≥ 1").into()
    }

    /// A chunk's events for JS, batched into one string crossing (see core::batch), except a huge
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
