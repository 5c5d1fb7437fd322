//! The endpoint table: every REST call the client makes is a row of data (method, path, where each
//! argument goes, what part of the reply the caller gets). [`request`] turns a row and the caller's
//! arguments (as the JSON the JS driver serialized them to) into the request to send.

use super::api::{path_with_query, require_id};
use super::error::{CozeError, Result};
use super::json::{elements, json_string, Object, Value};

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
    /// An options object read into the query (`required`: its first string key must be there).
    Query {
        strings: &'static [&'static str],
        numbers: &'static [&'static str],
        required: bool,
    },
    /// An optional options object sent as the JSON body, its fields checked like a query's.
    Body {
        strings: &'static [&'static str],
        numbers: &'static [&'static str],
    },
    /// `files.upload`: the driver's `{file_name, bytes}` of the file it will send as
    /// multipart/form-data (checked here; the driver builds the form).
    Upload,
    /// An options object sent as the JSON body: `required` keys are non-empty strings, `strings`
    /// string IDs when present, `lists` non-empty arrays of string IDs.
    Json {
        required: &'static [&'static str],
        strings: &'static [&'static str],
        lists: &'static [&'static str],
    },
}

struct Endpoint {
    method: &'static str,
    path: &'static str,
    ids: &'static [&'static str],
    ids_in: Ids,
    params: Params,
    /// What the caller gets: `"data"` (the envelope's data) or these top-level fields.
    pick: &'static str,
}

const fn row(method: &'static str, path: &'static str, ids: &'static [&'static str], params: Params) -> Endpoint {
    Endpoint { method, path, ids, ids_in: Ids::Query, params, pick: "data" }
}

const CHAT_IDS: &[&str] = &["conversation_id", "chat_id"];
const PAGE: &[&str] = &["page_num", "page_size"];

/// Indexed by the JS driver's endpoint numbers (the resource table in support.js).
const ENDPOINTS: [Endpoint; 18] = [
    row("POST", "/v3/chat", &[], Params::Chat(true)),
    row("POST", "/v3/chat", &[], Params::Chat(false)),
    row("POST", "/v3/chat/retrieve", CHAT_IDS, Params::None),
    Endpoint { ids_in: Ids::Body, ..row("POST", "/v3/chat/cancel", CHAT_IDS, Params::None) },
    row("GET", "/v3/chat/message/list", CHAT_IDS, Params::None),
    row("POST", "/v1/conversation/create", &[], Params::Conversation),
    row("GET", "/v1/conversation/retrieve", &["conversation_id"], Params::None),
    Endpoint {
        pick: "data first_id last_id has_more",
        ..row(
            "POST",
            "/v1/conversation/message/list",
            &["conversation_id"],
            Params::Body { strings: &["chat_id", "before_id", "after_id", "order"], numbers: &["limit"] },
        )
    },
    row(
        "GET",
        "/v1/space/published_bots_list",
        &[],
        Params::Query { strings: &["space_id"], numbers: &["page_index", "page_size"], required: true },
    ),
    row(
        "GET",
        "/v1/bots",
        &[],
        Params::Query { strings: &["workspace_id", "publish_status", "connector_id"], numbers: PAGE, required: true },
    ),
    row("GET", "/v1/workspaces", &[], Params::Query { strings: &[], numbers: PAGE, required: false }),
    row("GET", "/v1/users/me", &[], Params::None),
    row("POST", "/v1/files/upload", &[], Params::Upload),
    row("GET", "/v1/files/retrieve", &["file_id"], Params::None),
    // bots.create / update / publish / retrieve (a maker's setup: coze-api.md, issue 15).
    row(
        "POST",
        "/v1/bot/create",
        &[],
        Params::Json { required: &["space_id", "name"], strings: &["icon_file_id"], lists: &[] },
    ),
    row("POST", "/v1/bot/update", &[], Params::Json { required: &["bot_id"], strings: &["icon_file_id"], lists: &[] }),
    row(
        "POST",
        "/v1/bot/publish",
        &[],
        Params::Json { required: &["bot_id"], strings: &[], lists: &["connector_ids"] },
    ),
    row("GET", "/v1/bot/get_online_info", &[], Params::Query { strings: &["bot_id"], numbers: &[], required: true }),
];

