//! Chat v3: `POST /v3/chat` (SSE or create-and-poll), cancel, retrieve, message list (coze-api.md §2).

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::http::{
    self, api_error, api_fail, opt_str_field, read_json_object, Body, Req, Resp, StreamBody, StreamItem, StreamRec,
    StreamTrack,
};
use crate::router::Ctx;
use crate::scenarios::{Behaviour, Fault};
use crate::store::{
    CancelRecord, Chat, ChatEntry, Conversation, LastError, Message, Store, Usage, ST_CANCELED, ST_COMPLETED,
    ST_CREATED, ST_FAILED, ST_IN_PROGRESS,
};
use crate::util::{new_id, new_logid, now_ms, now_secs, Params};
use crate::App;

pub const VERBOSE_CONTENT: &str =
    r#"{"msg_type":"generate_answer_finish","data":"","from_module":null,"from_unit":null}"#;
pub const ERROR_EVENT_DATA: &str = r#"{"code":5000,"msg":"emulated failure"}"#;
pub const MALFORMED_DATA: &str = r#"{"id":"#;
/// How long a non-streamed chat stays `in_progress`.
pub const NON_STREAM_DELAY: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------------
// Request parsing

/// An input message (`additional_messages[]`, `conversation/create` `messages[]`). Nulls accepted.
#[derive(Debug, Clone)]
pub struct EnterMessage {
    pub role: String,
    pub kind: String,
    pub content: String,
    pub content_type: String,
    pub meta_data: Value,
}

pub fn parse_enter_messages(v: Option<&Value>, field: &str) -> Result<Vec<EnterMessage>, String> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(format!("invalid parameter {field}: expected an array")),
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, m) in items.iter().enumerate() {
        let Value::Object(m) = m else { return Err(format!("invalid parameter {field}[{i}]: expected an object")) };
        let s = |name: &str| -> Result<Option<String>, String> {
            match m.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("invalid parameter {field}[{i}].{name}: expected a string")),
            }
        };
        let role = s("role")?.unwrap_or_else(|| "user".into());
        if role != "user" && role != "assistant" {
            return Err(format!("invalid parameter {field}[{i}].role: must be user or assistant"));
        }
        let content = match m.get("content") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let kind = s("type")?.unwrap_or_else(|| if role == "user" { "question".into() } else { "answer".into() });
        let meta_data = match m.get("meta_data") {
            Some(Value::Object(o)) => Value::Object(o.clone()),
            _ => Value::Object(Map::new()),
        };
        out.push(EnterMessage {
            role,
            kind,
            content,
            content_type: s("content_type")?.unwrap_or_else(|| "text".into()),
            meta_data,
        });
    }
    Ok(out)
}

pub fn meta_data_field(obj: &Map<String, Value>) -> Result<Value, String> {
    match obj.get("meta_data") {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(Value::Object(o)) => Ok(Value::Object(o.clone())),
        Some(_) => Err("invalid parameter meta_data: expected an object".into()),
    }
}

fn bool_field(obj: &Map<String, Value>, name: &str, default: bool) -> Result<bool, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("invalid parameter {name}: expected a boolean")),
    }
}

pub struct ChatRequest {
    pub bot_id: String,
    pub stream: bool,
    pub auto_save: bool,
    pub messages: Vec<EnterMessage>,
    pub meta_data: Value,
}

pub fn parse_chat_request(obj: &Map<String, Value>) -> Result<ChatRequest, String> {
    let bot_id = opt_str_field(obj, "bot_id")?.filter(|s| !s.is_empty()).ok_or("invalid parameter bot_id: required")?;
    // Coze documents user_id as required (coze-api.md §2.1); the exact code Coze sends when it is
    // missing is not documented, so this is the 4000 parameter error of the other checks.
    opt_str_field(obj, "user_id")?.filter(|s| !s.is_empty()).ok_or("invalid parameter user_id: required")?;
    opt_str_field(obj, "conversation_id")?;
    Ok(ChatRequest {
        bot_id,
        stream: bool_field(obj, "stream", false)?,
        auto_save: bool_field(obj, "auto_save_history", true)?,
        messages: parse_enter_messages(obj.get("additional_messages"), "additional_messages")?,
        meta_data: meta_data_field(obj)?,
    })
}

