use clap::Parser;
use penora_server::cli::{run, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("penora: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
