//! Files: `POST /v1/files/upload` (`multipart/form-data`, field `file`, parsed by `multer`) and
//! `GET /v1/files/retrieve` (coze-api.md "Files"), and what the bots make of `object_string`
//! messages that reference them.
//!
//! What is kept per file is what a bot can talk about — name, size, SHA-256 — not the bytes, for
//! the `max_files` most recently used files (LRU). Per-client upload rules (`POST
//! /_emulator/uploads`) make uploads slow (for progress and abort tests) or faulty.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::chat::EnterMessage;
use crate::http::{self, admin_error, api_error, api_fail, header, Body, Req, Resp};
use crate::router::Ctx;
use crate::util::{hex, new_id, now_secs, Params};
use crate::App;

/// One uploaded file, as `files/retrieve` and the bots see it.
#[derive(Clone, Debug)]
pub struct FileRec {
    pub id: String,
    pub file_name: String,
    pub bytes: u64,
    pub created_at: u64,
    pub sha256: String,
}

impl FileRec {
    fn to_json(&self) -> Value {
        json!({"id": self.id, "bytes": self.bytes, "created_at": self.created_at, "file_name": self.file_name})
    }
}

/// An injected upload failure (`POST /_emulator/uploads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadFault {
    /// Read about half of the body, then cut the connection (no reply).
    Drop,
    /// HTTP 500 with the error envelope.
    Http500,
    /// HTTP 200 with an HTML page instead of the envelope (a portal or a misrouted proxy).
    Html200,
}

impl UploadFault {
    const NAMES: &'static [&'static str] = &["drop", "http_500", "html_200"];

    fn parse(s: &str) -> Option<UploadFault> {
        Some(match s {
            "drop" => UploadFault::Drop,
            "http_500" => UploadFault::Http500,
            "html_200" => UploadFault::Html200,
            _ => return None,
        })
    }
}

/// How uploads of one client (or of the PAT, key `""`) behave.
#[derive(Clone, Debug, Default)]
pub struct UploadRule {
    pub fault: Option<UploadFault>,
    /// `None`: every upload; `Some(n)`: the next n, then the fault is gone.
    pub times: Option<u64>,
    /// A smaller size limit than the server's, for 413 tests without huge bodies.
    pub max_bytes: Option<u64>,
    /// Read the body at this rate (a slow network), so that upload progress is observable.
    pub read_bytes_per_second: Option<u64>,
}

/// What happened to one client's uploads (`GET /_emulator/uploads?client_id=`).
#[derive(Clone, Debug, Default)]
pub struct UploadStats {
    pub started: u64,
    pub completed: u64,
    /// The client went away (abort, network) before the body was complete.
    pub interrupted: u64,
    pub refused: u64,
}

/// The file records (LRU-bounded), plus the per-client rules and counters.
#[derive(Default)]
pub struct Files {
    by_id: HashMap<String, (u64, FileRec)>,
    by_use: BTreeMap<u64, String>,
    tick: u64,
    rules: HashMap<String, UploadRule>,
    stats: HashMap<String, UploadStats>,
}

/// Per-client maps are bounded too: test runs register thousands of clients.
const MAX_RULES: usize = 10_000;

impl Files {
    fn touch(&mut self, id: &str) -> Option<FileRec> {
        let (tick, rec) = self.by_id.get_mut(id)?;
        self.by_use.remove(tick);
        self.tick += 1;
        *tick = self.tick;
        self.by_use.insert(self.tick, id.to_owned());
        Some(rec.clone())
    }

    pub fn insert(&mut self, rec: FileRec, max_files: usize) {
        while self.by_id.len() >= max_files.max(1) {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            self.by_id.remove(&oldest);
        }
        self.tick += 1;
        self.by_use.insert(self.tick, rec.id.clone());
        self.by_id.insert(rec.id.clone(), (self.tick, rec));
    }