/// The text the bot answers to: the last user message (text items of an object_string joined).
fn user_text(messages: &[EnterMessage]) -> String {
    let Some(m) = messages.iter().rev().find(|m| m.role == "user").or(messages.last()) else {
        return String::new();
    };
    if m.content_type == "object_string" {
        if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&m.content) {
            let texts: Vec<&str> = items
                .iter()
                .filter(|i| i.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|i| i.get("text").and_then(Value::as_str))
                .collect();
            return texts.join(" ");
        }
    }
    m.content.clone()
}

// ---------------------------------------------------------------------------------------------
// The plan of one chat turn, and the store updates it implies

pub struct Plan {
    pub chat: Chat,
    pub answer_id: String,
    pub verbose_id: String,
    pub follow_up_id: String,
    pub reply: String,
    pub usage: Usage,
    pub save_history: bool,
    pub behaviour: Behaviour,
}

impl Plan {
    fn message(&self, id: &str, kind: &str, content: &str) -> Message {
        let now = now_secs();
        Message {
            id: id.into(),
            conversation_id: self.chat.conversation_id.clone(),
            bot_id: self.chat.bot_id.clone(),
            chat_id: self.chat.id.clone(),
            role: "assistant".into(),
            kind: kind.into(),
            content: content.into(),
            content_type: "text".into(),
            created_at: now,
            updated_at: now,
            section_id: self.chat.section_id.clone(),
            meta_data: Value::Object(Map::new()),
        }
    }

    fn answer(&self) -> Message {
        self.message(&self.answer_id, "answer", &self.reply)
    }
    fn verbose(&self) -> Message {
        self.message(&self.verbose_id, "verbose", VERBOSE_CONTENT)
    }
    fn follow_up(&self) -> Message {
        self.message(&self.follow_up_id, "follow_up", &self.behaviour.follow_up)
    }

    fn chat_with(&self, status: &'static str) -> Chat {
        let mut c = self.chat.clone();
        c.status = status;
        c
    }

    fn completed_chat(&self) -> Chat {
        let mut c = self.chat_with(ST_COMPLETED);
        c.completed_at = Some(now_secs());
        c.usage = self.usage;
        c
    }

    fn failed_chat(&self, code: i64, msg: &str) -> Chat {
        let mut c = self.chat_with(ST_FAILED);
        c.failed_at = Some(now_secs());
        c.last_error = LastError { code, msg: msg.into() };
        c
    }
}

fn is_terminal(status: &str) -> bool {
    matches!(status, ST_COMPLETED | ST_FAILED | ST_CANCELED)
}

fn clear_running(st: &mut Store, plan: &Plan) {
    if let Some(conv) = st.conversations.get_mut(&plan.chat.conversation_id) {
        if conv.running.as_deref() == Some(plan.chat.id.as_str()) {
            conv.running = None;
        }
    }
}

fn set_status(st: &mut Store, plan: &Plan, status: &'static str) {
    if let Some(e) = st.chats.get_mut(&plan.chat.id) {
        if !is_terminal(e.chat.status) {
            e.chat.status = status;
        }
    }
}

/// Mark the chat completed: output messages for `/v3/chat/message/list`, the answer in the history.
fn complete_chat(st: &mut Store, plan: &Plan) {
    let Some(e) = st.chats.get_mut(&plan.chat.id) else { return };
    if is_terminal(e.chat.status) {
        return;
    }
    e.chat = plan.completed_chat();
    e.messages = vec![plan.answer(), plan.verbose(), plan.follow_up()];
    if plan.save_history {
        if let Some(conv) = st.conversations.get_mut(&plan.chat.conversation_id) {
            conv.messages.push(plan.answer());
            conv.updated_at = now_secs();
        }
    }
    clear_running(st, plan);
}

fn fail_chat(st: &mut Store, plan: &Plan, code: i64, msg: &str) {
    if let Some(e) = st.chats.get_mut(&plan.chat.id) {
        if !is_terminal(e.chat.status) {
            e.chat = plan.failed_chat(code, msg);
        }
    }
    clear_running(st, plan);
}

