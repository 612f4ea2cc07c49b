//! After the chaos: the books (read from the cluster's database with psql) against what the
//! clients saw, as rows of a table.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use penora_domain::{billable_words_of, cost_mc, Multiplier};

use super::streams::{Attempt, Plan, Record};
use super::Faults;
use crate::harness;

pub struct Row {
    pub check: String,
    pub expected: String,
    pub observed: String,
    pub ok: bool,
}

impl Row {
    pub fn new(
        check: &str,
        expected: impl Into<String>,
        observed: impl Into<String>,
        ok: bool,
    ) -> Self {
        Self {
            check: check.to_owned(),
            expected: expected.into(),
            observed: observed.into(),
            ok,
        }
    }

    fn zero(check: &str, observed: i64) -> Self {
        Self::new(check, "0", observed.to_string(), observed == 0)
    }
}

fn psql(url: &str, sql: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let out = harness::output(Command::new("psql").arg(url).args([
        "-v",
        "ON_ERROR_STOP=1",
        "-At",
        "-F",
        "|",
        "-c",
        sql,
    ]))?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .map(|l| l.split('|').map(str::to_owned).collect())
        .collect())
}

fn number(url: &str, sql: &str) -> anyhow::Result<i64> {
    let rows = psql(url, sql)?;
    let cell = rows
        .first()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    Ok(cell.parse()?)
}

