//! SQL of appointments. Every function runs inside a [`TenantTx`].

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::json;
use sqlx::Acquire;

use super::model::{Appointment, Kind, ListQuery, Status};
use crate::{
    clock::{HhMm, Ymd},
    error::{AppError, constraint_of},
    http::page::Rows,
    ids::{AppointmentId, ClientId, ServiceId, StaffId, UserId},
    money::Money,
    tenancy::TenantTx,
};

/// `query_as!` into [`Appointment`]: `$head` ends with `select` or `returning`, the columns of
/// [`Appointment`] follow it, then `$tail`. `service` repeats `service_name`.
macro_rules! query_appointment {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Appointment,
            $head
                + r#" id as "id: AppointmentId", client_id as "client_id: ClientId", client_name, client_phone,
                 staff_id as "staff_id: StaffId", service_id as "service_id: ServiceId", service_name,
                 service_name as service, date as "date: Ymd", start_time as "start_time: HhMm",
                 end_time as "end_time: HhMm", starts_at, ends_at, status as "status: Status", type as "kind: Kind",
                 price_minor as "price: Money", notes, created_at, updated_at "#
                + $tail
            $(, $arg)*
        )
    };
}

/// The appointments matching `q`, by date and start time: the `rows` asked for.
pub async fn list(tx: &mut TenantTx, q: &ListQuery, rows: Rows) -> Result<Vec<Appointment>, AppError> {
    let (from, to) = match (q.date, q.date_from, q.date_to) {
        (Some(d), _, _) => (Some(d.0), Some(d.0)),
        (None, from, to) => (from.map(|d| d.0), to.map(|d| d.0)),
    };
    Ok(query_appointment!(
        "select",
        "from appointments
         where deleted_at is null
           and ($1::date is null or date >= $1)
           and ($2::date is null or date <= $2)
           and ($3::bigint is null or staff_id = $3)
           and ($4::bigint is null or client_id = $4)
           and ($5::text is null or status = $5)
         order by date, start_time, id
         limit $6 offset $7",
        from,
        to,
        q.staff_id as Option<StaffId>,
        q.client_id as Option<ClientId>,
        q.status as Option<Status>,
        rows.limit,
        rows.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn get(tx: &mut TenantTx, id: AppointmentId) -> Result<Option<Appointment>, AppError> {
    Ok(query_appointment!("select", "from appointments where id = $1 and deleted_at is null", id as AppointmentId)
        .fetch_optional(tx.conn())
        .await?)
}

/// Locks a live appointment for a change.
pub async fn lock(tx: &mut TenantTx, id: AppointmentId) -> Result<Option<Appointment>, AppError> {
    Ok(query_appointment!("select", "from appointments where id = $1 and deleted_at is null for update", id as AppointmentId)
        .fetch_optional(tx.conn())
        .await?)
}

/// Everything an appointment row stores, resolved and validated by the caller.
#[derive(Debug, Clone)]
pub struct Row {
    pub client_id: Option<ClientId>,
    pub client_name: String,
    pub client_phone: String,
    pub staff_id: Option<StaffId>,
    pub service_id: Option<ServiceId>,
    pub service_name: String,
    pub date: NaiveDate,
    pub start_time: NaiveTime,
    pub end_time: NaiveTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: Status,
    pub kind: Kind,
    pub price: Money,
    pub notes: String,
}

/// Inserts, or updates `id`, inside a savepoint: when the no-overlap constraint refuses, the
/// savepoint is rolled back and the answer is a 409 naming the appointment in the way.
/// `user_id` is the author of a new visit (`None`: the client booked it themselves).
pub async fn save(tx: &mut TenantTx, id: Option<AppointmentId>, row: &Row, user_id: Option<UserId>) -> Result<Appointment, AppError> {
    let mut savepoint = tx.conn().begin().await?;
    // The fifteen stored fields, in column order, are $1..$15 of both statements.
    let saved: Result<Appointment, sqlx::Error> = match id {
        None => query_appointment!(
            "insert into appointments (client_id, client_name, client_phone, staff_id, service_id, service_name,
                 date, start_time, end_time, starts_at, ends_at, status, type, price_minor, notes, created_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
             returning",
            "",
            row.client_id as Option<ClientId>,
            row.client_name,
            row.client_phone,
            row.staff_id as Option<StaffId>,
            row.service_id as Option<ServiceId>,
            row.service_name,
            row.date,
            row.start_time,
            row.end_time,
            row.starts_at,
            row.ends_at,
            row.status as Status,
            row.kind as Kind,
            row.price as Money,
            row.notes,
            user_id as Option<UserId>,
        )
        .fetch_one(&mut *savepoint)
        .await,
        Some(id) => query_appointment!(
            "update appointments set client_id = $1, client_name = $2, client_phone = $3, staff_id = $4,
                 service_id = $5, service_name = $6, date = $7, start_time = $8, end_time = $9,
                 starts_at = $10, ends_at = $11, status = $12, type = $13, price_minor = $14, notes = $15,
                 updated_at = now()
             where id = $16
             returning",
            "",
            row.client_id as Option<ClientId>,
            row.client_name,
            row.client_phone,
            row.staff_id as Option<StaffId>,
            row.service_id as Option<ServiceId>,
            row.service_name,
            row.date,
            row.start_time,
            row.end_time,
            row.starts_at,
            row.ends_at,
            row.status as Status,
            row.kind as Kind,
            row.price as Money,
            row.notes,
            id as AppointmentId,
        )
        .fetch_one(&mut *savepoint)
        .await,
    };
    match saved {
        Ok(a) => {
            savepoint.commit().await?;
            Ok(a)
        }
        Err(e) if constraint_of(&e) == Some("appointments_no_overlap") => {
            savepoint.rollback().await?;
            let other = overlapping(tx, row, id).await?;
            Err(AppError::ConflictWith {
                code: "slot_taken",
                message: "Цей час у майстра вже зайнятий".into(),
                conflict: match other {
                    Some(o) => json!({
                        "id": o.id, "staffId": o.staff_id, "date": o.date,
                        "startTime": o.start_time, "endTime": o.end_time, "clientName": o.client_name,
                    }),
                    None => json!(null),
                },
            })
        }
        Err(e) => Err(e.into()),
    }
}

async fn overlapping(tx: &mut TenantTx, row: &Row, except: Option<AppointmentId>) -> Result<Option<Appointment>, AppError> {
    Ok(query_appointment!(
        "select",
        "from appointments
         where staff_id = $1 and status <> 'cancelled' and deleted_at is null
           and tstzrange(starts_at, ends_at, '[)') && tstzrange($2, $3, '[)')
           and id is distinct from $4
         order by starts_at limit 1",
        row.staff_id as Option<StaffId>,
        row.starts_at,
        row.ends_at,
        except as Option<AppointmentId>,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// The client's visits from `now` on that are not cancelled, soonest first (at most 20).
pub async fn upcoming_of_client(tx: &mut TenantTx, client_id: ClientId, now: DateTime<Utc>) -> Result<Vec<Appointment>, AppError> {
    Ok(query_appointment!(
        "select",
        "from appointments
         where client_id = $1 and starts_at > $2 and status in ('scheduled', 'confirmed') and deleted_at is null
         order by starts_at limit 20",
        client_id as ClientId,
        now,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The members' visits on `date` that are not cancelled, by start.
pub async fn of_members_on(tx: &mut TenantTx, staff: &[StaffId], date: NaiveDate) -> Result<Vec<Appointment>, AppError> {
    Ok(query_appointment!(
        "select",
        "from appointments
         where staff_id = any($1) and date = $2 and status <> 'cancelled' and deleted_at is null
         order by starts_at, id",
        staff as &[StaffId],
        date,
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn soft_delete(tx: &mut TenantTx, id: AppointmentId) -> Result<(), AppError> {
    sqlx::query!("update appointments set deleted_at = now(), updated_at = now() where id = $1", id as AppointmentId)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A member's busy time: live, non-cancelled appointments overlapping [from, to).
#[derive(Debug, Clone)]
pub struct Busy {
    pub staff_id: StaffId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

pub async fn busy(tx: &mut TenantTx, staff: &[StaffId], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Busy>, AppError> {
    Ok(sqlx::query_as!(
        Busy,
        r#"select staff_id as "staff_id!: StaffId", starts_at, ends_at from appointments
         where staff_id = any($1) and status <> 'cancelled' and deleted_at is null
           and starts_at < $3 and ends_at > $2
         order by staff_id, starts_at"#,
        staff as &[StaffId],
        from,
        to,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// The salon's slot step in minutes.
pub async fn slot_step(tx: &mut TenantTx) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar!(r#"select slot_step_minutes as "slot_step_minutes!" from salon_facts"#).fetch_one(tx.conn()).await?)
}

/// The first live appointment of a member overlapping [from, to), other than `except`.
pub async fn busy_ids(
    tx: &mut TenantTx,
    staff_id: StaffId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<AppointmentId>,
) -> Result<Option<AppointmentId>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select id as "id: AppointmentId" from appointments
         where staff_id = $1 and status <> 'cancelled' and deleted_at is null
           and starts_at < $3 and ends_at > $2 and id is distinct from $4
         order by starts_at limit 1"#,
        staff_id as StaffId,
        from,
        to,
        except as Option<AppointmentId>,
    )
    .fetch_optional(tx.conn())
    .await?)
}
