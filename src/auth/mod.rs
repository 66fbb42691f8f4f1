//! Accounts, passwords, tokens, sessions and permissions.
//!
//! Routes follow the contract's auth section (snake_case bodies). Wrong credentials are a 400
//! with a message (a 401 would start the client's refresh-and-logout path); 401 means only a
//! missing, expired, tampered or revoked access token.

mod extract;
mod model;
pub mod password;
pub mod permissions;
mod routes;
mod store;
mod throttle;
pub mod tokens;

pub use extract::{AccessClaims, Can, ClientIp, CurrentUser, Permission, RequestTx, UserAgent};
pub use model::{Role, TokenAnswer, UserOut};
pub use routes::router;
pub use routes::{normalise_email, slug_base};
pub use store::{NewAccount, create_account, seed_role_permissions};

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
