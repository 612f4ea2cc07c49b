//! `Idempotency-Key` handling, one reusable piece for every POST that moves credits.
//!
//! The response is stored in the same transaction as the change it describes, so a key is
//! either applied-and-stored or neither. A retry replays the stored response; the same key
//! with a different request is refused. Two concurrent requests with one key: the database's
//! unique indexes let one commit; the other rolls back and replays the winner's response.

use std::future::Future;

use chrono::{Duration, Utc};
use penora_domain::EntryKind;
use penora_store::idempotency::{self, NewResponse, StoredResponse};
use penora_store::ledger::{self, EntryRow, LedgerError};
use penora_store::recorded::{Recorded, Recorder};
use penora_store::{DatabaseConnection, DatabaseTransaction, DbErr, WriteError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A request's key, where it applies, and what the request was.
#[derive(Debug, Clone)]
pub struct Idem {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IdemError {
    #[error("send an Idempotency-Key header (1 to 255 visible ASCII characters)")]
    Missing,
    #[error("this Idempotency-Key was used with a different request")]
    Reused,
}

impl Idem {
    /// `raw` is the header value; the fingerprint covers method, path and the parsed body.
    pub fn new(
        scope: String,
        raw: Option<&str>,
        method: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Self, IdemError> {
        let key = raw.map(str::trim).unwrap_or_default();
        if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(IdemError::Missing);
        }
        let canonical = format!("{method} {path}\n{body}");
        let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
        let fingerprint = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            scope,
            key: key.to_owned(),
            fingerprint,
        })
    }

    /// The stored form of `response`, kept for `ttl_hours`.
    pub fn response(
        &self,
        status: u16,
        ttl_hours: u32,
        response: serde_json::Value,
    ) -> NewResponse<'_> {
        NewResponse {
            scope: &self.scope,
            key: &self.key,
            fingerprint: &self.fingerprint,
            status,
            response,
            expires_at: Utc::now() + Duration::hours(i64::from(ttl_hours)),
        }
    }

    /// A ledger reference unique to this key in this scope.
    pub fn reference(&self, kind: EntryKind) -> String {
        format!("{kind}:{}:{}", self.scope, self.key)
    }
}

/// A response, and whether it is a replay of an earlier one.
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    pub status: u16,
    pub body: T,
    pub replayed: bool,
}

impl<T> Outcome<T> {
    /// The same outcome with its body turned into another form (a response, say).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            status: self.status,
            body: f(self.body),
            replayed: self.replayed,
        }
    }
}

/// Errors an idempotent operation can end with.
pub trait IdempotentError: From<DbErr> + From<IdemError> {
    /// True when the operation hit a unique reference that a concurrent or earlier request
    /// applied: the transaction is rolled back and the stored response replayed.
    fn is_already_applied(&self) -> bool;
}

/// Runs `op` once per key: runs it in a transaction and stores its response (with status
/// `status`) in that same transaction; a request whose key was already used replays the
/// stored response instead.
///
/// The stored response is looked up only when `op` fails (a retried request fails on its
/// unique ledger reference, or for lack of credits once they were spent), which keeps the
/// common path to one transaction.
#[tracing::instrument(name = "services::idempotency::once", skip_all)]
pub async fn once<T, E, F, Fut>(
    db: &DatabaseConnection,
    idem: &Idem,
    status: u16,
    ttl_hours: u32,
    op: F,
) -> Result<Outcome<T>, E>
where
    T: Serialize + DeserializeOwned,
    E: IdempotentError,
    F: FnOnce(DatabaseTransaction) -> Fut,
    Fut: Future<Output = Result<(T, DatabaseTransaction), E>>,
{
    let txn = penora_store::begin_write(db).await?;
    match op(txn).await {
        Ok((body, txn)) => {
            let response = serde_json::to_value(&body).map_err(|e| DbErr::Custom(e.to_string()))?;
            let saved = idempotency::insert(&txn, idem.response(status, ttl_hours, response)).await;
            match saved {
                Ok(()) => {
                    txn.commit().await?;
                    Ok(Outcome {
                        status,
                        body,
                        replayed: false,
                    })
                }
                Err(WriteError::Taken) => {
                    drop(txn);
                    replay_or_conflict(db, idem).await
                }
                Err(WriteError::Db(err)) => Err(err.into()),
            }
        }
        Err(err) => recover(db, idem, err).await,
    }
}

