//! Appointment types as the calendar sends and reads them (camelCase).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    clock::{HhMm, Ymd},
    messaging::SentMessage,
    ids::{AppointmentId, ClientId, ServiceId, StaffId},
    money::Money,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "kebab-case")]
#[sqlx(type_name = "text", rename_all = "kebab-case")]
pub enum Status {
    Scheduled,
    Confirmed,
    Arrived,
    NoShow,
    Cancelled,
    Completed,
}

impl Status {
    /// Whether a visit in `self` may move to `next`. A completed visit is final; a cancelled
    /// one may be restored (the no-overlap constraint then decides whether its slot is free).
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        if self == next {
            return true;
        }
        match self {
            Scheduled | Confirmed => true,
            Arrived => matches!(next, Completed | NoShow | Cancelled | Confirmed | Scheduled),
            NoShow => matches!(next, Scheduled | Confirmed | Arrived | Cancelled),
            Cancelled => matches!(next, Scheduled | Confirmed),
            Completed => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Kind {
    Standard,
    Important,
    Special,
}

/// One appointment with the messages its client was sent about it (`GET /appointments/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentDetails {
    #[serde(flatten)]
    pub appointment: Appointment,
    /// Confirmations, reminders and cancellations about this visit, oldest first: channel,
    /// status, provider id, error.
    pub notifications: Vec<SentMessage>,
}

/// The appointment object of the contract.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Appointment {
    pub id: AppointmentId,
    pub client_id: Option<ClientId>,
    pub client_name: String,
    pub client_phone: String,
    pub staff_id: Option<StaffId>,
    pub service_id: Option<ServiceId>,
    pub service_name: String,
    /// The same text as `serviceName` (older screens read `service`).
    pub service: String,
    pub date: Ymd,
    pub start_time: HhMm,
    pub end_time: HhMm,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: Status,
    #[serde(rename = "type")]
    pub kind: Kind,
    pub price: Money,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the calendar posts (§3.3): no client or service ids, a free-text service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewAppointment {
    pub client_name: String,
    #[serde(default)]
    pub client_phone: String,
    /// Service names joined by ", ", matched against the salon's catalogue.
    #[serde(default)]
    pub service: String,
    pub date: Ymd,
    pub start_time: HhMm,
    /// Defaults to the start plus the matched services' durations.
    pub end_time: Option<HhMm>,
    pub status: Option<Status>,
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    #[serde(default)]
    pub notes: String,
    /// Defaults to the matched services' prices.
    pub price: Option<Money>,
    /// `null` or absent: the unassigned column.
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub staff_id: Option<StaffId>,
    /// Extension for API clients: link a known client or service directly.
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub client_id: Option<ClientId>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub service_id: Option<ServiceId>,
    /// Administrators may book outside the member's working hours.
    #[serde(default)]
    pub override_schedule: bool,
}

/// A partial update (§1.4): absent keys keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppointmentChanges {
    pub client_name: Option<String>,
    pub client_phone: Option<String>,
    pub service: Option<String>,
    pub date: Option<Ymd>,
    pub start_time: Option<HhMm>,
    pub end_time: Option<HhMm>,
    pub status: Option<Status>,
    #[serde(rename = "type")]
    pub kind: Option<Kind>,
    pub notes: Option<String>,
    pub price: Option<Money>,
    /// Absent keeps the member, `null` unassigns.
    #[serde(default, deserialize_with = "crate::http::whole::number_or_null")]
    #[schema(value_type = Option<i64>)]
    pub staff_id: Option<Option<StaffId>>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub client_id: Option<ClientId>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub service_id: Option<ServiceId>,
    #[serde(default)]
    pub override_schedule: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusChange {
    pub status: Status,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One day (`YYYY-MM-DD`).
    pub date: Option<Ymd>,
    /// Inclusive range start.
    pub date_from: Option<Ymd>,
    /// Inclusive range end.
    pub date_to: Option<Ymd>,
    pub staff_id: Option<StaffId>,
    pub client_id: Option<ClientId>,
    pub status: Option<Status>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_use_the_contract_names() {
        assert_eq!(serde_json::to_string(&Status::NoShow).unwrap(), "\"no-show\"");
        assert!(serde_json::from_str::<Status>("\"paid\"").is_err());
    }

    #[test]
    fn completed_is_final_and_cancelled_can_be_restored() {
        assert!(!Status::Completed.may_become(Status::Scheduled));
        assert!(Status::Completed.may_become(Status::Completed));
        assert!(Status::Cancelled.may_become(Status::Scheduled));
        assert!(!Status::Cancelled.may_become(Status::Completed));
        assert!(Status::Scheduled.may_become(Status::Completed));
    }

    #[test]
    fn staff_id_null_differs_from_absent() {
        let absent: AppointmentChanges = serde_json::from_str("{}").unwrap();
        let null: AppointmentChanges = serde_json::from_str(r#"{"staffId": null}"#).unwrap();
        let set: AppointmentChanges = serde_json::from_str(r#"{"staffId": 4}"#).unwrap();
        assert_eq!((absent.staff_id, null.staff_id, set.staff_id), (None, Some(None), Some(Some(StaffId(4)))));
    }
}
