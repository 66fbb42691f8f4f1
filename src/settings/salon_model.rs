//! Salon settings: the answer, the changes a `PUT` may carry, and how changes apply.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use super::hours::{DayChange, StoredDay, WeekHours};
use super::{
    check::{Checks, TextRule, is_currency},
    hours::apply_hours,
};
use crate::{clock::HhMm, error::AppError};

/// The salon's settings (`GET`/`PUT /settings/salon`). Text fields are `""` when not set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SalonSettings {
    pub name: String,
    pub legal_name: String,
    pub city: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    /// Short description of the salon.
    pub description: String,
    pub opening_date: Option<NaiveDate>,
    /// ISO 4217 code, e.g. `UAH`.
    #[schema(example = "UAH")]
    pub currency: String,
    /// IANA zone name; availability and every local time of the salon use it.
    #[schema(example = "Europe/Kyiv")]
    pub timezone: String,
    pub working_hours: WeekHours,
    pub social_urls: SocialUrls,
    /// Minutes between bookable slot starts (a divisor or multiple of 60, 5 to 240).
    pub slot_step: i32,
    /// Hours before an appointment its reminder is sent (0 to 168).
    pub reminder_hours_before: i32,
    /// Whether clients may book online.
    pub online_booking_enabled: bool,
    /// Earliest online booking, in minutes from now (0 to 10080).
    pub booking_min_lead_minutes: i32,
    /// How many days ahead clients may book online (1 to 365).
    pub booking_horizon_days: i32,
    /// Until how many hours before the start a client may cancel (0 to 720).
    pub cancellation_window_hours: i32,
    /// Whether messages about visits may go to clients by SMS (each one is paid for).
    pub sms_enabled: bool,
    /// Reminders due between `quietHoursStart` and `quietHoursEnd` (salon time) wait until
    /// the end; equal times mean no quiet hours.
    pub quiet_hours_start: HhMm,
    pub quiet_hours_end: HhMm,
}

/// Links to the salon's profiles (a URL or an `@handle`), `""` when not set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SocialUrls {
    pub instagram: String,
    pub facebook: String,
    pub telegram: String,
}

/// A `PUT /settings/salon` body: any subset of the settings. An absent (or `null`) key keeps
/// its value; `""` clears an optional text.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SalonChanges {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    /// `YYYY-MM-DD`, `""` clears.
    pub opening_date: Option<String>,
    pub currency: Option<String>,
    pub timezone: Option<String>,
    /// Day key (`mon`..`sun`, or `monday`..`sunday`) → hours, in either shape:
    /// `{start, end, isOpen}` or the screen's `{enabled, from, to}`. Days not sent, and keys
    /// not sent within a day, keep their values. Also accepted as `workDays`.
    #[serde(alias = "workDays")]
    pub working_hours: Option<BTreeMap<String, DayChange>>,
    pub social_urls: Option<SocialChanges>,
    /// Also accepted as `slotStepMinutes`.
    #[serde(alias = "slotStepMinutes")]
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub slot_step: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub reminder_hours_before: Option<i64>,
    pub online_booking_enabled: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub booking_min_lead_minutes: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub booking_horizon_days: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub cancellation_window_hours: Option<i64>,
    pub sms_enabled: Option<bool>,
    pub quiet_hours_start: Option<HhMm>,
    pub quiet_hours_end: Option<HhMm>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct SocialChanges {
    pub instagram: Option<String>,
    pub facebook: Option<String>,
    pub telegram: Option<String>,
}

impl SalonChanges {
    /// Touches the salon's identity and contacts (`settings.info.access`).
    pub fn touches_info(&self) -> bool {
        self.name.is_some()
            || self.legal_name.is_some()
            || self.city.is_some()
            || self.address.is_some()
            || self.phone.is_some()
            || self.email.is_some()
            || self.website.is_some()
            || self.description.is_some()
            || self.opening_date.is_some()
            || self.social_urls.is_some()
    }

    /// Touches how the salon works: zone, currency, hours, slots, booking rules, reminders
    /// (`settings.general.access`).
    pub fn touches_general(&self) -> bool {
        self.currency.is_some()
            || self.timezone.is_some()
            || self.working_hours.is_some()
            || self.slot_step.is_some()
            || self.reminder_hours_before.is_some()
            || self.online_booking_enabled.is_some()
            || self.booking_min_lead_minutes.is_some()
            || self.booking_horizon_days.is_some()
            || self.cancellation_window_hours.is_some()
            || self.sms_enabled.is_some()
            || self.quiet_hours_start.is_some()
            || self.quiet_hours_end.is_some()
    }

