//! Structured logs via `tracing`. `RUST_LOG` filters (default `info`); `PENORA_LOG_FORMAT=json`
//! gives one JSON object per line for log collectors.
//!
//! One request is one span tree: the `request` span (request id, method, path) of
//! `http::observe`, under it the handler's span (`routes::<module>::<handler>`), under that
//! the spans of the services it calls (`services::<module>::<function>`); tasks a request
//! spawns (a generation's stream, a story run) carry the span they were started in. Spans
//! are `skip_all` with explicit fields (user, key, project, generation, model ids): no
//! secret, password, token, prompt or body is ever a field.

use tracing_subscriber::{fmt, EnvFilter};

use penora_app::config::LogFormat;

pub fn init(format: LogFormat) {
    init_to(format, std::io::stdout);
}

/// Logs to standard error: for commands whose standard output is their answer (a token, a
/// key) and must hold nothing else.
pub fn init_to_stderr(format: LogFormat) {
    init_to(format, std::io::stderr);
}

fn init_to<W>(format: LogFormat, writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,actix_server=warn"));
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub use penora_app::spans::{opt, record};
