//! The JWT flow for server apps (coze-api.md §1.8): the private key as people paste it → PKCS#8
//! DER for WebCrypto, the RS256 header and claims to sign, the token request, and — when Coze
//! refuses the JWT — the likely cause (`reason`) from what can be checked locally.
//!
//! The wasm holds no RSA code: the driver signs the bytes [`start`] gives it with
//! `crypto.subtle` and hands the signature back to [`request`].

use super::authorize::{encode_path_segment, normalize_base_url, require_https, COZE_CN_BASE_URL, COZE_COM_BASE_URL};
use super::error::{CozeError, ErrorCode, Result};
use super::json::{contains, decimal, json_string, Object, Value};
use super::pkce::{base64url, generate_state};
use super::token::{read_token_reply, token_endpoint};

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const DEFAULT_DURATION_SECONDS: i64 = 900;
/// Coze's limit for `duration_seconds` (one day minus a second).
pub const MAX_DURATION_SECONDS: i64 = 86_399;
/// A clock this far from the server's is blamed for a refusal.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

/// Every `reason` value with the fix the error message gives for it (README's troubleshooting
/// table lists the same words).
pub const REASONS: [(&str, &str); 19] = [
    ("key_not_pem", "privateKey is not PEM: pass the key file's whole text, from its BEGIN line to its END line"),
    ("public_key", "privateKey is a public key: pass the private key of the pair"),
    ("certificate", "privateKey is a certificate: pass the private key"),
    ("encrypted_key", "privateKey is encrypted: openssl pkcs8 -topk8 -nocrypt -in key.pem"),
    ("key_not_rsa", "the key is not RSA: Coze JWTs are RS256, use the app's RSA key pair"),
    ("key_not_pkcs8", "the key is not PKCS#8/PKCS#1 PEM: openssl pkcs8 -topk8 -nocrypt -in key.pem"),
    ("empty_kid", "keyid is empty: pass the public key's id from the OAuth app"),
    ("exp_not_after_iat", "durationSeconds must be at least 1 (exp after iat)"),
    ("duration_too_long", "durationSeconds must be at most 86399"),
    ("empty_jwt", "Coze got no JWT: a proxy may drop the Authorization header"),
    (
        "wrong_region",
        "aud and baseURL are different regions: coze.cn apps use api.coze.cn for both, coze.com apps api.coze.com",
    ),
    ("aud_mismatch", "aud must be baseURL's host (e.g. api.coze.cn), no scheme or path"),
    ("iat_in_future", "iat is ahead of the server's clock: sync your clock (NTP)"),
    ("clock_skew", "your clock is over 60 s behind the server's: sync it (NTP)"),
    ("unknown_app", "appId is not a known OAuth app: use the app id (not a bot or key id), in its region"),
    ("not_jwt_app", "the app is not a JWT (service) app: create a service app for server tokens"),
    ("key_not_of_app", "keyid is not a key of this app: use a key id listed under the app"),
    ("bad_signature", "the signature does not match keyid's public key: wrong private key"),
    ("jti_reused", "this JWT was used before: mint a new one per request"),
];

/// The fix for a reason (its entry in [`REASONS`]).
pub fn fix(reason: &str) -> &'static str {
    REASONS.iter().find(|(r, _)| *r == reason).map_or("", |(_, f)| f)
}

/// Finds the `&'static` spelling of `reason` in [`REASONS`].
fn reason_word(reason: &str) -> &'static str {
    REASONS.iter().find(|(r, _)| *r == reason).map_or("refused", |(r, _)| r)
}

/// A refusal before any request: INVALID_ARGUMENT with its reason and fix.
pub fn refuse(reason: &str) -> CozeError {
    let mut err = CozeError::invalid_argument(["getJWTToken: ", fix(reason)].concat());
    err.reason = Some(reason_word(reason));
    err
}

// ---------------------------------------------------------------------------------------------
// Keys

