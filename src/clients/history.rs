//! `GET /clients/{id}/history`: the client's appointments, newest first, a page at a time.
//!
//! Payments will come from the finances module (`finance_operations.client_id`); until it
//! exists `payments` is always `[]` and each completed visit carries its price as `amount`.

use axum::{
    Json,
    http::{HeaderValue, header::HeaderName},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ClientsHistory, store};
use crate::{
    auth::Can,
    calendar::Status,
    clock::HhMm,
    http::{AppPath, AppQuery, error::AppError},
    money::Money,
    tenancy::TenantTx,
};

/// One appointment of the client, in the shape of the UI's Visit.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    /// The appointment's id (a visit is an appointment).
    pub id: i64,
    pub client_id: i64,
    pub appointment_id: i64,
    /// When it starts (instant).
    pub date: DateTime<Utc>,
    /// Wall-clock start and end in the salon's zone.
    pub start_time: HhMm,
    pub end_time: HhMm,
    pub service_name: String,
    pub staff_id: Option<i64>,
    /// `""` for an unassigned appointment.
    pub staff_name: String,
    pub notes: String,
    /// Always empty: visit photos are not stored yet.
    #[sqlx(skip)]
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
    /// 1-based, default 1.
    pub page: Option<i64>,
    /// Default 20, at most 100.
    pub per_page: Option<i64>,
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
pub struct Pagination {
    pub page: i64,
    pub per_page: i64,
    /// Appointments in the whole history.
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientHistory {
    /// Newest first.
    pub appointments: Vec<Visit>,
    /// Payments of the client: always `[]` until the finances module records them.
    #[schema(value_type = Vec<Object>)]
    pub payments: Vec<serde_json::Value>,
    pub pagination: Pagination,
}

/// Columns of [`Visit`] over `appointments a left join staff m`.
macro_rules! visit_columns {
    () => {
        "a.id, a.client_id, a.id as appointment_id, a.starts_at as date, a.start_time, a.end_time,
         a.service_name, a.staff_id, coalesce(btrim(m.first_name || ' ' || m.last_name), '') as staff_name,
         a.notes, a.status, a.price_minor as price,
         case when a.status = 'completed' then a.price_minor else 0 end as amount"
    };
}

/// A page of the client's live appointments, newest first, with the total.
pub async fn page(tx: &mut TenantTx, client: i64, limit: i64, offset: i64) -> Result<(Vec<Visit>, i64), AppError> {
    let total: i64 = sqlx::query_scalar("select count(*) from appointments where client_id = $1 and deleted_at is null")
        .bind(client)
        .fetch_one(tx.conn())
        .await?;
    let visits = sqlx::query_as(concat!(
        "select ", visit_columns!(), "
         from appointments a left join staff m on m.salon_id = a.salon_id and m.id = a.staff_id
         where a.client_id = $1 and a.deleted_at is null
         order by a.starts_at desc, a.id desc
         limit $2 offset $3"
    ))
    .bind(client)
    .bind(limit)
    .bind(offset)
    .fetch_all(tx.conn())
    .await?;
    Ok((visits, total))
}

/// The latest completed visits of a client (for the details modal).
pub async fn recent_completed(tx: &mut TenantTx, client: i64, limit: i64) -> Result<Vec<Visit>, AppError> {
    Ok(sqlx::query_as(concat!(
        "select ", visit_columns!(), "
         from appointments a left join staff m on m.salon_id = a.salon_id and m.id = a.staff_id
         where a.client_id = $1 and a.deleted_at is null and a.status = 'completed'
         order by a.starts_at desc, a.id desc
         limit $2"
    ))
    .bind(client)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// The client's appointments (every status), newest first, paginated, and their payments
/// (none yet). A deleted client's history stays readable for administrators, with
/// `?deleted=true` as the card.
#[utoipa::path(get, path = "/clients/{id}/history", tag = "clients", security(("bearer" = [])),
    params(("id" = i64, Path), HistoryQuery),
    responses((status = 200, body = ClientHistory,
               headers(("X-Total-Count" = i64, description = "appointments in the whole history"))),
              (status = 403), (status = 404)))]
pub async fn client_history(
    Can(user, ..): Can<ClientsHistory>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<HistoryQuery>,
) -> Result<Response, AppError> {
    let per_page = q.per_page.unwrap_or(20).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let with_deleted = super::with_deleted(&user, q.deleted)?;
    store::find(&mut tx, id, with_deleted, false).await?.ok_or(AppError::NotFound)?;
    super::ensure_visible(&mut tx, &user, id).await?;
    let (appointments, total) = if q.kind == Some(HistoryType::Purchases) {
        (Vec::new(), 0)
    } else {
        self::page(&mut tx, id, per_page, (page - 1).saturating_mul(per_page)).await?
    };
    tx.commit().await?;
    let body = ClientHistory {
        appointments,
        payments: Vec::new(),
        pagination: Pagination { page, per_page, total, total_pages: (total + per_page - 1) / per_page },
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(HeaderName::from_static("x-total-count"), HeaderValue::from(total));
    Ok(res)
}