fn chat_canceled(app: &App, chat_id: &str) -> bool {
    app.store().chats.get(chat_id).map(|e| e.chat.status == ST_CANCELED).unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// POST /v3/chat

pub async fn create(app: Arc<App>, ctx: &Ctx, req: Req) -> Resp {
    let Ok(q) = Params::parse(req.uri().query().unwrap_or("")) else {
        return api_fail(4000, "invalid query string");
    };
    let conv_param = q.get_nonempty("conversation_id").map(str::to_string);
    let obj = match read_json_object(req, false).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let creq = match parse_chat_request(&obj) {
        Ok(r) => r,
        Err(m) => return api_fail(4000, &m),
    };
    // An object_string message: the bot answers about its text and files (unknown file_id: 4200).
    let multimodal = match crate::files::object_string_text(&app, &creq.messages) {
        Ok(text) => text,
        Err(m) if m.starts_with("file not found") => return api_fail(4200, &m),
        Err(m) => return api_fail(4000, &m),
    };

    let mut st = app.store();
    let Some(bot) = st.bots.get_mut(&creq.bot_id) else {
        return api_fail(4200, &format!("bot not found: {}", creq.bot_id));
    };
    bot.chat_requests += 1;
    bot.last_request = Some(ctx.request.clone());
    if bot.unpublished {
        return api_fail(crate::maker::NOT_PUBLISHED, &crate::maker::not_published_msg(&creq.bot_id));
    }
    let behaviour = bot.behaviour.clone();
    let bot_streams = bot.streams.clone();
    let auth_status = behaviour.auth_error_status.unwrap_or(app.config.auth_error_status);
    let injected_401 = if bot.unauthorized_pending {
        bot.unauthorized_pending = false;
        Some("The access token has expired (emulated: unauthorized_once).")
    } else {
        match behaviour.fault {
            Some(Fault::Http401) => Some("emulated failure: http_401"),
            Some(Fault::UnauthorizedAlways) => Some("The access token is invalid (emulated: unauthorized_always)."),
            _ => None,
        }
    };
    if let Some(msg) = injected_401 {
        bot.emulated_unauthorized += 1;
        if let Some(c) = &ctx.client_id {
            st.stats_mut(c).api_emulated_unauthorized += 1;
        }
        return http::unauthorized_with(auth_status, msg);
    }
    match behaviour.fault {
        Some(Fault::JsonError) => return api_fail(4000, "emulated failure: json_error"),
        Some(Fault::Http429) => {
            let mut r = api_error(StatusCode::TOO_MANY_REQUESTS, 4013, "emulated failure: rate limited (http_429)");
            r.headers_mut().insert("retry-after", HeaderValue::from_static("2"));
            return r;
        }
        Some(Fault::Http500) => {
            return api_error(StatusCode::INTERNAL_SERVER_ERROR, 5000, "emulated failure: internal error (http_500)")
        }
        _ => {}
    }
    if !creq.stream && !creq.auto_save {
        return api_fail(4000, "invalid parameter auto_save_history: must be true when stream is false");
    }
    let conversation_id = match conv_param {
        Some(id) => match st.conversations.get(&id) {
            None => return api_fail(4200, &format!("conversation not found: {id}")),
            Some(c) if c.running.is_some() => {
                return api_fail(4016, "Conversation occupied: a chat is already in progress in this conversation.")
            }
            Some(_) => id,
        },
        None => {
            let c = Conversation::new(Value::Object(Map::new()));
            let id = c.id.clone();
            st.conversations.insert(id.clone(), c);
            id
        }
    };
    let conv = st.conversations.get_mut(&conversation_id).expect("conversation exists");
    let now = now_secs();
    let chat_id = new_id();
    let text = multimodal.unwrap_or_else(|| user_text(&creq.messages));
    let reply = behaviour.reply_text(&text);
    let input_count = 10 + text.chars().count() as u64 / 2;
    let output_count = 1 + reply.chars().count() as u64 / 2;
    let chat = Chat {
        id: chat_id.clone(),
        conversation_id: conversation_id.clone(),
        bot_id: creq.bot_id.clone(),
        created_at: now,
        completed_at: None,
        failed_at: None,
        meta_data: creq.meta_data.clone(),
        last_error: LastError { code: 0, msg: String::new() },
        status: if creq.stream { ST_CREATED } else { ST_IN_PROGRESS },
        usage: Usage { token_count: 0, output_count: 0, input_count: 0 },
        section_id: conv.section_id.clone(),
    };
    if creq.auto_save {
        for m in &creq.messages {
            conv.messages.push(Message {
                id: new_id(),
                conversation_id: conversation_id.clone(),
                bot_id: creq.bot_id.clone(),
                chat_id: chat_id.clone(),
                role: m.role.clone(),
                kind: m.kind.clone(),
                content: m.content.clone(),
                content_type: m.content_type.clone(),
                created_at: now,
                updated_at: now,
                section_id: conv.section_id.clone(),
                meta_data: m.meta_data.clone(),
            });
        }
    }
    conv.running = Some(chat_id.clone());
    conv.updated_at = now;
    let plan = Plan {
        chat: chat.clone(),
        answer_id: new_id(),
        verbose_id: new_id(),
        follow_up_id: new_id(),
        reply,
        usage: Usage { token_count: input_count + output_count, output_count, input_count },
        save_history: creq.auto_save,
        behaviour,
    };
    let rec = creq.stream.then(|| Arc::new(StreamRec::default()));
    st.chats.insert(
        chat_id,
        ChatEntry {
            chat: chat.clone(),
            messages: Vec::new(),
            client_id: ctx.client_id.clone(),
            cancel_calls: 0,
            stream: rec.clone(),
        },
    );
    drop(st);

    if let Some(rec) = rec {
        let (body, tx) = StreamBody::channel(StreamTrack { all: app.streams.clone(), bot: bot_streams, rec });
        tokio::spawn(produce(app.clone(), tx, plan));
        let mut r = Response::new(Body::Stream(body));
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream; charset=utf-8"));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert("x-accel-buffering", HeaderValue::from_static("no"));
        if let Ok(v) = HeaderValue::from_str(&new_logid()) {
            h.insert("x-tt-logid", v);
        }
        r
    } else {
        let app2 = app.clone();
        tokio::spawn(async move {
            tokio::time::sleep(NON_STREAM_DELAY).await;
            let mut st = app2.store();
            if plan.behaviour.fault == Some(Fault::ChatFailed) {
                fail_chat(&mut st, &plan, 4028, "free quota used up");
            } else {
                complete_chat(&mut st, &plan);
            }
        });
        http::ok(serde_json::to_value(&chat).unwrap_or(Value::Null))
    }
}

// ---------------------------------------------------------------------------------------------
// SSE producer

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Created,
    InProgress,
    Delta,
    AnswerDone,
    Verbose,
    FollowUp,
    ChatDone,
    Done,
}

