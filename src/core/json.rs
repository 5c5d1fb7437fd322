//! A small, strict JSON reader (RFC 8259, what `JSON.parse` accepts) for the replies this library
//! must interpret: token replies, envelopes, chat error events, the stored token.
//!
//! Lazy by design: [`Object::parse`] validates the whole text once, then each lookup rescans the
//! object's members (replies are small and read a handful of fields). No tree, no floats: Rust's
//! float parser alone would cost ~14 kB gzip of wasm.
//!
//! Where it differs from `JSON.parse`, deliberately:
//! * nesting deeper than [`MAX_DEPTH`] is rejected (so deep input cannot exhaust the stack);
//! * a lone surrogate escape (`"\uD800"`) is accepted but reads as U+FFFD: a Rust string cannot
//!   hold it (JS would keep it; it would turn into U+FFFD on its way into Rust anyway);
//! * numbers are kept as text; [`parse_integer`] reads exact integers only.
//!
//! Duplicate keys: the last one wins, as with `JSON.parse`.

use std::borrow::Cow;

/// Deepest nesting accepted; the top-level object counts as 1.
pub const MAX_DEPTH: u32 = 128;

/// Integers beyond ±(2^53 - 1) are not exact in JS, so they are not read as integers.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A JSON object (validated source text, `{` to `}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Object<'a> {
    text: &'a str,
}

/// One member value. Numbers and arrays stay as their (validated) source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(Cow<'a, str>),
    Array(&'a str),
    Object(Object<'a>),
}

impl<'a> Value<'a> {
    /// Only for a number that is an exact integer within ±(2^53 - 1), e.g. `5`, `-0`, `1e3`, `2.50e1`.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Number(text) => parse_integer(text),
            _ => None,
        }
    }

    fn from_text(text: &'a str) -> Value<'a> {
        match text.as_bytes()[0] {
            b'"' => Value::String(decode_string(&text[1..text.len() - 1])),
            b'{' => Value::Object(Object { text }),
            b'[' => Value::Array(text),
            b't' => Value::Bool(true),
            b'f' => Value::Bool(false),
            b'n' => Value::Null,
            _ => Value::Number(text),
        }
    }
}

impl<'a> Object<'a> {
    /// `Some` only when the whole text is valid JSON whose top-level value is an object.
    pub fn parse(text: &'a str) -> Option<Object<'a>> {
        let bytes = text.as_bytes();
        let start = skip_whitespace(bytes, 0);
        if bytes.get(start) != Some(&b'{') {
            return None;
        }
        let end = value_end(bytes, start)?;
        (skip_whitespace(bytes, end) == bytes.len()).then(|| Object { text: &text[start..end] })
    }

    /// The object's source text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The value of the last member named `key`.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        let mut found = None;
        for (raw_key, value) in self.raw_members() {
            if key_is(raw_key, key) {
                found = Some(value);
            }
        }
        found.map(Value::from_text)
    }

    pub fn str(&self, key: &str) -> Option<Cow<'a, str>> {
        match self.get(key)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn integer(&self, key: &str) -> Option<i64> {
        self.get(key)?.as_integer()
    }

    pub fn object(&self, key: &str) -> Option<Object<'a>> {
        match self.get(key)? {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Every member in source order, duplicates included.
    pub fn members(&self) -> impl Iterator<Item = (Cow<'a, str>, Value<'a>)> {
        self.raw_members().map(|(key, value)| (decode_string(key), Value::from_text(value)))
    }

    /// (key between its quotes, value source text) pairs. Relies on the text being valid.
    pub fn raw_members(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut at = 1; // after `{`
        core::iter::from_fn(move || {
            at = skip_whitespace(bytes, at);
            if bytes.get(at) == Some(&b',') {
                at = skip_whitespace(bytes, at + 1);
            }
            if bytes.get(at) != Some(&b'"') {
                return None; // `}`
            }
            let key_end = string_end(bytes, at)?;
            let key = &text[at + 1..key_end - 1];
            let value_start = skip_whitespace(bytes, skip_whitespace(bytes, key_end) + 1); // past `:`
            let value_end = value_end(bytes, value_start)?;
            at = value_end;
            Some((key, &text[value_start..value_end]))
        })
    }
}

/// The elements of a (validated) array's source text, as `Value::Array` holds it.
pub fn elements(array: &str) -> impl Iterator<Item = Value<'_>> {
    let bytes = array.as_bytes();
    let mut at = 1; // after `[`
    core::iter::from_fn(move || {
        at = skip_whitespace(bytes, at);
        if bytes.get(at) == Some(&b',') {
            at = skip_whitespace(bytes, at + 1);
        }
        if matches!(bytes.get(at), None | Some(b']')) {
            return None;
        }
        let end = value_end(bytes, at)?;
        let value = Value::from_text(&array[at..end]);
        at = end;
        Some(value)
    })
}

