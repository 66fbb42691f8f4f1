//! SQL of accounts, sessions and reset tokens. Every function runs inside a [`TenantTx`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use super::{Role, UserOut, permissions};
use crate::{
    error::{AppError, constraint_of},
    ids::UserId,
    tenancy::TenantTx,
};

/// `sqlx::query_as!(UserOut, ..)` with the columns of [`UserOut`] between `$head` and `$tail`
/// (the query macros take `"literal" + "literal"`, not `concat!`).
#[macro_export]
macro_rules! query_user {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::auth::UserOut,
            $head
                + "id, email, first_name, last_name, phone, role as \"role: _\", avatar_url as avatar, is_active, \
                   is_verified, telegram_id, telegram_username, created_at"
                + $tail
            $(, $arg)*
        )
    };
}

/// What an authenticated request needs about its user, loaded in one query.
#[derive(Debug)]
pub struct PrincipalRow {
    pub user: UserOut,
    pub salon_active: bool,
    pub session_live: bool,
    pub session_expires_at: Option<DateTime<Utc>>,
    pub permissions: sqlx::types::Json<Map<String, Value>>,
}

pub async fn load_principal(tx: &mut TenantTx, user_id: UserId, session_id: i64) -> Result<Option<PrincipalRow>, AppError> {
    let row = sqlx::query!(
        r#"select u.id, u.email, u.first_name, u.last_name, u.phone, u.role as "role: Role", u.avatar_url,
                u.is_active, u.is_verified, u.telegram_id, u.telegram_username, u.created_at,
                s.status = 'active' as "salon_active!",
                coalesce(ses.revoked_at is null and ses.expires_at > now(), false) as "session_live!",
                ses.expires_at as "session_expires_at?",
                coalesce(rp.permissions, '{}'::jsonb) as "permissions!: sqlx::types::Json<Map<String, Value>>"
         from users u
         join salon_facts s on s.salon_id = u.salon_id
         left join sessions ses on ses.salon_id = u.salon_id and ses.id = $2 and ses.user_id = u.id
         left join role_permissions rp on rp.salon_id = u.salon_id and rp.role = u.role
         where u.id = $1"#,
        user_id as UserId,
        session_id,
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| PrincipalRow {
        user: UserOut {
            id: r.id,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            phone: r.phone,
            role: r.role,
            avatar: r.avatar_url,
            is_active: r.is_active,
            is_verified: r.is_verified,
            telegram_id: r.telegram_id,
            telegram_username: r.telegram_username,
            created_at: r.created_at,
        },
        salon_active: r.salon_active,
        session_live: r.session_live,
        session_expires_at: r.session_expires_at,
        permissions: r.permissions,
    }))
}

