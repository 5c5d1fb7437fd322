//! The decisions the JS driver asks for, through one text entry: [`run`] takes an operation name
//! and its arguments as a JSON object, and answers `{"v": value}` or `{"e": error}`. What to send,
//! how to read each reply, when to refresh and which error it is are all decided here; the driver
//! only performs the fetches, awaits, storage calls and locks.

use super::api::{check_envelope, is_auth_failure};
use super::authorize::{self, AuthorizeRequest};
use super::error::{CozeError, ErrorCode, Result};
use super::json::{contains, decimal, elements, json_string, Object, Value};
use super::token::{self, code_exchange_body, refresh_body, token_endpoint};
use super::{chat, endpoints, flows, pkce};

/// A login not finished within this time is refused (Coze codes live minutes, too).
const PENDING_MAX_AGE_SECONDS: i64 = 600;

/// `op` with `input` (a JSON object of its arguments) → `{"v": …}` or `{"e": …}`.
pub fn run(op: &str, input: &str) -> String {
    let Some(args) = Object::parse(input) else {
        return error_json(&CozeError::invalid_argument("not serializable to JSON"));
    };
    match decide(op, &Args(args)) {
        Ok(value) => ["{\"v\":", &value, "}"].concat(),
        Err(err) => error_json(&err),
    }
}

/// An error as the driver rebuilds it into a JS `CozeError`.
pub fn error_json(err: &CozeError) -> String {
    let mut out = String::from("{\"e\":{\"code\":");
    out.push_str(&json_string(err.code.as_str()));
    out.push_str(",\"message\":");
    out.push_str(&json_string(&err.message));
    let numbers = [("status", err.status.map(i64::from)), ("cozeCode", err.coze_code)];
    for (key, value) in numbers {
        if let Some(value) = value {
            out.push_str(&[",\"", key, "\":", &decimal(value)].concat());
        }
    }
    let texts = [
        ("msg", &err.msg),
        ("logid", &err.logid),
        ("error", &err.error),
        ("error_description", &err.error_description),
        ("raw", &err.raw),
        ("reason", &err.reason.map(str::to_owned)),
    ];
    for (key, value) in texts {
        if let Some(value) = value {
            out.push_str(&[",\"", key, "\":", &json_string(value)].concat());
        }
    }
    out.push_str("}}");
    out
}

struct Args<'a>(Object<'a>);

impl Args<'_> {
    fn text(&self, key: &str) -> Option<String> {
        self.0.str(key).map(|s| s.into_owned())
    }

    /// A string the driver always sends (validated there).
    fn string(&self, key: &str) -> String {
        self.text(key).unwrap_or_default()
    }

    fn number(&self, key: &str) -> i64 {
        self.0.integer(key).unwrap_or(0)
    }

    fn flag(&self, key: &str) -> bool {
        self.0.get(key) == Some(Value::Bool(true))
    }

    /// A URL the caller gave (`what` names it); plain http only for loopback unless `insecure`.
    fn url(&self, key: &str, what: &str) -> Result<Option<String>> {
        let url = self.text(key);
        if let Some(url) = &url {
            authorize::require_https(url, what, self.flag("insecure"))?;
        }
        Ok(url)
    }

    fn base_url(&self) -> Result<String> {
        let url = self.url("baseURL", "baseURL")?;
        authorize::normalize_base_url(url.as_deref().unwrap_or(authorize::COZE_COM_BASE_URL))
    }

    fn redirect_url(&self) -> Result<String> {
        Ok(self.url("redirectUrl", "redirectUrl")?.unwrap_or_default())
    }
}

fn bool_json(b: bool) -> String {
    (if b { "true" } else { "false" }).to_owned()
}

