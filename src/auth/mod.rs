//! Accounts, passwords, tokens, sessions and permissions.
//!
//! Routes follow the contract's auth section (snake_case bodies). Wrong credentials are a 400
//! with a message (a 401 would start the client's refresh-and-logout path); 401 means only a
//! missing, expired, tampered or revoked access token.

pub mod email_change;
mod extract;
pub mod invitations;
mod model;
pub mod password;
pub mod permissions;
mod routes;
mod store;
mod throttle;
pub mod tokens;

pub use extract::{AccessClaims, Can, ClientIp, CurrentUser, LazyTx, Permission, RequestTx, UserAgent, principal};
pub use model::{Role, TokenAnswer, UserOut};
pub use routes::router;
pub use routes::{change_own_password, normalise_email, slug_base};
pub use store::{NewAccount, create_account, seed_role_permissions};

const LAST_ADMIN: &str = "У салоні має залишитися хоча б один активний адміністратор";

/// Locks the salon's active administrators, so that concurrent demotions and deactivations
/// are checked one after another by [`ensure_an_admin_remains`].
pub async fn lock_admins(tx: &mut crate::tenancy::TenantTx) -> Result<(), crate::http::error::AppError> {
    sqlx::query("select id from users where role = 'admin' and is_active order by id for update")
        .fetch_all(tx.conn())
        .await?;
    Ok(())
}

/// 409 `last_admin` when the transaction has left the salon without an active administrator.
pub async fn ensure_an_admin_remains(tx: &mut crate::tenancy::TenantTx) -> Result<(), crate::http::error::AppError> {
    let left: i64 = sqlx::query_scalar("select count(*) from users where role = 'admin' and is_active")
        .fetch_one(tx.conn())
        .await?;
    if left == 0 {
        return Err(crate::http::error::AppError::conflict("last_admin", LAST_ADMIN));
    }
    Ok(())
}

/// Deactivates an account and signs it out everywhere; refused for the last administrator.
pub async fn deactivate_user(tx: &mut crate::tenancy::TenantTx, user_id: i64) -> Result<(), crate::http::error::AppError> {
    lock_admins(tx).await?;
    sqlx::query("update users set is_active = false, updated_at = now() where id = $1")
        .bind(user_id)
        .execute(tx.conn())
        .await?;
    ensure_an_admin_remains(tx).await?;
    store::revoke_sessions_of(tx, user_id, None).await?;
    Ok(())
}

/// Signs a user out of every session (deactivation).
pub async fn revoke_sessions_of_user(
    tx: &mut crate::tenancy::TenantTx,
    user_id: i64,
) -> Result<u64, crate::http::error::AppError> {
    store::revoke_sessions_of(tx, user_id, None).await
}
pub use throttle::Throttle;

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
