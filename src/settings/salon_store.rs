//! SQL of the salon settings: the salon's own `salons` row (RLS shows the app role no other).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sqlx::types::Json;

use super::salon_model::{SalonSettings, SocialUrls, StoredDay, WeekHours};
use crate::{http::error::AppError, tenancy::TenantTx};

#[derive(sqlx::FromRow)]
struct Row {
    name: String,
    legal_name: String,
    city: String,
    address: String,
    phone: String,
    email: String,
    website: String,
    description: String,
    opening_date: Option<NaiveDate>,
    currency: String,
    timezone: String,
    working_hours: Json<BTreeMap<String, StoredDay>>,
    instagram_url: String,
    facebook_url: String,
    telegram_url: String,
    slot_step_minutes: i32,
    reminder_hours_before: i32,
    online_booking_enabled: bool,
    booking_min_lead_minutes: i32,
    booking_horizon_days: i32,
    cancellation_window_hours: i32,
}

// Two fixed statements (sqlx takes `&'static str`), the same but for the lock.
const SELECT: &str = "select name, legal_name, city, address, phone, email, website, description, opening_date,
        btrim(currency) as currency, timezone, working_hours, instagram_url, facebook_url, telegram_url,
        slot_step_minutes, reminder_hours_before, online_booking_enabled, booking_min_lead_minutes,
        booking_horizon_days, cancellation_window_hours
     from salons where id = app.current_salon_id()";
const SELECT_FOR_UPDATE: &str = "select name, legal_name, city, address, phone, email, website, description, opening_date,
        btrim(currency) as currency, timezone, working_hours, instagram_url, facebook_url, telegram_url,
        slot_step_minutes, reminder_hours_before, online_booking_enabled, booking_min_lead_minutes,
        booking_horizon_days, cancellation_window_hours
     from salons where id = app.current_salon_id() for update";

/// The salon's settings; `for_update` locks the row for a read-modify-write.
pub async fn load(tx: &mut TenantTx, for_update: bool) -> Result<SalonSettings, AppError> {
    let sql = if for_update {
        SELECT_FOR_UPDATE
    } else {
        SELECT
    };
    let row: Row = sqlx::query_as(sql)
        .fetch_optional(tx.conn())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(SalonSettings {
        name: row.name,
        legal_name: row.legal_name,
        city: row.city,
        address: row.address,
        phone: row.phone,
        email: row.email,
        website: row.website,
        description: row.description,
        opening_date: row.opening_date,
        currency: row.currency,
        timezone: row.timezone,
        working_hours: WeekHours::from_stored(&row.working_hours.0),
        social_urls: SocialUrls {
            instagram: row.instagram_url,
            facebook: row.facebook_url,
            telegram: row.telegram_url,
        },
        slot_step: row.slot_step_minutes,
        reminder_hours_before: row.reminder_hours_before,
        online_booking_enabled: row.online_booking_enabled,
        booking_min_lead_minutes: row.booking_min_lead_minutes,
        booking_horizon_days: row.booking_horizon_days,
        cancellation_window_hours: row.cancellation_window_hours,
    })
}

/// Writes every setting of the salon's row.
pub async fn save(tx: &mut TenantTx, s: &SalonSettings) -> Result<(), AppError> {
    sqlx::query(
        "update salons set
            name = $1, legal_name = $2, city = $3, address = $4, phone = $5, email = $6, website = $7,
            description = $8, opening_date = $9, currency = $10, timezone = $11, working_hours = $12,
            instagram_url = $13, facebook_url = $14, telegram_url = $15, slot_step_minutes = $16,
            reminder_hours_before = $17, online_booking_enabled = $18, booking_min_lead_minutes = $19,
            booking_horizon_days = $20, cancellation_window_hours = $21, updated_at = now()
         where id = app.current_salon_id()",
    )
    .bind(&s.name)
    .bind(&s.legal_name)
    .bind(&s.city)
    .bind(&s.address)
    .bind(&s.phone)
    .bind(&s.email)
    .bind(&s.website)
    .bind(&s.description)
    .bind(s.opening_date)
    .bind(&s.currency)
    .bind(&s.timezone)
    .bind(Json(s.working_hours.to_stored()))
    .bind(&s.social_urls.instagram)
    .bind(&s.social_urls.facebook)
    .bind(&s.social_urls.telegram)
    .bind(s.slot_step)
    .bind(s.reminder_hours_before)
    .bind(s.online_booking_enabled)
    .bind(s.booking_min_lead_minutes)
    .bind(s.booking_horizon_days)
    .bind(s.cancellation_window_hours)
    .execute(tx.conn())
    .await?;
    Ok(())
}
