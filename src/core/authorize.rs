//! Base URLs, the Coze authorize URL, and checking the redirect back (the "callback").
//!
//! The authorize page lives on the `www` host, token and API calls on the `api` host
//! (coze-api.md §1.1). Query values are encoded like `URLSearchParams`, with @coze/api's parameter
//! order, so URLs match what the official SDK produces for the same inputs.
//!
//! Callback checks follow RFC 9700 and oauth4webapi's `validateAuthResponse`: reject repeated
//! parameters, check `state` exactly *before* looking at `error` (an attacker can forge an error
//! redirect but not our state), then require a `code`. Codes and states never appear in errors.

use core::fmt;

use super::error::{CozeError, ErrorCode, Result};
use super::pkce::constant_time_eq;

/// Coze's official API base URLs.
pub const COZE_CN_BASE_URL: &str = "https://api.coze.cn";
pub const COZE_COM_BASE_URL: &str = "https://api.coze.com";

/// Query parameters that belong to the authorization response and are removed from the address bar.
pub const CALLBACK_PARAMS: [&str; 6] = ["code", "state", "error", "error_description", "error_uri", "iss"];

/// Parameters that must appear at most once in a callback (RFC 6749 §4.1.2 / §4.1.2.1, RFC 9207).
const SINGLE_PARAMS: [&str; 6] = CALLBACK_PARAMS;

// ---------------------------------------------------------------------------------------------
// Base URLs
// ---------------------------------------------------------------------------------------------

struct BaseUrl {
    /// "http" or "https" (lower-cased).
    scheme: &'static str,
    /// Host (lower-cased), without port.
    host: String,
    /// ":port" or "".
    port: String,
    /// Path without trailing slashes ("" for none).
    path: String,
}

impl BaseUrl {
    fn render(&self, host: &str) -> String {
        [self.scheme, "://", host, &self.port, &self.path].concat()
    }
}

/// Splits `http(s)://` off (case-insensitively) and returns the scheme and the rest.
fn split_http_scheme(url: &str) -> Option<(&'static str, &str)> {
    for (scheme, prefix) in [("https", "https://"), ("http", "http://")] {
        if url.len() >= prefix.len() && url.is_char_boundary(prefix.len()) {
            let (head, rest) = url.split_at(prefix.len());
            if head.eq_ignore_ascii_case(prefix) {
                return Some((scheme, rest));
            }
        }
    }
    None
}

/// The authority of `rest` (the part after `scheme://`): everything up to `/`, `?` or `#`.
fn split_authority(rest: &str) -> (&str, &str) {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest.split_at(end)
}

fn bad(what: &str, why: &str) -> CozeError {
    CozeError::invalid_argument([what, " ", why].concat())
}

/// Splits an authority into host and ":port", validating both. `what` names the argument.
fn split_host_port<'a>(authority: &'a str, what: &str) -> Result<(&'a str, &'a str)> {
    if authority.as_bytes().contains(&b'@') {
        return Err(bad(what, "must not hold credentials (user@host)"));
    }
    let (host, port) = if authority.starts_with('[') {
        // IPv6 literal: "[::1]" or "[::1]:8080".
        match authority.find(']') {
            Some(i) => authority.split_at(i + 1),
            None => return Err(bad(what, "has an unterminated IPv6 host")),
        }
    } else {
        match authority.find(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(bad(what, "has no host"));
    }
    if !port.is_empty() {
        let digits = &port[1..];
        if !port.starts_with(':') || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(what, "has an invalid port"));
        }
    }
    Ok((host, port))
}

fn parse_base_url(url: &str, what: &str) -> Result<BaseUrl> {
    let url = url.trim();
    if url.is_empty() {
        return Err(bad(what, "is empty"));
    }
    let Some((scheme, rest)) = split_http_scheme(url) else {
        return Err(bad(what, "must start with https:// (e.g. https://api.coze.cn)"));
    };
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(what, "must not contain spaces or control characters"));
    }
    let (authority, path) = split_authority(rest);
    let (host, port) = split_host_port(authority, what)?;
    if path.contains(['?', '#']) {
        return Err(bad(what, "must not contain a query or fragment"));
    }
    Ok(BaseUrl {
        scheme,
        host: host.to_ascii_lowercase(),
        port: port.to_owned(),
        path: path.trim_end_matches('/').to_owned(),
    })
}

/// Validates a base URL (`http://` or `https://`, a host, no query/fragment/credentials), lower-cases
/// scheme and host, and removes trailing slashes: `"https://API.coze.cn/"` → `"https://api.coze.cn"`.
pub fn normalize_base_url(url: &str) -> Result<String> {
    let base = parse_base_url(url, "base URL")?;
    Ok(base.render(&base.host))
}