/// Compares a raw (still escaped) key with `key` without decoding in the common case.
fn key_is(raw_key: &str, key: &str) -> bool {
    if raw_key.as_bytes().contains(&b'\\') {
        decode_string(raw_key) == key
    } else {
        raw_key == key
    }
}

fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// Validates the value starting at `at`; returns the index just past it.
fn value_end(bytes: &[u8], at: usize) -> Option<usize> {
    value_end_within(bytes, at, MAX_DEPTH)
}

/// Recursion is bounded by `levels_left`, so deep input cannot exhaust the stack.
fn value_end_within(bytes: &[u8], at: usize, levels_left: u32) -> Option<usize> {
    let close = match *bytes.get(at)? {
        b'{' => b'}',
        b'[' => b']',
        b'"' => return string_end(bytes, at),
        b't' => return literal_end(bytes, at, b"true"),
        b'f' => return literal_end(bytes, at, b"false"),
        b'n' => return literal_end(bytes, at, b"null"),
        _ => return number_end(bytes, at),
    };
    let levels_left = levels_left.checked_sub(1)?;
    let mut at = skip_whitespace(bytes, at + 1);
    if bytes.get(at) == Some(&close) {
        return Some(at + 1);
    }
    loop {
        if close == b'}' {
            at = member_value_start(bytes, at)?;
        }
        at = skip_whitespace(bytes, value_end_within(bytes, at, levels_left)?);
        match *bytes.get(at)? {
            b',' => at = skip_whitespace(bytes, at + 1),
            c if c == close => return Some(at + 1),
            _ => return None,
        }
    }
}

/// `"key" :` then whitespace; returns where the member's value starts.
fn member_value_start(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let at = skip_whitespace(bytes, string_end(bytes, at)?);
    (bytes.get(at) == Some(&b':')).then(|| skip_whitespace(bytes, at + 1))
}

/// `at` is on the opening quote; returns the index past the closing one.
fn string_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    at += 1;
    loop {
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => match *bytes.get(at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                b'u' => {
                    hex4(bytes.get(at + 2..at + 6)?)?;
                    at += 6;
                }
                _ => return None,
            },
            0..=0x1f => return None,
            _ => at += 1,
        }
    }
}

fn literal_end(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    (bytes.get(at..at + word.len())? == word).then_some(at + word.len())
}

/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
fn number_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    let digits = |from: usize| from + bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at = digits(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let end = digits(at + 1);
        if end == at + 1 {
            return None;
        }
        at = end;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let end = digits(at);
        if end == at {
            return None;
        }
        at = end;
    }
    Some(at)
}

fn hex4(digits: &[u8]) -> Option<u16> {
    let mut value = 0u16;
    for &d in digits {
        let v = (d as char).to_digit(16)?;
        value = value << 4 | v as u16;
    }
    Some(value)
}

/// The text between a string's quotes, unescaped. Borrowed unless it holds escapes.
pub fn decode_string(raw: &str) -> Cow<'_, str> {
    if !raw.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let (mut at, mut run) = (0, 0);
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        out.push_str(&raw[run..at]);
        let escaped = bytes[at + 1];
        at += 2;
        let c = match escaped {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(&bytes[at..at + 4]).unwrap_or(0);
                at += 4;
                let low = bytes.get(at..at + 6).filter(|e| e.starts_with(b"\\u")).and_then(|e| hex4(&e[2..]));
                match (unit, low) {
                    (0xD800..=0xDBFF, Some(low @ 0xDC00..=0xDFFF)) => {
                        at += 6;
                        let c = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                        char::from_u32(c).unwrap_or('\u{FFFD}')
                    }
                    // A lone surrogate: see the module doc.
                    _ => char::from_u32(u32::from(unit)).unwrap_or('\u{FFFD}'),
                }
            }
            other => other as char, // `"` `\` `/`
        };
        out.push(c);
        run = at;
    }
    out.push_str(&raw[run..]);
    Cow::Owned(out)
}

