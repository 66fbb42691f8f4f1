//! `GET /overview/records`: the salon's appointments as the overview's records table shows
//! them, with payment state, closing details and each record's audit history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{describe, records_store as store};
use crate::{
    calendar::{Kind, Status},
    clock::{HhMm, Ymd},
    ids::{ClientId, ServiceId, StaffId},
    money::Money,
};

/// The screen's record status. `scheduled` is `pending`, `arrived` is `confirmed`, `no-show`
/// is `cancelled`; `appointmentStatus` carries the calendar's own value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    Completed,
    Confirmed,
    Pending,
    Cancelled,
}

impl From<Status> for RecordStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Scheduled => RecordStatus::Pending,
            Status::Confirmed | Status::Arrived => RecordStatus::Confirmed,
            Status::Completed => RecordStatus::Completed,
            Status::Cancelled | Status::NoShow => RecordStatus::Cancelled,
        }
    }
}

/// Whether the visit's payment covers its price: `paid` when the completed, unreversed payment
/// linked to the appointment is at least the price, `partial` when it is less, `unpaid` when
/// there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum PaymentStatus {
    Paid,
    Unpaid,
    Partial,
}

/// Where a record came from. Every appointment booked through the staff API is `admin`; one
/// without an author (none can be made yet: the public booking is still to come) is `online`.
/// `phone` and `walk-in` are accepted by the filter and match nothing until a booking channel
/// records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "kebab-case")]
#[sqlx(type_name = "text", rename_all = "kebab-case")]
pub enum Source {
    Online,
    Phone,
    Admin,
    WalkIn,
}

/// The screen's payment method: `cash` or `card` by the type of the method the payment names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PaymentMethodKind {
    Cash,
    Card,
}

/// The `visitStatus` filter: the screen's four values, or one of the calendar's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VisitStatus {
    Completed,
    Confirmed,
    Pending,
    Cancelled,
    Scheduled,
    Arrived,
    NoShow,
}

impl VisitStatus {
    /// The stored statuses the value stands for.
    pub fn stored(self) -> &'static [&'static str] {
        match self {
            VisitStatus::Completed => &["completed"],
            VisitStatus::Confirmed => &["confirmed", "arrived"],
            VisitStatus::Pending | VisitStatus::Scheduled => &["scheduled"],
            VisitStatus::Cancelled => &["cancelled", "no-show"],
            VisitStatus::Arrived => &["arrived"],
            VisitStatus::NoShow => &["no-show"],
        }
    }
}

/// One entry of a record's history, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub date: DateTime<Utc>,
    /// Who made the change (empty when the account is gone).
    pub author: String,
    /// `created`, `updated` or `deleted`.
    pub action: &'static str,
    pub details: String,
}

/// A record of the overview: an appointment with its payment, closing and history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(serialize_with = "crate::http::ids::as_string")]
    #[schema(value_type = String, example = "42")]
    pub id: i64,
    /// The staff member's name; empty for the unassigned column.
    pub employee: String,
    pub service: String,
    pub client: String,
    pub phone: String,
    /// The visit's start as an instant.
    pub visit_time: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The name of the user who booked it.
    pub created_by: String,
    pub status: RecordStatus,
    /// The calendar's status (`scheduled`, `confirmed`, `arrived`, `no-show`, `cancelled`,
    /// `completed`).
    pub appointment_status: Status,
    pub payment_status: PaymentStatus,
    pub source: Source,
    /// The visit's price.
    pub amount: Money,
    /// What its payment brought in (0 when unpaid).
    pub paid: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethodKind>,
    /// The payment method's own name (`Готівка`, `Картка`, ...), when the payment names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method_name: Option<String>,
    /// When the client was marked arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_start_time: Option<DateTime<Utc>>,
    /// When the visit was completed (the same moment as `closedAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_end_time: Option<DateTime<Utc>>,
    /// Who completed the visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// The appointment's notes.
    pub internal_notes: String,
    pub history: Vec<HistoryEntry>,
    /// Library field: "client — service".
    pub title: String,
    /// Library field: the notes, or the employee when there are none.
    pub description: String,
    /// Library field: the visit's salon-local date.
    pub date: Ymd,
    /// Library field: the appointment's type (`standard`, `important`, `special`).
    #[serde(rename = "type")]
    pub kind: Kind,
    pub start_time: HhMm,
    pub end_time: HhMm,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub client_id: Option<ClientId>,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub staff_id: Option<StaffId>,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub service_id: Option<ServiceId>,
    pub service_category: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct RecordsQuery {
    /// Visit date from (salon-local, inclusive).
    pub date_from: Option<Ymd>,
    /// Visit date to (inclusive).
    pub date_to: Option<Ymd>,
    /// The screen's name for `dateFrom`; both apply when both are sent.
    pub visit_from: Option<Ymd>,
    pub visit_to: Option<Ymd>,
    /// Booked on or after this salon-local date.
    pub created_from: Option<Ymd>,
    pub created_to: Option<Ymd>,
    /// A staff member's id.
    pub employee: Option<StaffId>,
    /// A client's id, or text found in the client's name, or five or more digits found in the
    /// phone.
    pub client: Option<String>,
    /// The linked service's category.
    pub service_category: Option<String>,
    #[param(inline, example = "completed")]
    pub visit_status: Option<VisitStatus>,
    #[param(example = "paid")]
    pub payment_status: Option<PaymentStatus>,
    #[param(example = "admin")]
    pub source: Option<Source>,
}

