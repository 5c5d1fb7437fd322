//! core::jwt on arbitrary text: the PEM reader, the JWT start, the token reply reader with its
//! diagnosis and the `Date` parser never panic; a key is PKCS#8 DER (a SEQUENCE) or a refusal
//! that names its reason; a refused reply always carries a reason.
//!
//! Input: one byte choosing the reply's status (200 or 401), then the text used everywhere.
#![no_main]

use coze_wasm::core::json::{json_string, Object};
use coze_wasm::core::jwt::{diagnose, http_date, private_key_der, reply, start, Refusal};
use coze_wasm::core::ErrorCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&choice, rest)) = input.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match private_key_der(&text) {
        Ok(der) => assert_eq!(der.first(), Some(&0x30)),
        Err(e) => assert!(e.reason.is_some() && e.code == ErrorCode::InvalidArgument),
    }
    let date = http_date(&text);
    let t = json_string(&text);
    let started = format!(r#"{{"keyid":"k","appId":{t},"aud":{t},"privateKey":{t},"sessionName":{t},"now":1700000000}}"#);
    if let Ok(out) = start(&Object::parse(&started).expect("valid JSON")) {
        assert!(Object::parse(&out).is_some());
    }
    let status = if choice & 1 == 0 { 200 } else { 401 };
    let args = format!(
        r#"{{"status":{status},"body":{t},"date":{t},"now":1700000000,"iat":1700000000,"aud":"api.coze.cn","baseURL":"https://api.coze.cn"}}"#
    );
    match reply(&Object::parse(&args).expect("valid JSON")) {
        Ok(out) => assert!(status == 200 && Object::parse(&out).is_some()),
        Err(e) => assert!(status == 200 || e.reason.is_some(), "a 401 is diagnosed: {e:?}"),
    }
    diagnose(&Refusal { said: &text, aud: &text, base_url: &text, iat: i64::from(choice), server_now: date });
});
