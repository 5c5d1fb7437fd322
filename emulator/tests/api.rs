mod common;

use common::*;
use serde_json::{json, Value};

fn ok_data(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["code"], 0, "{j}");
    assert_eq!(j["msg"], "");
    let logid = j["detail"]["logid"].as_str().unwrap();
    assert_eq!(Some(logid), r.header("x-tt-logid"));
    assert!(logid.len() > 14 && logid[..14].bytes().all(|b| b.is_ascii_digit()), "{logid}");
    j
}

#[test]
fn conversations_and_message_list() {
    let emu = start();
    let r = post_json(
        &emu,
        "/v1/conversation/create",
        Some(PAT),
        &json!({
            "bot_id": coze_emulator::ECHO_BOT,
            "meta_data": {"k": "v"},
            "messages": [
                {"role": "user", "content": "m1", "content_type": "text"},
                {"role": "assistant", "content": "m2", "content_type": "text"},
                {"role": "user", "content": "m3", "content_type": "text"}
            ]
        }),
    );
    let conv = ok_data(&r)["data"].clone();
    let cid = conv["id"].as_str().unwrap();
    assert_eq!(cid.len(), 19);
    assert_eq!(conv["meta_data"], json!({"k": "v"}));
    assert!(conv["created_at"].is_u64() && conv["last_section_id"].is_string());
    // An empty body is fine too.
    let empty =
        request(emu.addr, "POST", "/v1/conversation/create", &[("Authorization", "Bearer pat_emulator_demo")], None);
    assert_eq!(ok_data(&empty)["data"]["meta_data"], json!({}));

    let r = get(&emu, &format!("/v1/conversation/retrieve?conversation_id={cid}"), Some(PAT));
    assert_eq!(ok_data(&r)["data"]["id"], cid);
    assert_eq!(get(&emu, "/v1/conversation/retrieve?conversation_id=1", Some(PAT)).json()["code"], 4200);

    let list = |body: Value| {
        post_json(&emu, &format!("/v1/conversation/message/list?conversation_id={cid}"), Some(PAT), &body)
    };
    let r = list(json!({}));
    let j = ok_data(&r);
    let contents: Vec<&str> = j["data"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["m3", "m2", "m1"], "desc by default");
    assert_eq!(j["has_more"], false);
    assert_eq!(j["first_id"], j["data"][0]["id"]);
    assert_eq!(j["last_id"], j["data"][2]["id"]);
    assert!(j["data"][0].get("code").is_none());

    let j = list(json!({"order": "asc", "limit": 2})).json();
    let contents: Vec<&str> = j["data"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["m2", "m3"]);
    assert_eq!(j["has_more"], true);
    let before = j["first_id"].as_str().unwrap();
    let j = list(json!({"order": "asc", "before_id": before})).json();
    assert_eq!(j["data"].as_array().unwrap().len(), 1);
    assert_eq!(j["data"][0]["content"], "m1");
    assert_eq!(j["has_more"], false);
    let j = list(json!({"after_id": j["data"][0]["id"], "limit": 1})).json();
    assert_eq!(j["data"][0]["content"], "m2");
    assert_eq!(j["has_more"], true);
    assert_eq!(list(json!({"order": "sideways"})).json()["code"], 4000);
    assert_eq!(list(json!({"limit": 0})).json()["code"], 4000);
    assert_eq!(
        post_json(&emu, "/v1/conversation/message/list?conversation_id=42", Some(PAT), &json!({})).json()["code"],
        4200
    );

    // Chat into the conversation: user + answer are appended to the history.
    let r = post_json(
        &emu,
        &format!("/v3/chat?conversation_id={cid}"),
        Some(PAT),
        &chat_body(coze_emulator::POET_BOT, "诗", true),
    );
    assert_eq!(r.status, 200);
    let chat_id = sse(&r.body)[0].json()["id"].as_str().unwrap().to_string();
    let j = list(json!({"chat_id": chat_id, "order": "asc"})).json();
    let roles: Vec<&str> = j["data"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant"]);
    assert_eq!(j["data"][1]["type"], "answer");

    let bad = post_json(&emu, "/v1/conversation/create", Some(PAT), &json!({"bot_id": 7000000000000000001u64}));
    assert_eq!(bad.json()["code"], 4000);
}

#[test]
fn bots_workspaces_and_user() {
    let emu = start();
    let ws = ok_data(&get(&emu, "/v1/workspaces?page_num=1&page_size=20", Some(PAT)))["data"].clone();
    assert_eq!(ws["total_count"], 2);
    let list = ws["workspaces"].as_array().unwrap();
    assert_eq!(list[0]["name"], "Personal");
    assert_eq!(list[1]["name"], "Team Emulator");
    for w in list {
        for k in ["id", "name", "icon_url", "role_type", "workspace_type"] {
            assert!(w[k].is_string(), "{k}: {w}");
        }
    }
    let ws1 = list[0]["id"].as_str().unwrap();

    let bots =
        ok_data(&get(&emu, &format!("/v1/bots?workspace_id={ws1}&page_num=1&page_size=10"), Some(PAT)))["data"].clone();
    assert_eq!(bots["total"], 3);
    let items = bots["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [coze_emulator::ECHO_BOT, coze_emulator::SLOW_BOT, coze_emulator::POET_BOT]);
    assert_eq!(items[0]["name"], "Echo Bot");
    for b in items {
        assert!(b["icon_url"].as_str().unwrap().starts_with(&emu.url));
        assert!(
            b["updated_at"].is_u64()
                && b["is_published"].is_boolean()
                && b["owner_user_id"].is_string()
                && b["description"].is_string()
        );
    }
    let page2 = get(&emu, &format!("/v1/bots?workspace_id={ws1}&page_num=2&page_size=2"), Some(PAT)).json();
    assert_eq!(page2["data"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["data"]["total"], 3);
    let team = get(&emu, &format!("/v1/bots?workspace_id={}", list[1]["id"].as_str().unwrap()), Some(PAT)).json();
    assert_eq!(team["data"]["total"], 0);
    assert_eq!(get(&emu, "/v1/bots", Some(PAT)).json()["code"], 4000);

    let pb = ok_data(&get(
        &emu,
        &format!("/v1/space/published_bots_list?space_id={ws1}&page_index=1&page_size=20"),
        Some(PAT),
    ))["data"]
        .clone();
    assert_eq!(pb["total"], 3);
    let b = &pb["space_bots"][2];
    assert_eq!(b["bot_name"], "Chinese Poet");
    assert!(b["bot_id"].is_string() && b["icon_url"].is_string() && b["description"].is_string());
    assert!(b["publish_time"].as_str().unwrap().parse::<u64>().is_ok(), "publish_time is a string of seconds");

    let me = ok_data(&get(&emu, "/v1/users/me", Some(PAT)))["data"].clone();
    for k in ["user_id", "user_name", "nick_name", "avatar_url"] {
        assert!(me[k].is_string(), "{k}");
    }
    let bot = ok_data(&get(&emu, &format!("/v1/bots/{}", coze_emulator::SLOW_BOT), Some(PAT)))["data"].clone();
    assert_eq!(bot["name"], "Slow Bot");
    let icon = get(&emu, "/_emulator/icon/echo.svg", None);
    assert_eq!(icon.header("content-type"), Some("image/svg+xml"));
}

#[test]
fn cors_preflight_and_headers() {
    let emu = start();
    let origin = "http://localhost:8000";
    for path in ["/v3/chat", "/v1/bots", "/api/permission/oauth2/token", "/_emulator/bots", "/_emulator/health"] {
        let r = request(
            emu.addr,
            "OPTIONS",
            path,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization,content-type,x-coze-client-user-agent"),
            ],
            None,
        );
        assert_eq!(r.status, 204, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some(origin), "{path}");
        assert_eq!(r.header("access-control-allow-methods"), Some("GET, POST, OPTIONS"));
        assert_eq!(
            r.header("access-control-allow-headers"),
            Some("authorization, content-type, x-coze-client-user-agent")
        );
        assert_eq!(r.header("access-control-max-age"), Some("600"));
        assert_eq!(r.header("cross-origin-resource-policy"), Some("cross-origin"));
    }
    // Without Origin the wildcard is used.
    let r = request(emu.addr, "OPTIONS", "/v1/bots", &[], None);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));

    // Actual responses, including errors and streams.
    let r = request(emu.addr, "GET", "/v1/users/me", &[("Origin", origin)], None);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    assert_eq!(r.header("access-control-expose-headers"), Some("x-tt-logid, retry-after"));
    let body = chat_body(coze_emulator::ECHO_BOT, "x", true).to_string();
    let r = request(
        emu.addr,
        "POST",
        "/v3/chat",
        &[("Origin", origin), ("Authorization", "Bearer pat_emulator_demo"), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));
    assert_eq!(r.header("access-control-expose-headers"), Some("x-tt-logid, retry-after"));
    let r = request(
        emu.addr,
        "POST",
        "/api/permission/oauth2/token",
        &[("Origin", origin), ("Content-Type", "application/json")],
        Some(b"{}"),
    );
    assert_eq!(r.header("access-control-allow-origin"), Some(origin));

    // Not on the www pages; CORP everywhere.
    let authorize = authorize_path(CLIENT, REDIRECT, "s", "c", None);
    let r = request(emu.addr, "GET", &authorize, &[("Origin", origin)], None);
    assert_eq!(r.status, 302);
    assert!(r.header("access-control-allow-origin").is_none());
    assert_eq!(r.header("cross-origin-resource-policy"), Some("cross-origin"));
    let consent = request(emu.addr, "GET", r.location(), &[("Origin", origin)], None);
    assert!(consent.header("access-control-allow-origin").is_none());
    assert_eq!(consent.header("cross-origin-resource-policy"), Some("cross-origin"));
    let r = request(emu.addr, "OPTIONS", "/oauth/consent", &[("Origin", origin)], None);
    assert_ne!(r.status, 204);
    assert!(r.header("access-control-allow-origin").is_none());
}

