//! coze-wasm: Coze OAuth PKCE login and streamed bot chat for the browser.
//!
//! `core` is pure Rust (tested natively). The wasm is sans-IO: the JS driver (`src/js/support.js`)
//! performs every fetch, await, body read, storage call and lock, and asks [`Core`] what to send
//! and what each reply means. The public JS names: the driver's functions and classes, which the
//! wasm-bindgen glue re-exports (declared below), and `SseParser`.

pub mod core;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use crate::core::authorize::{COZE_CN_BASE_URL, COZE_COM_BASE_URL};

#[cfg(target_arch = "wasm32")]
pub use facade::*;

#[cfg(target_arch = "wasm32")]
mod facade {
    use js_sys::{Array, Promise};
    use wasm_bindgen::prelude::*;

    use crate::core::batch::Batch;
    use crate::core::{ops, sse, CozeError};
    use crate::web::crossing::{Crossing, Records};
    use crate::web::{js, stream::ChatStream};

    /// Hands the driver its `Core` once the module is instantiated (`init()` runs this).
    #[wasm_bindgen(start, private)]
    fn start() {
        js::set_core(Core::default());
    }

    /// The public functions live in the JS driver; the wasm-bindgen glue re-exports them, so they
    /// cost no wasm export, shim or glue wrapper. The Rust names below are for the Rust tests.
    #[wasm_bindgen(module = "/src/js/support.js")]
    extern "C" {
        /// A fresh PKCE code verifier: base64url of 32 random bytes (43 characters).
        #[wasm_bindgen(reexport, js_name = generateCodeVerifier, catch)]
        fn generate_code_verifier_js() -> Result<JsValue, JsValue>;
        /// The S256 challenge of a verifier: unpadded base64url of its SHA-256.
        #[wasm_bindgen(reexport, js_name = calculatePKCECodeChallenge, catch)]
        fn calculate_pkce_code_challenge_js(verifier: JsValue) -> Result<JsValue, JsValue>;
        /// A fresh OAuth state: base64url of 32 random bytes.
        #[wasm_bindgen(reexport, js_name = generateState, catch)]
        fn generate_state_js() -> Result<JsValue, JsValue>;
        /// Validates the redirect back from Coze: state first (exact match), then `error=`, then
        /// the code; repeated parameters are refused. → `{code, state}`.
        #[wasm_bindgen(reexport, js_name = parseAuthorizationCallback, catch)]
        fn parse_authorization_callback_js(url: JsValue, expected_state: JsValue) -> Result<JsValue, JsValue>;
        /// `{clientId, redirectUrl, baseURL?, state?, workspaceId?, wwwURL?}` →
        /// `Promise<{url, codeVerifier, state}>`. Always S256; a state is generated when not given.
        #[wasm_bindgen(reexport, js_name = getPKCEAuthenticationUrl)]
        fn get_pkce_authentication_url_js(params: JsValue) -> Promise;
        /// `{code, clientId, redirectUrl, codeVerifier, baseURL?}, {signal?}` → `Promise<OAuthToken>`.
        #[wasm_bindgen(reexport, js_name = getPKCEOAuthToken)]
        fn get_pkce_oauth_token_js(params: JsValue, options: JsValue) -> Promise;
        /// `{refreshToken, clientId, baseURL?, clientSecret?}, {signal?}` → `Promise<OAuthToken>`.
        /// The refresh token rotates: store the new one (TokenManager does).
        #[wasm_bindgen(reexport, js_name = refreshOAuthToken)]
        fn refresh_oauth_token_js(params: JsValue, options: JsValue) -> Promise;
        /// SPA login, step 1 → `Promise<{url, state}>`; the pending login waits in sessionStorage.
        #[wasm_bindgen(reexport, js_name = startLogin)]
        fn start_login_js(options: JsValue) -> Promise;
        /// SPA login, step 2 (on the redirect page) → `Promise<OAuthToken>`.
        #[wasm_bindgen(reexport, js_name = completeLogin)]
        fn complete_login_js(options: JsValue) -> Promise;
        /// Device code flow, step 1: `{clientId, baseURL?, workspaceId?}, {signal?}` →
        /// `Promise<{device_code, user_code, verification_uri, verification_url, expires_in,
        /// interval}>` (`expires_in` relative seconds). Allowed everywhere: it needs no secret.
        #[wasm_bindgen(reexport, js_name = getDeviceCode)]
        fn get_device_code_js(params: JsValue, options: JsValue) -> Promise;
        /// Device code flow, step 2: `{clientId, deviceCode, baseURL?, poll?, interval?,
        /// expiresIn?}, {signal?}` → `Promise<OAuthToken>`, polling until the user allows
        /// (OAUTH_ACCESS_DENIED on Deny, OAUTH_EXPIRED_TOKEN when the code expires).
        #[wasm_bindgen(reexport, js_name = getDeviceToken)]
        fn get_device_token_js(params: JsValue, options: JsValue) -> Promise;
        /// Web flow (server runtimes only), step 1: `{clientId, redirectUrl, baseURL?, state?,
        /// workspaceId?}` → `{url, state}`. SECRET_IN_BROWSER in a page or worker.
        #[wasm_bindgen(reexport, js_name = getWebAuthenticationUrl, catch)]
        fn get_web_authentication_url_js(params: JsValue) -> Result<JsValue, JsValue>;
        /// Web flow (server runtimes only), step 2: `{code, clientId, clientSecret, redirectUrl,
        /// baseURL?}, {signal?}` → `Promise<OAuthToken>`. SECRET_IN_BROWSER in a page or worker.
        #[wasm_bindgen(reexport, js_name = getWebOAuthToken)]
        fn get_web_oauth_token_js(params: JsValue, options: JsValue) -> Promise;
        /// The `auth` object of Coze's Web Chat SDK from a TokenManager →
        /// `Promise<{type: 'token', token, onRefreshToken}>`.
        #[wasm_bindgen(reexport, js_name = webChatAuth)]
        fn web_chat_auth_js(token_manager: JsValue) -> Promise;
        /// `{appId, keyid, aud, privateKey, baseURL?, durationSeconds?, scope?, sessionName?,
        /// accountId?}, {signal?}` → `Promise<{access_token, expires_in}>`. Server runtimes only
        /// (JWT_IN_BROWSER in a page or worker); the JWT is built in `core::jwt` and signed with
        /// WebCrypto (RS256).
        #[wasm_bindgen(reexport, js_name = getJWTToken)]
        fn get_jwt_token_js(params: JsValue, options: JsValue) -> Promise;
    }

