//! HTTP plumbing: the response body type (full or streamed), response builders, request helpers.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::util::new_logid;

pub type Req = Request<Incoming>;
pub type Resp = Response<Body>;

/// Counters for streamed (SSE) responses, exposed by `GET /_emulator/streams`.
#[derive(Default)]
pub struct StreamStats {
    pub started: AtomicU64,
    pub open: AtomicU64,
    /// The most streams open at once since the start.
    pub peak: AtomicU64,
    pub closed_by_client: AtomicU64,
}

impl StreamStats {
    fn opened(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
        let open = self.open.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(open, Ordering::Relaxed);
    }

    fn closed(&self, by_client: bool) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        if by_client {
            self.closed_by_client.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "open": self.open.load(Ordering::Relaxed),
            "peak": self.peak.load(Ordering::Relaxed),
            "closed_by_client": self.closed_by_client.load(Ordering::Relaxed),
            "started": self.started.load(Ordering::Relaxed),
        })
    }
}

/// What happened to one streamed response (one chat), for `GET /_emulator/chats/{chat_id}`.
#[derive(Default)]
pub struct StreamRec {
    pub open: AtomicBool,
    /// The body was dropped before its end: the client went away.
    pub closed_by_client: AtomicBool,
    /// Frames handed to hyper, and their bytes.
    pub writes: AtomicU64,
    pub bytes: AtomicU64,
}

impl StreamRec {
    pub fn to_json(&self) -> Value {
        json!({
            "open": self.open.load(Ordering::Relaxed),
            "closed_by_client": self.closed_by_client.load(Ordering::Relaxed),
            "writes": self.writes.load(Ordering::Relaxed),
            "bytes": self.bytes.load(Ordering::Relaxed),
        })
    }
}

/// The counters a stream updates: emulator-wide, the bot's, and its own record.
pub struct StreamTrack {
    pub all: Arc<StreamStats>,
    pub bot: Arc<StreamStats>,
    pub rec: Arc<StreamRec>,
}

/// What a stream producer sends to the body: bytes to write, or an error that aborts the connection.
pub type StreamItem = Result<Bytes, io::Error>;

/// The response body: a single buffer, or a channel fed by a producer task.
pub enum Body {
    Full(Option<Bytes>),
    Stream(StreamBody),
}