#[derive(Serialize)]
struct Delta<'a> {
    id: &'a str,
    conversation_id: &'a str,
    bot_id: &'a str,
    role: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    content: &'a str,
    content_type: &'static str,
    chat_id: &'a str,
}

/// Yields the events of a normal turn lazily (a 20 MB reply is never materialized as events).
struct Gen<'a> {
    plan: &'a Plan,
    next: Option<Kind>,
    pos: usize,
}

impl<'a> Gen<'a> {
    fn new(plan: &'a Plan) -> Gen<'a> {
        Gen { plan, next: Some(Kind::Created), pos: 0 }
    }

    fn next_event(&mut self) -> Option<(Kind, String)> {
        let p = self.plan;
        let kind = self.next?;
        let data = match kind {
            Kind::Created => {
                self.next = Some(Kind::InProgress);
                to_json(&p.chat_with(ST_CREATED))
            }
            Kind::InProgress => {
                self.next = Some(if p.reply.is_empty() { Kind::AnswerDone } else { Kind::Delta });
                to_json(&p.chat_with(ST_IN_PROGRESS))
            }
            Kind::Delta => {
                let rest = &p.reply[self.pos..];
                let end = rest.char_indices().nth(p.behaviour.delta_chars).map(|(i, _)| i).unwrap_or(rest.len());
                let piece = &rest[..end];
                self.pos += end;
                if self.pos >= p.reply.len() {
                    self.next = Some(Kind::AnswerDone);
                }
                to_json(&Delta {
                    id: &p.answer_id,
                    conversation_id: &p.chat.conversation_id,
                    bot_id: &p.chat.bot_id,
                    role: "assistant",
                    kind: "answer",
                    content: piece,
                    content_type: "text",
                    chat_id: &p.chat.id,
                })
            }
            Kind::AnswerDone => {
                self.next = Some(Kind::Verbose);
                to_json(&p.answer())
            }
            Kind::Verbose => {
                self.next = Some(Kind::FollowUp);
                to_json(&p.verbose())
            }
            Kind::FollowUp => {
                self.next = Some(Kind::ChatDone);
                to_json(&p.follow_up())
            }
            Kind::ChatDone => {
                self.next = Some(Kind::Done);
                to_json(&p.completed_chat())
            }
            Kind::Done => {
                self.next = None;
                "\"[DONE]\"".to_string()
            }
        };
        Some((kind, data))
    }
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

fn event_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Created => "conversation.chat.created",
        Kind::InProgress => "conversation.chat.in_progress",
        Kind::Delta => "conversation.message.delta",
        Kind::AnswerDone | Kind::Verbose | Kind::FollowUp => "conversation.message.completed",
        Kind::ChatDone => "conversation.chat.completed",
        Kind::Done => "done",
    }
}

