//! Bot behaviours: the built-in bots and per-test scenarios registered through `POST /_emulator/bots`.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

pub const ECHO_BOT: &str = "7000000000000000001";
pub const SLOW_BOT: &str = "7000000000000000002";
pub const POET_BOT: &str = "7000000000000000003";

/// Injected failure modes (the `fault` field of a scenario).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 200 `application/json` `{code:4000,...}` instead of SSE.
    JsonError,
    /// HTTP 401, envelope code 4100.
    Http401,
    /// HTTP 429 with `retry-after: 2`, envelope code 4013.
    Http429,
    /// HTTP 500, envelope code 5000.
    Http500,
    /// Abort the connection after `fault_after` events (no chunked terminator).
    Disconnect,
    /// End cleanly right after `conversation.chat.completed`, without `done`.
    NoDone,
    /// The event at index `fault_after` carries broken JSON data.
    MalformedJson,
    /// After `fault_after` events: `event:error` `{"code":5000,...}`, then end.
    ErrorEvent,
    /// After `fault_after` events: `conversation.chat.failed` (status failed, last_error 4028), then done.
    ChatFailed,
    /// The first `/v3/chat` for this bot gets HTTP 401 code 4100; later ones stream normally.
    UnauthorizedOnce,
    /// Every `/v3/chat` for this bot gets HTTP 401 code 4100 (a client must give up after one retry).
    UnauthorizedAlways,
}