    /// The settings after these changes, or every problem with them (nothing applies then).
    pub fn apply(
        mut self,
        current: &SalonSettings,
        today: NaiveDate,
    ) -> Result<SalonSettings, AppError> {
        let mut c = Checks::default();
        let mut s = current.clone();
        self.apply_names(&mut c, &mut s, current);
        self.apply_contacts(&mut c, &mut s, today);
        self.apply_rules(&mut c, &mut s);
        c.finish()?;
        Ok(s)
    }

    /// The texts: name, legal name, city, address, description, and the currency and time
    /// zone, which must also be known codes when they change.
    fn apply_names(&mut self, c: &mut Checks, s: &mut SalonSettings, current: &SalonSettings) {
        let texts = [
            ("name", self.name.take(), &mut s.name, TextRule::line(200).required()),
            ("legalName", self.legal_name.take(), &mut s.legal_name, TextRule::line(200)),
            ("city", self.city.take(), &mut s.city, TextRule::line(100)),
            ("address", self.address.take(), &mut s.address, TextRule::line(300)),
            ("description", self.description.take(), &mut s.description, TextRule::lines(2000)),
            (
                "currency",
                self.currency.take().map(|v| v.trim().to_ascii_uppercase()),
                &mut s.currency,
                TextRule::line(3).required(),
            ),
            ("timezone", self.timezone.take(), &mut s.timezone, TextRule::line(64).required()),
        ];
        for (field, raw, slot, rule) in texts {
            if let Some(value) = raw.and_then(|raw| c.text(field, &raw, rule)) {
                *slot = value;
            }
        }
        if current.currency != s.currency && !is_currency(&s.currency) {
            c.fail("currency", "Невідомий код валюти ISO 4217 (наприклад, UAH)");
        }
        if current.timezone != s.timezone && s.timezone.parse::<chrono_tz::Tz>().is_err() {
            c.fail(
                "timezone",
                "Невідомий часовий пояс IANA (наприклад, Europe/Kyiv)",
            );
        }
    }

    /// Phone, e-mail, website, opening date and social links.
    fn apply_contacts(&mut self, c: &mut Checks, s: &mut SalonSettings, today: NaiveDate) {
        if let Some(v) = self.phone.take().and_then(|raw| c.phone("phone", &raw)) {
            s.phone = v;
        }
        if let Some(v) = self.email.take().and_then(|raw| c.email("email", &raw, false)) {
            s.email = v;
        }
        if let Some(v) = self.website.take().and_then(|raw| c.url("website", &raw)) {
            s.website = v;
        }
        // A salon may enter the date it is about to open.
        let latest = today + chrono::Days::new(2 * 366);
        if let Some(v) = self
            .opening_date
            .take()
            .and_then(|raw| c.date("openingDate", &raw, latest))
        {
            s.opening_date = v;
        }
        if let Some(social) = self.social_urls.take() {
            for (field, raw, slot) in [
                (
                    "socialUrls.instagram",
                    social.instagram,
                    &mut s.social_urls.instagram,
                ),
                (
                    "socialUrls.facebook",
                    social.facebook,
                    &mut s.social_urls.facebook,
                ),
                (
                    "socialUrls.telegram",
                    social.telegram,
                    &mut s.social_urls.telegram,
                ),
            ] {
                if let Some(v) = raw.and_then(|raw| c.social(field, &raw)) {
                    *slot = v;
                }
            }
        }
    }

