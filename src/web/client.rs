//! `CozeAPI`: the token source, the request pipeline (envelope, logid, one refresh-and-retry on
//! 401 when a token manager is attached) and the resources a chat page needs.

use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Response};

use super::http::{self, describe, HttpRequest};
use super::js;
use super::stream::ChatStream;
use super::{promise, signal_of, Options};
use crate::core::api::{is_auth_failure, path_with_query, require_id};
use crate::core::authorize::normalize_base_url;
use crate::core::chat::is_terminal_status;
use crate::core::{CozeError, ErrorCode, Result};

enum TokenSource {
    Static(String),
    /// `() => string | Promise<string>`, called before every request.
    Provider(Function),
    /// Anything with `getAccessToken()` and `refresh(rejectedAccessToken)` — e.g. our TokenManager.
    Manager(JsValue),
}

pub struct ClientInner {
    base_url: String,
    token: TokenSource,
    headers: Vec<(String, String)>,
    default_user_id: String,
}

/// `new CozeAPI({token, baseURL?, allowPersonalAccessTokenInBrowser?, headers?})`.
#[wasm_bindgen]
pub struct CozeAPI {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl CozeAPI {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<CozeAPI, JsValue> {
        let opts = super::Options::new("new CozeAPI", &options)?;
        let base_url = normalize_base_url(opts.opt_string("baseURL")?.as_deref().unwrap_or(crate::COZE_COM_BASE_URL))?;
        let allow_pat_in_browser = opts.opt_bool("allowPersonalAccessTokenInBrowser")?.unwrap_or(false);
        let token = opts.get("token")?;
        let text = js::text(&token).map_err(|why| opts.invalid("token", why))?;
        let token = if let Some(s) = text {
            if s.is_empty() {
                return Err(CozeError::invalid_argument("new CozeAPI: `token` is empty").into());
            }
            if s.starts_with("pat_") && js::is_browser() && !allow_pat_in_browser {
                return Err(CozeError::new(
                    ErrorCode::PatInBrowser,
                    "a personal access token (pat_...) in a browser is readable by anyone using the page; \
                     use OAuth PKCE login, or pass allowPersonalAccessTokenInBrowser: true if you accept the risk",
                )
                .into());
            }
            TokenSource::Static(s)
        } else if token.is_function() {
            TokenSource::Provider(token.unchecked_into())
        } else if js::get(&token, "getAccessToken").is_function() {
            TokenSource::Manager(token)
        } else {
            return Err(CozeError::invalid_argument(
                "new CozeAPI: `token` must be a string, a function returning a (promised) string, or a TokenManager",
            )
            .into());
        };
        let headers = read_headers(&opts.get("headers")?)?;
        let default_user_id = format!("coze-wasm-{}", &crate::core::pkce::generate_state()?[..16]);
        Ok(CozeAPI { inner: Rc::new(ClientInner { base_url, token, headers, default_user_id }) })
    }

