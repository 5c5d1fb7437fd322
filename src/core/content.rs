//! Multimodal message content and file uploads, checked before any request.
//!
//! Coze reads images and files from `object_string` messages: `content` is a JSON string of an
//! array of `{type: 'text', text}` / `{type: 'image' | 'file' | 'audio', file_id | file_url}`
//! items, at most one of them text, and text only together with an image or file (coze-api.md
//! §2.1). Callers give that array as `content`; it is checked here and sent as Coze wants it.

use super::error::{CozeError, Result};
use super::json::{decimal, elements, Object, Value};

/// Coze's documented limit per uploaded file.
pub const MAX_FILE_BYTES: i64 = 512 * 1024 * 1024;

/// The longest file name sent (a multipart header, and Coze shows it back).
const MAX_FILE_NAME: usize = 1024;

fn bad(at: &str, why: &str) -> CozeError {
    CozeError::invalid_argument(["`", at, "` ", why].concat())
}

/// Checks the items of an object_string (`list`: the raw JSON array) as Coze documents them;
/// `at` names the content in errors (e.g. `additional_messages[0].content`).
pub fn check_items(list: &str, at: &str) -> Result<()> {
    let mut count = 0;
    let mut texts = 0;
    for (index, item) in elements(list).enumerate() {
        count += 1;
        let here = [at, "[", &decimal(index as i64), "]"].concat();
        let Value::Object(item) = item else { return Err(bad(&here, "must be an object {type, …}")) };
        let text = |key: &str| -> Result<Option<String>> {
            match item.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => Err(bad(&[&here, ".", key].concat(), "is empty")),
                Some(Value::String(s)) => Ok(Some(s.into_owned())),
                Some(_) => Err(bad(&[&here, ".", key].concat(), "must be a string")),
            }
        };
        let kind = text("type")?.ok_or_else(|| bad(&here, "needs a `type` (text, image, file or audio)"))?;
        match kind.as_str() {
            "text" => {
                texts += 1;
                if text("text")?.is_none() {
                    return Err(bad(&here, "is a text item without `text`"));
                }
                if text("file_id")?.is_some() || text("file_url")?.is_some() {
                    return Err(bad(&here, "is text: it takes no file_id or file_url"));
                }
            }
            "image" | "file" | "audio" => match (text("file_id")?, text("file_url")?) {
                (Some(_), Some(_)) => return Err(bad(&here, "has both `file_id` and `file_url`")),
                (None, None) => return Err(bad(&here, "needs a `file_id` (from files.upload) or a `file_url`")),
                (None, Some(url)) if !is_https_url(&url) => {
                    return Err(bad(&[&here, ".file_url"].concat(), "must be an https:// URL Coze can fetch"))
                }
                _ => {}
            },
            _ => return Err(bad(&[&here, ".type"].concat(), "must be 'text', 'image', 'file' or 'audio'")),
        }
    }
    if count == 0 {
        return Err(bad(at, "is an empty list"));
    }
    if texts > 1 {
        return Err(bad(at, "holds more than one text item"));
    }
    if texts == count {
        return Err(bad(at, "holds only text: send a string"));
    }
    Ok(())
}

/// Checks one input message's content: a list of items (sent as an object_string), or a string
/// — which, when `content_type` says object_string, must hold such a list as JSON text.
pub fn check_message(message: &Object, at: &str) -> Result<()> {
    let declared = match message.get("content_type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(bad(&[at, "_type"].concat(), "must be a string")),
    };
    let object_string = declared.as_deref() == Some("object_string");
    match message.get("content") {
        Some(Value::Array(list)) if declared.is_none() || object_string => check_items(list, at),
        Some(Value::Array(_)) => Err(bad(at, "is a list: its content_type must be 'object_string' (or unset)")),
        Some(Value::String(text)) if object_string => {
            let wrapped = ["{\"v\":", &text, "}"].concat();
            match Object::parse(&wrapped).and_then(|o| o.get("v")) {
                Some(Value::Array(list)) => check_items(list, at),
                _ => Err(bad(at, "is an object_string: JSON text of a list of {type, …}")),
            }
        }
        Some(Value::Object(_)) => Err(bad(at, "must be a string or a list of {type, …} items")),
        _ => Ok(()),
    }
}

/// `https://` followed by a host, with no spaces or control characters.
fn is_https_url(url: &str) -> bool {
    let b = url.as_bytes();
    b.len() > 8
        && b[..8].eq_ignore_ascii_case(b"https://")
        && !matches!(b[8], b'/' | b'?' | b'#' | b'@')
        && b.iter().all(|&c| c > b' ' && c != 0x7f)
}