fn decide(op: &str, a: &Args) -> Result<String> {
    Ok(match op {
        "baseUrl" => json_string(&a.base_url()?),
        "pkce" => start_pkce(a)?,
        "challenge" => json_string(&pkce::code_challenge_s256(&a.string("verifier"))?),
        "random" => json_string(&pkce::generate_state()?),
        "callback" => {
            let cb = authorize::parse_callback(&a.string("url"), &a.string("state"))?;
            ["{\"code\":", &json_string(&cb.code), ",\"state\":", &json_string(&cb.state), "}"].concat()
        }
        "exchange" => {
            let redirect = a.redirect_url()?;
            let verifier = a.string("codeVerifier");
            // Caught here rather than sent: the server would only say "invalid grant".
            authorize::validate_redirect_uri(&redirect)?;
            pkce::validate_code_verifier(&verifier)?;
            let body = code_exchange_body(&a.string("code"), &a.string("clientId"), &redirect, &verifier)?;
            token_request(&a.base_url()?, &body, None)
        }
        "refresh" => {
            let secret = a.text("clientSecret").filter(|s| !s.is_empty());
            if secret.is_some() {
                refuse_secret(a)?;
            }
            let body = refresh_body(&a.string("clientId"), &a.string("refreshToken"))?;
            let auth = secret.map(|s| ["Bearer ", &s].concat());
            token_request(&a.base_url()?, &body, auth.as_deref())
        }
        "token" => {
            let logid = a.text("logid");
            let status = a.number("status") as u16;
            token::interpret_token_response(status, &a.string("body"), logid.as_deref(), a.number("now"))?.to_json()
        }
        "endsLogin" => bool_json(token::refresh_ends_login(&error_from(&a.0))),
        "needsRefresh" => bool_json(token::needs_refresh(a.number("expires"), a.number("now"), a.number("ahead"))),
        "bearer" => json_string(&bearer(a)?),
        "userId" => json_string(&["coze-wasm-", &pkce::generate_state()?[..16]].concat()),
        "request" => {
            let args = a.0.get("args");
            let list: Vec<Value> = match &args {
                Some(Value::Array(list)) => elements(list).collect(),
                _ => Vec::new(),
            };
            let index = a.number("endpoint") as u32;
            endpoints::request(index, &a.string("baseURL"), [list.first(), list.get(1)], &a.string("userId"))?
        }
        "streamReady" => {
            let status = a.number("status");
            bool_json((200..300).contains(&status) && contains(&a.string("type"), "text/event-stream"))
        }
        "reply" => {
            let status = a.number("status") as u16;
            let logid = a.text("logid");
            let body = a.string("body");
            match check_envelope(status, &body, logid.as_deref()) {
                Ok(()) if a.flag("stream") => {
                    return Err(CozeError::new(ErrorCode::InvalidResponse, "expected an event stream")
                        .with_status(status)
                        .with_logid(logid)
                        .with_raw(super::api::truncate(&body)))
                }
                Ok(()) => bool_json(false),
                Err(err) if a.flag("canRetry") && is_auth_failure(&err) => bool_json(true),
                Err(err) => return Err(err),
            }
        }
        "fetchFailed" => {
            return Err(if a.flag("aborted") {
                CozeError::new(ErrorCode::Aborted, "aborted")
            } else {
                let (cause, url) = (a.string("cause"), a.string("url"));
                CozeError::new(
                    ErrorCode::Network,
                    ["network error: ", &cause, " (", &url, "; reachable, CORS allowed?)"].concat(),
                )
            })
        }
        "terminal" => bool_json(chat::is_terminal_status(&a.string("status"))),
        "timeout" => {
            let ms = decimal(a.number("ms"));
            return Err(CozeError::new(ErrorCode::Timeout, ["the chat did not finish within ", &ms, " ms"].concat()));
        }
        "callbackState" => json_string(&authorize::callback_state(&a.string("url"))?),
        "callbackStates" => {
            // Joined by hand: a `[String].join` would be one more copy of std's join in the wasm.
            let mut list = String::from("[");
            for state in authorize::callback_states(&a.string("url")) {
                if list.len() > 1 {
                    list.push(',');
                }
                list.push_str(&json_string(&state));
            }
            list + "]"
        }
        "strip" => json_string(&authorize::strip_callback_params(&a.string("url"))),
        "finishLogin" => finish_login(a)?,
        "fingerprint" => json_string(&pkce::fingerprint(&a.string("token"))),
        // The JWT flow (server runtimes): see core::jwt.
        // The driver asks this only when no entry registered the JWT flow's JS (the server .wasm
        // loaded by hand through the page glue): say which entry has it.
        #[cfg(feature = "server")]
        "jwtStart" if a.flag("noDriver") && !a.flag("inBrowser") => {
            return Err(CozeError::invalid_argument(
                "getJWTToken: the JWT flow's JS is not loaded; import 'coze-wasm' (Node, Deno) or 'coze-wasm/server'",
            ))
        }
        #[cfg(feature = "server")]
        "jwtStart" => super::jwt::start(&a.0)?,
        #[cfg(feature = "server")]
        "jwtRequest" => super::jwt::request(&a.0)?,
        #[cfg(feature = "server")]
        "jwtKeyRefused" => return Err(super::jwt::key_refused(&a.0)),
        #[cfg(feature = "server")]
        "jwtReply" => super::jwt::reply(&a.0)?,
        #[cfg(not(feature = "server"))]
        "jwtStart" | "jwtRequest" | "jwtKeyRefused" | "jwtReply" => {
            return Err(CozeError::new(
                ErrorCode::JwtInBrowser,
                "getJWTToken: the page build has no JWT flow; on servers import 'coze-wasm' (Node, Deno) \
                 or 'coze-wasm/server'; in pages use PKCE",
            ))
        }
        _ => match other_flow(op, a) {
            Some(value) => value?,
            None => return Err(CozeError::invalid_argument("unknown operation")),
        },
    })
}