/// Waits until no hold is open (the sweeper settles a killed replica's); how long it took.
pub fn wait_settled(url: &str, at_most_ms: u64) -> anyhow::Result<Duration> {
    let began = Instant::now();
    while began.elapsed() < Duration::from_millis(at_most_ms) {
        if number(url, "SELECT COUNT(*) FROM holds WHERE state = 'open'")? == 0 {
            return Ok(began.elapsed());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(began.elapsed())
}

pub fn all(
    url: &str,
    records: &[Record],
    faults: &Faults,
    bound: u64,
    settled: Duration,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = vec![
        Row::new(
            "holds open after grace + sweep",
            "0",
            format!(
                "{} (waited {:.1} s)",
                number(url, "SELECT COUNT(*) FROM holds WHERE state = 'open'")?,
                settled.as_secs_f64()
            ),
            number(url, "SELECT COUNT(*) FROM holds WHERE state = 'open'")? == 0,
        ),
        Row::zero(
            "generations still running",
            number(url, "SELECT COUNT(*) FROM generations WHERE status = 'running'")?,
        ),
        Row::zero(
            "generation slots still taken",
            number(url, "SELECT COALESCE(SUM(active_generations), 0) FROM users")?,
        ),
        Row::zero(
            "users whose balance != sum of their ledger",
            number(url, "SELECT COUNT(*) FROM users u WHERE balance_mc <> \
                (SELECT COALESCE(SUM(amount_mc), 0) FROM ledger_entries l WHERE l.user_id = u.id)")?,
        ),
        Row::zero(
            "users whose reserved != sum of open holds",
            number(url, "SELECT COUNT(*) FROM users u WHERE reserved_mc <> (SELECT \
                COALESCE(SUM(amount_mc), 0) FROM holds h WHERE h.user_id = u.id AND h.state = 'open')")?,
        ),
        Row::zero(
            "generations whose cost != their ledger charge",
            number(url, "SELECT COUNT(*) FROM generations g LEFT JOIN ledger_entries l \
                ON l.reference = 'hold:' || g.hold_id::text WHERE g.cost_mc <> COALESCE(-l.amount_mc, 0)")?,
        ),
        Row::zero(
            "credits created or lost (sum of balances - (welcomes - costs))",
            number(url, "SELECT (SELECT SUM(balance_mc) FROM users) - ((SELECT COALESCE(SUM(amount_mc), 0) \
                FROM ledger_entries WHERE kind = 'welcome') - (SELECT COALESCE(SUM(cost_mc), 0) FROM generations))")?,
        ),
    ];
    let generations = psql(
        url,
        "SELECT id, words, cost_mc, status, hold_id FROM generations",
    )?;
    let stored: HashMap<String, (u64, i64)> = generations
        .iter()
        .filter_map(|r| {
            Some((
                r.first()?.clone(),
                (r.get(1)?.parse().ok()?, r.get(2)?.parse().ok()?),
            ))
        })
        .collect();
    // Every model in the cluster's catalog is priced at 1x.
    let one_x = Multiplier::per_mille(1000).map_err(anyhow::Error::msg)?;
    let mispriced: Vec<String> = generations
        .iter()
        .filter(|r| {
            let words = r.get(1).and_then(|w| w.parse().ok()).unwrap_or(0);
            r.get(2).and_then(|c| c.parse().ok()) != Some(cost_mc(words, one_x).get())
        })
        .map(|r| r.join(" "))
        .collect();
    if !mispriced.is_empty() {
        eprintln!("mispriced (id words cost status hold): {mispriced:#?}");
    }
    rows.push(Row::new(
        "generations whose cost != price of their billed words",
        "0",
        mispriced.len().to_string(),
        mispriced.is_empty(),
    ));
    rows.extend(billing_rows(records, &stored, bound));
    rows.extend(answer_rows(records, faults));
    Ok(rows)
}

/// Billed words against the words each client received.
fn billing_rows(records: &[Record], stored: &HashMap<String, (u64, i64)>, bound: u64) -> Vec<Row> {
    let (mut read, mut read_bad, mut cancelled, mut cancelled_bad) = (0, 0, 0, 0);
    let (mut left, mut left_bad, mut cut, mut cut_bad, mut missing) = (0, 0, 0, 0, 0);
    let mut seen = std::collections::HashSet::new();
    for record in records {
        for (n, attempt) in record.attempts.iter().enumerate() {
            let Some(id) = attempt
                .id
                .as_ref()
                .filter(|_| attempt.status == 200 && !attempt.replayed)
            else {
                continue;
            };
            seen.insert(id.clone());
            let Some(&(billed, _)) = stored.get(id) else {
                missing += 1;
                continue;
            };
            let received = billable_words_of(&attempt.text);
            if attempt.end.is_some() {
                if n == 0 && record.plan == Plan::Cancel {
                    cancelled += 1;
                    cancelled_bad += usize::from(billed != received);
                } else {
                    read += 1;
                    read_bad += usize::from(billed != received);
                }
            } else if attempt.cut {
                cut += 1;
                cut_bad += usize::from(billed > received || received - billed > bound);
            } else {
                left += 1;
                left_bad += usize::from(billed < received);
            }
        }
    }
    let unseen: Vec<_> = stored
        .iter()
        .filter(|(id, _)| !seen.contains(*id))
        .collect();
    let unseen_billed = unseen.iter().filter(|(_, (words, _))| *words > 0).count();
    vec![
        Row::new(
            "streams read to the end: billed = received words",
            "0 differ",
            format!("{read_bad} of {read} differ"),
            read_bad == 0 && missing == 0,
        ),
        Row::new(
            "cancelled streams (read to their end): billed = received",
            "0 differ",
            format!("{cancelled_bad} of {cancelled} differ"),
            cancelled_bad == 0,
        ),
        Row::new(
            "clients that walked away: billed >= received",
            "0 below",
            format!("{left_bad} of {left} below"),
            left_bad == 0,
        ),
        Row::new(
            &format!("streams cut by the kill: 0 <= received - billed <= {bound}"),
            "0 outside",
            format!("{cut_bad} of {cut} outside"),
            cut_bad == 0,
        ),
        Row::new(
            "generations no client saw start: billed 0 words",
            "0 billed",
            format!("{unseen_billed} of {} billed", unseen.len()),
            unseen_billed == 0,
        ),
    ]
}

/// 5xx answers and retries with the same Idempotency-Key.
fn answer_rows(records: &[Record], faults: &Faults) -> Vec<Row> {
    let second = Duration::from_secs(1);
    let expected = |a: &Attempt| match a.status {
        503 => {
            a.code == "service_unavailable"
                && a.at + second >= faults.pg_restart
                && a.at <= faults.pg_back + 10 * second
        }
        502 => a.at <= faults.kill + 2 * second,
        _ => true,
    };
    let attempts = || records.iter().flat_map(|r| r.attempts.iter());
    let count = |status: u16| attempts().filter(|a| a.status == status).count();
    let unexpected: Vec<String> = attempts()
        .filter(|a| a.status >= 500 && !expected(a))
        .map(|a| format!("{} {} at {:.1}s", a.status, a.code, a.at.as_secs_f64()))
        .chain(records.iter().filter_map(|r| {
            r.cancel_status
                .filter(|s| *s >= 500)
                .map(|s| format!("cancel {s}"))
        }))
        .collect();
    let retried: Vec<&Record> = records.iter().filter(|r| r.attempts.len() > 1).collect();
    let clean = |r: &&&Record| {
        let (first, last) = (&r.attempts[0], &r.attempts[r.attempts.len() - 1]);
        last.status == 200
            && if last.replayed {
                first.id.is_none() || last.id == first.id
            } else {
                last.end.is_some()
            }
    };
    let good = retried.iter().filter(clean).count();
    vec![
        Row::new(
            &format!(
                "5xx besides 503 in the restart / 502 at the kill ({}x503, {}x502)",
                count(503),
                count(502)
            ),
            "none",
            if unexpected.is_empty() {
                "none".to_owned()
            } else {
                unexpected.join(", ")
            },
            unexpected.is_empty(),
        ),
        Row::new(
            "retries (same Idempotency-Key): first result or clean new start",
            format!("{} of {}", retried.len(), retried.len()),
            format!("{good} of {}", retried.len()),
            good == retried.len(),
        ),
    ]
}

pub fn print(table: &[Row], records: &[Record], faults: &Faults, limits: &[Row]) {
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for attempt in records.iter().flat_map(|r| r.attempts.iter()) {
        let what = match (&attempt.end, attempt.cut, attempt.replayed) {
            (_, _, true) => format!("{} replayed", attempt.status),
            (Some(end), _, _) => format!("{} {end}", attempt.status),
            (None, true, _) => format!("{} cut", attempt.status),
            (None, false, _) if attempt.status == 200 => "200 left by client".to_owned(),
            _ => format!("{} {}", attempt.status, attempt.code),
        };
        *outcomes.entry(what).or_default() += 1;
    }
    let mut outcomes: Vec<_> = outcomes.into_iter().collect();
    outcomes.sort();
    println!("\nchaos: {} streams through nginx", records.len());
    println!(
        "faults: kill -9 replica 2 at {:.1}s, back at {:.1}s; PostgreSQL restart {:.1}s-{:.1}s; \
         upstream faults by model (stall, reset, no end, 503); cancels and disconnects by client",
        faults.kill.as_secs_f64(),
        faults.replica_back.as_secs_f64(),
        faults.pg_restart.as_secs_f64(),
        faults.pg_back.as_secs_f64()
    );
    let outcomes: Vec<String> = outcomes.iter().map(|(k, v)| format!("{v}x {k}")).collect();
    println!("answers: {}\n", outcomes.join(", "));
    println!(
        "| {:<66} | {:<22} | {:<26} | ok |",
        "check", "expected", "observed"
    );
    println!(
        "|{}|{}|{}|----|",
        "-".repeat(68),
        "-".repeat(24),
        "-".repeat(28)
    );
    for row in table.iter().chain(limits) {
        println!(
            "| {:<66} | {:<22} | {:<26} | {} |",
            row.check,
            row.expected,
            row.observed,
            if row.ok { "ok" } else { "NO" }
        );
    }
}