/// What the driver says about the file it is about to upload: `{file_name, bytes}`. Empty, over
/// Coze's 512 MB or without a usable name → INVALID_ARGUMENT, before anything is sent.
pub fn check_upload(file: &Object) -> Result<()> {
    let name = match file.get("file_name") {
        Some(Value::String(s)) => s,
        _ => return Err(bad("name", "is required for a Uint8Array or unnamed Blob")),
    };
    if name.trim().is_empty() {
        return Err(bad("name", "must not be empty"));
    }
    if name.len() > MAX_FILE_NAME || name.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err(bad("name", "must be at most 1024 bytes without control characters"));
    }
    match file.integer("bytes") {
        Some(0) => Err(bad("file", "is empty (0 bytes)")),
        Some(n) if n > MAX_FILE_BYTES => {
            Err(bad("file", &["is ", &decimal(n), " bytes: Coze takes at most 512 MB"].concat()))
        }
        Some(n) if n > 0 => Ok(()),
        _ => Err(bad("file", "has no readable size")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(list: &str) -> Result<()> {
        check_items(list, "content")
    }

    #[test]
    fn the_shapes_coze_documents_pass() {
        for good in [
            r#"[{"type":"text","text":"这是什么?"},{"type":"image","file_id":"7"}]"#,
            r#"[{"type":"image","file_url":"https://example.com/a.png"}]"#,
            r#"[{"type":"file","file_id":"1"},{"type":"file","file_url":"HTTPS://x.cn/b.pdf?sig=1"},{"type":"text","text":"sum up"}]"#,
            r#"[{"type":"audio","file_id":"9","file_url":null}]"#,
        ] {
            assert!(check(good).is_ok(), "{good}: {:?}", check(good).err().map(|e| e.message));
        }
    }

    /// Every wrong shape is INVALID_ARGUMENT, and the message says which item and why.
    #[test]
    fn wrong_shapes_are_refused_with_the_item_named() {
        let cases: &[(&str, &str)] = &[
            ("[]", "empty list"),
            (r#"[{"type":"image"}]"#, "needs a `file_id`"),
            (r#"[{"type":"text"},{"type":"image","file_id":"1"}]"#, "without `text`"),
            (r#"[{"type":"text","text":"  "},{"type":"image","file_id":"1"}]"#, "content[0].text` is empty"),
            (r#"[{"type":"video","file_id":"1"}]"#, "content[0].type` must be"),
            (r#"[{"file_id":"1"}]"#, "needs a `type`"),
            (r#"[{"type":"image","file_id":"1","file_url":"https://x/y"}]"#, "both `file_id` and `file_url`"),
            (r#"[{"type":"image","file_url":"http://x/y.png"}]"#, "content[0].file_url` must be an https"),
            (r#"[{"type":"image","file_url":"https:///y.png"}]"#, "https"),
            (r#"[{"type":"image","file_url":"https://x/a b.png"}]"#, "https"),
            (r#"[{"type":"image","file_url":"/relative.png"}]"#, "https"),
            (r#"[{"type":"image","file_id":7}]"#, "content[0].file_id` must be a string"),
            (r#"[{"type":"image","file_id":""}]"#, "is empty"),
            (r#"[{"type":"text","text":"a","file_id":"1"},{"type":"image","file_id":"1"}]"#, "takes no file_id"),
            (r#"[{"type":"text","text":"only"}]"#, "holds only text"),
            (
                r#"[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"file","file_id":"1"}]"#,
                "more than one text",
            ),
            (r#"["a string"]"#, "content[0]` must be an object"),
            (r#"[{"type":"image","file_id":"1"},null]"#, "content[1]` must be an object"),
        ];
        for (list, expected) in cases {
            let err = check(list).expect_err(list);
            assert_eq!(err.code, super::super::ErrorCode::InvalidArgument, "{list}");
            assert!(err.message.contains(expected), "{list}: {}", err.message);
        }
    }

    #[test]
    fn a_message_is_checked_by_its_content_and_content_type() {
        let message = |json: &str| check_message(&Object::parse(json).unwrap(), "m[0].content");
        let items = r#"[{"type":"text","text":"hi"},{"type":"image","file_id":"1"}]"#;
        assert!(message(&format!(r#"{{"content":{items}}}"#)).is_ok());
        assert!(message(&format!(r#"{{"content":{items},"content_type":"object_string"}}"#)).is_ok());
        let as_text = serde_json::to_string(items).unwrap();
        assert!(message(&format!(r#"{{"content":{as_text},"content_type":"object_string"}}"#)).is_ok());
        assert!(message(r#"{"content":"plain","content_type":"text"}"#).is_ok());
        assert!(message(r#"{"content":"plain"}"#).is_ok());
        for (json, expected) in [
            (format!(r#"{{"content":{items},"content_type":"text"}}"#), "content_type must be 'object_string'"),
            (r#"{"content":"not a list","content_type":"object_string"}"#.into(), "is an object_string"),
            (r#"{"content":"[]","content_type":"object_string"}"#.into(), "empty list"),
            (r#"{"content":{"type":"text","text":"x"}}"#.into(), "must be a string or a list"),
            (r#"{"content":"x","content_type":1}"#.into(), "m[0].content_type` must be a string"),
        ] {
            let err = message(&json).expect_err(&json);
            assert!(err.message.contains(expected), "{json}: {}", err.message);
        }
    }

    #[test]
    fn uploads_are_checked_before_sending() {
        let upload = |json: &str| check_upload(&Object::parse(json).unwrap());
        assert!(upload(r#"{"file_name":"a.png","bytes":1}"#).is_ok());
        assert!(upload(r#"{"file_name":"照片.png","bytes":536870912}"#).is_ok(), "exactly 512 MB is allowed");
        for (json, expected) in [
            (r#"{"file_name":"a.png","bytes":0}"#, "is empty"),
            (r#"{"file_name":"a.png","bytes":536870913}"#, "at most 512 MB"),
            (r#"{"bytes":3}"#, "`name` is required"),
            (r#"{"file_name":" ","bytes":3}"#, "`name` must not be empty"),
            (r#"{"file_name":"a\nb","bytes":3}"#, "control characters"),
            (r#"{"file_name":"a","bytes":-1}"#, "no readable size"),
        ] {
            let err = upload(json).expect_err(json);
            assert!(err.message.contains(expected), "{json}: {}", err.message);
        }
    }
}