/// The client went away (the body was dropped).
struct Closed;

/// Frames events and writes them to the body channel (whole events or fixed-size chunks, with pauses).
struct Out {
    tx: mpsc::Sender<StreamItem>,
    chunk: Option<usize>,
    delay: Duration,
    studio: bool,
    buf: BytesMut,
    writes: u64,
    events: u64,
}

impl Out {
    fn new(tx: mpsc::Sender<StreamItem>, b: &Behaviour) -> Out {
        Out {
            tx,
            chunk: b.chunk_size,
            delay: b.write_delay,
            studio: b.studio,
            buf: BytesMut::new(),
            writes: 0,
            events: 0,
        }
    }

    async fn pause(&self, d: Duration) -> Result<(), Closed> {
        if d.is_zero() {
            return if self.tx.is_closed() { Err(Closed) } else { Ok(()) };
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = self.tx.closed() => Err(Closed),
        }
    }

    async fn event(&mut self, name: &str, data: Option<&str>) -> Result<(), Closed> {
        let data_len = data.map(str::len).unwrap_or(0);
        let mut s = String::with_capacity(data_len + name.len() + 48);
        if self.studio {
            if self.events > 0 {
                s.push_str(": keep-alive\r\n");
            }
            s.push_str(&format!("id: {}\r\nevent: {name}\r\n", self.events));
            if let Some(d) = data {
                s.push_str("data: ");
                s.push_str(d);
                s.push_str("\r\n");
            }
            s.push_str("\r\n");
        } else {
            s.push_str("event:");
            s.push_str(name);
            s.push_str("\ndata:");
            s.push_str(data.unwrap_or(""));
            s.push_str("\n\n");
        }
        self.events += 1;
        self.write(Bytes::from(s)).await
    }

    /// `done` / `"[DONE]"`, or Coze Studio's `conversation.stream.done` without data.
    async fn end_marker(&mut self) -> Result<(), Closed> {
        if self.studio {
            self.event("conversation.stream.done", None).await
        } else {
            self.event("done", Some("\"[DONE]\"")).await
        }
    }

    async fn write(&mut self, bytes: Bytes) -> Result<(), Closed> {
        match self.chunk {
            None => self.send(bytes).await,
            Some(n) => {
                self.buf.extend_from_slice(&bytes);
                while self.buf.len() >= n {
                    let c = self.buf.split_to(n).freeze();
                    self.send(c).await?;
                }
                Ok(())
            }
        }
    }

    async fn send(&mut self, b: Bytes) -> Result<(), Closed> {
        if self.writes > 0 {
            self.pause(self.delay).await?;
        }
        self.writes += 1;
        self.tx.send(Ok(b)).await.map_err(|_| Closed)
    }

