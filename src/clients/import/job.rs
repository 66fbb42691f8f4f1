//! Background imports. The request stores the import (`client_import_jobs`, status `queued`,
//! with the uploaded file) and enqueues a [`ClientImport`] job in the same transaction. The
//! worker claims the import (`running`), writes every row in one transaction of its own and
//! marks the import `completed` in that same transaction, so the rows and the status commit
//! together. Progress is written by short separate transactions (readable while the import
//! runs) and pushed to the salon's sockets as `clients:import` events. A failure rolls the
//! import back and marks it `failed` with a message.
//!
//! A worker that dies mid-import leaves the import `running`: the queue hands the job to
//! another worker (`JOBS_RECOVERY_AFTER_SECONDS`), which starts it again from the stored file.
//! An import whose heartbeat (`updated_at`, bumped after every batch) is older than
//! `job_store::STALE_AFTER_SECS` is marked failed the next time anyone reads the salon's
//! imports, so a job the queue gave up on does not leave its import running forever.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{
    ImportResult, audit_import,
    job_store::{JobStatus, policy_of},
    parse_off_thread, result_of, write_all,
};
use crate::{
    cache::Versions,
    error::AppError,
    ids::UserId,
    jobs::{self, Job, Salon, When},
    realtime::{Event, Hub},
    tenancy::{SalonClock, TenantTx},
};

/// What an import job uses besides its salon's data: the data versions it bumps when the rows
/// commit, and the sockets it reports progress to.
#[derive(Clone)]
pub struct ImportParts {
    pub versions: Versions,
    pub realtime: Hub,
}

impl std::fmt::Debug for ImportParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImportParts")
    }
}

/// Runs the import `client_import_jobs.id`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientImport {
    pub import: i64,
}

impl ClientImport {
    /// Enqueues the import in the transaction that stored it.
    pub(super) async fn enqueue(tx: &mut TenantTx, import: i64) -> Result<(), AppError> {
        jobs::enqueue(tx, &ClientImport { import }, When::now()).await.map(drop)
    }
}

impl Job for ClientImport {
    const KIND: &'static str = "client_import";
    /// A failure is recorded on the import and not retried; only a worker that died (or a
    /// panic) has the queue run it again.
    const MAX_ATTEMPTS: i16 = 3;
    type Parts = ImportParts;

    async fn run(self, salon: &Salon, parts: &ImportParts) -> anyhow::Result<()> {
        let job = Running { parts, salon, job_id: self.import };
        if let Err(error) = job.execute().await {
            let message = match &error {
                AppError::BadRequest { message, .. } | AppError::Unprocessable { message, .. } => message.clone(),
                _ => "Імпорт не вдався через помилку сервера. Нічого не записано, спробуйте ще раз".to_owned(),
            };
            tracing::error!(job.id = self.import, ?error, "client import failed");
            job.fail(&message).await?;
        }
        Ok(())
    }
}

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

/// One import as a worker runs it.
#[derive(Clone, Copy)]
struct Running<'a> {
    parts: &'a ImportParts,
    salon: &'a Salon,
    job_id: i64,
}

impl Running<'_> {
    async fn execute(self) -> Result<(), AppError> {
        let Running { parts, salon, job_id } = self;
        let mut tx = salon.begin().await?;
        // `running` too: a worker that died left it so, and the queue runs one attempt at a time.
        let claim = sqlx::query!(
            r#"update client_import_jobs set status = 'running', started_at = now(), updated_at = now(), processed = 0
             where id = $1 and status in ('queued', 'running')
             returning on_duplicate, total, file, created_by as "created_by: UserId", file_name"#,
            job_id,
        )
        .fetch_optional(tx.conn())
        .await?;
        let Some(claim) = claim else { return Ok(()) };
        let today = SalonClock::read(&mut tx).await?.today();
        tx.commit().await?;
        let total = usize::try_from(claim.total).unwrap_or(0);
        self.publish(&Progress { job_id, status: JobStatus::Running, processed: 0, total, result: None, error: None })
            .await;

        let parsed = parse_off_thread(Bytes::from(claim.file.unwrap_or_default()), today).await?;
        let mut tx = salon.begin().await?;
        let reporter = Reporter { job: self, total };
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
        parts.versions.bump(salon.id()).await;
        let done = Progress { job_id, status: JobStatus::Completed, processed: total, total, result: Some(&result), error: None };
        self.publish(&done).await;
        Ok(())
    }

    /// Records and announces `done` rows of `total`; a failure here is logged, not fatal.
    async fn progress(self, done: usize, total: usize) {
        let Running { salon, job_id, .. } = self;
        let written = async {
            let mut tx = salon.begin().await?;
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
            tracing::warn!(job.id = job_id, ?error, "client import progress not recorded");
        }
        let step = Progress { job_id, status: JobStatus::Running, processed: done, total, result: None, error: None };
        self.publish(&step).await;
    }

    /// Marks the import failed (if it is still active) and announces it.
    async fn fail(self, message: &str) -> Result<(), AppError> {
        let Running { salon, job_id, .. } = self;
        let mut tx = salon.begin().await?;
        let row = sqlx::query!(
            "update client_import_jobs
             set status = 'failed', error = $2, file = null, finished_at = now(), updated_at = now()
             where id = $1 and status in ('queued', 'running')
             returning processed, total",
            job_id,
            message,
        )
        .fetch_optional(tx.conn())
        .await?;
        tx.commit().await?;
        if let Some(row) = row {
            let (processed, total) = (usize::try_from(row.processed).unwrap_or(0), usize::try_from(row.total).unwrap_or(0));
            let failed = Progress { job_id, status: JobStatus::Failed, processed, total, result: None, error: Some(message) };
            self.publish(&failed).await;
        }
        Ok(())
    }

    async fn publish(self, progress: &Progress<'_>) {
        // For those who may start and follow an import (`GET /clients/import/{id}` asks the same).
        let event = Event::new("clients:import", progress).requires::<crate::clients::ClientsEdit>();
        self.parts.realtime.publish(self.salon.id(), &event).await;
    }
}

/// Where a running job records its progress.
pub struct Reporter<'a> {
    job: Running<'a>,
    total: usize,
}

impl Reporter<'_> {
    /// Records and announces `done` rows; a failure here is logged, not fatal to the import.
    pub async fn step(&self, done: usize) {
        self.job.progress(done, self.total).await;
    }
}
