use std::io::Write as _;
use std::process::ExitCode;

use coze_emulator::{bind, Cli, Config, USAGE};

fn main() -> ExitCode {
    let env_port = std::env::var("COZE_EMULATOR_PORT").ok();
    let config = match Config::from_args(std::env::args().skip(1), env_port) {
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
            sig = shutdown_signal() => {
                eprintln!("coze-emulator: {sig}, shutting down");
                ExitCode::SUCCESS
            }
        }
    });
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

#[cfg(unix)]
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

#[cfg(not(unix))]
async fn shutdown_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}
