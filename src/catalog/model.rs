//! Types of the services catalogue: the service object of contract §3.6, its inputs and their
//! validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::{AppError, Problems},
    ids::ServiceId,
    money::Money,
};

/// Categories the service form offers; always listed by `GET /services/categories`.
pub const DEFAULT_CATEGORIES: [&str; 6] = ["hair", "nails", "face", "body", "makeup", "other"];

/// Derived from `archived_at` and `is_active`; the UI's status filter reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ServiceStatus {
    Active,
    Inactive,
    Archived,
}

/// A service the salon sells.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub description: String,
    pub category: String,
    /// Minutes.
    pub duration: i32,
    pub price: Money,
    /// CSS hex colour (`#3b82f6`).
    pub color: Option<String>,
    pub is_active: bool,
    pub status: ServiceStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Booking figures of one service.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatistics {
    /// Appointments with this service that are neither deleted nor cancelled.
    pub total_bookings: i64,
    /// Sum of the prices of completed appointments.
    #[schema(schema_with = crate::money::total)]
    pub total_revenue: Money,
    /// Always 0 until reviews exist.
    pub average_rating: f64,
    /// 1 = the most booked of the salon's live services (ties share a rank).
    pub popularity_rank: i64,
}

/// `GET /services/{id}`: the service with its statistics.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceDetail {
    #[serde(flatten)]
    pub service: Service,
    pub statistics: ServiceStatistics,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ServiceFilter {
    /// Part of the name or description, case-insensitive.
    pub search: Option<String>,
    /// Exact category, case-insensitive.
    pub category: Option<String>,
    pub is_active: Option<bool>,
}

/// `POST /services`. Unknown keys are ignored: the form may send more than it needs.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewService {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: String,
    /// Free text; `hair`, `nails`, `face`, `body`, `makeup`, `other` on the form. Default `other`.
    pub category: Option<String>,
    pub description: Option<String>,
    /// Minutes, 5..=1440.
    #[schema(minimum = 5, maximum = 1440)]
    #[serde(deserialize_with = "crate::http::whole::number")]
    pub duration: i64,
    #[schema(schema_with = crate::money::non_negative)]
    pub price: Money,
    /// `#rrggbb`; `""` means none.
    #[schema(pattern = r"^\s*(#[0-9a-fA-F]{6})?\s*$")]
    pub color: Option<String>,
    /// Default true.
    pub is_active: Option<bool>,
}

/// `PUT /services/{id}`: absent keys keep their value; `""` clears `description` and `color`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServiceChanges {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    #[schema(minimum = 5, maximum = 1440)]
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub duration: Option<i64>,
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub price: Option<Money>,
    #[schema(pattern = r"^\s*(#[0-9a-fA-F]{6})?\s*$")]
    pub color: Option<String>,
    pub is_active: Option<bool>,
}

/// Validated values for the store. `None` = keep (update) or default (insert); `color:
/// Some("")` clears the colour.
#[derive(Debug, Default, PartialEq)]
pub struct ServiceValues {
    pub name: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub duration: Option<i32>,
    pub price: Option<Money>,
    pub color: Option<String>,
    pub is_active: Option<bool>,
}

impl NewService {
    pub fn validate(self) -> Result<ServiceValues, AppError> {
        let changes = ServiceChanges {
            name: Some(self.name),
            category: self.category,
            description: self.description,
            duration: Some(self.duration),
            price: Some(self.price),
            color: self.color,
            is_active: self.is_active,
        };
        let mut values = changes.validate()?;
        values.category.get_or_insert_with(|| "other".to_owned());
        values.is_active.get_or_insert(true);
        Ok(values)
    }
}

impl ServiceChanges {
    pub fn validate(self) -> Result<ServiceValues, AppError> {
        let mut problems = Problems::default();
        let mut fail = |field: &str, problem: &str| problems.add(field, problem);
        let name = self.name.map(|n| n.trim().to_owned());
        match &name {
            Some(n) if n.is_empty() => fail("name", "Вкажіть назву послуги"),
            Some(n) if n.chars().count() > 200 => fail("name", "Не більше 200 символів"),
            _ => {}
        }
        // A cleared category falls back to `other` rather than failing: the form always has one.
        let category = self.category.map(|c| match c.trim() {
            "" => "other".to_owned(),
            c => c.to_owned(),
        });
        if category.as_ref().is_some_and(|c| c.chars().count() > 100) {
            fail("category", "Не більше 100 символів");
        }
        let description = self.description.map(|d| d.trim().to_owned());
        if description.as_ref().is_some_and(|d| d.chars().count() > 5000) {
            fail("description", "Не більше 5000 символів");
        }
        let duration = match self.duration {
            Some(d) if !(5..=1440).contains(&d) => {
                fail("duration", "Тривалість від 5 до 1440 хвилин");
                None
            }
            d => d.map(|d| d as i32),
        };
        if self.price.is_some_and(|p| p.minor() < 0) {
            fail("price", "Ціна не може бути від'ємною");
        }
        let color = self.color.map(|c| c.trim().to_lowercase());
        if color.as_ref().is_some_and(|c| !c.is_empty() && !is_hex_colour(c)) {
            fail("color", "Колір у форматі #rrggbb");
        }
        problems.finish()?;
        Ok(ServiceValues { name, category, description, duration, price: self.price, color, is_active: self.is_active })
    }
}

/// `#rrggbb` with hexadecimal digits.
pub fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldErrors;

    fn details(err: AppError) -> FieldErrors {
        match err {
            AppError::Invalid(d) => d,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn new_service_gets_defaults() {
        let input: NewService = serde_json::from_str(r#"{"name": " Стрижка ", "duration": 60, "price": 450.5}"#).unwrap();
        let v = input.validate().unwrap();
        assert_eq!(v.name.as_deref(), Some("Стрижка"));
        assert_eq!(v.category.as_deref(), Some("other"));
        assert_eq!(v.is_active, Some(true));
        assert_eq!(v.price, Some(Money(45_050)));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input: NewService =
            serde_json::from_str(r##"{"name": "", "duration": 0, "price": -1, "color": "red"}"##).unwrap();
        let d = details(input.validate().unwrap_err());
        for field in ["name", "duration", "price", "color"] {
            assert!(d.contains_key(field), "{field} missing in {d:?}");
        }
    }

    #[test]
    fn empty_colour_clears_and_hex_is_checked() {
        let v = ServiceChanges { color: Some(String::new()), ..Default::default() }.validate().unwrap();
        assert_eq!(v.color.as_deref(), Some(""));
        assert!(is_hex_colour("#3B82f6"));
        assert!(!is_hex_colour("#3b82f"));
        assert!(!is_hex_colour("3b82f6a"));
    }
}
