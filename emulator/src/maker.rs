//! A device maker's setup by API (issue 15): `POST /v1/bot/create`, `POST /v1/bot/update`,
//! `POST /v1/bot/publish`, `GET /v1/bot/get_online_info`. A created bot is a draft: `/v3/chat`
//! answers it with code 4015 until it is published to the API channel (connector `"1024"`).

use serde_json::{json, Map, Value};

use crate::http::{self, api_fail, read_json_object, Req, Resp};
use crate::scenarios::ScenarioSpec;
use crate::store::{Bot, WORKSPACES};
use crate::util::{new_id, now_secs, Params};
use crate::App;

/// The API channel's connector id.
pub const API_CONNECTOR: &str = "1024";
/// Coze's code for a bot not published to the API channel (`/v3/chat`, `get_online_info`).
pub const NOT_PUBLISHED: i64 = 4015;

/// What the bot endpoints keep beyond the chat `Bot`.
#[derive(Clone)]
pub struct BotConfig {
    pub space_id: String,
    pub prompt_info: Value,
    pub onboarding_info: Value,
    pub icon_file_id: Option<String>,
    /// Published versions so far (0: a draft never published).
    pub version: u64,
    pub connector_ids: Vec<String>,
    pub updated_at: u64,
}

pub fn not_published_msg(bot_id: &str) -> String {
    format!("The bot_id {bot_id} has not been published to the channel Agent As API (connector 1024).")
}

fn text(obj: &Map<String, Value>, key: &str, required: bool) -> Result<Option<String>, Resp> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        None | Some(Value::Null) if !required => Ok(None),
        Some(Value::String(_)) if !required => Ok(Some(String::new())),
        _ => Err(api_fail(4000, &format!("invalid parameter {key}: a non-empty string is required"))),
    }
}

fn object(obj: &Map<String, Value>, key: &str) -> Result<Option<Value>, Resp> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(_) => Err(api_fail(4000, &format!("invalid parameter {key}: an object is required"))),
    }
}

pub async fn create(app: &App, req: Req) -> Resp {
    let obj = match read_json_object(req, false).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let fields = (|| {
        let space_id = text(&obj, "space_id", true)?.unwrap_or_default();
        if !WORKSPACES.iter().any(|w| w.id == space_id) {
            return Err(api_fail(4000, &format!("invalid parameter space_id: no such workspace {space_id}")));
        }
        let name = text(&obj, "name", true)?.unwrap_or_default();
        let description = text(&obj, "description", false)?.unwrap_or_default();
        let icon_file_id = text(&obj, "icon_file_id", false)?;
        let prompt_info = object(&obj, "prompt_info")?.unwrap_or(json!({"prompt": ""}));
        let onboarding_info =
            object(&obj, "onboarding_info")?.unwrap_or(json!({"prologue": "", "suggested_questions": []}));
        Ok((space_id, name, description, icon_file_id, prompt_info, onboarding_info))
    })();
    let (space_id, name, description, icon_file_id, prompt_info, onboarding_info) = match fields {
        Ok(f) => f,
        Err(r) => return r,
    };
    let behaviour = match ScenarioSpec::default().into_behaviour_limited(crate::scenarios::MAX_REPLY_BYTES) {
        Ok(b) => b,
        Err(m) => return api_fail(5000, &m),
    };
    let mut st = app.store();
    if st.scenario_bots() >= app.config.limits.max_bots {
        return api_fail(4000, "too many bots in this emulator");
    }
    let id = new_id();
    let mut bot =
        Bot::new(id.clone(), name.chars().take(256).collect(), description, "scenario".into(), behaviour, false);
    bot.unpublished = true;
    st.add_bot(bot);
    let config = BotConfig {
        space_id,
        prompt_info,
        onboarding_info,
        icon_file_id,
        version: 0,
        connector_ids: Vec::new(),
        updated_at: now_secs(),
    };
    st.bot_configs.insert(id.clone(), config);
    http::ok(json!({"bot_id": id}))
}

