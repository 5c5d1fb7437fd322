mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn assert_oauth_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let j = r.json();
    assert_eq!(j["error"], code, "{j}");
    assert_eq!(j["error_code"], code, "{j}");
    assert!(j["error_message"].as_str().is_some_and(|m| !m.is_empty()), "{j}");
    assert!(j["error_description"].as_str().is_some_and(|m| !m.is_empty()), "{j}");
    assert!(r.header("x-tt-logid").is_some());
}

#[test]
fn full_pkce_login_s256() {
    let emu = start();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let state = "state with spaces & ünïcode";
    let loc = browser_authorize(&emu, &authorize_path(CLIENT, REDIRECT, state, &s256(verifier), Some("S256")), "allow");
    assert!(loc.starts_with("http://127.0.0.1:5555/callback?code=code_"), "{loc}");
    assert_eq!(param(&loc, "state").as_deref(), Some(state));
    let code = param(&loc, "code").unwrap();

    let r = exchange(&emu, &code, REDIRECT, verifier);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-tt-logid").is_some());
    assert!(r.header("content-type").unwrap().starts_with("application/json"));
    let t = r.json();
    assert!(t.get("code").is_none(), "token reply must be flat: {t}");
    let access = t["access_token"].as_str().unwrap();
    assert!(access.starts_with("czu_"));
    assert_eq!(t["token_type"], "Bearer");
    assert!(!t["refresh_token"].as_str().unwrap().is_empty());
    let exp = t["expires_in"].as_u64().unwrap();
    assert!(exp >= now() + 890 && exp <= now() + 901, "absolute expiry expected, got {exp}");

    let me = get(&emu, "/v1/users/me", Some(access));
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["code"], 0);
    assert!(me.json()["data"]["user_id"].is_string());
}

#[test]
fn plain_is_the_default_method_and_authorization_header_forms_are_accepted() {
    let emu = start();
    for (i, auth) in [None, Some("Bearer "), Some("Bearer whatever")].into_iter().enumerate() {
        let verifier = format!("plain-verifier-{i}-0123456789012345678901234567890");
        let loc =
            browser_authorize(&emu, &authorize_path(CLIENT, "http://localhost:8000/", "", &verifier, None), "allow");
        assert_eq!(param(&loc, "state").as_deref(), Some(""), "empty state is echoed: {loc}");
        let code = param(&loc, "code").unwrap();
        let body = json!({"grant_type":"authorization_code","code":code,"client_id":CLIENT,"redirect_uri":"http://localhost:8000/","code_verifier":verifier});
        let mut h = vec![("Content-Type", "application/json; charset=utf-8")];
        if let Some(a) = auth {
            h.push(("Authorization", a));
        }
        let r = request(emu.addr, "POST", "/api/permission/oauth2/token", &h, Some(body.to_string().as_bytes()));
        assert_eq!(r.status, 200, "{auth:?}: {}", r.text());
    }
}

#[test]
fn state_absent_is_not_added() {
    let emu = start();
    let r = post_json(
        &emu,
        "/_emulator/authorize",
        None,
        &json!({"url": format!("{}/api/permission/oauth2/authorize?response_type=code&client_id={CLIENT}&redirect_uri={}&code_challenge=abc", emu.url, enc(REDIRECT)), "decision": "allow"}),
    );
    let loc = r.json()["location"].as_str().unwrap().to_string();
    assert!(param(&loc, "code").is_some());
    assert!(param(&loc, "state").is_none(), "{loc}");
}

#[test]
fn deny_redirects_with_access_denied_and_key_is_single_use() {
    let emu = start();
    let r = get(&emu, &authorize_path(CLIENT, REDIRECT, "s1", &s256("x"), Some("S256")), None);
    let consent = r.location().to_string();
    let key = param(&consent, "authorize_key").unwrap();
    let form = format!("authorize_key={key}&decision=deny");
    let h = [("Content-Type", "application/x-www-form-urlencoded")];
    let r = request(emu.addr, "POST", "/oauth/consent", &h, Some(form.as_bytes()));
    assert_eq!(r.status, 302);
    let loc = r.location();
    assert_eq!(param(loc, "error").as_deref(), Some("access_denied"));
    assert!(param(loc, "error_description").is_some());
    assert_eq!(param(loc, "state").as_deref(), Some("s1"));
    assert!(param(loc, "code").is_none());
    // The key is gone: a second submission and the consent page both fail.
    let again = request(emu.addr, "POST", "/oauth/consent", &h, Some(form.as_bytes()));
    assert_eq!(again.status, 400);
    assert!(again.header("location").is_none());
    assert_eq!(get(&emu, &consent, None).status, 400);
    assert_eq!(get(&emu, "/oauth/consent?authorize_key=nope", None).status, 400);
}

