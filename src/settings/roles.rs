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

use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, audit,
    auth::{Can, ClientIp, Role, permissions},
    http::{AppJson, AppPath, error::AppError},
    permission,
    tenancy::TenantTx,
};

permission!(ManageAccess = "settings.staff.manage_access");

const ADMIN_NOT_EDITABLE: &str = "Права адміністратора не змінюються: адміністратор завжди має всі дозволи";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_roles)).routes(routes!(update_role))
}

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

async fn users_count(tx: &mut TenantTx, role: Role) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("select count(*) from users where role = $1 and is_active")
        .bind(role)
        .fetch_one(tx.conn())
        .await?)
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

/// Every role with the permissions it has in this salon, `admin` first. The array form: a
/// checkbox id present = granted, absent = not; a select id as `id:value` (`clients.show:own`);
/// module ids as in the roles page (`clients`). Only ids granted together with every parent are
/// listed. `admin` always has everything and is not editable. The OpenAPI description of this
/// route is `policies/permissions_enforcement.md`: what every id governs on the server.
#[utoipa::path(get, path = "/settings/roles", tag = "settings", security(("bearer" = [])),
    description = include_str!("../../policies/permissions_enforcement.md"),
    responses((status = 200, body = [RolePermissions]), (status = 401), (status = 403)))]
async fn list_roles(_: Can<ManageAccess>, mut tx: TenantTx) -> Result<Json<Vec<RolePermissions>>, AppError> {
    let rows: Vec<(Role, sqlx::types::Json<Map<String, Value>>)> =
        sqlx::query_as("select role, permissions from role_permissions").fetch_all(tx.conn()).await?;
    let counts: Vec<(Role, i64)> =
        sqlx::query_as("select role, count(*) from users where is_active group by role").fetch_all(tx.conn()).await?;
    tx.commit().await?;
    let roles = Role::ALL
        .into_iter()
        .map(|role| {
            let stored = rows.iter().find(|(r, _)| *r == role).map(|(_, p)| p.0.clone());
            let count = counts.iter().find(|(r, _)| *r == role).map_or(0, |(_, n)| *n);
            answer(role, &effective(role, stored), count)
        })
        .collect();
    Ok(Json(roles))
}

/// Replaces a role's permissions. Applies from the users' next request.
#[utoipa::path(put, path = "/settings/roles/{role}", tag = "settings", security(("bearer" = [])),
    description = "Replaces the role's whole row. Body `{permissions: string[]}` in the array form: a \
        checkbox id present = granted, absent = not; a select id as `id:value` with one of its options \
        (`clients.show:own`); a module switch as its id (`clients`) or the roles screen's \
        `<module>.enabled`. 422 `validation_error` with `details` keyed by each bad entry as sent (unknown \
        id, value on a checkbox, missing or unknown select value, an id given twice, a child without its \
        parent) or by `permissions` for an empty list; nothing is written. 422 `role_not_editable` for \
        `admin`. Takes effect on the next request of every user with the role.",
    params(("role" = Role, Path, description = "`manager`, `master` or `receptionist`")),
    request_body = RoleChanges,
    responses((status = 200, body = RolePermissions), (status = 401), (status = 403),
              (status = 404, description = "no such role"),
              (status = 422, description = "bad entries, or `role_not_editable` for admin")))]
async fn update_role(
    Can(user, ..): Can<ManageAccess>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(role): AppPath<String>,
    AppJson(changes): AppJson<RoleChanges>,
) -> Result<Json<RolePermissions>, AppError> {
    let role = Role::parse(&role).ok_or(AppError::NotFound)?;
    if role == Role::Admin {
        return Err(AppError::unprocessable("role_not_editable", ADMIN_NOT_EDITABLE));
    }
    let row = permissions::decode(&changes.permissions).map_err(AppError::Invalid)?;
    let before: Option<sqlx::types::Json<Map<String, Value>>> =
        sqlx::query_scalar("select permissions from role_permissions where role = $1 for update")
            .bind(role)
            .fetch_optional(tx.conn())
            .await?;
    sqlx::query(
        "insert into role_permissions (role, permissions) values ($1, $2)
         on conflict (salon_id, role) do update set permissions = excluded.permissions, updated_at = now()",
    )
    .bind(role)
    .bind(sqlx::types::Json(&row))
    .execute(tx.conn())
    .await?;
    let before = permissions::encode(&before.map(|b| b.0).unwrap_or_default());
    let after = answer(role, &row, users_count(&mut tx, role).await?);
    audit::record(
        &mut tx,
        audit::Change {
            user_id: Some(user.id),
            entity: "role",
            entity_id: None,
            action: "updated",
            before: Some(json!({"role": role, "permissions": before})),
            after: Some(json!({"role": role, "permissions": after.permissions})),
            ip: ip.as_deref(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}