impl Body {
    pub fn empty() -> Body {
        Body::Full(None)
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Body {
        Body::Full(if b.is_empty() { None } else { Some(b) })
    }
}

impl From<String> for Body {
    fn from(s: String) -> Body {
        Body::from(Bytes::from(s))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(s) => s.poll(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}

/// A streamed body. After handing out a frame it reports `Pending` once (waking itself at once),
/// so hyper flushes every producer write to the socket as its own write instead of coalescing.
pub struct StreamBody {
    rx: mpsc::Receiver<StreamItem>,
    yielded: bool,
    ended: bool,
    track: StreamTrack,
}

impl StreamBody {
    /// A body plus the sender its producer writes to. Capacity is small: back-pressure, no buffering.
    pub fn channel(track: StreamTrack) -> (StreamBody, mpsc::Sender<StreamItem>) {
        let (tx, rx) = mpsc::channel(2);
        track.all.opened();
        track.bot.opened();
        track.rec.open.store(true, Ordering::Relaxed);
        (StreamBody { rx, yielded: false, ended: false, track }, tx)
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.yielded {
            self.yielded = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match self.rx.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(bytes))) => {
                self.yielded = true;
                self.track.rec.writes.fetch_add(1, Ordering::Relaxed);
                self.track.rec.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Poll::Ready(Some(Err(e))) => {
                // Server-side abort (fault injection): hyper drops the connection without the
                // chunked terminator.
                self.ended = true;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
        }
    }
}

impl Drop for StreamBody {
    fn drop(&mut self) {
        let by_client = !self.ended;
        self.track.all.closed(by_client);
        self.track.bot.closed(by_client);
        self.track.rec.open.store(false, Ordering::Relaxed);
        if by_client {
            self.track.rec.closed_by_client.store(true, Ordering::Relaxed);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Response builders. Every JSON/HTML reply carries a fresh `x-tt-logid`.

fn base(status: StatusCode, content_type: &'static str, body: Body, logid: &str) -> Resp {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(logid) {
        r.headers_mut().insert("x-tt-logid", v);
    }
    r
}

/// A JSON reply with the given status; `x-tt-logid` is `logid`.
pub fn json_with_logid(status: StatusCode, body: &Value, logid: &str) -> Resp {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
    base(status, "application/json; charset=utf-8", text.into(), logid)
}

/// A plain JSON reply (admin routes, OAuth token replies).
pub fn json(status: StatusCode, body: &Value) -> Resp {
    json_with_logid(status, body, &new_logid())
}

/// `{"code":0,"msg":"","data":...,"detail":{"logid":...}}`.
pub fn ok(data: Value) -> Resp {
    let logid = new_logid();
    json_with_logid(StatusCode::OK, &json!({"code": 0, "msg": "", "data": data, "detail": {"logid": logid}}), &logid)
}

/// A success envelope with extra top-level fields (e.g. the v1 message list's first_id/last_id/has_more).
pub fn ok_with(data: Value, extra: Value) -> Resp {
    let logid = new_logid();
    let mut body = json!({"code": 0, "msg": "", "data": data});
    if let (Some(obj), Value::Object(extra)) = (body.as_object_mut(), extra) {
        obj.extend(extra);
        obj.insert("detail".into(), json!({"logid": logid}));
    }
    json_with_logid(StatusCode::OK, &body, &logid)
}

/// An error envelope `{"code":code,"msg":msg,"detail":{"logid":...}}`.
pub fn api_error(status: StatusCode, code: i64, msg: &str) -> Resp {
    let logid = new_logid();
    json_with_logid(status, &json!({"code": code, "msg": msg, "detail": {"logid": logid}}), &logid)
}

/// Business errors are HTTP 200 with a non-zero code, as on the real API.
pub fn api_fail(code: i64, msg: &str) -> Resp {
    api_error(StatusCode::OK, code, msg)
}

/// The 4100 envelope with HTTP `status` (401, or 200 as a business error).
pub fn unauthorized_with(status: u16, msg: &str) -> Resp {
    api_error(StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED), 4100, msg)
}

/// Which field names an OAuth error body uses (coze-api.md §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthShape {
    /// `{error, error_code, error_message, error_description}`: every SDK parses it (the default).
    Both,
    /// `{error, error_description}` (device-code doc, RFC 6749; what coze-js reads).
    Error,
    /// `{error_code, error_message}` (code-flow doc table; what coze-py / coze-go read).
    ErrorCode,
}

impl OAuthShape {
    pub const NAMES: &'static [&'static str] = &["both", "error", "error_code"];

    pub fn parse(s: &str) -> Option<OAuthShape> {
        Some(match s {
            "both" => OAuthShape::Both,
            "error" => OAuthShape::Error,
            "error_code" => OAuthShape::ErrorCode,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            OAuthShape::Both => "both",
            OAuthShape::Error => "error",
            OAuthShape::ErrorCode => "error_code",
        }
    }
}

/// An OAuth-style error in the given shape (`Both`: `{"error","error_code","error_message","error_description"}`).
pub fn oauth_error_shaped(shape: OAuthShape, status: StatusCode, code: &str, description: &str) -> Resp {
    let body = match shape {
        OAuthShape::Both => json!({
            "error": code,
            "error_code": code,
            "error_message": description,
            "error_description": description,
        }),
        OAuthShape::Error => json!({"error": code, "error_description": description}),
        OAuthShape::ErrorCode => json!({"error_code": code, "error_message": description}),
    };
    let mut r = json(status, &body);
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Admin-route error: HTTP 400 `{"error","error_description"}`.
pub fn admin_error(code: &str, description: &str) -> Resp {
    admin_error_status(StatusCode::BAD_REQUEST, code, description)
}

/// Admin-route error with another status (413 too large, 429 too many, 404 unknown).
pub fn admin_error_status(status: StatusCode, code: &str, description: &str) -> Resp {
    json(status, &json!({"error": code, "error_description": description}))
}

pub fn html(status: StatusCode, page: String) -> Resp {
    let mut r = base(status, "text/html; charset=utf-8", page.into(), &new_logid());
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub fn text(status: StatusCode, body: &str) -> Resp {
    base(status, "text/plain; charset=utf-8", body.to_string().into(), &new_logid())
}

pub fn redirect(location: &str) -> Resp {
    let mut r = base(StatusCode::FOUND, "text/plain; charset=utf-8", Body::empty(), &new_logid());
    match HeaderValue::from_str(location) {
        Ok(v) => {
            r.headers_mut().insert(LOCATION, v);
        }
        Err(_) => *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR,
    }
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

// ---------------------------------------------------------------------------------------------
// Request helpers.

pub fn header<'a>(req: &'a Req, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Does the request declare `application/json` (parameters such as charset allowed)?
pub fn is_json_content_type(req: &Req) -> bool {
    header(req, "content-type")
        .map(|ct| ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// Read the whole request body (at most `MAX_BODY` bytes).
pub async fn read_body(req: Req) -> Result<Bytes, Resp> {
    let limited = http_body_util::Limited::new(req.into_body(), MAX_BODY);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(_) => Err(text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large or unreadable")),
    }
}

/// Read an admin request body of at most `limit` bytes; larger → 413 `{"error":"payload_too_large"}`.
pub async fn read_admin_body(req: Req, limit: usize) -> Result<Bytes, Resp> {
    let declared = header(&req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        admin_error_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            &format!("admin request bodies are limited to {limit} bytes"),
        )
    };
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(req.into_body(), limit);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(too_large()),
        Err(_) => Err(admin_error("invalid_request", "the request body could not be read")),
    }
}

/// Parse a JSON request body for an API route. An empty body is `{}` when `empty_ok`.
/// Anything but a JSON object is the 4000 envelope.
pub async fn read_json_object(req: Req, empty_ok: bool) -> Result<serde_json::Map<String, Value>, Resp> {
    let bytes = read_body(req).await?;
    if empty_ok && bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(api_fail(4000, "The field http body provided is not a valid json or chat request")),
    }
}

/// A string field that must be a JSON string when present (IDs must be strings). Null = absent.
pub fn opt_str_field(obj: &serde_json::Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(_)) => Err(format!("invalid parameter {name}: IDs must be strings, not numbers")),
        Some(_) => Err(format!("invalid parameter {name}: expected a string")),
    }
}
