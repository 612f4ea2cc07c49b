//! Named faults the `penora-fake-upstream` process plays when a request names one as its
//! model: the local cluster's catalog maps a model to each, so a client chooses the fault
//! by choosing the model (`cargo xtask chaos`).

use std::time::Duration;

use crate::{Reply, Step, Wire};

/// Every scenario name [`reply`] knows.
pub const NAMES: [&str; 6] = [
    "chaos-slow",
    "chaos-stall",
    "chaos-reset",
    "chaos-noend",
    "chaos-e503",
    "chaos-e429",
];

/// Words in a `chaos-slow` answer, one every [`SLOW_PACE`].
pub const SLOW_WORDS: usize = 60;
pub const SLOW_PACE: Duration = Duration::from_millis(40);

/// The reply `model` names, or `None` when it names no scenario.
pub fn reply(wire: Wire, model: &str) -> Option<Reply> {
    let some_text = || {
        let mut steps: Vec<Step> = wire.opening().into_iter().map(Step::Send).collect();
        for n in 0..12 {
            steps.push(Step::Send(wire.delta(&format!("word{n} "))));
            steps.push(Step::Pause(SLOW_PACE));
        }
        steps
    };
    Some(match model {
        "chaos-slow" => {
            let mut steps: Vec<Step> = wire.opening().into_iter().map(Step::Send).collect();
            for n in 0..SLOW_WORDS {
                steps.push(Step::Send(wire.delta(&format!("tide{n} "))));
                steps.push(Step::Pause(SLOW_PACE));
            }
            let words = u32::try_from(SLOW_WORDS).unwrap_or(u32::MAX);
            steps.extend(wire.closing(12, words).into_iter().map(Step::Send));
            Reply::Stream(steps)
        }
        "chaos-stall" => Reply::Stream([some_text(), vec![Step::Stall]].concat()),
        "chaos-reset" => Reply::Stream([some_text(), vec![Step::Reset]].concat()),
        // Closes cleanly without saying it is done.
        "chaos-noend" => Reply::Stream(some_text()),
        "chaos-e503" => Reply::status(503, wire.error_body("overloaded")),
        "chaos-e429" => {
            Reply::status(429, wire.error_body("slow down")).with_header("retry-after", "0")
        }
        _ => return None,
    })
}
