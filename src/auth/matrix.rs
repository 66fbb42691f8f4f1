//! The salon's stored permission matrix (`role_permissions`) and how many active accounts hold
//! each role, for the settings roles page that shows and replaces it.

use serde_json::{Map, Value};
use sqlx::types::Json;

use super::Role;
use crate::{error::AppError, tenancy::TenantTx};

/// Every stored row of the matrix (a role without one has none of its permissions).
pub async fn stored_rows(tx: &mut TenantTx) -> Result<Vec<(Role, Map<String, Value>)>, AppError> {
    Ok(sqlx::query!(
        r#"select role as "role: Role", permissions as "permissions: Json<Map<String, Value>>"
         from role_permissions"#
    )
    .map(|r| (r.role, r.permissions.0))
    .fetch_all(tx.conn())
    .await?)
}

/// The role's stored row, locked until the transaction ends (a read-modify-write).
pub async fn lock_row(tx: &mut TenantTx, role: Role) -> Result<Option<Map<String, Value>>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select permissions as "permissions: Json<Map<String, Value>>"
         from role_permissions where role = $1 for update"#,
        role as Role,
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|p| p.0))
}

/// Replaces the role's row. Applies from the next request of every user with the role (the
/// principal check reads the row with the user).
pub async fn replace_row(tx: &mut TenantTx, role: Role, row: &Map<String, Value>) -> Result<(), AppError> {
    sqlx::query!(
        "insert into role_permissions (role, permissions) values ($1, $2)
         on conflict (salon_id, role) do update set permissions = excluded.permissions, updated_at = now()",
        role as Role,
        Json(row) as _,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Active accounts per role; roles nobody holds are absent.
pub async fn active_accounts_per_role(tx: &mut TenantTx) -> Result<Vec<(Role, i64)>, AppError> {
    Ok(sqlx::query!(r#"select role as "role: Role", count(*) as "count!" from users where is_active group by role"#)
        .map(|r| (r.role, r.count))
        .fetch_all(tx.conn())
        .await?)
}

/// Active accounts with this role.
pub async fn active_accounts(tx: &mut TenantTx, role: Role) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(r#"select count(*) as "count!" from users where role = $1 and is_active"#, role as Role)
        .fetch_one(tx.conn())
        .await?)
}