/// [`once`] for a single ledger movement whose answer is built from its ledger entry
/// (`respond`): the movement, its audit entry and the stored response commit together, in
/// one round trip on PostgreSQL. A replay builds the answer with `respond` from the entry the
/// first request wrote (found by its unique reference), so it is the first answer again.
#[tracing::instrument(name = "services::idempotency::once_recorded", skip_all)]
pub async fn once_recorded<T, E>(
    recorder: &Recorder,
    idem: &Idem,
    recorded: Recorded<'_>,
    respond: impl FnOnce(&EntryRow) -> T,
) -> Result<Outcome<T>, E>
where
    E: IdempotentError + From<LedgerError>,
{
    let status = recorded.response.status;
    let reference = recorded.movement.reference;
    let err = match recorder.apply(recorded).await {
        Ok(entry) => {
            return Ok(Outcome {
                status,
                body: respond(&entry),
                replayed: false,
            })
        }
        Err(err) => E::from(err),
    };
    // As [`recover`] does, with the body rebuilt from the entry.
    let db = recorder.db();
    let Some(row) = find_stored::<E>(db, idem).await? else {
        return Err(if err.is_already_applied() {
            IdemError::Reused.into()
        } else {
            err
        });
    };
    let entry = ledger::find_by_reference(db, reference)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("ledger entry {reference}")))?;
    Ok(Outcome {
        status: status_of(&row),
        body: respond(&entry),
        replayed: true,
    })
}

/// After an operation failed: a reference applied before means a retry (or a lost race) —
/// replay what was stored; any other failure may still be a retry of a request that
/// succeeded (it now fails for lack of credits, say) — replay it if stored, else report it.
async fn recover<T: DeserializeOwned, E: IdempotentError>(
    db: &DatabaseConnection,
    idem: &Idem,
    err: E,
) -> Result<Outcome<T>, E> {
    if err.is_already_applied() {
        return replay_or_conflict(db, idem).await;
    }
    match stored::<T, E>(db, idem).await? {
        Some(replay) => Ok(replay),
        None => Err(err),
    }
}

/// The response stored for this key, if any (a key stored for another request is
/// `Reused`): for operations that call out (a payment gateway, say) before their
/// transaction, so a retry does not call out again.
pub async fn replay<T: DeserializeOwned, E: IdempotentError>(
    db: &DatabaseConnection,
    idem: &Idem,
) -> Result<Option<Outcome<T>>, E> {
    stored(db, idem).await
}

/// The response stored for this key, if any; a key stored for another request is `Reused`.
async fn find_stored<E: IdempotentError>(
    db: &DatabaseConnection,
    idem: &Idem,
) -> Result<Option<StoredResponse>, E> {
    let Some(row) = idempotency::find(db, &idem.scope, &idem.key).await? else {
        return Ok(None);
    };
    if row.fingerprint != idem.fingerprint {
        return Err(IdemError::Reused.into());
    }
    Ok(Some(row))
}

fn status_of(row: &StoredResponse) -> u16 {
    u16::try_from(row.status).unwrap_or(200)
}

async fn stored<T: DeserializeOwned, E: IdempotentError>(
    db: &DatabaseConnection,
    idem: &Idem,
) -> Result<Option<Outcome<T>>, E> {
    let Some(row) = find_stored::<E>(db, idem).await? else {
        return Ok(None);
    };
    let status = status_of(&row);
    let body = serde_json::from_value(row.response).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(Some(Outcome {
        status,
        body,
        replayed: true,
    }))
}

/// After losing a race (or meeting a reference applied under an expired key): replay what
/// the winner stored; without a stored response the key cannot be reused.
async fn replay_or_conflict<T: DeserializeOwned, E: IdempotentError>(
    db: &DatabaseConnection,
    idem: &Idem,
) -> Result<Outcome<T>, E> {
    stored::<T, E>(db, idem)
        .await?
        .ok_or_else(|| IdemError::Reused.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated_and_fingerprinted() {
        let body = serde_json::json!({"amount_mc": 5});
        assert!(Idem::new("s".into(), None, "POST", "/x", &body).is_err());
        assert!(Idem::new("s".into(), Some("  "), "POST", "/x", &body).is_err());
        assert!(Idem::new("s".into(), Some("has space"), "POST", "/x", &body).is_err());
        let a = Idem::new("s".into(), Some("k1"), "POST", "/x", &body).unwrap();
        let b = Idem::new(
            "s".into(),
            Some("k1"),
            "POST",
            "/x",
            &serde_json::json!({"amount_mc": 6}),
        )
        .unwrap();
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_eq!(a.reference(EntryKind::AppDebit), "app_debit:s:k1");
    }
}