    /// The Rust names of the re-exported functions: each makes sure the driver has its `Core`
    /// first (the wasm-bindgen test runner does not run `start`).
    macro_rules! rust_names {
        ($($name:ident => $js:ident($($arg:ident),*) -> $ret:ty;)*) => {$(
            pub fn $name($($arg: JsValue),*) -> $ret {
                js::ready();
                $js($($arg),*)
            }
        )*};
    }

    rust_names! {
        generate_code_verifier => generate_code_verifier_js() -> Result<JsValue, JsValue>;
        calculate_pkce_code_challenge => calculate_pkce_code_challenge_js(verifier) -> Result<JsValue, JsValue>;
        generate_state => generate_state_js() -> Result<JsValue, JsValue>;
        parse_authorization_callback => parse_authorization_callback_js(url, expected_state) -> Result<JsValue, JsValue>;
        get_pkce_authentication_url => get_pkce_authentication_url_js(params) -> Promise;
        get_pkce_oauth_token => get_pkce_oauth_token_js(params, options) -> Promise;
        refresh_oauth_token => refresh_oauth_token_js(params, options) -> Promise;
        start_login => start_login_js(options) -> Promise;
        complete_login => complete_login_js(options) -> Promise;
        get_device_code => get_device_code_js(params, options) -> Promise;
        get_device_token => get_device_token_js(params, options) -> Promise;
        get_web_authentication_url => get_web_authentication_url_js(params) -> Result<JsValue, JsValue>;
        get_web_oauth_token => get_web_oauth_token_js(params, options) -> Promise;
        web_chat_auth => web_chat_auth_js(token_manager) -> Promise;
        get_jwt_token => get_jwt_token_js(params, options) -> Promise;
    }

