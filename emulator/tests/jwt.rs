//! JWT apps (coze-api.md §1.8): RS256 verified against the registered public key, `aud`, the
//! `iat`/`exp` window (with a per-app clock offset), `jti` replay, Coze's refusals; and the bot
//! endpoints a maker's setup uses (create → draft refused by chat → publish to "1024" → chat).
mod common;

use base64::Engine as _;
use common::*;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};
use std::sync::OnceLock;
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The maker's key pair, generated once per test run (no private key is tracked in git).
struct Keys {
    signing: SigningKey<Sha256>,
    private_pem: String,
    public_pem: String,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        Keys {
            private_pem: key.to_pkcs8_pem(LineEnding::LF).unwrap().as_str().to_owned(),
            public_pem: key.to_public_key().to_public_key_pem(LineEnding::LF).unwrap(),
            signing: SigningKey::new(key),
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn sign(header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature = keys().signing.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature.to_bytes()))
}

struct App {
    id: String,
    kid: String,
}

fn register(emu: &Emu, extra: Value) -> App {
    let mut spec = json!({"public_key": keys().public_pem, "name": "Maker"});
    if let (Some(o), Value::Object(e)) = (spec.as_object_mut(), extra) {
        o.extend(e);
    }
    let r = post_json(emu, "/_emulator/jwt_apps", None, &spec);
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    App { id: j["app_id"].as_str().unwrap().into(), kid: j["key_id"].as_str().unwrap().into() }
}

fn claims(emu: &Emu, app: &App) -> Value {
    let t = now();
    json!({"iss": app.id, "aud": emu.addr.to_string(), "iat": t, "exp": t + 600, "jti": format!("jti-{}", rand())})
}

fn rand() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

fn header(kid: &str) -> Value {
    json!({"alg": "RS256", "typ": "JWT", "kid": kid})
}

fn mint_at(emu: &Emu, path: &str, jwt: Option<&str>, body: Value) -> Resp {
    post_json(emu, path, jwt, &body)
}

fn mint(emu: &Emu, jwt: &str) -> Resp {
    mint_at(emu, "/api/permission/oauth2/token", Some(jwt), json!({"grant_type": GRANT, "duration_seconds": 900}))
}

fn refused(r: &Resp, words: &str) {
    assert_eq!(r.status, 401, "{}", r.text());
    let j = r.json();
    let text = format!("{} {}", j["error"], j["error_description"]);
    assert!(text.contains(words), "{words:?} not in {text}");
    assert_eq!(j["error_message"], j["error_description"], "Coze's both-shapes body");
    assert!(r.header("date").is_some());
}

