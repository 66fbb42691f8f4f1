use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::{
    Connection, PgPool, Postgres, Row,
    pool::PoolOptions,
    postgres::{PgConnectOptions, PgPoolOptions},
};

use super::{Clock, PlatformDb, SalonId, TenantTx};
use crate::{config::Config, error::AppError};

/// The application's tenant pool, connected as `adelante_app`. Only [`TenantTx`] borrows from it.
#[derive(Clone)]
pub struct AppDb {
    pool: PgPool,
    /// "Now" for every transaction it opens ([`super::SalonClock`]).
    clock: Clock,
}

impl AppDb {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// Opens a transaction scoped to `salon`.
    pub async fn begin(&self, salon: SalonId) -> Result<TenantTx, AppError> {
        TenantTx::begin(&self.pool, salon, self.clock.clone()).await
    }

    /// Where the transactions' "now" comes from; tests freeze it.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Liveness of the database for `/ready`.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.pool.acquire().await?.ping().await
    }

    /// Open connections and idle ones, for metrics.
    pub fn stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }
}

/// Pool options every app-role pool shares, including the stale-transaction guard.
///
/// A `pool.begin()` cancelled between sending `BEGIN` and reading its answer can return the
/// connection to the pool still inside a transaction (sqlx #4385/#4393, unreleased fix as of
/// 0.9.0); the next borrower's writes would then be lost with that transaction. On release we
/// ask the server whether a transaction is open: outside one, every statement starts its own,
/// so `now()` equals `statement_timestamp()`. When they differ the connection is dropped.
/// `raw_sql` keeps the check on the simple protocol (no prepared statement to cache).
pub fn guarded_pool_options(max: u32) -> PoolOptions<Postgres> {
    PgPoolOptions::new()
        .max_connections(max)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(300))
        .after_release(|conn, _meta| {
            Box::pin(async move {
                let row = sqlx::raw_sql("select now() = statement_timestamp()").fetch_one(&mut *conn).await?;
                let clean: bool = row.try_get(0)?;
                if !clean {
                    tracing::warn!("dropping a pooled connection left inside a transaction");
                }
                Ok(clean)
            })
        })
}

/// Connects the tenant pool and the platform pool, both as the app role, sharing one system
/// [`Clock`].
pub async fn connect(config: &Config) -> anyhow::Result<(AppDb, PlatformDb)> {
    let options: PgConnectOptions = config.database_url.expose_secret().parse()?;
    let options = options.application_name("adelante");
    let app = guarded_pool_options(config.db_max_connections).connect_with(options.clone()).await?;
    let platform = guarded_pool_options(config.platform_db_max_connections)
        .connect_with(options.application_name("adelante-platform"))
        .await?;
    let clock = Clock::system();
    Ok((AppDb::new(app, clock.clone()), PlatformDb::new(platform, clock)))
}
