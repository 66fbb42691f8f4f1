//! Small helpers shared by the finance sub-resources: the salon's clock, text fields, the
//! audit JSON and who is acting.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::{
    auth::CurrentUser,
    http::error::{AppError, FieldErrors},
    tenancy::TenantTx,
};

/// The salon's time zone (one row under RLS).
pub async fn salon_zone(tx: &mut TenantTx) -> Result<Tz, AppError> {
    let name: String = sqlx::query_scalar("select timezone from salons").fetch_one(tx.conn()).await?;
    Ok(crate::clock::zone(&name))
}

/// Today's date on the salon's wall clock.
pub fn local_today(zone: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&zone).date_naive()
}

pub fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// Who records a change: the id for `created_by` and audit, the name for `author`, the
/// address for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub ip: Option<String>,
}

impl Actor {
    pub fn of(user: &CurrentUser, ip: Option<String>) -> Self {
        let full = format!("{} {}", user.user.first_name.trim(), user.user.last_name.trim());
        let name = match full.trim() {
            "" => user.user.email.clone(),
            n => n.to_owned(),
        };
        Actor { user_id: user.id, name, ip }
    }

    /// Writes the audit entry of a change made by this actor.
    pub async fn audit(
        &self,
        tx: &mut TenantTx,
        entity: &str,
        entity_id: i64,
        action: &str,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), AppError> {
        crate::audit::record(tx, crate::audit::Change {
            user_id: Some(self.user_id), entity, entity_id: Some(entity_id), action, before, after,
            ip: self.ip.as_deref(),
        })
        .await
    }

    /// The author text an operation or document stores: what was typed, else this user.
    pub fn author(&self, typed: Option<&str>) -> String {
        match typed.map(str::trim) {
            Some(t) if !t.is_empty() => t.to_owned(),
            _ => self.name.clone(),
        }
    }
}

/// Collects field problems so one answer names every bad field.
#[derive(Debug, Default)]
pub struct Problems(pub FieldErrors);

impl Problems {
    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(problem.into());
    }

    /// Trimmed optional text of at most `max` characters; `""` reads as empty text.
    pub fn text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value.map(str::trim)?;
        if value.chars().count() > max {
            self.add(field, format!("Не більше {max} символів"));
        }
        Some(value.to_owned())
    }

    /// A required name: present, not blank, at most `max` characters.
    pub fn name(&mut self, field: &str, value: Option<&str>, max: usize, missing: &str) -> Option<String> {
        match self.text(field, value, max) {
            Some(v) if v.is_empty() => {
                self.add(field, missing);
                None
            }
            v => v,
        }
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Invalid(self.0)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_day_follows_the_salon_zone() {
        let kyiv = chrono_tz::Europe::Kyiv;
        let late = DateTime::parse_from_rfc3339("2026-01-31T21:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(local_today(kyiv, late).to_string(), "2026-01-31");
        let after_midnight = DateTime::parse_from_rfc3339("2026-01-31T22:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(local_today(kyiv, after_midnight).to_string(), "2026-02-01");
    }

    #[test]
    fn problems_collect_every_field() {
        let mut p = Problems::default();
        assert_eq!(p.name("name", Some("  "), 10, "Вкажіть назву"), None);
        assert_eq!(p.text("note", Some(" ok "), 10).as_deref(), Some("ok"));
        p.text("long", Some("abcdefghijk"), 10);
        let AppError::Invalid(d) = p.finish().unwrap_err() else { panic!() };
        assert_eq!(d.keys().collect::<Vec<_>>(), ["long", "name"]);
    }
}