#[test]
fn misc_routes() {
    let emu = start();
    assert_eq!(get(&emu, "/_emulator/health", None).json(), json!({"ok": true}));
    let r = get(&emu, "/v1/nope", Some(PAT));
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["code"], 4200);
    assert_eq!(get(&emu, "/nope", None).status, 404);
    assert_eq!(get(&emu, "/v3/chat", Some(PAT)).status, 405);
    assert!(get(&emu, "/", None).text().contains("Coze API emulator"));
    assert_eq!(
        get(&emu, "/_emulator/streams", None).json(),
        json!({"open": 0, "peak": 0, "closed_by_client": 0, "started": 0})
    );
    assert_eq!(
        get(&emu, "/_emulator/stats?client_id=nobody", None).json(),
        json!({
            "token_requests": {"authorization_code": 0, "refresh_token": 0, "device_code": 0},
            "device_codes": 0,
            "refresh_failures": 0,
            "token_faults": 0,
            "api_requests": {"ok": 0, "unauthorized": 0},
            "api_by_path": {},
            "emulated_unauthorized": 0,
            "cancel_calls": 0,
        })
    );
    assert_eq!(get(&emu, "/_emulator/stats", None).status, 400);
    // Scenario validation.
    for bad in [json!({"fault": "nope"}), json!({"chunksize": 3}), json!({"delta_chars": 0}), json!([1])] {
        let r = post_json(&emu, "/_emulator/bots", None, &bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error_description"].is_string());
    }
    let r = request(emu.addr, "POST", "/_emulator/bots", &[], None);
    assert_eq!(r.status, 200, "empty body = default scenario");
    for bad in [
        json!({}),
        json!({"redirect_uris": []}),
        json!({"redirect_uris": ["ftp://x/"]}),
        json!({"redirect_uris": ["http://x/#f"]}),
    ] {
        assert_eq!(post_json(&emu, "/_emulator/clients", None, &bad).status, 400, "{bad}");
    }
}