#[test]
fn wrong_verifier_is_invalid_grant() {
    let emu = start();
    let verifier = "right-verifier-0123456789012345678901234567890";
    let loc = browser_authorize(&emu, &authorize_path(CLIENT, REDIRECT, "s", &s256(verifier), Some("S256")), "allow");
    let code = param(&loc, "code").unwrap();
    assert_oauth_error(
        &exchange(&emu, &code, REDIRECT, "wrong-verifier-0123456789012345678901234567890"),
        400,
        "invalid_grant",
    );
    // S256 challenge presented as a plain verifier also fails.
    assert_oauth_error(&exchange(&emu, &code, REDIRECT, &s256(verifier)), 400, "invalid_grant");
    // Documented: a failed verifier check does not burn the code.
    assert_eq!(exchange(&emu, &code, REDIRECT, verifier).status, 200);
}

#[test]
fn replayed_code_fails_and_revokes_its_tokens() {
    let emu = start();
    let verifier = "replay-verifier-0123456789012345678901234567890";
    let loc = browser_authorize(&emu, &authorize_path(CLIENT, REDIRECT, "s", &s256(verifier), Some("S256")), "allow");
    let code = param(&loc, "code").unwrap();
    let first = exchange(&emu, &code, REDIRECT, verifier);
    assert_eq!(first.status, 200);
    let t = first.json();
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(me_status(&emu, access), 200);

    assert_oauth_error(&exchange(&emu, &code, REDIRECT, verifier), 400, "invalid_grant");
    let me = get(&emu, "/v1/users/me", Some(access));
    assert_eq!(me.status, 401);
    assert_eq!(me.json()["code"], 4100);
    assert_oauth_error(&refresh(&emu, CLIENT, t["refresh_token"].as_str().unwrap()), 400, "invalid_grant");
}

