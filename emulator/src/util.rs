//! Small self-contained helpers: randomness, ids, time, URL encoding, HTML escaping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Seconds since the Unix epoch (Coze timestamps are 10-digit seconds).
pub fn now_secs() -> u64 {
    now_ms() / 1000
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("OS randomness unavailable");
    buf
}

pub fn random_u64() -> u64 {
    getrandom::u64().expect("OS randomness unavailable")
}

/// base64url (no padding) of `nbytes` random bytes.
pub fn random_token(nbytes: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(nbytes))
}

pub fn random_hex(nbytes: usize) -> String {
    hex(&random_bytes(nbytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `BASE64URL(SHA256(verifier))` without padding (RFC 7636 S256).
pub fn s256_challenge(verifier: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Constant-time-ish string comparison (the emulator is not a security boundary, but it is cheap).
pub fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A fresh Coze-looking numeric id (19 digits, strictly increasing within the process).
pub fn new_id() -> String {
    const BASE: u64 = 7_400_000_000_000_000_000;
    let step = 1 + random_u64() % 997;
    let mut cur = NEXT_ID.load(Ordering::Relaxed);
    loop {
        let base = if cur == 0 { BASE + (now_ms() % 1_000_000_000_000) * 1000 } else { cur };
        let next = base + step;
        match NEXT_ID.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next.to_string(),
            Err(actual) => cur = actual,
        }
    }
}

/// A log id like `20261123150000` + 3 ms digits + 20 uppercase hex characters.
pub fn new_logid() -> String {
    let ms = now_ms();
    let (y, mo, d, h, mi, s) = civil_utc(ms / 1000);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{:03}{}", ms % 1000, random_hex(10).to_ascii_uppercase())
}

/// UTC calendar date/time from Unix seconds (Howard Hinnant's civil_from_days).
pub fn civil_utc(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32, (rem % 60) as u32)
}

/// Percent-encode everything except RFC 3986 unreserved characters.
pub fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decode; `+` becomes a space (form / query semantics). `None` on bad escapes or bad UTF-8.
pub fn pct_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = (*bytes.get(i + 1)? as char).to_digit(16)?;
                let lo = (*bytes.get(i + 2)? as char).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Decoded `application/x-www-form-urlencoded` pairs, in order, duplicates kept.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parse a query string or form body. `Err(())` if an escape or the UTF-8 is invalid.
    pub fn parse(raw: &str) -> Result<Params, ()> {
        let mut v = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, val) = part.split_once('=').unwrap_or((part, ""));
            v.push((pct_decode(k).ok_or(())?, pct_decode(val).ok_or(())?));
        }
        Ok(Params(v))
    }

    /// First value for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// First value, ignoring empty strings.
    pub fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// The first parameter name that occurs more than once, if any.
    pub fn duplicated(&self) -> Option<&str> {
        for (i, (k, _)) in self.0.iter().enumerate() {
            if self.0[..i].iter().any(|(k2, _)| k2 == k) {
                return Some(k);
            }
        }
        None
    }

    /// Parse a numeric parameter; absent/empty → `default`; unparsable → `Err`.
    pub fn num(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.get_nonempty(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| format!("{name} must be an integer")),
        }
    }
}

/// Append query parameters to a URL, using `?` or `&` as appropriate (keeps any fragment last).
pub fn append_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let (base, frag) = match url.find('#') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let mut out = base.to_string();
    let mut sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (k, v) in pairs {
        out.push_str(sep);
        out.push_str(&pct_encode(k));
        out.push('=');
        out.push_str(&pct_encode(v));
        sep = "&";
    }
    out.push_str(frag);
    out
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_utc(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil_utc(1_718_792_949), (2024, 6, 19, 10, 29, 9));
        assert_eq!(civil_utc(951_782_400), (2000, 2, 29, 0, 0, 0));
    }

    #[test]
    fn ids_are_19_digit_and_increasing() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.len(), 19);
        assert!(b.parse::<u64>().unwrap() > a.parse::<u64>().unwrap());
        let l = new_logid();
        assert!(l.len() == 37 && l.starts_with("20"), "{l}");
    }

    #[test]
    fn encoding_roundtrip() {
        let s = "a b&c=d/é?#中";
        assert_eq!(pct_decode(&pct_encode(s)).unwrap(), s);
        assert_eq!(pct_decode("a+b%20c").unwrap(), "a b c");
        assert!(pct_decode("%zz").is_none());
        assert!(pct_decode("%ff").is_none());
        let p = Params::parse("a=1&b=&a=2&c").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("c"), Some(""));
        assert_eq!(p.duplicated(), Some("a"));
    }

    #[test]
    fn append_query_separators() {
        assert_eq!(append_query("http://x/cb", &[("code", "a b")]), "http://x/cb?code=a%20b");
        assert_eq!(append_query("http://x/cb?x=1", &[("code", "c")]), "http://x/cb?x=1&code=c");
        assert_eq!(append_query("http://x/cb?", &[("code", "c")]), "http://x/cb?code=c");
    }
}
