//! In-memory state: OAuth clients, pending authorizations, codes, token families, bots,
//! conversations, chats and counters. One `std::sync::Mutex` guards it; never held across `.await`.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

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
    /// Also accept loopback URLs `http://127.0.0.1|localhost[:port]{/,/index.html,/callback}[?query]`.
    pub loopback_rule: bool,
    /// Access-token lifetime override (seconds).
    pub access_ttl: Option<u64>,
}

impl Client {
    pub fn redirect_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri) || (self.loopback_rule && loopback_redirect_ok(uri))
    }
}

/// The demo client's loopback rule: `http`, host `127.0.0.1` or `localhost`, any (or no) port, path
/// exactly `/`, `/index.html` or `/callback`, an optional query, no fragment, no userinfo.
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
    matches!(path, "/" | "/index.html" | "/callback")
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

#[derive(Default, Clone, Copy)]
pub struct ClientStats {
    pub authorization_code: u64,
    pub refresh_token: u64,
    pub refresh_failures: u64,
    /// `/v1`, `/v3` requests with one of this client's access tokens: accepted / refused (401).
    pub api_ok: u64,
    pub api_unauthorized: u64,
}

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
        };
        s.clients.insert(
            DEMO_CLIENT_ID.into(),
            Client { name: DEMO_CLIENT_NAME.into(), redirect_uris: Vec::new(), loopback_rule: true, access_ttl: None },
        );
        let created = now_secs() - 86_400;
        for def in builtin_bots() {
            s.add_bot(Bot {
                id: def.id.into(),
                name: def.name.into(),
                description: def.description.into(),
                icon: def.icon.into(),
                behaviour: def.behaviour,
                listed: true,
                unauthorized_pending: false,
                created_at: created,
            });
        }
        s
    }

    pub fn add_bot(&mut self, mut bot: Bot) {
        bot.unauthorized_pending = bot.behaviour.fault == Some(crate::scenarios::Fault::UnauthorizedOnce);
        self.bot_order.push(bot.id.clone());
        self.bots.insert(bot.id.clone(), bot);
    }

    pub fn listed_bots(&self) -> Vec<&Bot> {
        self.bot_order.iter().filter_map(|id| self.bots.get(id)).filter(|b| b.listed).collect()
    }

    pub fn stats_mut(&mut self, client_id: &str) -> &mut ClientStats {
        self.stats.entry(client_id.to_string()).or_default()
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

    /// `access_token_valid`, counted in the stats of the client the token was issued to.
    pub fn use_access_token(&mut self, token: &str) -> Result<(), &'static str> {
        let result = self.access_token_valid(token);
        if let Some(client_id) = self.access.get(token).map(|r| r.client_id.clone()) {
            let stats = self.stats_mut(&client_id);
            match result {
                Ok(()) => stats.api_ok += 1,
                Err(_) => stats.api_unauthorized += 1,
            }
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
        ] {
            assert!(!loopback_redirect_ok(bad), "{bad}");
        }
    }
}
