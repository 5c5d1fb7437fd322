//! In-memory state: OAuth clients, pending authorizations, codes, token families, bots,
//! conversations, chats and counters. One `std::sync::Mutex` guards it; never held across `.await`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use crate::http::{OAuthShape, Req, StreamRec, StreamStats};
use crate::scenarios::{builtin_bots, Behaviour};
use crate::util::{new_id, now_ms, now_secs, random_token};

pub const DEMO_CLIENT_ID: &str = "demo-client.app.coze";
pub const DEMO_CLIENT_NAME: &str = "Coze Emulator Demo";
pub const DEMO_PAT: &str = "pat_emulator_demo";
pub const REFRESH_TTL_SECS: u64 = 30 * 24 * 3600;
/// How long a pending authorization (the consent page) stays valid.
pub const PENDING_TTL_MS: u64 = 10 * 60 * 1000;

pub const USER_ID: &str = "7400000000000000777";
pub const USER_NAME: &str = "emulator_user";
pub const USER_NICK: &str = "Emulator User";

pub struct Workspace {
    pub id: &'static str,
    pub name: &'static str,
    pub icon: &'static str,
    pub role_type: &'static str,
    pub workspace_type: &'static str,
}

pub const WORKSPACES: [Workspace; 2] = [
    Workspace {
        id: "7400000000000000101",
        name: "Personal",
        icon: "personal",
        role_type: "owner",
        workspace_type: "personal",
    },
    Workspace {
        id: "7400000000000000102",
        name: "Team Emulator",
        icon: "team",
        role_type: "admin",
        workspace_type: "team",
    },
];

// ---------------------------------------------------------------------------------------------
// OAuth

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMethod {
    S256,
    Plain,
}

pub struct Client {
    pub name: String,
    /// Exact-match redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Also accept loopback URLs `http://127.0.0.1|localhost[:port]{/,/index.html,/embed.html,/callback}[?query]`.
    pub loopback_rule: bool,
    /// Access-token lifetime override (seconds).
    pub access_ttl: Option<u64>,
    /// Per-client behaviour switches (`POST /_emulator/clients[/{id}]`).
    pub settings: ClientSettings,
    /// A web app's secret (`client_type: "web"`): required on code exchange and refresh.
    pub client_secret: Option<String>,
}

/// Per-client switches: how errors look and which token-endpoint faults to inject.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// HTTP status of the 4100 envelope for this client's bad/expired tokens (`None`: the server default).
    pub auth_error_status: Option<u16>,
    /// Field names of this client's OAuth errors.
    pub oauth_error_shape: OAuthShape,
    pub token_fault: Option<TokenFault>,
    /// Device flow: the `interval` (seconds, default 5; 0 = never `slow_down`) and `expires_in`
    /// (seconds, default 300) of this client's device codes.
    pub device_interval: Option<u64>,
    pub device_expires_in: Option<u64>,
}

impl Default for ClientSettings {
    fn default() -> ClientSettings {
        ClientSettings {
            auth_error_status: None,
            oauth_error_shape: OAuthShape::Both,
            token_fault: None,
            device_interval: None,
            device_expires_in: None,
        }
    }
}

impl ClientSettings {
    pub fn to_json(&self) -> Value {
        json!({
            "auth_error_status": self.auth_error_status,
            "oauth_error_shape": self.oauth_error_shape.name(),
            "token_fault": self.token_fault.as_ref().map(TokenFault::to_json),
            "device_interval": self.device_interval,
            "device_expires_in": self.device_expires_in,
        })
    }
}

/// What the token endpoint does instead of its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFaultKind {
    /// HTTP 429, `{code:4013,msg,detail}`, `retry-after: 1`.
    Http429,
    /// HTTP 503 with an HTML page (a proxy / gateway error).
    Http503Html,
    /// An OAuth error (`code`, HTTP 400) in the client's shape.
    Refuse,
}

impl TokenFaultKind {
    pub const NAMES: &'static [&'static str] = &["http_429", "http_503_html", "refuse"];

    pub fn parse(s: &str) -> Option<TokenFaultKind> {
        Some(match s {
            "http_429" => TokenFaultKind::Http429,
            "http_503_html" => TokenFaultKind::Http503Html,
            "refuse" => TokenFaultKind::Refuse,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TokenFaultKind::Http429 => "http_429",
            TokenFaultKind::Http503Html => "http_503_html",
            TokenFaultKind::Refuse => "refuse",
        }
    }
}