/// The authorize host for an API base URL: `https://api.coze.cn` → `https://www.coze.cn`,
/// `https://api.coze.com` → `https://www.coze.com`, any other host starting with `api.` gets `www.`
/// instead (port and path kept); anything else (an emulator on `http://127.0.0.1:8080`, a
/// self-hosted server) is used unchanged.
pub fn www_base_url(api_base_url: &str) -> Result<String> {
    let base = parse_base_url(api_base_url, "base URL")?;
    match base.host.strip_prefix("api.") {
        Some(rest) if !rest.is_empty() => Ok(base.render(&["www.", rest].concat())),
        _ => Ok(base.render(&base.host)),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn push_pct(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX_UPPER[(b >> 4) as usize] as char);
    out.push(HEX_UPPER[(b & 0xF) as usize] as char);
}

/// `application/x-www-form-urlencoded` value encoding, as `URLSearchParams` does it: ASCII letters,
/// digits and `*-._` stay, space becomes `+`, every other UTF-8 byte becomes `%XX` (upper-case hex).
pub fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => push_pct(&mut out, b),
        }
    }
    out
}

/// Percent-encodes one path segment: only RFC 3986 unreserved characters stay as they are.
pub fn encode_path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => push_pct(&mut out, b),
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
enum DecodeError {
    BadEscape,
    NotUtf8,
}

/// Form decoding: `+` → space, `%XX` → byte; anything malformed is an error (no lossy guessing).
fn form_decode(s: &str) -> core::result::Result<String, DecodeError> {
    if !s.contains(['+', '%']) {
        return Ok(s.to_owned());
    }
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(DecodeError::BadEscape),
                }
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| DecodeError::NotUtf8)
}

// ---------------------------------------------------------------------------------------------
// Authorize URL
// ---------------------------------------------------------------------------------------------

/// Everything that goes into a PKCE authorize URL. `code_challenge` is the S256 challenge.
/// `Debug` hides the state (one-time, it guards the callback).
#[derive(Clone, Copy)]
pub struct AuthorizeRequest<'a> {
    pub www_base_url: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub code_challenge: &'a str,
    pub workspace_id: Option<&'a str>,
}

impl fmt::Debug for AuthorizeRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("www_base_url", &self.www_base_url)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("state", &format_args!("<redacted, {} chars>", self.state.chars().count()))
            .field("code_challenge", &self.code_challenge)
            .field("workspace_id", &self.workspace_id)
            .finish()
    }
}

/// Plain `http://` is for loopback only (RFC 9700 §2.6, the browser-based-apps BCP): anything else
/// over http is refused unless the caller opted in with `allowInsecureHttp` (`allow_insecure`).
pub fn require_https(url: &str, what: &str, allow_insecure: bool) -> Result<()> {
    let Some(("http", rest)) = split_http_scheme(url.trim()) else { return Ok(()) };
    let (authority, _) = split_authority(rest);
    let host = split_host_port(authority, what)?.0.to_ascii_lowercase();
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .strip_prefix("127.")
            .is_some_and(|r| r.split('.').count() == 3 && r.split('.').all(|p| p.parse::<u8>().is_ok()));
    if loopback || allow_insecure {
        return Ok(());
    }
    Err(bad(what, "must use https (plain http only for loopback, or set allowInsecureHttp)"))
}

/// Checks that `redirect_uri` is an absolute `http(s)` URL with a host and no fragment. The value is
/// not changed: Coze compares it byte for byte with the registered one.
pub fn validate_redirect_uri(redirect_uri: &str) -> Result<()> {
    if redirect_uri.trim().is_empty() {
        return Err(CozeError::invalid_argument("redirect_uri is required"));
    }
    let Some((_, rest)) = split_http_scheme(redirect_uri) else {
        return Err(CozeError::invalid_argument("redirect_uri must be an absolute http(s) URL, exactly as registered"));
    };
    if redirect_uri.as_bytes().contains(&b'#') {
        return Err(CozeError::invalid_argument(
            "redirect_uri must not contain '#' (percent-encode it as %23, as registered)",
        ));
    }
    let (authority, _) = split_authority(rest);
    split_host_port(authority, "redirect_uri")?;
    Ok(())
}

/// Builds `{www}/api/permission/oauth2[/workspace_id/{id}]/authorize?response_type=code&client_id=..
/// &redirect_uri=..&state=..&code_challenge=..&code_challenge_method=S256`.
pub fn authorize_url(req: &AuthorizeRequest) -> Result<String> {
    let challenge = req.code_challenge;
    if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(CozeError::invalid_argument(
            "code_challenge must be S256 of the verifier (43 base64url characters)",
        ));
    }
    let url = web_authorize_url(req.www_base_url, req.client_id, req.redirect_uri, req.state, req.workspace_id)?;
    Ok([&url, "&code_challenge=", &form_urlencode(challenge), "&code_challenge_method=S256"].concat())
}

