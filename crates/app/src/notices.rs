//! Acting on what other replicas tell this one ([`penora_store::notices`]), and telling
//! them: a cancel reaches the replica that streams the generation at once instead of at its
//! next save, and a revoked key stops working on every replica at once instead of when its
//! cached lookup expires.

use std::time::Duration;

use penora_store::notices::{self, Listener, Notice};
use uuid::Uuid;

use crate::AppState;

/// Tells the other replicas; a failure only costs the old delay (the database flag, the
/// cache time), so it is logged, not returned.
pub async fn publish(state: &AppState, notice: Notice) {
    if let Err(err) = notices::publish(&state.db, notice).await {
        tracing::warn!(error = %err, ?notice, "telling the other replicas failed");
    }
}

/// Cancels generation `id` here if it streams here, else on the replica where it does.
pub async fn cancel(state: &AppState, id: Uuid) {
    if !state.running.cancel(id) {
        publish(state, Notice::Cancel(id)).await;
    }
}

/// Forgets every cached key here and on every other replica.
pub async fn keys_revoked(state: &AppState) {
    state.keys.forget_all();
    publish(state, Notice::KeysRevoked).await;
}

/// Listens for notices for as long as the process runs (PostgreSQL only), starting again
/// after a pause when the database is away.
pub async fn listen(state: AppState) {
    loop {
        match Listener::start(&state.db).await {
            Ok(None) => return,
            Ok(Some(mut listener)) => loop {
                match listener.next().await {
                    Ok(notice) => act(&state, notice),
                    Err(err) => {
                        tracing::warn!(error = %err, "listening to the other replicas failed");
                        break;
                    }
                }
            },
            Err(err) => tracing::warn!(error = %err, "cannot listen to the other replicas"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

fn act(state: &AppState, notice: Notice) {
    match notice {
        Notice::Cancel(id) => {
            state.running.cancel(id);
        }
        Notice::KeysRevoked => state.keys.forget_all(),
    }
}