#[derive(Debug, Clone)]
pub struct TokenFault {
    pub kind: TokenFaultKind,
    /// Which grant it hits: `refresh_token` (default), `authorization_code` or `any`.
    pub grant: String,
    /// How many more requests it hits (`None`: every one).
    pub remaining: Option<u64>,
    /// The OAuth error code of `refuse`.
    pub code: String,
}

impl TokenFault {
    pub fn to_json(&self) -> Value {
        json!({"kind": self.kind.name(), "grant": self.grant, "times": self.remaining, "code": self.code})
    }

    pub fn applies_to(&self, grant_type: &str) -> bool {
        let device = self.grant == "device_code" && grant_type == crate::device::GRANT_TYPE;
        self.remaining != Some(0) && (self.grant == "any" || self.grant == grant_type || device)
    }
}

impl Client {
    pub fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri) || (self.loopback_rule && loopback_redirect_ok(uri))
    }
}

/// The demo client's loopback rule: `http`, host `127.0.0.1` or `localhost`, any (or no) port, path
/// exactly `/`, `/index.html`, `/embed.html` or `/callback`, an optional query, no fragment, no userinfo.
pub fn loopback_redirect_ok(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://") else { return false };
    if uri.contains('#') {
        return false;
    }
    let Some(slash) = rest.find('/') else { return false };
    let (authority, path_query) = rest.split_at(slash);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host != "127.0.0.1" && host != "localhost" {
        return false;
    }
    if let Some(p) = port {
        if p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().unwrap_or(0) > 65535
        {
            return false;
        }
    }
    let path = path_query.split('?').next().unwrap_or("");
    // /embed.html: the demo's <coze-chat> product page (www/embed.html).
    matches!(path, "/" | "/index.html" | "/embed.html" | "/callback")
}

pub struct PendingAuth {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub challenge: String,
    pub method: ChallengeMethod,
    pub workspace_id: Option<String>,
    pub created_ms: u64,
}

pub struct CodeRec {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
    pub method: ChallengeMethod,
    pub expires_ms: u64,
    pub used: bool,
    /// The token family issued from this code (set once redeemed), revoked on replay.
    pub family: Option<u64>,
}

pub struct AccessRec {
    /// The client the token was issued to (for the per-client API counters).
    pub client_id: String,
    pub family: u64,
    pub expires_ms: u64,
}

pub struct RefreshRec {
    pub client_id: String,
    pub family: u64,
    pub expires_ms: u64,
    /// Already exchanged (rotated); presenting it again is reuse.
    pub rotated: bool,
}

#[derive(Default, Clone)]
pub struct ClientStats {
    pub authorization_code: u64,
    pub refresh_token: u64,
    pub refresh_failures: u64,
    /// Token requests answered by an injected `token_fault`.
    pub token_faults: u64,
    /// `/v1`, `/v3` requests with one of this client's access tokens: accepted / refused (401).
    pub api_ok: u64,
    pub api_unauthorized: u64,
    /// Accepted requests a scenario answered with 4100 anyway (`http_401`, `unauthorized_once`, `unauthorized_always`).
    pub api_emulated_unauthorized: u64,
    /// Every `/v1`, `/v3` request bearing one of this client's tokens, by API path.
    pub api_paths: BTreeMap<String, u64>,
    /// `/v3/chat/cancel` calls bearing one of this client's tokens.
    pub cancel_calls: u64,
    /// Device flow: device codes issued, and token polls with the device_code grant.
    pub device_codes: u64,
    pub device_code: u64,
}

/// A device authorization (coze-api.md §1.8).
pub struct DeviceRec {
    pub client_id: String,
    pub workspace_id: Option<String>,
    pub expires_ms: u64,
    /// Minimum seconds between polls; grows by 5 with each `slow_down`.
    pub interval_s: u64,
    pub last_poll_ms: Option<u64>,
    /// The user's answer on the verification page (`None`: not yet).
    pub decision: Option<bool>,
    /// Tokens were issued for it.
    pub redeemed: bool,
}

