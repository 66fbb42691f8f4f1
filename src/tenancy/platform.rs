//! Every crossing between tenants, each through one named `platform.*` function.
//!
//! Those functions are `SECURITY DEFINER`, owned by the `adelante_platform` role (the only
//! role with BYPASSRLS), and return exactly the columns their caller needs. The app role can
//! execute them and nothing more; see `policies/20_platform.sql`.

use sqlx::PgPool;

use super::{Clock, SalonId, TenantTx};
use crate::{error::AppError, ids::UserId};

#[derive(Clone)]
pub struct PlatformDb {
    pool: PgPool,
    /// Handed to the transactions it opens for a new salon.
    clock: Clock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, serde::Serialize, serde::Deserialize)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum SalonStatus {
    Active,
    Suspended,
}

/// A salon as the registry knows it.
#[derive(Debug, Clone)]
pub struct SalonRef {
    pub id: SalonId,
    pub slug: String,
    pub name: String,
    pub status: SalonStatus,
}

/// One account with a given e-mail, in whichever salon it lives. Carries no credentials.
#[derive(Debug, Clone)]
pub struct EmailAccount {
    pub salon_id: SalonId,
    pub salon_slug: String,
    pub salon_name: String,
    pub salon_status: SalonStatus,
    pub user_id: UserId,
    pub ever_had_password: bool,
    pub invited_at: Option<chrono::DateTime<chrono::Utc>>,
    pub is_active: bool,
}

/// An account a login may sign into, with the hash its password is checked against. Only
/// [`PlatformDb::login_accounts`] returns one, and only the login route asks; no `Debug`, so
/// the hash cannot end up in a log line.
#[derive(Clone)]
pub struct LoginAccount {
    pub account: EmailAccount,
    pub password_hash: String,
}

/// A salon bot's webhook: whose it is and the digest of the secret Telegram must echo.
#[derive(Debug, Clone)]
pub struct TelegramHook {
    pub salon_id: SalonId,
    pub bot_id: i64,
    pub secret_hash: Vec<u8>,
}

/// An account linked to a Telegram user, in whichever salon (Telegram sign-in on the bare domain).
#[derive(Debug, Clone)]
pub struct TelegramAccount {
    pub salon_id: SalonId,
    pub salon_slug: String,
    pub salon_name: String,
    pub user_id: UserId,
}

#[derive(Debug, Clone)]
pub struct NewSalonRow {
    pub id: SalonId,
    pub slug: String,
}

impl PlatformDb {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// The salon whose subdomain is `slug`.
    pub async fn salon_by_slug(&self, slug: &str) -> Result<Option<SalonRef>, AppError> {
        Ok(sqlx::query_as!(
            SalonRef,
            r#"select id as "id!: SalonId", slug as "slug!", name as "name!", status as "status!: SalonStatus"
             from platform.salon_by_slug($1)"#,
            slug,
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every account with this e-mail (case-insensitive) across salons, without credentials:
    /// password setup without a subdomain, forgot-password, and the register uniqueness check.
    pub async fn accounts_by_email(&self, email: &str) -> Result<Vec<EmailAccount>, AppError> {
        Ok(sqlx::query_as!(
            EmailAccount,
            r#"select salon_id as "salon_id!: SalonId", salon_slug as "salon_slug!", salon_name as "salon_name!",
                    salon_status as "salon_status!: SalonStatus", user_id as "user_id!: UserId",
                    ever_had_password as "ever_had_password!", invited_at, is_active as "is_active!"
             from platform.email_accounts($1)"#,
            email,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The accounts with this e-mail that have a password, in `salon` only when given (the
    /// request came through its subdomain), each with its hash. For the login route alone.
    pub async fn login_accounts(&self, email: &str, salon: Option<SalonId>) -> Result<Vec<LoginAccount>, AppError> {
        let rows = sqlx::query!(
            r#"select salon_id as "salon_id!: SalonId", salon_slug as "salon_slug!", salon_name as "salon_name!",
                    salon_status as "salon_status!: SalonStatus", user_id as "user_id!: UserId",
                    ever_had_password as "ever_had_password!", invited_at, is_active as "is_active!",
                    password_hash as "password_hash!"
             from platform.login_accounts($1, $2)"#,
            email,
            salon as Option<SalonId>,
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| LoginAccount {
                account: EmailAccount {
                    salon_id: r.salon_id,
                    salon_slug: r.salon_slug,
                    salon_name: r.salon_name,
                    salon_status: r.salon_status,
                    user_id: r.user_id,
                    ever_had_password: r.ever_had_password,
                    invited_at: r.invited_at,
                    is_active: r.is_active,
                },
                password_hash: r.password_hash,
            })
            .collect())
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
        let row = sqlx::query_as!(
            NewSalonRow,
            r#"select id as "id!: SalonId", slug as "slug!" from platform.create_salon($1, $2, $3)"#,
            name,
            slug_base,
            timezone,
        )
        .fetch_one(&mut *tx)
        .await?;
        let tenant = TenantTx::from_platform(tx, row.id, self.clock.clone()).await?;
        Ok((tenant, row))
    }

    /// The salon bot that Telegram reaches at `/telegram/{hook}`.
    pub async fn telegram_hook(&self, hook: &str) -> Result<Option<TelegramHook>, AppError> {
        Ok(sqlx::query_as!(
            TelegramHook,
            r#"select salon_id as "salon_id!: SalonId", bot_id as "bot_id!", secret_hash as "secret_hash!"
             from platform.telegram_hook($1)"#,
            hook,
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The active accounts of active salons linked to this Telegram user.
    pub async fn telegram_accounts(&self, telegram_id: i64) -> Result<Vec<TelegramAccount>, AppError> {
        Ok(sqlx::query_as!(
            TelegramAccount,
            r#"select salon_id as "salon_id!: SalonId", salon_slug as "salon_slug!", salon_name as "salon_name!",
                    user_id as "user_id!: UserId"
             from platform.telegram_accounts($1)"#,
            telegram_id,
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes sessions and reset links that can no longer be used, in every salon.
    pub async fn purge_expired(&self) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar!(r#"select platform.purge_expired() as "purged!""#).fetch_one(&self.pool).await?)
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar!("select 1 as one").fetch_one(&self.pool).await.map(drop)
    }
}