    /// A file by id (it becomes the most recently used).
    pub fn get(&mut self, id: &str) -> Option<FileRec> {
        self.touch(id)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// The rule for this upload; a limited fault counts down.
    fn take_rule(&mut self, key: &str) -> UploadRule {
        let Some(rule) = self.rules.get_mut(key) else { return UploadRule::default() };
        let current = rule.clone();
        if let (Some(_), Some(n)) = (rule.fault, rule.times) {
            if n <= 1 {
                rule.fault = None;
                rule.times = None;
            } else {
                rule.times = Some(n - 1);
            }
        }
        current
    }

    fn stats_mut(&mut self, key: &str) -> &mut UploadStats {
        if !self.stats.contains_key(key) && self.stats.len() >= MAX_RULES {
            self.stats.clear();
        }
        self.stats.entry(key.to_owned()).or_default()
    }
}

fn too_large(limit: u64) -> Resp {
    // Coze does not document its reply to an oversized file; an HTTP 413 with the envelope is
    // what a gateway in front of an API like this typically sends.
    api_error(StatusCode::PAYLOAD_TOO_LARGE, 4000, &format!("file too large: the limit is {limit} bytes"))
}

/// A reply that never completes: the headers, then the connection is cut.
fn dropped_connection() -> Resp {
    let track = http::StreamTrack { all: Default::default(), bot: Default::default(), rec: Default::default() };
    let (body, tx) = http::StreamBody::channel(track);
    let _ = tx.try_send(Err(std::io::Error::other("emulated network drop")));
    let mut r = Response::new(Body::Stream(body));
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn client_key(ctx: &Ctx) -> String {
    ctx.client_id.clone().unwrap_or_default()
}

/// `POST /v1/files/upload`.
pub async fn upload(app: &Arc<App>, ctx: &Ctx, req: Req) -> Resp {
    let key = client_key(ctx);
    let rule = {
        let mut files = app.files();
        files.stats_mut(&key).started += 1;
        files.take_rule(&key)
    };
    let refused = |resp: Resp| {
        app.files().stats_mut(&key).refused += 1;
        resp
    };
    match rule.fault {
        Some(UploadFault::Http500) => {
            drain_body(req).await;
            return refused(api_error(StatusCode::INTERNAL_SERVER_ERROR, 5000, "emulated failure: http_500"));
        }
        Some(UploadFault::Html200) => {
            drain_body(req).await;
            return refused(http::html(StatusCode::OK, "<html><body>upstream gateway</body></html>".into()));
        }
        _ => {}
    }
    let limit = rule.max_bytes.unwrap_or(app.config.limits.max_file_bytes);
    let boundary = match header(&req, "content-type").map(multer::parse_boundary) {
        Some(Ok(b)) => b,
        _ => {
            drain_body(req).await;
            return refused(api_fail(4000, "invalid parameter: expected multipart/form-data with a boundary"));
        }
    };
    let declared = header(&req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let drop_after = (rule.fault == Some(UploadFault::Drop)).then(|| declared.unwrap_or(0) / 2);
    let mut multipart = multer::Multipart::new(body_stream(req, app.clone(), key.clone()), boundary);
    let mut file: Option<FileRec> = None;
    let mut read: u64 = 0;
    loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return interrupted_or_malformed(app, &key, e),
        };
        let is_file = field.name() == Some("file");
        if is_file && file.is_some() {
            return refused(api_fail(4000, "invalid parameter file: sent more than once"));
        }
        let file_name = field.file_name().filter(|n| !n.is_empty()).unwrap_or("file").to_owned();
        let mut hasher = Sha256::new();
        let mut bytes: u64 = 0;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    read += chunk.len() as u64;
                    if is_file {
                        bytes += chunk.len() as u64;
                        hasher.update(&chunk);
                        if bytes > limit {
                            // Read to the end before answering: a client still sending when the
                            // connection closes sees a reset, not the 413.
                            drain(field, &mut multipart).await;
                            return refused(too_large(limit));
                        }
                    }
                    if drop_after.is_some_and(|half| read >= half) {
                        app.files().stats_mut(&key).refused += 1;
                        return dropped_connection();
                    }
                }
                Ok(None) => break,
                Err(e) => return interrupted_or_malformed(app, &key, e),
            }
        }
        if is_file {
            let sha256 = hex(&hasher.finalize());
            file = Some(FileRec { id: new_id(), file_name, bytes, created_at: now_secs(), sha256 });
        }
    }
    let Some(file) = file else { return refused(api_fail(4000, "invalid parameter file: required")) };
    if file.bytes == 0 {
        return refused(api_fail(4000, "invalid parameter file: the file is empty"));
    }
    let data = file.to_json();
    let mut files = app.files();
    files.insert(file, app.config.limits.max_files);
    files.stats_mut(&key).completed += 1;
    drop(files);
    http::ok(data)
}

/// Reads and discards a whole request body. A reply sent while the client is still sending makes
/// hyper close the connection with unread data, which resets it: the client (Node's fetch at
/// least) then sees a network error instead of the reply. So every early upload reply waits.
pub async fn drain_body(req: Req) {
    let mut body = req.into_body();
    while let Some(Ok(_)) = body.frame().await {}
}

/// Reads and discards the rest of a multipart body.
async fn drain(mut field: multer::Field<'static>, multipart: &mut multer::Multipart<'static>) {
    while let Ok(Some(_)) = field.chunk().await {}
    drop(field);
    while let Ok(Some(mut next)) = multipart.next_field().await {
        while let Ok(Some(_)) = next.chunk().await {}
    }
}

