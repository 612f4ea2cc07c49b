use clap::Parser;
use penora_server::cli::{run, Cli};

/// jemalloc instead of glibc's malloc, which keeps freed memory in per-thread arenas, so a
/// server that once held many streams stays large (figures in `docs/decisions.md`, "jemalloc
/// is the server's allocator").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// One thread for what runs outside actix's workers (each has its own runtime): the
/// group-commit writers and the background jobs. With a thread per core here as well, the
/// writers' hand-offs to and from the workers would wake more threads than there are cores
/// (`docs/decisions.md`, "The main runtime has one thread").
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
