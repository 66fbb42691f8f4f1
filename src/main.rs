use std::{net::SocketAddr, path::PathBuf};

use adelante::{AppState, Config, app, jobs, observability, tenancy, tenants};
use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use tokio::sync::watch;

/// Adelante: the backend for beauty salons.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API (with the background worker unless --no-worker).
    Serve {
        #[arg(long)]
        no_worker: bool,
    },
    /// Run the background worker only.
    Worker,
    /// Create the database roles and the database if missing (needs DATABASE_SUPERUSER_URL).
    Bootstrap,
    /// Apply migrations, then policies and grants.
    Migrate,
    /// Apply every salon definition in a folder (default: tenants/).
    Seed {
        #[arg(default_value = "tenants")]
        dir: PathBuf,
    },
    /// Salon provisioning.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// The job queue: jobs that ran out of attempts, and running them again.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum JobsAction {
    /// The queue's size and the jobs that failed for good, the latest first.
    Failed {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Gives failed jobs a fresh set of attempts, due now.
    Retry {
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

#[derive(Subcommand)]
enum TenantAction {
    /// Create the salon a definition file describes.
    Apply { file: PathBuf },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        println!("{}", app::openapi().to_pretty_json()?);
        return Ok(());
    }
    // A missing .env is fine (the environment is the configuration); a malformed one is not:
    // dotenvy stops at the first line it cannot parse, silently dropping every setting after it.
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(err) if err.not_found() => {}
        Err(err) => anyhow::bail!(".env: {err}"),
    }
    let config = Config::from_env().map_err(|problems| anyhow::anyhow!(problems))?;
    observability::init_tracing(config.log_format);

    match cli.command {
        Command::Openapi => unreachable!("handled above"),
        Command::Bootstrap => tenancy::setup::bootstrap(&config).await?,
        Command::Migrate => {
            tenancy::setup::migrate(config.database_owner_url.expose_secret()).await?;
            tracing::info!("migrations and policies applied");
        }
        Command::Seed { dir } => seed(config, &dir).await?,
        Command::Tenant { action: TenantAction::Apply { file } } => {
            let state = AppState::connect(config).await?;
            report(tenants::apply_file(&state.platform, &file).await?);
        }
        Command::Worker => {
            tenancy::setup::check_server_role(config.database_url.expose_secret()).await?;
            let state = AppState::connect(config).await?;
            let (stop, stopped) = watch::channel(false);
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = stop.send(true);
            });
            app::run_worker(state, stopped).await?;
        }
        Command::Serve { no_worker } => serve(config, !no_worker).await?,
        Command::Jobs { action } => operate_jobs(&config, action).await?,
    }
    Ok(())
}

async fn serve(config: Config, with_worker: bool) -> anyhow::Result<()> {
    let bind = config.bind;
    tenancy::setup::check_server_role(config.database_url.expose_secret()).await?;
    let state = AppState::connect(config).await?;
    let (stop, stopped) = watch::channel(false);
    let worker = with_worker.then(|| tokio::spawn(app::run_worker(state.clone(), stopped)));
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("binding {bind}"))?;
    tracing::info!(%bind, worker = with_worker, "serving");
    if state.telegram.platform().is_some() {
        // Not fatal: sign-in with Telegram on the bare domain waits until Telegram is reachable.
        let (api, public_url) = (state.telegram.clone(), state.config.public_url.clone());
        tokio::spawn(async move {
            match adelante::telegram::register_platform_bot(&api, &public_url).await {
                Ok(()) => tracing::info!("the platform bot's webhook is set"),
                Err(e) => tracing::warn!(error = %e, "could not set the platform bot's webhook"),
            }
        });
    }
    if let Some(addr) = state.config.metrics_bind {
        let metrics = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        tracing::info!(%addr, "serving /metrics");
        let app = app::metrics_app(state.clone());
        tokio::spawn(async move { axum::serve(metrics, app).await });
    }
    axum::serve(listener, app::app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop.send(true);
    if let Some(worker) = worker {
        worker.await??;
    }
    Ok(())
}

async fn operate_jobs(config: &Config, action: JobsAction) -> anyhow::Result<()> {
    let pool = sqlx::PgPool::connect(config.database_url.expose_secret()).await.context("database")?;
    match action {
        JobsAction::Failed { limit } => {
            let stats = jobs::admin::queue_stats(&pool).await?;
            println!(
                "queued {}, running {}, failed {}, oldest due job waiting {:.0} s",
                stats.queued, stats.running, stats.failed, stats.oldest_due_seconds
            );
            for job in jobs::admin::failed(&pool, limit).await? {
                let salon = job.salon.map_or_else(|| "-".to_owned(), |s| s.to_string());
                let error = job.last_error.unwrap_or_default();
                let error = error.lines().next().unwrap_or_default();
                println!("{}\t{}\tsalon {salon}\t{} attempts\t{}\t{error}", job.id, job.kind, job.attempts, job.updated_at.to_rfc3339());
            }
        }
        JobsAction::Retry { ids } => {
            let retried = jobs::admin::retry(&pool, &ids).await?;
            println!("retried {} of {} job(s): {retried:?}", retried.len(), ids.len());
            if retried.len() != ids.len() {
                println!("the others are not failed jobs (unknown, done, still queued or running)");
            }
        }
    }
    Ok(())
}

async fn seed(config: Config, dir: &std::path::Path) -> anyhow::Result<()> {
    let state = AppState::connect(config).await?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for file in files {
        report(tenants::apply_file(&state.platform, &file).await?);
    }
    Ok(())
}

fn report((applied, spec): (tenants::Applied, tenants::TenantFile)) {
    match applied {
        tenants::Applied::Created { slug } => {
            println!("created salon {slug}: sign in as {} / {}", spec.admin.email, spec.admin.password)
        }
        tenants::Applied::Exists { slug } => println!("salon {slug} exists: sign in as {}", spec.admin.email),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
