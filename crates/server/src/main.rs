use clap::Parser;
use penora_server::cli::{run, Cli};

/// jemalloc instead of glibc's malloc, which kept freed memory in per-thread arenas: with
/// 5,000 streams open the server held 318 MB instead of 520 MB, and billed completions per
/// second rose by 15-25 % (`cargo xtask bench proxy`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// One thread for what runs outside actix's workers (each has its own runtime): the
/// group-commit writers and the background jobs. With a thread per core here as well, the
/// writers' hand-offs to and from the workers cost wake-ups across more threads than cores;
/// one thread measured 5-17 % more billed completions a second.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("penora: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