    /// How the salon works: hours, slot step, reminder and booking windows, online booking.
    fn apply_rules(&mut self, c: &mut Checks, s: &mut SalonSettings) {
        if let Some(days) = self.working_hours.take() {
            apply_hours(c, &mut s.working_hours, days);
        }
        if let Some(step) = self.slot_step {
            if step > 0 && (60 % step == 0 || step % 60 == 0) && (5..=240).contains(&step) {
                s.slot_step = step as i32;
            } else {
                c.fail("slotStep", "Крок сітки — дільник або кратне 60 хвилин, від 5 до 240 (5, 10, 15, 20, 30, 60…)");
            }
        }
        let ints: [(&str, Option<i64>, &mut i32, std::ops::RangeInclusive<i64>); 4] = [
            (
                "reminderHoursBefore",
                self.reminder_hours_before,
                &mut s.reminder_hours_before,
                0..=168,
            ),
            (
                "bookingMinLeadMinutes",
                self.booking_min_lead_minutes,
                &mut s.booking_min_lead_minutes,
                0..=10_080,
            ),
            (
                "bookingHorizonDays",
                self.booking_horizon_days,
                &mut s.booking_horizon_days,
                1..=365,
            ),
            (
                "cancellationWindowHours",
                self.cancellation_window_hours,
                &mut s.cancellation_window_hours,
                0..=720,
            ),
        ];
        for (field, raw, slot, range) in ints {
            if let Some(v) = raw.and_then(|raw| c.int(field, raw, range)) {
                *slot = v;
            }
        }
        if let Some(on) = self.online_booking_enabled {
            s.online_booking_enabled = on;
        }
        if let Some(on) = self.sms_enabled {
            s.sms_enabled = on;
        }
        if let Some(t) = self.quiet_hours_start {
            s.quiet_hours_start = t;
        }
        if let Some(t) = self.quiet_hours_end {
            s.quiet_hours_end = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{super::hours::DAYS, *};

    fn settings() -> SalonSettings {
        let stored: BTreeMap<String, StoredDay> = DAYS
            .iter()
            .map(|d| {
                (
                    (*d).to_owned(),
                    StoredDay {
                        start: "09:00".into(),
                        end: "18:00".into(),
                        is_open: true,
                    },
                )
            })
            .collect();
        SalonSettings {
            name: "Salon".into(),
            legal_name: String::new(),
            city: String::new(),
            address: String::new(),
            phone: String::new(),
            email: String::new(),
            website: String::new(),
            description: String::new(),
            opening_date: None,
            currency: "UAH".into(),
            timezone: "Europe/Kyiv".into(),
            working_hours: WeekHours::from_stored(&stored),
            social_urls: SocialUrls {
                instagram: String::new(),
                facebook: String::new(),
                telegram: String::new(),
            },
            slot_step: 15,
            reminder_hours_before: 24,
            online_booking_enabled: true,
            booking_min_lead_minutes: 60,
            booking_horizon_days: 60,
            cancellation_window_hours: 24,
            sms_enabled: false,
            quiet_hours_start: HhMm::parse("21:00").unwrap(),
            quiet_hours_end: HhMm::parse("09:00").unwrap(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, 1, 1).unwrap()
    }

    fn changes(json: serde_json::Value) -> SalonChanges {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn both_hours_shapes_apply_and_answer_both() {
        let s = changes(serde_json::json!({
            "workingHours": {"mon": {"start": "10:00", "end": "19:30", "isOpen": true}, "sunday": {"enabled": false, "from": "11:00", "to": "15:00"}}
        }))
        .apply(&settings(), today())
        .unwrap();
        assert_eq!(
            (
                s.working_hours.mon.start.as_str(),
                s.working_hours.mon.to.as_str()
            ),
            ("10:00", "19:30")
        );
        assert!(!s.working_hours.sun.is_open && !s.working_hours.sun.enabled);
        assert_eq!(s.working_hours.sun.start, "11:00");
        assert_eq!(
            s.working_hours.tue,
            settings().working_hours.tue,
            "untouched day kept"
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = changes(serde_json::json!({
            "timezone": "Mars/Olympus", "currency": "XYZ", "slotStep": 7, "name": "  ",
            "workingHours": {"mon": {"start": "25:00"}, "tue": {"start": "18:00", "end": "09:00"}, "xyz": {}},
            "bookingHorizonDays": 0, "openingDate": "2099-01-01"
        }))
        .apply(&settings(), today())
        .unwrap_err();
        let AppError::Invalid(details) = err else {
            panic!("{err:?}")
        };
        let fields: Vec<&str> = details.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "bookingHorizonDays",
                "currency",
                "name",
                "openingDate",
                "slotStep",
                "timezone",
                "workingHours.mon.start",
                "workingHours.tue.end",
                "workingHours.xyz",
            ]
        );
    }

    #[test]
    fn slot_steps_divide_or_multiply_an_hour() {
        for ok in [5, 10, 12, 15, 20, 30, 60, 120, 180, 240] {
            assert!(
                changes(serde_json::json!({"slotStep": ok}))
                    .apply(&settings(), today())
                    .is_ok(),
                "{ok}"
            );
        }
        for bad in [0, -15, 7, 45, 90, 300, 1] {
            assert!(
                changes(serde_json::json!({"slotStep": bad}))
                    .apply(&settings(), today())
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn currency_is_upper_cased_and_known() {
        let s = changes(serde_json::json!({"currency": "eur"}))
            .apply(&settings(), today())
            .unwrap();
        assert_eq!(s.currency, "EUR");
        assert!(is_currency("UAH") && !is_currency("UA") && !is_currency("ABC"));
    }
}
