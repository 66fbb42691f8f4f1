//! The audit trail (`changes`): who changed what, before and after, written in the same
//! transaction as the change itself so neither exists without the other.

use serde_json::Value;

use crate::{error::AppError, ids::UserId, tenancy::TenantTx};

pub struct Change<'a> {
    pub user_id: Option<UserId>,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub action: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<&'a str>,
}

pub async fn record(tx: &mut TenantTx, change: Change<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "insert into changes (user_id, entity, entity_id, action, before, after, ip)
         values ($1, $2, $3, $4, $5, $6, $7::text::inet)",
        change.user_id as Option<UserId>,
        change.entity,
        change.entity_id,
        change.action,
        change.before,
        change.after,
        change.ip,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
