//! PKCE (RFC 7636) with S256 only, plus the random values a login needs.
//!
//! * verifier: 32 bytes from the platform CSPRNG, base64url without padding → 43 characters
//!   (256 bits, the minimum RFC 9700 / the browser-based-apps BCP ask for);
//! * state: the same construction, used once and compared exactly (constant time);
//! * challenge: `BASE64URL(SHA256(ASCII(code_verifier)))`, unpadded (RFC 7636 §4.2).
//!
//! `plain` is refused: it puts the verifier itself into the authorization URL, so anyone who sees the
//! URL (history, logs, referrers) can redeem the code. RFC 9700 §2.1.1 says to use S256.

use sha2::{Digest as _, Sha256};

use super::error::{CozeError, ErrorCode, Result};

/// Number of random bytes behind a verifier or a state (256 bits).
pub const RANDOM_BYTES: usize = 32;
/// RFC 7636 §4.1 bounds on the verifier length.
pub const VERIFIER_MIN_LEN: usize = 43;
pub const VERIFIER_MAX_LEN: usize = 128;
/// The only `code_challenge_method` we send.
pub const S256: &str = "S256";

/// Compares two byte strings without an early exit on the first difference, so the time taken does
/// not tell an attacker how long a matching prefix of a guessed `state` was. (The length is not
/// hidden; ours is fixed and public anyway.)
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

/// Unpadded base64url (RFC 4648 §5). Written out: the base64 crate's engine is ~2 kB of wasm for
/// the one thing we need.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn random_base64url() -> Result<String> {
    let mut bytes = [0u8; RANDOM_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|_| CozeError::new(ErrorCode::Crypto, "no secure random source (crypto.getRandomValues)"))?;
    Ok(base64url(&bytes))
}

/// A fresh PKCE code verifier: 32 random bytes, base64url without padding (43 characters).
pub fn generate_code_verifier() -> Result<String> {
    random_base64url()
}

/// A fresh `state`: 32 random bytes, base64url without padding (43 characters).
pub fn generate_state() -> Result<String> {
    random_base64url()
}

/// A short, non-secret name for a refresh token (lock names are visible to the whole origin).
pub fn fingerprint(token: &str) -> String {
    base64url(&Sha256::digest(token.as_bytes())[..12])
}