    #[wasm_bindgen(getter = baseURL)]
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn chat(&self) -> Chat {
        Chat { inner: self.inner.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn conversations(&self) -> Conversations {
        Conversations { inner: self.inner.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn bots(&self) -> Bots {
        Bots { inner: self.inner.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn workspaces(&self) -> Workspaces {
        Workspaces { inner: self.inner.clone() }
    }

    #[wasm_bindgen(getter)]
    pub fn users(&self) -> Users {
        Users { inner: self.inner.clone() }
    }
}

/// `{name: value}` headers (names are checked when a request is built: INVALID_ARGUMENT).
fn read_headers(value: &JsValue) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if value.is_undefined() || value.is_null() {
        return Ok(out);
    }
    let bad = || CozeError::invalid_argument("new CozeAPI: `headers` must be an object of header names to strings");
    if !value.is_object() || js::is_array(value) {
        return Err(bad());
    }
    for entry in js::entries(value).map_err(|_| bad())?.iter() {
        let pair: Array = entry.unchecked_into();
        let value = js::text(&pair.get(1)).ok().flatten().ok_or_else(bad)?;
        out.push((pair.get(0).as_string().unwrap_or_default(), value));
    }
    Ok(out)
}

enum Reply {
    Stream(Response),
    Json(JsValue),
}

impl ClientInner {
    async fn token(&self, rejected: Option<&str>) -> Result<String> {
        let value = match &self.token {
            TokenSource::Static(s) => return Ok(s.clone()),
            TokenSource::Provider(f) => f.call0(&JsValue::UNDEFINED).map_err(provider_error)?,
            TokenSource::Manager(m) => match rejected {
                None => call_method(m, "getAccessToken", &[])?,
                Some(old) => call_method(m, "refresh", &[JsValue::from_str(old)])?,
            },
        };
        let value = JsFuture::from(Promise::resolve(&value)).await.map_err(provider_error)?;
        provided_token(&value)
    }
}

/// What a token provider gave: a string, or (a manager's refresh()) a token object.
fn provided_token(value: &JsValue) -> Result<String> {
    let value = if value.is_string() { value.clone() } else { js::get(value, "access_token") };
    match js::text(&value) {
        Ok(Some(t)) if !t.is_empty() => Ok(t),
        _ => Err(CozeError::invalid_argument(
            "the token provider did not return a token (a non-empty string of valid text, at most 16384 characters)",
        )),
    }
}

impl ClientInner {
    fn can_refresh(&self) -> bool {
        matches!(self.token, TokenSource::Manager(_))
    }

    /// One request with the envelope checked; on an auth failure with a token manager, refresh once
    /// and retry. `want_stream` returns the live response when it is an event stream.
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        signal: Option<&AbortSignal>,
        want_stream: bool,
    ) -> Result<Reply> {
        let mut rejected: Option<String> = None;
        loop {
            let token = self.token(rejected.as_deref()).await?;
            let resp = http::send(HttpRequest {
                method,
                url: format!("{}{}", self.base_url, path),
                bearer: Some(token.clone()),
                json_body: body.clone(),
                extra_headers: &self.headers,
                signal,
            })
            .await?;
            let content_type = resp.headers().get("content-type").ok().flatten().unwrap_or_default();
            if want_stream && resp.ok() && content_type.contains("text/event-stream") {
                return Ok(Reply::Stream(resp));
            }
            match http::envelope_body(&resp, signal).await {
                Ok(body) if want_stream => {
                    return Err(CozeError::new(
                        ErrorCode::InvalidResponse,
                        format!("expected an event stream but the server answered `{content_type}`"),
                    )
                    .with_status(resp.status())
                    .with_logid(http::logid(&resp))
                    .with_raw(JSON::stringify(&body).map(String::from).unwrap_or_default()))
                }
                Ok(body) => return Ok(Reply::Json(body)),
                Err(err) if rejected.is_none() && self.can_refresh() && is_auth_failure(&err) => {
                    rejected = Some(token);
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Boxed (not `async fn`): one copy of the request state machine instead of one inlined into
    /// every endpoint's future — a large share of the wasm size otherwise.
    fn json<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        body: Option<String>,
        signal: Option<&'a AbortSignal>,
    ) -> LocalFuture<'a, JsValue> {
        Box::pin(async move {
            match self.call(method, path, body, signal, false).await? {
                Reply::Json(body) => Ok(body),
                Reply::Stream(_) => unreachable!("want_stream is false"),
            }
        })
    }

    /// The envelope's `data`.
    fn data<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        body: Option<String>,
        signal: Option<&'a AbortSignal>,
    ) -> LocalFuture<'a, JsValue> {
        Box::pin(async move { Ok(js::get(&self.json(method, path, body, signal).await?, "data")) })
    }
}

type LocalFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + 'a>>;

fn call_method(target: &JsValue, name: &str, args: &[JsValue]) -> Result<JsValue> {
    let f: Function = js::get(target, name).unchecked_into();
    match args {
        [a] => f.call1(target, a),
        _ => f.call0(target),
    }
    .map_err(provider_error)
}

/// Errors from the token source pass through when they are ours (e.g. NOT_LOGGED_IN).
fn provider_error(err: JsValue) -> CozeError {
    if js::is_coze_error(&err) {
        let code = js::get(&err, "code").as_string().unwrap_or_default();
        let code = ErrorCode::ALL.into_iter().find(|c| c.as_str() == code).unwrap_or(ErrorCode::NotLoggedIn);
        let mut e = CozeError::new(code, js::get(&err, "message").as_string().unwrap_or_default());
        e.status = js::get(&err, "status").as_f64().map(|s| s as u16);
        e.error = js::get(&err, "error").as_string();
        e.error_description = js::get(&err, "error_description").as_string();
        e.logid = js::get(&err, "logid").as_string();
        return e;
    }
    CozeError::new(ErrorCode::NotLoggedIn, format!("the token provider failed: {}", describe(&err)))
}

// ---------------------------------------------------------------------------------------------

/// Builds the `/v3/chat` body from the caller's params without mutating them: IDs must be strings,
/// `conversation_id` moves to the query, object `content` is JSON-encoded as Coze requires.
fn chat_request(params: &JsValue, stream: bool, default_user_id: &str) -> Result<(String, String)> {
    if !params.is_object() {
        return Err(CozeError::invalid_argument("chat params must be an object with at least `bot_id`"));
    }
    id_arg("bot_id", &js::get(params, "bot_id"))?;
    let conversation_id = optional_string(params, "conversation_id")?;
    let user_id = optional_string(params, "user_id")?;
    let copy = copy_of("chat params", params)?;
    let _ = js_sys::Reflect::delete_property(&copy, &"conversation_id".into());
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&copy, &k.into(), v).map(drop);
    let _ = set("stream", &JsValue::from_bool(stream));
    let _ = set("user_id", &JsValue::from_str(user_id.as_deref().unwrap_or(default_user_id)));
    if let Some(encoded) = encode_messages(params, "additional_messages")? {
        let _ = set("additional_messages", &encoded);
    }
    let body = to_json("chat params", &copy)?;
    let path = path_with_query("/v3/chat", &[("conversation_id", conversation_id.as_deref())]);
    Ok((path, body))
}

/// The messages array at `key`, copied with object/array `content` serialized to the JSON string
/// Coze expects (`content_type` defaulting to `object_string`); `None` when absent.
fn encode_messages(params: &JsValue, key: &str) -> Result<Option<Array>> {
    let messages = js::get(params, key);
    if messages.is_undefined() || messages.is_null() {
        return Ok(None);
    }
    if !js::is_array(&messages) {
        return Err(CozeError::invalid_argument(format!("`{key}` must be an array")));
    }
    let encoded = Array::new();
    let list = js::array_from(&messages).map_err(|e| unreadable(key, &e))?;
    for message in list.iter() {
        if !message.is_object() {
            return Err(CozeError::invalid_argument(format!("each of `{key}` must be an object")));
        }
        let m = copy_of(key, &message)?;
        let content = js::get(&m, "content");
        if content.is_object() {
            let text = to_json("message content", &content)?;
            let _ = js_sys::Reflect::set(&m, &"content".into(), &text.into());
            if js::get(&m, "content_type").is_undefined() {
                let _ = js_sys::Reflect::set(&m, &"content_type".into(), &"object_string".into());
            }
        }
        encoded.push(&m);
    }
    Ok(Some(encoded))
}

/// A shallow copy (`Object.assign`); a throwing getter or Proxy trap is INVALID_ARGUMENT.
fn copy_of(what: &str, value: &JsValue) -> Result<Object> {
    js::assign(&Object::new(), value).map_err(|e| unreadable(what, &e))
}

fn unreadable(what: &str, _err: &JsValue) -> CozeError {
    CozeError::invalid_argument(format!("`{what}` could not be read (a getter or Proxy trap threw)"))
}

/// `JSON.stringify`, failing loudly (cycles, BigInt) instead of sending an empty body.
fn to_json(what: &str, value: &JsValue) -> Result<String> {
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| CozeError::invalid_argument(format!("{what} are not serializable to JSON")))
}

/// An optional ID-like string field: absent, or a non-empty string.
fn optional_string(params: &JsValue, key: &str) -> Result<Option<String>> {
    let v = js::try_get(params, key).map_err(|e| unreadable(key, &e))?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    id_arg(key, &v).map(Some)
}

/// `?k=v` from a params object: `strings` are non-empty strings (IDs ...), `numbers` whole
/// numbers or strings of digits.
fn query_of(o: &Options, strings: &[&str], numbers: &[&str]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for key in strings {
        if let Some(v) = o.opt_nonempty(key)? {
            out.push(((*key).to_owned(), v));
        }
    }
    for key in numbers {
        let v = o.get(key)?;
        if v.is_undefined() || v.is_null() {
            continue;
        }
        let n = v.as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15).map(|n| (n as i64).to_string());
        let digits = |s: &String| !s.is_empty() && s.len() < 16 && s.bytes().all(|b| b.is_ascii_digit());
        let n = n.or_else(|| js::text(&v).ok().flatten().filter(digits));
        out.push(((*key).to_owned(), n.ok_or_else(|| o.invalid(key, "must be a whole number"))?));
    }
    Ok(out)
}

fn path_of(path: &str, query: &[(String, String)]) -> String {
    let pairs: Vec<(&str, Option<&str>)> = query.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))).collect();
    path_with_query(path, &pairs)
}

