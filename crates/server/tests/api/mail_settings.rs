//! Running without mail: production starts only with SMTP or with mail explicitly disabled;
//! with mail disabled, sign-up still works and the flows that only mail answer `503`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app_with, PASSWORD};

#[tokio::test]
async fn without_mail_signup_works_and_the_mail_flows_answer_503() {
    let app = spawn_app_with(|s| s.mail_disabled = true).await;
    let session = app.signed_up_user("nomail@example.com").await;
    assert_eq!(session.body["user"]["email_verified"], false);
    assert!(app.outbox().is_empty(), "nothing is written or sent");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM email_tokens").await,
        0,
        "no link is made that nobody receives"
    );

    let resend = app
        .post_authed(
            "/api/v1/auth/resend-verification",
            &session.access_token,
            &json!({}),
        )
        .await;
    assert_problem(resend, StatusCode::SERVICE_UNAVAILABLE, "mail_unavailable").await;
    // The same answer for a known and an unknown address: it reveals no account.
    for email in ["nomail@example.com", "ghost@example.com"] {
        let forgot = app
            .post_json("/api/v1/auth/forgot-password", &json!({ "email": email }))
            .await;
        assert_problem(forgot, StatusCode::SERVICE_UNAVAILABLE, "mail_unavailable").await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM email_tokens").await, 0);
    assert!(app.outbox().is_empty());

    let me: Value = app
        .get_authed("/api/v1/me", &session.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], false);
    assert_eq!(
        app.login("nomail@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

/// `penora serve` in production with real secrets, SMTP and mail settings from `mail`: its
/// exit status and stderr, or `None` when it was still running after 8 s (it started: a
/// refused configuration exits at once).
pub(crate) fn serve_in_production(mail: &[(&str, &str)]) -> Option<(bool, String)> {
    let data = std::env::temp_dir().join(format!("penora-mail-{}", uuid::Uuid::new_v4()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_penora"));
    cmd.arg("serve")
        .env_clear()
        .env("PENORA_ENV", "production")
        .env("PENORA_DATA_DIR", &data)
        .env("PENORA_BIND", "127.0.0.1:0")
        .env("JWT_SECRET_KEY", "k3N9s0qP7vX2mB8wL5tR1yH6jD4fG0aZcE-jwt")
        .env(
            "PENORA_ENCRYPTION_KEY",
            "k3N9s0qP7vX2mB8wL5tR1yH6jD4fG0aZcE-enc",
        )
        .envs(mail.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run penora");
    let started = Instant::now();
    let outcome = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let output = child.wait_with_output().expect("output");
            break Some((
                status.success(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ));
        }
        if started.elapsed() > Duration::from_secs(8) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = std::fs::remove_dir_all(data);
    outcome
}

#[test]
fn production_refuses_to_start_without_smtp_or_mail_disabled() {
    for mail in [&[][..], &[("PENORA_SMTP_URL", "")][..]] {
        let (success, stderr) =
            serve_in_production(mail).expect("production without mail must not start");
        assert!(!success);
        assert!(
            stderr.contains("PENORA_SMTP_URL") && stderr.contains("PENORA_MAIL_DISABLED=true"),
            "says what to set: {stderr}"
        );
    }
}