fn interrupted_or_malformed(app: &App, key: &str, e: multer::Error) -> Resp {
    let mut files = app.files();
    // A read error, or the body ending before the multipart did: the client went away.
    let cut_short = matches!(
        e,
        multer::Error::StreamReadFailed(_)
            | multer::Error::IncompleteStream
            | multer::Error::IncompleteFieldData { .. }
            | multer::Error::IncompleteHeaders
    );
    if cut_short {
        // The client went away mid-body (abort, network): nobody reads this reply.
        files.stats_mut(key).interrupted += 1;
        return api_fail(4000, "the upload was interrupted");
    }
    files.stats_mut(key).refused += 1;
    api_fail(4000, &format!("invalid parameter: malformed multipart body ({e})"))
}

/// The request body as a stream of data chunks, read at the client's `read_bytes_per_second`
/// when its rule sets one — looked up per chunk, so a test can end the slowness midway (e.g.
/// after an abort, to let the server reach the end of what is buffered sooner).
fn body_stream(
    req: Req,
    app: Arc<App>,
    key: String,
) -> impl futures_util::Stream<Item = Result<Bytes, hyper::Error>> + Send + 'static {
    futures_util::stream::unfold(req.into_body(), move |mut body| {
        let app = app.clone();
        let key = key.clone();
        async move {
            loop {
                match body.frame().await? {
                    Err(e) => return Some((Err(e), body)),
                    Ok(frame) => {
                        let Ok(data) = frame.into_data() else { continue };
                        let rate = app.files().rules.get(&key).and_then(|r| r.read_bytes_per_second);
                        if let Some(rate) = rate.filter(|r| *r > 0) {
                            tokio::time::sleep(Duration::from_micros(data.len() as u64 * 1_000_000 / rate)).await;
                        }
                        return Some((Ok(data), body));
                    }
                }
            }
        }
    })
}

/// `GET /v1/files/retrieve?file_id=`.
pub fn retrieve(app: &App, req: &Req) -> Resp {
    let Ok(q) = Params::parse(req.uri().query().unwrap_or("")) else {
        return api_fail(4000, "invalid query string");
    };
    let Some(id) = q.get_nonempty("file_id") else { return api_fail(4000, "invalid parameter file_id: required") };
    match app.files().get(id) {
        Some(f) => http::ok(f.to_json()),
        None => api_fail(4200, &format!("file not found: {id}")),
    }
}

// ---------------------------------------------------------------------------------------------
// object_string messages

/// What the bot reads from the last user message when it is an `object_string`: its text, then
/// per image / file its name, byte count and SHA-256 (by `file_id`) or its URL (by `file_url`).
/// `Ok(None)`: not an object_string. An unknown `file_id` or a shape Coze refuses is an error.
pub fn object_string_text(app: &App, messages: &[EnterMessage]) -> Result<Option<String>, String> {
    let Some(m) = messages.iter().rev().find(|m| m.role == "user").or(messages.last()) else { return Ok(None) };
    if m.content_type != "object_string" {
        return Ok(None);
    }
    let items = check_items(&m.content)?;
    let mut text = Vec::new();
    let mut files = Vec::new();
    for item in &items {
        match item {
            Item::Text(t) => text.push(t.clone()),
            Item::File { kind, id: Some(id), .. } => {
                let f = app.files().get(id).ok_or_else(|| format!("file not found: {id}"))?;
                files.push(format!("[{kind} {}, {} bytes, sha256 {}]", f.file_name, f.bytes, f.sha256));
            }
            Item::File { kind, url: Some(url), .. } => files.push(format!("[{kind} {url}]")),
            Item::File { .. } => unreachable!("checked"),
        }
    }
    text.extend(files);
    Ok(Some(text.join(" ")))
}

#[derive(Debug)]
enum Item {
    Text(String),
    File { kind: String, id: Option<String>, url: Option<String> },
}

/// The items of an object_string as Coze documents them: a JSON array of `{type, text?,
/// file_id?, file_url?}`, at most one text item, and text only together with a file or image.
fn check_items(content: &str) -> Result<Vec<Item>, String> {
    let bad = |why: &str| format!("invalid parameter content: {why}");
    let Ok(Value::Array(list)) = serde_json::from_str::<Value>(content) else {
        return Err(bad("an object_string must be a JSON array"));
    };
    if list.is_empty() {
        return Err(bad("an object_string must not be empty"));
    }
    let mut items = Vec::new();
    for v in &list {
        let s = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        let kind = s("type").ok_or_else(|| bad("every item needs a type"))?;
        items.push(match kind.as_str() {
            "text" => Item::Text(s("text").ok_or_else(|| bad("a text item needs text"))?),
            "image" | "file" | "audio" => {
                let (id, url) = (s("file_id"), s("file_url"));
                if id.is_some() == url.is_some() {
                    return Err(bad("an image or file item needs exactly one of file_id and file_url"));
                }
                Item::File { kind, id, url }
            }
            other => return Err(bad(&format!("unknown item type {other:?}"))),
        });
    }
    let texts = items.iter().filter(|i| matches!(i, Item::Text(_))).count();
    if texts > 1 {
        return Err(bad("at most one text item"));
    }
    if texts == items.len() {
        return Err(bad("text must come with at least one image or file"));
    }
    Ok(items)
}