/// An ID: a non-empty string (Coze IDs are 19-digit strings; numbers would lose precision).
fn id_arg(name: &str, value: &JsValue) -> Result<String> {
    let text = js::text(value).map_err(|why| CozeError::invalid_argument(format!("`{name}` {why}")))?;
    require_id(name, text.as_deref()).map(str::to_owned)
}

fn json_body(pairs: &[(&str, JsValue)]) -> String {
    JSON::stringify(&js::object(pairs)).map(String::from).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------

#[wasm_bindgen]
pub struct Chat {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl Chat {
    /// `for await (const part of client.chat.stream(params, {signal}))` — `{event, data}` parts.
    /// The request starts on the first iteration; errors are thrown from the loop.
    pub fn stream(&self, params: JsValue, options: JsValue) -> JsValue {
        let inner = self.inner.clone();
        let signal = signal_of(&options);
        let signal_for_stream = signal.clone().ok().flatten();
        let opener: super::stream::Opener = Box::new(move || {
            Box::pin(async move {
                let signal = signal?;
                let (path, body) = chat_request(&params, true, &inner.default_user_id)?;
                match inner.call("POST", &path, Some(body), signal.as_ref(), true).await? {
                    Reply::Stream(resp) => Ok(resp),
                    Reply::Json(_) => unreachable!("want_stream returns a stream or an error"),
                }
            })
        });
        ChatStream::new(opener, signal_for_stream).into_iterable()
    }

    /// Non-streaming chat: resolves the Chat object (status `in_progress`); poll with `retrieve`.
    pub fn create(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let (path, body) = chat_request(&params, false, &inner.default_user_id)?;
            inner.data("POST", &path, Some(body), signal.as_ref()).await
        })
    }

    /// Creates the chat and polls until completed, failed, requires_action or canceled.
    /// Options: `{signal?, pollIntervalMs? = 500, timeoutMs? = 300000}` → `{chat, messages}`.
    #[wasm_bindgen(js_name = createAndPoll)]
    pub fn create_and_poll(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let opts = Options::optional("chat.createAndPoll", &options)?;
            let interval = opts.opt_number("pollIntervalMs")?.unwrap_or(500.0).max(10.0);
            let timeout = opts.opt_number("timeoutMs")?.unwrap_or(300_000.0);
            let (path, body) = chat_request(&params, false, &inner.default_user_id)?;
            let mut chat = inner.data("POST", &path, Some(body), signal.as_ref()).await?;
            let conversation_id = id_arg("conversation_id", &js::get(&chat, "conversation_id"))?;
            let chat_id = id_arg("id", &js::get(&chat, "id"))?;
            let started = js_sys::Date::now();
            while !is_terminal_status(&js::get(&chat, "status").as_string().unwrap_or_default()) {
                if js_sys::Date::now() - started > timeout {
                    return Err(CozeError::new(
                        ErrorCode::Timeout,
                        format!(
                            "the chat did not finish within {} ms (it is still running; cancel it or poll again)",
                            timeout as i64
                        ),
                    ));
                }
                JsFuture::from(js::sleep(interval, signal.clone())).await.map_err(|_| http::aborted())?;
                let q = path_with_query(
                    "/v3/chat/retrieve",
                    &[("conversation_id", Some(&conversation_id)), ("chat_id", Some(&chat_id))],
                );
                chat = inner.data("POST", &q, None, signal.as_ref()).await?;
            }
            let q = path_with_query(
                "/v3/chat/message/list",
                &[("conversation_id", Some(&conversation_id)), ("chat_id", Some(&chat_id))],
            );
            let messages = inner.data("GET", &q, None, signal.as_ref()).await?;
            Ok(js::object(&[("chat", chat), ("messages", messages)]))
        })
    }

    pub fn retrieve(&self, conversation_id: JsValue, chat_id: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let (c, h) = (id_arg("conversation_id", &conversation_id)?, id_arg("chat_id", &chat_id)?);
            let q = path_with_query("/v3/chat/retrieve", &[("conversation_id", Some(&c)), ("chat_id", Some(&h))]);
            inner.data("POST", &q, None, signal.as_ref()).await
        })
    }

    /// Marks the chat canceled on the server. It does not stop a stream: abort that with its signal.
    pub fn cancel(&self, conversation_id: JsValue, chat_id: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let (c, h) = (id_arg("conversation_id", &conversation_id)?, id_arg("chat_id", &chat_id)?);
            let body = json_body(&[("conversation_id", c.into()), ("chat_id", h.into())]);
            inner.data("POST", "/v3/chat/cancel", Some(body), signal.as_ref()).await
        })
    }

    #[wasm_bindgen(getter)]
    pub fn messages(&self) -> ChatMessages {
        ChatMessages { inner: self.inner.clone() }
    }
}

