//! Every crossing between tenants, each through one named `platform.*` function.
//!
//! Those functions are `SECURITY DEFINER`, owned by the `adelante_platform` role (the only
//! role with BYPASSRLS), and return exactly the columns their caller needs. The app role can
//! execute them and nothing more; see `policies/20_platform.sql`.

use sqlx::{FromRow, PgPool};

use super::{SalonId, TenantTx};
use crate::http::error::AppError;

#[derive(Clone)]
pub struct PlatformDb {
    pool: PgPool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum SalonStatus {
    Active,
    Suspended,
}

/// A salon as the registry knows it.
#[derive(Debug, Clone, FromRow)]
pub struct SalonRef {
    pub id: SalonId,
    pub slug: String,
    pub name: String,
    pub status: SalonStatus,
}

/// One account with a given e-mail, in whichever salon it lives. Carries no credentials.
#[derive(Debug, Clone, FromRow)]
pub struct EmailAccount {
    pub salon_id: SalonId,
    pub salon_slug: String,
    pub salon_name: String,
    pub salon_status: SalonStatus,
    pub user_id: i64,
    pub ever_had_password: bool,
    pub invited_at: Option<chrono::DateTime<chrono::Utc>>,
    pub is_active: bool,
}

/// An account a login may sign into, with the hash its password is checked against. Only
/// [`PlatformDb::login_accounts`] returns one, and only the login route asks; no `Debug`, so
/// the hash cannot end up in a log line.
#[derive(Clone, FromRow)]
pub struct LoginAccount {
    #[sqlx(flatten)]
    pub account: EmailAccount,
    pub password_hash: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct NewSalonRow {
    pub id: SalonId,
    pub slug: String,
}

impl PlatformDb {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The salon whose subdomain is `slug`.
    pub async fn salon_by_slug(&self, slug: &str) -> Result<Option<SalonRef>, AppError> {
        Ok(sqlx::query_as("select id, slug, name, status from platform.salon_by_slug($1)")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every account with this e-mail (case-insensitive) across salons, without credentials:
    /// password setup without a subdomain, forgot-password, and the register uniqueness check.
    pub async fn accounts_by_email(&self, email: &str) -> Result<Vec<EmailAccount>, AppError> {
        Ok(sqlx::query_as(
            "select salon_id, salon_slug, salon_name, salon_status, user_id, ever_had_password, invited_at, is_active
             from platform.email_accounts($1)",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The accounts with this e-mail that have a password, in `salon` only when given (the
    /// request came through its subdomain), each with its hash. For the login route alone.
    pub async fn login_accounts(&self, email: &str, salon: Option<SalonId>) -> Result<Vec<LoginAccount>, AppError> {
        Ok(sqlx::query_as(
            "select salon_id, salon_slug, salon_name, salon_status, user_id, ever_had_password, invited_at, is_active,
                    password_hash
             from platform.login_accounts($1, $2)",
        )
        .bind(email)
        .bind(salon)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Creates a salon with a unique slug derived from `slug_base` and returns a transaction
    /// already scoped to it, so the salon and its first rows commit together or not at all.
    /// Whether the administrator's e-mail may be used is the caller's decision (an e-mail may
    /// have accounts in several salons; see `/auth/register`).
    pub async fn register_salon(
        &self,
        name: &str,
        slug_base: &str,
        timezone: &str,
    ) -> Result<(TenantTx, NewSalonRow), AppError> {
        let mut tx = self.pool.begin().await?;
        let row: NewSalonRow = sqlx::query_as("select id, slug from platform.create_salon($1, $2, $3)")
            .bind(name)
            .bind(slug_base)
            .bind(timezone)
            .fetch_one(&mut *tx)
            .await?;
        let tenant = TenantTx::from_platform(tx, row.id).await?;
        Ok((tenant, row))
    }

    /// Deletes sessions and reset links that can no longer be used, in every salon.
    pub async fn purge_expired(&self) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar("select platform.purge_expired()").fetch_one(&self.pool).await?)
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&self.pool).await.map(drop)
    }
}
