//! The limits that protect accounts and money, hit through nginx so the attempts spread over
//! every replica: N replicas must not allow N times the attempts.

use std::path::Path;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use super::checks::Row;

/// The cluster's defaults (`PENORA_RATE_LOGIN_PER_EMAIL_IP_PER_MINUTE`,
/// `PENORA_RATE_EMAIL_PER_ADDRESS_PER_HOUR`).
const LOGINS_PER_EMAIL_IP: usize = 10;
const MAILS_PER_ADDRESS: usize = 5;

pub async fn check(
    client: &reqwest::Client,
    base: &str,
    state: &Path,
    users: usize,
    signup_limit: u32,
) -> anyhow::Result<Vec<Row>> {
    let statuses = |responses: Vec<reqwest::Result<reqwest::Response>>| -> Vec<u16> {
        responses
            .into_iter()
            .map(|r| r.map_or(0, |r| r.status().as_u16()))
            .collect()
    };
    let count = |statuses: &[u16], status: u16| statuses.iter().filter(|s| **s == status).count();
    let mut rows = Vec::new();

    let tries = 3 * LOGINS_PER_EMAIL_IP;
    let logins = (0..tries).map(|_| {
        let body = json!({ "email": "chaos0@example.com", "password": "not the password 1" });
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&body)
            .send()
    });
    let logins = statuses(join_all(logins).await);
    rows.push(Row::new(
        &format!("wrong sign-ins for one email+IP ({tries} at once, all replicas)"),
        format!("{LOGINS_PER_EMAIL_IP}x401, rest 429"),
        format!("{}x401, {}x429", count(&logins, 401), count(&logins, 429)),
        count(&logins, 401) == LOGINS_PER_EMAIL_IP
            && count(&logins, 429) == tries - LOGINS_PER_EMAIL_IP,
    ));

    let left = usize::try_from(signup_limit)?.saturating_sub(users);
    let signups = (0..left + 5).map(|n| {
        let body =
            json!({ "email": format!("limit{n}@example.com"), "password": "bench password 1" });
        client
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&body)
            .send()
    });
    let signups = statuses(join_all(signups).await);
    rows.push(Row::new(
        &format!("sign-ups from one IP past the hourly limit ({signup_limit})"),
        format!("{left}x201, 5x429"),
        format!("{}x201, {}x429", count(&signups, 201), count(&signups, 429)),
        count(&signups, 201) == left && count(&signups, 429) == 5,
    ));

    // Sign-up's own verification mail is not limited (sign-ups are): count the resets.
    let before = mails_to(&state.join("mail"), "chaos1@example.com");
    let resets = (0..3 * MAILS_PER_ADDRESS).map(|_| {
        let body = json!({ "email": "chaos1@example.com" });
        client
            .post(format!("{base}/api/v1/auth/forgot-password"))
            .json(&body)
            .send()
    });
    join_all(resets).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mailed = mails_to(&state.join("mail"), "chaos1@example.com").saturating_sub(before);
    rows.push(Row::new(
        &format!(
            "mails to one address ({} resets asked, all replicas)",
            3 * MAILS_PER_ADDRESS
        ),
        format!("<= {MAILS_PER_ADDRESS} an hour"),
        format!("{mailed} reset mails"),
        mailed <= MAILS_PER_ADDRESS,
    ));
    Ok(rows)
}

/// Mails the cluster's SMTP sink holds for `address`.
fn mails_to(dir: &Path, address: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter(|mail| {
            mail.lines()
                .next()
                .is_some_and(|head| head.contains(address))
        })
        .count()
}
