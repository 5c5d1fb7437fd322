//! The `/v1` endpoints: conversations, bots, workspaces, users (coze-api.md §3).

use serde_json::{json, Map, Value};

use crate::chat::{meta_data_field, parse_enter_messages};
use crate::http::{self, api_fail, opt_str_field, read_json_object, Req, Resp};
use crate::store::{Conversation, Message, USER_ID, USER_NAME, USER_NICK, WORKSPACES};
use crate::util::{new_id, now_secs, Params};
use crate::App;

fn query(req: &Req) -> Result<Params, Resp> {
    Params::parse(req.uri().query().unwrap_or("")).map_err(|_| api_fail(4000, "invalid query string"))
}

fn icon_url(app: &App, name: &str) -> String {
    format!("{}/_emulator/icon/{name}.svg", app.base_url)
}

/// 1-based page `num` of `size` items.
fn page<T>(items: &[T], num: u64, size: u64) -> &[T] {
    let start = ((num.max(1) - 1).saturating_mul(size)).min(items.len() as u64) as usize;
    let end = (start as u64 + size).min(items.len() as u64) as usize;
    &items[start..end]
}

fn paging(q: &Params, num_name: &str) -> Result<(u64, u64), Resp> {
    let num = q.num(num_name, 1).map_err(|m| api_fail(4000, &m))?;
    let size = q.num("page_size", 20).map_err(|m| api_fail(4000, &m))?;
    if num < 1 || size < 1 {
        return Err(api_fail(4000, &format!("invalid parameter: {num_name} and page_size must be at least 1")));
    }
    Ok((num, size.min(100)))
}

// --- conversations ----------------------------------------------------------------------------

pub async fn conversation_create(app: &App, req: Req) -> Resp {
    let obj = match read_json_object(req, true).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let parsed = (|| {
        let bot_id = opt_str_field(&obj, "bot_id")?.filter(|s| !s.is_empty());
        let messages = parse_enter_messages(obj.get("messages"), "messages")?;
        let meta = meta_data_field(&obj)?;
        Ok::<_, String>((bot_id, messages, meta))
    })();
    let (bot_id, messages, meta) = match parsed {
        Ok(p) => p,
        Err(m) => return api_fail(4000, &m),
    };
    let mut st = app.store();
    if let Some(b) = &bot_id {
        if !st.bots.contains_key(b) {
            return api_fail(4200, &format!("bot not found: {b}"));
        }
    }
    let mut conv = Conversation::new(meta);
    let now = now_secs();
    for m in messages {
        conv.messages.push(Message {
            id: new_id(),
            conversation_id: conv.id.clone(),
            bot_id: bot_id.clone().unwrap_or_default(),
            chat_id: String::new(),
            role: m.role,
            kind: m.kind,
            content: m.content,
            content_type: m.content_type,
            created_at: now,
            updated_at: now,
            section_id: conv.section_id.clone(),
            meta_data: m.meta_data,
        });
    }
    let data = conv.to_json();
    st.conversations.insert(conv.id.clone(), conv);
    http::ok(data)
}

pub fn conversation_retrieve(app: &App, req: &Req) -> Resp {
    let q = match query(req) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Some(id) = q.get_nonempty("conversation_id") else {
        return api_fail(4000, "invalid parameter conversation_id: required");
    };
    match app.store().conversations.get(id) {
        Some(c) => http::ok(c.to_json()),
        None => api_fail(4200, &format!("conversation not found: {id}")),
    }
}

fn id_field(obj: &Map<String, Value>, name: &str) -> Result<Option<u64>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() || s == "0" => Ok(None),
        Some(Value::String(s)) => s.parse().map(Some).map_err(|_| format!("invalid parameter {name}")),
        Some(Value::Number(n)) => n.as_u64().filter(|v| *v > 0).map(Some).ok_or(format!("invalid parameter {name}")),
        Some(_) => Err(format!("invalid parameter {name}")),
    }
}

