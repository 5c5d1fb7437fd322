//! Web ("confidential") apps (coze-api.md §1.8): the authorize URL without PKCE, the code exchange
//! and refresh with `Authorization: Bearer <client_secret>`, and each refusal in Coze's OAuth shape.
mod common;

use common::*;
use serde_json::{json, Value};

const REDIRECT_URI: &str = "http://127.0.0.1:9/web/cb";

fn web_app(emu: &Emu, extra: Value) -> (String, String) {
    let mut spec = json!({"redirect_uris": [REDIRECT_URI], "client_type": "web"});
    if let (Some(o), Value::Object(e)) = (spec.as_object_mut(), extra) {
        o.extend(e);
    }
    let r = post_json(emu, "/_emulator/clients", None, &spec);
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    (j["client_id"].as_str().unwrap().to_owned(), j["client_secret"].as_str().unwrap().to_owned())
}

fn web_code(emu: &Emu, client: &str) -> String {
    let path = format!(
        "/api/permission/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state=s1",
        enc(client),
        enc(REDIRECT_URI)
    );
    let location = browser_authorize(emu, &path, "allow");
    assert_eq!(param(&location, "state").as_deref(), Some("s1"));
    param(&location, "code").expect(&location)
}

fn exchange_with(emu: &Emu, client: &str, code: &str, secret: Option<&str>) -> Resp {
    let body =
        json!({"grant_type": "authorization_code", "client_id": client, "redirect_uri": REDIRECT_URI, "code": code});
    post_json(emu, "/api/permission/oauth2/token", secret, &body)
}

fn refresh_with(emu: &Emu, client: &str, refresh_token: &str, secret: Option<&str>) -> Resp {
    let body = json!({"grant_type": "refresh_token", "client_id": client, "refresh_token": refresh_token});
    post_json(emu, "/api/permission/oauth2/token", secret, &body)
}

fn assert_oauth_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let j = r.json();
    assert_eq!((j["error"].as_str(), j["error_code"].as_str()), (Some(code), Some(code)), "{j}");
}

#[test]
fn a_web_app_logs_in_and_refreshes_with_its_secret() {
    let emu = start();
    let (client, secret) = web_app(&emu, json!({}));
    assert!(secret.starts_with("cs_") && secret.len() > 20);
    let info = get(&emu, &format!("/_emulator/clients/{client}"), None).json();
    assert_eq!(info["client_type"], "web");
    assert!(!info.to_string().contains(&secret), "the admin view never shows the secret");

    let code = web_code(&emu, &client);
    // Refusals consume nothing: the code still works afterwards.
    let missing = exchange_with(&emu, &client, &code, None);
    assert_oauth_error(&missing, 400, "invalid_request");
    assert_eq!(missing.json()["error_message"], "invalid request: client_secret");
    assert_oauth_error(&exchange_with(&emu, &client, &code, Some("cs_wrong")), 401, "invalid_client");
    let token = exchange_with(&emu, &client, &code, Some(&secret));
    assert_eq!(token.status, 200, "{}", token.text());
    let token = token.json();
    let refresh_token = token["refresh_token"].as_str().unwrap();
    assert_eq!(get(&emu, "/v1/users/me", token["access_token"].as_str()).status, 200);

    assert_oauth_error(&refresh_with(&emu, &client, refresh_token, None), 400, "invalid_request");
    assert_oauth_error(&refresh_with(&emu, &client, refresh_token, Some("nope")), 401, "invalid_client");
    let fresh = refresh_with(&emu, &client, refresh_token, Some(&secret));
    assert_eq!(fresh.status, 200, "{}", fresh.text());
    assert_ne!(fresh.json()["refresh_token"], token["refresh_token"], "rotated as for PKCE");
}

#[test]
fn refusals_follow_the_clients_error_shape_and_public_apps_still_need_pkce() {
    let emu = start();
    let (client, _) = web_app(&emu, json!({"oauth_error_shape": "error_code"}));
    let code = web_code(&emu, &client);
    let r = exchange_with(&emu, &client, &code, None);
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"error_code": "invalid_request", "error_message": "invalid request: client_secret"}));

    // A public (PKCE) app: no challenge → error redirect; its token calls ignore any header.
    let r = post_json(&emu, "/_emulator/clients", None, &json!({"redirect_uris": [REDIRECT_URI]}));
    let public = r.json()["client_id"].as_str().unwrap().to_owned();
    assert!(r.json().get("client_secret").is_none());
    let path = format!(
        "/api/permission/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state=s",
        enc(&public),
        enc(REDIRECT_URI)
    );
    let location = get(&emu, &path, None);
    assert_eq!(location.status, 302);
    assert_eq!(param(location.location(), "error").as_deref(), Some("invalid_request"));
    let bad = post_json(
        &emu,
        "/_emulator/clients",
        None,
        &json!({"redirect_uris": [REDIRECT_URI], "client_type": "jwt-ish"}),
    );
    assert_eq!(bad.status, 400);
}