/// The web flow's authorize URL (no PKCE parameters; coze-api.md §1.8), which the PKCE one extends:
/// `{www}/api/permission/oauth2[/workspace_id/{id}]/authorize?response_type=code&client_id=..
/// &redirect_uri=..&state=..`.
pub fn web_authorize_url(
    www_base_url: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    workspace_id: Option<&str>,
) -> Result<String> {
    let www = parse_base_url(www_base_url, "www base URL")?;
    let www = www.render(&www.host);
    if client_id.trim().is_empty() {
        return Err(CozeError::invalid_argument("client_id is required"));
    }
    validate_redirect_uri(redirect_uri)?;
    if state.is_empty() {
        return Err(CozeError::invalid_argument("state is required and must be unguessable (use generateState())"));
    }
    let path = match workspace_id {
        None => String::from("/api/permission/oauth2/authorize"),
        Some(id) if id.trim().is_empty() => {
            return Err(CozeError::invalid_argument("workspace_id must not be empty when given"))
        }
        Some(id) => ["/api/permission/oauth2/workspace_id/", &encode_path_segment(id), "/authorize"].concat(),
    };
    Ok([
        &www,
        &path,
        "?response_type=code&client_id=",
        &form_urlencode(client_id),
        "&redirect_uri=",
        &form_urlencode(redirect_uri),
        "&state=",
        &form_urlencode(state),
    ]
    .concat())
}

// ---------------------------------------------------------------------------------------------
// Callback
// ---------------------------------------------------------------------------------------------

/// A validated authorization response. `Debug` hides the code.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCallback {
    pub code: String,
    pub state: String,
}

impl fmt::Debug for AuthorizationCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCallback")
            .field("code", &format_args!("<redacted, {} chars>", self.code.chars().count()))
            .field("state", &format_args!("<redacted, {} chars>", self.state.chars().count()))
            .finish()
    }
}

/// Splits a URL (or a bare `?query`) into (before-query, query, fragment-with-#). The query is what lies
/// between the first `?` and the first `#`; a `?` inside the fragment does not start a query.
fn split_url(url: &str) -> (&str, Option<&str>, &str) {
    let (main, fragment) = match url.find('#') {
        Some(i) => url.split_at(i),
        None => (url, ""),
    };
    match main.find('?') {
        Some(i) => (&main[..i], Some(&main[i + 1..]), fragment),
        None => (main, None, fragment),
    }
}

/// (name, raw value) pairs of a query string; empty pieces are skipped. Names are decoded (a name that
/// does not decode is kept raw, so it can never match one of ours).
fn query_pairs(query: &str) -> impl Iterator<Item = (String, &str)> {
    query.split('&').filter(|p| !p.is_empty()).map(|piece| {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = form_decode(name).unwrap_or_else(|_| name.to_owned());
        (name, value)
    })
}

/// Decodes the value of callback parameter `name`; errors name the parameter, never the value.
fn decode_param(name: &str, raw: &str) -> Result<String> {
    form_decode(raw).map_err(|e| {
        CozeError::invalid_argument(match e {
            DecodeError::BadEscape => ["callback parameter `", name, "` has an invalid percent-escape"].concat(),
            DecodeError::NotUtf8 => ["callback parameter `", name, "` is not UTF-8"].concat(),
        })
    })
}

/// The callback's parameters we care about (raw values), refusing repeated ones.
fn callback_fields(url: &str) -> Result<[Option<&str>; 6]> {
    let (_, query, _) = split_url(url);
    let mut found: [Option<&str>; 6] = [None; 6];
    for (name, value) in query_pairs(query.unwrap_or("")) {
        if let Some(i) = SINGLE_PARAMS.iter().position(|p| *p == name) {
            if found[i].is_some() {
                return Err(CozeError::new(
                    ErrorCode::OAuthDuplicateParam,
                    ["the callback repeats `", &name, "`"].concat(),
                ));
            }
            found[i] = Some(value);
        }
    }
    Ok(found)
}

/// The callback's `state` (decoded), to find the pending login it answers. Repeated parameters
/// → `OAUTH_DUPLICATE_PARAM`; no state → `OAUTH_STATE_MISSING`.
pub fn callback_state(url: &str) -> Result<String> {
    present_state(callback_fields(url)?[1])
}

/// The callback's decoded state; absent or empty → `OAUTH_STATE_MISSING`. The one state check
/// `callback_state` and `parse_callback` share.
fn present_state(raw: Option<&str>) -> Result<String> {
    let state = match raw {
        Some(raw) => decode_param("state", raw)?,
        None => String::new(),
    };
    if state.is_empty() {
        return Err(CozeError::new(ErrorCode::OAuthStateMissing, "the callback has no state: no login started here"));
    }
    Ok(state)
}

/// Every non-empty `state` a callback names, decoded, whatever else is wrong with it: a
/// malformed callback (a repeated parameter) still uses up the pending logins it names.
pub fn callback_states(url: &str) -> Vec<String> {
    let (_, query, _) = split_url(url);
    let states = query_pairs(query.unwrap_or("")).filter(|(name, _)| name == "state");
    states.filter_map(|(_, raw)| form_decode(raw).ok()).filter(|s| !s.is_empty()).collect()
}

