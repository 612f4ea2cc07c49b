//! Limits that protect money or accounts, counted in the database so every replica meets
//! the same counter (DESIGN.md, "Several replicas"): per-window counts in `rate_limit_hits`,
//! read as a sliding window (the current window plus the overlapping part of the previous).
//!
//! Bucket names are bounded whatever the request held: a client is its [`ClientIp::rate_key`]
//! (an IPv6 client is its /64), an email is a SHA-256 prefix (which also keeps addresses out
//! of the counters). Windows are at most an hour long: the sweeper forgets windows that
//! started over two hours ago ([`crate::shares::purge_counters`]).

use penora_domain::{ClientIp, Email, UserId};
use penora_store::{rate_limits, ConnectionTrait, DbErr};

/// What a caller is counted under.
pub enum Bucket<'a> {
    /// Sign-ups (each with its welcome bonus) from one client.
    Signup(&'a ClientIp),
    /// Sign-in attempts from one client, whatever the email.
    LoginIp(&'a ClientIp),
    /// Sign-in attempts for one email from one client.
    LoginEmailIp(&'a Email, &'a ClientIp),
    /// Sign-in attempts for one email from one client, counted by the hour.
    LoginEmailIpHourly(&'a Email, &'a ClientIp),
    /// Sign-in attempts for one email from anywhere (the ceiling).
    LoginEmail(&'a Email),
    /// Password checks behind a session (`POST /me/password`, `DELETE /me`).
    PasswordChecks(UserId),
    /// Share-code look-ups and shared exports from one client.
    ShareLookup(&'a ClientIp),
    /// Generations a user starts through the app (any of their sessions).
    GenerationsByUser(UserId),
    /// Generations started with one personal API key.
    GenerationsByKey(uuid::Uuid),
    /// Orders and subscriptions one user starts (each makes an object at the gateway).
    Checkouts(UserId),
    /// Verification and reset mails to one address, so nobody can mail-bomb an inbox.
    MailToAddress(&'a Email),
}

impl Bucket<'_> {
    fn name(&self) -> String {
        match self {
            Bucket::Signup(ip) => format!("signup:{}", ip.rate_key()),
            Bucket::LoginIp(ip) => format!("login-ip:{}", ip.rate_key()),
            Bucket::LoginEmailIp(email, ip) => {
                format!("login-email-ip:{}:{}", email_key(email), ip.rate_key())
            }
            Bucket::LoginEmailIpHourly(email, ip) => {
                format!("login-email-ip-h:{}:{}", email_key(email), ip.rate_key())
            }
            Bucket::LoginEmail(email) => format!("login-email:{}", email_key(email)),
            Bucket::PasswordChecks(user) => format!("password:{user}"),
            // The name share look-ups have always counted under.
            Bucket::ShareLookup(ip) => format!("share:{}", ip.rate_key()),
            Bucket::GenerationsByUser(user) => format!("gen-user:{user}"),
            Bucket::GenerationsByKey(key) => format!("gen-key:{key}"),
            Bucket::Checkouts(user) => format!("checkout:{user}"),
            Bucket::MailToAddress(email) => format!("mail:{}", email_key(email)),
        }
    }
}

/// 128 bits of SHA-256 of the (already normalised) address, as hex.
fn email_key(email: &Email) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, email.as_str().as_bytes());
    digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `max` hits per window of `window_secs` (at most 3600).
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    max: u32,
    window_secs: i64,
}

impl Limit {
    pub fn per_minute(max: u32) -> Self {
        Self {
            max,
            window_secs: 60,
        }
    }

    pub fn per_hour(max: u32) -> Self {
        Self {
            max,
            window_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: whole seconds until the window ends (at least 1).
    Wait(u64),
}

/// Counts one hit (refused ones too, so hammering never earns a fresh window early) and
/// says whether it was within the limit.
#[tracing::instrument(name = "services::limits::hit", skip_all)]
pub async fn hit(
    db: &impl ConnectionTrait,
    bucket: Bucket<'_>,
    limit: Limit,
) -> Result<Verdict, DbErr> {
    let now = penora_store::now().timestamp();
    let window = now - now.rem_euclid(limit.window_secs);
    let name = bucket.name();
    let current = rate_limits::hit(db, &name, window).await?;
    let previous = if current > i64::from(limit.max) {
        0
    } else {
        rate_limits::hits(db, &name, window - limit.window_secs).await?
    };
    Ok(verdict(limit, previous, current, now - window))
}

/// Whether the hits already counted are within `limit`, without counting one: a caller
/// refused by a lower limit asks again with a higher one its plan gives it.
pub async fn check(
    db: &impl ConnectionTrait,
    bucket: Bucket<'_>,
    limit: Limit,
) -> Result<Verdict, DbErr> {
    let now = penora_store::now().timestamp();
    let window = now - now.rem_euclid(limit.window_secs);
    let name = bucket.name();
    let current = rate_limits::hits(db, &name, window).await?;
    let previous = rate_limits::hits(db, &name, window - limit.window_secs).await?;
    Ok(verdict(limit, previous, current, now - window))
}

/// A sliding window estimated from two fixed ones: the previous window's hits count for the
/// part of it still inside the last `window_secs`. Fixed windows alone let twice the limit
/// through around a boundary (and reset a limit a moment after it bit).
fn verdict(limit: Limit, previous: i64, current: i64, elapsed: i64) -> Verdict {
    let w = limit.window_secs;
    let max = i64::from(limit.max);
    // Scaled by `w` to stay in integers: estimate × w = previous × (w − elapsed) + current × w.
    if previous * (w - elapsed) + current * w <= max * w {
        return Verdict::Allowed;
    }
    let wait = if current > max {
        // The current window alone is over: wait for it to end (it then slides away).
        w - elapsed
    } else {
        // The previous window's share must shrink to (max − current): at elapsed e with
        // previous × (w − e) ≤ (max − current) × w.
        let e = w - ((max - current) * w) / previous.max(1);
        e - elapsed
    };
    Verdict::Wait(u64::try_from(wait).unwrap_or(1).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_window_counts_for_what_is_left_of_it() {
        let limit = Limit::per_minute(3);
        assert_eq!(verdict(limit, 0, 3, 10), Verdict::Allowed);
        assert_eq!(verdict(limit, 0, 4, 10), Verdict::Wait(50));
        // Three hits just before the boundary still count just after it.
        assert_eq!(verdict(limit, 3, 1, 1), Verdict::Wait(19));
        assert_eq!(verdict(limit, 3, 1, 40), Verdict::Allowed);
        assert_eq!(verdict(limit, 3, 1, 20), Verdict::Allowed);
        assert_eq!(verdict(Limit::per_hour(0), 0, 1, 0), Verdict::Wait(3600));
    }

    #[test]
    fn bucket_names_are_bounded() -> Result<(), penora_domain::FieldError> {
        let long = format!("{}@example.com", "a".repeat(60));
        let email = Email::parse(&long)?;
        let ip = ClientIp::new(std::net::IpAddr::V6(std::net::Ipv6Addr::new(
            0xffff, 0xffff, 0xffff, 0xffff, 1, 2, 3, 4,
        )));
        let name = Bucket::LoginEmailIp(&email, &ip).name();
        assert_eq!(
            name,
            format!(
                "login-email-ip:{}:ffff:ffff:ffff:ffff::/64",
                email_key(&email)
            )
        );
        assert!(name.len() <= 80, "{name}");
        Ok(())
    }
}
