//! Inventory imports of more than [`BACKGROUND_ROWS`] data rows: the request stores the upload
//! (`inventory_import_jobs`, `queued`) and enqueues an [`InventoryImport`] in the same
//! transaction, then answers `202 {jobId, status, total}`. The worker writes every row in one
//! transaction and marks the import `completed` with its report in that same transaction;
//! progress goes to `GET /inventory/import/{jobId}` and to the salon's sockets as
//! `inventory:import` events. A failure rolls the rows back and marks the import `failed`. A
//! worker that dies mid-way leaves it `running`; the queue runs the job again from the stored
//! file.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    InventoryManage,
    import::{self, BACKGROUND_ROWS, ImportReport, Importer, OnDuplicate},
    stock,
};
use crate::{
    cache::Versions,
    error::AppError,
    ids::UserId,
    jobs::{self, Job, Salon, When},
    realtime::{Event, Hub},
    spreadsheet,
    tenancy::TenantTx,
};

/// Seconds without a heartbeat after which a running import is taken for dead (longer than the
/// queue waits before it gives a dead worker's job to another).
const STALE_AFTER_SECS: f64 = 120.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ImportStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

/// A background import as `GET /inventory/import/{jobId}` shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InventoryImportJob {
    pub job_id: i64,
    pub status: ImportStatus,
    pub file_name: String,
    pub on_duplicate: OnDuplicate,
    /// Data rows done (refused rows count as done).
    pub processed: i32,
    /// Data rows in the file.
    pub total: i32,
    /// Once `completed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ImportReport>,
    /// Once `failed`: why; nothing of the file was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// `202` for a background import.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportAccepted {
    pub job_id: i64,
    pub status: ImportStatus,
    /// Data rows in the file.
    pub total: usize,
}

/// What an import job uses besides its salon's data.
#[derive(Clone)]
pub struct InventoryImportParts {
    pub versions: Versions,
    pub realtime: Hub,
}

impl std::fmt::Debug for InventoryImportParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InventoryImportParts")
    }
}

/// Runs the import `inventory_import_jobs.id`.
#[derive(Debug, Serialize, Deserialize)]
pub struct InventoryImport {
    pub import: i64,
}

/// Stores the upload as a queued import and enqueues its job, in `tx`. 409 while another
/// import of the salon is queued or running.
pub(super) async fn start(
    tx: &mut TenantTx,
    user: Importer,
    file_name: &str,
    bytes: &[u8],
    total: usize,
    on_duplicate: OnDuplicate,
) -> Result<ImportAccepted, AppError> {
    mark_stale(tx).await?;
    let active = sqlx::query_scalar!("select id from inventory_import_jobs where status in ('queued', 'running')")
        .fetch_optional(tx.conn())
        .await?;
    if let Some(job_id) = active {
        return Err(AppError::ConflictWith {
            code: "import_in_progress",
            message: "Імпорт товарів уже виконується. Дочекайтеся його завершення".to_owned(),
            conflict: serde_json::json!({ "jobId": job_id }),
        });
    }
    let policy = match on_duplicate {
        OnDuplicate::Skip => "skip",
        OnDuplicate::Update => "update",
    };
    let job_id = sqlx::query_scalar!(
        "insert into inventory_import_jobs (on_duplicate, file_name, file, total, created_by, sees_cost)
         values ($1, $2, $3, $4, $5, $6) returning id",
        policy,
        file_name,
        bytes,
        i32::try_from(total).unwrap_or(i32::MAX),
        user.id as UserId,
        user.sees_cost,
    )
    .fetch_one(tx.conn())
    .await?;
    jobs::enqueue(tx, &InventoryImport { import: job_id }, When::now()).await?;
    Ok(ImportAccepted { job_id, status: ImportStatus::Queued, total })
}

/// The import `job_id` of the transaction's salon, after retiring stale ones.
pub(super) async fn find(tx: &mut TenantTx, job_id: i64) -> Result<Option<InventoryImportJob>, AppError> {
    mark_stale(tx).await?;
    let row = sqlx::query!(
        r#"select id, status as "status: ImportStatus", file_name, on_duplicate as "on_duplicate: OnDuplicate",
                  processed, total, result as "result: sqlx::types::Json<ImportReport>", error, created_at,
                  started_at, finished_at
           from inventory_import_jobs where id = $1"#,
        job_id,
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| InventoryImportJob {
        job_id: r.id,
        status: r.status,
        file_name: r.file_name,
        on_duplicate: r.on_duplicate,
        processed: r.processed,
        total: r.total,
        result: r.result.map(|json| json.0),
        error: r.error,
        created_at: r.created_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
    }))
}

