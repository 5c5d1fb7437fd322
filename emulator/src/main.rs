use std::io::Write as _;
use std::process::ExitCode;

use coze_emulator::{bind, Cli, Config, USAGE};

fn main() -> ExitCode {
    let env_port = std::env::var("COZE_EMULATOR_PORT").ok();
    let env_secret = std::env::var("COZE_EMULATOR_ADMIN_SECRET").ok();
    let config = match Config::from_args_env(std::env::args().skip(1), env_port, env_secret) {
        Ok(Cli::Run(c)) => c,
        Ok(Cli::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("coze-emulator: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coze-emulator: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(async move {
        // Install the handlers before anyone can learn the URL: a signal sent right after the
        // first request must not hit the default action.
        let shutdown = shutdown_signal();
        let bound = match bind(config.clone()).await {
            Ok(b) => b,
            Err(e) => {
                eprintln!("coze-emulator: cannot listen on {}:{}: {e}", config.host, config.port);
                return ExitCode::FAILURE;
            }
        };
        {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "COZE_EMULATOR_URL={}", bound.url);
            let _ = out.flush();
            let _ = write!(out, "{}", bound.banner());
            let _ = out.flush();
        }
        tokio::select! {
            r = bound.serve() => {
                if let Err(e) = r {
                    eprintln!("coze-emulator: accept failed: {e}");
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            sig = shutdown => {
                eprintln!("coze-emulator: {sig}, shutting down");
                ExitCode::SUCCESS
            }
        }
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

/// Registers SIGTERM / SIGINT handlers now (not on first poll) and resolves when one arrives.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
}

#[cfg(not(unix))]
fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
