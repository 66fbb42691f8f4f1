//! The transaction's own salon row (`salons`, which tenancy owns): what other domains may read
//! of it, and the settings columns the settings domain edits. Row-level security shows the
//! app role its own salon's row alone. SQL elsewhere reads the `salon_facts` view instead
//! (migrations/0010_domain_exports.sql).

use chrono::{NaiveDate, NaiveTime};
use serde_json::Value;

use super::TenantTx;
use crate::error::AppError;

/// The salon's name, as documents and receipts print it.
pub async fn name(tx: &mut TenantTx) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!("select name from salons").fetch_one(tx.conn()).await?)
}

/// The salon's currency code (`UAH`).
pub async fn currency(tx: &mut TenantTx) -> Result<String, AppError> {
    Ok(sqlx::query_scalar!(r#"select btrim(currency) as "currency!" from salons"#)
        .fetch_one(tx.conn())
        .await?)
}

/// When the salon's reminders go out: the few columns a booking reads, not the whole profile.
#[derive(Debug, Clone)]
pub struct ReminderSettings {
    pub timezone: String,
    pub reminder_hours_before: i32,
    pub quiet_hours_start: NaiveTime,
    pub quiet_hours_end: NaiveTime,
}

pub async fn reminder_settings(tx: &mut TenantTx) -> Result<ReminderSettings, AppError> {
    Ok(sqlx::query_as!(
        ReminderSettings,
        "select timezone, reminder_hours_before, quiet_hours_start, quiet_hours_end
         from salons where id = app.current_salon_id()"
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The salon's editable profile and preferences: every column the app role may update
/// (policies/00_grants.sql), as stored.
#[derive(Debug, Clone)]
pub struct SalonProfile {
    pub name: String,
    pub legal_name: String,
    pub city: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    pub description: String,
    pub opening_date: Option<NaiveDate>,
    pub currency: String,
    pub timezone: String,
    /// The stored weekly hours (`{"monday": {...}, ...}`), read and written by settings.
    pub working_hours: Value,
    pub instagram_url: String,
    pub facebook_url: String,
    pub telegram_url: String,
    pub slot_step_minutes: i32,
    pub reminder_hours_before: i32,
    pub online_booking_enabled: bool,
    pub booking_min_lead_minutes: i32,
    pub booking_horizon_days: i32,
    pub cancellation_window_hours: i32,
    /// Whether visit messages may go by SMS (the salon pays for them).
    pub sms_enabled: bool,
    /// Wall-clock hours in which no reminder is sent; start = end means none.
    pub quiet_hours_start: NaiveTime,
    pub quiet_hours_end: NaiveTime,
}

/// `sqlx::query_as!(SalonProfile, ..)` reading the salon's row, then `$tail`.
macro_rules! query_profile {
    ($tail:literal) => {
        sqlx::query_as!(
            SalonProfile,
            r#"select name, legal_name, city, address, phone, email, website, description, opening_date,
                    btrim(currency) as "currency!", timezone, working_hours,
                    instagram_url, facebook_url, telegram_url, slot_step_minutes, reminder_hours_before,
                    online_booking_enabled, booking_min_lead_minutes, booking_horizon_days, cancellation_window_hours,
                    sms_enabled, quiet_hours_start, quiet_hours_end
             from salons where id = app.current_salon_id() "#
                + $tail
        )
    };
}

/// The salon's profile; `for_update` locks the row for a read-modify-write.
pub async fn profile(tx: &mut TenantTx, for_update: bool) -> Result<SalonProfile, AppError> {
    let row = if for_update {
        query_profile!("for update").fetch_optional(tx.conn()).await?
    } else {
        query_profile!("").fetch_optional(tx.conn()).await?
    };
    row.ok_or(AppError::NotFound)
}

/// Writes every editable column of the salon's row.
pub async fn save_profile(tx: &mut TenantTx, s: &SalonProfile) -> Result<(), AppError> {
    sqlx::query!(
        "update salons set
            name = $1, legal_name = $2, city = $3, address = $4, phone = $5, email = $6, website = $7,
            description = $8, opening_date = $9, currency = $10, timezone = $11, working_hours = $12,
            instagram_url = $13, facebook_url = $14, telegram_url = $15, slot_step_minutes = $16,
            reminder_hours_before = $17, online_booking_enabled = $18, booking_min_lead_minutes = $19,
            booking_horizon_days = $20, cancellation_window_hours = $21, sms_enabled = $22,
            quiet_hours_start = $23, quiet_hours_end = $24, updated_at = now()
         where id = app.current_salon_id()",
        s.name,
        s.legal_name,
        s.city,
        s.address,
        s.phone,
        s.email,
        s.website,
        s.description,
        s.opening_date,
        s.currency,
        s.timezone,
        s.working_hours,
        s.instagram_url,
        s.facebook_url,
        s.telegram_url,
        s.slot_step_minutes,
        s.reminder_hours_before,
        s.online_booking_enabled,
        s.booking_min_lead_minutes,
        s.booking_horizon_days,
        s.cancellation_window_hours,
        s.sms_enabled,
        s.quiet_hours_start,
        s.quiet_hours_end,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