const RSA_ENCRYPTION_OID: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Standard base64 (padding optional), whitespace skipped; `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes().filter(|b| !b.is_ascii_whitespace()).take_while(|b| *b != b'=') {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// A DER header: tag and definite length.
fn der_header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out
}

/// PKCS#1 `RSAPrivateKey` DER inside a PKCS#8 `PrivateKeyInfo` (RFC 5208): version 0, the
/// rsaEncryption algorithm with NULL parameters, the key as an OCTET STRING.
pub fn wrap_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let mut inner = vec![0x02, 0x01, 0x00, 0x30, 0x0d];
    inner.extend(RSA_ENCRYPTION_OID);
    inner.extend([0x05, 0x00]);
    inner.extend(der_header(0x04, pkcs1.len()));
    inner.extend(pkcs1);
    let mut out = der_header(0x30, inner.len());
    out.extend(inner);
    out
}

/// Where `needle` starts in `hay`: a plain window scan (std's substring search is ~2 kB of wasm).
fn find(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes().windows(needle.len()).position(|w| w == needle.as_bytes())
}

/// The private key as people paste it — PKCS#8 or PKCS#1 PEM, CRLF line ends, the literal `\n`
/// of an environment variable, surrounding quotes — → PKCS#8 DER. Anything else is refused with
/// the reason that names it (a public key, a certificate, an encrypted or a non-RSA key).
pub fn private_key_der(pem: &str) -> Result<Vec<u8>> {
    // The literal `\n` (and `\r`) of a key kept in an environment variable.
    let mut text = String::with_capacity(pem.len());
    let mut rest = pem;
    while let Some(at) = find(rest, "\\") {
        text.push_str(&rest[..at]);
        let skip = match rest.as_bytes().get(at + 1) {
            Some(b'n') => {
                text.push('\n');
                2
            }
            Some(b'r') => 2,
            _ => {
                text.push('\\');
                1
            }
        };
        rest = &rest[at + skip..];
    }
    text.push_str(rest);
    let missing = || refuse("key_not_pem");
    let begin = find(&text, "-----BEGIN ").ok_or_else(missing)?;
    let rest = &text[begin + 11..];
    let label_end = find(rest, "-----").ok_or_else(missing)?;
    let label = &rest[..label_end];
    let body = &rest[label_end + 5..];
    let body = &body[..find(body, "-----END ").ok_or_else(missing)?];
    match label {
        "PRIVATE KEY" | "RSA PRIVATE KEY" => {}
        "ENCRYPTED PRIVATE KEY" => return Err(refuse("encrypted_key")),
        "PUBLIC KEY" | "RSA PUBLIC KEY" => return Err(refuse("public_key")),
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => return Err(refuse("certificate")),
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" => return Err(refuse("key_not_rsa")),
        _ => return Err(refuse("key_not_pkcs8")),
    }
    if contains(body, "ENCRYPTED") {
        return Err(refuse("encrypted_key")); // `Proc-Type: 4,ENCRYPTED` (openssl genrsa -aes256)
    }
    let der = base64_decode(body).filter(|d| d.len() > 64 && d[0] == 0x30).ok_or_else(|| refuse("key_not_pem"))?;
    if label == "RSA PRIVATE KEY" {
        return Ok(wrap_pkcs1(&der));
    }
    // PrivateKeyInfo: SEQUENCE, version, then the AlgorithmIdentifier naming the key type.
    if !der[..32].windows(RSA_ENCRYPTION_OID.len()).any(|w| w == RSA_ENCRYPTION_OID) {
        return Err(refuse("key_not_rsa"));
    }
    Ok(der)
}

// ---------------------------------------------------------------------------------------------
// The JWT and the request

fn bad(key: &str, why: &str) -> CozeError {
    CozeError::invalid_argument(["getJWTToken: `", key, "` ", why].concat())
}

/// `host[:port]` of a normalized base URL.
fn authority(base_url: &str) -> &str {
    let rest = find(base_url, "://").map_or(base_url, |at| &base_url[at + 3..]);
    rest.split('/').next().unwrap_or(rest)
}

/// `getJWTToken`'s arguments → `{input, der?, url, body, iat, aud, baseURL}`: `input` is the JWT's
/// signing input (`header.claims`, base64url) for the driver to sign with RS256; `der` the
/// PKCS#8 key (base64url) to import when the caller gave a PEM string.
pub fn start(a: &Object) -> Result<String> {
    if a.get("inBrowser") == Some(Value::Bool(true)) {
        return Err(CozeError::new(
            ErrorCode::JwtInBrowser,
            "getJWTToken runs on servers only (Node, Deno, workers-style runtimes): in a page or Web Worker \
             the private key is readable by anyone. Pages log in with PKCE (startLogin / getPKCEAuthenticationUrl)",
        ));
    }
    let text = |key: &str| arg(a, key);
    let base_url = text("baseURL");
    if let Some(url) = &base_url {
        require_https(url, "baseURL", a.get("insecure") == Some(Value::Bool(true)))?;
    }
    let base_url = normalize_base_url(base_url.as_deref().unwrap_or(COZE_COM_BASE_URL))?;
    let kid = text("keyid").unwrap_or_default();
    if kid.trim().is_empty() {
        return Err(refuse("empty_kid"));
    }
    let duration = match a.get("durationSeconds") {
        None | Some(Value::Null) => DEFAULT_DURATION_SECONDS,
        Some(v) => v.as_integer().ok_or_else(|| bad("durationSeconds", "must be a whole number of seconds"))?,
    };
    if duration <= 0 {
        return Err(refuse("exp_not_after_iat"));
    }
    if duration > MAX_DURATION_SECONDS {
        return Err(refuse("duration_too_long"));
    }
    let der = match text("privateKey") {
        Some(pem) => Some(private_key_der(&pem)?),
        None => None,
    };
    let iat = a.integer("now").unwrap_or(0);
    let aud = text("aud").unwrap_or_default();
    let mut claims = String::new();
    member(&mut claims, "iss", &json_string(&text("appId").unwrap_or_default()));
    member(&mut claims, "aud", &json_string(&aud));
    member(&mut claims, "iat", &decimal(iat));
    member(&mut claims, "exp", &decimal(iat.saturating_add(duration)));
    member(&mut claims, "jti", &json_string(&generate_state()?));
    if let Some(name) = text("sessionName").filter(|s| !s.is_empty()) {
        member(&mut claims, "session_name", &json_string(&name));
    }
    claims.push('}');
    let header = ["{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":", &json_string(&kid), "}"].concat();

    let mut body = String::new();
    member(&mut body, "grant_type", &json_string(GRANT_TYPE));
    member(&mut body, "duration_seconds", &decimal(duration));
    match a.get("scope") {
        None | Some(Value::Null) => {}
        Some(Value::Object(scope)) if !contains(scope.text(), "coze-wasm:not-JSON") => {
            member(&mut body, "scope", scope.text())
        }
        Some(_) => return Err(bad("scope", "must be a JSON object (Coze's scope)")),
    }
    body.push('}');
    let url = match text("accountId") {
        Some(id) => [&base_url, "/api/permission/oauth2/account/", &encode_path_segment(&id), "/token"].concat(),
        None => token_endpoint(&base_url),
    };
    let mut out = String::new();
    let input = [base64url(header.as_bytes()), base64url(claims.as_bytes())].join(".");
    for (key, value) in [("input", &input), ("url", &url), ("body", &body), ("aud", &aud), ("baseURL", &base_url)] {
        member(&mut out, key, &json_string(value));
    }
    if let Some(der) = der {
        member(&mut out, "der", &json_string(&base64url(&der)));
    }
    member(&mut out, "iat", &decimal(iat));
    out.push('}');
    Ok(out)
}

/// A string argument.
fn arg(a: &Object, key: &str) -> Option<String> {
    a.str(key).map(|s| s.into_owned())
}

/// Appends `"key":json` to an object being written (opened by the first member).
fn member(out: &mut String, key: &str, json: &str) {
    out.push(if out.is_empty() { '{' } else { ',' });
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    out.push_str(json);
}

/// The signed JWT (`input` + the driver's RS256 signature, base64) → the token request.
pub fn request(a: &Object) -> Result<String> {
    let signature = arg(a, "signature").and_then(|s| base64_decode(&s)).filter(|s| !s.is_empty());
    let signature = signature.ok_or_else(|| CozeError::new(ErrorCode::Crypto, "RS256 signing gave no signature"))?;
    let text = |key: &str| arg(a, key).unwrap_or_default();
    let jwt = [&text("input"), ".", &base64url(&signature)].concat();
    Ok(super::endpoints::describe("POST", &text("url"), Some(&text("body")), Some(&["Bearer ", &jwt].concat()), ""))
}

/// WebCrypto could not import or sign with the key the caller gave.
pub fn key_refused(a: &Object) -> CozeError {
    // A CryptoKey of another algorithm (ECDSA, RSA-PSS…) or a DER WebCrypto cannot parse.
    if a.get("cryptoKey") == Some(Value::Bool(true)) {
        return refuse("key_not_rsa");
    }
    refuse("key_not_pkcs8")
}

// ---------------------------------------------------------------------------------------------
// The reply

/// The token reply → `{access_token, expires_in}`, or the refusal with its likely `reason`.
pub fn reply(a: &Object) -> Result<String> {
    let status = a.integer("status").unwrap_or(0) as u16;
    let body = arg(a, "body").unwrap_or_default();
    let now = a.integer("now").unwrap_or(0);
    // Success is `{access_token, expires_in}`: no refresh token (mint another when it expires).
    let mut err = match read_token_reply(status, &body, arg(a, "logid").as_deref(), now, false) {
        Ok(t) => {
            return Ok([
                "{\"access_token\":",
                &json_string(&t.access_token),
                ",\"expires_in\":",
                &decimal(t.expires_in),
                "}",
            ]
            .concat())
        }
        Err(err) => err,
    };
    if err.code == ErrorCode::OAuthTokenError || (400..500).contains(&status) {
        let said = [&err.error, &err.error_description, &err.msg].map(|t| t.as_deref().unwrap_or_default()).join(" ");
        let reason = diagnose(&Refusal {
            said: &said.to_ascii_lowercase(),
            aud: &arg(a, "aud").unwrap_or_default(),
            base_url: &arg(a, "baseURL").unwrap_or_default(),
            iat: a.integer("iat").unwrap_or(now),
            server_now: arg(a, "date").and_then(|d| http_date(&d)),
        });
        err.reason = Some(reason);
        err.message.push_str(&[" — likely cause (", reason, "): ", fix(reason)].concat());
    }
    Err(err)
}

/// What is known about a refused JWT.
pub struct Refusal<'a> {
    /// The server's error words, lower-cased.
    pub said: &'a str,
    pub aud: &'a str,
    pub base_url: &'a str,
    pub iat: i64,
    /// The reply's `Date` header, in Unix seconds.
    pub server_now: Option<i64>,
}

fn region(host: &str) -> Option<&'static str> {
    [COZE_CN_BASE_URL, COZE_COM_BASE_URL].into_iter().find(|b| authority(b) == host)
}

/// The likely cause of a refusal: Coze's own words where they are unambiguous, then what can be
/// checked locally (aud, region, clocks), then the rest of Coze's words; `"refused"` otherwise.
pub fn diagnose(r: &Refusal) -> &'static str {
    let said = |words: &[&str]| words.iter().any(|w| contains(r.said, w));
    if said(&["empty jwt"]) {
        return "empty_jwt";
    }
    let host = authority(r.base_url).to_ascii_lowercase();
    let aud = r.aud.trim().to_ascii_lowercase();
    if aud != host {
        let both_coze = region(&aud).is_some() && region(&host).is_some();
        return if both_coze { "wrong_region" } else { "aud_mismatch" };
    }
    if let Some(server_now) = r.server_now {
        if r.iat - server_now > CLOCK_SKEW_SECONDS {
            return "iat_in_future";
        }
        if server_now - r.iat > CLOCK_SKEW_SECONDS {
            return "clock_skew";
        }
    }
    // Most specific first: a bad signature or key id also comes as `invalid_client`.
    const WORDS: [(&[&str], &str); 6] = [
        (&["app type", "not a jwt", "service app"], "not_jwt_app"),
        (&["key id", "kid"], "key_not_of_app"),
        (&["signature"], "bad_signature"),
        (&["jti"], "jti_reused"),
        (&["expired", "not valid yet", "iat"], "clock_skew"),
        (&["app not found", "unknown app", "invalid client", "invalid_client"], "unknown_app"),
    ];
    WORDS.iter().find(|(words, _)| said(words)).map_or("refused", |(_, reason)| reason)
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the `Date` header) → Unix seconds.
pub fn http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_ascii_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else { return None };
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let number = |s: &str| {
        let digits = !s.is_empty() && s.len() < 6 && s.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| s.bytes().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
    };
    let (day, year) = (number(day)?, number(year)?);
    let hms: Vec<i64> = time.split(':').map(number).collect::<Option<_>>()?;
    let [h, m, s] = hms[..] else { return None };
    // Days from 1970-01-01 (the civil-from-days inverse, March-based years).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(all(test, not(target_arch = "wasm32")))] // native: the key oracle (rsa) is a native dev-dependency
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(http_date("Tue, 29 Feb 2028 23:59:59 GMT"), Some(1_835_481_599));
        assert_eq!(http_date("Sunday, 06-Nov-94 08:49:37 GMT"), None);
        assert_eq!(http_date(""), None);
    }

    fn refusal<'a>(said: &'a str, aud: &'a str, base_url: &'a str, server_now: Option<i64>) -> Refusal<'a> {
        Refusal { said, aud, base_url, iat: 1_000_000, server_now }
    }

    #[test]
    fn diagnosis_table() {
        let here = "http://127.0.0.1:8793";
        let host = "127.0.0.1:8793";
        let cases: [(Refusal, &str); 14] = [
            (refusal("invalid jwt: empty jwt token", "x", here, None), "empty_jwt"),
            (refusal("invalid aud", "api.coze.com", COZE_CN_BASE_URL, None), "wrong_region"),
            (refusal("app not found", "api.coze.cn", COZE_COM_BASE_URL, None), "wrong_region"),
            (refusal("invalid aud", "https://api.coze.cn", COZE_CN_BASE_URL, None), "aud_mismatch"),
            (refusal("invalid aud", "api.coze.cn", here, None), "aud_mismatch"),
            (refusal("jwt is not valid yet", host, here, Some(1_000_000 - 61)), "iat_in_future"),
            (refusal("jwt expired", host, here, Some(1_000_000 + 3600)), "clock_skew"),
            (refusal("jwt expired", host, here, None), "clock_skew"),
            (refusal("access_deny invalid app type: not a jwt app", host, here, Some(1_000_000)), "not_jwt_app"),
            (refusal("invalid_client the key id does not belong to this app", host, here, None), "key_not_of_app"),
            (refusal("invalid_client app not found", host, here, None), "unknown_app"),
            (
                refusal("invalid_client invalid signature", "API.coze.cn", COZE_CN_BASE_URL, Some(1_000_030)),
                "bad_signature",
            ),
            (refusal("jti already used", host, here, None), "jti_reused"),
            (refusal("internal_error", host, here, None), "refused"),
        ];
        for (r, want) in cases {
            assert_eq!(diagnose(&r), want, "{}", r.said);
            assert!(want == "refused" || !fix(want).is_empty(), "{want} has a fix");
        }
    }

    /// One RSA key per test run (no private key is tracked in git), PEM-encoded by the `rsa`
    /// crate: PKCS#1, PKCS#8, and that encoder's PKCS#8 DER for ours to match.
    struct Keys {
        pkcs1: String,
        pkcs8: String,
        pkcs8_der: Vec<u8>,
    }

    fn keys() -> &'static Keys {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
        KEYS.get_or_init(|| {
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
            Keys {
                pkcs1: key.to_pkcs1_pem(LineEnding::LF).unwrap().as_str().to_owned(),
                pkcs8: key.to_pkcs8_pem(LineEnding::LF).unwrap().as_str().to_owned(),
                pkcs8_der: key.to_pkcs8_der().unwrap().as_bytes().to_vec(),
            }
        })
    }

    /// A PKCS#8 key whose algorithm is id-ecPublicKey on prime256v1 (P-256). The scalar is fixed
    /// filler: only the algorithm is read, so it need not be a usable key.
    fn ec_pkcs8_pem() -> String {
        use rsa::pkcs8::{AlgorithmIdentifierRef, LineEnding, ObjectIdentifier, PrivateKeyInfo, SecretDocument};
        let id_ec_public_key = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
        let prime256v1 = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
        // ECPrivateKey (RFC 5915): SEQUENCE { version 1, OCTET STRING of the 32-byte scalar }.
        let mut ec_private_key = vec![0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20];
        ec_private_key.extend([0x5a; 32]);
        let algorithm = AlgorithmIdentifierRef { oid: id_ec_public_key, parameters: Some((&prime256v1).into()) };
        let info = PrivateKeyInfo::new(algorithm, &ec_private_key);
        SecretDocument::try_from(info).unwrap().to_pem("PRIVATE KEY", LineEnding::LF).unwrap().as_str().to_owned()
    }

    #[test]
    fn pkcs1_is_wrapped_into_the_same_pkcs8_as_a_well_kept_encoder() {
        let Keys { pkcs1, pkcs8, pkcs8_der } = keys();
        let ours = private_key_der(pkcs1).unwrap();
        // assert! rather than assert_eq!: a failure names the first differing byte, not the key.
        let differs_at = ours.iter().zip(pkcs8_der).position(|(a, b)| a != b);
        assert!(ours == *pkcs8_der, "not the rsa crate's PKCS#8 of the same key: byte {differs_at:?}");
        assert_eq!(private_key_der(pkcs8).unwrap(), ours, "PKCS#8 PEM");
        assert_eq!(private_key_der(&pkcs8.replace('\n', "\r\n")).unwrap(), ours, "CRLF");
        assert_eq!(private_key_der(&pkcs8.replace('\n', "\\n")).unwrap(), ours, "literal \\n from an env var");
        assert_eq!(private_key_der(&format!("\"{}\"", pkcs1.replace('\n', "\\r\\n"))).unwrap(), ours, "quoted");
    }

    #[test]
    fn wrong_keys_are_named() {
        let Keys { pkcs1, pkcs8, .. } = keys();
        let reason = |pem: &str| private_key_der(pem).unwrap_err().reason.unwrap();
        let body = &pkcs8[pkcs8.find('\n').unwrap()..pkcs8.find("-----END").unwrap()];
        let wrapped = |label: &str| format!("-----BEGIN {label}-----{body}-----END {label}-----\n");
        assert_eq!(reason(&wrapped("PUBLIC KEY")), "public_key");
        assert_eq!(reason(&wrapped("RSA PUBLIC KEY")), "public_key");
        assert_eq!(reason(&wrapped("CERTIFICATE")), "certificate");
        assert_eq!(reason(&wrapped("ENCRYPTED PRIVATE KEY")), "encrypted_key");
        assert_eq!(reason(&pkcs1.replace("KEY-----\n", "KEY-----\nProc-Type: 4,ENCRYPTED\n")), "encrypted_key");
        assert_eq!(reason(&wrapped("EC PRIVATE KEY")), "key_not_rsa");
        assert_eq!(reason(&wrapped("OPENSSH PRIVATE KEY")), "key_not_pkcs8");
        assert_eq!(reason("my-secret"), "key_not_pem");
        assert_eq!(reason(&pkcs8.replace('M', "*")), "key_not_pem");
        // An EC PKCS#8 key (prime256v1): the algorithm is id-ecPublicKey, not rsaEncryption.
        assert_eq!(reason(&ec_pkcs8_pem()), "key_not_rsa");
        let err = private_key_der(&wrapped("PUBLIC KEY")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(!err.message.contains(&body[1..20]), "no key material in the message");
    }

    fn start_with(args: &str) -> Result<String> {
        start(&Object::parse(args).unwrap())
    }

    #[test]
    fn header_claims_and_body() {
        let args = format!(
            r#"{{"appId":"app1","keyid":"k1","aud":"api.coze.cn","baseURL":"https://api.coze.cn","now":1700000000,"sessionName":"s","durationSeconds":600,"scope":{{"a":1}},"privateKey":{}}}"#,
            json_string(&keys().pkcs8)
        );
        let out = start_with(&args).unwrap();
        let o = Object::parse(&out).unwrap();
        let input = o.str("input").unwrap();
        let (header, claims) = input.split_once('.').unwrap();
        let decode = |s: &str| {
            let std = s.replace('-', "+").replace('_', "/");
            String::from_utf8(base64_decode(&std).unwrap()).unwrap()
        };
        assert_eq!(decode(header), r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
        let claims = decode(claims);
        let c = Object::parse(&claims).unwrap();
        assert_eq!(c.str("iss").unwrap(), "app1");
        assert_eq!(c.str("aud").unwrap(), "api.coze.cn");
        assert_eq!(c.integer("iat"), Some(1_700_000_000));
        assert_eq!(c.integer("exp"), Some(1_700_000_600));
        assert_eq!(c.str("session_name").unwrap(), "s");
        assert_eq!(c.str("jti").unwrap().len(), 43);
        assert_eq!(
            o.str("body").unwrap(),
            r#"{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","duration_seconds":600,"scope":{"a":1}}"#
        );
        assert_eq!(o.str("url").unwrap(), "https://api.coze.cn/api/permission/oauth2/token");
        assert!(o.get("der").is_some());
        let account = start_with(r#"{"appId":"a","keyid":"k","aud":"x","accountId":"7 1","now":1}"#).unwrap();
        let account = Object::parse(&account).unwrap();
        assert_eq!(account.str("url").unwrap(), "https://api.coze.com/api/permission/oauth2/account/7%201/token");
        assert!(account.get("der").is_none(), "a CryptoKey: nothing to import");
    }

    #[test]
    fn refused_before_any_request() {
        let reason = |args: &str| start_with(args).unwrap_err().reason;
        assert_eq!(reason(r#"{"keyid":" ","now":1}"#), Some("empty_kid"));
        assert_eq!(reason(r#"{"keyid":"k","durationSeconds":0}"#), Some("exp_not_after_iat"));
        assert_eq!(reason(r#"{"keyid":"k","durationSeconds":-5}"#), Some("exp_not_after_iat"));
        assert_eq!(reason(r#"{"keyid":"k","durationSeconds":86400}"#), Some("duration_too_long"));
        assert!(start_with(r#"{"keyid":"k","durationSeconds":86399}"#).is_ok());
        assert_eq!(start_with(r#"{"keyid":"k","durationSeconds":1.5}"#).unwrap_err().code, ErrorCode::InvalidArgument);
        assert_eq!(start_with(r#"{"keyid":"k","scope":"all"}"#).unwrap_err().code, ErrorCode::InvalidArgument);
        let e = start_with(r#"{"keyid":"k","inBrowser":true}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::JwtInBrowser);
        assert!(e.message.contains("PKCE"));
        assert!(start_with(r#"{"keyid":"k","baseURL":"http://example.com"}"#).is_err(), "http only for loopback");
    }

    #[test]
    fn replies() {
        let reply_to = |status: i64, body: &str, extra: &str| {
            let args = format!(
                r#"{{"status":{status},"body":{},"now":1700000000,"iat":1700000000,"aud":"api.coze.cn","baseURL":"https://api.coze.cn"{extra}}}"#,
                json_string(body)
            );
            reply(&Object::parse(&args).unwrap())
        };
        let ok = reply_to(200, r#"{"access_token":"czs_1","expires_in":1700000900}"#, "").unwrap();
        assert_eq!(ok, r#"{"access_token":"czs_1","expires_in":1700000900}"#);
        let relative = reply_to(200, r#"{"access_token":"czs_1","expires_in":"900"}"#, "").unwrap();
        assert_eq!(relative, ok);
        assert!(reply_to(200, r#"{"access_token":"czs_1"}"#, "").is_err());
        let e = reply_to(401, r#"{"error_code":"invalid_client","error_message":"invalid jwt: empty jwt token"}"#, "")
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::OAuthTokenError);
        assert_eq!(e.reason, Some("empty_jwt"));
        assert!(e.message.contains("Authorization header"), "{}", e.message);
        let date = r#","date":"Tue, 14 Nov 2023 22:13:20 GMT""#; // 1_700_000_000
        let e = reply_to(401, r#"{"error":"invalid_grant","error_description":"jwt expired"}"#, date).unwrap_err();
        assert_eq!(e.reason, Some("clock_skew"));
        let late = r#","date":"Tue, 14 Nov 2023 23:13:20 GMT""#;
        let early = r#","date":"Tue, 14 Nov 2023 22:03:20 GMT""#;
        assert_eq!(reply_to(401, r#"{"error":"invalid_grant"}"#, early).unwrap_err().reason, Some("iat_in_future"));
        assert_eq!(reply_to(401, r#"{"error":"invalid_grant"}"#, late).unwrap_err().reason, Some("clock_skew"));
        let e = reply_to(200, r#"{"code":4100,"msg":"bad"}"#, "").unwrap_err();
        assert_eq!(e.code, ErrorCode::CozeApiError);
        assert!(e.reason.is_none(), "not a JWT refusal");
        assert_eq!(reply_to(500, "oops", "").unwrap_err().reason, None);
    }
}
