//! Background jobs: a durable queue in PostgreSQL (graphile_worker, schema
//! [`QUEUE_SCHEMA`](crate::tenancy::setup::QUEUE_SCHEMA)).
//!
//! - A job is enqueued with [`enqueue`] **in the transaction of the change that causes it**: a
//!   booking that rolls back leaves no reminder, one that commits always has one.
//! - Every job carries its salon and reaches data only through [`Salon::begin`], a
//!   [`TenantTx`] of that salon: row-level security applies to job code exactly as to requests.
//! - A failing job is retried with exponential backoff (graphile_worker: `exp(min(attempts,
//!   10))` seconds) up to its [`Job::MAX_ATTEMPTS`], then stays in the queue as failed until an
//!   operator retries it ([`admin`], `adelante jobs`).
//! - A job key ([`When::keyed`]) makes rescheduling replace the pending job instead of adding
//!   one; [`cancel`] removes it.
//!
//! Job kinds live in their domains (`impl Job for …`); the composition root registers each kind
//! with the parts it needs ([`worker::Kinds`]). This module names no domain.

pub mod admin;
pub mod worker;

use std::future::Future;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{
    error::AppError,
    tenancy::{AppDb, SalonId, TenantTx},
};

/// One kind of background work. The value is the payload, stored as JSON in the queue: keep it
/// small (ids, not rows) and read the current state when the job runs.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The kind's name in the queue; never change it while jobs of the kind may be pending.
    const KIND: &'static str;
    /// Attempts before the job is left failed for an operator.
    const MAX_ATTEMPTS: i16 = 10;
    /// What the job needs besides its salon's data (a mailer, a file store), given once at
    /// registration.
    type Parts: Clone + Send + Sync + std::fmt::Debug + 'static;

    /// Does the work. An error is retried later; a failure that no retry can mend (an address
    /// that does not exist) is recorded by the job and answered with `Ok`.
    fn run(self, salon: &Salon, parts: &Self::Parts) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The salon a job runs for: the only door to its data.
#[derive(Clone)]
pub struct Salon {
    id: SalonId,
    db: AppDb,
}

impl Salon {
    pub fn id(&self) -> SalonId {
        self.id
    }

    /// A transaction that sees this salon only.
    pub async fn begin(&self) -> Result<TenantTx, AppError> {
        self.db.begin(self.id).await
    }
}

/// When a job runs, and whether it replaces a pending job of the same key.
#[derive(Debug, Clone, Default)]
pub struct When {
    at: Option<DateTime<Utc>>,
    key: Option<String>,
    queue: Option<String>,
    priority: Option<i16>,
}

impl When {
    /// As soon as a worker is free.
    pub fn now() -> Self {
        Self::default()
    }

    /// Not before `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self { at: Some(at), ..Self::default() }
    }

    /// The salon's one pending job under `key` (say `reminder:42`): enqueuing again replaces
    /// its payload and time instead of adding a second job. Keys are per salon.
    pub fn keyed(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Runs after the jobs queued before it under the same `queue` name have finished, one at
    /// a time (a chat's updates, in order). Names are global: include the salon's id.
    pub fn in_queue(mut self, queue: impl Into<String>) -> Self {
        self.queue = Some(queue.into());
        self
    }

    /// Lower runs first among due jobs (default 0): a client waiting in a chat goes ahead of
    /// a batch of reminders.
    pub fn priority(mut self, priority: i16) -> Self {
        self.priority = Some(priority);
        self
    }
}

/// What the queue stores: the job and the salon it runs for.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope<J> {
    pub salon: SalonId,
    pub job: J,
}

/// Job keys are global in the queue; a salon's key is prefixed with its id, so two salons'
/// `reminder:1` never meet.
fn queue_key(salon: SalonId, key: &str) -> String {
    format!("salon:{salon}:{key}")
}

/// Puts `job` on the queue as part of `tx`: it exists once `tx` commits and never if it rolls
/// back. Answers the job's id.
pub async fn enqueue<J: Job>(tx: &mut TenantTx, job: &J, when: When) -> Result<i64, AppError> {
    let salon = tx.salon();
    let payload = serde_json::to_value(Envelope { salon, job }).map_err(anyhow::Error::from)?;
    let key = when.key.as_deref().map(|k| queue_key(salon, k));
    let id = sqlx::query_scalar!(
        r#"select (graphile_worker.add_job($1::text, $2::json, run_at => $3, max_attempts => $4::int,
                                          job_key => $5::text, queue_name => $6::text,
                                          priority => $7::int)).id as "id!""#,
        J::KIND,
        payload,
        when.at,
        i32::from(J::MAX_ATTEMPTS),
        key,
        when.queue,
        when.priority.map(i32::from),
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Puts several jobs of one kind on the queue as part of `tx`, in one round trip (a booking's
/// confirmation and reminder, a salon's re-planned reminders). Keys must differ within one
/// call. Answers how many jobs were added or replaced.
pub async fn enqueue_all<J: Job>(tx: &mut TenantTx, jobs: impl IntoIterator<Item = (J, When)>) -> Result<u64, AppError> {
    let salon = tx.salon();
    let (mut payloads, mut run_at, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (job, when) in jobs {
        payloads.push(serde_json::to_value(Envelope { salon, job }).map_err(anyhow::Error::from)?);
        run_at.push(when.at);
        keys.push(when.key.as_deref().map(|k| queue_key(salon, k)));
    }
    if payloads.is_empty() {
        return Ok(0);
    }
    let added = sqlx::query_scalar!(
        r#"select count(*) as "n!" from graphile_worker.add_jobs(array(
               select row($1::text, payload, null, run_at, $2::int, job_key, null, null)::graphile_worker.job_spec
               from unnest($3::json[], $4::timestamptz[], $5::text[]) as spec(payload, run_at, job_key)))"#,
        J::KIND,
        i32::from(J::MAX_ATTEMPTS),
        &payloads,
        &run_at as &[Option<DateTime<Utc>>],
        &keys as &[Option<String>],
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(added as u64)
}

/// Removes the salon's pending job under `key`, as part of `tx`; a job that is running at that
/// moment finishes but is not retried. Answers whether there was one.
pub async fn cancel(tx: &mut TenantTx, key: &str) -> Result<bool, AppError> {
    let key = queue_key(tx.salon(), key);
    let removed = sqlx::query_scalar!(r#"select (graphile_worker.remove_job($1)).id as "id""#, key)
        .fetch_one(tx.conn())
        .await?;
    Ok(removed.is_some())
}

/// Removes the salon's pending jobs under `keys`, as part of `tx`, in one round trip.
pub async fn cancel_all(tx: &mut TenantTx, keys: impl IntoIterator<Item = String>) -> Result<(), AppError> {
    let salon = tx.salon();
    let keys: Vec<String> = keys.into_iter().map(|k| queue_key(salon, &k)).collect();
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query_scalar!(r#"select count((graphile_worker.remove_job(key)).id) as "n!" from unnest($1::text[]) as key"#, &keys)
        .fetch_one(tx.conn())
        .await?;
    Ok(())
}
