//! Background imports. The request stores the job with the uploaded file
//! (`client_import_jobs`, status `queued`), commits, and starts a task in this process that
//! claims the job (`running`), writes every row in one transaction of its own and marks the
//! job `completed` in that same transaction, so the rows and the status commit together.
//! Progress is written by short separate transactions (readable while the import runs) and
//! pushed to the salon's sockets as `clients:import` events. Any failure rolls the import back
//! and marks the job `failed` with a message.
//!
//! A job whose heartbeat (`updated_at`, bumped after every batch) is older than
//! `job_store::STALE_AFTER_SECS` lost its task (the process stopped) and is marked failed the
//! next time anyone reads the salon's jobs or the worker sweeps. The worker also starts queued
//! jobs of salons this process has seen; finding queued jobs of every salon after a restart
//! needs a platform function that does not exist yet.

use std::{
    collections::HashSet,
    sync::{LazyLock, Mutex},
    time::Duration,
};

use bytes::Bytes;
use serde::Serialize;

use super::{
    ImportResult, Parsed, audit_import,
    job_store::{JobStatus, mark_stale, policy_of},
    parse_off_thread, result_of, write_all,
};
use crate::{
    cache::Versions,
    error::AppError,
    ids::UserId,
    realtime::{Event, Hub},
    tenancy::{AppDb, SalonClock, SalonId, TenantTx},
};

/// What an import task uses of the running process: the tenant pool, the data versions it
/// bumps when the rows commit, and the sockets it reports progress to.
#[derive(Clone)]
pub struct ImportParts {
    pub db: AppDb,
    pub versions: Versions,
    pub realtime: Hub,
}

/// Salons whose imports this process started (the worker's sweep visits them).
static SALONS: LazyLock<Mutex<HashSet<SalonId>>> = LazyLock::new(Default::default);
/// Jobs with a task in this process.
static RUNNING: LazyLock<Mutex<HashSet<(SalonId, i64)>>> = LazyLock::new(Default::default);

/// The `data` of a `clients:import` event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    job_id: i64,
    status: JobStatus,
    processed: usize,
    total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a ImportResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

/// Runs a queued job in a task of this process. `parsed` saves reading the file again when
/// the request has just read it.
pub fn start(state: ImportParts, salon: SalonId, job_id: i64, parsed: Option<Parsed>) {
    lock(&SALONS).insert(salon);
    if !lock(&RUNNING).insert((salon, job_id)) {
        return;
    }
    tokio::spawn(async move {
        let task = tokio::spawn(run(state.clone(), salon, job_id, parsed));
        if let Err(panic) = task.await {
            tracing::error!(salon.id = salon.get(), job.id = job_id, error = %panic, "client import task died");
            fail(&state, salon, job_id, "Імпорт перервано внутрішньою помилкою. Нічого не записано").await;
        }
        lock(&RUNNING).remove(&(salon, job_id));
    });
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn run(state: ImportParts, salon: SalonId, job_id: i64, parsed: Option<Parsed>) {
    if let Err(error) = execute(&state, salon, job_id, parsed).await {
        let message = match &error {
            AppError::BadRequest { message, .. } | AppError::Unprocessable { message, .. } => message.clone(),
            _ => "Імпорт не вдався через помилку сервера. Нічого не записано, спробуйте ще раз".to_owned(),
        };
        tracing::error!(salon.id = salon.get(), job.id = job_id, ?error, "client import failed");
        fail(&state, salon, job_id, &message).await;
    }
}

/// A tenant transaction, retried briefly when the pool is exhausted.
async fn begin(state: &ImportParts, salon: SalonId) -> Result<TenantTx, AppError> {
    let mut attempt = 0;
    loop {
        match state.db.begin(salon).await {
            Err(AppError::Db(sqlx::Error::PoolTimedOut)) if attempt < 3 => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
            }
            other => return other,
        }
    }
}

async fn execute(state: &ImportParts, salon: SalonId, job_id: i64, parsed: Option<Parsed>) -> Result<(), AppError> {
    let mut tx = begin(state, salon).await?;
    let claim = sqlx::query!(
        r#"update client_import_jobs set status = 'running', started_at = now(), updated_at = now()
         where id = $1 and status = 'queued'
         returning on_duplicate, total, case when $2 then file end as "file?", created_by as "created_by: UserId", file_name"#,
        job_id,
        parsed.is_none(),
    )
    .fetch_optional(tx.conn())
    .await?;
    let Some(claim) = claim else { return Ok(()) };
    let today = SalonClock::read(&mut tx).await?.today();
    tx.commit().await?;
    let total = usize::try_from(claim.total).unwrap_or(0);
    publish(state, salon, &Progress { job_id, status: JobStatus::Running, processed: 0, total, result: None, error: None })
        .await;

    let parsed = match parsed {
        Some(p) => p,
        None => parse_off_thread(Bytes::from(claim.file.unwrap_or_default()), today).await?,
    };
    let mut tx = begin(state, salon).await?;
    let reporter = Reporter { state, salon, job_id, total };
    let counts = write_all(&mut tx, &parsed, policy_of(&claim.on_duplicate), Some(&reporter)).await?;
    let result = result_of(&parsed, counts);
    audit_import(&mut tx, claim.created_by, None, Some(job_id), &claim.file_name, &result).await?;
    let finished = sqlx::query!(
        "update client_import_jobs
         set status = 'completed', processed = total, result = $2, file = null,
             finished_at = clock_timestamp(), updated_at = clock_timestamp()
         where id = $1 and status = 'running'",
        job_id,
        sqlx::types::Json(&result) as _,
    )
    .execute(tx.conn())
    .await?;
    if finished.rows_affected() != 1 {
        return Err(AppError::Internal(anyhow::anyhow!("import job {job_id} was retired while it ran")));
    }
    tx.commit().await?;
    // Written outside a request: retire the salon's cached reads here (see crate::cache).
    state.versions.bump(salon).await;
    let done = Progress { job_id, status: JobStatus::Completed, processed: total, total, result: Some(&result), error: None };
    publish(state, salon, &done).await;
    Ok(())
}

