//! The `penora` command line, run as a real process against a SQLite data dir.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn penora(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_penora"))
        .args(args)
        .env_clear()
        .env("PENORA_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run penora");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("penora output")
}

#[test]
fn admin_accounts_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("penora-cli-{}", uuid::Uuid::new_v4()));

    let migrate = penora(&dir, &["migrate"], None);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let created = penora(
        &dir,
        &[
            "admin",
            "create-admin",
            "--email",
            "Root@Example.com",
            "--password-stdin",
        ],
        Some("a long passphrase 9\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("Created admin root@example.com"));

    let again = penora(
        &dir,
        &["admin", "create-admin", "--email", "root@example.com"],
        None,
    );
    assert!(!again.status.success(), "an existing email is refused");

    let generated = penora(
        &dir,
        &["admin", "create-admin", "--email", "ops@example.com"],
        None,
    );
    let out = String::from_utf8_lossy(&generated.stdout);
    assert!(out.contains("Password (shown once): "), "{out}");

    let unknown = penora(
        &dir,
        &["admin", "grant-admin", "--email", "nobody@example.com"],
        None,
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account has the email"));

    let weak = penora(
        &dir,
        &[
            "admin",
            "create-admin",
            "--email",
            "w@example.com",
            "--password-stdin",
        ],
        Some("short"),
    );
    assert!(!weak.status.success());

    let openapi = penora(&dir, &["openapi"], None);
    let doc: serde_json::Value = serde_json::from_slice(&openapi.stdout).expect("openapi json");
    assert_eq!(doc["info"]["title"], "Penora API");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn billing_reconcile_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("penora-cli-{}", uuid::Uuid::new_v4()));
    let run = penora(&dir, &["admin", "billing", "reconcile"], None);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("Checked 0 open orders (0 credited now) and 0 subscriptions"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sso_token_prints_a_token_the_server_signs_in_with() {
    use crate::helpers::{spawn_sso_app, SSO_ISSUER, SSO_SECRET};
    let dir = std::env::temp_dir().join(format!("penora-cli-{}", uuid::Uuid::new_v4()));
    let mint = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_penora"));
        command
            .args([
                "admin",
                "sso-token",
                "--subject",
                "1234567890123456789012345678901234567890",
            ])
            .args(["--email", "cli-sso@example.com", "--name", "Cli User"])
            .args(extra)
            .env_clear()
            .env("PENORA_DATA_DIR", &dir)
            .env("RUST_LOG", "warn")
            .env("SUKUSUKU_SSO_ISSUER", SSO_ISSUER)
            .env("SUKUSUKU_SSO_SECRET", SSO_SECRET);
        command.output().expect("run penora")
    };
    let printed = mint(&[]);
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let token = String::from_utf8(printed.stdout).unwrap().trim().to_owned();
    // No database is needed to mint one.
    assert!(!dir.join("penora.db").exists());

    let app = spawn_sso_app(None).await;
    let session = app.sso_session(&token).await;
    assert_eq!(session.body["user"]["email"], "cli-sso@example.com");
    let for_imagegene = mint(&["--audience", "imagegene"]);
    let token = String::from_utf8(for_imagegene.stdout)
        .unwrap()
        .trim()
        .to_owned();
    let refused = app.sso_post(&token, None).await;
    assert_eq!(crate::helpers::refusal_of(&refused), "wrong_audience");
    let wrong = mint(&["--audience", "elsewhere"]);
    assert!(!wrong.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `penora healthcheck`: the container's HEALTHCHECK. Succeeds against a running server
/// (its ops listener, found from the same PENORA_* settings the server reads), fails
/// against a port where nothing answers. (Two threads: the check blocks one while the
/// server answers on the other.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_zero_only_when_the_server_answers() {
    let app = crate::helpers::spawn_app().await;
    let ops = app.ops_address.trim_start_matches("http://").to_owned();
    let check = |envs: &[(&str, &str)], args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_penora"));
        command.arg("healthcheck").args(args).env_clear();
        for (name, value) in envs {
            command.env(name, value);
        }
        command.output().expect("run penora healthcheck")
    };
    let up = check(&[("PENORA_OPS_BIND", &ops)], &[]);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let public = app.address.trim_start_matches("http://").to_owned();
    let by_address = check(&[], &["--address", &public]);
    assert!(by_address.status.success());

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let down = check(&[("PENORA_OPS_BIND", &closed)], &[]);
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("cannot connect"));
    // A wildcard port of 0 names no server to ask: a clear failure, not a hang.
    let unbound = check(&[("PENORA_OPS_BIND", "0.0.0.0:0")], &[]);
    assert_eq!(unbound.status.code(), Some(1));
}
