//! A generation's events as the API sends them: the services' domain values (`Meta`, usage,
//! `Settled`, `Kept`) rendered into the api-types payloads of the `meta`, `usage`, `done`
//! and `error` events. The OpenAI scope renders its chunks from the same payloads.

use penora_api_types::{EndEvent, GenerationFailure, MetaEvent, UsageEvent};
use penora_domain::Millicredits;
use penora_store::generations::GenerationRow;

use penora_app::generations::{failure_of, Meta, Settled};
use penora_app::stories::Kept;

fn count(words: u64) -> i64 {
    i64::try_from(words).unwrap_or(i64::MAX)
}

pub(crate) fn meta(meta: &Meta) -> MetaEvent {
    MetaEvent {
        generation_id: meta.id,
        model: meta.model.clone(),
        model_label: meta.model_label.clone(),
        max_cost_mc: meta.max_cost.get(),
        max_words: count(meta.max_words),
    }
}

pub(crate) fn usage(words: u64, cost: Millicredits) -> UsageEvent {
    UsageEvent {
        words: count(words),
        cost_mc: cost.get(),
    }
}

fn failure((code, message): (&str, &str)) -> GenerationFailure {
    GenerationFailure {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The failure recorded on a generation, if any.
pub(crate) fn failure_of_row(row: &GenerationRow) -> Option<GenerationFailure> {
    failure_of(row).map(failure)
}

/// The last event: the final cost and the balance after it (zeros when it could not be
/// billed yet), and for a story step where its text went.
pub(crate) fn end(settled: &Settled, kept: Option<&Kept>) -> EndEvent {
    let mut event = match settled {
        Settled::Closed {
            row,
            balance_mc,
            reserved_mc,
        } => EndEvent {
            generation_id: row.id,
            status: row.status.as_str().to_owned(),
            finish_reason: row.finish_reason.clone(),
            words: row.words,
            cost_mc: row.cost_mc,
            balance_mc: *balance_mc,
            available_mc: balance_mc - reserved_mc,
            error: failure_of_row(row),
            prompt_tokens: row.prompt_tokens.and_then(|t| u32::try_from(t).ok()),
            completion_tokens: row.completion_tokens.and_then(|t| u32::try_from(t).ok()),
            saved_to: None,
            save_error: None,
        },
        Settled::Unbilled {
            id,
            status,
            finish_reason,
            words,
            tokens,
        } => EndEvent {
            generation_id: *id,
            status: status.as_str().to_owned(),
            finish_reason: Some((*finish_reason).to_owned()),
            words: count(*words),
            cost_mc: 0,
            balance_mc: 0,
            available_mc: 0,
            error: settled.failure().map(failure),
            prompt_tokens: tokens.map(|t| t.0),
            completion_tokens: tokens.map(|t| t.1),
            saved_to: None,
            save_error: None,
        },
    };
    match kept {
        Some(Kept::Saved(project)) => event.saved_to = Some(project.as_uuid()),
        Some(Kept::NotSaved { code, message }) => {
            event.save_error = Some(failure((code, message)));
        }
        None => {}
    }
    event
}

#[cfg(test)]
mod tests {
    use penora_domain::{GenerationStatus, ProjectId};
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn an_unbilled_end_reports_settle_failed_with_zero_cost_and_balance() {
        let id = Uuid::nil();
        let settled = Settled::Unbilled {
            id,
            status: GenerationStatus::Cancelled,
            finish_reason: "cancelled",
            words: 12,
            tokens: Some((3, 16)),
        };
        let project = ProjectId::from_uuid(Uuid::max());
        let event = end(&settled, Some(&Kept::Saved(project)));
        assert_eq!(
            serde_json::to_value(&event).ok(),
            Some(json!({
                "generation_id": id,
                "status": "cancelled",
                "finish_reason": "cancelled",
                "words": 12,
                "cost_mc": 0,
                "balance_mc": 0,
                "available_mc": 0,
                "error": {
                    "code": "settle_failed",
                    "message": "The generation ended but could not be billed yet; it will be settled shortly.",
                },
                "prompt_tokens": 3,
                "completion_tokens": 16,
                "saved_to": Uuid::max(),
                "save_error": null,
            }))
        );
    }

    #[test]
    fn a_story_step_whose_text_was_not_saved_says_why() {
        let settled = Settled::Unbilled {
            id: Uuid::nil(),
            status: GenerationStatus::Completed,
            finish_reason: "stop",
            words: u64::MAX,
            tokens: None,
        };
        let kept = Kept::NotSaved {
            code: "quota_exceeded",
            message: "full".to_owned(),
        };
        let event = end(&settled, Some(&kept));
        assert_eq!(event.words, i64::MAX);
        assert_eq!(event.saved_to, None);
        assert_eq!(
            event.save_error,
            Some(GenerationFailure {
                code: "quota_exceeded".to_owned(),
                message: "full".to_owned(),
            })
        );
    }

    #[test]
    fn meta_and_usage_carry_the_counts_as_the_api_sends_them() {
        let meta = meta(&Meta {
            id: Uuid::nil(),
            model: "offline".to_owned(),
            model_label: "Offline".to_owned(),
            max_cost: Millicredits::new(1500),
            max_words: 100,
        });
        assert_eq!(meta.max_cost_mc, 1500);
        assert_eq!(meta.max_words, 100);
        let usage = usage(u64::MAX, Millicredits::new(7));
        assert_eq!((usage.words, usage.cost_mc), (i64::MAX, 7));
    }
}