// ---------------------------------------------------------------------------------------------
// Admin: POST /_emulator/uploads, GET /_emulator/uploads?client_id=

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    client_id: Option<String>,
    fault: Option<String>,
    times: Option<u64>,
    max_bytes: Option<u64>,
    read_bytes_per_second: Option<u64>,
}

/// `{client_id?, fault?, times?, max_bytes?, read_bytes_per_second?}` → the client's upload rule
/// (replacing the previous one; `client_id` absent or null: uploads with the PAT).
pub async fn admin_set_rule(app: &App, req: Req) -> Resp {
    let body = match crate::admin::body_json(app, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let spec: RuleSpec = match serde_json::from_value(body) {
        Ok(s) => s,
        Err(e) => return admin_error("invalid_request", &e.to_string()),
    };
    let fault = match spec.fault.as_deref() {
        None => None,
        Some(f) => match UploadFault::parse(f) {
            Some(f) => Some(f),
            None => {
                let names = UploadFault::NAMES.join(", ");
                return admin_error("invalid_request", &format!("unknown fault {f:?}; expected one of {names}"));
            }
        },
    };
    let key = spec.client_id.unwrap_or_default();
    let rule = UploadRule {
        fault: fault.filter(|_| spec.times != Some(0)),
        times: spec.times,
        max_bytes: spec.max_bytes,
        read_bytes_per_second: spec.read_bytes_per_second,
    };
    let mut files = app.files();
    if !files.rules.contains_key(&key) && files.rules.len() >= MAX_RULES {
        files.rules.clear();
    }
    files.rules.insert(key, rule);
    http::json(StatusCode::OK, &json!({"ok": true}))
}

pub fn admin_stats(app: &App, req: &Req) -> Resp {
    let q = Params::parse(req.uri().query().unwrap_or("")).unwrap_or(Params(Vec::new()));
    let key = q.get("client_id").unwrap_or("").to_owned();
    let files = app.files();
    let s = files.stats.get(&key).cloned().unwrap_or_default();
    http::json(
        StatusCode::OK,
        &json!({
            "started": s.started,
            "completed": s.completed,
            "interrupted": s.interrupted,
            "refused": s.refused,
            "stored_files": files.len(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str) -> FileRec {
        FileRec { id: id.into(), file_name: "f".into(), bytes: 1, created_at: 0, sha256: String::new() }
    }

    #[test]
    fn the_least_recently_used_file_goes_first() {
        let mut f = Files::default();
        f.insert(rec("a"), 2);
        f.insert(rec("b"), 2);
        assert!(f.get("a").is_some()); // a is now newer than b
        f.insert(rec("c"), 2);
        assert_eq!(f.len(), 2);
        assert!(f.get("b").is_none(), "b was the least recently used");
        assert!(f.get("a").is_some() && f.get("c").is_some());
    }

    #[test]
    fn a_limited_fault_counts_down() {
        let mut f = Files::default();
        f.rules
            .insert("c".into(), UploadRule { fault: Some(UploadFault::Http500), times: Some(2), ..Default::default() });
        assert_eq!(f.take_rule("c").fault, Some(UploadFault::Http500));
        assert_eq!(f.take_rule("c").fault, Some(UploadFault::Http500));
        assert_eq!(f.take_rule("c").fault, None);
        assert_eq!(f.take_rule("other").fault, None);
    }

    #[test]
    fn object_string_shapes() {
        let ok = |s: &str| check_items(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok(r#"[{"type":"text","text":"hi"},{"type":"image","file_id":"1"}]"#).len(), 2);
        ok(r#"[{"type":"file","file_url":"https://x/y.pdf"}]"#);
        for bad in [
            "[]",
            "{}",
            "not json",
            r#"[{"type":"text","text":"only text"}]"#,
            r#"[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"image","file_id":"1"}]"#,
            r#"[{"type":"image","file_id":"1","file_url":"https://x"}]"#,
            r#"[{"type":"image"}]"#,
            r#"[{"type":"video","file_id":"1"}]"#,
        ] {
            assert!(check_items(bad).is_err(), "{bad}");
        }
    }
}
