//! SQL of the signed-in user's own profile (`users`, this salon's rows only by RLS).

use super::profile_model::Profile;
use crate::{
    http::error::{AppError, constraint_of},
    tenancy::TenantTx,
};

const SELECT: &str = "select id, email, first_name, last_name, coalesce(phone, '') as phone, role,
        avatar_url as avatar, preferences, birth_date, address, emergency_contact, emergency_phone,
        specialization, telegram_id is not null as telegram_connected, avatar_key
     from users where id = $1";
const SELECT_FOR_UPDATE: &str =
    "select id, email, first_name, last_name, coalesce(phone, '') as phone, role,
        avatar_url as avatar, preferences, birth_date, address, emergency_contact, emergency_phone,
        specialization, telegram_id is not null as telegram_connected, avatar_key
     from users where id = $1 for update";

/// The user's profile; `for_update` locks the row for a read-modify-write.
pub async fn load(tx: &mut TenantTx, user_id: i64, for_update: bool) -> Result<Profile, AppError> {
    let sql = if for_update {
        SELECT_FOR_UPDATE
    } else {
        SELECT
    };
    let profile: Profile = sqlx::query_as(sql)
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(profile.with_name())
}

/// The user's password hash, if any (to check the current password).
pub async fn password_hash(tx: &mut TenantTx, user_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user_id)
        .fetch_optional(tx.conn())
        .await?
        .flatten())
}

/// Writes the editable fields. An e-mail another account of the salon uses is a 409.
pub async fn save(tx: &mut TenantTx, p: &Profile) -> Result<(), AppError> {
    sqlx::query(
        "update users set
            email = $2, first_name = $3, last_name = $4, phone = nullif($5, ''), preferences = $6,
            birth_date = $7, address = $8, emergency_contact = $9, emergency_phone = $10,
            specialization = $11,
            is_verified = is_verified and email = $2,
            updated_at = now()
         where id = $1",
    )
    .bind(p.id)
    .bind(&p.email)
    .bind(&p.first_name)
    .bind(&p.last_name)
    .bind(&p.phone)
    .bind(&p.preferences)
    .bind(p.birth_date)
    .bind(&p.address)
    .bind(&p.emergency_contact)
    .bind(&p.emergency_phone)
    .bind(&p.specialization)
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
    user_id: i64,
    stored: Option<(&str, &str)>,
) -> Result<(), AppError> {
    let (url, key) = stored.unzip();
    sqlx::query(
        "update users set avatar_url = $2, avatar_key = $3, updated_at = now() where id = $1",
    )
    .bind(user_id)
    .bind(url)
    .bind(key)
    .execute(tx.conn())
    .await?;
    Ok(())
}
