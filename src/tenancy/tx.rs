use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::SalonId;
use crate::http::error::AppError;

/// A transaction in which row-level security sees exactly one salon.
///
/// The salon is set with `set_config(.., true)`: local to this transaction, so a pooled
/// connection never carries one salon into another request. Dropping a `TenantTx` without
/// [`commit`](Self::commit) rolls it back.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    salon: SalonId,
}

impl TenantTx {
    pub(crate) async fn begin(pool: &PgPool, salon: SalonId) -> Result<Self, AppError> {
        // BEGIN and the tenant travel in one simple-protocol message: one round trip instead
        // of two. The id is an integer of ours, never request text, so writing it into the
        // statement cannot inject anything.
        let begin = format!("begin; select set_config('app.salon_id', '{}', true)", salon.get());
        let tx = pool.begin_with(sqlx::AssertSqlSafe(begin)).await?;
        Ok(Self { tx, salon })
    }

    /// Wraps a transaction that a platform function has just opened (salon registration).
    pub(crate) async fn from_platform(
        mut tx: Transaction<'static, Postgres>,
        salon: SalonId,
    ) -> Result<Self, AppError> {
        sqlx::query("select set_config('app.salon_id', $1, true)")
            .bind(salon.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(Self { tx, salon })
    }

    pub fn salon(&self) -> SalonId {
        self.salon
    }

    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await?;
        Ok(())
    }
}
