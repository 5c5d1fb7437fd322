//! HTTP plumbing: the response body type (full or streamed), response builders, request helpers.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
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
    stats: Arc<StreamStats>,
}

impl StreamBody {
    /// A body plus the sender its producer writes to. Capacity is small: back-pressure, no buffering.
    pub fn channel(stats: Arc<StreamStats>) -> (StreamBody, mpsc::Sender<StreamItem>) {
        let (tx, rx) = mpsc::channel(2);
        stats.started.fetch_add(1, Ordering::Relaxed);
        let open = stats.open.fetch_add(1, Ordering::Relaxed) + 1;
        stats.peak.fetch_max(open, Ordering::Relaxed);
        (StreamBody { rx, yielded: false, ended: false, stats }, tx)
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
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
        if !self.ended {
            self.stats.closed_by_client.fetch_add(1, Ordering::Relaxed);
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

pub fn unauthorized(msg: &str) -> Resp {
    api_error(StatusCode::UNAUTHORIZED, 4100, msg)
}

/// An OAuth-style error: `{"error","error_code","error_message","error_description"}`.
pub fn oauth_error(status: StatusCode, code: &str, description: &str) -> Resp {
    let mut r = json(
        status,
        &json!({
            "error": code,
            "error_code": code,
            "error_message": description,
            "error_description": description,
        }),
    );
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Admin-route error: HTTP 400 `{"error","error_description"}`.
pub fn admin_error(code: &str, description: &str) -> Resp {
    json(StatusCode::BAD_REQUEST, &json!({"error": code, "error_description": description}))
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
