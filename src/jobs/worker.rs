//! The worker: takes due jobs from the queue and runs them, `JOBS_CONCURRENCY` at a time.
//!
//! Several workers (replicas, `adelante worker` beside `adelante serve`) share one queue: a
//! job is taken under a row lock, so no two run it at once. A worker that dies holding jobs
//! stops beating its heartbeat; after `JOBS_RECOVERY_AFTER_SECONDS` another worker takes them.

use std::{fmt, sync::Arc, time::Duration};

use graphile_worker::{
    Cron, LocalQueueConfig,     IntoTaskHandlerResult, JobComplete, JobCompleteContext, JobFail, JobFailContext, JobPermanentlyFail,
    JobPermanentlyFailContext, TaskHandler, Worker, WorkerContext, WorkerOptions,
    WorkerRecoveryConfig,
};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, postgres::PgConnectOptions};
use tokio::sync::watch;

use super::{Envelope, Job, Salon};
use crate::{
    config::Config,
    tenancy::{AppDb, PlatformDb, guarded_pool_options, setup::QUEUE_SCHEMA},
};

/// The job kinds a worker runs, each with the parts it needs. Built by the composition root.
pub struct Kinds {
    db: AppDb,
    platform: PlatformDb,
    register: Vec<Box<dyn Fn(WorkerOptions) -> WorkerOptions + Send + Sync>>,
}

impl Kinds {
    /// Housekeeping (expired sessions and links, finished jobs) is always registered.
    pub fn new(db: AppDb, platform: PlatformDb) -> Self {
        Self { db, platform, register: Vec::new() }
    }

    /// Runs jobs of kind `J` with `parts`.
    pub fn kind<J: Job>(mut self, parts: J::Parts) -> Self {
        self.register.push(Box::new(move |options: WorkerOptions| {
            options.define_job::<Envelope<J>>().add_extension(PartsOf::<J>(parts.clone()))
        }));
        self
    }

    fn options(&self, pool: PgPool, concurrency: usize) -> WorkerOptions {
        let options = WorkerOptions::default()
            .pg_pool(pool)
            .schema(QUEUE_SCHEMA)
            .concurrency(concurrency)
            .poll_interval(Duration::from_secs(2))
            // Jobs are fetched in batches into a local queue that the job slots drain: without
            // it a slot takes one job per notification or poll (4 per 2 s on four slots).
            // Unstarted jobs go back to the queue after a minute, for other workers.
            .local_queue(
                LocalQueueConfig::default().with_size(concurrency.saturating_mul(4)).with_ttl(Duration::from_secs(60)),
            )
            .add_extension(Tenants(self.db.clone()))
            .add_extension(Platform(self.platform.clone()))
            .define_job::<Housekeeping>()
            .on(JobComplete, |ctx: JobCompleteContext| async move {
                metrics::counter!("adelante_jobs_done_total", "kind" => ctx.job.task_identifier().clone()).increment(1);
                metrics::histogram!("adelante_job_duration_seconds", "kind" => ctx.job.task_identifier().clone())
                    .record(ctx.duration.as_secs_f64());
            })
            .on(JobFail, |ctx: JobFailContext| async move {
                let kind = ctx.job.task_identifier().clone();
                tracing::warn!(job = ctx.job.id(), %kind, attempt = ctx.job.attempts(), error = %ctx.error, will_retry = ctx.will_retry, "job failed");
                if ctx.will_retry {
                    metrics::counter!("adelante_jobs_retried_total", "kind" => kind).increment(1);
                }
            })
            .on(JobPermanentlyFail, |ctx: JobPermanentlyFailContext| async move {
                let kind = ctx.job.task_identifier().clone();
                tracing::error!(job = ctx.job.id(), %kind, error = %ctx.error, "job failed for good: `adelante jobs failed` lists it, `adelante jobs retry` runs it again");
                metrics::counter!("adelante_jobs_failed_total", "kind" => kind).increment(1);
            });
        let options = self.register.iter().fold(options, |options, register| register(options));
        options.with_cron(Cron::every_n_minutes::<Housekeeping>(10).expect("ten minutes is a valid step"))
    }
}

/// The worker's own pool: the app role, like the server, sized for the jobs it runs at once
/// plus its listener and bookkeeping.
async fn queue_pool(config: &Config) -> anyhow::Result<PgPool> {
    use secrecy::ExposeSecret;
    let options: PgConnectOptions = config.database_url.expose_secret().parse()?;
    let max = u32::try_from(config.jobs_concurrency).unwrap_or(u32::MAX).saturating_add(3);
    Ok(guarded_pool_options(max).connect_with(options.application_name("adelante-worker")).await?)
}