/// A JS `CozeError`'s fields back into a `CozeError` (to classify it).
fn error_from(o: &Object) -> CozeError {
    let code = o.str("code").unwrap_or_default();
    let code = ErrorCode::ALL.into_iter().find(|c| c.as_str() == code).unwrap_or(ErrorCode::Network);
    let mut err = CozeError::new(code, "");
    err.status = o.integer("status").and_then(|s| u16::try_from(s).ok());
    err.coze_code = o.integer("cozeCode");
    err.msg = o.str("msg").map(|s| s.into_owned());
    err.error = o.str("error").map(|s| s.into_owned());
    err.error_description = o.str("error_description").map(|s| s.into_owned());
    err
}

/// One PKCE start (getPKCEAuthenticationUrl and startLogin) → `[url, state, codeVerifier,
/// pendingLogin]`; `pendingLogin` is the record startLogin keeps until the callback.
fn start_pkce(a: &Args) -> Result<String> {
    pkce::check_challenge_method(a.text("method").as_deref())?;
    let (base_url, www, state) = authorize_start(a)?;
    let verifier = pkce::generate_code_verifier()?;
    let redirect = a.redirect_url()?;
    let client_id = a.string("clientId");
    let workspace = a.text("workspaceId");
    let url = authorize::authorize_url(&AuthorizeRequest {
        www_base_url: &www,
        client_id: &client_id,
        redirect_uri: &redirect,
        state: &state,
        code_challenge: &pkce::code_challenge_s256(&verifier)?,
        workspace_id: workspace.as_deref().filter(|w| !w.is_empty()),
    })?;
    let pending = [
        "{\"code_verifier\":",
        &json_string(&verifier),
        ",\"redirect_uri\":",
        &json_string(&redirect),
        ",\"client_id\":",
        &json_string(&client_id),
        ",\"base_url\":",
        &json_string(&base_url),
        ",\"issuer\":",
        &json_string(&www),
        ",\"created_at\":",
        &decimal(a.number("now")),
        "}",
    ]
    .concat();
    Ok([
        "[",
        &json_string(&url),
        ",",
        &json_string(&state),
        ",",
        &json_string(&verifier),
        ",",
        &json_string(&pending),
        "]",
    ]
    .concat())
}

/// An authorize URL's API base, authorize host (`wwwURL`, else derived) and state (given, else
/// generated): PKCE and the web flow alike.
fn authorize_start(a: &Args) -> Result<(String, String, String)> {
    let base_url = a.base_url()?;
    let www = match a.url("wwwURL", "wwwURL")? {
        Some(w) => authorize::normalize_base_url(&w)?,
        None => authorize::www_base_url(&base_url)?,
    };
    let state = match a.text("state") {
        Some(s) if !s.is_empty() => s,
        _ => pkce::generate_state()?,
    };
    Ok((base_url, www, state))
}

/// A client secret (the web flow, a refresh with `clientSecret`): SECRET_IN_BROWSER in a page or
/// worker, naming PKCE. The page build has no client-secret flow at all (server-only, like the JWT
/// flow), so off the page it refuses too, naming the server build.
fn refuse_secret(a: &Args) -> Result<()> {
    flows::refuse_secret_in_browser(a.flag("inBrowser"))?;
    #[cfg(not(feature = "server"))]
    return Err(CozeError::new(
        ErrorCode::SecretInBrowser,
        "the page build has no client-secret flow; on servers import 'coze-wasm' (Node, Deno) or 'coze-wasm/server'",
    ));
    #[cfg(feature = "server")]
    Ok(())
}

fn token_request(base_url: &str, body: &str, auth: Option<&str>) -> String {
    endpoints::describe("POST", &token_endpoint(base_url), Some(body), auth, "")
}

