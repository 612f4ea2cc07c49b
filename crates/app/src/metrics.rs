//! Prometheus metrics of the business: generations by model and outcome, the words they
//! delivered and billed, what was charged and what those words cost at the model's price,
//! tokens, payments, and the open holds (read from the database at each scrape).
//! Process-wide; the server registers [`collectors`] in its registry (which adds the
//! `penora_` prefix). Nothing is recorded before that.
//!
//! Labels are bounded: `model` is a catalog id, `outcome` a generation status (or
//! `unbilled`), `kind` a fixed word.

use std::sync::OnceLock;

use prometheus::core::Collector;
use prometheus::{IntCounterVec, IntGauge, Opts};

use crate::generations::settle::{Ending, Settled};
use crate::generations::Started;
use crate::AppState;

struct AppMetrics {
    generations: IntCounterVec,
    words_delivered: IntCounterVec,
    words_billed: IntCounterVec,
    credits_billed: IntCounterVec,
    credits_priced: IntCounterVec,
    tokens: IntCounterVec,
    payments: IntCounterVec,
    credits_purchased: IntCounterVec,
    holds_open: IntGauge,
    holds_reserved: IntGauge,
    holds_expired: IntGauge,
    hold_oldest_age: IntGauge,
}

static METRICS: OnceLock<AppMetrics> = OnceLock::new();

/// What a payment paid for: the `kind` label of the payment metrics.
const PAYMENT_KINDS: [&str; 2] = ["order", "subscription"];

fn counter(name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec, prometheus::Error> {
    IntCounterVec::new(Opts::new(name, help), labels)
}

fn made() -> Result<AppMetrics, prometheus::Error> {
    Ok(AppMetrics {
        generations: counter(
            "generations_total",
            "Generations ended, by model and outcome (completed, cancelled, failed, interrupted, unbilled)",
            &["model", "outcome"],
        )?,
        words_delivered: counter(
            "generation_words_delivered_total",
            "Billable words generations delivered to clients",
            &["model"],
        )?,
        words_billed: counter(
            "generation_words_billed_total",
            "Billable words generations were charged for",
            &["model"],
        )?,
        credits_billed: counter(
            "generation_credits_billed_millicredits_total",
            "Millicredits charged for generations (input and output)",
            &["model"],
        )?,
        credits_priced: counter(
            "generation_credits_priced_millicredits_total",
            "What the generations' input and delivered billable words cost at the model's price, in millicredits",
            &["model"],
        )?,
        tokens: counter(
            "generation_tokens_total",
            "Tokens the providers reported, by kind (input, output)",
            &["model", "kind"],
        )?,
        payments: counter(
            "payments_total",
            "Payments applied, by kind (order, subscription) and outcome (captured, mismatch)",
            &["kind", "outcome"],
        )?,
        credits_purchased: counter(
            "credits_purchased_millicredits_total",
            "Millicredits credited for captured payments, by kind (order, subscription)",
            &["kind"],
        )?,
        holds_open: IntGauge::new("holds_open", "Holds open now (read at scrape time)")?,
        holds_reserved: IntGauge::new(
            "holds_open_millicredits",
            "Millicredits the open holds reserve (read at scrape time)",
        )?,
        holds_expired: IntGauge::new(
            "holds_expired_open",
            "Open holds past their expiry, waiting for the sweeper (read at scrape time)",
        )?,
        hold_oldest_age: IntGauge::new(
            "hold_oldest_open_age_seconds",
            "Age of the oldest open hold, 0 when none (read at scrape time)",
        )?,
    })
}

/// The collectors to register (made on the first call, the same ones after).
pub fn collectors() -> Result<Vec<Box<dyn Collector>>, prometheus::Error> {
    let m = match METRICS.get() {
        Some(metrics) => metrics,
        None => {
            let metrics = made()?;
            // Every payment series is there from the start, at zero: a rate over a series
            // that appears with its first payment would miss that payment.
            for kind in PAYMENT_KINDS {
                for outcome in ["captured", "mismatch"] {
                    metrics.payments.with_label_values(&[kind, outcome]);
                }
                metrics.credits_purchased.with_label_values(&[kind]);
            }
            METRICS.get_or_init(|| metrics)
        }
    };
    Ok(vec![
        Box::new(m.generations.clone()),
        Box::new(m.words_delivered.clone()),
        Box::new(m.words_billed.clone()),
        Box::new(m.credits_billed.clone()),
        Box::new(m.credits_priced.clone()),
        Box::new(m.tokens.clone()),
        Box::new(m.payments.clone()),
        Box::new(m.credits_purchased.clone()),
        Box::new(m.holds_open.clone()),
        Box::new(m.holds_reserved.clone()),
        Box::new(m.holds_expired.clone()),
        Box::new(m.hold_oldest_age.clone()),
    ])
}

fn add(counter: &IntCounterVec, labels: &[&str], amount: u64) {
    counter.with_label_values(labels).inc_by(amount);
}

fn non_negative(amount: i64) -> u64 {
    u64::try_from(amount).unwrap_or(0)
}

/// A generation ended through the settle path. The words and credits count only when it was
/// closed (here or by the sweeper first); an unbilled one is billed later by the sweeper.
pub(crate) fn generation_settled(started: &Started, ending: &Ending, settled: &Settled) {
    let Some(m) = METRICS.get() else { return };
    let model = started.model.id.as_str();
    let outcome = match settled {
        Settled::Closed { .. } => settled.status().as_str(),
        Settled::Unbilled { .. } => "unbilled",
    };
    add(&m.generations, &[model, outcome], 1);
    if let Some((input, output)) = ending.tokens {
        add(&m.tokens, &[model, "input"], u64::from(input));
        add(&m.tokens, &[model, "output"], u64::from(output));
    }
    let Settled::Closed { row, .. } = settled else {
        return;
    };
    let delivered = ending.length.billable();
    let priced = ending
        .input_cost
        .get()
        .saturating_add(started.price.cost(delivered).get());
    add(&m.words_delivered, &[model], delivered);
    add(&m.words_billed, &[model], non_negative(row.words));
    add(&m.credits_billed, &[model], non_negative(row.cost_mc));
    add(&m.credits_priced, &[model], non_negative(priced));
}

/// A payment was applied: `kind` is `order` or `subscription`; `credits_mc` what it credited.
pub(crate) fn payment_applied(kind: &'static str, captured: bool, credits_mc: i64) {
    let Some(m) = METRICS.get() else { return };
    let outcome = if captured { "captured" } else { "mismatch" };
    add(&m.payments, &[kind, outcome], 1);
    if captured {
        add(&m.credits_purchased, &[kind], non_negative(credits_mc));
    }
}

/// Reads the open holds into their gauges (before each scrape).
pub async fn refresh_holds(state: &AppState) -> Result<(), penora_store::DbErr> {
    let Some(m) = METRICS.get() else {
        return Ok(());
    };
    let now = penora_store::now();
    let open = penora_store::holds::open_summary(&state.db, now).await?;
    m.holds_open.set(open.count);
    m.holds_reserved.set(open.reserved_mc);
    m.holds_expired.set(open.expired);
    m.hold_oldest_age.set(
        open.oldest
            .map_or(0, |oldest| (now - oldest).num_seconds().max(0)),
    );
    Ok(())
}