    /// The public classes live in the JS driver too (re-exported the same way); their members,
    /// declared here, are for the Rust tests.
    #[wasm_bindgen(module = "/src/js/support.js")]
    extern "C" {
        /// `new CozeAPI({token, baseURL?, allowPersonalAccessTokenInBrowser?, headers?})`: the
        /// resources (`chat`, `conversations`, `bots`, `workspaces`, `users`, `files`).
        #[wasm_bindgen(reexport)]
        pub type CozeAPI;
        #[wasm_bindgen(constructor, catch)]
        fn construct(options: JsValue) -> Result<CozeAPI, JsValue>;
        #[wasm_bindgen(method, getter = baseURL)]
        pub fn base_url(this: &CozeAPI) -> JsValue;
        #[wasm_bindgen(method, getter)]
        pub fn chat(this: &CozeAPI) -> JsValue;
        #[wasm_bindgen(method, getter)]
        pub fn conversations(this: &CozeAPI) -> JsValue;
        #[wasm_bindgen(method, getter)]
        pub fn bots(this: &CozeAPI) -> JsValue;
        #[wasm_bindgen(method, getter)]
        pub fn workspaces(this: &CozeAPI) -> JsValue;
        #[wasm_bindgen(method, getter)]
        pub fn users(this: &CozeAPI) -> JsValue;
        /// `files.upload({file, name?}, {signal?, onProgress?})`, `files.retrieve(file_id)`.
        #[wasm_bindgen(method, getter)]
        pub fn files(this: &CozeAPI) -> JsValue;

        /// Holds and refreshes OAuth tokens (single-flight refresh in the page and across tabs).
        /// `new TokenManager({clientId, baseURL?, storage?, storageKey?, refreshAheadSeconds?,
        /// onChange?})`.
        #[wasm_bindgen(reexport)]
        pub type TokenManager;
        #[wasm_bindgen(constructor, catch)]
        fn construct(options: JsValue) -> Result<TokenManager, JsValue>;
        #[wasm_bindgen(method, js_name = setToken)]
        pub fn set_token(this: &TokenManager, token: JsValue) -> Promise;
        #[wasm_bindgen(method, js_name = getToken)]
        pub fn get_token(this: &TokenManager) -> Promise;
        #[wasm_bindgen(method, js_name = getAccessToken)]
        pub fn get_access_token(this: &TokenManager) -> Promise;
        #[wasm_bindgen(method)]
        pub fn refresh(this: &TokenManager, rejected_access_token: JsValue) -> Promise;
        #[wasm_bindgen(method)]
        pub fn clear(this: &TokenManager) -> Promise;

        /// A JWT token source for `CozeAPI` (server runtimes): `new JWTTokenManager({...
        /// getJWTToken's params, refreshAheadSeconds?})` mints a new token before the old one
        /// expires (there is no refresh token), one mint at a time; a 401 mints once and retries.
        #[wasm_bindgen(reexport)]
        pub type JWTTokenManager;
        #[wasm_bindgen(constructor, catch)]
        fn construct(options: JsValue) -> Result<JWTTokenManager, JsValue>;
        #[wasm_bindgen(method, js_name = getToken)]
        pub fn get_token(this: &JWTTokenManager) -> Promise;
        #[wasm_bindgen(method, js_name = getAccessToken)]
        pub fn get_access_token(this: &JWTTokenManager) -> Promise;
        #[wasm_bindgen(method)]
        pub fn refresh(this: &JWTTokenManager, rejected_access_token: JsValue) -> Promise;
    }

    /// `Class::new` for the Rust tests, the driver's `Core` made ready first (as `rust_names!`).
    macro_rules! rust_constructors {
        ($($class:ident)*) => {$(
            impl $class {
                pub fn new(options: JsValue) -> Result<$class, JsValue> {
                    js::ready();
                    $class::construct(options)
                }
            }
        )*};
    }

    rust_constructors!(CozeAPI TokenManager JWTTokenManager);

    /// The decisions the JS driver asks for (see `core::ops`), and the chat stream engine.
    #[wasm_bindgen]
    #[derive(Default)]
    pub struct Core {
        /// The `chat.stream` call this Core drives (`chatStream()` makes one per call): a stream
        /// is a Core, so it costs no wasm-bindgen class of its own (one export, `step`).
        stream: Option<ChatStream>,
    }

    #[wasm_bindgen]
    impl Core {
        /// `op` with its arguments as a JSON object → `{"v": value}` or `{"e": error}`.
        pub fn run(&self, op: &str, input: &str) -> String {
            ops::run(op, input)
        }

        /// A fresh Core for one `chat.stream` call: its engine, driven by `step`.
        #[wasm_bindgen(js_name = chatStream)]
        pub fn chat_stream(&self) -> Core {
            Core::default()
        }

        /// One operation of this Core's chat stream (`web::stream::step`) → its value.
        pub fn step(&mut self, kind: u32, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
            self.stream.get_or_insert_with(ChatStream::new).step(kind, a, b)
        }
    }

    /// The standalone WHATWG event-stream parser over bytes.
    #[wasm_bindgen]
    pub struct SseParser {
        inner: sse::SseParser,
        chunk: Vec<u8>,
        batch: Batch,
        /// The last-event-ID as a JS string: it crosses once when it changes, not per event.
        id: JsValue,
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
            Ok(SseParser { inner, chunk: Vec::new(), batch: Batch::new(), id: JsValue::from_str("") })
        }

        /// Parses one chunk of bytes → the `{event, data, id}` events it completed.
        pub fn feed(&mut self, bytes: JsValue) -> Result<Array, JsValue> {
            let chunk = js::copy_chunk(&bytes, &mut self.chunk)
                .ok_or_else(|| CozeError::invalid_argument("feed: expected a Uint8Array"))?;
            let mut sink = JsEvents(Crossing::new(&mut self.batch, Records::Sse, &mut self.id));
            let result = self.inner.feed_into(chunk, &mut sink);
            let events = sink.0.finish();
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

    /// `SseParser.feed`'s sink: every event goes to the crossing.
    struct JsEvents<'a>(Crossing<'a>);

    impl sse::EventSink for JsEvents<'_> {
        fn event(&mut self, event: &str, data: &mut String, id: Option<&str>) {
            self.0.sse(event, data, id);
        }
    }
}