/// The Authorization header for a token from any source. A `pat_` token in a page or worker is
/// refused (anyone using the page can read it) unless the caller opted in.
fn bearer(a: &Args) -> Result<String> {
    let token = match a.text("token") {
        Some(t) if !t.trim().is_empty() => t,
        _ => return Err(CozeError::new(ErrorCode::NotLoggedIn, "the token source gave no token")),
    };
    if a.flag("inBrowser") && !a.flag("allowPat") && token.trim_start().starts_with("pat_") {
        return Err(CozeError::new(
            ErrorCode::PatInBrowser,
            "a personal access token (pat_) in a page is readable by anyone: use PKCE login, \
             or set allowPersonalAccessTokenInBrowser",
        ));
    }
    let token = token.trim();
    if token.encode_utf16().count() > 16384 || !token.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(CozeError::invalid_argument("the token is not a valid header value"));
    }
    Ok(["Bearer ", token].concat())
}

/// The callback checked against its pending login (already removed from storage) → the code
/// exchange request.
fn finish_login(a: &Args) -> Result<String> {
    let Some(pending) = a.text("pending") else {
        return Err(CozeError::new(
            ErrorCode::OAuthStateMissing,
            "no pending login for this state (used, or started elsewhere)",
        ));
    };
    let record =
        Object::parse(&pending).ok_or_else(|| CozeError::new(ErrorCode::Storage, "the pending login is corrupt"))?;
    let field = |name: &str| record.str(name).map(|s| s.into_owned()).unwrap_or_default();
    if a.number("now") - record.integer("created_at").unwrap_or(0) > PENDING_MAX_AGE_SECONDS {
        return Err(CozeError::new(ErrorCode::OAuthStateMissing, "the pending login expired; log in again"));
    }
    let url = a.string("url");
    if !authorize::is_at_redirect_uri(&url, &field("redirect_uri")) {
        return Err(CozeError::new(
            ErrorCode::OAuthRedirectMismatch,
            "the callback is not at this login's redirect_uri",
        ));
    }
    let issuer = record.str("issuer");
    let callback = authorize::parse_callback_from(&url, &a.string("state"), issuer.as_deref())?;
    let body =
        code_exchange_body(&callback.code, &field("client_id"), &field("redirect_uri"), &field("code_verifier"))?;
    Ok(token_request(&field("base_url"), &body, None))
}

