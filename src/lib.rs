//! coze-wasm: Coze OAuth PKCE login and streamed bot chat for the browser.
//!
//! `core` is pure Rust (tested natively). The wasm is sans-IO: the JS driver (`src/js/support.js`)
//! performs every fetch, await, body read, storage call and lock, and asks [`Core`] what to send
//! and what each reply means. The public JS names: the driver's functions and classes, which the
//! wasm-bindgen glue re-exports (declared below).

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

    use crate::core::ops;
    use crate::web::parser::{self, SseStream};
    use crate::web::{js, stream::ChatStream};

    /// Hands the driver its `Core` once the module is instantiated (`init()` runs this).
    #[wasm_bindgen(start, private)]
    fn start() {
        js::ready();
    }

    /// The public values of the driver, re-exported by the glue too, so the wasm-bindgen output
    /// alone (a plain `wasm-pack build --target web`) has the whole API. Not used from Rust.
    #[wasm_bindgen(module = "/src/js/support.js")]
    extern "C" {
        #[wasm_bindgen(reexport)]
        pub type CozeError;
        #[wasm_bindgen(reexport, thread_local_v2, js_name = ChatEventType)]
        static CHAT_EVENT_TYPE: JsValue;
        #[wasm_bindgen(reexport, thread_local_v2, js_name = ChatStatus)]
        static CHAT_STATUS: JsValue;
        #[wasm_bindgen(reexport, thread_local_v2, js_name = RoleType)]
        static ROLE_TYPE: JsValue;
        #[wasm_bindgen(reexport, thread_local_v2, js_name = COZE_CN_BASE_URL)]
        static COZE_CN_BASE_URL_JS: JsValue;
        #[wasm_bindgen(reexport, thread_local_v2, js_name = COZE_COM_BASE_URL)]
        static COZE_COM_BASE_URL_JS: JsValue;
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

        /// The standalone WHATWG event-stream parser over bytes: `new SseParser({maxEventSize?})`
        /// (bytes, default 16 MiB); its engine is `web::parser`.
        #[wasm_bindgen(reexport)]
        pub type SseParser;
        #[wasm_bindgen(constructor, catch)]
        fn construct(options: JsValue) -> Result<SseParser, JsValue>;
        /// Parses one chunk of bytes (a Uint8Array) → the `{event, data, id}` events it completed.
        #[wasm_bindgen(method, catch)]
        pub fn feed(this: &SseParser, bytes: JsValue) -> Result<Array, JsValue>;
        /// End of stream → `[]` (an event without its blank line is discarded); resets the parser.
        #[wasm_bindgen(method)]
        pub fn finish(this: &SseParser) -> Array;
        #[wasm_bindgen(method, getter = lastEventId)]
        pub fn last_event_id(this: &SseParser) -> String;
        /// The last valid `retry:` value in milliseconds, if any.
        #[wasm_bindgen(method, getter)]
        pub fn retry(this: &SseParser) -> Option<f64>;
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

    rust_constructors!(CozeAPI TokenManager JWTTokenManager SseParser);

    /// The decisions the JS driver asks for (see `core::ops`), and the engines of the chat stream
    /// and of `SseParser`.
    #[wasm_bindgen]
    #[derive(Default)]
    pub struct Core {
        /// The `chat.stream` call this Core drives (`engine()` makes one per call): a stream is a
        /// Core, so it costs no wasm-bindgen class of its own (one export, `step`).
        stream: Option<ChatStream>,
        /// The `SseParser` instance this Core drives (`engine()` makes one per instance).
        parser: Option<SseStream>,
    }

    #[wasm_bindgen]
    impl Core {
        /// `op` with its arguments as a JSON object → `{"v": value}` or `{"e": error}`.
        pub fn run(&self, op: &str, input: &str) -> String {
            ops::run(op, input)
        }

        /// A fresh Core for one `chat.stream` call or one `SseParser`: its engine, driven by `step`.
        pub fn engine(&self) -> Core {
            Core::default()
        }

        /// One operation of this Core's chat stream (`web::stream::step`) or of its `SseParser`
        /// (`web::parser::step`, the kinds after the stream's) → its value.
        pub fn step(&mut self, kind: u32, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
            if kind >= parser::step::NEW {
                return SseStream::step(&mut self.parser, kind, a);
            }
            self.stream.get_or_insert_with(ChatStream::new).step(kind, a, b)
        }
    }
}
