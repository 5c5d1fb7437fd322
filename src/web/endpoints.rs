//! The endpoint table: every REST call the client makes is a row of data (method, path, where each
//! argument goes, what part of the reply is returned). `request` turns a row and the caller's
//! arguments into the request the JS driver sends.

use wasm_bindgen::JsValue;

use super::params;
use crate::core::api::path_with_query;
use crate::core::token::json_string;
use crate::core::Result;

/// Where an endpoint's positional ID arguments go.
#[derive(Clone, Copy, PartialEq)]
enum Ids {
    Query,
    Body,
}

/// What the argument after the IDs is.
#[derive(Clone, Copy)]
enum Params {
    None,
    /// The `/v3/chat` params; `true` for a stream.
    Chat(bool),
    Conversation,
    /// An options object read into the query (`required` must be there).
    Query { strings: &'static [&'static str], numbers: &'static [&'static str], required: bool },
    /// An optional options object sent as the JSON body, its fields checked like a query's.
    Body { strings: &'static [&'static str], numbers: &'static [&'static str] },
}

/// What the caller gets: the envelope's `data`, or these fields of the whole reply.
#[derive(Clone, Copy)]
enum Pick {
    Data,
    Fields(&'static str),
}

struct Endpoint {
    method: &'static str,
    path: &'static str,
    ids: &'static [&'static str],
    ids_in: Ids,
    params: Params,
    pick: Pick,
}

const fn row(method: &'static str, path: &'static str, ids: &'static [&'static str], ids_in: Ids, params: Params) -> Endpoint {
    Endpoint { method, path, ids, ids_in, params, pick: Pick::Data }
}

const CHAT_IDS: &[&str] = &["conversation_id", "chat_id"];

/// Indexed by the JS driver's endpoint numbers (`ENDPOINT` in support.js).
const ENDPOINTS: [Endpoint; 12] = [
    row("POST", "/v3/chat", &[], Ids::Query, Params::Chat(true)),
    row("POST", "/v3/chat", &[], Ids::Query, Params::Chat(false)),
    row("POST", "/v3/chat/retrieve", CHAT_IDS, Ids::Query, Params::None),
    row("POST", "/v3/chat/cancel", CHAT_IDS, Ids::Body, Params::None),
    row("GET", "/v3/chat/message/list", CHAT_IDS, Ids::Query, Params::None),
    row("POST", "/v1/conversation/create", &[], Ids::Query, Params::Conversation),
    row("GET", "/v1/conversation/retrieve", &["conversation_id"], Ids::Query, Params::None),
    Endpoint {
        pick: Pick::Fields("data first_id last_id has_more"),
        ..row(
            "POST",
            "/v1/conversation/message/list",
            &["conversation_id"],
            Ids::Query,
            Params::Body { strings: &["chat_id", "before_id", "after_id", "order"], numbers: &["limit"] },
        )
    },
    row(
        "GET",
        "/v1/space/published_bots_list",
        &[],
        Ids::Query,
        Params::Query { strings: &["space_id"], numbers: &["page_index", "page_size"], required: true },
    ),
    row(
        "GET",
        "/v1/bots",
        &[],
        Ids::Query,
        Params::Query {
            strings: &["workspace_id", "publish_status", "connector_id"],
            numbers: &["page_num", "page_size"],
            required: true,
        },
    ),
    row(
        "GET",
        "/v1/workspaces",
        &[],
        Ids::Query,
        Params::Query { strings: &[], numbers: &["page_num", "page_size"], required: false },
    ),
    row("GET", "/v1/users/me", &[], Ids::Query, Params::None),
];

/// The request for endpoint `index` as JSON for the driver: `{method, url, body?, pick}`;
/// `pick` is `"data"` or a space-separated list of top-level fields.
pub fn request(index: u32, base_url: &str, args: [&JsValue; 3], user_id: &str) -> Result<String> {
    let Some(e) = ENDPOINTS.get(index as usize) else {
        return Err(crate::core::CozeError::invalid_argument("unknown endpoint"));
    };
    let mut query: Vec<(String, String)> = Vec::new();
    let mut body: Option<String> = None;
    let mut id_fields = Vec::new();
    for (name, value) in e.ids.iter().zip(args) {
        let id = params::id(name, value)?;
        match e.ids_in {
            Ids::Query => query.push(((*name).to_owned(), id)),
            Ids::Body => id_fields.push(format!("{}:{}", json_string(name), json_string(&id))),
        }
    }
    if !id_fields.is_empty() {
        body = Some(format!("{{{}}}", id_fields.join(",")));
    }
    let rest = args[e.ids.len()];
    match e.params {
        Params::None => {}
        Params::Chat(stream) => body = Some(params::chat(rest, stream, user_id, &mut query)?),
        Params::Conversation => body = Some(params::conversation(rest)?),
        Params::Query { strings, numbers, required } => {
            let o = params::object(rest.clone(), "params", !required)?;
            if required && params::optional_id(&o, strings[0])?.is_none() {
                return Err(crate::core::CozeError::invalid_argument(format!("`{}` is required", strings[0])));
            }
            params::query(&o, strings, numbers, &mut query)?;
        }
        Params::Body { strings, numbers } => {
            let o = params::object(rest.clone(), "params", true)?;
            params::query(&o, strings, numbers, &mut Vec::new())?;
            body = Some(params::to_json("params", &o)?);
        }
    }
    let pairs: Vec<(&str, Option<&str>)> = query.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))).collect();
    let url = format!("{base_url}{}", path_with_query(e.path, &pairs));
    let pick = match e.pick {
        Pick::Data => "data",
        Pick::Fields(fields) => fields,
    };
    Ok(describe(e.method, &url, body.as_deref(), None, pick))
}

/// A request for the driver: `{"method","url","body"?,"auth"?,"pick"?}` (JSON; `body` is the JSON
/// text to send, `auth` the Authorization header value for token calls).
pub fn describe(method: &str, url: &str, body: Option<&str>, auth: Option<&str>, pick: &str) -> String {
    let mut out = format!("{{\"method\":{},\"url\":{}", json_string(method), json_string(url));
    for (key, value) in [("body", body), ("auth", auth)] {
        if let Some(value) = value {
            out.push_str(&format!(",{}:{}", json_string(key), json_string(value)));
        }
    }
    out.push_str(&format!(",\"pick\":{}}}", json_string(pick)));
    out
}
