//! `penora-fake-upstream [ADDRESS]`: the fake as a process, for the browser tests. It plays
//! every OpenAI-compatible, Anthropic and Gemini provider at once: key checks (a key
//! containing "refused" is refused) and a short streamed answer to any generation. It
//! prints its base URL on the first line of stdout, then serves until killed.

use penora_fake_upstream::{FakeUpstream, Recorded, Reply, Wire};

/// What every generation answers, in a few pieces.
const ANSWER: [&str; 4] = ["Written ", "with your ", "own key", "."];

fn answer(request: &Recorded) -> Reply {
    let wire = if request.target.contains(":streamGenerateContent") {
        Wire::Gemini
    } else if request.target.ends_with("/v1/messages") {
        Wire::Anthropic
    } else {
        Wire::OpenAi
    };
    Reply::events(wire.stream_reporting(&ANSWER, 6))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let fake = FakeUpstream::quiet(|_, request| answer(request)).await;
    println!("{}", fake.base_url);
    std::future::pending::<()>().await;
}
