//! Types of the staff member object (contract §3.5), its inputs and their validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::windows::PatternRow;
use crate::{
    auth::Role,
    clock::{HhMm, Ymd},
    error::{AppError, Problems},
    ids::{ServiceId, StaffId, UserId},
    money::Money,
};

/// The first start and last end of a working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayHours {
    pub start: HhMm,
    pub end: HhMm,
}

/// Weekday → hours, only for days with at least one interval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub struct WeekHours {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monday: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tuesday: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wednesday: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thursday: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friday: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saturday: Option<DayHours>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sunday: Option<DayHours>,
}

impl WeekHours {
    /// Summarises a member's pattern rows (any order).
    pub fn from_pattern<'a>(rows: impl IntoIterator<Item = &'a PatternRow>) -> Self {
        let mut week = WeekHours::default();
        for row in rows {
            let slot = match row.weekday {
                1 => &mut week.monday,
                2 => &mut week.tuesday,
                3 => &mut week.wednesday,
                4 => &mut week.thursday,
                5 => &mut week.friday,
                6 => &mut week.saturday,
                7 => &mut week.sunday,
                _ => continue,
            };
            let (start, end) = (HhMm(row.starts), HhMm(row.ends));
            *slot = Some(match *slot {
                Some(h) => DayHours { start: h.start.min(start), end: h.end.max(end) },
                None => DayHours { start, end },
            });
        }
        week
    }
}

/// A staff member.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Staff {
    pub id: StaffId,
    pub first_name: String,
    pub last_name: String,
    pub middle_name: String,
    pub phone: String,
    pub email: Option<String>,
    /// `master`, `administrator`, `manager` or any other text.
    pub position: String,
    pub specializations: Vec<String>,
    pub hire_date: Option<Ymd>,
    pub salary: Money,
    /// Percent, 0..=100.
    pub commission: f64,
    pub avatar: Option<String>,
    pub color: Option<String>,
    pub is_active: bool,
    /// Weekly hours from the member's schedule.
    pub schedule: WeekHours,
    /// Live services the member performs.
    pub service_ids: Vec<ServiceId>,
    /// The member's user account, when one was created for their e-mail.
    pub user_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffStatistics {
    /// Appointments of the member that are not deleted (any status).
    pub total_appointments: i64,
    pub completed_appointments: i64,
    /// Sum of the prices of completed appointments.
    #[schema(schema_with = crate::money::total)]
    pub total_revenue: Money,
    /// Always 0 until reviews exist.
    pub average_rating: f64,
    /// Distinct clients among the member's appointments.
    pub clients_served: i64,
}

/// `GET /staff/{id}`: the member with statistics.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffDetail {
    #[serde(flatten)]
    pub staff: Staff,
    pub statistics: StaffStatistics,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct StaffFilter {
    /// Part of a name, the phone or the e-mail, case-insensitive.
    pub search: Option<String>,
    pub position: Option<String>,
    pub is_active: Option<bool>,
}

/// `POST /staff`. Unknown keys are ignored (the add form collects more than it sends).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewStaff {
    pub first_name: String,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub phone: Option<String>,
    /// When given, a password-less account is created for it (invitation via `/auth/setup`).
    pub email: Option<String>,
    /// Default `master`.
    pub position: Option<String>,
    pub specializations: Option<Vec<String>>,
    /// `YYYY-MM-DD`.
    pub hire_date: Option<String>,
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub salary: Option<Money>,
    pub commission: Option<f64>,
    pub avatar: Option<String>,
    pub color: Option<String>,
    /// Live services of the salon the member performs.
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub service_ids: Option<Vec<ServiceId>>,
}

/// `PUT /staff/{id}`: absent keys keep their value; `""` clears optional text; `serviceIds`
/// replaces the whole list.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub position: Option<String>,
    pub specializations: Option<Vec<String>>,
    pub hire_date: Option<String>,
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub salary: Option<Money>,
    pub commission: Option<f64>,
    pub avatar: Option<String>,
    pub color: Option<String>,
    pub is_active: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub service_ids: Option<Vec<ServiceId>>,
}

/// Validated values for the store. `None` = keep; for `email`, `hire_date`, `avatar` and
/// `color`, `Some("")` clears.
#[derive(Debug, Default, PartialEq)]
pub struct StaffValues {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub position: Option<String>,
    pub specializations: Option<Vec<String>>,
    pub hire_date: Option<String>,
    pub salary: Option<Money>,
    pub commission: Option<f64>,
    pub avatar: Option<String>,
    pub color: Option<String>,
    pub is_active: Option<bool>,
    pub service_ids: Option<Vec<ServiceId>>,
}

impl From<NewStaff> for StaffChanges {
    fn from(n: NewStaff) -> Self {
        StaffChanges {
            first_name: Some(n.first_name), last_name: n.last_name, middle_name: n.middle_name,
            phone: n.phone, email: n.email, position: n.position, specializations: n.specializations,
            hire_date: n.hire_date, salary: n.salary, commission: n.commission, avatar: n.avatar,
            color: n.color, is_active: None, service_ids: n.service_ids,
        }
    }
}