/// Validates the redirect back from the authorize page and returns its code and state.
///
/// `url` may be a full URL (`location.href`) or just `location.search`. Checks, in this order:
/// repeated `code`/`state`/`error`/`error_description`/`error_uri`/`iss` → `OAUTH_DUPLICATE_PARAM`;
/// no `state` → `OAUTH_STATE_MISSING`; empty `expected_state` → `INVALID_ARGUMENT`; a different
/// state → `OAUTH_STATE_MISMATCH`; `error=` → `OAUTH_CALLBACK_ERROR`; no or empty `code` →
/// `OAUTH_CODE_MISSING`.
pub fn parse_callback(url: &str, expected_state: &str) -> Result<AuthorizationCallback> {
    parse_callback_from(url, expected_state, None)
}

/// [`parse_callback`] for a login started at `issuer` (the authorize host): a callback that names
/// another issuer in `iss` is refused right after the state check (RFC 9207), before its `error`
/// or `code` is looked at. Without `iss` (Coze does not send one today) nothing changes.
pub fn parse_callback_from(url: &str, expected_state: &str, issuer: Option<&str>) -> Result<AuthorizationCallback> {
    let found = callback_fields(url)?;
    let [code, state, error, error_description, _error_uri, iss] = found;

    // 1. state, before anything else the redirect claims.
    let state = present_state(state)?;
    if expected_state.is_empty() {
        return Err(CozeError::invalid_argument("expected state is empty: pass the login's state"));
    }
    if !constant_time_eq(state.as_bytes(), expected_state.as_bytes()) {
        return Err(CozeError::new(ErrorCode::OAuthStateMismatch, "the callback's state is not this login's"));
    }

    // 2. the issuer, when the server names one.
    if let (Some(raw), Some(issuer)) = (iss, issuer) {
        if decode_param("iss", raw)? != issuer {
            return Err(CozeError::new(
                ErrorCode::OAuthIssuerMismatch,
                "the callback's iss is not this login's issuer",
            ));
        }
    }

    // 3. an error from the authorization server.
    if let Some(raw) = error {
        let error = decode_param("error", raw)?;
        let description = match error_description {
            Some(raw) => Some(decode_param("error_description", raw)?).filter(|d| !d.is_empty()),
            None => None,
        };
        let mut message = ["authorization failed: ", &error].concat();
        if let Some(d) = &description {
            message.push_str(&[" (", d, ")"].concat());
        }
        let mut err = CozeError::new(ErrorCode::OAuthCallbackError, message);
        err.error = Some(error);
        err.error_description = description;
        return Err(err);
    }

    // 4. the code.
    let code = match code {
        Some(raw) => decode_param("code", raw)?,
        None => String::new(),
    };
    if code.is_empty() {
        return Err(CozeError::new(
            ErrorCode::OAuthCodeMissing,
            "the callback URL has neither a code nor an error parameter",
        ));
    }
    Ok(AuthorizationCallback { code, state })
}

/// Whether `url` is an address at `redirect_uri`: scheme, host and port equal (case-insensitively)
/// and the path equal; query and fragment are ignored.
pub fn is_at_redirect_uri(url: &str, redirect_uri: &str) -> bool {
    let place = |u: &str| {
        let (before_query, _, _) = split_url(u);
        let (scheme, rest) = split_http_scheme(before_query)?;
        let (authority, path) = split_authority(rest);
        let (host, port) = split_host_port(authority, "url").ok()?;
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let port = if port == default_port { "" } else { port };
        Some((scheme, host.to_ascii_lowercase(), port.to_owned(), if path.is_empty() { "/" } else { path }.to_owned()))
    };
    matches!((place(url), place(redirect_uri)), (Some(a), Some(b)) if a == b)
}