/// `POST /v1/conversation/message/list?conversation_id=` with `{order, chat_id, before_id, after_id, limit}`.
pub async fn conversation_messages(app: &App, req: Req) -> Resp {
    let q = match query(&req) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Some(conversation_id) = q.get_nonempty("conversation_id").map(str::to_string) else {
        return api_fail(4000, "invalid parameter conversation_id: required");
    };
    let obj = match read_json_object(req, true).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let parsed = (|| {
        let order = opt_str_field(&obj, "order")?.unwrap_or_else(|| "desc".into());
        if order != "asc" && order != "desc" {
            return Err("invalid parameter order: asc or desc".to_string());
        }
        let chat_id = opt_str_field(&obj, "chat_id")?.filter(|s| !s.is_empty());
        let before = id_field(&obj, "before_id")?;
        let after = id_field(&obj, "after_id")?;
        let limit = match obj.get("limit") {
            None | Some(Value::Null) => 50,
            Some(v) => v.as_u64().filter(|l| *l >= 1).ok_or("invalid parameter limit: 1 to 50")?.min(50),
        };
        Ok((order, chat_id, before, after, limit as usize))
    })();
    let (order, chat_id, before, after, limit) = match parsed {
        Ok(p) => p,
        Err(m) => return api_fail(4000, &m),
    };
    let st = app.store();
    let Some(conv) = st.conversations.get(&conversation_id) else {
        return api_fail(4200, &format!("conversation not found: {conversation_id}"));
    };
    let id_of = |m: &Message| m.id.parse::<u64>().unwrap_or(0);
    let mut all: Vec<&Message> = conv
        .messages
        .iter()
        .filter(|m| chat_id.as_deref().is_none_or(|c| m.chat_id == c))
        .filter(|m| before.is_none_or(|b| id_of(m) < b))
        .filter(|m| after.is_none_or(|a| id_of(m) > a))
        .collect();
    all.sort_by_key(|m| id_of(m));
    // With after_id: the oldest `limit` after it; otherwise the newest `limit`.
    let (mut page, has_more): (Vec<&Message>, bool) = if after.is_some() && before.is_none() {
        (all.iter().take(limit).copied().collect(), all.len() > limit)
    } else {
        let skip = all.len().saturating_sub(limit);
        (all[skip..].to_vec(), skip > 0)
    };
    if order == "desc" {
        page.reverse();
    }
    let first_id = page.first().map(|m| m.id.clone()).unwrap_or_default();
    let last_id = page.last().map(|m| m.id.clone()).unwrap_or_default();
    http::ok_with(
        serde_json::to_value(&page).unwrap_or(Value::Null),
        json!({"first_id": first_id, "last_id": last_id, "has_more": has_more}),
    )
}

// --- bots -------------------------------------------------------------------------------------

pub fn bots_list(app: &App, req: &Req) -> Resp {
    let q = match query(req) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Some(ws) = q.get_nonempty("workspace_id") else {
        return api_fail(4000, "invalid parameter workspace_id: required");
    };
    let (num, size) = match paging(&q, "page_num") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = app.store();
    let bots = if ws == WORKSPACES[0].id { st.listed_bots() } else { Vec::new() };
    let items: Vec<Value> = page(&bots, num, size)
        .iter()
        .map(|b| {
            json!({
                "id": b.id,
                "name": b.name,
                "icon_url": icon_url(app, &b.icon),
                "updated_at": b.created_at,
                "description": b.description,
                "is_published": true,
                "published_at": b.created_at,
                "owner_user_id": USER_ID,
            })
        })
        .collect();
    http::ok(json!({"total": bots.len(), "items": items}))
}

pub fn published_bots(app: &App, req: &Req) -> Resp {
    let q = match query(req) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let Some(space) = q.get_nonempty("space_id") else {
        return api_fail(4000, "invalid parameter space_id: required");
    };
    let (num, size) = match paging(&q, "page_index") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = app.store();
    let bots = if space == WORKSPACES[0].id { st.listed_bots() } else { Vec::new() };
    let items: Vec<Value> = page(&bots, num, size)
        .iter()
        .map(|b| {
            json!({
                "bot_id": b.id,
                "bot_name": b.name,
                "description": b.description,
                "icon_url": icon_url(app, &b.icon),
                "publish_time": b.created_at.to_string(),
            })
        })
        .collect();
    http::ok(json!({"total": bots.len(), "space_bots": items}))
}

pub fn bot_retrieve(app: &App, bot_id: &str) -> Resp {
    let st = app.store();
    let Some(b) = st.bots.get(bot_id) else {
        return api_fail(4200, &format!("bot not found: {bot_id}"));
    };
    http::ok(json!({
        "bot_id": b.id,
        "name": b.name,
        "description": b.description,
        "icon_url": icon_url(app, &b.icon),
        "create_time": b.created_at,
        "update_time": b.created_at,
        "version": "1",
        "bot_mode": 0,
        "owner_user_id": USER_ID,
    }))
}

// --- workspaces, users ------------------------------------------------------------------------

pub fn workspaces(app: &App, req: &Req) -> Resp {
    let q = match query(req) {
        Ok(q) => q,
        Err(r) => return r,
    };
    let (num, size) = match paging(&q, "page_num") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items: Vec<Value> = page(&WORKSPACES, num, size)
        .iter()
        .map(|w| {
            json!({
                "id": w.id,
                "name": w.name,
                "icon_url": icon_url(app, w.icon),
                "role_type": w.role_type,
                "workspace_type": w.workspace_type,
            })
        })
        .collect();
    http::ok(json!({"workspaces": items, "total_count": WORKSPACES.len()}))
}

pub fn me(app: &App) -> Resp {
    http::ok(json!({
        "user_id": USER_ID,
        "user_name": USER_NAME,
        "nick_name": USER_NICK,
        "avatar_url": icon_url(app, "user"),
    }))
}