/// The exact integer a decimal number text denotes, as JS's unary `+` reads it (`5`, `-0`, `+7`,
/// `007`, `1e3`, `2.50e1`, `5.`), if it is within ±(2^53 - 1). `None` for fractions, anything
/// larger, empty or surrounding whitespace (trim first), and the forms no server sends for an
/// integer (`0x1F`, `Infinity`).
pub fn parse_integer(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let negative = bytes.first() == Some(&b'-');
    let mut at = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    // value = digits * 10^power. Digits past u64 can only be zeros (anything else is a fraction
    // or far beyond 2^53), so they move the power instead.
    let (mut digits, mut power, mut any_digit, mut in_fraction) = (0u64, 0i64, false, false);
    while let Some(&b) = bytes.get(at) {
        match b {
            b'0'..=b'9' if digits <= (u64::MAX - 9) / 10 => {
                digits = digits * 10 + u64::from(b - b'0');
                power -= i64::from(in_fraction);
            }
            b'0' => power += i64::from(!in_fraction),
            b'1'..=b'9' => return None,
            b'.' if !in_fraction => in_fraction = true,
            _ => break,
        }
        any_digit |= b.is_ascii_digit();
        at += 1;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        let sign = if bytes.get(at) == Some(&b'-') { -1 } else { 1 };
        at += usize::from(matches!(bytes.get(at), Some(b'-' | b'+')));
        let start = at;
        let mut exponent: i64 = 0;
        while let Some(d @ b'0'..=b'9') = bytes.get(at) {
            exponent = (exponent * 10 + i64::from(d - b'0')).min(1 << 32);
            at += 1;
        }
        if at == start {
            return None;
        }
        power += sign * exponent;
    }
    if !any_digit || at != bytes.len() {
        return None;
    }
    if digits == 0 {
        return Some(0);
    }
    // Both loops end within 20 rounds: a non-zero u64 has few trailing zeros and overflows fast.
    while power < 0 {
        if digits % 10 != 0 {
            return None;
        }
        digits /= 10;
        power += 1;
    }
    while power > 0 {
        digits = digits.checked_mul(10)?;
        power -= 1;
    }
    let value = i64::try_from(digits).ok().filter(|v| *v <= MAX_SAFE_INTEGER)?;
    Some(if negative { -value } else { value })
}

/// Whether `text` contains `needle`. A plain window scan: std's substring search (two-way) is ~2 kB
/// of wasm, and every text searched here is short or searched once.
pub fn contains(text: &str, needle: &str) -> bool {
    text.as_bytes().windows(needle.len().max(1)).any(|w| w == needle.as_bytes())
}

/// `n` in decimal (a JSON number). Written out: integer `Display` pulls `core::fmt` into the wasm.
pub fn decimal(n: i64) -> String {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut out = String::from(if n < 0 { "-" } else { "" });
    out.extend(digits[at..].iter().map(|&d| d as char));
    out
}

