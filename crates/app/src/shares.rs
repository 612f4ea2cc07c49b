//! Share codes: one live code per project, drawn from the OS RNG and unique (a collision
//! draws again); anyone with the code reads the project. Look-ups of well-formed codes are
//! counted per IP in the database, so guessing codes is throttled across all replicas; a
//! malformed code is refused before anything is read or written, and a client already
//! refused waits without another write ([`super::share_lookups`]). Views are counted in
//! memory and written in batches.

use chrono::{Duration, Utc};
use penora_domain::{ClientIp, ProjectId, ShareCode, UserId};
use penora_store::projects::{self, ProjectRow};
use penora_store::{rate_limits, users, DbErr, WriteError};
use rand::rngs::OsRng;

use crate::limits::{self, Bucket, Limit, Verdict};
use crate::AppState;

/// Draws this many codes before giving up (with 887 million codes, a second draw is
/// already rare).
const DRAWS: usize = 8;
pub const MAX_EXPIRY_DAYS: u32 = 365;

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("no such project")]
    ProjectNotFound,
    #[error("not a share code")]
    InvalidCode(penora_domain::FieldError),
    #[error("no live project behind this code")]
    NotFound,
    #[error("too many look-ups; retry in {0} s")]
    RateLimited(u64),
    #[error("could not draw a free share code")]
    Exhausted,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A project someone shared, with its owner's display name.
pub struct Shared {
    pub row: ProjectRow,
    pub author: String,
}

fn is_live(row: &ProjectRow) -> bool {
    row.share_code.is_some() && row.share_expires_at.is_none_or(|at| at > Utc::now())
}

/// The project's live code, or a new one. Returns the row and whether a code was created.
#[tracing::instrument(name = "services::shares::share", skip_all,
    fields(user_id = %user, project_id = %id))]
pub async fn share(
    state: &AppState,
    user: UserId,
    id: ProjectId,
    expires_in_days: Option<u32>,
) -> Result<(ProjectRow, bool), ShareError> {
    let row = projects::find_owned(&state.db, user, id)
        .await?
        .ok_or(ShareError::ProjectNotFound)?;
    if is_live(&row) {
        return Ok((row, false));
    }
    let expires_at = expires_in_days.map(|days| Utc::now() + Duration::days(i64::from(days)));
    for _ in 0..DRAWS {
        let code = ShareCode::generate(&mut OsRng);
        match projects::set_share(&state.db, user, id, code.as_str(), expires_at).await {
            Ok(Some(row)) => return Ok((row, true)),
            Ok(None) => return Err(ShareError::ProjectNotFound),
            Err(WriteError::Taken) => continue,
            Err(WriteError::Db(err)) => return Err(err.into()),
        }
    }
    Err(ShareError::Exhausted)
}

#[tracing::instrument(name = "services::shares::revoke", skip_all,
    fields(user_id = %user, project_id = %id))]
pub async fn revoke(state: &AppState, user: UserId, id: ProjectId) -> Result<(), ShareError> {
    if projects::clear_share(&state.db, user, id).await? {
        Ok(())
    } else {
        Err(ShareError::ProjectNotFound)
    }
}

/// A public look-up by code from `client`: a malformed code is refused first (no write),
/// then the look-up is rate limited, then a view is counted (in memory). Unknown, revoked
/// and expired codes all read as `NotFound`.
#[tracing::instrument(name = "services::shares::open", skip_all)]
pub async fn open(
    state: &AppState,
    client: &ClientIp,
    raw_code: &str,
) -> Result<Shared, ShareError> {
    let code = ShareCode::parse(raw_code).map_err(ShareError::InvalidCode)?;
    let client_key = client.rate_key();
    if let Some(secs) = state.share_lookups.refused_for(&client_key) {
        return Err(ShareError::RateLimited(secs));
    }
    let limit = Limit::per_minute(state.config.settings.share_lookups_per_ip_per_minute);
    if let Verdict::Wait(secs) = limits::hit(&state.db, Bucket::ShareLookup(client), limit).await? {
        state.share_lookups.refuse(client_key, secs);
        return Err(ShareError::RateLimited(secs));
    }
    let shared = find(state, &code).await?;
    state.share_lookups.count_view(shared.row.id);
    Ok(shared)
}

/// Reads a shared project without counting (for trusted callers such as sister apps).
#[tracing::instrument(name = "services::shares::read", skip_all)]
pub async fn read(state: &AppState, raw_code: &str) -> Result<Shared, ShareError> {
    let code = ShareCode::parse(raw_code).map_err(ShareError::InvalidCode)?;
    find(state, &code).await
}

async fn find(state: &AppState, code: &ShareCode) -> Result<Shared, ShareError> {
    let row = projects::find_shared(&state.db, code.as_str(), Utc::now())
        .await?
        .ok_or(ShareError::NotFound)?;
    let author = users::find_by_id(&state.db, UserId::from_uuid(row.user_id))
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default();
    Ok(Shared { row, author })
}

/// Forgets rate-limit windows that started over two hours ago (run by the sweeper): an
/// hourly limit still reads the window before the current one.
#[tracing::instrument(name = "services::shares::purge_counters", skip_all)]
pub async fn purge_counters(state: &AppState) -> Result<u64, DbErr> {
    rate_limits::purge(&state.db, Utc::now().timestamp() - 7_200).await
}
