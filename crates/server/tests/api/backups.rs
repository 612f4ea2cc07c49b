//! `penora admin backup` and `penora admin restore`, run as real processes against the
//! test's database (SQLite, or PostgreSQL with `PENORA_TEST_DATABASE_URL`) while its server
//! serves.

use std::path::Path;
use std::process::{Command, Output};

use reqwest::StatusCode;
use serde_json::Value;

use crate::generations_json::STORY;
use crate::helpers::{spawn_app, TestApp};
use crate::streams::continue_body;

/// Runs `penora admin <args>` on the app's database.
fn admin(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_penora"))
        .arg("admin")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PENORA_DATA_DIR", app.data_dir.join("cli"))
        .env("PENORA_DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run penora")
}

fn says(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Makes one billed generation; returns the balance after it.
async fn spend(app: &TestApp, token: &str) -> i64 {
    let response = app
        .post_authed("/api/v1/generations", token, &continue_body(STORY))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert!(body["generation"]["cost_mc"].as_i64().unwrap() > 0);
    body["balance"]["balance_mc"].as_i64().unwrap()
}

#[tokio::test]
async fn a_restored_backup_has_what_was_there_and_nothing_written_after() {
    let app = spawn_app().await;
    let writer = app.signed_up_user("backed-up@example.com").await;
    let backed_up_balance = spend(&app, &writer.access_token).await;

    let file = app.data_dir.join("penora.backup");
    let backup = admin(&app, &["backup", file.to_str().unwrap()]);
    assert!(backup.status.success(), "{}", says(&backup));
    assert!(
        says(&backup).contains("Backed up the database"),
        "{}",
        says(&backup)
    );
    // It holds every account's data: only its owner may read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // Written after the backup: another spend and another account.
    let later_balance = spend(&app, &writer.access_token).await;
    assert!(later_balance < backed_up_balance);
    app.signed_up_user("after-backup@example.com").await;
    app.assert_ledger_consistent().await;

    // A running server holds the database: restoring over it is refused, and changes nothing.
    let refused = admin(&app, &["restore", file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        says(&refused).contains("the database is in use"),
        "{}",
        says(&refused)
    );
    assert_eq!(app.balance_mc(&writer.access_token).await, later_balance);

    // Neither is a file that is not a backup.
    let junk = app.data_dir.join("junk.backup");
    std::fs::write(&junk, "not a backup").unwrap();
    let junk_refused = admin(&app, &["restore", junk.to_str().unwrap()]);
    assert!(!junk_refused.status.success());
    assert!(
        says(&junk_refused).contains("is not a"),
        "{}",
        says(&junk_refused)
    );

    // The server stops (its pools close), and the restore goes through.
    app.state.reads.close_by_ref().await.unwrap();
    app.db.close_by_ref().await.unwrap();
    let restored = admin(&app, &["restore", file.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", says(&restored));

    // A server started on the restored database has what the backup had, nothing later.
    let server = app.another_server().await;
    assert_eq!(
        server.balance_mc(&writer.access_token).await,
        backed_up_balance
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM users WHERE email = 'after-backup@example.com'")
            .await,
        0
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM generations").await, 1);
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM holds WHERE state = 'open'")
            .await,
        0
    );
    server.assert_ledger_consistent().await;

    // And it goes on working: a new spend is billed from the restored balance.
    let after_restore = spend(&server, &writer.access_token).await;
    assert_eq!(
        backed_up_balance - after_restore,
        backed_up_balance - later_balance,
        "the same generation costs the same"
    );
    server.assert_ledger_consistent().await;
    assert_backup_kept(&app, &file);
}

/// The backup file is still there, whole, after the restore read it.
fn assert_backup_kept(app: &TestApp, file: &Path) {
    assert!(std::fs::metadata(file).unwrap().len() > 0);
    assert!(!app.data_dir.join("penora.backup.partial").exists());
}