/// The account role a new member's position gives (contract: admin = administrator).
pub fn role_for(position: &str) -> Role {
    match position.trim().to_lowercase().as_str() {
        "manager" => Role::Manager,
        "administrator" => Role::Admin,
        _ => Role::Master,
    }
}

impl StaffChanges {
    pub fn validate(self) -> Result<StaffValues, AppError> {
        let mut problems = Problems::default();
        let mut fail = |field: &str, problem: String| problems.add(field, problem);
        let mut text = |field: &str, value: Option<String>, max: usize, required: bool| {
            let value = value.map(|v| v.trim().to_owned());
            match &value {
                Some(v) if required && v.is_empty() => fail(field, "Обов'язкове поле".to_owned()),
                Some(v) if v.chars().count() > max => fail(field, format!("Не більше {max} символів")),
                _ => {}
            }
            value
        };
        let first_name = text("firstName", self.first_name, 100, true);
        let last_name = text("lastName", self.last_name, 100, false);
        let middle_name = text("middleName", self.middle_name, 100, false);
        let phone = text("phone", self.phone, 50, false);
        let position = text("position", self.position, 50, false).map(|p| if p.is_empty() { "master".to_owned() } else { p });
        let avatar = text("avatar", self.avatar, 1000, false);
        let email = match self.email.as_deref().map(str::trim) {
            Some("") => Some(String::new()),
            Some(raw) => match crate::auth::normalise_email("email", raw) {
                Ok(e) => Some(e),
                Err(_) => {
                    fail("email", "Некоректний e-mail".to_owned());
                    None
                }
            },
            None => None,
        };
        let specializations = self.specializations.map(|list| {
            let list: Vec<String> = list.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            if list.len() > 20 || list.iter().any(|s| s.chars().count() > 100) {
                fail("specializations", "Щонайбільше 20 спеціалізацій по 100 символів".to_owned());
            }
            list
        });
        let hire_date = match self.hire_date.as_deref().map(str::trim) {
            Some("") => Some(String::new()),
            Some(raw) => match Ymd::parse(raw) {
                Ok(d) => Some(d.to_string()),
                Err(problem) => {
                    fail("hireDate", problem.to_owned());
                    None
                }
            },
            None => None,
        };
        if self.salary.is_some_and(|s| s.minor() < 0) {
            fail("salary", "Зарплата не може бути від'ємною".to_owned());
        }
        if self.commission.is_some_and(|c| !(0.0..=100.0).contains(&c)) {
            fail("commission", "Комісія від 0 до 100 %".to_owned());
        }
        let color = self.color.map(|c| c.trim().to_lowercase());
        if color.as_deref().is_some_and(|c| !c.is_empty() && !crate::catalog::model::is_hex_colour(c)) {
            fail("color", "Колір у форматі #rrggbb".to_owned());
        }
        let service_ids = self.service_ids.map(|mut ids| {
            ids.sort_unstable();
            ids.dedup();
            ids
        });
        problems.finish()?;
        Ok(StaffValues {
            first_name, last_name, middle_name, phone, email, position, specializations, hire_date,
            salary: self.salary, commission: self.commission, avatar, color, is_active: self.is_active, service_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_positions() {
        assert_eq!(role_for("master"), Role::Master);
        assert_eq!(role_for(" Manager "), Role::Manager);
        assert_eq!(role_for("administrator"), Role::Admin);
        assert_eq!(role_for("стиліст"), Role::Master);
    }

    #[test]
    fn empty_values_mean_no_value() {
        let v = StaffChanges {
            email: Some(" ".into()), hire_date: Some(String::new()), position: Some(String::new()),
            specializations: Some(vec![" ".into(), "Барбер ".into()]), ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(v.email.as_deref(), Some(""));
        assert_eq!(v.hire_date.as_deref(), Some(""));
        assert_eq!(v.position.as_deref(), Some("master"));
        assert_eq!(v.specializations, Some(vec!["Барбер".to_owned()]));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let err = StaffChanges {
            first_name: Some(" ".into()), email: Some("nope".into()), hire_date: Some("2026-02-30".into()),
            commission: Some(101.0), salary: Some(Money(-1)), color: Some("blue".into()), ..Default::default()
        }
        .validate()
        .unwrap_err();
        let AppError::Invalid(d) = err else { panic!("{err:?}") };
        for field in ["firstName", "email", "hireDate", "commission", "salary", "color"] {
            assert!(d.contains_key(field), "{field} missing in {d:?}");
        }
    }

    #[test]
    fn week_hours_span_each_day() {
        use chrono::NaiveTime;
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        let rows = [
            PatternRow { staff_id: StaffId(1), weekday: 1, starts: t("14:00"), ends: t("18:00") },
            PatternRow { staff_id: StaffId(1), weekday: 1, starts: t("09:00"), ends: t("13:00") },
            PatternRow { staff_id: StaffId(1), weekday: 6, starts: t("10:00"), ends: t("15:00") },
        ];
        let week = WeekHours::from_pattern(&rows);
        let json = serde_json::to_value(&week).unwrap();
        assert_eq!(json, serde_json::json!({"monday": {"start": "09:00", "end": "18:00"},
                                           "saturday": {"start": "10:00", "end": "15:00"}}));
    }
}
