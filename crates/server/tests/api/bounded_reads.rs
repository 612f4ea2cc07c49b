//! Reads that stay bounded however much a user has: the usage report is summed by the
//! database, and the storage report lists project sizes a page at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app, TestApp};

/// Every ledger entry of the user, through the history API.
async fn all_entries(app: &TestApp, token: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .get_authed(
                &format!("/api/v1/credits/transactions?limit=100{cursor}"),
                token,
            )
            .await
            .json()
            .await
            .unwrap();
        entries.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return entries,
        }
    }
}

/// The report as it was computed entry by entry in the server before it was summed in SQL.
fn computed(entries: &[Value], by_day: bool, from: DateTime<Utc>, to: DateTime<Utc>) -> Value {
    let mut groups: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for entry in entries {
        let amount = entry["amount_mc"].as_i64().unwrap();
        let at: DateTime<Utc> = entry["created_at"].as_str().unwrap().parse().unwrap();
        if amount >= 0 || at < from || at >= to {
            continue;
        }
        let key = if by_day {
            at.format("%Y-%m-%d").to_string()
        } else {
            entry["model"]
                .as_str()
                .unwrap_or(entry["kind"].as_str().unwrap())
                .to_owned()
        };
        let group = groups.entry(key).or_default();
        group.0 += -amount;
        group.1 += entry["words"].as_i64().unwrap_or(0);
        group.2 += 1;
    }
    groups
        .into_iter()
        .map(|(key, (spent, words, entries))| {
            json!({ "key": key, "spent_mc": spent, "words": words, "entries": entries })
        })
        .collect()
}

#[tokio::test]
async fn usage_is_summed_by_the_database_as_the_entries_add_up() {
    use penora_store::entities::ledger_entry::{Column, Entity as Ledger};
    let app = spawn_app().await;
    let session = app.signed_up_user("spender@example.com").await;
    let token = &session.access_token;
    let user = app.user_id(&session).await;
    let key = app.app_key(&["credits:write"]).await;
    for i in 0..9 {
        let r = app.debit(&key, &user, &format!("u-{i}"), 100 + i).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    // Spread the debits over three days, two models and none (the kind stands in).
    let now = Utc::now();
    let debits: Vec<Value> = all_entries(&app, token)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "app_debit")
        .collect();
    for (i, debit) in debits.iter().enumerate() {
        let id: uuid::Uuid = debit["id"].as_str().unwrap().parse().unwrap();
        let model = ["gpt-x", "claude-y", ""][i % 3];
        let at = now - Duration::days((i % 3) as i64) - Duration::minutes(i as i64);
        Ledger::update_many()
            .col_expr(Column::CreatedAt, Expr::value(at))
            .col_expr(
                Column::Model,
                Expr::value((!model.is_empty()).then(|| model.to_owned())),
            )
            .col_expr(
                Column::Words,
                Expr::value((i % 2 == 0).then_some(10 * i as i64)),
            )
            .filter(Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let entries = all_entries(&app, token).await;
    let to = now + Duration::minutes(1);
    for (from, group_by) in [
        (now - Duration::days(30), "model"),
        (now - Duration::days(30), "day"),
        (now - Duration::hours(30), "model"),
        (now - Duration::hours(30), "day"),
    ] {
        let report: Value = app
            .get_authed(
                &format!(
                    "/api/v1/credits/usage?group_by={group_by}&from={}&to={}",
                    from.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    to.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                ),
                token,
            )
            .await
            .json()
            .await
            .unwrap();
        let expected = computed(&entries, group_by == "day", from, to);
        assert_eq!(report["items"], expected, "{group_by} from {from}");
        assert!(!expected.as_array().unwrap().is_empty());
    }
    let too_long = app
        .get_authed(
            "/api/v1/credits/usage?group_by=model&from=2025-01-01T00:00:00Z&to=2026-01-03T00:00:00Z",
            token,
        )
        .await;
    let problem = assert_problem(too_long, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    assert!(problem["detail"].as_str().unwrap().contains("366 days"));
}

#[tokio::test]
async fn storage_lists_project_sizes_a_page_at_a_time() {
    let app = spawn_app().await;
    let token = app.signed_up_user("pages@example.com").await.access_token;
    // Sizes 40, 30, 30, 20, 10 (two the same, ordered by id).
    for (title, text) in [
        ("a", "x".repeat(20)),
        ("b", "x".repeat(40)),
        ("c", "x".repeat(30)),
        ("d", "x".repeat(10)),
        ("e", "x".repeat(30)),
    ] {
        app.create_project(
            &token,
            &json!({ "title": title, "chapters": [{ "title": "", "text": text }] }),
        )
        .await;
    }
    let whole: Value = app
        .get_authed("/api/v1/storage", &token)
        .await
        .json()
        .await
        .unwrap();
    let all = whole["projects"].as_array().unwrap().clone();
    assert_eq!(all.len(), 5);
    assert!(whole["next_cursor"].is_null());
    let sizes: Vec<i64> = all
        .iter()
        .map(|p| p["size_bytes"].as_i64().unwrap())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    assert_eq!(whole["used_bytes"], sizes.iter().sum::<i64>());

    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page: Value = app
            .get_authed(&format!("/api/v1/storage?limit=2{cursor}"), &token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["used_bytes"], whole["used_bytes"]);
        let items = page["projects"].as_array().unwrap();
        assert!(items.len() <= 2);
        paged.extend(items.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(paged, all);
    for bad in ["limit=0", "limit=101", "cursor=nonsense"] {
        let r = app
            .get_authed(&format!("/api/v1/storage?{bad}"), &token)
            .await;
        assert_problem(r, StatusCode::BAD_REQUEST, "invalid_parameter").await;
    }
}
