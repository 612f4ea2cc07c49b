//! Limits hold across replicas: two servers on one database allow what one would, not
//! twice as much (the chaos run checks the same through nginx and three replicas).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app_with;

/// Reset mails to one address: two allowed an hour in all, whichever replica is asked.
#[tokio::test]
async fn mails_to_one_address_are_limited_across_replicas() {
    let limit = |s: &mut penora_app::config::Settings| s.rate_email_per_address_per_hour = 2;
    let app = spawn_app_with(limit).await;
    let other = app.another_server_with(limit).await;
    app.signed_up_user("twice@example.com").await;
    let signup_mails = app.outbox().len();
    let body = json!({ "email": "twice@example.com" });
    for server in [&app, &other, &app, &other] {
        let response = server
            .post_json("/api/v1/auth/forgot-password", &body)
            .await;
        // The same answer whether mailed or not: it must not tell which addresses exist.
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let resets = app.outbox().len() - signup_mails + other.outbox().len();
    assert_eq!(resets, 2, "reset mails sent by the two replicas together");
}
