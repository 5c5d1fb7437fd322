//! Error kinds with stable string codes. Every failure the library reports is a `CozeError`;
//! the web layer turns it into a JS `CozeError` (an `Error` subclass) with the same fields.

use core::fmt;

/// Stable, documented error codes. The string form (`as_str`) is public API: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The caller passed something unusable (wrong type, missing field, empty id ...).
    InvalidArgument,
    /// `code_challenge_method: 'plain'` (or anything but S256) was requested.
    UnsupportedChallengeMethod,
    /// The callback's `state` differs from the expected one.
    OAuthStateMismatch,
    /// The callback carries no `state`, or there is no pending login for it.
    OAuthStateMissing,
    /// The callback repeats a parameter (`code`, `state`, `error` ...).
    OAuthDuplicateParam,
    /// The callback has neither `code` nor `error`.
    OAuthCodeMissing,
    /// The callback's `iss` is not the issuer the login was started with (RFC 9207 mix-up).
    OAuthIssuerMismatch,
    /// The callback arrived at another address than the login's `redirect_uri`.
    OAuthRedirectMismatch,
    /// The authorization server redirected back with `error=` (e.g. `access_denied`).
    OAuthCallbackError,
    /// The token endpoint answered with an OAuth error (`error` / `error_code`).
    OAuthTokenError,
    /// There is no token to use (not logged in, or storage was cleared after a failed refresh).
    NotLoggedIn,
    /// A Coze API envelope with `code != 0`, or an HTTP error status.
    CozeApiError,
    /// The server's reply could not be understood (not JSON, wrong shape); `raw` holds the body.
    InvalidResponse,
    /// fetch itself failed (DNS, refused connection, CORS).
    Network,
    /// The caller's AbortSignal fired.
    Aborted,
    /// A polling or waiting operation ran out of time.
    Timeout,
    /// The event stream ended (or the connection dropped) before `done`.
    StreamTruncated,
    /// The server sent an `error` event.
    StreamErrorEvent,
    /// An event's `data` was not the JSON it must be.
    MalformedEvent,
    /// One SSE event grew beyond the configured maximum size.
    EventTooLarge,
    /// `conversation.chat.failed`: the chat failed on the server; `last_error` is in code/msg.
    ChatFailed,
    /// A personal access token was used in a browser without opting in.
    PatInBrowser,
    /// sessionStorage / custom storage failed or is unavailable.
    Storage,
    /// No secure random number generator (`crypto.getRandomValues` / OS RNG) was available.
    Crypto,
    /// Device flow: the user pressed Deny (`access_denied`).
    OAuthAccessDenied,
    /// Device flow: the device code expired before the user allowed it (`expired_token`).
    OAuthExpiredToken,
    /// A client secret (web flow) in a page or a Web Worker, where anyone can read it.
    SecretInBrowser,
    /// getJWTToken in a page or a Web Worker: the private key would be readable there.
    JwtInBrowser,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "INVALID_ARGUMENT",
            Self::UnsupportedChallengeMethod => "UNSUPPORTED_CHALLENGE_METHOD",
            Self::OAuthStateMismatch => "OAUTH_STATE_MISMATCH",
            Self::OAuthStateMissing => "OAUTH_STATE_MISSING",
            Self::OAuthDuplicateParam => "OAUTH_DUPLICATE_PARAM",
            Self::OAuthCodeMissing => "OAUTH_CODE_MISSING",
            Self::OAuthIssuerMismatch => "OAUTH_ISSUER_MISMATCH",
            Self::OAuthRedirectMismatch => "OAUTH_REDIRECT_MISMATCH",
            Self::OAuthCallbackError => "OAUTH_CALLBACK_ERROR",
            Self::OAuthTokenError => "OAUTH_TOKEN_ERROR",
            Self::NotLoggedIn => "NOT_LOGGED_IN",
            Self::CozeApiError => "COZE_API_ERROR",
            Self::InvalidResponse => "INVALID_RESPONSE",
            Self::Network => "NETWORK",
            Self::Aborted => "ABORTED",
            Self::Timeout => "TIMEOUT",
            Self::StreamTruncated => "STREAM_TRUNCATED",
            Self::StreamErrorEvent => "STREAM_ERROR_EVENT",
            Self::MalformedEvent => "MALFORMED_EVENT",
            Self::EventTooLarge => "EVENT_TOO_LARGE",
            Self::ChatFailed => "CHAT_FAILED",
            Self::PatInBrowser => "PAT_IN_BROWSER",
            Self::Storage => "STORAGE",
            Self::Crypto => "CRYPTO_UNAVAILABLE",
            Self::OAuthAccessDenied => "OAUTH_ACCESS_DENIED",
            Self::OAuthExpiredToken => "OAUTH_EXPIRED_TOKEN",
            Self::SecretInBrowser => "SECRET_IN_BROWSER",
            Self::JwtInBrowser => "JWT_IN_BROWSER",
        }
    }

    pub const ALL: [ErrorCode; 28] = [
        Self::InvalidArgument,
        Self::UnsupportedChallengeMethod,
        Self::OAuthStateMismatch,
        Self::OAuthStateMissing,
        Self::OAuthDuplicateParam,
        Self::OAuthCodeMissing,
        Self::OAuthIssuerMismatch,
        Self::OAuthRedirectMismatch,
        Self::OAuthCallbackError,
        Self::OAuthTokenError,
        Self::NotLoggedIn,
        Self::CozeApiError,
        Self::InvalidResponse,
        Self::Network,
        Self::Aborted,
        Self::Timeout,
        Self::StreamTruncated,
        Self::StreamErrorEvent,
        Self::MalformedEvent,
        Self::EventTooLarge,
        Self::ChatFailed,
        Self::PatInBrowser,
        Self::Storage,
        Self::Crypto,
        Self::OAuthAccessDenied,
        Self::OAuthExpiredToken,
        Self::SecretInBrowser,
        Self::JwtInBrowser,
    ];
}

