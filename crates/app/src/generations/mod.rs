//! Generations: choosing the model, reserving credits, streaming, settling on the words
//! actually delivered.
//!
//! `start` opens a generation in one transaction (a concurrency slot, a hold for the most it
//! may cost, the stored row); `run::spawn` streams it in a task of its own that ends by
//! settling — on normal end, cancel, client disconnect, upstream error or timeout alike — so
//! an HTTP client that goes away cannot leave a hold open. A crashed process leaves the
//! hold to expire, and the sweeper bills what was saved.
//!
//! One module per concern: `job` (what to run), `start` (the order of the steps), `opened`
//! (what opening yields), `open` (the one-statement opening), `early` (calling the provider
//! while it commits), `limited` (the long way),
//! `replay` (idempotent starts), `run` (the stream), `settle` (the one way a generation
//! ends), `cancel` (reading and cancelling), `save` (into a project).

mod cancel;
mod early;
mod error;
mod job;
mod limited;
mod open;
mod opened;
mod per_minute;
mod registry;
mod replay;
mod run;
mod save;
pub(crate) mod settle;
mod start;

pub use cancel::{cancel, get, list};
pub use early::Availability;
pub use error::GenerationError;
pub use job::{choose_model, max_tokens_for, prompted, seed_of, Job, Target};
pub use opened::{Account, Opened, Started};
pub use registry::Running;
pub use run::{spawn, Event, Meta};
pub use save::{save, SaveError};
pub use settle::{failure_of, finish_interrupted, sweep_free, Settled, SERVER_RESTARTING};
pub use start::start;
