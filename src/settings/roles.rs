//! `/settings/roles`: the salon's permission matrix, one row per role, read and replaced by
//! whoever may manage staff access (`settings.staff.manage_access`).
//!
//! # The array form
//!
//! A row travels as `permissions: string[]` (contract §3.10): a checkbox id present means on,
//! absent means off; a select id travels as `id:value` with one of its options
//! (`clients.show:own`); module ids are spelled as in `policies/permissions.txt` (`clients`), and
//! the roles screen's `<module>.enabled` is accepted on input for the same switch. An answer
//! lists exactly what is enforced: only ids granted together with all their parents, in
//! vocabulary order. A `PUT` replaces the whole row; an unknown id, a checkbox with a value, a
//! select without a valid value, an id given twice, a child without its parent or an empty list
//! is a 422 whose `details` are keyed by the offending entry as sent, and nothing is written.
//!
//! `admin` always has every permission (see [`crate::auth::CurrentUser::may`]); its row is shown
//! as everything and cannot be edited, so no edit can take a salon's administrators' rights.
//! The matrix is read with the user on every request, so an edit applies from the next request
//! on, in every server process.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::{
    audit,
    auth::{Role, permissions},
    error::AppError,
    ids::UserId,
    permission,
    tenancy::TenantTx,
};
use crate::auth::matrix;

permission!(ManageAccess = "settings.staff.manage_access");

pub(super) const ADMIN_NOT_EDITABLE: &str = "Права адміністратора не змінюються: адміністратор завжди має всі дозволи";

/// One role's row of the matrix.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolePermissions {
    pub role: Role,
    /// Granted ids in the array form: `id` for a checkbox, `id:value` for a select.
    #[schema(example = json!(["clients", "clients.card.edit", "clients.show:own"]))]
    pub permissions: Vec<String>,
    /// The role's Ukrainian label.
    pub name: &'static str,
    pub description: &'static str,
    /// Active accounts with this role.
    pub users_count: i64,
    /// False for `admin`, which always has every permission.
    pub editable: bool,
}

/// `PUT /settings/roles/{role}`: the role's whole new row.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChanges {
    /// Every id to grant; see the route's description for the form.
    #[schema(example = json!(["clients.enabled", "clients.card.edit", "clients.show:all"]))]
    pub permissions: Vec<String>,
}

fn label(role: Role) -> (&'static str, &'static str) {
    match role {
        Role::Admin => ("Адміністратор", "Повний доступ до всього салону; права не змінюються"),
        Role::Manager => ("Менеджер", "Керує записами, клієнтами, фінансами та складом"),
        Role::Master => ("Майстер", "Бачить свої записи та своїх клієнтів"),
        Role::Receptionist => ("Рецепціоніст", "Записує клієнтів і приймає оплату"),
    }
}

/// The row a role works with: `admin` has everything whatever is stored.
fn effective(role: Role, stored: Option<Map<String, Value>>) -> Map<String, Value> {
    if role == Role::Admin { permissions::defaults_for(Role::Admin) } else { stored.unwrap_or_default() }
}

fn answer(role: Role, row: &Map<String, Value>, users_count: i64) -> RolePermissions {
    let (name, description) = label(role);
    RolePermissions {
        role,
        permissions: permissions::encode(row),
        name,
        description,
        users_count,
        editable: role != Role::Admin,
    }
}

/// Every role with the permissions it has in this salon, `admin` first (see the route).
pub(super) async fn matrix(tx: &mut TenantTx) -> Result<Vec<RolePermissions>, AppError> {
    let rows = matrix::stored_rows(tx).await?;
    let counts = matrix::active_accounts_per_role(tx).await?;
    let roles = Role::ALL
        .into_iter()
        .map(|role| {
            let stored = rows.iter().find(|(r, _)| *r == role).map(|(_, p)| p.clone());
            let count = counts.iter().find(|(r, _)| *r == role).map_or(0, |(_, n)| *n);
            answer(role, &effective(role, stored), count)
        })
        .collect();
    Ok(roles)
}

/// Replaces a (non-admin) role's row with `row`, audited as `user_id`'s change; answers the
/// new row. The caller commits.
pub(super) async fn replace(
    tx: &mut TenantTx,
    user_id: UserId,
    ip: Option<&str>,
    role: Role,
    row: Map<String, Value>,
) -> Result<RolePermissions, AppError> {
    let before = matrix::lock_row(tx, role).await?;
    matrix::replace_row(tx, role, &row).await?;
    let before = permissions::encode(&before.unwrap_or_default());
    let after = answer(role, &row, matrix::active_accounts(tx, role).await?);
    audit::record(
        tx,
        audit::Change {
            user_id: Some(user_id),
            entity: "role",
            entity_id: None,
            action: "updated",
            before: Some(json!({"role": role, "permissions": before})),
            after: Some(json!({"role": role, "permissions": after.permissions})),
            ip,
        },
    )
    .await?;
    Ok(after)
}