/// Figures over every record matching the filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordStatistics {
    pub total: i64,
    /// Calendar status `completed`.
    pub completed: i64,
    /// Calendar status `cancelled` (no-shows are counted apart, though the screen's status
    /// shows both as `cancelled`).
    pub cancelled: i64,
    /// Calendar status `no-show`.
    pub no_show: i64,
    /// What the matching records' payments brought in.
    #[schema(schema_with = crate::money::total)]
    pub total_revenue: Money,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecordsMeta {
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_pages: i64,
    pub statistics: RecordStatistics,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage {
    pub data: Vec<Record>,
    pub meta: RecordsMeta,
}

/// A record from its row and its audit entries (oldest first). The visit was started when it
/// was last marked `arrived` and closed when it was last marked `completed`.
pub(super) fn assemble(r: store::RecordRow, changes: Vec<store::ChangeRow>) -> Record {
    let mut started = None;
    let mut closed: Option<(DateTime<Utc>, String)> = None;
    let history = changes
        .into_iter()
        .map(|c| {
            match describe::status_reached(&c.action, c.before.as_ref(), c.after.as_ref()) {
                Some("arrived") => started = Some(c.created_at),
                Some("completed") => closed = Some((c.created_at, c.author.clone())),
                _ => {}
            }
            HistoryEntry {
                date: c.created_at,
                author: c.author,
                action: describe::screen_action(&c.action),
                details: describe::details(&c.action, c.before.as_ref(), c.after.as_ref()),
            }
        })
        .collect();
    let closed = if r.status == Status::Completed {
        closed
    } else {
        None
    };
    let payment_method = match r.method_type.as_deref() {
        Some("cash") => Some(PaymentMethodKind::Cash),
        Some("card") => Some(PaymentMethodKind::Card),
        _ => None,
    };
    Record {
        id: r.id,
        title: if r.service_name.is_empty() {
            r.client_name.clone()
        } else {
            format!("{} — {}", r.client_name, r.service_name)
        },
        description: if r.notes.is_empty() {
            r.employee.clone()
        } else {
            r.notes.clone()
        },
        employee: r.employee,
        service: r.service_name,
        client: r.client_name,
        phone: r.phone,
        visit_time: r.starts_at,
        created_at: r.created_at,
        created_by: r.created_by,
        status: r.status.into(),
        appointment_status: r.status,
        payment_status: r.payment_status,
        source: r.source,
        amount: r.price,
        paid: r.paid,
        payment_method,
        payment_method_name: r.method_name,
        actual_start_time: started,
        actual_end_time: closed.as_ref().map(|c| c.0),
        closed_by: closed.as_ref().map(|c| c.1.clone()),
        closed_at: closed.map(|c| c.0),
        internal_notes: r.notes,
        history,
        date: r.date,
        kind: r.kind,
        start_time: r.start_time,
        end_time: r.end_time,
        client_id: r.client_id,
        staff_id: r.staff_id,
        service_id: r.service_id,
        service_category: r.service_category,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_statuses_map_to_the_screens_four() {
        let screen = |s| serde_json::to_value(RecordStatus::from(s)).unwrap();
        assert_eq!(screen(Status::Scheduled), "pending");
        assert_eq!(screen(Status::Arrived), "confirmed");
        assert_eq!(screen(Status::NoShow), "cancelled");
        assert_eq!(screen(Status::Completed), "completed");
        assert_eq!(serde_json::to_value(Source::WalkIn).unwrap(), "walk-in");
    }
}