/// A JSON string literal for `s`: quotes, backslash and control characters (U+0000–U+001F, as
/// `\u00xx`) are escaped; everything else, non-ASCII included, is kept as UTF-8.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xF) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimal_matches_display() {
        for n in [0, 7, -7, 10, 4101, i64::MAX, i64::MIN, -1_000_000, 1 << 53] {
            assert_eq!(super::decimal(n), n.to_string());
        }
    }

    use super::*;
    use serde::de::IgnoredAny;
    use serde_json::Value as Oracle;

    /// What `JSON.parse` would accept as an object, by serde_json (IgnoredAny: same grammar, no
    /// range or surrogate checks, no depth limit) and our one documented limit.
    fn oracle_accepts(text: &str) -> bool {
        serde_json::from_str::<IgnoredAny>(text).is_ok()
            && text.trim_start_matches([' ', '\t', '\n', '\r']).starts_with('{')
            && nesting(text) <= MAX_DEPTH as usize
    }

    /// Deepest nesting of a valid JSON text.
    fn nesting(text: &str) -> usize {
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
                (false, _, b'}' | b']') => depth -= 1,
                _ => {}
            }
        }
        deepest
    }

    /// Our reading of every member equals serde_json's (when serde_json can build a Value).
    fn same_members(ours: &Object, theirs: &serde_json::Map<String, Oracle>) {
        let keys: std::collections::BTreeSet<String> = ours.members().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(keys, theirs.keys().cloned().collect(), "{}", ours.text());
        for (key, want) in theirs {
            let got = ours.get(key).unwrap();
            match (want, &got) {
                (Oracle::Null, Value::Null) => {}
                (Oracle::Bool(a), Value::Bool(b)) => assert_eq!(a, b),
                (Oracle::String(a), Value::String(b)) => assert_eq!(a, b),
                (Oracle::Array(_), Value::Array(text)) => {
                    assert_eq!(&serde_json::from_str::<Oracle>(text).unwrap(), want)
                }
                (Oracle::Object(a), Value::Object(b)) => same_members(b, a),
                (Oracle::Number(n), Value::Number(text)) => {
                    match got.as_integer() {
                        Some(i) => assert_eq!(n.as_f64(), Some(i as f64), "{text}"),
                        // Written as a safe integer: must read as one.
                        None => assert!(
                            n.as_i64().is_none_or(|i| i.abs() > MAX_SAFE_INTEGER) || text.contains(['.', 'e', 'E']),
                            "{text}"
                        ),
                    }
                }
                _ => panic!("{key}: {want:?} vs {got:?}"),
            }
        }
    }

    fn check(text: &str) {
        let ours = Object::parse(text);
        assert_eq!(ours.is_some(), oracle_accepts(text), "accept/reject differs on {text:?}");
        if let (Some(ours), Ok(Oracle::Object(theirs))) = (ours, serde_json::from_str::<Oracle>(text)) {
            same_members(&ours, &theirs);
        }
    }

    #[test]
    fn accepts_what_json_parse_accepts() {
        for text in [
            "{}",
            " \t\n\r{ \t\n\r} \t\n\r",
            r#"{"a":1}"#,
            r#"{"a":-0,"b":0.5,"c":1e5,"d":1E+5,"e":-1.25e-3,"f":10}"#,
            r#"{"a":true,"b":false,"c":null,"d":[],"e":{},"f":[1,[2,{"g":[]}]]}"#,
            r#"{"":"","a b":"x"}"#,
            r#"{"s":"\"\\\/\b\f\n\r\t\u0000\u001f\u00e9\u6263\ud83d\ude00"}"#,
            "{\"s\":\"扣子 😀 \u{7f} \u{2028}\"}",
            r#"{"a":1,"a":2}"#,
            r#"{"n":123456789012345678901234567890}"#,
            r#"{"n":1e400}"#,
        ] {
            assert!(Object::parse(text).is_some(), "{text}");
            check(text);
        }
    }

    #[test]
    fn rejects_what_json_parse_rejects() {
        for text in [
            "",
            " ",
            "[]",
            "1",
            "\"a\"",
            "null",
            "{",
            "}",
            "{}}",
            "{} {}",
            "{}x",
            "{,}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{\"a\":1 \"b\":2}",
            "{a:1}",
            "{'a':1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":.5}",
            "{\"a\":+1}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":1e+}",
            "{\"a\":0x10}",
            "{\"a\":NaN}",
            "{\"a\":Infinity}",
            "{\"a\":tru}",
            "{\"a\":nul}",
            "{\"a\":True}",
            "{\"a\":[1,]}",
            "{\"a\":[,1]}",
            "{\"a\":[1 2]}",
            "{\"a\":[}",
            "{\"a\":]}",
            "{\"a\":{]}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"\\u12g4\"}",
            "{\"a\":\"\n\"}",
            "{\"a\":\"\t\"}",
            "{\"a\":\"\u{0}\"}",
            "{\"a\":\"x}",
            "\u{feff}{}",
            "{\u{a0}}",
            "{\"a\":1}\u{0}",
            "/*c*/{}",
            "{\"a\":1}//",
        ] {
            assert!(Object::parse(text).is_none(), "{text:?}");
            check(text);
        }
    }

    #[test]
    fn depth_is_bounded_without_recursion() {
        let nested = |n: usize| format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n)).replacen("{\"a\":}", "{}", 1);
        let arrays = |n: usize| format!("{{\"a\":{}0{}}}", "[".repeat(n - 1), "]".repeat(n - 1));
        for n in [1, 2, 127, 128] {
            assert!(Object::parse(&nested(n)).is_some(), "{n}");
            assert!(Object::parse(&arrays(n)).is_some(), "{n}");
        }
        for n in [129, 10_000, 1_000_000] {
            assert!(Object::parse(&nested(n)).is_none(), "{n}");
            assert!(Object::parse(&arrays(n)).is_none(), "{n}");
        }
        // Deep but shallow enough inside a member: found, and its inside is skipped correctly.
        let o = Object::parse(r#"{"deep":[[[[{"x":"]"}]]]],"after":"ok"}"#).unwrap();
        assert_eq!(o.str("after").as_deref(), Some("ok"));
    }

    #[test]
    fn members_and_lookups() {
        let o = Object::parse(
            r#" {"a":"x","n":5,"a":"y","o":{"logid":"L","o":{}},"l":[1,"}"],"t":true,"z":null,"k\u0065y":"esc"} "#,
        )
        .unwrap();
        assert_eq!(o.str("a").as_deref(), Some("y"), "the last duplicate wins");
        assert_eq!(o.integer("n"), Some(5));
        assert_eq!(o.integer("a"), None);
        assert_eq!(o.str("n"), None);
        assert_eq!(o.object("o").and_then(|d| d.str("logid")).as_deref(), Some("L"));
        assert_eq!(o.object("l"), None);
        assert_eq!(o.get("l"), Some(Value::Array(r#"[1,"}"]"#)));
        assert_eq!(o.get("t"), Some(Value::Bool(true)));
        assert_eq!(o.get("z"), Some(Value::Null));
        assert_eq!(o.get("missing"), None);
        assert_eq!(o.str("key").as_deref(), Some("esc"), "keys compare decoded");
        assert_eq!(o.members().count(), 8);
        assert!(o.text().starts_with('{') && o.text().ends_with('}'));
        // Strings without escapes are borrowed.
        assert!(matches!(o.str("a"), Some(Cow::Borrowed(_))));
    }

    #[test]
    fn surrogates() {
        let s = |text: &str| Object::parse(text).unwrap().str("s").unwrap().into_owned();
        assert_eq!(s(r#"{"s":"\ud83d\ude00"}"#), "😀");
        assert_eq!(s(r#"{"s":"\uD83D\uDE00x"}"#), "😀x");
        // Lone surrogates (JSON.parse keeps them; a Rust string cannot): U+FFFD each.
        assert_eq!(s(r#"{"s":"\ud800"}"#), "\u{FFFD}");
        assert_eq!(s(r#"{"s":"a\udc00b"}"#), "a\u{FFFD}b");
        assert_eq!(s(r#"{"s":"\ud800\u0041"}"#), "\u{FFFD}A");
        assert_eq!(s(r#"{"s":"\ud800\ud800\udc00"}"#), "\u{FFFD}\u{10000}");
        assert_eq!(s(r#"{"s":"\udc00\ud800"}"#), "\u{FFFD}\u{FFFD}");
        assert_eq!(s(r#"{"s":"\ud800\n"}"#), "\u{FFFD}\n");
    }

    #[test]
    fn integers() {
        for (text, want) in [
            ("0", Some(0)),
            ("-0", Some(0)),
            ("7", Some(7)),
            ("-7", Some(-7)),
            ("+7", Some(7)),
            ("007", Some(7)),
            ("1e3", Some(1000)),
            ("1E+3", Some(1000)),
            ("1.0", Some(1)),
            ("5.", Some(5)),
            ("2.50e1", Some(25)),
            ("1500e-3", None),
            ("1000e-3", Some(1)),
            ("100000000000000000000000e-20", Some(1000)),
            ("0.0e99999999999999999999", Some(0)),
            ("0e-5", Some(0)),
            ("9007199254740991", Some(MAX_SAFE_INTEGER)),
            ("-9007199254740991", Some(-MAX_SAFE_INTEGER)),
            ("9007199254740992", None),
            ("9.007199254740991e15", Some(MAX_SAFE_INTEGER)),
            ("1e16", None),
            ("1e400", None),
            ("99999999999999999999999999", None),
            ("1.5", None),
            ("1e-1", None),
            ("0.1e1", Some(1)),
            ("1.25e1", None),
            (".5", None),
            ("", None),
            ("-", None),
            (".", None),
            ("e5", None),
            ("1e", None),
            ("1e+", None),
            ("1.2.3", None),
            ("+-1", None),
            (" 1", None),
            ("1 ", None),
            ("0x10", None),
            ("Infinity", None),
            ("1_000", None),
        ] {
            assert_eq!(parse_integer(text), want, "{text:?}");
        }
        // Long zero runs cost a counter, not an overflow.
        assert_eq!(parse_integer(&format!("1{}e-5000", "0".repeat(5000))), Some(1));
        assert_eq!(parse_integer(&format!("0.{}1", "0".repeat(5000))), None);
    }

    #[test]
    fn json_string_escaping() {
        assert_eq!(json_string(""), r#""""#);
        assert_eq!(json_string("plain"), r#""plain""#);
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("\n\r\t\u{0}\u{1f}\u{8}\u{c}"), r#""\u000a\u000d\u0009\u0000\u001f\u0008\u000c""#);
        assert_eq!(json_string("扣子 😀 \u{7f} \u{2028} /"), "\"扣子 😀 \u{7f} \u{2028} /\"");
        for s in ["", "a\"\\\n\u{0}x", "扣子\u{1}😀", "</script>", "\u{2029}"] {
            let back: String = serde_json::from_str(&json_string(s)).unwrap();
            assert_eq!(back, s);
            let object = format!("{{\"s\":{}}}", json_string(s));
            assert_eq!(Object::parse(&object).unwrap().str("s").unwrap(), s);
        }
    }

    /// A small deterministic generator: JSON-like texts from a grammar, then byte-level mutations,
    /// each checked against serde_json.
    #[test]
    fn agrees_with_serde_json_on_generated_texts() {
        struct Rng(u64);
        impl Rng {
            fn next(&mut self) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0
            }
            fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
                options[(self.next() % options.len() as u64) as usize]
            }
        }
        fn value(rng: &mut Rng, depth: u32, out: &mut String) {
            match rng.next() % if depth > 4 { 4 } else { 6 } {
                0 => out.push_str(rng.pick(&[
                    "null",
                    "true",
                    "false",
                    "0",
                    "-0",
                    "1",
                    "-12",
                    "1.5",
                    "1e3",
                    "2E-2",
                    "9007199254740993",
                    "1.0",
                    "100e-2",
                    "1e400",
                    "0.000",
                ])),
                1 | 2 => {
                    out.push('"');
                    for _ in 0..rng.next() % 4 {
                        out.push_str(rng.pick(&[
                            "a",
                            "扣",
                            "😀",
                            "\\n",
                            "\\\"",
                            "\\\\",
                            "\\/",
                            "\\u0041",
                            "\\ud83d\\ude00",
                            "\\ud800",
                            "\\udc00",
                            " ",
                            "}",
                            "]",
                            ",",
                            ":",
                        ]));
                    }
                    out.push('"');
                }
                3 => {
                    out.push('[');
                    for i in 0..rng.next() % 3 {
                        if i > 0 {
                            out.push(',');
                        }
                        value(rng, depth + 1, out);
                    }
                    out.push(']');
                }
                _ => object(rng, depth + 1, out),
            }
        }
        fn object(rng: &mut Rng, depth: u32, out: &mut String) {
            out.push('{');
            for i in 0..rng.next() % 4 {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(rng.pick(&["", " ", "\n"]));
                out.push_str(rng.pick(&["\"a\"", "\"b\"", "\"a\"", "\"\\u0061\"", "\"\"", "\"code\"", "\"msg\""]));
                out.push_str(rng.pick(&[":", " : "]));
                value(rng, depth, out);
            }
            out.push('}');
        }
        const MUTATIONS: &[&str] = &["", " ", ",", ":", "\"", "\\", "{", "}", "[", "]", "0", "-", ".", "e", "\u{1}"];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let mut text = String::new();
            object(&mut rng, 1, &mut text);
            check(&text);
            // Insert, delete or replace one byte-level piece (kept on char boundaries).
            let at = (rng.next() % (text.len() as u64 + 1)) as usize;
            if text.is_char_boundary(at) {
                let mut mutated = text.clone();
                let end = (at + (rng.next() % 2) as usize).min(text.len());
                if mutated.is_char_boundary(end) {
                    mutated.replace_range(at..end, rng.pick(MUTATIONS));
                    check(&mutated);
                }
            }
        }
    }
}
