//! The `penora` command line: serve, migrate, print the OpenAPI document, and admin tasks.

use std::io::Read;

use anyhow::Context;
use clap::{Parser, Subcommand};
use penora_domain::{Email, Password, Role};

use crate::startup::{build_state, Application};
use penora_app::accounts;
use penora_app::config::MailMode;
use penora_app::config::{Config, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "penora",
    version,
    about = "Penora: write with AI. Configured by PENORA_* environment variables (see the README)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (and the browser app when PENORA_FRONTEND_DIR is set).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (commit it as openapi/openapi.json).
    Openapi,
    /// Exit 0 when this server answers `GET /health` with 200 (on PENORA_OPS_BIND, else
    /// PENORA_BIND), 1 otherwise: the container image's HEALTHCHECK.
    Healthcheck {
        /// Ask this `host:port` instead.
        #[arg(long)]
        address: Option<String>,
    },
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account with the admin role.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an existing account the admin role.
    GrantAdmin {
        #[arg(long)]
        email: String,
    },
    /// Issue an app key (server to server, e.g. ImageGene); prints the secret once.
    CreateAppKey {
        #[arg(long)]
        name: String,
        /// Comma-separated: users:read, credits:read, credits:write, projects:read,
        /// storage:write.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "users:read,credits:read,credits:write,projects:read,storage:write"
        )]
        scopes: Vec<String>,
    },
    /// Write a consistent backup of the whole database to FILE while servers keep running
    /// (SQLite: a copy of the file by `VACUUM INTO`; PostgreSQL: a `pg_dump` custom-format
    /// archive, needs pg_dump on PATH).
    Backup { file: std::path::PathBuf },
    /// Replace the whole database with the backup in FILE. Stop every server first: it
    /// refuses while the database is in use. SQLite keeps the replaced file as
    /// `<database>.pre-restore`; PostgreSQL runs `pg_restore --clean --if-exists
    /// --single-transaction` (needs pg_restore on PATH).
    Restore { file: std::path::PathBuf },
    /// Settle holds whose generations never finished (the server also does this by itself).
    SweepHolds,
    /// Print a single sign-on token as the main site makes one (HS256, signed with
    /// SUKUSUKU_SSO_SECRET, issuer SUKUSUKU_SSO_ISSUER): to try the hand-off, or to compare.
    SsoToken(SsoTokenArgs),
    /// Billing tasks.
    #[command(subcommand)]
    Billing(BillingCommand),
}

#[derive(Debug, clap::Args)]
pub struct SsoTokenArgs {
    /// The main site's id for the user (`sub`).
    #[arg(long)]
    subject: String,
    #[arg(long)]
    email: String,
    /// Claim the address is not verified (`email_verified: false`).
    #[arg(long)]
    unverified: bool,
    #[arg(long)]
    name: Option<String>,
    /// `penora`, or `imagegene` for ImageGene's resolve.
    #[arg(long, default_value = "penora")]
    audience: String,
    /// Seconds until it expires.
    #[arg(long, default_value_t = 300)]
    ttl_secs: u64,
}

#[derive(Debug, Subcommand)]
pub enum BillingCommand {
    /// Ask the gateway about open orders and ended plan periods whose webhook never came,
    /// and apply what it says (the server also does this every few minutes).
    Reconcile,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            print!("{}", crate::openapi::document()?);
            Ok(())
        }
        Command::Serve => serve().await,
        Command::Healthcheck { address } => {
            let settings = Settings::load()?;
            crate::healthcheck::check(crate::healthcheck::target(&settings, address.as_deref())?)
        }
        Command::Migrate => {
            let config = load()?;
            penora_store::migrate_url(&config.database_url).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        // Needs no database: only the configured issuer and secret.
        Command::Admin(AdminCommand::SsoToken(args)) => print_sso_token(&args),
        // Neither migrates nor opens a pool first: a restore needs the database to itself.
        Command::Admin(AdminCommand::Backup { file }) => {
            let config = load_for_command()?;
            let written = penora_store::backup::backup(&config.database_url, &file).await?;
            println!(
                "Backed up the database to {} ({}, {} bytes).",
                file.display(),
                written.format,
                written.bytes
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Restore { file }) => {
            let config = load_for_command()?;
            penora_store::backup::restore(&config.database_url, &file).await?;
            println!("Restored the database from {}.", file.display());
            Ok(())
        }
        Command::Admin(admin) => run_admin(admin).await,
    }
}

/// The configuration, with logs on standard output (the server's).
fn load() -> anyhow::Result<Config> {
    let settings = Settings::load()?;
    crate::telemetry::init(settings.log_format);
    resolve(settings)
}

/// The configuration, with logs on standard error: an admin command's standard output is
/// its answer alone.
fn load_for_command() -> anyhow::Result<Config> {
    let settings = Settings::load()?;
    crate::telemetry::init_to_stderr(settings.log_format);
    resolve(settings)
}