/// What an API request carried (for `GET /_emulator/last_request`). Header names lowercased,
/// repeated headers joined with ", ", values capped at 2048 bytes, at most 64 headers;
/// `authorization` is reduced to its scheme and a length.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub at_ms: u64,
}

const MAX_RECORDED_HEADERS: usize = 64;
const MAX_RECORDED_VALUE: usize = 2048;

impl RecordedRequest {
    pub fn of(req: &Req) -> RecordedRequest {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for name in req.headers().keys() {
            if headers.len() >= MAX_RECORDED_HEADERS {
                break;
            }
            let values: Vec<String> = req
                .headers()
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            let mut value = values.join(", ");
            if name.as_str() == "authorization" {
                value = redact_authorization(&value);
            }
            if value.len() > MAX_RECORDED_VALUE {
                let mut end = MAX_RECORDED_VALUE;
                while !value.is_char_boundary(end) {
                    end -= 1;
                }
                value.truncate(end);
                value.push('…');
            }
            headers.insert(name.as_str().to_string(), value);
        }
        RecordedRequest {
            method: req.method().to_string(),
            path: req.uri().path().to_string(),
            headers,
            at_ms: now_ms(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"method": self.method, "path": self.path, "headers": self.headers, "at_ms": self.at_ms})
    }
}

/// `Bearer czu_…` → `Bearer [redacted, 47 chars]` (a test can still see a token was sent).
fn redact_authorization(v: &str) -> String {
    match v.split_once(' ') {
        Some((scheme, rest)) if !rest.trim().is_empty() => {
            format!("{scheme} [redacted, {} chars]", rest.trim().chars().count())
        }
        Some((scheme, _)) => format!("{scheme} "),
        None => "[redacted]".into(),
    }
}

/// One `/v3/chat/cancel` call, as `GET /_emulator/cancels` reports it.
#[derive(Debug, Clone)]
pub struct CancelRecord {
    pub client_id: Option<String>,
    pub bot_id: Option<String>,
    pub conversation_id: String,
    pub chat_id: String,
    /// The envelope code of the reply (0 = canceled; 4104 not cancelable; 4200 unknown).
    pub code: i64,
    pub at_ms: u64,
}

impl CancelRecord {
    pub fn to_json(&self) -> Value {
        json!({
            "client_id": self.client_id,
            "bot_id": self.bot_id,
            "conversation_id": self.conversation_id,
            "chat_id": self.chat_id,
            "code": self.code,
            "at_ms": self.at_ms,
        })
    }
}

/// How many cancel calls `GET /_emulator/cancels` keeps (the oldest are dropped).
pub const MAX_CANCEL_RECORDS: usize = 1000;

pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Absolute Unix seconds.
    pub expires_in: u64,
}

// ---------------------------------------------------------------------------------------------
// Chat data (serialized exactly as the API returns them)

pub const ST_CREATED: &str = "created";
pub const ST_IN_PROGRESS: &str = "in_progress";
pub const ST_COMPLETED: &str = "completed";
pub const ST_FAILED: &str = "failed";
pub const ST_CANCELED: &str = "canceled";

#[derive(Debug, Clone, Serialize)]
pub struct LastError {
    pub code: i64,
    pub msg: String,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Usage {
    pub token_count: u64,
    pub output_count: u64,
    pub input_count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Chat {
    pub id: String,
    pub conversation_id: String,
    pub bot_id: String,
    pub created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<u64>,
    pub meta_data: Value,
    pub last_error: LastError,
    pub status: &'static str,
    pub usage: Usage,
    pub section_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub bot_id: String,
    pub chat_id: String,
    pub role: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub content_type: String,
    pub created_at: u64,
    pub updated_at: u64,
    pub section_id: String,
    pub meta_data: Value,
}

pub struct ChatEntry {
    pub chat: Chat,
    /// Output messages (answer, verbose, follow_up) for `/v3/chat/message/list`.
    pub messages: Vec<Message>,
    /// The client whose token started it (`None`: the PAT).
    pub client_id: Option<String>,
    /// `/v3/chat/cancel` calls naming this chat.
    pub cancel_calls: u64,
    /// Its SSE response, when it was streamed.
    pub stream: Option<Arc<StreamRec>>,
}

pub struct Conversation {
    pub id: String,
    pub created_at: u64,
    pub updated_at: u64,
    pub meta_data: Value,
    pub section_id: String,
    /// Saved history (user + assistant answer messages), in creation order.
    pub messages: Vec<Message>,
    /// The chat currently running, if any (one at a time → 4016).
    pub running: Option<String>,
}

impl Conversation {
    pub fn new(meta_data: Value) -> Conversation {
        let now = now_secs();
        Conversation {
            id: new_id(),
            created_at: now,
            updated_at: now,
            meta_data,
            section_id: new_id(),
            messages: Vec::new(),
            running: None,
        }
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "created_at": self.created_at,
            "meta_data": self.meta_data,
            "last_section_id": self.section_id,
        })
    }
}