pub async fn update(app: &App, req: Req) -> Resp {
    let obj = match read_json_object(req, false).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let bot_id = match text(&obj, "bot_id", true) {
        Ok(id) => id.unwrap_or_default(),
        Err(r) => return r,
    };
    let (name, description, icon, prompt, onboarding) = match (|| {
        Ok((
            text(&obj, "name", false)?,
            text(&obj, "description", false)?,
            text(&obj, "icon_file_id", false)?,
            object(&obj, "prompt_info")?,
            object(&obj, "onboarding_info")?,
        ))
    })() {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut st = app.store();
    let Some(config) = st.bot_configs.get_mut(&bot_id) else {
        return api_fail(4200, &format!("bot not found: {bot_id}"));
    };
    config.updated_at = now_secs();
    if icon.is_some() {
        config.icon_file_id = icon;
    }
    if let Some(p) = prompt {
        config.prompt_info = p;
    }
    if let Some(o) = onboarding {
        config.onboarding_info = o;
    }
    if let Some(bot) = st.bots.get_mut(&bot_id) {
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            bot.name = n.chars().take(256).collect();
        }
        if let Some(d) = description {
            bot.description = d;
        }
    }
    http::ok(Value::Null)
}

pub async fn publish(app: &App, req: Req) -> Resp {
    let obj = match read_json_object(req, false).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let bot_id = match text(&obj, "bot_id", true) {
        Ok(id) => id.unwrap_or_default(),
        Err(r) => return r,
    };
    let connectors: Option<Vec<String>> = match obj.get("connector_ids") {
        Some(Value::Array(list)) if !list.is_empty() => {
            list.iter().map(|c| c.as_str().filter(|s| !s.is_empty()).map(str::to_string)).collect()
        }
        _ => None,
    };
    let Some(connectors) = connectors else {
        return api_fail(4000, "invalid parameter connector_ids: a non-empty array of strings is required");
    };
    let mut st = app.store();
    let Some(config) = st.bot_configs.get_mut(&bot_id) else {
        return api_fail(4200, &format!("bot not found: {bot_id}"));
    };
    config.version += 1;
    config.updated_at = now_secs();
    for c in connectors {
        if !config.connector_ids.contains(&c) {
            config.connector_ids.push(c);
        }
    }
    let on_api = config.connector_ids.iter().any(|c| c == API_CONNECTOR);
    let version = config.version.to_string();
    if let Some(bot) = st.bots.get_mut(&bot_id) {
        bot.unpublished = !on_api;
    }
    http::ok(json!({"bot_id": bot_id, "version": version}))
}

pub fn online_info(app: &App, req: &Req) -> Resp {
    let q = Params::parse(req.uri().query().unwrap_or("")).unwrap_or_default();
    let Some(bot_id) = q.get_nonempty("bot_id").map(str::to_string) else {
        return api_fail(4000, "invalid parameter bot_id: required");
    };
    let st = app.store();
    let Some(bot) = st.bots.get(&bot_id) else {
        return api_fail(4200, &format!("bot not found: {bot_id}"));
    };
    if bot.unpublished {
        return api_fail(NOT_PUBLISHED, &not_published_msg(&bot_id));
    }
    let config = st.bot_configs.get(&bot_id);
    http::ok(json!({
        "bot_id": bot.id,
        "name": bot.name,
        "description": bot.description,
        "icon_url": format!("{}/_emulator/icon/{}.svg", app.base_url, bot.icon),
        "create_time": bot.created_at,
        "update_time": config.map_or(bot.created_at, |c| c.updated_at),
        "version": config.map_or("1".to_string(), |c| c.version.to_string()),
        "bot_mode": 0,
        "space_id": config.map(|c| c.space_id.clone()),
        "prompt_info": config.map_or(json!({"prompt": ""}), |c| c.prompt_info.clone()),
        "onboarding_info": config.map_or(json!({"prologue": "", "suggested_questions": []}), |c| c.onboarding_info.clone()),
        "plugin_info_list": [],
        "model_info": {"model_id": "emulator", "model_name": "Emulator Echo"},
    }))
}