#[wasm_bindgen]
pub struct ChatMessages {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl ChatMessages {
    pub fn list(&self, conversation_id: JsValue, chat_id: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let (c, h) = (id_arg("conversation_id", &conversation_id)?, id_arg("chat_id", &chat_id)?);
            let q = path_with_query("/v3/chat/message/list", &[("conversation_id", Some(&c)), ("chat_id", Some(&h))]);
            inner.data("GET", &q, None, signal.as_ref()).await
        })
    }
}

#[wasm_bindgen]
pub struct Conversations {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl Conversations {
    /// `{bot_id?, messages?, meta_data?}` → the conversation (`{id, created_at, meta_data, ...}`).
    pub fn create(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let params = if params.is_undefined() || params.is_null() { Object::new().into() } else { params };
            if !params.is_object() || js::is_array(&params) {
                return Err(CozeError::invalid_argument("conversations.create params must be an object"));
            }
            optional_string(&params, "bot_id")?;
            let body = match encode_messages(&params, "messages")? {
                Some(encoded) => {
                    let copy = copy_of("conversations.create params", &params)?;
                    let _ = js_sys::Reflect::set(&copy, &"messages".into(), &encoded);
                    to_json("conversations.create params", &copy)?
                }
                None => to_json("conversations.create params", &params)?,
            };
            inner.data("POST", "/v1/conversation/create", Some(body), signal.as_ref()).await
        })
    }

    pub fn retrieve(&self, conversation_id: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let c = id_arg("conversation_id", &conversation_id)?;
            let q = path_with_query("/v1/conversation/retrieve", &[("conversation_id", Some(&c))]);
            inner.data("GET", &q, None, signal.as_ref()).await
        })
    }

    #[wasm_bindgen(getter)]
    pub fn messages(&self) -> ConversationMessages {
        ConversationMessages { inner: self.inner.clone() }
    }
}

