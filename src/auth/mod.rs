//! Accounts, passwords, tokens, sessions and permissions.
//!
//! Routes follow the contract's auth section (snake_case bodies). Wrong credentials are a 400
//! with a message (a 401 would start the client's refresh-and-logout path); 401 means only a
//! missing, expired, tampered or revoked access token.
//!
//! Auth owns the accounts (`users`), sessions, invitations and the permission matrix. Other
//! domains ask through [`principal`] (who is signed in: the one check behind [`CurrentUser`]
//! and the WebSocket handshake), [`user_name`], [`role_of`], [`active_users_with_roles`],
//! [`profile`] and [`matrix`]; their SQL reads the `user_names` view
//! (migrations/0010_domain_exports.sql).

mod account;
pub mod email_change;
pub mod extract;
mod http;
pub mod invitations;
pub mod links;
pub mod matrix;
mod model;
pub mod password;
pub mod permissions;
pub mod profile;
pub mod router;
mod store;
pub mod telegram;
pub mod throttle;
pub mod tokens;
pub mod users;

pub use extract::{AccessClaims, Can, ClientIp, CurrentUser, Gate, HeavySlot, LazyTx, Permission, RequestTx, UserAgent, principal, sign_in_token};
pub use model::{Role, TokenAnswer, UserOut};
pub use account::{change_own_password, normalise_email, slug_base};
pub use store::{NewAccount, create_account, seed_role_permissions};

use crate::ids::UserId;

/// The parts of the running process that auth's handlers use: sign-in and sign-up need the
/// platform lookups, the throttle, token keys, mail and settings together. The composition
/// root builds it from the app's state (`FromRef`).
#[derive(Clone)]
pub struct Parts {
    pub config: std::sync::Arc<crate::config::Config>,
    pub db: crate::tenancy::AppDb,
    pub platform: crate::tenancy::PlatformDb,
    pub gate: std::sync::Arc<Gate>,
    pub throttle: throttle::Throttle,
    pub mailer: crate::messaging::Mailer,
    pub versions: crate::cache::Versions,
    /// Short-lived codes (Telegram link and sign-in).
    pub kv: crate::kv::Kv,
    pub telegram: crate::messaging::telegram::TelegramApi,
}

const LAST_ADMIN: &str = "У салоні має залишитися хоча б один активний адміністратор";

/// Locks the salon's active administrators, so that concurrent demotions and deactivations
/// are checked one after another by [`ensure_an_admin_remains`].
pub async fn lock_admins(tx: &mut crate::tenancy::TenantTx) -> Result<(), crate::error::AppError> {
    sqlx::query!("select id from users where role = 'admin' and is_active order by id for update")
        .fetch_all(tx.conn())
        .await?;
    Ok(())
}

/// 409 `last_admin` when the transaction has left the salon without an active administrator.
pub async fn ensure_an_admin_remains(tx: &mut crate::tenancy::TenantTx) -> Result<(), crate::error::AppError> {
    let left: i64 = sqlx::query_scalar!(r#"select count(*) as "count!" from users where role = 'admin' and is_active"#)
        .fetch_one(tx.conn())
        .await?;
    if left == 0 {
        return Err(crate::error::AppError::conflict("last_admin", LAST_ADMIN));
    }
    Ok(())
}

/// Deactivates an account and signs it out everywhere; refused for the last administrator.
pub async fn deactivate_user(tx: &mut crate::tenancy::TenantTx, user_id: UserId) -> Result<(), crate::error::AppError> {
    lock_admins(tx).await?;
    sqlx::query!("update users set is_active = false, updated_at = now() where id = $1", user_id as UserId)
        .execute(tx.conn())
        .await?;
    ensure_an_admin_remains(tx).await?;
    store::revoke_sessions_of(tx, user_id, None).await?;
    Ok(())
}

/// Signs a user out of every session (deactivation).
pub async fn revoke_sessions_of_user(
    tx: &mut crate::tenancy::TenantTx,
    user_id: impl Into<UserId>,
) -> Result<u64, crate::error::AppError> {
    // `impl Into`: the users API still names accounts by plain ids.
    store::revoke_sessions_of(tx, user_id.into(), None).await
}

/// An account's display name (`person_name`: first and last name, else the e-mail); `None`
/// when the salon has no such account.
pub async fn user_name(tx: &mut crate::tenancy::TenantTx, user_id: i64) -> Result<Option<String>, crate::error::AppError> {
    Ok(sqlx::query_scalar!(r#"select person_name(first_name, last_name, email) as "name!" from users where id = $1"#, user_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// An account's role; `None` when the salon has no such account.
pub async fn role_of(tx: &mut crate::tenancy::TenantTx, user_id: i64) -> Result<Option<Role>, crate::error::AppError> {
    Ok(sqlx::query_scalar!(r#"select role as "role: Role" from users where id = $1"#, user_id)
        .fetch_optional(tx.conn())
        .await?)
}

/// The active accounts holding any of these roles, by id.
pub async fn active_users_with_roles(
    tx: &mut crate::tenancy::TenantTx,
    roles: &[Role],
) -> Result<Vec<i64>, crate::error::AppError> {
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    Ok(sqlx::query_scalar!("select id from users where role = any($1) and is_active order by id", &roles as &[&str])
        .fetch_all(tx.conn())
        .await?)
}

pub use throttle::Throttle;

/// The salon's active user who linked this Telegram account (a private chat's id is its user's).
pub async fn user_by_telegram_chat(
    tx: &mut crate::tenancy::TenantTx,
    telegram_id: i64,
) -> Result<Option<crate::ids::UserId>, crate::error::AppError> {
    store::user_by_telegram(tx, telegram_id).await
}

/// Declares a permission marker type for [`Can`], named by its id in `policies/permissions.txt`.
#[macro_export]
macro_rules! permission {
    ($name:ident = $id:literal) => {
        pub struct $name;
        impl $crate::auth::Permission for $name {
            const ID: &'static str = $id;
        }
    };
}