/// Removes `code`, `state`, `error`, `error_description`, `error_uri` and `iss` from the query of
/// `url`, keeping other parameters (verbatim, in order) and the fragment; drops a `?` left empty.
/// Meant for `history.replaceState` after a callback.
pub fn strip_callback_params(url: &str) -> String {
    let (base, query, fragment) = split_url(url);
    let mut out = String::with_capacity(url.len());
    out.push_str(base);
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|piece| {
                if piece.is_empty() {
                    return false;
                }
                let name = piece.split_once('=').map_or(*piece, |(n, _)| n);
                let name = form_decode(name).unwrap_or_default();
                !CALLBACK_PARAMS.contains(&name.as_str())
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    out.push_str(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const STATE: &str = "s7Tq-_9xYz";

    fn req<'a>(www: &'a str, redirect: &'a str, workspace: Option<&'a str>) -> AuthorizeRequest<'a> {
        AuthorizeRequest {
            www_base_url: www,
            client_id: "12345678901234567890.app.coze",
            redirect_uri: redirect,
            state: STATE,
            code_challenge: CHALLENGE,
            workspace_id: workspace,
        }
    }

    fn code_of<T: fmt::Debug>(r: Result<T>) -> ErrorCode {
        r.unwrap_err().code
    }

    // ----- base URLs -----

    #[test]
    fn www_derivation() {
        assert_eq!(www_base_url(COZE_CN_BASE_URL).unwrap(), "https://www.coze.cn");
        assert_eq!(www_base_url(COZE_COM_BASE_URL).unwrap(), "https://www.coze.com");
        assert_eq!(www_base_url("https://api.coze.cn/").unwrap(), "https://www.coze.cn");
        assert_eq!(www_base_url("HTTPS://API.Coze.CN//").unwrap(), "https://www.coze.cn");
        assert_eq!(www_base_url("https://api.example.com:8443/coze/").unwrap(), "https://www.example.com:8443/coze");
        assert_eq!(www_base_url("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(www_base_url("http://localhost:8080/").unwrap(), "http://localhost:8080");
        assert_eq!(www_base_url("https://coze.internal").unwrap(), "https://coze.internal");
        assert_eq!(www_base_url("https://myapi.example.com").unwrap(), "https://myapi.example.com");
        assert_eq!(www_base_url("http://[::1]:8080").unwrap(), "http://[::1]:8080");
        assert_eq!(code_of(www_base_url("api.coze.cn")), ErrorCode::InvalidArgument);
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "https://api.coze.cn",
            "http://127.0.0.1:8787",
            "http://127.1.2.3",
            "http://localhost:3000/x",
            "http://[::1]:9",
            "http://app.localhost",
        ] {
            assert!(require_https(ok, "baseURL", false).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.coze.cn",
            "http://192.168.1.2:8787",
            "http://127.0.0.1.evil.test",
            "HTTP://example.com",
            "http://localhost.evil.test",
        ] {
            let err = require_https(bad, "baseURL", false).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad}");
            assert!(err.message.contains("baseURL") && err.message.contains("https"), "{}", err.message);
            assert!(require_https(bad, "baseURL", true).is_ok(), "allowInsecureHttp opts in: {bad}");
        }
    }

    #[test]
    fn normalize_base_url_rules() {
        assert_eq!(normalize_base_url("https://api.coze.cn/").unwrap(), "https://api.coze.cn");
        assert_eq!(normalize_base_url("  https://api.coze.com  ").unwrap(), "https://api.coze.com");
        assert_eq!(normalize_base_url("http://127.0.0.1:8080///").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(normalize_base_url("https://proxy.example.com/coze/").unwrap(), "https://proxy.example.com/coze");
        for bad in [
            "",
            "   ",
            "api.coze.cn",
            "ftp://api.coze.cn",
            "https://",
            "https:///path",
            "https://:8080",
            "https://api.coze.cn:abc",
            "https://api.coze.cn:",
            "https://user:pw@api.coze.cn",
            "https://api.coze.cn?x=1",
            "https://api.coze.cn/#frag",
            "https://api coze.cn",
            "http://[::1",
        ] {
            let err = normalize_base_url(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad:?}");
        }
    }

    // ----- encoding -----

    #[test]
    fn form_urlencode_matches_urlsearchparams() {
        assert_eq!(form_urlencode("azAZ09*-._"), "azAZ09*-._");
        assert_eq!(form_urlencode("a b~!'()&=+/?#%"), "a+b%7E%21%27%28%29%26%3D%2B%2F%3F%23%25");
        assert_eq!(form_urlencode("扣子"), "%E6%89%A3%E5%AD%90");
        assert_eq!(form_urlencode(""), "");
        assert_eq!(encode_path_segment("a b/~é"), "a%20b%2F~%C3%A9");
    }

    #[test]
    fn form_decode_rules() {
        assert_eq!(form_decode("a+b%20c%2Bd").unwrap(), "a b c+d");
        assert_eq!(form_decode("%e6%89%a3").unwrap(), "扣");
        assert_eq!(form_decode("plain").unwrap(), "plain");
        assert_eq!(form_decode("%").unwrap_err(), DecodeError::BadEscape);
        assert_eq!(form_decode("%4").unwrap_err(), DecodeError::BadEscape);
        assert_eq!(form_decode("%zz").unwrap_err(), DecodeError::BadEscape);
        assert_eq!(form_decode("%FF").unwrap_err(), DecodeError::NotUtf8);
    }

    // ----- authorize URL -----

    #[test]
    fn authorize_url_cn() {
        let url = authorize_url(&req("https://www.coze.cn", "https://app.example.com/callback", None)).unwrap();
        assert_eq!(
            url,
            "https://www.coze.cn/api/permission/oauth2/authorize?response_type=code\
             &client_id=12345678901234567890.app.coze&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback\
             &state=s7Tq-_9xYz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
    }

    #[test]
    fn authorize_url_com_with_derived_www() {
        let www = www_base_url(COZE_COM_BASE_URL).unwrap();
        let url = authorize_url(&req(&www, "http://localhost:5173/", None)).unwrap();
        assert_eq!(
            url,
            "https://www.coze.com/api/permission/oauth2/authorize?response_type=code\
             &client_id=12345678901234567890.app.coze&redirect_uri=http%3A%2F%2Flocalhost%3A5173%2F\
             &state=s7Tq-_9xYz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
    }

    #[test]
    fn authorize_url_emulator_with_query_spaces_and_unicode() {
        let url =
            authorize_url(&req("http://127.0.0.1:8080/", "http://127.0.0.1:3000/cb?from=a b&名=扣子", None)).unwrap();
        assert_eq!(
            url,
            "http://127.0.0.1:8080/api/permission/oauth2/authorize?response_type=code\
             &client_id=12345678901234567890.app.coze\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcb%3Ffrom%3Da+b%26%E5%90%8D%3D%E6%89%A3%E5%AD%90\
             &state=s7Tq-_9xYz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
    }

    #[test]
    fn authorize_url_workspace_scoped() {
        let url = authorize_url(&req("https://www.coze.cn", "https://app.example.com/cb", Some("7485 12/3"))).unwrap();
        assert_eq!(
            url,
            "https://www.coze.cn/api/permission/oauth2/workspace_id/7485%2012%2F3/authorize?response_type=code\
             &client_id=12345678901234567890.app.coze&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb\
             &state=s7Tq-_9xYz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
        let url = authorize_url(&req("https://www.coze.cn", "https://app.example.com/cb", Some("7485123"))).unwrap();
        assert!(url.starts_with(
            "https://www.coze.cn/api/permission/oauth2/workspace_id/7485123/authorize?response_type=code&"
        ));
    }

    #[test]
    fn authorize_url_encodes_client_id_and_state() {
        let mut r = req("https://www.coze.cn", "https://a.example/cb", None);
        r.client_id = "id with space";
        r.state = "a+b/c=";
        let url = authorize_url(&r).unwrap();
        assert!(url.contains("&client_id=id+with+space&"), "{url}");
        assert!(url.contains("&state=a%2Bb%2Fc%3D&"), "{url}");
    }

    #[test]
    fn authorize_url_validation() {
        let ok = req("https://www.coze.cn", "https://a.example/cb", None);
        let mut r = ok;
        r.client_id = "";
        assert!(authorize_url(&r).unwrap_err().message.contains("client_id"));
        let mut r = ok;
        r.client_id = "  ";
        assert_eq!(code_of(authorize_url(&r)), ErrorCode::InvalidArgument);
        for bad in
            ["", "/callback", "a.example/cb", "ftp://a.example/cb", "https://", "https:///cb", "custom-scheme://cb"]
        {
            let mut r = ok;
            r.redirect_uri = bad;
            let err = authorize_url(&r).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad:?}");
            assert!(err.message.contains("redirect_uri"), "{bad:?}: {}", err.message);
        }
        let mut r = ok;
        r.redirect_uri = "https://a.example/cb#/route";
        let err = authorize_url(&r).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.contains("%23"), "{}", err.message);
        let mut r = ok;
        r.state = "";
        let err = authorize_url(&r).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.contains("state is required"));
        for bad in
            ["", "short", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk=", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"]
        {
            let mut r = ok;
            r.code_challenge = bad;
            assert!(authorize_url(&r).unwrap_err().message.contains("code_challenge"), "{bad:?}");
        }
        let mut r = ok;
        r.workspace_id = Some("");
        assert!(authorize_url(&r).unwrap_err().message.contains("workspace_id"));
        let mut r = ok;
        r.www_base_url = "www.coze.cn";
        assert!(authorize_url(&r).unwrap_err().message.contains("www base URL"));
    }

    #[test]
    fn redirect_uri_validation_direct() {
        assert!(validate_redirect_uri("HTTPS://a.example").is_ok());
        assert!(validate_redirect_uri("http://localhost:3000/cb?x=%23").is_ok());
        assert!(validate_redirect_uri("https://a.example?x").is_ok());
        assert!(validate_redirect_uri("https://?x").is_err());
        assert!(validate_redirect_uri("https://a.example:x/cb").is_err());
    }

    // ----- callback -----

    fn cb(url: &str) -> Result<AuthorizationCallback> {
        parse_callback(url, STATE)
    }

    #[test]
    fn callback_happy_path() {
        let c = cb("https://app.example.com/cb?code=code_abc123&state=s7Tq-_9xYz").unwrap();
        assert_eq!(c, AuthorizationCallback { code: "code_abc123".into(), state: STATE.into() });
        // Just the query string, extra params, params in any order, iss tolerated.
        let c = cb("?foo=1&state=s7Tq-_9xYz&iss=https%3A%2F%2Fwww.coze.cn&code=c2").unwrap();
        assert_eq!(c.code, "c2");
        // Empty pieces are skipped.
        assert_eq!(cb("?&&code=c3&&state=s7Tq-_9xYz&").unwrap().code, "c3");
    }

    #[test]
    fn authorize_request_debug_redacts_state() {
        let r =
            AuthorizeRequest { state: "state_topsecret", ..req("https://www.coze.cn", "https://a.example/cb", None) };
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("topsecret"), "{dbg}");
        assert!(dbg.contains("<redacted, 15 chars>") && dbg.contains(CHALLENGE) && dbg.contains("a.example"), "{dbg}");
    }

    #[test]
    fn callback_debug_redacts() {
        let c = cb("?code=code_topsecret&state=s7Tq-_9xYz").unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("topsecret") && !dbg.contains(STATE), "{dbg}");
        assert!(dbg.contains("<redacted, 14 chars>"), "{dbg}");
    }

    #[test]
    fn callback_decoding() {
        let c = parse_callback("?code=a+b%2Bc%25&state=x%20y+%E6%89%A3", "x y 扣").unwrap();
        assert_eq!(c.code, "a b+c%");
        assert_eq!(c.state, "x y 扣");
        // Encoded parameter names count too.
        let c = cb("?%63ode=c1&st%61te=s7Tq-_9xYz").unwrap();
        assert_eq!(c.code, "c1");
    }

    #[test]
    fn callback_fragment_is_ignored() {
        let c = cb("https://a.example/cb?code=c1&state=s7Tq-_9xYz#code=evil&state=other").unwrap();
        assert_eq!(c.code, "c1");
        // Parameters only in the fragment are not a query.
        let err = cb("https://a.example/cb#code=c1&state=s7Tq-_9xYz").unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthStateMissing);
        // A '?' after '#' belongs to the fragment.
        let err = cb("https://a.example/cb#/route?code=c1&state=s7Tq-_9xYz").unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthStateMissing);
    }

    #[test]
    fn callback_state_missing_and_mismatch() {
        assert_eq!(code_of(cb("https://a.example/cb?code=c1")), ErrorCode::OAuthStateMissing);
        assert_eq!(code_of(cb("https://a.example/cb")), ErrorCode::OAuthStateMissing);
        assert_eq!(code_of(cb("?code=c1&state=")), ErrorCode::OAuthStateMissing);
        assert_eq!(code_of(cb("?code=c1&state")), ErrorCode::OAuthStateMissing);
        let err = cb("?code=code_xyz&state=attacker").unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthStateMismatch);
        assert!(!err.message.contains("attacker") && !err.message.contains(STATE) && !err.message.contains("code_xyz"));
        // Prefix / case differences are mismatches (exact compare).
        assert_eq!(code_of(cb("?code=c&state=s7Tq-_9xY")), ErrorCode::OAuthStateMismatch);
        assert_eq!(code_of(cb("?code=c&state=S7TQ-_9XYZ")), ErrorCode::OAuthStateMismatch);
    }

    #[test]
    fn callback_empty_expected_state() {
        let err = parse_callback("?code=c1&state=abc", "").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        // A missing state is still reported as such.
        assert_eq!(code_of(parse_callback("?code=c1", "")), ErrorCode::OAuthStateMissing);
    }

    #[test]
    fn callback_error_after_state_check() {
        let err =
            cb("?error=access_denied&error_description=The+user+denied+the+request&state=s7Tq-_9xYz").unwrap_err();
        assert_eq!(err.code, ErrorCode::OAuthCallbackError);
        assert_eq!(err.error.as_deref(), Some("access_denied"));
        assert_eq!(err.error_description.as_deref(), Some("The user denied the request"));
        assert_eq!(err.message, "authorization failed: access_denied (The user denied the request)");
        let err = cb("?error=access_denied&state=s7Tq-_9xYz").unwrap_err();
        assert_eq!(err.message, "authorization failed: access_denied");
        assert_eq!(err.error_description, None);
        // Error wins over a code that is also present.
        assert_eq!(code_of(cb("?error=server_error&code=c1&state=s7Tq-_9xYz")), ErrorCode::OAuthCallbackError);
        // A forged error with the wrong state (or none) is a state problem, not a login error.
        assert_eq!(code_of(cb("?error=access_denied&state=nope")), ErrorCode::OAuthStateMismatch);
        assert_eq!(code_of(cb("?error=access_denied")), ErrorCode::OAuthStateMissing);
        // A bad escape in error_description after a wrong state does not mask the mismatch.
        assert_eq!(code_of(cb("?error=x&error_description=%zz&state=nope")), ErrorCode::OAuthStateMismatch);
    }

    #[test]
    fn callback_duplicates() {
        for name in ["code", "state", "error", "error_description", "error_uri", "iss"] {
            let url = format!("?code=c1&state=s7Tq-_9xYz&{name}=again&{name}=twice");
            let url = url.replacen("code=c1&", if name == "code" { "" } else { "code=c1&" }, 1);
            let url = url.replacen("state=s7Tq-_9xYz&", if name == "state" { "" } else { "state=s7Tq-_9xYz&" }, 1);
            let err = cb(&url).unwrap_err();
            assert_eq!(err.code, ErrorCode::OAuthDuplicateParam, "{url}");
            assert!(err.message.contains(&format!("`{name}`")), "{}", err.message);
            assert!(!err.message.contains("again") && !err.message.contains("twice"));
        }
        // Duplicates are checked before state: two identical states are still refused.
        assert_eq!(code_of(cb("?code=c1&state=s7Tq-_9xYz&state=s7Tq-_9xYz")), ErrorCode::OAuthDuplicateParam);
        // An encoded duplicate name counts.
        assert_eq!(code_of(cb("?code=a&%63ode=b&state=s7Tq-_9xYz")), ErrorCode::OAuthDuplicateParam);
        // Other parameters may repeat.
        assert!(cb("?x=1&x=2&code=c1&state=s7Tq-_9xYz").is_ok());
    }

    #[test]
    fn callback_code_missing_or_empty() {
        assert_eq!(code_of(cb("?state=s7Tq-_9xYz")), ErrorCode::OAuthCodeMissing);
        assert_eq!(code_of(cb("?code=&state=s7Tq-_9xYz")), ErrorCode::OAuthCodeMissing);
        assert_eq!(code_of(cb("?code&state=s7Tq-_9xYz")), ErrorCode::OAuthCodeMissing);
    }

    #[test]
    fn callback_invalid_escapes() {
        let err = cb("?code=c%zz1&state=s7Tq-_9xYz").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.contains("`code`") && err.message.contains("percent-escape"), "{}", err.message);
        assert!(!err.message.contains("c%zz1"));
        let err = cb("?code=c1&state=s7Tq%").unwrap_err();
        assert!(err.message.contains("`state`"), "{}", err.message);
        let err = cb("?code=%FF%FE&state=s7Tq-_9xYz").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.contains("UTF-8"), "{}", err.message);
        let err = cb("?error=%C3&state=s7Tq-_9xYz").unwrap_err();
        assert!(err.message.contains("`error`"), "{}", err.message);
        // Unrelated parameters with bad escapes are not our business.
        assert!(cb("?foo=%zz&code=c1&state=s7Tq-_9xYz").is_ok());
        assert!(cb("?f%zz=1&code=c1&state=s7Tq-_9xYz").is_ok());
    }

    // ----- strip -----

    #[test]
    fn strip_callback_params_cases() {
        assert_eq!(strip_callback_params("https://a.example/cb?code=c&state=s"), "https://a.example/cb");
        assert_eq!(
            strip_callback_params("https://a.example/cb?x=1&code=c&y=2&state=s"),
            "https://a.example/cb?x=1&y=2"
        );
        assert_eq!(
            strip_callback_params(
                "https://a.example/cb?error=access_denied&error_description=no&error_uri=u&iss=i&state=s#/page"
            ),
            "https://a.example/cb#/page"
        );
        assert_eq!(
            strip_callback_params("https://a.example/cb?b=%20&code=c#frag?code=x"),
            "https://a.example/cb?b=%20#frag?code=x"
        );
        assert_eq!(strip_callback_params("https://a.example/cb"), "https://a.example/cb");
        assert_eq!(strip_callback_params("https://a.example/cb?"), "https://a.example/cb");
        assert_eq!(strip_callback_params("https://a.example/cb#x"), "https://a.example/cb#x");
        assert_eq!(strip_callback_params("?code=c&keep=1"), "?keep=1");
        assert_eq!(strip_callback_params("/cb?%63ode=c&codes=1&state"), "/cb?codes=1");
    }

    #[test]
    fn callback_state_finds_the_pending_login_key() {
        assert_eq!(callback_state("https://app.example/cb?code=c&state=a%2Bb").unwrap(), "a+b");
        assert_eq!(callback_state("?code=c").unwrap_err().code, ErrorCode::OAuthStateMissing);
        assert_eq!(callback_state("?state=&code=c").unwrap_err().code, ErrorCode::OAuthStateMissing);
        assert_eq!(callback_state("?state=a&state=b").unwrap_err().code, ErrorCode::OAuthDuplicateParam);
    }

    #[test]
    fn callback_states_names_every_login_a_malformed_callback_claims() {
        assert_eq!(callback_states("https://app.example/cb?code=c&state=a%2Bb&code=d"), ["a+b"]);
        assert_eq!(callback_states("?st%61te=a&code=c&state=b#state=f"), ["a", "b"]);
        assert_eq!(callback_states("?state=&state=%ZZ&code=c"), Vec::<String>::new());
    }
}