/// Marks running imports without a recent heartbeat as failed. A queued import waits for a
/// worker however long that takes.
async fn mark_stale(tx: &mut TenantTx) -> Result<(), AppError> {
    sqlx::query!(
        "update inventory_import_jobs
         set status = 'failed', file = null, finished_at = now(), updated_at = now(),
             error = 'Імпорт перервано: сервер зупинився під час роботи. Нічого не записано, завантажте файл ще раз'
         where status = 'running' and updated_at < now() - make_interval(secs => $1)",
        STALE_AFTER_SECS,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

impl Job for InventoryImport {
    const KIND: &'static str = "inventory_import";
    /// A failure is recorded on the import and not retried; only a worker that died (or a
    /// panic) has the queue run it again.
    const MAX_ATTEMPTS: i16 = 3;
    type Parts = InventoryImportParts;

    async fn run(self, salon: &Salon, parts: &InventoryImportParts) -> anyhow::Result<()> {
        let job = Running { parts, salon, job_id: self.import };
        if let Err(error) = job.execute().await {
            let message = match &error {
                AppError::BadRequest { message, .. } | AppError::Unprocessable { message, .. } => message.clone(),
                _ => "Імпорт не вдався через помилку сервера. Нічого не записано, спробуйте ще раз".to_owned(),
            };
            tracing::error!(job.id = self.import, ?error, "inventory import failed");
            job.fail(&message).await?;
        }
        Ok(())
    }
}

/// The `data` of an `inventory:import` event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Progress<'a> {
    job_id: i64,
    status: ImportStatus,
    processed: usize,
    total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a ImportReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Clone, Copy)]
struct Running<'a> {
    parts: &'a InventoryImportParts,
    salon: &'a Salon,
    job_id: i64,
}

impl Running<'_> {
    async fn execute(self) -> Result<(), AppError> {
        let Running { parts, salon, job_id } = self;
        let mut tx = salon.begin().await?;
        // `running` too: a worker that died left it so, and the queue runs one attempt at a time.
        let claim = sqlx::query!(
            r#"update inventory_import_jobs set status = 'running', started_at = now(), updated_at = now(), processed = 0
               where id = $1 and status in ('queued', 'running')
               returning on_duplicate as "on_duplicate: OnDuplicate", total, file, file_name,
                         created_by as "created_by: UserId", sees_cost"#,
            job_id,
        )
        .fetch_optional(tx.conn())
        .await?;
        let Some(claim) = claim else { return Ok(()) };
        tx.commit().await?;
        let Some(author) = claim.created_by else {
            return Err(AppError::unprocessable("uploader_gone", "Обліковий запис, що завантажив файл, видалено"));
        };
        let total = usize::try_from(claim.total).unwrap_or(0);
        self.publish(&Progress { job_id, status: ImportStatus::Running, processed: 0, total, result: None, error: None })
            .await;

        let bytes = claim.file.unwrap_or_default();
        let name = claim.file_name.clone();
        let rows = spreadsheet::read_off_thread(move || spreadsheet::read(&bytes, Some(&name))).await??;
        let importer = Importer { id: author, sees_cost: claim.sees_cost };
        let mut tx = salon.begin().await?;
        let reporter = Reporter { job: self, total };
        let (report, alerts) = import::apply(&mut tx, importer, None, rows, claim.on_duplicate, Some(&reporter)).await?;
        let finished = sqlx::query!(
            "update inventory_import_jobs
             set status = 'completed', processed = total, result = $2, file = null,
                 finished_at = clock_timestamp(), updated_at = clock_timestamp()
             where id = $1 and status = 'running'",
            job_id,
            sqlx::types::Json(&report) as _,
        )
        .execute(tx.conn())
        .await?;
        if finished.rows_affected() != 1 {
            return Err(AppError::Internal(anyhow::anyhow!("inventory import {job_id} was retired while it ran")));
        }
        tx.commit().await?;
        // Written outside a request: retire the salon's cached reads here (see crate::cache).
        parts.versions.bump(salon.id()).await;
        for low in &alerts {
            stock::announce(&parts.realtime, salon.id(), low).await;
        }
        let done = Progress { job_id, status: ImportStatus::Completed, processed: total, total, result: Some(&report), error: None };
        self.publish(&done).await;
        Ok(())
    }

    /// Records and announces `done` rows of `total`; a failure here is logged, not fatal.
    async fn progress(self, done: usize, total: usize) {
        let Running { salon, job_id, .. } = self;
        let written = async {
            let mut tx = salon.begin().await?;
            sqlx::query!(
                "update inventory_import_jobs set processed = $2, updated_at = now() where id = $1 and status = 'running'",
                job_id,
                i32::try_from(done).unwrap_or(i32::MAX),
            )
            .execute(tx.conn())
            .await?;
            tx.commit().await
        };
        if let Err(error) = written.await {
            tracing::warn!(job.id = job_id, ?error, "inventory import progress not recorded");
        }
        self.publish(&Progress { job_id, status: ImportStatus::Running, processed: done, total, result: None, error: None })
            .await;
    }

    /// Marks the import failed (if it is still active) and announces it.
    async fn fail(self, message: &str) -> Result<(), AppError> {
        let Running { salon, job_id, .. } = self;
        let mut tx = salon.begin().await?;
        let row = sqlx::query!(
            "update inventory_import_jobs
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
            let failed = Progress { job_id, status: ImportStatus::Failed, processed, total, result: None, error: Some(message) };
            self.publish(&failed).await;
        }
        Ok(())
    }

    async fn publish(self, progress: &Progress<'_>) {
        let event = Event::new("inventory:import", progress).requires::<InventoryManage>();
        self.parts.realtime.publish(self.salon.id(), &event).await;
    }
}

/// Where a running import records its progress.
pub(super) struct Reporter<'a> {
    job: Running<'a>,
    total: usize,
}

impl Reporter<'_> {
    /// Records and announces `done` rows; a failure here is logged, not fatal to the import.
    pub async fn step(&self, done: usize) {
        self.job.progress(done, self.total).await;
    }
}

/// Whether an import of `total` data rows runs in the background.
pub(super) fn in_background(total: usize) -> bool {
    total > BACKGROUND_ROWS
}
