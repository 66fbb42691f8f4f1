//! SQL of import jobs (`client_import_jobs`): enqueue, read, and retire stale jobs.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ImportResult, OnDuplicate};
use crate::{error::AppError, ids::UserId, tenancy::TenantTx};

/// Seconds without a heartbeat after which a running import is taken for dead (longer than the
/// queue waits before it gives a dead worker's job to another, `JOBS_RECOVERY_AFTER_SECONDS`).
pub const STALE_AFTER_SECS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Completed,
    Failed,
}

/// A background import as `GET /clients/import/{jobId}` shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportJob {
    pub job_id: i64,
    pub status: JobStatus,
    pub file_name: String,
    pub on_duplicate: OnDuplicate,
    /// Data rows done (refused rows count as done).
    pub processed: i32,
    /// Data rows in the file.
    pub total: i32,
    /// Once `completed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ImportResult>,
    /// Once `failed`: why; nothing of the file was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

pub fn policy_of(text: &str) -> OnDuplicate {
    if text == "update" { OnDuplicate::Update } else { OnDuplicate::Skip }
}

pub fn in_progress(job_id: i64) -> AppError {
    AppError::ConflictWith {
        code: "import_in_progress",
        message: "Імпорт клієнтів уже виконується. Дочекайтеся його завершення".to_owned(),
        conflict: serde_json::json!({ "jobId": job_id }),
    }
}

/// Marks running imports without a recent heartbeat as failed; their ids. A queued import waits
/// for a worker however long that takes.
pub async fn mark_stale(tx: &mut TenantTx) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "update client_import_jobs
         set status = 'failed', file = null, finished_at = now(), updated_at = now(),
             error = 'Імпорт перервано: сервер зупинився під час роботи. Нічого не записано, завантажте файл ще раз'
         where status = 'running' and updated_at < now() - make_interval(secs => $1)
         returning id",
        STALE_AFTER_SECS as f64,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The salon's queued or running import, after retiring stale ones.
pub async fn active(tx: &mut TenantTx) -> Result<Option<i64>, AppError> {
    mark_stale(tx).await?;
    Ok(sqlx::query_scalar!("select id from client_import_jobs where status in ('queued', 'running')")
        .fetch_optional(tx.conn())
        .await?)
}

/// Stores a queued job with its file; 409 when another import of the salon is active.
pub async fn enqueue(
    tx: &mut TenantTx,
    user_id: UserId,
    file_name: &str,
    file: &[u8],
    total: usize,
    policy: OnDuplicate,
) -> Result<i64, AppError> {
    let id: Option<i64> = sqlx::query_scalar!(
        "insert into client_import_jobs (on_duplicate, file_name, file, total, created_by)
         values ($1, $2, $3, $4, $5)
         on conflict (salon_id) where status in ('queued', 'running') do nothing
         returning id",
        policy.as_str(),
        file_name.chars().take(255).collect::<String>(),
        file,
        i32::try_from(total).unwrap_or(i32::MAX),
        user_id as UserId,
    )
    .fetch_optional(tx.conn())
    .await?;
    match id {
        Some(id) => Ok(id),
        None => Err(in_progress(active(tx).await?.unwrap_or_default())),
    }
}

pub async fn find(tx: &mut TenantTx, id: i64) -> Result<Option<ImportJob>, AppError> {
    let row = sqlx::query!(
        r#"select id, status as "status: JobStatus", file_name, on_duplicate, processed, total,
                result as "result: sqlx::types::Json<ImportResult>", error, created_at, started_at, finished_at
         from client_import_jobs where id = $1"#,
        id,
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| ImportJob {
        job_id: r.id,
        status: r.status,
        file_name: r.file_name,
        on_duplicate: policy_of(&r.on_duplicate),
        processed: r.processed,
        total: r.total,
        result: r.result.map(|j| j.0),
        error: r.error,
        created_at: r.created_at,
        started_at: r.started_at,
        finished_at: r.finished_at,
    }))
}
