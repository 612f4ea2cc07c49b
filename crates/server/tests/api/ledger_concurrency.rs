//! The ledger under concurrency, over HTTP: 50 clients, 2,000 random operations (debits,
//! refunds, admin credits, replays, over-spends) against a few users. Afterwards every
//! invariant holds and every success is exactly one ledger entry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

const CLIENTS: usize = 50;
const OPERATIONS: usize = 2_000;
const USERS: usize = 4;

#[derive(Default)]
struct Tally {
    /// Idempotency keys that got a fresh 201 (not a replay), per ledger kind.
    applied: HashMap<&'static str, Vec<String>>,
    replays: usize,
    refused: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn random_mix_keeps_every_invariant() {
    let app = Arc::new(spawn_app_with(|s| s.db_max_connections = Some(16)).await);
    let bases = vec![app.address.clone()];
    run_mix(app, bases, CLIENTS, OPERATIONS).await;
}

/// The same mix spread over two more `penora serve` processes sharing the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_server_processes_share_one_ledger() {
    let app = Arc::new(spawn_app().await);
    let a = ServerProcess::start(&app.database_url);
    let b = ServerProcess::start(&app.database_url);
    let bases = vec![a.wait_ready().await, b.wait_ready().await];
    run_mix(app, bases, 20, 600).await;
}

/// A `penora serve` child process on a free port, killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    port: u16,
    data_dir: std::path::PathBuf,
}

impl ServerProcess {
    fn start(database_url: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let data_dir = std::env::temp_dir().join(format!("penora-proc-{}", uuid::Uuid::new_v4()));
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_penora"))
            .arg("serve")
            .env_clear()
            .env("PENORA_BIND", format!("127.0.0.1:{port}"))
            .env("PENORA_OPS_BIND", "127.0.0.1:0")
            .env("PENORA_DATA_DIR", &data_dir)
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET_KEY", crate::helpers::TEST_JWT_SECRET)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start penora serve");
        Self {
            child,
            port,
            data_dir,
        }
    }

    async fn wait_ready(&self) -> String {
        let base = format!("http://127.0.0.1:{}", self.port);
        for _ in 0..200 {
            if reqwest::get(format!("{base}/health"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return base;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("penora serve did not start on {base}");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

async fn run_mix(app: Arc<TestApp>, bases: Vec<String>, clients: usize, operations: usize) {
    let bases = Arc::new(bases);
    let admin = app.admin("ledger-admin@example.com").await;
    let key = app.app_key(&["credits:write"]).await;
    let mut users = Vec::new();
    for i in 0..USERS {
        let s = app.signed_up_user(&format!("load-{i}@example.com")).await;
        users.push(app.user_id(&s).await);
    }
    let users = Arc::new(users);
    let debits: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let tally: Arc<Mutex<Tally>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));

    let mut tasks = Vec::new();
    for client in 0..clients {
        let (app, users, debits, tally, next, bases) = (
            app.clone(),
            users.clone(),
            debits.clone(),
            tally.clone(),
            next.clone(),
            bases.clone(),
        );
        let (key, admin_token) = (key.clone(), admin.access_token.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(client as u64);
            let mut mine: Vec<(String, String, Value)> = Vec::new();
            while next.fetch_add(1, Ordering::SeqCst) < operations {
                let base = &bases[rng.gen_range(0..bases.len())];
                let u = rng.gen_range(0..USERS);
                let roll = rng.gen_range(0..100);
                let (kind, path, token, idem, body) = if roll < 10 && !mine.is_empty() {
                    // Replay one of our own earlier requests: must not apply again.
                    let (path, idem, body) = mine[rng.gen_range(0..mine.len())].clone();
                    let r = app.post_idem_at(base, &path, &key, &idem, &body).await;
                    assert!(
                        r.status().is_client_error()
                            || r.headers().get("idempotent-replayed").is_some(),
                        "{}",
                        r.status()
                    );
                    tally.lock().await.replays += 1;
                    continue;
                } else if roll < 60 {
                    let amount = if roll < 55 {
                        rng.gen_range(1..3_000)
                    } else {
                        rng.gen_range(60_000..90_000)
                    };
                    (
                        "app_debit",
                        format!("/api/v1/apps/users/{}/debits", users[u]),
                        key.clone(),
                        format!("c{client}-d{}", rng.r#gen::<u64>()),
                        json!({ "amount_mc": amount }),
                    )
                } else if roll < 85 {
                    let picked = {
                        let d = debits.lock().await;
                        (!d.is_empty()).then(|| d[rng.gen_range(0..d.len())].clone())
                    };
                    let Some((du, debit_id)) = picked else {
                        continue;
                    };
                    (
                        "app_refund",
                        format!("/api/v1/apps/users/{}/refunds", users[du]),
                        key.clone(),
                        format!("c{client}-r{}", rng.r#gen::<u64>()),
                        json!({ "debit_id": debit_id, "amount_mc": rng.gen_range(1..1_500) }),
                    )
                } else {
                    let amount: i64 = rng.gen_range(-4_000..6_000);
                    let amount = if amount == 0 { 1 } else { amount };
                    (
                        "admin_adjustment",
                        format!("/api/v1/admin/users/{}/adjustments", users[u]),
                        admin_token.clone(),
                        format!("c{client}-a{}", rng.r#gen::<u64>()),
                        json!({ "amount_mc": amount, "reason": "load" }),
                    )
                };
                let r = app.post_idem_at(base, &path, &token, &idem, &body).await;
                let status = r.status();
                if status == StatusCode::CREATED {
                    let v: Value = r.json().await.unwrap();
                    if kind == "app_debit" {
                        debits
                            .lock()
                            .await
                            .push((u, v["debit_id"].as_str().unwrap().to_owned()));
                    }
                    tally
                        .lock()
                        .await
                        .applied
                        .entry(kind)
                        .or_default()
                        .push(idem.clone());
                    if kind != "admin_adjustment" {
                        mine.push((path, idem, body));
                    }
                } else {
                    assert!(
                        [
                            StatusCode::PAYMENT_REQUIRED,
                            StatusCode::UNPROCESSABLE_ENTITY
                        ]
                        .contains(&status),
                        "unexpected {status} for {kind}: {}",
                        r.text().await.unwrap_or_default()
                    );
                    tally.lock().await.refused += 1;
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let tally = tally.lock().await;
    for kind in ["app_debit", "app_refund", "admin_adjustment"] {
        let successes = tally.applied.get(kind).map_or(0, Vec::len) as i64;
        let entries = app
            .count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = '{kind}'"
            ))
            .await;
        assert_eq!(
            successes, entries,
            "every {kind} success is one entry, and no other"
        );
    }
    assert!(
        tally.replays > operations / 40 && tally.refused > operations / 200,
        "the mix exercised replays ({}) and refusals ({})",
        tally.replays,
        tally.refused
    );
    // No debit was refunded beyond itself.
    let over = app
        .count(
            "SELECT COUNT(*) FROM ledger_entries d WHERE d.kind = 'app_debit' AND \
             -d.amount_mc < (SELECT COALESCE(SUM(r.amount_mc), 0) FROM ledger_entries r WHERE r.related_entry_id = d.id)",
        )
        .await;
    assert_eq!(over, 0);
    app.assert_ledger_consistent().await;
}
