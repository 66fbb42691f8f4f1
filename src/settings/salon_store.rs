//! The salon settings as stored: the salon's own row, which tenancy owns and reads and writes
//! for us ([`crate::tenancy::salon`]).

use std::collections::BTreeMap;

use anyhow::Context;

use super::salon_model::{SalonSettings, SocialUrls, StoredDay, WeekHours};
use crate::{
    clock::HhMm,
    error::AppError,
    tenancy::{Lock, TenantTx, salon::{self, SalonProfile}},
};

/// The salon's settings; `Lock::ForUpdate` locks the row for a read-modify-write.
pub async fn load(tx: &mut TenantTx, lock: Lock) -> Result<SalonSettings, AppError> {
    let row = salon::profile(tx, lock == Lock::ForUpdate).await?;
    let hours: BTreeMap<String, StoredDay> =
        serde_json::from_value(row.working_hours).context("salons.working_hours as stored")?;
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
        working_hours: WeekHours::from_stored(&hours),
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
        sms_enabled: row.sms_enabled,
        quiet_hours_start: HhMm(row.quiet_hours_start),
        quiet_hours_end: HhMm(row.quiet_hours_end),
    })
}

/// Writes every setting of the salon's row.
pub async fn save(tx: &mut TenantTx, s: &SalonSettings) -> Result<(), AppError> {
    let working_hours = serde_json::to_value(s.working_hours.to_stored()).context("working hours")?;
    salon::save_profile(tx, &SalonProfile {
        name: s.name.clone(),
        legal_name: s.legal_name.clone(),
        city: s.city.clone(),
        address: s.address.clone(),
        phone: s.phone.clone(),
        email: s.email.clone(),
        website: s.website.clone(),
        description: s.description.clone(),
        opening_date: s.opening_date,
        currency: s.currency.clone(),
        timezone: s.timezone.clone(),
        working_hours,
        instagram_url: s.social_urls.instagram.clone(),
        facebook_url: s.social_urls.facebook.clone(),
        telegram_url: s.social_urls.telegram.clone(),
        slot_step_minutes: s.slot_step,
        reminder_hours_before: s.reminder_hours_before,
        online_booking_enabled: s.online_booking_enabled,
        booking_min_lead_minutes: s.booking_min_lead_minutes,
        booking_horizon_days: s.booking_horizon_days,
        cancellation_window_hours: s.cancellation_window_hours,
        sms_enabled: s.sms_enabled,
        quiet_hours_start: s.quiet_hours_start.0,
        quiet_hours_end: s.quiet_hours_end.0,
    })
    .await
}