pub struct Bot {
    pub id: String,
    pub name: String,
    pub description: String,
    pub icon: String,
    pub behaviour: Behaviour,
    /// Listed in workspace 1 (built-in bots only).
    pub listed: bool,
    /// `unauthorized_once` not yet triggered.
    pub unauthorized_pending: bool,
    pub created_at: u64,
    /// `/v3/chat` requests naming this bot, whatever their outcome.
    pub chat_requests: u64,
    /// Of those, answered with an injected 4100.
    pub emulated_unauthorized: u64,
    /// `/v3/chat/cancel` calls for this bot's chats.
    pub cancel_calls: u64,
    /// This bot's SSE responses.
    pub streams: Arc<StreamStats>,
    /// The last `/v3/chat` request naming this bot.
    pub last_request: Option<RecordedRequest>,
    /// Created by `POST /v1/bot/create` and not yet published to the API channel: `/v3/chat`
    /// refuses it (code 4015).
    pub unpublished: bool,
}

impl Bot {
    pub fn new(id: String, name: String, description: String, icon: String, behaviour: Behaviour, listed: bool) -> Bot {
        Bot {
            id,
            name,
            description,
            icon,
            behaviour,
            listed,
            unauthorized_pending: false,
            created_at: now_secs(),
            chat_requests: 0,
            emulated_unauthorized: 0,
            cancel_calls: 0,
            streams: Arc::new(StreamStats::default()),
            last_request: None,
            unpublished: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------

pub struct Store {
    pub clients: HashMap<String, Client>,
    pub pending: HashMap<String, PendingAuth>,
    pub codes: HashMap<String, CodeRec>,
    pub access: HashMap<String, AccessRec>,
    pub refresh: HashMap<String, RefreshRec>,
    /// family id → revoked?
    pub families: HashMap<u64, bool>,
    next_family: u64,
    pub stats: HashMap<String, ClientStats>,
    pub bots: HashMap<String, Bot>,
    pub bot_order: Vec<String>,
    pub conversations: HashMap<String, Conversation>,
    pub chats: HashMap<String, ChatEntry>,
    /// The last `/v1`, `/v3` request, and the last one per client (by its token).
    pub last_request: Option<RecordedRequest>,
    pub last_request_by_client: HashMap<String, RecordedRequest>,
    /// The latest `/v3/chat/cancel` calls (at most `MAX_CANCEL_RECORDS`).
    pub cancels: VecDeque<CancelRecord>,
    /// Device authorizations by device_code, and user_code → device_code.
    pub devices: HashMap<String, DeviceRec>,
    pub user_codes: HashMap<String, String>,
    /// JWT apps by app id, and the JWT ids already redeemed (`iss\njti` → expiry, unix seconds).
    pub jwt_apps: HashMap<String, crate::jwt::JwtApp>,
    pub jwt_ids_seen: HashMap<String, i64>,
    /// What `/v1/bot/create` bots keep beyond the chat `Bot` (prompt, versions, connectors).
    pub bot_configs: HashMap<String, crate::maker::BotConfig>,
}

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Store {
        let mut s = Store {
            clients: HashMap::new(),
            pending: HashMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            families: HashMap::new(),
            next_family: 1,
            stats: HashMap::new(),
            bots: HashMap::new(),
            bot_order: Vec::new(),
            conversations: HashMap::new(),
            chats: HashMap::new(),
            last_request: None,
            last_request_by_client: HashMap::new(),
            cancels: VecDeque::new(),
            devices: HashMap::new(),
            user_codes: HashMap::new(),
            jwt_apps: HashMap::new(),
            jwt_ids_seen: HashMap::new(),
            bot_configs: HashMap::new(),
        };
        s.clients.insert(
            DEMO_CLIENT_ID.into(),
            Client {
                name: DEMO_CLIENT_NAME.into(),
                redirect_uris: Vec::new(),
                loopback_rule: true,
                access_ttl: None,
                settings: ClientSettings::default(),
                client_secret: None,
            },
        );
        let created = now_secs() - 86_400;
        for def in builtin_bots() {
            let mut bot =
                Bot::new(def.id.into(), def.name.into(), def.description.into(), def.icon.into(), def.behaviour, true);
            bot.created_at = created;
            s.add_bot(bot);
        }
        s
    }

    /// Registered clients, not counting the built-in demo client.
    pub fn registered_clients(&self) -> usize {
        self.clients.len().saturating_sub(1)
    }

    /// Scenario bots, not counting the built-in ones.
    pub fn scenario_bots(&self) -> usize {
        self.bots.values().filter(|b| !b.listed).count()
    }

    /// The client an access token was issued to (live or not).
    pub fn token_client(&self, token: &str) -> Option<String> {
        self.access.get(token).map(|r| r.client_id.clone())
    }

    pub fn record_request(&mut self, client_id: Option<&str>, request: &RecordedRequest) {
        self.last_request = Some(request.clone());
        if let Some(c) = client_id {
            self.last_request_by_client.insert(c.to_string(), request.clone());
        }
    }

    /// Keep fewer than `max` device authorizations: drop expired ones, then (if still full) the
    /// ones expiring first.
    pub fn purge_devices(&mut self, max: usize) {
        if self.devices.len() < max {
            return;
        }
        let now = now_ms();
        self.devices.retain(|_, d| d.expires_ms > now);
        if self.devices.len() >= max {
            let mut by_expiry: Vec<(u64, String)> =
                self.devices.iter().map(|(k, d)| (d.expires_ms, k.clone())).collect();
            by_expiry.sort();
            for (_, k) in by_expiry.into_iter().take(self.devices.len() + 1 - max) {
                self.devices.remove(&k);
            }
        }
        let live: std::collections::HashSet<&String> = self.devices.keys().collect();
        self.user_codes.retain(|_, d| live.contains(d));
    }

    pub fn record_cancel(&mut self, rec: CancelRecord) {
        if let Some(c) = &rec.client_id {
            self.stats_mut(c).cancel_calls += 1;
        }
        if self.cancels.len() >= MAX_CANCEL_RECORDS {
            self.cancels.pop_front();
        }
        self.cancels.push_back(rec);
    }

    pub fn add_bot(&mut self, mut bot: Bot) {
        bot.unauthorized_pending = bot.behaviour.fault == Some(crate::scenarios::Fault::UnauthorizedOnce);
        self.bot_order.push(bot.id.clone());
        self.bots.insert(bot.id.clone(), bot);
    }

    pub fn listed_bots(&self) -> Vec<&Bot> {
        self.bot_order.iter().filter_map(|id| self.bots.get(id)).filter(|b| b.listed).collect()
    }

    /// The counters of `client_id`. Counters for unknown client ids (token requests may name
    /// anything) are kept only while there are fewer than 10 000 of them; beyond that they go to
    /// a scratch entry that is never reported, so the map stays bounded.
    pub fn stats_mut(&mut self, client_id: &str) -> &mut ClientStats {
        const MAX_UNKNOWN: usize = 10_000;
        let known = self.clients.contains_key(client_id) || self.stats.contains_key(client_id);
        let key = if known || self.stats.len() < self.clients.len() + MAX_UNKNOWN { client_id } else { "" };
        self.stats.entry(key.to_string()).or_default()
    }

    pub fn new_family(&mut self) -> u64 {
        let f = self.next_family;
        self.next_family += 1;
        self.families.insert(f, false);
        f
    }

    pub fn revoke_family(&mut self, family: u64) {
        self.families.insert(family, true);
    }

    fn family_revoked(&self, family: u64) -> bool {
        self.families.get(&family).copied().unwrap_or(true)
    }

    pub fn refresh_family_revoked(&self, rec: &RefreshRec) -> bool {
        self.family_revoked(rec.family)
    }

    /// Issue an access + refresh token pair in `family`.
    pub fn issue_tokens(&mut self, client_id: &str, family: u64, access_ttl_secs: u64) -> IssuedTokens {
        self.purge_expired();
        let now = now_ms();
        let access_token = format!("czu_{}", random_token(32));
        let refresh_token = random_token(32);
        let expires_ms = now + access_ttl_secs * 1000;
        self.access.insert(access_token.clone(), AccessRec { client_id: client_id.into(), family, expires_ms });
        self.refresh.insert(
            refresh_token.clone(),
            RefreshRec {
                client_id: client_id.into(),
                family,
                expires_ms: now + REFRESH_TTL_SECS * 1000,
                rotated: false,
            },
        );
        IssuedTokens { access_token, refresh_token, expires_in: expires_ms / 1000 }
    }

    /// Is `token` a live access token (or the demo PAT)?
    pub fn access_token_valid(&self, token: &str) -> Result<(), &'static str> {
        if token == DEMO_PAT {
            return Ok(());
        }
        match self.access.get(token) {
            None => Err("The token you entered is incorrect. Please double-check and try again."),
            Some(rec) if self.family_revoked(rec.family) => Err("The access token has been revoked."),
            Some(rec) if now_ms() >= rec.expires_ms => Err("The access token has expired."),
            Some(_) => Ok(()),
        }
    }

    /// `access_token_valid`, counted in the stats of the client the token was issued to
    /// (`path`: the API path, counted per path).
    pub fn use_access_token(&mut self, token: &str, path: &str) -> Result<(), &'static str> {
        let result = self.access_token_valid(token);
        if let Some(client_id) = self.access.get(token).map(|r| r.client_id.clone()) {
            let stats = self.stats_mut(&client_id);
            match result {
                Ok(()) => stats.api_ok += 1,
                Err(_) => stats.api_unauthorized += 1,
            }
            *stats.api_paths.entry(path.to_string()).or_default() += 1;
        }
        result
    }

