//! Staff accounts of a salon, managed by its administrators: invite (an account without a
//! password, completed through `/auth/setup`), list, read, change role, deactivate.
//! Bodies are snake_case like the auth user object they return.

use std::sync::Arc;

use axum::{
    extract::{FromRef, State},
    http::StatusCode,
};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    audit,
    auth::{Can, ClientIp, Gate, NewAccount, Role, UserOut, create_account, invitations},
    config::Config,
    http::{AppJson, AppPath}, error::AppError,
    permission,
    tenancy::TenantTx,
};

permission!(ManageAccess = "settings.staff.manage_access");

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<Gate>: FromRef<S>,
    Arc<Config>: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_users, invite_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(reinvite_user))
}

/// Every account of the salon, active first, then by name.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = [UserOut]), (status = 403)))]
async fn list_users(_: Can<ManageAccess>, mut tx: TenantTx) -> Result<axum::Json<Vec<UserOut>>, AppError> {
    let users = crate::query_user!("select ", " from users order by is_active desc, last_name, first_name, id")
            .fetch_all(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(axum::Json(users))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = UserOut), (status = 404)))]
async fn get_user(_: Can<ManageAccess>, mut tx: TenantTx, AppPath(id): AppPath<i64>) -> Result<axum::Json<UserOut>, AppError> {
    let user = find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(axum::Json(user))
}

async fn find(tx: &mut TenantTx, id: i64) -> Result<Option<UserOut>, AppError> {
    Ok(crate::query_user!("select ", " from users where id = $1", id)
        .fetch_optional(tx.conn())
        .await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    pub role: Role,
}

/// Creates an account without a password and mails its owner an invitation link; opening it
/// lets them set a password through `POST /auth/setup` (see there). Only administrators create
/// administrators (403).
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])), request_body = NewUser,
    responses((status = 201, body = UserOut), (status = 403, description = "an administrator invited by a non-administrator"),
              (status = 409, description = "e-mail already used in this salon"), (status = 422)))]
async fn invite_user(
    State(config): State<Arc<Config>>,
    Can(admin, ..): Can<ManageAccess>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewUser>,
) -> Result<(StatusCode, axum::Json<UserOut>), AppError> {
    if input.role == Role::Admin && admin.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let account = NewAccount {
        email: crate::auth::normalise_email("email", &input.email)?,
        password_hash: None,
        first_name: input.first_name.trim().to_owned(),
        last_name: input.last_name.trim().to_owned(),
        phone: input.phone.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
        role: input.role,
    };
    let user = create_account(&mut tx, &account).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(admin.id), entity: "user", entity_id: Some(user.id), action: "created",
        before: None, after: Some(serde_json::to_value(&user).map_err(anyhow::Error::from)?), ip: ip.as_deref(),
    })
    .await?;
    invitations::issue(&mut tx, &config, user.id, Some(admin.id)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Reinvited {
    pub message: String,
}

/// Mails a new invitation link to an active account that has not set its password yet; the
/// account's earlier links stop working.
#[utoipa::path(post, path = "/users/{id}/invitation", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = Reinvited), (status = 403), (status = 404),
              (status = 409, description = "the password is already set up (`already_set_up`), or the account is inactive (`account_inactive`)")))]
async fn reinvite_user(
    State(config): State<Arc<Config>>,
    Can(admin, ..): Can<ManageAccess>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
) -> Result<(StatusCode, axum::Json<Reinvited>), AppError> {
    let (has_password, is_active) = sqlx::query!(
        r#"select password_set_at is not null as "has_password!", is_active from users where id = $1 for update"#,
        id,
    )
    .map(|r| (r.has_password, r.is_active))
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    if has_password {
        return Err(AppError::conflict("already_set_up", "Пароль уже встановлено (already set up)"));
    }
    if !is_active {
        return Err(AppError::conflict("account_inactive", "Обліковий запис деактивовано"));
    }
    invitations::issue(&mut tx, &config, id, Some(admin.id)).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(admin.id), entity: "user", entity_id: Some(id), action: "reinvited",
        before: None, after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(Reinvited { message: "Запрошення надіслано".into() })))
}

/// A partial update: absent keys keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// Changes names, phone, role or active flag. Deactivating signs the account out everywhere.
/// The salon's last active administrator can be neither demoted nor deactivated (409). Only
/// administrators change an administrator's account or make anyone (themselves included) an
/// administrator (403).
#[utoipa::path(put, path = "/users/{id}", tag = "users", security(("bearer" = [])), request_body = UserChanges,
    params(("id" = i64, Path)),
    responses((status = 200, body = UserOut), (status = 403, description = "an administrator's account, or a promotion to administrator"),
              (status = 404), (status = 409, description = "last administrator")))]
async fn update_user(
    Can(admin, ..): Can<ManageAccess>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(changes): AppJson<UserChanges>,
) -> Result<axum::Json<UserOut>, AppError> {
    crate::auth::lock_admins(&mut tx).await?;
    let before = find(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    if admin.role != Role::Admin && (before.role == Role::Admin || changes.role == Some(Role::Admin)) {
        return Err(AppError::Forbidden);
    }
    let phone = changes.phone.map(|p| p.trim().to_owned());
    let after: UserOut = crate::query_user!(
        "update users set
            first_name = coalesce($2, first_name),
            last_name  = coalesce($3, last_name),
            phone      = case when $4::text is null then phone else nullif($4, '') end,
            role       = coalesce($5, role),
            is_active  = coalesce($6, is_active),
            updated_at = now()
         where id = $1
         returning ",
        "",
        id,
        changes.first_name.map(|s| s.trim().to_owned()),
        changes.last_name.map(|s| s.trim().to_owned()),
        phone,
        changes.role as Option<Role>,
        changes.is_active,
    )
    .fetch_one(tx.conn())
    .await?;
    crate::auth::ensure_an_admin_remains(&mut tx).await?;
    if before.is_active && !after.is_active {
        crate::auth::revoke_sessions_of_user(&mut tx, id).await?;
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(admin.id), entity: "user", entity_id: Some(id), action: "updated",
        before: Some(serde_json::to_value(&before).map_err(anyhow::Error::from)?),
        after: Some(serde_json::to_value(&after).map_err(anyhow::Error::from)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(axum::Json(after))
}