#[test]
fn redirect_uri_rules() {
    let emu = start();
    // Unregistered redirect URI or unknown client: an HTML error page, never a redirect.
    for path in [
        authorize_path(CLIENT, "http://evil.example/callback", "s", "c", None),
        authorize_path(CLIENT, "http://127.0.0.1:5555/elsewhere", "s", "c", None),
        authorize_path("nope.app.coze", REDIRECT, "s", "c", None),
        "/api/permission/oauth2/authorize?response_type=code&client_id=demo-client.app.coze&code_challenge=c"
            .to_string(),
    ] {
        let r = get(&emu, &path, None);
        assert_eq!(r.status, 400, "{path}");
        assert!(r.header("location").is_none());
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
    }
    // A trusted redirect URI with another bad parameter: redirect with error= and state.
    let r = get(
        &emu,
        &format!(
            "/api/permission/oauth2/authorize?response_type=code&client_id={CLIENT}&redirect_uri={}&state=s9",
            enc(REDIRECT)
        ),
        None,
    );
    assert_eq!(r.status, 302);
    assert_eq!(param(r.location(), "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(r.location(), "state").as_deref(), Some("s9"));
    let r = get(&emu, &authorize_path(CLIENT, REDIRECT, "s", "c", Some("S512")), None);
    assert_eq!(param(r.location(), "error").as_deref(), Some("invalid_request"));
    let r = get(
        &emu,
        &authorize_path(CLIENT, REDIRECT, "s", "c", None).replace("response_type=code", "response_type=token"),
        None,
    );
    assert_eq!(param(r.location(), "error").as_deref(), Some("unsupported_response_type"));

    // The token request must repeat the authorize redirect_uri exactly.
    let verifier = "mismatch-verifier-0123456789012345678901234567890";
    let loc = browser_authorize(&emu, &authorize_path(CLIENT, REDIRECT, "s", &s256(verifier), Some("S256")), "allow");
    let code = param(&loc, "code").unwrap();
    assert_oauth_error(&exchange(&emu, &code, "http://127.0.0.1:5555/", verifier), 400, "invalid_grant");
    assert_eq!(exchange(&emu, &code, REDIRECT, verifier).status, 200);

    // A redirect URI that already has a query gets `&code=`.
    let with_query = "http://localhost:9/callback?x=1";
    let loc = browser_authorize(&emu, &authorize_path(CLIENT, with_query, "s", "c", None), "allow");
    assert!(loc.starts_with("http://localhost:9/callback?x=1&code=code_"), "{loc}");
}

#[test]
fn registered_clients_use_exact_match_and_their_own_ttl() {
    let emu = start();
    let r = post_json(
        &emu,
        "/_emulator/clients",
        None,
        &json!({"redirect_uris": ["https://app.example/cb"], "access_token_ttl": 1, "name": "My App"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let client = r.json()["client_id"].as_str().unwrap().to_string();
    assert!(client.ends_with(".app.coze"));
    // The loopback rule does not apply to registered clients.
    assert_eq!(get(&emu, &authorize_path(&client, REDIRECT, "s", "c", None), None).status, 400);
    let consent = get(&emu, &authorize_path(&client, "https://app.example/cb", "s", "c", None), None);
    assert_eq!(consent.status, 302);
    let page = get(&emu, consent.location(), None);
    assert!(page.text().contains(r#"<span id="app-name">My App</span> wants to access your Coze account"#));

    let r = post_json(
        &emu,
        "/_emulator/authorize",
        None,
        &json!({"url": format!("http://www.example{}", authorize_path(&client, "https://app.example/cb", "s", "c", None)), "decision": "allow"}),
    );
    let code = param(r.json()["location"].as_str().unwrap(), "code").unwrap();
    let t = token_request(
        &emu,
        &json!({"grant_type":"authorization_code","code":code,"client_id":client,"redirect_uri":"https://app.example/cb","code_verifier":"c"}),
    );
    assert_eq!(t.status, 200, "{}", t.text());
    let t = t.json();
    assert!(t["expires_in"].as_u64().unwrap() <= now() + 1);
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(me_status(&emu, access), 200);
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(me_status(&emu, access), 401);
    // Another client's code cannot be redeemed by the demo client.
    let r = post_json(
        &emu,
        "/_emulator/authorize",
        None,
        &json!({"url": authorize_path(&client, "https://app.example/cb", "s", "c", None), "decision": "allow"}),
    );
    let code = param(r.json()["location"].as_str().unwrap(), "code").unwrap();
    let wrong = token_request(
        &emu,
        &json!({"grant_type":"authorization_code","code":code,"client_id":CLIENT,"redirect_uri":"https://app.example/cb","code_verifier":"c"}),
    );
    assert_oauth_error(&wrong, 400, "invalid_grant");
}

#[test]
fn refresh_rotation_and_reuse_detection() {
    let emu = start();
    let t0 = login(&emu);
    let rt0 = t0["refresh_token"].as_str().unwrap();
    let r1 = refresh(&emu, CLIENT, rt0);
    assert_eq!(r1.status, 200, "{}", r1.text());
    let t1 = r1.json();
    let rt1 = t1["refresh_token"].as_str().unwrap();
    assert_ne!(rt0, rt1);
    assert_ne!(t0["access_token"], t1["access_token"]);
    assert_eq!(me_status(&emu, t1["access_token"].as_str().unwrap()), 200);

    let r2 = refresh(&emu, CLIENT, rt1);
    assert_eq!(r2.status, 200);
    let t2 = r2.json();
    let access2 = t2["access_token"].as_str().unwrap();
    assert_eq!(me_status(&emu, access2), 200);

    // Reusing a rotated token revokes the whole family.
    assert_oauth_error(&refresh(&emu, CLIENT, rt0), 400, "invalid_grant");
    assert_eq!(me_status(&emu, access2), 401);
    assert_eq!(me_status(&emu, t0["access_token"].as_str().unwrap()), 401);
    assert_oauth_error(&refresh(&emu, CLIENT, t2["refresh_token"].as_str().unwrap()), 400, "invalid_grant");
    assert_oauth_error(&refresh(&emu, CLIENT, "never-issued"), 400, "invalid_grant");

    // Another login is unaffected.
    let other = login(&emu);
    assert_eq!(me_status(&emu, other["access_token"].as_str().unwrap()), 200);

    let s = get(&emu, &format!("/_emulator/stats?client_id={CLIENT}"), None).json();
    assert_eq!(s["token_requests"]["authorization_code"], 2);
    assert_eq!(s["token_requests"]["refresh_token"], 5);
    assert_eq!(s["refresh_failures"], 3);
}

#[test]
fn access_token_expires_with_one_second_ttl() {
    let emu = start_with(|c| c.token_ttl = 1);
    let t = login(&emu);
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(me_status(&emu, access), 200);
    std::thread::sleep(Duration::from_millis(1100));
    let r = get(&emu, "/v1/users/me", Some(access));
    assert_eq!(r.status, 401);
    let j = r.json();
    assert_eq!(j["code"], 4100);
    assert_eq!(j["detail"]["logid"].as_str(), r.header("x-tt-logid"));
    // The refresh token still works and yields a fresh access token.
    let r = refresh(&emu, CLIENT, t["refresh_token"].as_str().unwrap());
    assert_eq!(r.status, 200);
    assert_eq!(me_status(&emu, r.json()["access_token"].as_str().unwrap()), 200);
}

#[test]
fn code_expires_with_code_ttl() {
    let emu = start_with(|c| c.code_ttl = 1);
    let loc = browser_authorize(&emu, &authorize_path(CLIENT, REDIRECT, "s", "plainchallenge", None), "allow");
    std::thread::sleep(Duration::from_millis(1100));
    assert_oauth_error(
        &exchange(&emu, &param(&loc, "code").unwrap(), REDIRECT, "plainchallenge"),
        400,
        "invalid_grant",
    );
}

#[test]
fn token_endpoint_validation() {
    let emu = start();
    let body = json!({"grant_type":"authorization_code","code":"x","client_id":CLIENT,"redirect_uri":REDIRECT,"code_verifier":"v"});
    let form = request(
        emu.addr,
        "POST",
        "/api/permission/oauth2/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"grant_type=refresh_token"),
    );
    assert_oauth_error(&form, 400, "invalid_request");
    let bad_json = request(
        emu.addr,
        "POST",
        "/api/permission/oauth2/token",
        &[("Content-Type", "application/json")],
        Some(b"{not json"),
    );
    assert_oauth_error(&bad_json, 400, "invalid_request");
    assert_oauth_error(&token_request(&emu, &json!({"client_id": CLIENT})), 400, "invalid_request");
    assert_oauth_error(
        &token_request(&emu, &json!({"grant_type":"authorization_code","client_id":CLIENT,"code":"x"})),
        400,
        "invalid_request",
    );
    let mut unknown = body.clone();
    unknown["client_id"] = json!("nope.app.coze");
    assert_oauth_error(&token_request(&emu, &unknown), 401, "invalid_client");
    let mut grant = body.clone();
    grant["grant_type"] = json!("password");
    assert_oauth_error(&token_request(&emu, &grant), 400, "unsupported_grant_type");
    assert_oauth_error(&token_request(&emu, &body), 400, "invalid_grant");
    assert_eq!(get(&emu, "/api/permission/oauth2/token", None).status, 405);
}

#[test]
fn workspace_authorize_and_admin_shortcut() {
    let emu = start();
    let path = authorize_path(CLIENT, REDIRECT, "w", "c", None).replace(
        "/api/permission/oauth2/authorize",
        "/api/permission/oauth2/workspace_id/7400000000000000102/authorize",
    );
    let r = get(&emu, &path, None);
    assert_eq!(r.status, 302);
    let page = get(&emu, r.location(), None).text();
    assert!(page.contains("Team Emulator"), "{page}");

    let r = post_json(
        &emu,
        "/_emulator/authorize",
        None,
        &json!({"url": format!("{}{path}", emu.url), "decision": "deny"}),
    );
    assert_eq!(r.status, 200);
    let loc = r.json()["location"].as_str().unwrap().to_string();
    assert!(loc.starts_with(REDIRECT));
    assert_eq!(param(&loc, "error").as_deref(), Some("access_denied"));

    let bad = post_json(
        &emu,
        "/_emulator/authorize",
        None,
        &json!({"url": authorize_path("nope", REDIRECT, "s", "c", None), "decision": "allow"}),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"], "invalid_client");
    assert!(bad.json()["error_description"].is_string());
    let bad = post_json(&emu, "/_emulator/authorize", None, &json!({"url": "/elsewhere?x=1", "decision": "allow"}));
    assert_eq!(bad.status, 400);
    let bad = post_json(&emu, "/_emulator/authorize", None, &json!({"url": path, "decision": "maybe"}));
    assert_eq!(bad.status, 400);
}