    async fn flush(&mut self) -> Result<(), Closed> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let rest = self.buf.split().freeze();
        self.send(rest).await
    }

    /// Flush what is buffered, then make the body fail: hyper drops the connection mid-stream.
    async fn abort(&mut self) -> Result<(), Closed> {
        self.flush().await?;
        // Let hyper put the flushed bytes on the wire first: the client must see the events
        // before the drop, as with a real connection lost mid-reply.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let err = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "emulated disconnect");
        self.tx.send(Err(err)).await.map_err(|_| Closed)
    }
}

enum Outcome {
    Completed,
    Failed(i64, &'static str),
    Canceled,
    /// Server-side abort (fault `disconnect`).
    Aborted,
    ClientClosed,
}

async fn produce(app: Arc<App>, tx: mpsc::Sender<StreamItem>, plan: Plan) {
    let mut out = Out::new(tx, &plan.behaviour);
    let outcome = match drive(&app, &mut out, &plan).await {
        Ok(o) => o,
        Err(Closed) => Outcome::ClientClosed,
    };
    let mut st = app.store();
    match outcome {
        Outcome::Completed | Outcome::Canceled => clear_running(&mut st, &plan),
        Outcome::Failed(code, msg) => fail_chat(&mut st, &plan, code, msg),
        Outcome::Aborted => fail_chat(&mut st, &plan, 5000, "emulated disconnect"),
        Outcome::ClientClosed => {
            // The client aborted: the turn is dropped (not kept as context), like a cancel.
            set_status(&mut st, &plan, ST_CANCELED);
            clear_running(&mut st, &plan);
        }
    }
}

async fn drive(app: &App, out: &mut Out, plan: &Plan) -> Result<Outcome, Closed> {
    let b = &plan.behaviour;
    let mut gen = Gen::new(plan);
    let mut idx = 0usize;
    while let Some((kind, data)) = gen.next_event() {
        if chat_canceled(app, &plan.chat.id) {
            // Canceled through /v3/chat/cancel: no more deltas; end the stream with the end marker.
            out.end_marker().await?;
            out.flush().await?;
            return Ok(Outcome::Canceled);
        }
        let at = idx == b.fault_after;
        match b.fault {
            // Faults scheduled past the end of the stream happen at its end instead.
            Some(Fault::Disconnect) if at || kind == Kind::Done => {
                out.abort().await?;
                return Ok(Outcome::Aborted);
            }
            Some(Fault::ErrorEvent) if at || kind == Kind::Done => {
                out.event("error", Some(ERROR_EVENT_DATA)).await?;
                out.flush().await?;
                return Ok(Outcome::Failed(5000, "emulated failure"));
            }
            Some(Fault::ChatFailed) if at || kind == Kind::ChatDone => {
                let failed = plan.failed_chat(4028, "free quota used up");
                let data = if b.failed_bare {
                    serde_json::to_string(&failed.last_error).unwrap_or_default()
                } else {
                    serde_json::to_string(&failed).unwrap_or_default()
                };
                if let Some(e) = app.store().chats.get_mut(&plan.chat.id) {
                    e.chat = failed;
                }
                out.event("conversation.chat.failed", Some(&data)).await?;
                out.end_marker().await?;
                out.flush().await?;
                return Ok(Outcome::Failed(4028, "free quota used up"));
            }
            Some(Fault::NoDone) if kind == Kind::Done => {
                out.flush().await?;
                return Ok(Outcome::Completed);
            }
            _ => {}
        }
        let data = if b.fault == Some(Fault::MalformedJson) && at { MALFORMED_DATA.to_string() } else { data };
        match kind {
            Kind::Delta => out.pause(b.delta_delay).await?,
            Kind::InProgress => set_status(&mut app.store(), plan, ST_IN_PROGRESS),
            // Record completion before the client can see it, so an immediate retrieve agrees.
            Kind::ChatDone => complete_chat(&mut app.store(), plan),
            _ => {}
        }
        if kind == Kind::Done {
            out.end_marker().await?;
        } else {
            out.event(event_name(kind), Some(&data)).await?;
        }
        idx += 1;
    }
    out.flush().await?;
    Ok(Outcome::Completed)
}

// ---------------------------------------------------------------------------------------------
// cancel / retrieve / message list

fn ids_from(q: &Params, obj: Option<&Map<String, Value>>) -> Result<(String, String), Resp> {
    let get = |name: &str| -> Result<String, Resp> {
        if let Some(obj) = obj {
            match opt_str_field(obj, name) {
                Ok(Some(s)) if !s.is_empty() => return Ok(s),
                Ok(_) => {}
                Err(m) => return Err(api_fail(4000, &m)),
            }
        }
        q.get_nonempty(name)
            .map(str::to_string)
            .ok_or_else(|| api_fail(4000, &format!("invalid parameter {name}: required")))
    };
    Ok((get("conversation_id")?, get("chat_id")?))
}

fn lookup<'a>(st: &'a mut Store, conversation_id: &str, chat_id: &str) -> Result<&'a mut ChatEntry, Resp> {
    if !st.conversations.contains_key(conversation_id) {
        return Err(api_fail(4200, &format!("conversation not found: {conversation_id}")));
    }
    match st.chats.get_mut(chat_id) {
        Some(e) if e.chat.conversation_id == conversation_id => Ok(e),
        _ => Err(api_fail(4200, &format!("chat not found: {chat_id}"))),
    }
}