/// Where a running job records its progress.
pub struct Reporter<'a> {
    state: &'a ImportParts,
    salon: SalonId,
    job_id: i64,
    total: usize,
}

impl Reporter<'_> {
    /// Records and announces `done` rows; a failure here is logged, not fatal to the import.
    pub async fn step(&self, done: usize) {
        let Reporter { state, salon, job_id, total } = *self;
        progress(state, salon, job_id, done, total).await;
    }
}

async fn progress(state: &ImportParts, salon: SalonId, job_id: i64, done: usize, total: usize) {
    let written = async {
        let mut tx = begin(state, salon).await?;
        sqlx::query!(
            "update client_import_jobs set processed = $2, updated_at = now() where id = $1 and status = 'running'",
            job_id,
            i32::try_from(done).unwrap_or(i32::MAX),
        )
        .execute(tx.conn())
            .await?;
        tx.commit().await
    };
    if let Err(error) = written.await {
        tracing::warn!(salon.id = salon.get(), job.id = job_id, ?error, "client import progress not recorded");
    }
    let step = Progress { job_id, status: JobStatus::Running, processed: done, total, result: None, error: None };
    publish(state, salon, &step).await;
}

/// Marks the job failed (if it is still active) and announces it.
async fn fail(state: &ImportParts, salon: SalonId, job_id: i64, message: &str) {
    let marked = async {
        let mut tx = begin(state, salon).await?;
        let row = sqlx::query!(
            "update client_import_jobs
             set status = 'failed', error = $2, file = null, finished_at = now(), updated_at = now()
             where id = $1 and status in ('queued', 'running')
             returning processed, total",
            job_id,
            message,
        )
        .fetch_optional(tx.conn())
        .await?
        .map(|r| (r.processed, r.total));
        tx.commit().await?;
        Ok::<_, AppError>(row)
    };
    match marked.await {
        Ok(Some((processed, total))) => {
            let (processed, total) = (usize::try_from(processed).unwrap_or(0), usize::try_from(total).unwrap_or(0));
            let failed = Progress { job_id, status: JobStatus::Failed, processed, total, result: None, error: Some(message) };
            publish(state, salon, &failed).await;
        }
        Ok(None) => {}
        Err(error) => tracing::error!(salon.id = salon.get(), job.id = job_id, ?error, "could not mark a client import failed"),
    }
}

async fn publish(state: &ImportParts, salon: SalonId, progress: &Progress<'_>) {
    // For those who may start and follow an import (`GET /clients/import/{id}` asks the same).
    state.realtime.publish(salon, &Event::new("clients:import", progress).requires::<crate::clients::ClientsEdit>()).await;
}

/// The worker's pass over the salons whose imports this process started: retires stale jobs
/// (announcing them) and starts queued jobs that have no task here.
pub async fn sweep(state: &ImportParts) {
    let salons: Vec<SalonId> = lock(&SALONS).iter().copied().collect();
    for salon in salons {
        if let Err(error) = sweep_salon(state, salon).await {
            tracing::warn!(salon.id = salon.get(), ?error, "client import sweep failed");
        }
    }
}

async fn sweep_salon(state: &ImportParts, salon: SalonId) -> Result<(), AppError> {
    let mut tx = begin(state, salon).await?;
    let stale = mark_stale(&mut tx).await?;
    let queued: Vec<i64> = sqlx::query_scalar!("select id from client_import_jobs where status = 'queued'")
        .fetch_all(tx.conn())
        .await?;
    let running: bool =
        sqlx::query_scalar!(r#"select exists (select 1 from client_import_jobs where status = 'running') as "exists!""#)
        .fetch_one(tx.conn())
        .await?;
    tx.commit().await?;
    for job_id in stale {
        let failed = Progress {
            job_id, status: JobStatus::Failed, processed: 0, total: 0, result: None,
            error: Some("Імпорт перервано: сервер зупинився під час роботи. Нічого не записано"),
        };
        publish(state, salon, &failed).await;
    }
    for &job_id in &queued {
        start(state.clone(), salon, job_id, None);
    }
    if queued.is_empty() && !running {
        lock(&SALONS).remove(&salon);
    }
    Ok(())
}
