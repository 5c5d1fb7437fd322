//! core::json against serde_json: the same texts accepted (as JSON.parse would: an object at the
//! top, up to core::json's depth limit), every member read the same, and parse_integer exact.
//!
//! Input: byte 0 picks what the rest is: a JSON text (mostly), or a number text for parse_integer.
#![no_main]

#[path = "common/json_oracle.rs"]
mod oracle;

use coze_wasm::core::json::{json_string, parse_integer, Object};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    if mode % 8 == 0 {
        if let Some(want) = oracle::exact_integer(&text) {
            assert_eq!(parse_integer(&text), want, "{text:?}");
        }
        return;
    }
    let ours = Object::parse(&text);
    assert_eq!(ours.is_some(), oracle::accepts_object(&text), "accept/reject differs on {text:?}");
    let Some(ours) = ours else { return };
    assert_eq!(ours.text(), text.trim_matches([' ', '\t', '\n', '\r']));
    if let Some(theirs) = oracle::object(&text) {
        oracle::same_members(&ours, &theirs);
    }
    // Every string we read writes back as JSON that reads the same.
    for (key, value) in ours.members() {
        let written = format!("{{{}:0}}", json_string(&key));
        let back = Object::parse(&written).expect("written JSON parses");
        assert_eq!(back.members().next().map(|(k, _)| k.into_owned()).as_deref(), Some(&*key));
        if let coze_wasm::core::json::Value::String(s) = value {
            let written = json_string(&s);
            assert_eq!(serde_json::from_str::<String>(&written).unwrap(), *s);
        }
    }
});