fn query(req: &Req) -> Params {
    Params::parse(req.uri().query().unwrap_or("")).unwrap_or_default()
}

pub async fn cancel(app: &App, ctx: &Ctx, req: Req) -> Resp {
    let q = query(&req);
    let obj = match read_json_object(req, true).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let (conversation_id, chat_id) = match ids_from(&q, Some(&obj)) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let mut st = app.store();
    let (bot_id, result) = cancel_in(&mut st, &conversation_id, &chat_id);
    if let Some(bot) = bot_id.as_deref().and_then(|b| st.bots.get_mut(b)) {
        bot.cancel_calls += 1;
    }
    let code = match &result {
        Ok(_) => 0,
        Err((code, _)) => *code,
    };
    st.record_cancel(CancelRecord {
        client_id: ctx.client_id.clone(),
        bot_id,
        conversation_id,
        chat_id,
        code,
        at_ms: now_ms(),
    });
    match result {
        Ok(chat) => http::ok(chat),
        Err((code, msg)) => api_fail(code, &msg),
    }
}

/// Cancel a chat: `(its bot, the canceled Chat | (code, msg))`.
fn cancel_in(st: &mut Store, conversation_id: &str, chat_id: &str) -> (Option<String>, Result<Value, (i64, String)>) {
    if !st.conversations.contains_key(conversation_id) {
        return (None, Err((4200, format!("conversation not found: {conversation_id}"))));
    }
    let entry = match st.chats.get_mut(chat_id) {
        Some(e) if e.chat.conversation_id == conversation_id => e,
        _ => return (None, Err((4200, format!("chat not found: {chat_id}")))),
    };
    entry.cancel_calls += 1;
    let bot_id = Some(entry.chat.bot_id.clone());
    if is_terminal(entry.chat.status) {
        return (bot_id, Err((4104, format!("The chat is {} and cannot be canceled.", entry.chat.status))));
    }
    entry.chat.status = ST_CANCELED;
    let chat = serde_json::to_value(&entry.chat).unwrap_or(Value::Null);
    if let Some(conv) = st.conversations.get_mut(conversation_id) {
        if conv.running.as_deref() == Some(chat_id) {
            conv.running = None;
        }
    }
    (bot_id, Ok(chat))
}

pub fn retrieve(app: &App, req: &Req) -> Resp {
    let (conversation_id, chat_id) = match ids_from(&query(req), None) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let mut st = app.store();
    match lookup(&mut st, &conversation_id, &chat_id) {
        Ok(e) => http::ok(serde_json::to_value(&e.chat).unwrap_or(Value::Null)),
        Err(r) => r,
    }
}

pub fn messages(app: &App, req: &Req) -> Resp {
    let (conversation_id, chat_id) = match ids_from(&query(req), None) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    let mut st = app.store();
    match lookup(&mut st, &conversation_id, &chat_id) {
        Ok(e) => http::ok(serde_json::to_value(&e.messages).unwrap_or(Value::Null)),
        Err(r) => r,
    }
}
