//! `penora-fake-upstream`: the fake as a process, for the browser tests and the local
//! cluster. It plays every OpenAI-compatible, Anthropic and Gemini provider at once: key
//! checks (a key containing "refused" is refused) and a streamed answer to any generation.
//! A request for one of the [`scenario`](penora_fake_upstream::scenario) names as its
//! upstream model plays that fault instead (the chaos run's faults). It prints its base URL
//! on the first line of stdout, then serves until killed.

use penora_fake_upstream::{scenario, FakeUpstream, Recorded, Reply, Wire};

/// What every other generation answers, in a few pieces.
const ANSWER: [&str; 4] = ["Written ", "with your ", "own key", "."];

fn answer(request: &Recorded) -> Reply {
    let (wire, model) = if request.target.contains(":streamGenerateContent") {
        let model = request.target.split("/models/").nth(1).unwrap_or_default();
        (Wire::Gemini, model.split(':').next().unwrap_or_default())
    } else if request.target.ends_with("/v1/messages") {
        (
            Wire::Anthropic,
            request.body["model"].as_str().unwrap_or_default(),
        )
    } else {
        (
            Wire::OpenAi,
            request.body["model"].as_str().unwrap_or_default(),
        )
    };
    scenario::reply(wire, model).unwrap_or_else(|| Reply::events(wire.stream_reporting(&ANSWER, 6)))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let fake = FakeUpstream::quiet(|_, request| answer(request)).await;
    println!("{}", fake.base_url);
    std::future::pending::<()>().await;
}
