//! `GET /clients/{id}/history`: the client's appointments, newest first, a page at a time.
//!
//! Payments will come from the finances module (`finance_operations.client_id`); until it
//! exists `payments` is always `[]` and each completed visit carries its price as `amount`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    calendar::Status,
    clock::HhMm,
    error::AppError,
    http::page::{Page, PageMeta},
    ids::{AppointmentId, ClientId, StaffId},
    money::Money,
    tenancy::TenantTx,
};

/// One appointment of the client, in the shape of the UI's Visit.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    /// The appointment's id (a visit is an appointment).
    pub id: i64,
    pub client_id: ClientId,
    pub appointment_id: AppointmentId,
    /// When it starts (instant).
    pub date: DateTime<Utc>,
    /// Wall-clock start and end in the salon's zone.
    pub start_time: HhMm,
    pub end_time: HhMm,
    pub service_name: String,
    pub staff_id: Option<StaffId>,
    /// `""` for an unassigned appointment.
    pub staff_name: String,
    pub notes: String,
    /// Always empty: visit photos are not stored yet.
    pub photos: Vec<String>,
    pub status: Status,
    /// The appointment's price.
    pub price: Money,
    /// What the visit earned: its price once completed, 0 otherwise.
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HistoryType {
    #[default]
    All,
    Appointments,
    Purchases,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct HistoryQuery {
    /// `appointments`, `purchases` or `all` (default).
    #[param(inline)]
    #[serde(rename = "type")]
    pub kind: Option<HistoryType>,
    /// Administrators only (403 otherwise): the history of a deleted client, which is 404
    /// without it.
    pub deleted: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientHistory {
    /// Newest first.
    pub appointments: Vec<Visit>,
    /// Payments of the client: always `[]` until the finances module records them.
    #[schema(value_type = Vec<Object>)]
    pub payments: Vec<serde_json::Value>,
    /// `total`: appointments in the whole history.
    pub pagination: PageMeta,
}

/// `query_as!` into [`Visit`]: its columns from the calendar's appointments `a` and the staff's
/// names `m` (views the calendar and staff export), then `$tail`.
macro_rules! query_visit {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Visit,
            r#"select a.id as "id!", a.client_id as "client_id!: ClientId", a.id as "appointment_id!: AppointmentId",
                 a.starts_at as "date!", a.start_time as "start_time!: HhMm", a.end_time as "end_time!: HhMm",
                 a.service_name as "service_name!", a.staff_id as "staff_id: StaffId", coalesce(m.name, '') as "staff_name!",
                 a.notes as "notes!", array[]::text[] as "photos!", a.status as "status!: Status", a.price_minor as "price!: Money",
                 case when a.status = 'completed' then a.price_minor else 0 end as "amount!: Money"
             from calendar_appointments a left join staff_names m on m.salon_id = a.salon_id and m.id = a.staff_id "#
                + $tail
            $(, $arg)*
        )
    };
}

/// A page of the client's live appointments, newest first, with the total.
pub(super) async fn visits(tx: &mut TenantTx, client: i64, page: Page) -> Result<(Vec<Visit>, i64), AppError> {
    let total = sqlx::query_scalar!(
        r#"select count(*) as "count!" from calendar_appointments where client_id = $1 and deleted_at is null"#,
        client,
    )
    .fetch_one(tx.conn())
    .await?;
    let visits = query_visit!(
        "where a.client_id = $1 and a.deleted_at is null
         order by a.starts_at desc, a.id desc
         limit $2 offset $3",
        client,
        page.limit,
        page.offset,
    )
    .fetch_all(tx.conn())
    .await?;
    Ok((visits, total))
}

/// The latest completed visits of a client (for the details modal).
pub async fn recent_completed(tx: &mut TenantTx, client: i64, limit: i64) -> Result<Vec<Visit>, AppError> {
    Ok(query_visit!(
        "where a.client_id = $1 and a.deleted_at is null and a.status = 'completed'
         order by a.starts_at desc, a.id desc
         limit $2",
        client,
        limit,
    )
    .fetch_all(tx.conn())
    .await?)
}