#[test]
fn a_signed_jwt_mints_an_access_token_that_works_once() {
    let emu = start();
    let app = register(&emu, json!({}));
    let jwt = sign(&header(&app.kid), &claims(&emu, &app));
    let r = mint(&emu, &jwt);
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    let token = j["access_token"].as_str().unwrap();
    assert!(j.get("refresh_token").is_none(), "the JWT flow has no refresh token");
    let expires = j["expires_in"].as_i64().unwrap();
    assert!((expires - now() - 900).abs() <= 2, "absolute expiry: {expires}");
    assert_eq!(me_status(&emu, token), 200);
    refused(&mint(&emu, &jwt), "jti already used");
    let info = get(&emu, &format!("/_emulator/jwt_apps/{}", app.id), None).json();
    assert_eq!((info["tokens_issued"].as_u64(), info["refusals"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn each_refusal_says_its_cause() {
    let emu = start();
    let app = register(&emu, json!({}));
    let c = || claims(&emu, &app);
    refused(&mint_at(&emu, "/api/permission/oauth2/token", None, json!({"grant_type": GRANT})), "empty jwt token");
    let stripped = "/_strip_authorization/api/permission/oauth2/token";
    let jwt = sign(&header(&app.kid), &c());
    refused(&mint_at(&emu, stripped, Some(&jwt), json!({"grant_type": GRANT})), "empty jwt token");
    let mut tampered = sign(&header(&app.kid), &c());
    tampered.replace_range(tampered.len() - 6.., "AAAAAA");
    refused(&mint(&emu, &tampered), "signature verification failed");
    refused(&mint(&emu, &sign(&header("other-key"), &c())), "does not belong to this app");
    let mut unknown = c();
    unknown["iss"] = json!("1234");
    refused(&mint(&emu, &sign(&header(&app.kid), &unknown)), "app not found");
    let mut pkce_app = c();
    pkce_app["iss"] = json!(CLIENT);
    refused(&mint(&emu, &sign(&header(&app.kid), &pkce_app)), "access_deny");
    let mut aud = c();
    aud["aud"] = json!("api.coze.cn");
    refused(&mint(&emu, &sign(&header(&app.kid), &aud)), "aud");
    let mut backwards = c();
    backwards["exp"] = backwards["iat"].clone();
    refused(&mint(&emu, &sign(&header(&app.kid), &backwards)), "exp must be after iat");
    let mut no_jti = c();
    no_jti.as_object_mut().unwrap().remove("jti");
    refused(&mint(&emu, &sign(&header(&app.kid), &no_jti)), "jti is required");
    let mut rs512 = header(&app.kid);
    rs512["alg"] = json!("HS256");
    refused(&mint(&emu, &sign(&rs512, &c())), "RS256");
    let long = json!({"grant_type": GRANT, "duration_seconds": 86400});
    let r = mint_at(&emu, "/api/permission/oauth2/token", Some(&sign(&header(&app.kid), &c())), long);
    refused(&r, "duration_seconds");
}

#[test]
fn a_clock_offset_moves_the_window_and_the_date_header() {
    let emu = start();
    let behind = register(&emu, json!({"clock_offset_seconds": -300}));
    let r = mint(&emu, &sign(&header(&behind.kid), &claims(&emu, &behind)));
    refused(&r, "iat is in the future");
    let ahead = register(&emu, json!({"clock_offset_seconds": 3600}));
    let r = mint(&emu, &sign(&header(&ahead.kid), &claims(&emu, &ahead)));
    refused(&r, "expired");
    assert!(r.header("date").unwrap().ends_with(" GMT"));
    let r = post_json(&emu, &format!("/_emulator/jwt_apps/{}", ahead.id), None, &json!({"clock_offset_seconds": 0}));
    assert_eq!(r.json()["clock_offset_seconds"], 0);
    assert_eq!(mint(&emu, &sign(&header(&ahead.kid), &claims(&emu, &ahead))).status, 200);
}

#[test]
fn the_account_path_mints_too_and_admin_input_is_checked() {
    let emu = start();
    let app = register(&emu, json!({"key_id": "kid-1"}));
    assert_eq!(app.kid, "kid-1");
    let jwt = sign(&header("kid-1"), &claims(&emu, &app));
    let r = mint_at(
        &emu,
        "/api/permission/oauth2/account/7400000000000000777/token",
        Some(&jwt),
        json!({"grant_type": GRANT}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_json(&emu, "/_emulator/jwt_apps", None, &json!({"public_key": keys().private_pem}));
    assert_eq!(r.status, 400, "a private key is not a public key");
    assert_eq!(post_json(&emu, "/_emulator/jwt_apps", None, &json!({})).status, 400);
    assert_eq!(get(&emu, "/_emulator/jwt_apps/nope", None).status, 404);
}

fn ok_data(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["code"], 0, "{j}");
    j["data"].clone()
}

#[test]
fn a_created_bot_chats_only_once_published_to_the_api_channel() {
    let emu = start();
    let space = "7400000000000000101";
    let spec = json!({"space_id": space, "name": "Glasses", "prompt_info": {"prompt": "be brief"}});
    let bot = ok_data(post_json(&emu, "/v1/bot/create", Some(PAT), &spec))["bot_id"].as_str().unwrap().to_string();
    let chat = |bot: &str| post_json(&emu, "/v3/chat", Some(PAT), &chat_body(bot, "hi", true));
    let draft = chat(&bot).json();
    assert_eq!(draft["code"], 4015, "{draft}");
    assert_eq!(get(&emu, &format!("/v1/bot/get_online_info?bot_id={bot}"), Some(PAT)).json()["code"], 4015);
    let update = json!({"bot_id": bot, "name": "Glasses v2", "onboarding_info": {"prologue": "hello"}});
    ok_data(post_json(&emu, "/v1/bot/update", Some(PAT), &update));
    let publish = |ids: Value| {
        ok_data(post_json(&emu, "/v1/bot/publish", Some(PAT), &json!({"bot_id": bot, "connector_ids": ids})))
    };
    assert_eq!(publish(json!(["999"]))["version"], "1");
    assert_eq!(chat(&bot).json()["code"], 4015, "published to the Chat SDK only");
    assert_eq!(publish(json!(["1024"]))["version"], "2");
    let r = chat(&bot);
    assert_eq!(delta_text(&sse(&r.body)), "You said: hi");
    let info = ok_data(get(&emu, &format!("/v1/bot/get_online_info?bot_id={bot}"), Some(PAT)));
    assert_eq!((info["name"].as_str(), info["version"].as_str()), (Some("Glasses v2"), Some("2")));
    assert_eq!(info["prompt_info"]["prompt"], "be brief");
    assert_eq!(info["onboarding_info"]["prologue"], "hello");
    let bad = [
        ("/v1/bot/create", json!({"space_id": space})),
        ("/v1/bot/create", json!({"space_id": "1", "name": "x"})),
        ("/v1/bot/publish", json!({"bot_id": bot, "connector_ids": []})),
        ("/v1/bot/update", json!({"bot_id": "1"})),
    ];
    for (path, body) in bad {
        let j = post_json(&emu, path, Some(PAT), &body).json();
        assert_ne!(j["code"], 0, "{path} {body}: {j}");
    }
}