impl Fault {
    pub const NAMES: &'static [&'static str] = &[
        "json_error",
        "http_401",
        "http_429",
        "http_500",
        "disconnect",
        "no_done",
        "malformed_json",
        "error_event",
        "chat_failed",
        "unauthorized_once",
        "unauthorized_always",
    ];

    pub fn parse(s: &str) -> Option<Fault> {
        Some(match s {
            "json_error" => Fault::JsonError,
            "http_401" => Fault::Http401,
            "http_429" => Fault::Http429,
            "http_500" => Fault::Http500,
            "disconnect" => Fault::Disconnect,
            "no_done" => Fault::NoDone,
            "malformed_json" => Fault::MalformedJson,
            "error_event" => Fault::ErrorEvent,
            "chat_failed" => Fault::ChatFailed,
            "unauthorized_once" => Fault::UnauthorizedOnce,
            "unauthorized_always" => Fault::UnauthorizedAlways,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub enum Reply {
    /// "You said: " + the user's text.
    Echo,
    Fixed(Arc<str>),
}

/// How a bot answers and how its stream is written.
#[derive(Debug, Clone)]
pub struct Behaviour {
    pub reply: Reply,
    pub repeat: usize,
    /// Characters (not bytes) per `conversation.message.delta`.
    pub delta_chars: usize,
    /// Pause before each delta event (built-in bots type at a human pace).
    pub delta_delay: Duration,
    /// Write the SSE bytes in chunks of exactly this many bytes, ignoring event boundaries.
    pub chunk_size: Option<usize>,
    /// Pause between writes.
    pub write_delay: Duration,
    /// Coze Studio framing.
    pub studio: bool,
    pub fault: Option<Fault>,
    pub fault_after: usize,
    pub follow_up: Arc<str>,
    /// HTTP status of injected 4100 envelopes (`None`: the server's `--auth-error-status`).
    pub auth_error_status: Option<u16>,
    /// `conversation.chat.failed` data: the Chat object (false) or bare `{code,msg}` (true).
    pub failed_bare: bool,
}

impl Behaviour {
    fn builtin(reply: Reply, delta_chars: usize, delta_ms: u64, follow_up: &str) -> Behaviour {
        Behaviour {
            reply,
            repeat: 1,
            delta_chars,
            delta_delay: Duration::from_millis(delta_ms),
            chunk_size: None,
            write_delay: Duration::ZERO,
            studio: false,
            fault: None,
            fault_after: 3,
            follow_up: follow_up.into(),
            auth_error_status: None,
            failed_bare: false,
        }
    }

    /// The full reply for a given user text.
    pub fn reply_text(&self, user_text: &str) -> String {
        let unit = match &self.reply {
            Reply::Echo => format!("You said: {user_text}"),
            Reply::Fixed(s) => s.to_string(),
        };
        unit.repeat(self.repeat.max(1))
    }
}

pub struct BotDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub icon: &'static str,
    pub behaviour: Behaviour,
}

const SLOW_REPLY: &str = "\
Here is a deliberately slow answer, so you have time to press Stop.

First paragraph: the Coze emulator sends one small delta roughly every 150 milliseconds. Each delta is \
a conversation.message.delta event carrying a few characters of this text, and your client should render \
them as they arrive rather than waiting for the end of the stream.

Second paragraph: if you abort the request now, the server notices that the connection went away and \
stops producing events. The emulator counts such streams as closed by the client, which the tests read \
from GET /_emulator/streams to prove that the abort really reached the server.

Third paragraph: streaming text over server-sent events is simple in principle, yet there are many small \
details to get right: UTF-8 characters split across network chunks, lines ending in CR or LF, events that \
arrive in pieces, and streams that end without a final newline.

Fourth paragraph: if you are still reading, the Stop button is probably not wired up yet. That is fine; \
this reply ends after a few more sentences. Thank you for your patience, and happy testing!";

const POET_REPLY: &str = "《静夜思》\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n——李白（唐）。这首诗写于客居他乡之时，借月光抒发思乡之情。😊";

pub fn builtin_bots() -> Vec<BotDef> {
    vec![
        BotDef {
            id: ECHO_BOT,
            name: "Echo Bot",
            description: "Replies with \"You said: \" and your message, a few characters per delta.",
            icon: "echo",
            behaviour: Behaviour::builtin(Reply::Echo, 4, 30, "Tell me more."),
        },
        BotDef {
            id: SLOW_BOT,
            name: "Slow Bot",
            description: "A long multi-paragraph reply, one delta every ~150 ms. Good for testing Stop.",
            icon: "slow",
            behaviour: Behaviour::builtin(Reply::Fixed(SLOW_REPLY.into()), 8, 150, "Can you summarize that?"),
        },
        BotDef {
            id: POET_BOT,
            name: "Chinese Poet",
            description: "用中文回答：一首固定的唐诗。A fixed Chinese reply.",
            icon: "poet",
            behaviour: Behaviour::builtin(Reply::Fixed(POET_REPLY.into()), 3, 60, "再来一首关于秋天的诗？"),
        },
    ]
}

/// The JSON accepted by `POST /_emulator/bots`. All fields optional; unknown fields are rejected
/// (a typo such as `"chunksize"` should fail loudly rather than silently do nothing).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub name: Option<String>,
    pub reply: Option<String>,
    pub repeat: Option<u64>,
    pub delta_chars: Option<u64>,
    pub chunk_size: Option<u64>,
    pub delay_ms: Option<u64>,
    pub studio: Option<bool>,
    pub fault: Option<String>,
    pub fault_after: Option<u64>,
    /// 401 (default) or 200: the HTTP status of this bot's injected 4100 envelopes.
    pub auth_error_status: Option<u16>,
    /// `"chat"` (default): `conversation.chat.failed` carries the Chat object with `last_error`;
    /// `"bare"`: it carries `{code, msg}` as in Coze's doc sample.
    pub failed_data: Option<String>,
}

/// The largest `reply` × `repeat` a scenario may ask for by default (see `Limits`).
pub const MAX_REPLY_BYTES: u64 = 64 * 1024 * 1024;

impl ScenarioSpec {
    #[cfg(test)]
    pub fn into_behaviour(self) -> Result<Behaviour, String> {
        self.into_behaviour_limited(MAX_REPLY_BYTES)
    }

    pub fn into_behaviour_limited(self, max_reply_bytes: u64) -> Result<Behaviour, String> {
        let positive = |name: &str, v: Option<u64>| -> Result<Option<u64>, String> {
            match v {
                Some(0) => Err(format!("{name} must be at least 1")),
                v => Ok(v),
            }
        };
        let repeat = positive("repeat", self.repeat)?.unwrap_or(1);
        let delta_chars = positive("delta_chars", self.delta_chars)?.unwrap_or(4);
        let chunk_size = positive("chunk_size", self.chunk_size)?;
        let fault = match self.fault.as_deref() {
            None | Some("") => None,
            Some(f) => Some(
                Fault::parse(f)
                    .ok_or_else(|| format!("unknown fault {f:?}; expected one of {}", Fault::NAMES.join(", ")))?,
            ),
        };
        let unit_len = self.reply.as_ref().map(|r| r.len() as u64).unwrap_or(64);
        if unit_len.saturating_mul(repeat) > max_reply_bytes {
            return Err(format!("reply × repeat exceeds {max_reply_bytes} bytes"));
        }
        let auth_error_status = match self.auth_error_status {
            None | Some(401) | Some(200) => self.auth_error_status,
            Some(other) => return Err(format!("auth_error_status must be 401 or 200, got {other}")),
        };
        let failed_bare = match self.failed_data.as_deref() {
            None | Some("chat") => false,
            Some("bare") => true,
            Some(other) => return Err(format!("failed_data must be \"chat\" or \"bare\", got {other:?}")),
        };
        if self.name.as_ref().is_some_and(|n| n.len() > 256) {
            return Err("name is limited to 256 bytes".into());
        }
        Ok(Behaviour {
            reply: match self.reply {
                Some(r) => Reply::Fixed(r.into()),
                None => Reply::Echo,
            },
            repeat: repeat as usize,
            delta_chars: delta_chars as usize,
            delta_delay: Duration::ZERO,
            chunk_size: chunk_size.map(|n| n as usize),
            write_delay: Duration::from_millis(self.delay_ms.unwrap_or(0)),
            studio: self.studio.unwrap_or(false),
            fault,
            fault_after: self.fault_after.unwrap_or(3) as usize,
            follow_up: "Tell me more.".into(),
            auth_error_status,
            failed_bare,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_parsing() {
        let spec: ScenarioSpec =
            serde_json::from_str(r#"{"reply":"hi","repeat":3,"chunk_size":7,"fault":"disconnect","fault_after":null}"#)
                .unwrap();
        let b = spec.into_behaviour().unwrap();
        assert_eq!(b.reply_text("x"), "hihihi");
        assert_eq!(b.chunk_size, Some(7));
        assert_eq!(b.fault, Some(Fault::Disconnect));
        assert_eq!(b.fault_after, 3);
        assert!(serde_json::from_str::<ScenarioSpec>(r#"{"chunksize":1}"#).is_err());
        let bad: ScenarioSpec = serde_json::from_str(r#"{"fault":"nope"}"#).unwrap();
        assert!(bad.into_behaviour().is_err());
        let zero: ScenarioSpec = serde_json::from_str(r#"{"delta_chars":0}"#).unwrap();
        assert!(zero.into_behaviour().is_err());
        for n in Fault::NAMES {
            assert!(Fault::parse(n).is_some());
        }
    }

    #[test]
    fn echo_default() {
        let b = ScenarioSpec::default().into_behaviour().unwrap();
        assert_eq!(b.reply_text("你好"), "You said: 你好");
    }
}
