//! Command-line configuration.

pub const USAGE: &str = "\
coze-emulator — a local stand-in for the Coze API (OAuth PKCE + refresh, chat SSE, fault injection)

USAGE:
    coze-emulator [--host 127.0.0.1] [--port 0] [--token-ttl 900] [--code-ttl 300] [--public-url URL]
                  [--auth-error-status 401|200] [--admin-secret S] [--allow-host HOST]...
                  [--max-file-bytes N]

OPTIONS:
    --host HOST          address to bind (default 127.0.0.1)
    --port PORT          port to bind; 0 picks a free port (default 0, or $COZE_EMULATOR_PORT)
    --token-ttl SECONDS  access-token lifetime (default 900); registered clients may override it
    --code-ttl SECONDS   authorization-code lifetime (default 300)
    --public-url URL     base URL to advertise (icons, logs) when behind a proxy
    --auth-error-status N  HTTP status of the 4100 envelope for a bad/expired access token on /v1, /v3:
                         401 (default) or 200 (Coze's business-error style); per client overridable
    --admin-secret S     secret that opens /_emulator/* to non-loopback peers/origins (header
                         X-Emulator-Secret); default $COZE_EMULATOR_ADMIN_SECRET, else a random one
    --max-file-bytes N   largest accepted upload (default 536870912, Coze's 512 MB); larger → 413
    --allow-host HOST    also accept this Host header (name or name:port; repeatable). Loopback
                         names, the bound address and --public-url's host are always accepted
    --quiet              do not log requests to stderr
    -h, --help           print this help
";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// Access-token lifetime in seconds.
    pub token_ttl: u64,
    /// Authorization-code lifetime in seconds.
    pub code_ttl: u64,
    pub public_url: Option<String>,
    /// Log one line per request to stderr.
    pub log_requests: bool,
    /// HTTP status of the `{code:4100}` envelope for an unknown/expired/revoked access token (401 or 200).
    pub auth_error_status: u16,
    /// Opens the admin routes to non-loopback peers and origins (`X-Emulator-Secret`). `None`: random.
    pub admin_secret: Option<String>,
    /// Extra accepted `Host` header values (`name` or `name:port`), besides loopback names and the bound address.
    pub allowed_hosts: Vec<String>,
    /// Bounds on what the admin routes can make the emulator hold.
    pub limits: Limits,
}

/// Bounds on admin-created state (item counts and sizes). Over a bound → 413 / 429 JSON error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Registered OAuth clients (`POST /_emulator/clients`).
    pub max_clients: usize,
    /// Scenario bots (`POST /_emulator/bots`).
    pub max_bots: usize,
    /// Request body of an admin route, in bytes.
    pub max_admin_body: usize,
    /// `reply` × `repeat` of one scenario, in bytes.
    pub max_reply_bytes: u64,
    /// Redirect URIs per registered client.
    pub max_redirect_uris: usize,
    /// The largest file `POST /v1/files/upload` accepts (Coze documents 512 MB); over it → 413.
    pub max_file_bytes: u64,
    /// Uploaded files remembered (least recently used forgotten first).
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_clients: 10_000,
            max_bots: 10_000,
            max_admin_body: 1024 * 1024,
            max_reply_bytes: crate::scenarios::MAX_REPLY_BYTES,
            max_redirect_uris: 10,
            max_file_bytes: 512 * 1024 * 1024,
            max_files: 10_000,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            token_ttl: 900,
            code_ttl: 300,
            public_url: None,
            log_requests: true,
            auth_error_status: 401,
            admin_secret: None,
            allowed_hosts: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Cli {
    Run(Config),
    Help,
}

impl Config {
    /// Parse arguments (without the program name). `env_port` is `$COZE_EMULATOR_PORT`; `--port` wins.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I, env_port: Option<String>) -> Result<Cli, String> {
        Config::from_args_env(args, env_port, None)
    }

    /// As `from_args`, plus `$COZE_EMULATOR_ADMIN_SECRET` (`--admin-secret` wins).
    pub fn from_args_env<I: IntoIterator<Item = String>>(
        args: I,
        env_port: Option<String>,
        env_secret: Option<String>,
    ) -> Result<Cli, String> {
        let mut c = Config { admin_secret: env_secret.filter(|s| !s.trim().is_empty()), ..Config::default() };
        if let Some(p) = env_port.filter(|p| !p.trim().is_empty()) {
            c.port = p.trim().parse().map_err(|_| format!("COZE_EMULATOR_PORT: not a port number: {p}"))?;
        }
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |what: &str| -> Result<String, String> {
                inline.clone().or_else(|| it.next()).ok_or_else(|| format!("{name} needs a {what}"))
            };
            match name.as_str() {
                "-h" | "--help" => return Ok(Cli::Help),
                "--quiet" => c.log_requests = false,
                "--host" => c.host = value("host")?,
                "--port" => {
                    let v = value("port")?;
                    c.port = v.parse().map_err(|_| format!("--port: not a port number: {v}"))?;
                }
                "--token-ttl" => c.token_ttl = seconds(&name, &value("number of seconds")?)?,
                "--code-ttl" => c.code_ttl = seconds(&name, &value("number of seconds")?)?,
                "--auth-error-status" => {
                    let v = value("status (401 or 200)")?;
                    c.auth_error_status = match v.as_str() {
                        "401" => 401,
                        "200" => 200,
                        _ => return Err(format!("--auth-error-status must be 401 or 200, got {v}")),
                    };
                }
                "--admin-secret" => {
                    let v = value("secret")?;
                    if v.len() < 8 || !v.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err("--admin-secret must be at least 8 printable ASCII characters".into());
                    }
                    c.admin_secret = Some(v);
                }
                "--max-file-bytes" => {
                    let v = value("number of bytes")?;
                    c.limits.max_file_bytes = v
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("--max-file-bytes: expected a positive number of bytes, got {v}"))?;
                }
                "--allow-host" => {
                    let v = value("host name")?;
                    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) {
                        return Err(format!("--allow-host: not a host name: {v}"));
                    }
                    c.allowed_hosts.push(v.to_ascii_lowercase());
                }
                "--public-url" => {
                    let v = value("URL")?;
                    if !(v.starts_with("http://") || v.starts_with("https://")) {
                        return Err(format!("--public-url must start with http:// or https://: {v}"));
                    }
                    c.public_url = Some(v.trim_end_matches('/').to_string());
                }
                other => return Err(format!("unknown argument: {other}\n\n{USAGE}")),
            }
        }
        Ok(Cli::Run(c))
    }
}

fn seconds(name: &str, v: &str) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{name}: expected a positive number of seconds, got {v}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults_and_flags() {
        assert_eq!(Config::from_args(args(""), None).unwrap(), Cli::Run(Config::default()));
        let Cli::Run(c) = Config::from_args(
            args("--host 0.0.0.0 --port=8123 --token-ttl 1 --code-ttl 5 --public-url http://x:1/"),
            None,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!((c.host.as_str(), c.port, c.token_ttl, c.code_ttl), ("0.0.0.0", 8123, 1, 5));
        assert_eq!(c.public_url.as_deref(), Some("http://x:1"));
        assert_eq!(Config::from_args(args("--help"), None).unwrap(), Cli::Help);
    }

    #[test]
    fn env_port_and_errors() {
        let Cli::Run(c) = Config::from_args(args(""), Some("9000".into())).unwrap() else { panic!() };
        assert_eq!(c.port, 9000);
        let Cli::Run(c) = Config::from_args(args("--port 1"), Some("9000".into())).unwrap() else { panic!() };
        assert_eq!(c.port, 1);
        assert!(Config::from_args(args("--port"), None).is_err());
        assert!(Config::from_args(args("--token-ttl 0"), None).is_err());
        assert!(Config::from_args(args("--bogus"), None).is_err());
        assert!(Config::from_args(args(""), Some("x".into())).is_err());
    }

    #[test]
    fn hardening_flags() {
        let Cli::Run(c) = Config::from_args_env(
            args("--auth-error-status 200 --admin-secret abcdefgh --allow-host Emu.Test --allow-host x:1"),
            None,
            Some("from-env-secret".into()),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.auth_error_status, 200);
        assert_eq!(c.admin_secret.as_deref(), Some("abcdefgh"), "the flag wins over the environment");
        assert_eq!(c.allowed_hosts, ["emu.test", "x:1"]);
        let Cli::Run(c) = Config::from_args_env(args(""), None, Some("from-env-secret".into())).unwrap() else {
            panic!()
        };
        assert_eq!((c.auth_error_status, c.admin_secret.as_deref()), (401, Some("from-env-secret")));
        assert!(Config::from_args(args("--auth-error-status 500"), None).is_err());
        assert!(Config::from_args(args("--admin-secret short"), None).is_err());
        assert!(Config::from_args(args("--allow-host a/b"), None).is_err());
    }
}
