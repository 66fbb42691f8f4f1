//! The signed-in user's own profile: the account's row as `/settings/profile` shows and edits
//! it (`users`, which auth owns; this salon's rows only by RLS). The settings domain checks the
//! changes (`settings::profile::model`) and calls these.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::Role;
use crate::{
    error::{AppError, constraint_of},
    ids::UserId,
    tenancy::{Lock, TenantTx},
};

/// The profile (`GET`/`PUT /settings/profile`, and the avatar routes' answer).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The user id as a numeric string.
    #[serde(serialize_with = "crate::http::ids::as_string")]
    #[schema(value_type = String, example = "12")]
    pub id: i64,
    pub email: String,
    /// `firstName lastName`.
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    /// `""` when not set.
    pub phone: String,
    pub role: Role,
    /// Public URL of the avatar (an `<img src>`), `null` when there is none.
    pub avatar: Option<String>,
    /// The user's UI preferences, as the client stored them.
    #[schema(value_type = Object)]
    pub preferences: sqlx::types::Json<Map<String, Value>>,
    pub birth_date: Option<NaiveDate>,
    pub address: Option<String>,
    pub emergency_contact: Option<String>,
    pub emergency_phone: Option<String>,
    pub specialization: Option<String>,
    /// Whether the user has linked a Telegram account.
    pub telegram_connected: bool,
    /// The file-store key of an avatar this server stored.
    #[serde(skip)]
    pub avatar_key: Option<String>,
}

impl Profile {
    /// Fills `name` from the first and last name.
    pub fn with_name(mut self) -> Self {
        self.name = format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned();
        self
    }
}

/// `sqlx::query_as!(Profile, ..)` reading the user `$1`, then `$tail`. `name` is left empty
/// for [`Profile::with_name`].
macro_rules! query_profile {
    ($tail:literal, $user_id:expr) => {
        sqlx::query_as!(
            Profile,
            r#"select id, email, '' as "name!", first_name, last_name, coalesce(phone, '') as "phone!",
                    role as "role: Role", avatar_url as avatar,
                    preferences as "preferences: sqlx::types::Json<Map<String, Value>>", birth_date, address,
                    emergency_contact, emergency_phone, specialization,
                    telegram_id is not null as "telegram_connected!", avatar_key
             from users where id = $1 "#
                + $tail,
            $user_id,
        )
    };
}

/// The user's profile; `Lock::ForUpdate` locks the row for a read-modify-write.
pub async fn load(tx: &mut TenantTx, user_id: UserId, lock: Lock) -> Result<Profile, AppError> {
    let profile = if lock == Lock::ForUpdate {
        query_profile!("for update", user_id as UserId).fetch_optional(tx.conn()).await?
    } else {
        query_profile!("", user_id as UserId).fetch_optional(tx.conn()).await?
    };
    Ok(profile.ok_or(AppError::NotFound)?.with_name())
}

/// The user's password hash, if any (to check the current password).
pub async fn password_hash(tx: &mut TenantTx, user_id: UserId) -> Result<Option<String>, AppError> {
    super::store::password_hash(tx, user_id).await
}

/// Writes the editable fields. An e-mail another account of the salon uses is a 409.
pub async fn save(tx: &mut TenantTx, p: &Profile) -> Result<(), AppError> {
    sqlx::query!(
        "update users set
            email = $2, first_name = $3, last_name = $4, phone = nullif($5, ''), preferences = $6,
            birth_date = $7, address = $8, emergency_contact = $9, emergency_phone = $10,
            specialization = $11,
            is_verified = is_verified and email = $2,
            updated_at = now()
         where id = $1",
        p.id,
        p.email,
        p.first_name,
        p.last_name,
        p.phone,
        p.preferences as _,
        p.birth_date,
        p.address,
        p.emergency_contact,
        p.emergency_phone,
        p.specialization,
    )
    .execute(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("users_salon_id_email_key") => AppError::conflict(
            "email_taken",
            "Цей e-mail уже використовує інший співробітник салону",
        ),
        _ => e.into(),
    })?;
    Ok(())
}

/// Sets (or, with `None`, removes) the avatar this server stored.
pub async fn set_avatar(
    tx: &mut TenantTx,
    user_id: UserId,
    stored: Option<(&str, &str)>,
) -> Result<(), AppError> {
    let (url, key) = stored.unzip();
    sqlx::query!(
        "update users set avatar_url = $2, avatar_key = $3, updated_at = now() where id = $1",
        user_id as UserId,
        url,
        key,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