/// A request for the JS driver, as JSON: `{"method","url","body"?,"auth"?,"pick"}`; `body` is the
/// JSON text to send, `auth` the Authorization header of a token call.
pub fn describe(method: &str, url: &str, body: Option<&str>, auth: Option<&str>, pick: &str) -> String {
    let mut out = String::from("{\"method\":");
    out.push_str(&json_string(method));
    for (key, value) in [("url", Some(url)), ("body", body), ("auth", auth), ("pick", Some(pick))] {
        if let Some(value) = value {
            out.push_str(",\"");
            out.push_str(key);
            out.push_str("\":");
            out.push_str(&json_string(value));
        }
    }
    out.push('}');
    out
}

fn invalid(key: &str, why: &str) -> CozeError {
    CozeError::invalid_argument(["`", key, "` ", why].concat())
}

/// An ID: a non-empty string (Coze IDs are 19-digit strings; numbers would lose precision).
fn id(name: &str, value: Option<&Value>) -> Result<String> {
    let text = match value {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if super::json::contains(s, "\u{FFFD}") => {
            return Err(invalid(name, "is not valid Unicode"))
        }
        Some(Value::String(s)) if s.encode_utf16().count() > 16384 => return Err(invalid(name, "is too long")),
        Some(Value::String(s)) => Some(s.as_ref()),
        Some(_) => return Err(invalid(name, "must be a string")),
    };
    require_id(name, text).map(str::to_owned)
}

fn optional_id(params: &Object, key: &str) -> Result<Option<String>> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        value => id(key, value.as_ref()).map(Some),
    }
}

/// An options object; absent / `null` read as `{}` when `optional`.
fn object<'a>(value: Option<&Value<'a>>, optional: bool) -> Result<Object<'a>> {
    match value {
        Some(Value::Object(o)) if !o.text().starts_with(NOT_JSON_OBJECT) => Ok(*o),
        None | Some(Value::Null) if optional => Ok(Object::parse("{}").expect("valid")),
        _ => Err(invalid("params", "must be an object")),
    }
}

/// Query pairs from a params object: `strings` are IDs, `numbers` whole numbers (or digit strings).
fn read_query(params: &Object, strings: &[&str], numbers: &[&str], out: &mut Vec<(String, String)>) -> Result<()> {
    for key in strings {
        if let Some(v) = optional_id(params, key)? {
            out.push(((*key).to_owned(), v));
        }
    }
    for key in numbers {
        let n = match params.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(n)) => {
                super::json::parse_integer(n).filter(|n| n.unsigned_abs() < 9_000_000_000_000_000)
            }
            Some(Value::String(s)) if !s.is_empty() && s.len() < 16 && s.bytes().all(|b| b.is_ascii_digit()) => {
                super::json::parse_integer(&s)
            }
            Some(_) => None,
        };
        let n = n.ok_or_else(|| invalid(key, "must be a whole number"))?;
        out.push(((*key).to_owned(), super::json::decimal(n)));
    }
    Ok(())
}

fn push_member(out: &mut String, key: &str, raw_value: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push_str(&json_string(key));
    out.push(':');
    out.push_str(raw_value);
}

/// The messages array at `key`, each message's content checked (`content::check_message`), a list
/// `content` serialized to the JSON string Coze expects (`content_type` defaulting to
/// `object_string`); `None` when absent.
fn messages(params: &Object, key: &str) -> Result<Option<String>> {
    let list = match params.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(invalid(key, "must be an array")),
    };
    let mut out = String::from("[");
    for (index, message) in elements(list).enumerate() {
        let Value::Object(m) = message else { return Err(invalid(key, "must hold objects")) };
        let at = [key, "[", &super::json::decimal(index as i64), "].content"].concat();
        super::content::check_message(&m, &at)?;
        if out.len() > 1 {
            out.push(',');
        }
        let mut encoded = String::from("{");
        let mut has_type = false;
        for (raw_key, raw_value) in m.raw_members() {
            let key: &str = &super::json::decode_string(raw_key);
            has_type |= key == "content_type";
            let structured = key == "content" && matches!(raw_value.as_bytes()[0], b'{' | b'[');
            let value = if structured { json_string(raw_value) } else { raw_value.to_owned() };
            push_member(&mut encoded, key, &value);
        }
        if m.get("content").is_some_and(|c| matches!(c, Value::Object(_) | Value::Array(_))) && !has_type {
            push_member(&mut encoded, "content_type", "\"object_string\"");
        }
        encoded.push('}');
        out.push_str(&encoded);
    }
    out.push(']');
    Ok(Some(out))
}

