//! Replays of app debits: the first answer again, byte for byte, whatever happened since.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn idempotent_debit_replays_are_the_first_answer_byte_for_byte() {
    let app = spawn_app().await;
    let session = app.signed_up_user("replays@example.com").await;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    let first = app.debit(&key, &user, "img-1", 10_000).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = first.bytes().await.unwrap();

    // The balance moved on since; the retry meets the first debit's reference.
    let second = app.debit(&key, &user, "img-2", 5_000).await;
    assert_eq!(second.status(), StatusCode::CREATED);
    let replay = app.debit(&key, &user, "img-1", 10_000).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.bytes().await.unwrap(), first);

    // What is left no longer pays for it: the retry is refused for lack of credits first.
    let third = app.debit(&key, &user, "img-3", 30_000).await;
    assert_eq!(third.status(), StatusCode::CREATED);
    let replay = app.debit(&key, &user, "img-1", 10_000).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.bytes().await.unwrap(), first);

    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'app_debit'")
            .await,
        3
    );
    app.assert_ledger_consistent().await;
}