    /// End the lifetime of the named tokens now, as if their TTL had run out (the rest of the
    /// login is untouched). Returns how many of the given tokens were known.
    pub fn expire_tokens(&mut self, access_token: Option<&str>, refresh_token: Option<&str>) -> usize {
        let now = now_ms();
        let mut found = 0;
        if let Some(rec) = access_token.and_then(|t| self.access.get_mut(t)) {
            rec.expires_ms = rec.expires_ms.min(now);
            found += 1;
        }
        if let Some(rec) = refresh_token.and_then(|t| self.refresh.get_mut(t)) {
            rec.expires_ms = rec.expires_ms.min(now);
            found += 1;
        }
        found
    }

    /// Drop long-dead OAuth records so a long-running emulator does not grow without bound.
    fn purge_expired(&mut self) {
        if self.access.len() + self.codes.len() + self.pending.len() < 10_000 {
            return;
        }
        let now = now_ms();
        let grace = 3600 * 1000;
        self.access.retain(|_, r| r.expires_ms + grace > now);
        self.codes.retain(|_, c| c.expires_ms + grace > now);
        self.pending.retain(|_, p| p.created_ms + PENDING_TTL_MS > now);
        self.refresh.retain(|_, r| r.expires_ms > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_rule() {
        for ok in [
            "http://127.0.0.1:8080/",
            "http://localhost:5173/index.html",
            "http://127.0.0.1:1/callback",
            "http://localhost/callback",
            "http://127.0.0.1:8080/callback?x=1",
            "http://127.0.0.1:8080/embed.html",
        ] {
            assert!(loopback_redirect_ok(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1:8080/",
            "http://127.0.0.2:8080/",
            "http://evil.com/callback",
            "http://localhost:8080/other",
            "http://localhost:8080",
            "http://localhost:8080/callback#x",
            "http://user@localhost:8080/",
            "http://localhost:99999/",
            "http://localhost:/",
            "http://localhost.evil.com:80/",
            "http://127.0.0.1:8080/callback/",
            "http://127.0.0.1:8080/embed.htm",
        ] {
            assert!(!loopback_redirect_ok(bad), "{bad}");
        }
    }
}
