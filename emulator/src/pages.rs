//! HTML pages (consent, errors, index) and the tiny SVG icons used as bot/workspace avatars.

use crate::util::html_escape as esc;

const STYLE: &str = r#"
:root { color-scheme: light dark; --bg:#f4f6fb; --card:#fff; --fg:#1c2033; --muted:#6b7185; --accent:#4d53e8; --danger:#d4380d; --border:#e3e6ef; }
@media (prefers-color-scheme: dark) { :root { --bg:#12141c; --card:#1c1f2b; --fg:#e8eaf2; --muted:#9aa0b4; --border:#2c3040; } }
* { box-sizing: border-box; }
body { margin:0; min-height:100vh; display:flex; align-items:center; justify-content:center; background:var(--bg); color:var(--fg);
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; }
.card { width:min(440px, calc(100vw - 32px)); background:var(--card); border:1px solid var(--border); border-radius:16px; padding:32px;
        box-shadow:0 10px 40px rgba(20,24,60,.08); }
.logo { width:48px; height:48px; border-radius:12px; background:var(--accent); color:#fff; display:flex; align-items:center; justify-content:center;
        font-weight:700; font-size:22px; margin-bottom:16px; }
h1 { font-size:20px; margin:0 0 8px; }
p { margin:0 0 12px; color:var(--muted); }
dl { margin:16px 0 24px; padding:12px 16px; border-radius:10px; background:var(--bg); font-size:13px; }
dt { color:var(--muted); } dd { margin:0 0 8px; word-break:break-all; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
ul.scopes { margin:0 0 20px; padding-left:20px; color:var(--fg); }
.actions { display:flex; gap:12px; }
button { flex:1; font:inherit; font-weight:600; padding:10px 16px; border-radius:10px; cursor:pointer; border:1px solid var(--border); background:var(--card); color:var(--fg); }
button#allow { background:var(--accent); border-color:var(--accent); color:#fff; }
button:focus-visible { outline:3px solid color-mix(in srgb, var(--accent) 40%, transparent); outline-offset:2px; }
.error .logo { background:var(--danger); }
.note { font-size:12px; margin-top:20px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:13px; }
"#;

fn layout(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

pub struct ConsentInfo<'a> {
    pub authorize_key: &'a str,
    pub app_name: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub workspace: Option<String>,
}

pub fn consent(c: &ConsentInfo) -> String {
    let initial = c.app_name.chars().next().unwrap_or('C').to_uppercase().to_string();
    let workspace = match &c.workspace {
        Some(w) => format!("<dt>Workspace</dt><dd>{}</dd>", esc(w)),
        None => String::new(),
    };
    let redirect_host = c.redirect_uri.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or(c.redirect_uri);
    let body = format!(
        r#"<main class="card">
<div class="logo" aria-hidden="true">{initial}</div>
<h1><span id="app-name">{app}</span> wants to access your Coze account</h1>
<p>Signed in as <strong>{user}</strong> (emulated). Allowing this lets the app:</p>
<ul class="scopes"><li>chat with your bots</li><li>read your workspaces, bots and conversations</li></ul>
<dl><dt>Client ID</dt><dd id="client-id">{client}</dd>{workspace}<dt>Redirects to</dt><dd>{host}</dd></dl>
<form method="post" action="/oauth/consent">
<input type="hidden" name="authorize_key" value="{key}">
<div class="actions">
<button name="decision" value="deny" id="deny">Deny</button>
<button name="decision" value="allow" id="allow">Allow</button>
</div>
</form>
<p class="note">This is the local Coze emulator. No real account is involved.</p>
</main>"#,
        app = esc(c.app_name),
        user = esc(crate::store::USER_NICK),
        client = esc(c.client_id),
        host = esc(redirect_host),
        key = esc(c.authorize_key),
    );
    layout(&format!("Authorize {}", c.app_name), &body)
}

pub fn error(title: &str, message: &str) -> String {
    let body = format!(
        r#"<main class="card error"><div class="logo" aria-hidden="true">!</div>
<h1 id="error-title">{}</h1><p id="error-message">{}</p>
<p class="note">The authorization request was not forwarded to the application because it could not be verified.</p></main>"#,
        esc(title),
        esc(message)
    );
    layout(title, &body)
}

/// The device-flow code entry form (`GET /oauth/device`), with an optional error.
pub fn device_entry(prefill: &str, error: Option<&str>) -> String {
    let err = match error {
        Some(e) => format!(r#"<p id="error-message" class="note" role="alert">{}</p>"#, esc(e)),
        None => String::new(),
    };
    let body = format!(
        r#"<main class="card{cls}">
<div class="logo" aria-hidden="true">C</div>
<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>{err}
<form method="get" action="/oauth/device">
<dl><dt><label for="user-code">Code</label></dt><dd><input id="user-code" name="user_code" value="{prefill}" autocomplete="off" autocapitalize="characters" placeholder="BCDF-GHJK" required></dd></dl>
<div class="actions"><button id="continue" type="submit">Continue</button></div>
</form>
<p class="note">This is the local Coze emulator. No real account is involved.</p>
</main>"#,
        cls = if error.is_some() { " error" } else { "" },
        prefill = esc(prefill),
    );
    layout("Connect a device", &body)
}

/// The device-flow Allow/Deny page for a valid user code.
pub fn device_consent(user_code: &str, app_name: &str, client_id: &str, workspace: Option<&str>) -> String {
    let workspace = match workspace {
        Some(w) => format!("<dt>Workspace</dt><dd>{}</dd>", esc(w)),
        None => String::new(),
    };
    let body = format!(
        r#"<main class="card">
<div class="logo" aria-hidden="true">C</div>
<h1><span id="app-name">{app}</span> wants to access your Coze account from a device</h1>
<p>Signed in as <strong>{user}</strong> (emulated). Make sure the device shows this code:</p>
<dl><dt>Code</dt><dd id="user-code">{code}</dd><dt>Client ID</dt><dd id="client-id">{client}</dd>{workspace}</dl>
<form method="post" action="/oauth/device">
<input type="hidden" name="user_code" value="{code}">
<div class="actions">
<button name="decision" value="deny" id="deny">Deny</button>
<button name="decision" value="allow" id="allow">Allow</button>
</div>
</form>
</main>"#,
        app = esc(app_name),
        user = esc(crate::store::USER_NICK),
        code = esc(user_code),
        client = esc(client_id),
    );
    layout(&format!("Authorize {app_name}"), &body)
}

/// After the decision on the device page.
pub fn device_done(allowed: bool) -> String {
    let (title, msg) = if allowed {
        ("Device connected", "You can return to your device; it will finish signing in by itself.")
    } else {
        ("Access denied", "The device was not given access. You can close this page.")
    };
    let body = format!(
        r#"<main class="card" id="device-result" data-decision="{d}"><div class="logo" aria-hidden="true">C</div><h1>{t}</h1><p>{m}</p></main>"#,
        d = if allowed { "allow" } else { "deny" },
        t = esc(title),
        m = esc(msg),
    );
    layout(title, &body)
}

/// A gateway-style 503 page (what a proxy in front of the token endpoint answers when it is down).
pub fn service_unavailable() -> String {
    "<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>\n<body>\n\
     <center><h1>503 Service Temporarily Unavailable</h1></center>\n<hr><center>emulated gateway</center>\n\
     </body></html>\n"
        .to_string()
}

pub fn index(base_url: &str) -> String {
    let body = format!(
        r#"<main class="card"><div class="logo" aria-hidden="true">C</div>
<h1>Coze API emulator</h1>
<p>A local stand-in for <code>api.coze.cn</code> / <code>www.coze.cn</code> at <code>{}</code>.</p>
<p>Demo client <code>{}</code>, PAT <code>{}</code>. Health: <a href="/_emulator/health">/_emulator/health</a>.</p></main>"#,
        esc(base_url),
        esc(crate::store::DEMO_CLIENT_ID),
        esc(crate::store::DEMO_PAT)
    );
    layout("Coze API emulator", &body)
}

/// A small round avatar with a letter, for `icon_url`s.
pub fn icon_svg(name: &str) -> String {
    let (letter, color) = match name {
        "echo" => ("E", "#4d53e8"),
        "slow" => ("S", "#0f9d58"),
        "poet" => ("诗", "#d4380d"),
        "personal" => ("P", "#7a5af8"),
        "team" => ("T", "#f59e0b"),
        "user" => ("U", "#0ea5e9"),
        _ => ("B", "#64748b"),
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><circle cx="32" cy="32" r="32" fill="{color}"/><text x="32" y="42" font-family="sans-serif" font-size="28" font-weight="700" text-anchor="middle" fill="#fff">{letter}</text></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_escapes_and_has_buttons() {
        let page = consent(&ConsentInfo {
            authorize_key: "k\"<",
            app_name: "<script>",
            client_id: "c",
            redirect_uri: "http://127.0.0.1:1/callback",
            workspace: Some("W".into()),
        });
        assert!(page.contains(r#"id="allow""#) && page.contains(r#"id="deny""#));
        assert!(page.contains(r#"value="allow""#) && page.contains(r#"value="deny""#));
        assert!(!page.contains("<script>"));
        assert!(page.contains("k&quot;&lt;"));
        assert!(page.contains("127.0.0.1:1"));
    }
}