/// `/v3/chat`: IDs are strings, `conversation_id` moves to the query, `user_id` defaults to the
/// client's, object `content` is JSON-encoded.
fn chat(params: Option<&Value>, stream: bool, user_id: &str, query: &mut Vec<(String, String)>) -> Result<String> {
    let params = object(params, false)?;
    id("bot_id", params.get("bot_id").as_ref())?;
    if let Some(conversation_id) = optional_id(&params, "conversation_id")? {
        query.push(("conversation_id".into(), conversation_id));
    }
    let user_id = optional_id(&params, "user_id")?.unwrap_or_else(|| user_id.to_owned());
    let encoded = messages(&params, "additional_messages")?;
    let mut body = String::from("{");
    for (raw_key, raw_value) in params.raw_members() {
        let key = super::json::decode_string(raw_key);
        if !matches!(&*key, "conversation_id" | "stream" | "user_id" | "additional_messages") {
            push_member(&mut body, &key, raw_value);
        }
    }
    push_member(&mut body, "stream", if stream { "true" } else { "false" });
    push_member(&mut body, "user_id", &json_string(&user_id));
    if let Some(encoded) = encoded {
        push_member(&mut body, "additional_messages", &encoded);
    }
    body.push('}');
    Ok(body)
}

/// `conversations.create`: `{bot_id?, messages?, meta_data?}` with message content encoded.
fn conversation(params: Option<&Value>) -> Result<String> {
    let params = object(params, true)?;
    optional_id(&params, "bot_id")?;
    let Some(encoded) = messages(&params, "messages")? else { return Ok(params.text().to_owned()) };
    let mut body = String::from("{");
    for (raw_key, raw_value) in params.raw_members() {
        let key = super::json::decode_string(raw_key);
        if key != "messages" {
            push_member(&mut body, &key, raw_value);
        }
    }
    push_member(&mut body, "messages", &encoded);
    body.push('}');
    Ok(body)
}

/// What the JS driver writes for a value JSON cannot carry faithfully (NaN, a function, a Date…).
const NOT_JSON: &str = "\\u0000coze-wasm:not-JSON";
const NOT_JSON_OBJECT: &str = "{\"\\u0000coze-wasm:not-JSON\"";