/// One failure, with whatever the server told us about it.
#[derive(Clone, PartialEq, Eq)]
pub struct CozeError {
    pub code: ErrorCode,
    pub message: String,
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Coze's numeric envelope / last_error code (e.g. 4101).
    pub coze_code: Option<i64>,
    /// Coze's `msg` (or OAuth `error_message`).
    pub msg: Option<String>,
    /// `detail.logid` or the `x-tt-logid` header.
    pub logid: Option<String>,
    /// OAuth `error` / `error_code`.
    pub error: Option<String>,
    /// OAuth `error_description`.
    pub error_description: Option<String>,
    /// The raw body (or event data) when it could not be parsed.
    pub raw: Option<String>,
    /// Why a JWT was refused (or would be), a stable snake_case word: see `core::jwt`.
    pub reason: Option<&'static str>,
}

impl CozeError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: None,
            coze_code: None,
            msg: None,
            logid: None,
            error: None,
            error_description: None,
            raw: None,
            reason: None,
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidArgument, message)
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    pub fn with_logid(mut self, logid: Option<String>) -> Self {
        if logid.is_some() {
            self.logid = logid;
        }
        self
    }

    pub fn with_raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }

    /// A Coze envelope error (`{code,msg}`), with a hint where Coze's message is known to mislead.
    pub fn coze_api(coze_code: i64, msg: impl Into<String>) -> Self {
        let msg = msg.into();
        let mut message = ["Coze API error ", &super::json::decimal(coze_code), ": ", &msg].concat();
        if coze_code == 4101 {
            message.push_str(REGION_HINT);
        }
        let mut err = Self::new(ErrorCode::CozeApiError, message);
        err.coze_code = Some(coze_code);
        err.msg = Some(msg);
        err
    }
}

/// 4101 means both "wrong token" and "token from the other region"; every SDK defaults to COM.
pub const REGION_HINT: &str = " (coze.cn tokens need baseURL https://api.coze.cn, coze.com ones https://api.coze.com)";

impl fmt::Display for CozeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if let Some(logid) = &self.logid {
            write!(f, " (logid {logid})")?;
        }
        Ok(())
    }
}

// Debug mirrors Display but never prints `raw`: a raw body may carry tokens.
impl fmt::Debug for CozeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CozeError")
            .field("code", &self.code.as_str())
            .field("message", &self.message)
            .field("status", &self.status)
            .field("coze_code", &self.coze_code)
            .field("logid", &self.logid)
            .field("error", &self.error)
            .field("raw_bytes", &self.raw.as_ref().map(String::len))
            .finish()
    }
}

impl std::error::Error for CozeError {}

pub type Result<T, E = CozeError> = core::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_screaming_snake() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(s.chars().all(|c| c.is_ascii_uppercase() || c == '_'), "{s}");
        }
    }

    #[test]
    fn region_hint_on_4101_only() {
        assert!(CozeError::coze_api(4101, "bad token").message.contains("api.coze.cn"));
        assert!(!CozeError::coze_api(4000, "bad").message.contains("hint"));
        assert_eq!(CozeError::coze_api(4101, "x").coze_code, Some(4101));
    }

    #[test]
    fn debug_hides_raw_body() {
        let e = CozeError::new(ErrorCode::InvalidResponse, "x").with_raw("access_token=secret");
        assert!(!format!("{e:?}").contains("secret"));
    }
}
