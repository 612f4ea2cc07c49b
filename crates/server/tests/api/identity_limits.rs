//! Who a request comes from cannot be chosen by the client, and the limits keyed on it hold:
//! sign-up and login per IP, login per (email, IP) with a per-email ceiling, password checks
//! behind a session per user, and a bounded number of argon2 runs at once.

use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app_with, TestApp, PASSWORD};

async fn signup_from(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .json(&json!({ "email": email, "password": PASSWORD }));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// A login relayed by the local reverse proxy (127.0.0.1) for a client at `client_ip`.
async fn login_via_proxy(app: &TestApp, email: &str, password: &str, client_ip: &str) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", client_ip)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn forged_forwarding_headers_from_an_untrusted_peer_are_ignored() {
    // The proxy we trust lives elsewhere; this test's client (127.0.0.1) is not it.
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "10.0.0.0/8".parse().unwrap();
        s.rate_signup_per_ip_per_hour = 1;
    })
    .await;
    assert_eq!(
        signup_from(&app, "first@example.com", &[]).await.status(),
        StatusCode::CREATED
    );
    for (i, forged) in ["198.51.100.1", "198.51.100.2", "2001:db8::7"]
        .iter()
        .enumerate()
    {
        let forwarded = format!("for=\"{forged}\"");
        let limited = signup_from(
            &app,
            &format!("forged-{i}@example.com"),
            &[("forwarded", &forwarded), ("x-forwarded-for", forged)],
        )
        .await;
        assert!(retry_after(&limited) >= 1);
        assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    }
}

#[tokio::test]
async fn a_forged_forwarded_header_behind_the_trusted_proxy_does_not_escape_the_signup_limit() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1/32".parse().unwrap();
        s.rate_signup_per_ip_per_hour = 1;
    })
    .await;
    // What nginx forwards for an attacker at 203.0.113.9 who sent headers of their own: its
    // X-Forwarded-For ends with the address it saw; `Forwarded` is cleared by our config, but
    // a proxy that passes it must not matter either.
    let mut statuses = Vec::new();
    for (i, forged) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let forwarded = format!("for={forged}");
        let xff = format!("{forged}, 203.0.113.9");
        let response = signup_from(
            &app,
            &format!("attacker-{i}@example.com"),
            &[("forwarded", &forwarded), ("x-forwarded-for", &xff)],
        )
        .await;
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test]
async fn the_client_ip_is_the_rightmost_untrusted_forwarded_address() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1/32, 10.0.0.0/8".parse().unwrap();
    })
    .await;
    let created = signup_from(
        &app,
        "hops@example.com",
        &[("x-forwarded-for", "198.51.100.1, 203.0.113.5, 10.1.2.3")],
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'auth.signup' AND ip = '203.0.113.5'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_attacker_hammering_an_email_does_not_lock_its_owner_out() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1/32".parse().unwrap();
        s.rate_login_per_email_ip_per_minute = 3;
        s.rate_login_per_email_per_hour = 1000;
    })
    .await;
    app.signed_up_user("victim@example.com").await;
    for _ in 0..3 {
        let wrong = login_via_proxy(&app, "victim@example.com", "guess guess 1", "203.0.113.7");
        assert_eq!(wrong.await.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = login_via_proxy(&app, "victim@example.com", "guess guess 1", "203.0.113.7").await;
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    let victim = login_via_proxy(&app, "victim@example.com", PASSWORD, "198.51.100.2").await;
    assert_eq!(victim.status(), StatusCode::OK);
}

/// One client kept under its per-minute limit for an hour must not spend the email's whole
/// ceiling, which would lock the owner out from everywhere: an hourly per-client limit below
/// the ceiling stops it first.
#[tokio::test]
async fn one_client_cannot_spend_the_emails_ceiling_and_lock_its_owner_out() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1/32".parse().unwrap();
        s.rate_login_per_email_ip_per_minute = 1000;
        s.rate_login_per_email_ip_per_hour = 3;
        s.rate_login_per_email_per_hour = 6;
    })
    .await;
    app.signed_up_user("patient@example.com").await;
    let mut refused = 0;
    for _ in 0..10 {
        let wrong =
            login_via_proxy(&app, "patient@example.com", "guess guess 1", "203.0.113.7").await;
        if wrong.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert_eq!(refused, 7, "the client is stopped after its hourly three");
    let owner = login_via_proxy(&app, "patient@example.com", PASSWORD, "198.51.100.2").await;
    assert_eq!(owner.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_per_email_login_ceiling_holds_across_addresses() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = "127.0.0.1/32".parse().unwrap();
        s.rate_login_per_email_ip_per_minute = 1000;
        s.rate_login_per_email_per_hour = 4;
    })
    .await;
    for i in 0..4 {
        let ip = format!("203.0.113.{}", 10 + i);
        let wrong = login_via_proxy(&app, "spread@example.com", "guess guess 1", &ip).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let limited =
        login_via_proxy(&app, "spread@example.com", "guess guess 1", "203.0.113.99").await;
    assert!(retry_after(&limited) >= 1);
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test]
async fn login_is_limited_per_ip_in_the_database() {
    let app = spawn_app_with(|s| s.rate_login_per_ip_per_minute = 3).await;
    for i in 0..3 {
        let r = app
            .login(&format!("u{i}@example.com"), "guess guess 1")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = app.login("u9@example.com", "guess guess 1").await;
    assert!(retry_after(&limited) >= 1);
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Counted where every replica sees it.
    assert!(
        app.count("SELECT COUNT(*) FROM rate_limit_hits WHERE bucket LIKE 'login%'")
            .await
            > 0
    );
}

#[tokio::test]
async fn password_checks_behind_a_session_are_limited_per_user() {
    let app = spawn_app_with(|s| s.rate_password_checks_per_user_per_hour = 2).await;
    let session = app.signed_up_user("oracle@example.com").await;
    let change = |current: &'static str| {
        let body = json!({ "current_password": current, "new_password": "a new secret 42" });
        app.client
            .post(app.url("/api/v1/me/password"))
            .bearer_auth(&session.access_token)
            .json(&body)
            .send()
    };
    let delete = |password: &'static str| {
        app.client
            .delete(app.url("/api/v1/me"))
            .bearer_auth(&session.access_token)
            .json(&json!({ "password": password }))
            .send()
    };
    assert_eq!(
        change("guess guess 1").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        delete("guess guess 2").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The limit is the user's, whichever route checks the password; even the right one waits.
    let limited = change(PASSWORD).await.unwrap();
    assert!(retry_after(&limited) >= 1);
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    let limited = delete(PASSWORD).await.unwrap();
    assert!(retry_after(&limited) >= 1);
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_hashing_beyond_its_concurrency_answers_503_never_500() {
    let app = spawn_app_with(|s| {
        s.password_hash_concurrency = 1;
        s.password_hash_queue_ms = 0;
    })
    .await;
    app.signed_up_user("busy@example.com").await;
    let logins = (0..16).map(|_| app.login("busy@example.com", PASSWORD));
    let responses = futures_util::future::join_all(logins).await;
    let mut busy = 0;
    for response in responses {
        match response.status() {
            StatusCode::OK => {}
            StatusCode::SERVICE_UNAVAILABLE => {
                busy += 1;
                assert!(retry_after(&response) >= 1);
                assert_problem(
                    response,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                )
                .await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(busy > 0, "16 logins at once with one hashing slot");
}
