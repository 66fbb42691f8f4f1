//! SQL of accounts, sessions and reset tokens. Every function runs inside a [`TenantTx`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use sqlx::FromRow;

use super::{Role, UserOut, permissions};
use crate::{
    http::error::{AppError, constraint_of},
    tenancy::TenantTx,
};

/// The columns of [`UserOut`], as a literal for `concat!`.
#[macro_export]
macro_rules! user_columns {
    () => {
        "id, email, first_name, last_name, phone, role, avatar_url, is_active, is_verified, \
         telegram_id, telegram_username, created_at"
    };
}

/// What an authenticated request needs about its user, loaded in one query.
#[derive(Debug, FromRow)]
pub struct PrincipalRow {
    #[sqlx(flatten)]
    pub user: UserOut,
    pub salon_active: bool,
    pub session_live: bool,
    pub session_expires_at: Option<DateTime<Utc>>,
    pub permissions: sqlx::types::Json<Map<String, Value>>,
}

pub async fn load_principal(tx: &mut TenantTx, user_id: i64, session_id: i64) -> Result<Option<PrincipalRow>, AppError> {
    Ok(sqlx::query_as(
        "select u.id, u.email, u.first_name, u.last_name, u.phone, u.role, u.avatar_url, u.is_active,
                u.is_verified, u.telegram_id, u.telegram_username, u.created_at,
                s.status = 'active' as salon_active,
                coalesce(ses.revoked_at is null and ses.expires_at > now(), false) as session_live,
                ses.expires_at as session_expires_at,
                coalesce(rp.permissions, '{}'::jsonb) as permissions
         from users u
         join salons s on s.id = u.salon_id
         left join sessions ses on ses.salon_id = u.salon_id and ses.id = $2 and ses.user_id = u.id
         left join role_permissions rp on rp.salon_id = u.salon_id and rp.role = u.role
         where u.id = $1",
    )
    .bind(user_id)
    .bind(session_id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn find_user(tx: &mut TenantTx, user_id: i64) -> Result<Option<UserOut>, AppError> {
    Ok(sqlx::query_as(concat!("select ", user_columns!(), " from users where id = $1"))
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn password_hash(tx: &mut TenantTx, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?
        .flatten())
}

/// A new account in the transaction's salon. `password_hash: None` makes an invited account
/// that sets its first password through `/auth/setup`.
pub struct NewAccount {
    pub email: String,
    pub password_hash: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub role: Role,
}

pub async fn create_account(tx: &mut TenantTx, account: &NewAccount) -> Result<UserOut, AppError> {
    sqlx::query_as(concat!(
        "insert into users (email, password_hash, password_set_at, invited_at, first_name, last_name, phone, role)
         values ($1, $2, case when $2 is null then null else now() end,
                 case when $2 is null then now() else null end, $3, $4, $5, $6)
         returning ",
        user_columns!()
    ))
    .bind(&account.email)
    .bind(&account.password_hash)
    .bind(&account.first_name)
    .bind(&account.last_name)
    .bind(&account.phone)
    .bind(account.role)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("users_salon_id_email_key") => {
            AppError::conflict("email_taken", "Користувач з таким e-mail уже існує")
        }
        _ => e.into(),
    })
}

/// Copies the default permission matrix of every role into a new salon.
pub async fn seed_role_permissions(tx: &mut TenantTx) -> Result<(), AppError> {
    for role in Role::ALL {
        sqlx::query("insert into role_permissions (role, permissions) values ($1, $2) on conflict do nothing")
            .bind(role)
            .bind(sqlx::types::Json(permissions::defaults_for(role)))
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Stores a first password only if the account never had one; false when it already has.
pub async fn set_first_password(tx: &mut TenantTx, user_id: i64, hash: &str) -> Result<bool, AppError> {
    let done = sqlx::query(
        "update users set password_hash = $2, password_set_at = now(), is_verified = true, updated_at = now()
         where id = $1 and password_set_at is null",
    )
    .bind(user_id)
    .bind(hash)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password(tx: &mut TenantTx, user_id: i64, hash: &str) -> Result<(), AppError> {
    sqlx::query("update users set password_hash = $2, password_set_at = now(), updated_at = now() where id = $1")
        .bind(user_id)
        .bind(hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub struct NewSession<'a> {
    pub user_id: i64,
    pub token_hash: &'a [u8],
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub ttl: Duration,
}

pub async fn create_session(tx: &mut TenantTx, s: NewSession<'_>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "insert into sessions (user_id, token_hash, user_agent, ip, expires_at)
         values ($1, $2, $3, $4::inet, now() + make_interval(secs => $5))
         returning id",
    )
    .bind(s.user_id)
    .bind(s.token_hash)
    .bind(s.user_agent.map(|ua| ua.chars().take(300).collect::<String>()))
    .bind(s.ip)
    .bind(s.ttl.as_secs_f64())
    .fetch_one(tx.conn())
    .await?)
}

#[derive(Debug, FromRow)]
pub struct RefreshRow {
    pub user_id: i64,
    pub role: Role,
    pub token_hash: Vec<u8>,
    pub usable: bool,
}

/// The session behind a refresh token, with whether it may still be used: not revoked, not
/// expired, user active and salon active.
pub async fn session_for_refresh(tx: &mut TenantTx, session_id: i64) -> Result<Option<RefreshRow>, AppError> {
    Ok(sqlx::query_as(
        "select ses.user_id, u.role, ses.token_hash,
                (ses.revoked_at is null and ses.expires_at > now() and u.is_active and s.status = 'active') as usable
         from sessions ses
         join users u on u.salon_id = ses.salon_id and u.id = ses.user_id
         join salons s on s.id = ses.salon_id
         where ses.id = $1",
    )
    .bind(session_id)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn touch_session(tx: &mut TenantTx, session_id: i64) -> Result<(), AppError> {
    sqlx::query("update sessions set last_used_at = now() where id = $1")
        .bind(session_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn revoke_session(tx: &mut TenantTx, session_id: i64) -> Result<(), AppError> {
    sqlx::query("update sessions set revoked_at = now() where id = $1 and revoked_at is null")
        .bind(session_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Revokes every live session of a user except `keep` (the one making the request, if any).
pub async fn revoke_sessions_of(tx: &mut TenantTx, user_id: i64, keep: Option<i64>) -> Result<u64, AppError> {
    let done = sqlx::query(
        "update sessions set revoked_at = now()
         where user_id = $1 and revoked_at is null and id is distinct from $2",
    )
    .bind(user_id)
    .bind(keep)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

pub async fn create_reset(tx: &mut TenantTx, user_id: i64, token_hash: &[u8], ttl: Duration) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "insert into password_resets (user_id, token_hash, expires_at)
         values ($1, $2, now() + make_interval(secs => $3)) returning id",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(ttl.as_secs_f64())
    .fetch_one(tx.conn())
    .await?)
}

#[derive(Debug, FromRow)]
pub struct ResetRow {
    pub user_id: i64,
    pub token_hash: Vec<u8>,
    pub used_at: Option<DateTime<Utc>>,
    pub expired: bool,
    pub user_active: bool,
}

/// Locks a reset token's row so two uses of one token cannot both succeed.
pub async fn lock_reset(tx: &mut TenantTx, reset_id: i64) -> Result<Option<ResetRow>, AppError> {
    Ok(sqlx::query_as(
        "select r.user_id, r.token_hash, r.used_at, r.expires_at <= now() as expired, u.is_active as user_active
         from password_resets r join users u on u.salon_id = r.salon_id and u.id = r.user_id
         where r.id = $1
         for update of r",
    )
    .bind(reset_id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Spends every outstanding reset link of a user (using one makes the others void too).
pub async fn spend_resets(tx: &mut TenantTx, user_id: i64) -> Result<(), AppError> {
    sqlx::query("update password_resets set used_at = now() where user_id = $1 and used_at is null")
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
