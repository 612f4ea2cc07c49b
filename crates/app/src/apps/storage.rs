//! The storage a sister app holds for a user, reported by the app and counted in the quota
//! both apps share: Penora's bytes + the app's bytes never pass the user's limit.

use penora_domain::UserId;
use penora_store::storage::{self, StorageError, Usage};
use penora_store::DbErr;

use super::{audit, AppCaller};
use crate::audit::Origin;
use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StorageReportError {
    #[error("no such user")]
    UserNotFound,
    #[error("storage quota exceeded")]
    Quota { used: i64, limit: i64, needed: i64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Sets what the app stores for `user` to `bytes`. The same figure again changes nothing
/// (and is not recorded again); more than the quota leaves free is refused.
#[tracing::instrument(name = "services::apps::report_storage", skip_all,
    fields(app_key_id = %caller.key_id, user_id = %user))]
pub async fn report_storage(
    state: &AppState,
    caller: &AppCaller,
    user: UserId,
    bytes: i64,
    origin: &Origin,
) -> Result<Usage, StorageReportError> {
    let txn = penora_store::begin_write(&state.db).await?;
    // The user's row lock first: two reports at once then read the figure before them one
    // after the other, and each records the change it made.
    if !penora_store::users::lock(&txn, user, None).await? {
        return Err(StorageReportError::UserNotFound);
    }
    let limit = crate::projects::quota(state, &txn, user).await?;
    let (usage, before) = storage::report_app(&txn, user, bytes, limit)
        .await
        .map_err(|err| match err {
            StorageError::Exceeded {
                used,
                limit,
                needed,
            } => StorageReportError::Quota {
                used,
                limit,
                needed,
            },
            StorageError::UnknownUser => StorageReportError::UserNotFound,
            StorageError::Db(e) => StorageReportError::Db(e),
        })?;
    txn.commit().await?;
    if before != bytes {
        let meta = serde_json::json!({ "from_bytes": before, "to_bytes": bytes });
        audit(
            state,
            caller,
            "app.storage_reported",
            Some(user),
            origin,
            meta,
        )
        .await;
    }
    Ok(usage)
}