/// Checks the RFC 7636 §4.1 syntax: `code-verifier = 43*128unreserved`,
/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"`. The error never contains the verifier.
pub fn validate_code_verifier(verifier: &str) -> Result<()> {
    let len = verifier.chars().count();
    if !(VERIFIER_MIN_LEN..=VERIFIER_MAX_LEN).contains(&len) {
        return Err(CozeError::invalid_argument("code_verifier must be 43 to 128 characters (RFC 7636 §4.1)"));
    }
    if let Some(pos) = verifier.chars().position(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
    {
        let at = super::json::decimal(pos as i64 + 1);
        return Err(CozeError::invalid_argument(
            ["code_verifier may only hold A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1): character ", &at, " is not"].concat(),
        ));
    }
    Ok(())
}

/// The S256 code challenge for `verifier`: `BASE64URL(SHA256(ASCII(verifier)))` without padding.
/// The verifier is validated first (RFC 7636 §4.1).
pub fn code_challenge_s256(verifier: &str) -> Result<String> {
    validate_code_verifier(verifier)?;
    Ok(base64url(&Sha256::digest(verifier.as_bytes())))
}

/// Accepts no method (we default to S256) or exactly `"S256"`. `plain` and anything else are refused.
pub fn check_challenge_method(method: Option<&str>) -> Result<()> {
    match method {
        None => Ok(()),
        Some(m) if m == S256 => Ok(()),
        // 'plain' puts the verifier itself in the authorization URL (RFC 9700 §2.1.1).
        Some(_) => Err(CozeError::new(
            ErrorCode::UnsupportedChallengeMethod,
            "code_challenge_method must be S256, the default ('plain' exposes the verifier; RFC 9700)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn is_b64url(s: &str) -> bool {
        s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE")];
        for (input, expected) in vectors {
            assert_eq!(base64url(input.as_bytes()), expected);
        }
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff, 0xbf]), "-_-_", "the URL-safe alphabet");
        assert_eq!(base64url(&[0xff; 32]).len(), 43);
        let bytes: Vec<u8> = (0..=255).collect();
        for n in 0..bytes.len() {
            assert_eq!(decode(&base64url(&bytes[..n])), &bytes[..n]);
        }
    }

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(code_challenge_s256(RFC_VERIFIER).unwrap(), RFC_CHALLENGE);
    }

    #[test]
    fn verifier_length_alphabet_and_uniqueness() {
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let v = generate_code_verifier().unwrap();
            assert_eq!(v.len(), 43);
            assert!(is_b64url(&v), "{v}");
            validate_code_verifier(&v).unwrap();
            let c = code_challenge_s256(&v).unwrap();
            assert_eq!(c.len(), 43);
            assert!(is_b64url(&c));
            assert!(seen.insert(v), "verifier repeated");
        }
    }

    #[test]
    fn state_length_alphabet_and_uniqueness() {
        let mut seen = HashSet::new();
        for _ in 0..200 {
            let s = generate_state().unwrap();
            assert_eq!(s.len(), 43);
            assert!(is_b64url(&s));
            assert!(seen.insert(s), "state repeated");
        }
        assert_ne!(generate_state().unwrap(), generate_code_verifier().unwrap());
    }

    /// Test-only decoder (an oracle independent of `base64url`).
    fn decode(text: &str) -> Vec<u8> {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bits: String = text.chars().map(|c| format!("{:06b}", alphabet.find(c).expect("base64url"))).collect();
        bits.as_bytes()
            .chunks_exact(8)
            .map(|b| u8::from_str_radix(std::str::from_utf8(b).unwrap(), 2).unwrap())
            .collect()
    }

    #[test]
    fn verifier_and_state_carry_256_random_bits() {
        const { assert!(RANDOM_BYTES * 8 >= 256) };
        for value in [generate_code_verifier().unwrap(), generate_state().unwrap()] {
            let bytes = decode(&value);
            assert_eq!(bytes.len(), RANDOM_BYTES, "{value}");
        }
        // Not a constant: 32 bytes from the CSPRNG are all zero with probability 2^-256.
        assert_ne!(decode(&generate_code_verifier().unwrap()), vec![0u8; RANDOM_BYTES]);
    }

    #[test]
    fn verifier_length_bounds() {
        assert!(code_challenge_s256(&"a".repeat(43)).is_ok());
        assert!(code_challenge_s256(&"a".repeat(128)).is_ok());
        for bad in ["a".repeat(42), "a".repeat(129), String::new()] {
            let err = code_challenge_s256(&bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidArgument);
            assert!(err.message.contains("43 to 128"), "{}", err.message);
        }
        // All four punctuation characters RFC 7636 allows.
        assert!(code_challenge_s256(&format!("{}-._~", "a".repeat(40))).is_ok());
    }

    #[test]
    fn verifier_alphabet_error_does_not_echo() {
        let bad = format!("{}+secretpart", "x".repeat(40));
        let err = code_challenge_s256(&bad).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.contains("character 41"), "{}", err.message);
        assert!(!err.message.contains("secretpart"));
        assert!(!format!("{err:?}").contains("secretpart"));
        // Non-ASCII: counted in characters, refused by the alphabet rule.
        let err = code_challenge_s256(&format!("{}é", "a".repeat(43))).unwrap_err();
        assert!(err.message.contains("character 44"), "{}", err.message);
        // Padding '=' is not allowed either.
        assert!(code_challenge_s256(&format!("{}=", "a".repeat(43))).is_err());
    }

    #[test]
    fn challenge_method_rules() {
        assert!(check_challenge_method(None).is_ok());
        assert!(check_challenge_method(Some("S256")).is_ok());
        for m in ["plain", "PLAIN", "Plain"] {
            let err = check_challenge_method(Some(m)).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsupportedChallengeMethod);
            assert!(err.message.contains("S256") && err.message.contains("RFC 9700"), "{}", err.message);
        }
        for m in ["s256", "", "S512", "sha256"] {
            let err = check_challenge_method(Some(m)).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsupportedChallengeMethod, "{m}");
        }
    }

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
