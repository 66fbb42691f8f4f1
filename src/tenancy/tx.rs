use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::{Clock, SalonId};
use crate::error::AppError;

/// A transaction in which row-level security sees exactly one salon.
///
/// The salon is set with `set_config(.., true)`: local to this transaction, so a pooled
/// connection never carries one salon into another request. Dropping a `TenantTx` without
/// [`commit`](Self::commit) rolls it back.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    salon: SalonId,
    clock: Clock,
}

impl TenantTx {
    pub(crate) async fn begin(pool: &PgPool, salon: SalonId, clock: Clock) -> Result<Self, AppError> {
        // BEGIN and the tenant travel in one simple-protocol message: one round trip instead
        // of two. The id is an integer of ours, never request text, so writing it into the
        // statement cannot inject anything.
        let begin = format!("begin; select set_config('app.salon_id', '{}', true)", salon.get());
        let tx = pool.begin_with(sqlx::AssertSqlSafe(begin)).await?;
        Ok(Self { tx, salon, clock })
    }

    /// Wraps a transaction that a platform function has just opened (salon registration).
    pub(crate) async fn from_platform(
        mut tx: Transaction<'static, Postgres>,
        salon: SalonId,
        clock: Clock,
    ) -> Result<Self, AppError> {
        sqlx::query_scalar!("select set_config('app.salon_id', $1, true)", salon.to_string())
            .fetch_one(&mut *tx)
            .await?;
        Ok(Self { tx, salon, clock })
    }

    pub fn salon(&self) -> SalonId {
        self.salon
    }

    /// Where "now" comes from for this request: read the salon's day through
    /// [`super::SalonClock::read`].
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await?;
        Ok(())
    }
}