pub async fn find_user(tx: &mut TenantTx, user_id: UserId) -> Result<Option<UserOut>, AppError> {
    Ok(crate::query_user!("select ", " from users where id = $1", user_id as UserId)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn password_hash(tx: &mut TenantTx, user_id: UserId) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar!("select password_hash from users where id = $1", user_id as UserId)
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
    crate::query_user!(
        "insert into users (email, password_hash, password_set_at, invited_at, first_name, last_name, phone, role)
         values ($1, $2, case when $2::text is null then null else now() end,
                 case when $2::text is null then now() else null end, $3, $4, $5, $6)
         returning ",
        "",
        account.email,
        account.password_hash,
        account.first_name,
        account.last_name,
        account.phone,
        account.role as Role,
    )
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
        sqlx::query!(
            "insert into role_permissions (role, permissions) values ($1, $2) on conflict do nothing",
            role as Role,
            sqlx::types::Json(permissions::defaults_for(role)) as _,
        )
        .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Stores a first password only if the account never had one; false when it already has.
pub async fn set_first_password(tx: &mut TenantTx, user_id: UserId, hash: &str) -> Result<bool, AppError> {
    let done = sqlx::query!(
        "update users set password_hash = $2, password_set_at = now(), is_verified = true, updated_at = now()
         where id = $1 and password_set_at is null",
        user_id as UserId,
        hash,
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password(tx: &mut TenantTx, user_id: UserId, hash: &str) -> Result<(), AppError> {
    sqlx::query!(
        "update users set password_hash = $2, password_set_at = now(), updated_at = now() where id = $1",
        user_id as UserId,
        hash,
    )
    .execute(tx.conn())
        .await?;
    Ok(())
}

pub struct NewSession<'a> {
    pub user_id: UserId,
    pub token_hash: &'a [u8],
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub ttl: Duration,
}

pub async fn create_session(tx: &mut TenantTx, s: NewSession<'_>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        "insert into sessions (user_id, token_hash, user_agent, ip, expires_at)
         values ($1, $2, $3, $4::text::inet, now() + make_interval(secs => $5))
         returning id",
        s.user_id as UserId,
        s.token_hash,
        s.user_agent.map(|ua| ua.chars().take(300).collect::<String>()),
        s.ip,
        s.ttl.as_secs_f64(),
    )
    .fetch_one(tx.conn())
    .await?)
}

#[derive(Debug)]
pub struct RefreshRow {
    pub user_id: UserId,
    pub role: Role,
    pub token_hash: Vec<u8>,
    pub usable: bool,
}

/// The session behind a refresh token, with whether it may still be used: not revoked, not
/// expired, user active and salon active.
pub async fn session_for_refresh(tx: &mut TenantTx, session_id: i64) -> Result<Option<RefreshRow>, AppError> {
    Ok(sqlx::query_as!(
        RefreshRow,
        r#"select ses.user_id as "user_id: UserId", u.role as "role: Role", ses.token_hash,
                (ses.revoked_at is null and ses.expires_at > now() and u.is_active and s.status = 'active') as "usable!"
         from sessions ses
         join users u on u.salon_id = ses.salon_id and u.id = ses.user_id
         join salon_facts s on s.salon_id = ses.salon_id
         where ses.id = $1"#,
        session_id,
    )
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn touch_session(tx: &mut TenantTx, session_id: i64) -> Result<(), AppError> {
    sqlx::query!("update sessions set last_used_at = now() where id = $1", session_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn revoke_session(tx: &mut TenantTx, session_id: i64) -> Result<(), AppError> {
    sqlx::query!("update sessions set revoked_at = now() where id = $1 and revoked_at is null", session_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Revokes every live session of a user except `keep` (the one making the request, if any).
pub async fn revoke_sessions_of(tx: &mut TenantTx, user_id: UserId, keep: Option<i64>) -> Result<u64, AppError> {
    let done = sqlx::query!(
        "update sessions set revoked_at = now()
         where user_id = $1 and revoked_at is null and id is distinct from $2",
        user_id as UserId,
        keep,
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

pub async fn create_reset(tx: &mut TenantTx, user_id: UserId, token_hash: &[u8], ttl: Duration) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        "insert into password_resets (user_id, token_hash, expires_at)
         values ($1, $2, now() + make_interval(secs => $3)) returning id",
        user_id as UserId,
        token_hash,
        ttl.as_secs_f64(),
    )
    .fetch_one(tx.conn())
    .await?)
}

#[derive(Debug)]
pub struct ResetRow {
    pub user_id: UserId,
    pub token_hash: Vec<u8>,
    pub used_at: Option<DateTime<Utc>>,
    pub expired: bool,
    pub user_active: bool,
}

/// Locks a reset token's row so two uses of one token cannot both succeed.
pub async fn lock_reset(tx: &mut TenantTx, reset_id: i64) -> Result<Option<ResetRow>, AppError> {
    Ok(sqlx::query_as!(
        ResetRow,
        r#"select r.user_id as "user_id: UserId", r.token_hash, r.used_at, r.expires_at <= now() as "expired!", u.is_active as user_active
         from password_resets r join users u on u.salon_id = r.salon_id and u.id = r.user_id
         where r.id = $1
         for update of r"#,
        reset_id,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Spends every outstanding reset link of a user (using one makes the others void too).
pub async fn spend_resets(tx: &mut TenantTx, user_id: UserId) -> Result<(), AppError> {
    sqlx::query!("update password_resets set used_at = now() where user_id = $1 and used_at is null", user_id as UserId)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Links (or with `None`, unlinks) the user's Telegram account.
pub async fn set_telegram(tx: &mut TenantTx, user_id: UserId, telegram_id: Option<i64>, username: Option<&str>) -> Result<(), AppError> {
    sqlx::query!(
        "update users set telegram_id = $2, telegram_username = $3, updated_at = now() where id = $1",
        user_id as UserId,
        telegram_id,
        username,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The salon's active user linked to this Telegram account.
pub async fn user_by_telegram(tx: &mut TenantTx, telegram_id: i64) -> Result<Option<UserId>, AppError> {
    Ok(sqlx::query_scalar!(r#"select id as "id: UserId" from users where telegram_id = $1 and is_active"#, telegram_id)
        .fetch_optional(tx.conn())
        .await?)
}