#[wasm_bindgen]
pub struct ConversationMessages {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl ConversationMessages {
    /// `(conversation_id, {order?, chat_id?, before_id?, after_id?, limit?})` → the whole reply
    /// `{data: Message[], first_id, last_id, has_more}` (Coze puts these at the top level).
    pub fn list(&self, conversation_id: JsValue, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let c = id_arg("conversation_id", &conversation_id)?;
            let q = path_with_query("/v1/conversation/message/list", &[("conversation_id", Some(&c))]);
            let o = Options::optional("conversations.messages.list", &params)?;
            query_of(&o, &["chat_id", "before_id", "after_id", "order"], &["limit"])?;
            let body = to_json("conversations.messages.list params", o.value())?;
            let reply = inner.json("POST", &q, Some(body), signal.as_ref()).await?;
            Ok(js::object(&[
                ("data", js::get(&reply, "data")),
                ("first_id", js::get(&reply, "first_id")),
                ("last_id", js::get(&reply, "last_id")),
                ("has_more", js::get(&reply, "has_more")),
            ]))
        })
    }
}

#[wasm_bindgen]
pub struct Bots {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl Bots {
    /// Bots published to the API channel: `{space_id, page_index?, page_size?}` (deprecated by Coze).
    pub fn list(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let o = Options::new("bots.list", &params)?;
            o.string("space_id")?;
            let q = query_of(&o, &["space_id"], &["page_index", "page_size"])?;
            inner.data("GET", &path_of("/v1/space/published_bots_list", &q), None, signal.as_ref()).await
        })
    }

    /// `{workspace_id, publish_status?, connector_id?, page_num?, page_size?}` → `{total, items}`.
    #[wasm_bindgen(js_name = listNew)]
    pub fn list_new(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let o = Options::new("bots.listNew", &params)?;
            o.string("workspace_id")?;
            let q = query_of(&o, &["workspace_id", "publish_status", "connector_id"], &["page_num", "page_size"])?;
            inner.data("GET", &path_of("/v1/bots", &q), None, signal.as_ref()).await
        })
    }
}

#[wasm_bindgen]
pub struct Workspaces {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl Workspaces {
    /// `{page_num?, page_size?}` → `{workspaces, total_count}`.
    pub fn list(&self, params: JsValue, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            let q = query_of(&Options::optional("workspaces.list", &params)?, &[], &["page_num", "page_size"])?;
            inner.data("GET", &path_of("/v1/workspaces", &q), None, signal.as_ref()).await
        })
    }
}

#[wasm_bindgen]
pub struct Users {
    inner: Rc<ClientInner>,
}

#[wasm_bindgen]
impl Users {
    /// The logged-in user: `{user_id, user_name, nick_name, avatar_url}`.
    pub fn me(&self, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let signal = signal_of(&options)?;
            inner.data("GET", "/v1/users/me", None, signal.as_ref()).await
        })
    }
}