/// The device code and web flows' decisions (see `flows`); `None` for an unknown op.
fn other_flow(op: &str, a: &Args) -> Option<Result<String>> {
    let decision = || -> Result<String> {
        Ok(match op {
            "deviceCode" => {
                let workspace = a.text("workspaceId");
                let url = flows::device_code_endpoint(&a.base_url()?, workspace.as_deref())?;
                let body = flows::device_code_body(&a.string("clientId"))?;
                endpoints::describe("POST", &url, Some(&body), None, "")
            }
            "deviceCodeReply" => {
                let logid = a.text("logid");
                flows::interpret_device_code(a.number("status") as u16, &a.string("body"), logid.as_deref())?
            }
            "deviceToken" => {
                let body = flows::device_token_body(&a.string("clientId"), &a.string("deviceCode"))?;
                let request = token_request(&a.base_url()?, &body, None);
                let interval = flows::first_interval(a.0.integer("interval"));
                ["[", &request, ",", &decimal(interval), "]"].concat()
            }
            "devicePoll" => {
                let logid = a.text("logid");
                let step = flows::interpret_device_poll(
                    a.number("status") as u16,
                    &a.string("body"),
                    logid.as_deref(),
                    a.number("now"),
                    a.number("interval"),
                    a.0.integer("deadline"),
                    a.flag("poll"),
                )?;
                match step {
                    flows::DevicePoll::Token(token) => ["{\"token\":", &token, "}"].concat(),
                    flows::DevicePoll::Wait { wait_ms, interval } => {
                        ["{\"wait\":", &decimal(wait_ms), ",\"interval\":", &decimal(interval), "}"].concat()
                    }
                }
            }
            // Arguments are checked first, so bad input is INVALID_ARGUMENT in every runtime and build.
            "webUrl" => {
                let (_, www, state) = authorize_start(a)?;
                let workspace = a.text("workspaceId");
                let url = authorize::web_authorize_url(
                    &www,
                    &a.string("clientId"),
                    &a.redirect_url()?,
                    &state,
                    workspace.as_deref(),
                )?;
                refuse_secret(a)?;
                ["[", &json_string(&url), ",", &json_string(&state), "]"].concat()
            }
            "webToken" => {
                let redirect = a.redirect_url()?;
                authorize::validate_redirect_uri(&redirect)?;
                let secret = a.string("clientSecret");
                if secret.trim().is_empty() || !secret.trim().bytes().all(|b| (0x21..0x7f).contains(&b)) {
                    return Err(CozeError::invalid_argument("clientSecret must be the app's secret (printable ASCII)"));
                }
                #[cfg(feature = "server")]
                {
                    let body = flows::web_code_exchange_body(&a.string("code"), &a.string("clientId"), &redirect)?;
                    let auth = ["Bearer ", secret.trim()].concat();
                    let request = token_request(&a.base_url()?, &body, Some(&auth));
                    refuse_secret(a)?;
                    request
                }
                #[cfg(not(feature = "server"))]
                {
                    a.base_url()?;
                    refuse_secret(a)?;
                    String::new() // not reached: the page build refuses every secret
                }
            }
            _ => return Err(CozeError::invalid_argument("unknown operation")),
        })
    };
    const OPS: [&str; 6] = ["deviceCode", "deviceCodeReply", "deviceToken", "devicePoll", "webUrl", "webToken"];
    OPS.contains(&op).then(decision)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(op: &str, input: &str) -> String {
        let out = run(op, input);
        let o = Object::parse(&out).unwrap_or_else(|| panic!("not JSON: {out}"));
        assert!(o.get("e").is_none(), "{op}: {out}");
        match o.get("v").unwrap() {
            Value::String(s) => s.into_owned(),
            Value::Object(v) => v.text().to_owned(),
            Value::Array(v) => v.to_owned(),
            Value::Bool(b) => b.to_string(),
            other => panic!("{other:?}"),
        }
    }

    fn err(op: &str, input: &str) -> (String, String) {
        let out = run(op, input);
        let o = Object::parse(&out).unwrap();
        let e = o.object("e").unwrap_or_else(|| panic!("{op} did not fail: {out}"));
        (e.str("code").unwrap().into_owned(), out.clone())
    }

    #[test]
    fn errors_carry_every_field_as_json() {
        let e = CozeError::coze_api(4100, "expired \"x\"").with_status(401).with_logid(Some("L".into()));
        let out = error_json(&e);
        let o = Object::parse(&out).unwrap().object("e").unwrap();
        assert_eq!(o.str("code").unwrap(), "COZE_API_ERROR");
        assert_eq!(o.integer("status"), Some(401));
        assert_eq!(o.integer("cozeCode"), Some(4100));
        assert_eq!(o.str("msg").unwrap(), "expired \"x\"");
        assert_eq!(o.str("logid").unwrap(), "L");
        assert_eq!(err("nope", "{}").0, "INVALID_ARGUMENT");
        assert_eq!(err("baseUrl", "not json").0, "INVALID_ARGUMENT");
    }

    #[test]
    fn pkce_start_gives_url_state_verifier_and_the_pending_record() {
        let out = ok(
            "pkce",
            r#"{"clientId":"c1","redirectUrl":"http://127.0.0.1:9/cb","baseURL":"https://api.coze.cn","now":100}"#,
        );
        let list: Vec<Value> = elements(&out).collect();
        let [Value::String(url), Value::String(state), Value::String(verifier), Value::String(pending)] = &list[..]
        else {
            panic!("{out}")
        };
        assert!(url.starts_with("https://www.coze.cn/api/permission/oauth2/authorize?"));
        assert!(url.contains("code_challenge_method=S256"));
        assert_eq!((state.len(), verifier.len()), (43, 43));
        let record = Object::parse(pending).unwrap();
        assert_eq!(record.str("code_verifier").unwrap(), *verifier);
        assert_eq!(record.str("base_url").unwrap(), "https://api.coze.cn");
        assert_eq!(record.integer("created_at"), Some(100));
        assert_eq!(
            err("pkce", r#"{"clientId":"c","redirectUrl":"http://x/cb","method":"plain"}"#).0,
            "UNSUPPORTED_CHALLENGE_METHOD"
        );
    }

    #[test]
    fn a_pat_is_refused_in_a_page_wherever_it_comes_from() {
        for token in ["pat_x", "  pat_x", "pat_x\t"] {
            let input = format!(r#"{{"token":{},"inBrowser":true}}"#, json_string(token));
            assert_eq!(err("bearer", &input).0, "PAT_IN_BROWSER", "{token:?}");
        }
        assert_eq!(ok("bearer", r#"{"token":"pat_x","inBrowser":true,"allowPat":true}"#), "Bearer pat_x");
        assert_eq!(ok("bearer", r#"{"token":"pat_x"}"#), "Bearer pat_x");
        assert_eq!(err("bearer", r#"{"token":"a\nb"}"#).0, "INVALID_ARGUMENT");
        assert_eq!(err("bearer", r#"{}"#).0, "NOT_LOGGED_IN");
    }

    #[test]
    fn replies_say_use_retry_or_fail() {
        let ok_body = json_string(r#"{"code":0,"data":{}}"#);
        assert_eq!(ok("reply", &format!(r#"{{"status":200,"body":{ok_body}}}"#)), "false");
        let expired = json_string(r#"{"code":4100,"msg":"expired"}"#);
        let input = format!(r#"{{"status":200,"body":{expired},"canRetry":true}}"#);
        assert_eq!(ok("reply", &input), "true", "a 4100 envelope refreshes once");
        let input = format!(r#"{{"status":200,"body":{expired}}}"#);
        assert_eq!(err("reply", &input).0, "COZE_API_ERROR", "after the retry it fails");
        assert_eq!(ok("reply", r#"{"status":401,"body":"","canRetry":true}"#), "true");
        assert_eq!(err("reply", &format!(r#"{{"status":200,"body":{ok_body},"stream":true}}"#)).0, "INVALID_RESPONSE");
        assert_eq!(ok("streamReady", r#"{"status":200,"type":"text/event-stream; charset=utf-8"}"#), "true");
        assert_eq!(ok("streamReady", r#"{"status":500,"type":"text/event-stream"}"#), "false");
    }

    #[test]
    fn a_pending_login_is_checked_before_its_code_is_sent() {
        let pending = r#"{"code_verifier":"v","redirect_uri":"http://127.0.0.1:9/cb","client_id":"c","base_url":"http://127.0.0.1:1","created_at":1000}"#;
        let input = |url: &str, now: i64, pending: Option<&str>| {
            let pending = pending.map_or(String::new(), |p| format!(r#","pending":{}"#, json_string(p)));
            format!(r#"{{"url":{},"state":"s","now":{now}{pending}}}"#, json_string(url))
        };
        let request = ok("finishLogin", &input("http://127.0.0.1:9/cb?code=C&state=s", 1100, Some(pending)));
        let request = Object::parse(&request).unwrap();
        assert_eq!(request.str("url").unwrap(), "http://127.0.0.1:1/api/permission/oauth2/token");
        assert!(request.str("body").unwrap().contains("\"code\":\"C\""));
        assert_eq!(
            err("finishLogin", &input("http://127.0.0.1:9/cb?code=C&state=s", 1100, None)).0,
            "OAUTH_STATE_MISSING"
        );
        assert_eq!(
            err("finishLogin", &input("http://127.0.0.1:9/cb?code=C&state=s", 5000, Some(pending))).0,
            "OAUTH_STATE_MISSING"
        );
        assert_eq!(
            err("finishLogin", &input("http://127.0.0.1:9/cb?code=C&state=t", 1100, Some(pending))).0,
            "OAUTH_STATE_MISMATCH"
        );
    }

    #[test]
    fn a_callback_binds_to_its_redirect_uri_and_issuer() {
        let pending = r#"{"code_verifier":"v","redirect_uri":"http://127.0.0.1:9/cb","client_id":"c","base_url":"http://127.0.0.1:1","issuer":"https://www.coze.cn","created_at":1000}"#;
        let input = |url: &str| {
            format!(r#"{{"url":{},"state":"s","now":1001,"pending":{}}}"#, json_string(url), json_string(pending))
        };
        assert!(ok("finishLogin", &input("http://127.0.0.1:9/cb?code=C&state=s")).contains("token"));
        assert!(ok("finishLogin", &input("HTTP://127.0.0.1:9/cb?code=C&state=s&iss=https%3A%2F%2Fwww.coze.cn"))
            .contains("token"));
        for elsewhere in [
            "http://127.0.0.1:9/other?code=C&state=s",
            "http://127.0.0.1:10/cb?code=C&state=s",
            "https://127.0.0.1:9/cb?code=C&state=s",
            "http://evil.test:9/cb?code=C&state=s",
        ] {
            assert_eq!(err("finishLogin", &input(elsewhere)).0, "OAUTH_REDIRECT_MISMATCH", "{elsewhere}");
        }
        let mixed_up = "http://127.0.0.1:9/cb?code=C&state=s&iss=https%3A%2F%2Fattacker.example";
        assert_eq!(err("finishLogin", &input(mixed_up)).0, "OAUTH_ISSUER_MISMATCH");
        // Checked before an error the other server claims.
        let mixed_error = "http://127.0.0.1:9/cb?error=access_denied&state=s&iss=https%3A%2F%2Fattacker.example";
        assert_eq!(err("finishLogin", &input(mixed_error)).0, "OAUTH_ISSUER_MISMATCH");
    }

    #[test]
    fn plain_http_is_refused_off_loopback_unless_allowed() {
        let pkce = |base: &str, redirect: &str, insecure: bool| {
            format!(r#"{{"clientId":"c","redirectUrl":"{redirect}","baseURL":"{base}","insecure":{insecure}}}"#)
        };
        assert_eq!(err("pkce", &pkce("http://coze.example", "https://app/cb", false)).0, "INVALID_ARGUMENT");
        assert_eq!(err("pkce", &pkce("https://api.coze.cn", "http://app.example/cb", false)).0, "INVALID_ARGUMENT");
        ok("pkce", &pkce("http://coze.example", "http://app.example/cb", true));
        ok("pkce", &pkce("http://127.0.0.1:8787", "http://localhost:8080/", false));
        assert_eq!(err("baseUrl", r#"{"baseURL":"http://10.0.0.2"}"#).0, "INVALID_ARGUMENT");
        assert_eq!(
            err("refresh", r#"{"baseURL":"http://10.0.0.2","refreshToken":"r","clientId":"c"}"#).0,
            "INVALID_ARGUMENT"
        );
        let www = r#"{"clientId":"c","redirectUrl":"https://a/cb","baseURL":"https://api.coze.cn","wwwURL":"http://www.example"}"#;
        assert_eq!(err("pkce", www).0, "INVALID_ARGUMENT");
    }

    #[test]
    fn a_client_secret_is_refused_in_a_page() {
        let input = r#"{"refreshToken":"r","clientId":"c","clientSecret":"s","inBrowser":true}"#;
        assert_eq!(err("refresh", input).0, "SECRET_IN_BROWSER");
        if cfg!(feature = "server") {
            let request = ok("refresh", r#"{"refreshToken":"r","clientId":"c","clientSecret":"s"}"#);
            assert_eq!(Object::parse(&request).unwrap().str("auth").unwrap(), "Bearer s");
        }
        // Without a secret the refresh is the same in every runtime and build.
        let request = ok("refresh", r#"{"refreshToken":"r","clientId":"c","inBrowser":true}"#);
        assert!(Object::parse(&request).unwrap().get("auth").is_none());
    }

    // `cargo test --no-default-features --lib`: the page build checks the web flow's arguments as
    // the server build does, then refuses it in every runtime (off the page naming the server build).
    #[test]
    #[cfg(not(feature = "server"))]
    fn the_page_build_has_no_client_secret_flow() {
        let url = r#"{"clientId":"c","redirectUrl":"https://a/cb"}"#;
        let token = r#"{"code":"C","clientId":"c","clientSecret":"sec","redirectUrl":"https://a/cb"}"#;
        let refresh = r#"{"refreshToken":"r","clientId":"c","clientSecret":"s"}"#;
        for (op, input) in [("webUrl", url), ("webToken", token), ("refresh", refresh)] {
            let (code, out) = err(op, input);
            assert_eq!(code, "SECRET_IN_BROWSER", "{op}");
            assert!(out.contains("page build") && out.contains("coze-wasm/server"), "{op}: {out}");
            let in_page = [&input[..input.len() - 1], r#","inBrowser":true}"#].concat();
            let (code, out) = err(op, &in_page);
            assert_eq!(code, "SECRET_IN_BROWSER", "{op}");
            assert!(out.contains("PKCE") && !out.contains("page build"), "{op}: {out}");
        }
        let bad_redirect = r#"{"clientId":"c","redirectUrl":"http://app.example/cb","inBrowser":true}"#;
        assert_eq!(err("webUrl", bad_redirect).0, "INVALID_ARGUMENT");
        let bad_secret =
            r#"{"code":"C","clientId":"c","clientSecret":"a b","redirectUrl":"https://a/cb","inBrowser":true}"#;
        assert_eq!(err("webToken", bad_secret).0, "INVALID_ARGUMENT");
        let bad_base = r#"{"code":"C","clientId":"c","clientSecret":"s","redirectUrl":"https://a/cb","baseURL":"http://10.0.0.1"}"#;
        assert_eq!(err("webToken", bad_base).0, "INVALID_ARGUMENT");
    }

    // The driver's stand-in when no entry registered the JWT flow's JS: every build and runtime
    // names what to do (not `empty_kid`, what jwt::start would say of the missing arguments).
    #[test]
    fn a_jwt_call_without_its_driver_names_the_entries() {
        let (code, out) = err("jwtStart", r#"{"inBrowser":false,"noDriver":true}"#);
        assert!(out.contains("coze-wasm/server") && !out.contains("empty_kid"), "{out}");
        assert_eq!(code, if cfg!(feature = "server") { "INVALID_ARGUMENT" } else { "JWT_IN_BROWSER" });
        assert_eq!(err("jwtStart", r#"{"inBrowser":true,"noDriver":true}"#).0, "JWT_IN_BROWSER");
    }

    #[test]
    fn device_ops_request_read_and_loop() {
        let request = ok("deviceCode", r#"{"clientId":"c","baseURL":"http://127.0.0.1:1","workspaceId":"7"}"#);
        let request = Object::parse(&request).unwrap();
        assert_eq!(request.str("url").unwrap(), "http://127.0.0.1:1/api/permission/oauth2/workspace_id/7/device/code");
        assert_eq!(request.str("body").unwrap(), r#"{"client_id":"c"}"#);
        assert_eq!(err("deviceCode", r#"{"clientId":"c","baseURL":"http://10.0.0.1"}"#).0, "INVALID_ARGUMENT");
        let start =
            ok("deviceToken", r#"{"clientId":"c","deviceCode":"d","baseURL":"http://127.0.0.1:1","interval":0}"#);
        let list: Vec<Value> = elements(&start).collect();
        assert!(matches!(&list[..], [Value::Object(_), Value::Number(n)] if *n == "1"), "{start}");
        let pending = json_string(r#"{"error":"slow_down"}"#);
        let step = ok("devicePoll", &format!(r#"{{"status":400,"body":{pending},"now":0,"interval":2,"poll":true}}"#));
        assert_eq!(step, r#"{"wait":7000,"interval":7}"#);
        let denied = json_string(r#"{"error_code":"access_denied"}"#);
        let input = format!(r#"{{"status":400,"body":{denied},"now":0,"interval":2,"poll":true}}"#);
        assert_eq!(err("devicePoll", &input).0, "OAUTH_ACCESS_DENIED");
    }

    #[test]
    #[cfg(feature = "server")]
    fn web_ops_send_the_secret_only_off_the_page() {
        let url = ok(
            "webUrl",
            r#"{"clientId":"c","redirectUrl":"https://app.example/cb","baseURL":"https://api.coze.cn","state":"s1"}"#,
        );
        let list: Vec<Value> = elements(&url).collect();
        let [Value::String(url), Value::String(state)] = &list[..] else { panic!("{url}") };
        assert_eq!(
            url.as_ref(),
            "https://www.coze.cn/api/permission/oauth2/authorize?response_type=code&client_id=c&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s1"
        );
        assert_eq!(state.as_ref(), "s1");
        let generated = ok("webUrl", r#"{"clientId":"c","redirectUrl":"https://a/cb"}"#);
        assert!(!generated.contains("code_challenge") && generated.contains("&state="));
        assert_eq!(
            err("webUrl", r#"{"clientId":"c","redirectUrl":"https://a/cb","inBrowser":true}"#).0,
            "SECRET_IN_BROWSER"
        );
        let token = r#"{"code":"C","clientId":"c","clientSecret":"sec","redirectUrl":"https://a/cb"}"#;
        let request = Object::parse(&ok("webToken", token))
            .map(|o| (o.str("auth").unwrap().into_owned(), o.str("body").unwrap().into_owned()))
            .unwrap();
        assert_eq!(request.0, "Bearer sec");
        assert!(request.1.contains("\"code\":\"C\"") && !request.1.contains("code_verifier"));
        let in_page =
            r#"{"code":"C","clientId":"c","clientSecret":"sec","redirectUrl":"https://a/cb","inBrowser":true}"#;
        assert_eq!(err("webToken", in_page).0, "SECRET_IN_BROWSER");
        let bad_secret = r#"{"code":"C","clientId":"c","clientSecret":"a b","redirectUrl":"https://a/cb"}"#;
        assert_eq!(err("webToken", bad_secret).0, "INVALID_ARGUMENT");
    }
}
