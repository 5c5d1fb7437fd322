//! parse_callback / callback_state / strip_callback_params against an independent reading of the
//! callback rules (RFC 9700 order: duplicates, state, error, code).
//!
//! Input: byte 0 even = a free-form URL and expected state; odd = a URL assembled from likely
//! pieces (callback parameter names, encoded names, the expected state, bad escapes), so the
//! success path and every error are reached.
#![no_main]

use coze_wasm::core::authorize::{
    callback_state, form_urlencode, normalize_base_url, parse_callback, strip_callback_params, CALLBACK_PARAMS,
};
use coze_wasm::core::ErrorCode;
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut u = Unstructured::new(input);
    let Ok((url, expected)) =
        (if u.arbitrary::<bool>().unwrap_or(false) { assembled(&mut u) } else { u.arbitrary::<(String, String)>() })
    else {
        return;
    };
    check(&url, &expected);

    // What we put in the authorize URL must come back unchanged through a callback.
    assert_eq!(decode(&form_urlencode(&expected)).as_deref(), Some(expected.as_str()));
    let back = parse_callback(&format!("/cb?state={}&code=c", form_urlencode(&expected)), &expected);
    assert_eq!(back.is_ok(), !expected.is_empty());
    // Base URLs: normalizing is idempotent.
    if let Ok(n) = normalize_base_url(&url) {
        assert_eq!(normalize_base_url(&n).as_deref(), Ok(n.as_str()));
    }
});

fn assembled(u: &mut Unstructured) -> ArbResult<(String, String)> {
    let expected: String = match u.int_in_range(0..=3)? {
        0 => "s7Tq-_9xYz".into(),
        1 => "a b+c%/星🙂".into(),
        2 => String::new(),
        _ => u.arbitrary()?,
    };
    let mut url = String::from(*u.choose(&["", "https://app.example/cb", "/cb", "?", "https://a/cb#x?", "#"])?);
    if !url.contains('?') {
        url.push('?');
    }
    for _ in 0..u.int_in_range(0..=6)? {
        let name: String = match u.int_in_range(0..=9)? {
            0..=5 => CALLBACK_PARAMS[u.int_in_range(0..=5)?].into(),
            6 => (*u.choose(&["%73tate", "st%61te", "co%64e", "%65rror", "iss%", "state+", "%FFstate"])?).into(),
            7 => "other".into(),
            _ => u.arbitrary()?,
        };
        let value: String = match u.int_in_range(0..=6)? {
            0 => expected.clone(),
            1 => encode(&expected),
            2 => String::new(),
            3 => (*u.choose(&["%", "%E6%98", "%zz", "a+b", "%2B", "%00"])?).into(),
            _ => u.arbitrary()?,
        };
        url.push_str(*u.choose(&["&", "&&", ""])?);
        url.push_str(&name);
        if u.arbitrary()? {
            url.push('=');
            url.push_str(&value);
        }
    }
    if u.arbitrary()? {
        url.push('#');
        url.push_str(&u.arbitrary::<String>()?);
    }
    Ok((url, expected))
}

/// Form encoding, written independently of the crate's.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

/// Strict form decoding: `+` is a space, `%XX` a byte, anything else malformed; result must be UTF-8.
fn decode(s: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (bytes.next()? as char).to_digit(16)?;
                let lo = (bytes.next()? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// The query: after the first `?` that comes before any `#`, up to the `#`.
fn query_of(url: &str) -> Option<&str> {
    let main = url.split('#').next().unwrap_or("");
    main.split_once('?').map(|(_, q)| q)
}

/// (decoded-or-raw name, raw value) of every non-empty piece of the query.
fn pairs(url: &str) -> Vec<(String, &str)> {
    query_of(url)
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n).unwrap_or_else(|| n.to_owned()), v)
        })
        .collect()
}

/// What parse_callback must answer: the (code, state), or the error code.
fn expected_outcome(url: &str, expected: &str) -> Result<(String, String), ErrorCode> {
    let pairs = pairs(url);
    let get = |name: &str| {
        let mut found = pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| *v);
        (found.next(), found.next().is_some())
    };
    if CALLBACK_PARAMS.iter().any(|p| get(p).1) {
        return Err(ErrorCode::OAuthDuplicateParam);
    }
    let bad = ErrorCode::InvalidArgument; // a value that does not decode
    let state = match get("state").0 {
        Some(raw) => decode(raw).ok_or(bad)?,
        None => String::new(),
    };
    if state.is_empty() {
        return Err(ErrorCode::OAuthStateMissing);
    }
    if expected.is_empty() {
        return Err(ErrorCode::InvalidArgument);
    }
    if state != expected {
        return Err(ErrorCode::OAuthStateMismatch);
    }
    if let Some(raw) = get("error").0 {
        decode(raw).ok_or(bad)?;
        if let Some(d) = get("error_description").0 {
            decode(d).ok_or(bad)?;
        }
        return Err(ErrorCode::OAuthCallbackError);
    }
    let code = get("code").0.map(|raw| decode(raw).ok_or(bad)).transpose()?.unwrap_or_default();
    if code.is_empty() {
        return Err(ErrorCode::OAuthCodeMissing);
    }
    Ok((code, state))
}

fn check(url: &str, expected: &str) {
    let got = parse_callback(url, expected);
    let want = expected_outcome(url, expected);
    match (&got, &want) {
        (Ok(cb), Ok((code, state))) => {
            assert_eq!(&cb.state, expected, "accepted a state that is not the expected one");
            assert!(!cb.code.is_empty());
            assert_eq!((&cb.code, &cb.state), (code, state));
            assert_eq!(callback_state(url).as_ref(), Ok(&cb.state));
            // Debug hides the code.
            if cb.code.len() >= 8 {
                assert!(!format!("{cb:?}").contains(&cb.code));
            }
        }
        (Err(e), Err(code)) => {
            assert_eq!(e.code, *code, "wrong error for {url:?} / {expected:?}: {}", e.message);
            // Codes and states never appear in errors (except the server's own error text).
            if e.code != ErrorCode::OAuthCallbackError {
                for (name, raw) in pairs(url) {
                    if (name == "code" || name == "state") && raw.len() >= 4 && raw.bytes().any(|b| b.is_ascii_digit())
                    {
                        assert!(!e.message.contains(raw), "{name} value leaked into: {}", e.message);
                    }
                }
            }
            if e.code == ErrorCode::OAuthDuplicateParam {
                assert_eq!(callback_state(url).unwrap_err().code, ErrorCode::OAuthDuplicateParam);
            }
        }
        _ => panic!("parse_callback({url:?}, {expected:?}) = {got:?}, expected {want:?}"),
    }

    // Stripping removes every callback parameter, keeps everything else in order, and is idempotent.
    let stripped = strip_callback_params(url);
    assert!(pairs(&stripped).iter().all(|(n, _)| !CALLBACK_PARAMS.contains(&n.as_str())), "{stripped:?}");
    assert_eq!(strip_callback_params(&stripped), stripped);
    assert_eq!(callback_state(&stripped).unwrap_err().code, ErrorCode::OAuthStateMissing);
    let kept: Vec<(String, &str)> =
        pairs(url).into_iter().filter(|(n, _)| !CALLBACK_PARAMS.contains(&n.as_str())).collect();
    assert_eq!(pairs(&stripped), kept);
    let (before, fragment) = (url.split(['?', '#']).next().unwrap(), url.find('#').map_or("", |i| &url[i..]));
    assert!(stripped.starts_with(before) && stripped.ends_with(fragment), "{url:?} -> {stripped:?}");
}