async fn build(config: &Config, kinds: &Kinds, shutdown: Option<watch::Receiver<bool>>) -> anyhow::Result<Worker> {
    let pool = queue_pool(config).await?;
    let recovery = config.jobs_recovery_after;
    let mut options = kinds
        .options(pool, config.jobs_concurrency)
        .listen_os_shutdown_signals(false)
        .worker_recovery(
            WorkerRecoveryConfig::default()
                .enabled(true)
                .heartbeat_interval(recovery / 3)
                .sweep_interval(recovery / 3)
                .sweep_threshold(recovery)
                .recovery_delay(Duration::from_secs(1)),
        );
    if let Some(mut shutdown) = shutdown {
        options = options.shutdown_signal(async move {
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    return;
                }
            }
        });
    }
    Ok(options.init().await?)
}

/// Runs jobs until `shutdown` turns true; jobs running then are given a grace period to end.
pub async fn run(config: Arc<Config>, kinds: Kinds, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let worker = build(&config, &kinds, Some(shutdown.clone())).await?;
    tracing::info!(concurrency = config.jobs_concurrency, "worker started");
    let gauges = tokio::spawn(report_queue(worker.pg_pool().clone(), shutdown));
    let result = worker.run().await;
    gauges.abort();
    tracing::info!("worker stopped");
    Ok(result?)
}

/// Runs every job due now, then returns (tests, and `adelante jobs run-due`).
pub async fn run_due(config: &Config, kinds: &Kinds) -> anyhow::Result<()> {
    let worker = build(config, kinds, None).await?;
    worker.run_once().await?;
    Ok(())
}

/// Every 15 s: the queue's gauges (a worker reports the whole queue, so a dashboard takes the
/// maximum over workers, not the sum).
async fn report_queue(pool: PgPool, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(15));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        match super::admin::queue_stats(&pool).await {
            Ok(stats) => {
                metrics::gauge!("adelante_jobs_queued").set(stats.queued as f64);
                metrics::gauge!("adelante_jobs_running").set(stats.running as f64);
                metrics::gauge!("adelante_jobs_failed").set(stats.failed as f64);
                metrics::gauge!("adelante_jobs_oldest_due_seconds").set(stats.oldest_due_seconds);
            }
            Err(error) => tracing::warn!(?error, "reading the queue's size failed"),
        }
    }
}

/// What a job of kind `J` was registered with.
struct PartsOf<J: Job>(J::Parts);

impl<J: Job> Clone for PartsOf<J> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<J: Job> fmt::Debug for PartsOf<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PartsOf").field(&J::KIND).finish()
    }
}

#[derive(Clone)]
struct Tenants(AppDb);

impl fmt::Debug for Tenants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Tenants")
    }
}

#[derive(Clone)]
struct Platform(PlatformDb);

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Platform")
    }
}

impl<J: Job> TaskHandler for Envelope<J> {
    const IDENTIFIER: &'static str = J::KIND;

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let Some(Tenants(db)) = ctx.get_ext::<Tenants>() else {
            return Err("the worker was built without the tenant database".to_owned());
        };
        let Some(PartsOf(parts)) = ctx.get_ext::<PartsOf<J>>() else {
            return Err(format!("kind {} was registered without its parts", J::KIND));
        };
        let salon = Salon { id: self.salon, db: db.clone() };
        let span = tracing::info_span!("job", kind = J::KIND, id = ctx.job().id(), salon = %self.salon);
        tracing::Instrument::instrument(self.job.run(&salon, parts), span)
            .await
            .map_err(|error| format!("{error:#}"))
    }
}

/// Every ten minutes on one worker: expired sessions, reset and invitation links, and jobs
/// finished long ago.
#[derive(Debug, Serialize, Deserialize)]
struct Housekeeping {}

impl TaskHandler for Housekeeping {
    const IDENTIFIER: &'static str = "housekeeping";

    async fn run(self, ctx: WorkerContext) -> impl IntoTaskHandlerResult {
        let Some(Platform(platform)) = ctx.get_ext::<Platform>() else {
            return Err("the worker was built without the platform database".to_owned());
        };
        match platform.purge_expired().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "expired sessions and links removed"),
            Err(error) => return Err(format!("purging expired sessions: {error}")),
        }
        Ok(())
    }
}
