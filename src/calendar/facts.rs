//! What other domains may ask about bookings, without reading the appointments table.

use crate::{http::error::AppError, money::Money, tenancy::TenantTx};

/// Who or what a booking holds.
#[derive(Debug, Clone, Copy)]
pub enum Holder {
    Member(i64),
    Service(i64),
}

/// Whether a future booking that still holds its slot (not cancelled, completed or no-show)
/// is made with this member or for this service.
pub async fn has_future_bookings(tx: &mut TenantTx, holder: Holder) -> Result<bool, AppError> {
    let (staff_id, service_id) = match holder {
        Holder::Member(id) => (Some(id), None),
        Holder::Service(id) => (None, Some(id)),
    };
    Ok(sqlx::query_scalar(
        "select exists (select 1 from appointments
                        where ($1::bigint is null or staff_id = $1) and ($2::bigint is null or service_id = $2)
                          and deleted_at is null and starts_at > now()
                          and status not in ('cancelled', 'completed', 'no-show'))",
    )
    .bind(staff_id)
    .bind(service_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Booking totals of a member or a service over all time.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Totals {
    /// Every booking that was not deleted, whatever its status.
    pub appointments: i64,
    /// Bookings that were not cancelled.
    pub bookings: i64,
    pub completed: i64,
    /// Sum of the prices of completed visits.
    pub revenue: Money,
    /// Distinct clients served.
    pub clients: i64,
}

pub async fn totals(tx: &mut TenantTx, holder: Holder) -> Result<Totals, AppError> {
    let (staff_id, service_id) = match holder {
        Holder::Member(id) => (Some(id), None),
        Holder::Service(id) => (None, Some(id)),
    };
    Ok(sqlx::query_as(
        "select count(*) as appointments,
                count(*) filter (where status <> 'cancelled') as bookings,
                count(*) filter (where status = 'completed') as completed,
                coalesce(sum(price_minor) filter (where status = 'completed'), 0)::bigint as revenue,
                count(distinct client_id) as clients
         from appointments
         where ($1::bigint is null or staff_id = $1) and ($2::bigint is null or service_id = $2)
           and deleted_at is null",
    )
    .bind(staff_id)
    .bind(service_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Non-cancelled bookings per service, for popularity rankings.
pub async fn bookings_per_service(tx: &mut TenantTx) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "select service_id, count(*) from appointments
         where service_id is not null and deleted_at is null and status <> 'cancelled'
         group by service_id",
    )
    .fetch_all(tx.conn())
    .await?)
}
