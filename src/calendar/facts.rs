//! What other domains may ask about bookings, without reading the appointments table.

use crate::{
    error::AppError,
    ids::{ServiceId, StaffId},
    money::Money,
    tenancy::TenantTx,
};

/// Who or what a booking holds.
#[derive(Debug, Clone, Copy)]
pub enum Holder {
    Member(StaffId),
    Service(ServiceId),
}

/// Whether a future booking that still holds its slot (not cancelled, completed or no-show)
/// is made with this member or for this service.
pub async fn has_future_bookings(tx: &mut TenantTx, holder: Holder) -> Result<bool, AppError> {
    let (staff_id, service_id) = match holder {
        Holder::Member(id) => (Some(id), None),
        Holder::Service(id) => (None, Some(id)),
    };
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from appointments
                        where ($1::bigint is null or staff_id = $1) and ($2::bigint is null or service_id = $2)
                          and deleted_at is null and starts_at > now()
                          and status not in ('cancelled', 'completed', 'no-show')) as "exists!""#,
        staff_id as Option<StaffId>,
        service_id as Option<ServiceId>,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Booking totals of a member or a service over all time.
#[derive(Debug, Clone, Default)]
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
    Ok(sqlx::query_as!(
        Totals,
        r#"select count(*) as "appointments!",
                count(*) filter (where status <> 'cancelled') as "bookings!",
                count(*) filter (where status = 'completed') as "completed!",
                coalesce(sum(price_minor) filter (where status = 'completed'), 0)::bigint as "revenue!: Money",
                count(distinct client_id) as "clients!"
         from appointments
         where ($1::bigint is null or staff_id = $1) and ($2::bigint is null or service_id = $2)
           and deleted_at is null"#,
        staff_id as Option<StaffId>,
        service_id as Option<ServiceId>,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Non-cancelled bookings per service, for popularity rankings.
pub async fn bookings_per_service(tx: &mut TenantTx) -> Result<Vec<(ServiceId, i64)>, AppError> {
    let rows = sqlx::query!(
        r#"select service_id as "service_id!: ServiceId", count(*) as "count!" from appointments
         where service_id is not null and deleted_at is null and status <> 'cancelled'
         group by service_id"#,
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.service_id, r.count)).collect())
}

/// Whether a visit of the client is still to come: booked, confirmed or arrived, and starting
/// later than now.
pub async fn client_has_upcoming(tx: &mut TenantTx, client_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from appointments
                        where client_id = $1 and deleted_at is null and starts_at > now()
                          and status in ('scheduled', 'confirmed', 'arrived')) as "exists!""#,
        client_id,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// Whether a staff profile of the user has (had) a live appointment with the client.
pub async fn client_served_by(tx: &mut TenantTx, client_id: i64, user_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from appointments a
                        join staff_names st on st.salon_id = a.salon_id and st.id = a.staff_id
                        where a.client_id = $1 and a.deleted_at is null and st.user_id = $2) as "exists!""#,
        client_id,
        user_id,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The client and staff member of a live appointment; `None` when there is no such appointment.
pub async fn appointment_people(
    tx: &mut TenantTx,
    appointment_id: i64,
) -> Result<Option<(Option<i64>, Option<i64>)>, AppError> {
    Ok(sqlx::query!("select client_id, staff_id from appointments where id = $1 and deleted_at is null", appointment_id)
        .map(|r| (r.client_id, r.staff_id))
        .fetch_optional(tx.conn())
        .await?)
}
