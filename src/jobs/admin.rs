//! What an operator sees of the queue and does with it (`adelante jobs …`, the worker's gauges).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// The queue at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueStats {
    /// Waiting to run (due or scheduled), attempts left.
    pub queued: i64,
    /// Taken by a worker now.
    pub running: i64,
    /// Out of attempts: waiting for an operator.
    pub failed: i64,
    /// How long the oldest due job has waited (0 when none is due).
    pub oldest_due_seconds: f64,
}

pub async fn queue_stats(pool: &PgPool) -> Result<QueueStats, sqlx::Error> {
    let row = sqlx::query!(
        r#"select count(*) filter (where locked_at is null and attempts < max_attempts) as "queued!",
                  count(*) filter (where locked_at is not null) as "running!",
                  count(*) filter (where locked_at is null and attempts >= max_attempts) as "failed!",
                  coalesce(extract(epoch from now() - min(run_at) filter (
                      where locked_at is null and attempts < max_attempts and run_at <= now())), 0)::float8
                      as "oldest_due_seconds!"
           from graphile_worker.jobs"#
    )
    .fetch_one(pool)
    .await?;
    Ok(QueueStats {
        queued: row.queued,
        running: row.running,
        failed: row.failed,
        oldest_due_seconds: row.oldest_due_seconds,
    })
}

/// A job that ran out of attempts.
#[derive(Debug, Clone)]
pub struct FailedJob {
    pub id: i64,
    pub kind: String,
    pub salon: Option<i64>,
    pub attempts: i16,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Failed jobs, the latest first.
pub async fn failed(pool: &PgPool, limit: i64) -> Result<Vec<FailedJob>, sqlx::Error> {
    sqlx::query_as!(
        FailedJob,
        r#"select j.id, t.identifier as kind, (j.payload->>'salon')::bigint as salon, j.attempts, j.last_error,
                  j.updated_at
           from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
           where j.locked_at is null and j.attempts >= j.max_attempts
           order by j.updated_at desc, j.id desc limit $1"#,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Gives failed jobs a fresh set of attempts, due now. Answers the ids that were failed (others
/// are left alone: a job that still has attempts is already queued).
pub async fn retry(pool: &PgPool, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"update graphile_worker._private_jobs set attempts = 0, run_at = now(), last_error = null, updated_at = now()
           where id = any($1) and locked_at is null and attempts >= max_attempts
           returning id"#,
        ids
    )
    .fetch_all(pool)
    .await
}