/// The request for endpoint `index` with the caller's arguments (IDs first, then params).
pub fn request(index: u32, base_url: &str, args: [Option<&Value>; 2], user_id: &str) -> Result<String> {
    let e = ENDPOINTS.get(index as usize).ok_or_else(|| invalid("endpoint", "is unknown"))?;
    let mut query: Vec<(String, String)> = Vec::new();
    let mut body: Option<String> = None;
    let mut id_body = String::from("{");
    for (name, value) in e.ids.iter().zip(args) {
        let id = id(name, value)?;
        match e.ids_in {
            Ids::Query => query.push(((*name).to_owned(), id)),
            Ids::Body => push_member(&mut id_body, name, &json_string(&id)),
        }
    }
    if e.ids_in == Ids::Body {
        id_body.push('}');
        body = Some(id_body);
    }
    let rest = args.get(e.ids.len()).copied().flatten();
    match e.params {
        Params::None => {}
        Params::Chat(stream) => body = Some(chat(rest, stream, user_id, &mut query)?),
        Params::Conversation => body = Some(conversation(rest)?),
        Params::Query { strings, numbers, required } => {
            let o = object(rest, !required)?;
            if required && optional_id(&o, strings[0])?.is_none() {
                return Err(invalid(strings[0], "is required"));
            }
            read_query(&o, strings, numbers, &mut query)?;
        }
        Params::Body { strings, numbers } => {
            let o = object(rest, true)?;
            read_query(&o, strings, numbers, &mut Vec::new())?;
            body = Some(o.text().to_owned());
        }
        Params::Upload => super::content::check_upload(&object(rest, false)?)?,
        Params::Json { required, strings, lists } => {
            let o = object(rest, false)?;
            for key in required {
                id(key, o.get(key).as_ref())?;
            }
            read_query(&o, strings, &[], &mut Vec::new())?;
            for key in lists {
                let Some(Value::Array(list)) = o.get(key) else {
                    return Err(invalid(key, "must be an array of strings"));
                };
                let mut n = 0;
                for item in elements(list) {
                    id(key, Some(&item))?;
                    n += 1;
                }
                if n == 0 {
                    return Err(invalid(key, "must not be empty"));
                }
            }
            body = Some(o.text().to_owned());
        }
    }
    // Checked after the fields (their errors name them): anything else JSON would have changed.
    if body.as_deref().is_some_and(|b| super::json::contains(b, NOT_JSON)) {
        return Err(invalid("params", "hold a value JSON cannot carry (NaN, a function, a Date…)"));
    }
    let pairs: Vec<(&str, Option<&str>)> = query.iter().map(|(k, v)| (k.as_str(), Some(v.as_str()))).collect();
    let url = [base_url, &path_with_query(e.path, &pairs)].concat();
    Ok(describe(e.method, &url, body.as_deref(), None, e.pick))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(index: u32, a: &str, b: &str) -> Result<Object<'static>> {
        let a = Box::leak(format!("{{\"v\":[{a},{b}]}}").into_boxed_str());
        let args = Object::parse(a).expect("test JSON");
        let Some(Value::Array(list)) = args.get("v") else { unreachable!() };
        let values: Vec<Value> = elements(list).collect();
        let out = request(index, "https://api.coze.cn", [Some(&values[0]), Some(&values[1])], "u-default")?;
        Ok(Object::parse(Box::leak(out.into_boxed_str())).unwrap())
    }

    #[test]
    fn chat_moves_conversation_id_to_the_query_and_defaults_user_id() {
        let r = call(0, r#"{"bot_id":"7","conversation_id":"9","stream":false}"#, "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v3/chat?conversation_id=9");
        assert_eq!(r.str("method").unwrap(), "POST");
        let body = r.str("body").unwrap();
        let body = Object::parse(&body).unwrap();
        assert_eq!(body.get("stream"), Some(Value::Bool(true)));
        assert_eq!(body.str("user_id").unwrap(), "u-default");
        assert!(body.get("conversation_id").is_none());
        let r = call(1, r#"{"bot_id":"7","user_id":"me"}"#, "null").unwrap();
        let body = r.str("body").unwrap();
        assert_eq!(Object::parse(&body).unwrap().str("user_id").unwrap(), "me");
        assert_eq!(Object::parse(&body).unwrap().get("stream"), Some(Value::Bool(false)));
    }

    #[test]
    fn structured_content_becomes_an_object_string() {
        let msgs = r#"{"bot_id":"7","additional_messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image","file_id":"5"}]},{"role":"user","content":"plain","content_type":"text"}]}"#;
        let r = call(1, msgs, "null").unwrap();
        let body = r.str("body").unwrap();
        let body = Object::parse(&body).unwrap();
        let Some(Value::Array(list)) = body.get("additional_messages") else { panic!("no messages") };
        let list: Vec<Value> = elements(list).collect();
        let Value::Object(first) = &list[0] else { panic!() };
        assert_eq!(first.str("content").unwrap(), r#"[{"type":"text","text":"hi"},{"type":"image","file_id":"5"}]"#);
        assert_eq!(first.str("content_type").unwrap(), "object_string");
        let Value::Object(second) = &list[1] else { panic!() };
        assert_eq!(second.str("content").unwrap(), "plain");
        assert_eq!(second.str("content_type").unwrap(), "text");
    }

    #[test]
    fn ids_must_be_non_empty_strings() {
        for bad in [r#"{"bot_id":7}"#, r#"{"bot_id":""}"#, r#"{}"#, "[]", r#""x""#, "null"] {
            let e = call(1, bad, "null").unwrap_err();
            assert_eq!(e.code, super::super::ErrorCode::InvalidArgument, "{bad}");
        }
        let e = call(2, r#""""#, r#""1""#).unwrap_err();
        assert!(e.message.contains("conversation_id"));
        let r = call(3, r#""1""#, r#""2""#).unwrap();
        assert_eq!(r.str("body").unwrap(), r#"{"conversation_id":"1","chat_id":"2"}"#);
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v3/chat/cancel");
    }

    #[test]
    fn values_json_cannot_carry_are_refused() {
        let marked = r#"{"bot_id":"7","meta_data":{"when":{"\u0000coze-wasm:not-JSON":0}}}"#;
        let e = call(1, marked, "null").unwrap_err();
        assert!(e.message.contains("JSON cannot carry"), "{}", e.message);
        let e = call(1, r#"{"bot_id":{"\u0000coze-wasm:not-JSON":0}}"#, "null").unwrap_err();
        assert!(e.message.contains("`bot_id` must be a string"), "the field's own error first: {}", e.message);
        assert!(call(1, r#"{"bot_id":"7","meta_data":{"text":"\u0000 is fine"}}"#, "null").is_ok());
        let e = call(10, r#"{"\u0000coze-wasm:not-JSON":0}"#, "null").unwrap_err();
        assert!(e.message.contains("`params` must be an object"), "NaN as the params: {}", e.message);
    }

    #[test]
    fn files_upload_and_retrieve() {
        let r = call(12, r#"{"file_name":"a.png","bytes":3}"#, "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v1/files/upload");
        assert_eq!(r.str("method").unwrap(), "POST");
        assert!(r.get("body").is_none(), "the driver sends the multipart form");
        assert!(call(12, r#"{"file_name":"a.png","bytes":0}"#, "null").unwrap_err().message.contains("empty"));
        let r = call(13, r#""f 1""#, "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v1/files/retrieve?file_id=f+1");
        assert!(call(13, r#""""#, "null").is_err());
    }

    #[test]
    fn wrong_content_shapes_are_refused_in_chat_and_conversations() {
        let bad = r#"[{"type":"image","file_id":"1","file_url":"https://x/y"}]"#;
        for (index, params) in [
            (0, format!(r#"{{"bot_id":"7","additional_messages":[{{"role":"user","content":{bad}}}]}}"#)),
            (
                1,
                format!(
                    r#"{{"bot_id":"7","additional_messages":[{{"role":"user","content":"x"}},{{"role":"user","content":{bad}}}]}}"#
                ),
            ),
            (5, format!(r#"{{"messages":[{{"role":"user","content":{bad}}}]}}"#)),
        ] {
            let err = call(index, &params, "null").unwrap_err();
            assert_eq!(err.code, super::super::ErrorCode::InvalidArgument);
            assert!(err.message.contains("content[0]` has both"), "{}", err.message);
        }
        let e =
            call(1, r#"{"bot_id":"7","additional_messages":[{"content":"a"},{"content":[]}]}"#, "null").unwrap_err();
        assert!(e.message.contains("`additional_messages[1].content` is an empty list"), "{}", e.message);
        let good = r#"{"messages":[{"role":"user","content":[{"type":"file","file_id":"9"}]}]}"#;
        let r = call(5, good, "null").unwrap();
        let body = r.str("body").unwrap();
        assert!(
            body.contains(r#""content":"[{\"type\":\"file\",\"file_id\":\"9\"}]","content_type":"object_string""#),
            "{body}"
        );
    }

    #[test]
    fn query_params_and_picks() {
        let r = call(9, r#"{"workspace_id":"w 1","page_num":2,"page_size":"20"}"#, "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v1/bots?workspace_id=w+1&page_num=2&page_size=20");
        assert_eq!(r.str("method").unwrap(), "GET");
        assert!(call(9, r#"{"page_num":2}"#, "null").unwrap_err().message.contains("workspace_id"));
        assert!(call(10, r#"{"page_num":1.5}"#, "null").unwrap_err().message.contains("page_num"));
        let r = call(7, r#""c1""#, r#"{"limit":10,"order":"desc"}"#).unwrap();
        assert_eq!(r.str("pick").unwrap(), "data first_id last_id has_more");
        assert_eq!(r.str("body").unwrap(), r#"{"limit":10,"order":"desc"}"#);
        assert!(call(7, r#""c1""#, r#""newest""#).is_err());
        let r = call(14, r#"{"space_id":"7","name":"Bot","prompt_info":{"prompt":"hi"}}"#, "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v1/bot/create");
        assert!(call(14, r#"{"space_id":"7"}"#, "null").unwrap_err().message.contains("name"));
        assert!(call(15, r#"{"name":"x"}"#, "null").unwrap_err().message.contains("bot_id"));
        let r = call(16, r#"{"bot_id":"7","connector_ids":["1024"]}"#, "null").unwrap();
        assert_eq!(r.str("body").unwrap(), r#"{"bot_id":"7","connector_ids":["1024"]}"#);
        for bad in
            [r#"{"bot_id":"7"}"#, r#"{"bot_id":"7","connector_ids":[]}"#, r#"{"bot_id":"7","connector_ids":[1024]}"#]
        {
            assert!(call(16, bad, "null").unwrap_err().message.contains("connector_ids"), "{bad}");
        }
        let r = call(17, r#"{"bot_id":"7"}"#, "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v1/bot/get_online_info?bot_id=7");
        let r = call(11, "null", "null").unwrap();
        assert_eq!(r.str("url").unwrap(), "https://api.coze.cn/v1/users/me");
        assert!(r.get("body").is_none());
    }
}
