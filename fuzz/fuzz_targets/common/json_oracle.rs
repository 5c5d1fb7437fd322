//! serde_json (and Rust's float parser) as an oracle for core::json, independent of its code.
#![allow(dead_code)]

use coze_wasm::core::json::{Object, Value as Ours, MAX_DEPTH, MAX_SAFE_INTEGER};
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

/// Whether `JSON.parse` gives an object for `text`, within core::json's one limit (depth).
/// serde_json's IgnoredAny has JSON.parse's grammar with no range, surrogate or depth checks.
pub fn accepts_object(text: &str) -> bool {
    serde_json::from_str::<IgnoredAny>(text).is_ok()
        && text.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{')
        && nesting(text) <= MAX_DEPTH as usize
}

/// Deepest nesting of a valid JSON text.
pub fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, ..) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'{' | b'[') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b'}' | b']') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// serde_json's object, when it builds one (it refuses lone surrogates, numbers beyond f64 and
/// nesting past 127, all of which JSON.parse accepts).
pub fn object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The exact integer a decimal text denotes (JS unary + syntax minus hex and words), when the
/// oracle can tell: `Some(Some(n))`, `Some(None)` (not a safe integer), `None` (f64 rounding
/// could hide the answer: more than 15 significant digits with a fraction or exponent).
pub fn exact_integer(text: &str) -> Option<Option<i64>> {
    if text.is_empty() || !text.bytes().all(|b| b"0123456789+-.eE".contains(&b)) {
        return Some(None);
    }
    let Ok(f) = text.parse::<f64>() else { return Some(None) };
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Some(Some(0));
    }
    if f == 0.0 {
        return Some(None); // underflow of a non-zero value: a fraction
    }
    if !text.contains(['.', 'e', 'E']) {
        let n = text.parse::<i128>().ok();
        return Some(n.filter(|n| n.abs() <= i128::from(MAX_SAFE_INTEGER)).map(|n| n as i64));
    }
    if significant.len() > 15 {
        return None;
    }
    Some((f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER as f64).then_some(f as i64))
}

/// Every member of ours reads as serde_json reads it (nested objects and arrays included).
pub fn same_members(ours: &Object, theirs: &Map<String, Value>) {
    let mut keys: Vec<String> = ours.members().map(|(k, _)| k.into_owned()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys, theirs.keys().cloned().collect::<Vec<_>>(), "{}", ours.text());
    for (key, want) in theirs {
        let got = ours.get(key).expect("a key serde_json sees");
        same_value(&got, want);
    }
}

pub fn same_value(got: &Ours, want: &Value) {
    match (want, got) {
        (Value::Null, Ours::Null) => {}
        (Value::Bool(a), Ours::Bool(b)) => assert_eq!(a, b),
        (Value::String(a), Ours::String(b)) => assert_eq!(a, b),
        (Value::Array(_), Ours::Array(text)) => {
            assert_eq!(&serde_json::from_str::<Value>(text).expect("an array serde_json parsed"), want)
        }
        (Value::Object(a), Ours::Object(b)) => same_members(b, a),
        (Value::Number(_), Ours::Number(text)) => {
            assert_eq!(&serde_json::from_str::<Value>(text).expect("a number serde_json parsed"), want);
            if let Some(want) = exact_integer(text) {
                assert_eq!(got.as_integer(), want, "{text}");
            }
        }
        _ => panic!("{want:?} read as {got:?}"),
    }
}