fn resolve(settings: Settings) -> anyhow::Result<Config> {
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("cannot create the data dir {}", settings.data_dir.display()))?;
    Ok(Config::resolve(settings)?)
}

async fn serve() -> anyhow::Result<()> {
    let config = load()?;
    match config.mail {
        MailMode::Outbox => {
            tracing::info!(outbox = %config.outbox_dir().display(), "no SMTP configured: mail goes to the outbox folder");
        }
        MailMode::Disabled => {
            tracing::warn!("mail is disabled: no email verification and no password reset");
        }
        MailMode::Smtp(_) => {}
    }
    let app = Application::build(config).await?;
    let settings = &app.state().config.settings;
    tracing::info!(
        port = app.port(),
        ops_port = app.ops_port(),
        database = penora_store::Backend::of(&app.state().db).as_str(),
        frontend = settings.frontend_dir.is_some(),
        "Penora is serving at {}",
        settings.public_url
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

fn print_sso_token(args: &SsoTokenArgs) -> anyhow::Result<()> {
    use penora_app::sign_in::sso::{self, Audience, Mint};
    let config = load_for_command()?;
    let sso_config = config.sso.context(
        "single sign-on is not configured: set SUKUSUKU_SSO_ISSUER and SUKUSUKU_SSO_SECRET",
    )?;
    let audience = match args.audience.as_str() {
        "penora" => Audience::Penora,
        "imagegene" => Audience::ImageGene,
        other => anyhow::bail!("--audience is {other:?}; use penora or imagegene"),
    };
    let subject = penora_domain::ExternalSubject::parse(&args.subject)?;
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!(e.message))?;
    let mint = Mint {
        subject: &subject,
        email: &email,
        email_verified: !args.unverified,
        name: args.name.as_deref(),
        audience,
        ttl: std::time::Duration::from_secs(args.ttl_secs),
    };
    let token = sso::mint_hs256(&sso_config, &mint).context(
        "SUKUSUKU_SSO_SECRET is not set (RS256 / ES256 tokens come from the main site's key)",
    )?;
    println!("{token}");
    Ok(())
}

async fn run_admin(command: AdminCommand) -> anyhow::Result<()> {
    let config = load_for_command()?;
    penora_store::migrate_url(&config.database_url).await?;
    let db = penora_store::connect(&config.database_url, 2).await?;
    let state = build_state(config, db)?;
    match command {
        AdminCommand::CreateAdmin {
            email,
            password_stdin,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!(e.message))?;
            let (password, generated) = if password_stdin {
                let mut raw = String::new();
                std::io::stdin().read_to_string(&mut raw)?;
                (raw.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (penora_app::auth::opaque::generate(), true)
            };
            let password =
                Password::parse(&password, Some(&email)).map_err(|e| anyhow::anyhow!(e.message))?;
            accounts::create_admin(&state, &email, &password).await?;
            println!("Created admin {email}.");
            if generated {
                println!("Password (shown once): {}", password.expose());
            }
        }
        AdminCommand::GrantAdmin { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!(e.message))?;
            if !penora_store::users::set_role(&state.db, &email, Role::Admin).await? {
                anyhow::bail!("no account has the email {email}");
            }
            penora_app::audit::record(
                &state.db,
                None,
                "admin.role_granted",
                Some(email.as_str()),
                &penora_app::audit::Origin::ip("cli"),
                serde_json::json!({ "role": Role::Admin.as_str() }),
            )
            .await;
            println!("{email} is now an admin.");
        }
        AdminCommand::CreateAppKey { name, scopes } => {
            use penora_app::api_keys::{self, KeyKind, KeySpec};
            let spec = KeySpec::parse(KeyKind::App, &name, Some(&scopes))
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let origin = penora_app::audit::Origin::ip("cli");
            let created = api_keys::issue(
                &state.db,
                &spec,
                None,
                None,
                "admin.app_key_created",
                &origin,
            )
            .await?;
            println!(
                "App key {} ({}) with scopes {}.",
                created.key.name,
                created.key.id,
                spec.scopes.join(" ")
            );
            println!("Secret (shown once): {}", created.secret);
        }
        AdminCommand::SsoToken(args) => print_sso_token(&args)?,
        // `run` handles them before a pool holds the database.
        AdminCommand::Backup { .. } | AdminCommand::Restore { .. } => {
            anyhow::bail!("backup and restore do not run with the database open")
        }
        AdminCommand::SweepHolds => {
            let settled = penora_app::holds::sweep(&state).await?;
            println!("Settled {settled} expired holds.");
        }
        AdminCommand::Billing(BillingCommand::Reconcile) => {
            let found = penora_app::billing::reconcile::run(&state).await?;
            println!(
                "Checked {} open orders ({} credited now) and {} subscriptions ({} periods granted now); {} gateway errors.",
                found.orders_checked,
                found.orders_credited,
                found.subscriptions_checked,
                found.subscriptions_granted,
                found.errors
            );
        }
    }
    Ok(())
}
