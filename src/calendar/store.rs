//! SQL of appointments. Every function runs inside a [`TenantTx`].

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::json;
use sqlx::{Acquire, FromRow};

use super::model::{Appointment, Kind, ListQuery, Status};
use crate::{
    http::error::{AppError, constraint_of},
    money::Money,
    tenancy::TenantTx,
};

macro_rules! appointment_columns {
    () => {
        "id, client_id, client_name, client_phone, staff_id, service_id, service_name, date,
         start_time, end_time, starts_at, ends_at, status, type, price_minor, notes, created_at, updated_at"
    };
}

fn finish(mut a: Appointment) -> Appointment {
    a.service = a.service_name.clone();
    a
}

pub async fn list(tx: &mut TenantTx, q: &ListQuery) -> Result<Vec<Appointment>, AppError> {
    let (from, to) = match (q.date, q.date_from, q.date_to) {
        (Some(d), _, _) => (Some(d.0), Some(d.0)),
        (None, from, to) => (from.map(|d| d.0), to.map(|d| d.0)),
    };
    let rows: Vec<Appointment> = sqlx::query_as(concat!(
        "select ", appointment_columns!(), " from appointments
         where deleted_at is null
           and ($1::date is null or date >= $1)
           and ($2::date is null or date <= $2)
           and ($3::bigint is null or staff_id = $3)
           and ($4::bigint is null or client_id = $4)
           and ($5::text is null or status = $5)
         order by date, start_time, id
         limit $6 offset $7"
    ))
    .bind(from)
    .bind(to)
    .bind(q.staff_id)
    .bind(q.client_id)
    .bind(q.status)
    .bind(q.limit.map(|l| l.clamp(1, 10_000)))
    .bind(q.offset.unwrap_or(0).max(0))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(finish).collect())
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Appointment>, AppError> {
    let row: Option<Appointment> =
        sqlx::query_as(concat!("select ", appointment_columns!(), " from appointments where id = $1 and deleted_at is null"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    Ok(row.map(finish))
}

/// Locks a live appointment for a change.
pub async fn lock(tx: &mut TenantTx, id: i64) -> Result<Option<Appointment>, AppError> {
    let row: Option<Appointment> = sqlx::query_as(concat!(
        "select ", appointment_columns!(), " from appointments where id = $1 and deleted_at is null for update"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(finish))
}

/// Everything an appointment row stores, resolved and validated by the caller.
#[derive(Debug, Clone)]
pub struct Row {
    pub client_id: Option<i64>,
    pub client_name: String,
    pub client_phone: String,
    pub staff_id: Option<i64>,
    pub service_id: Option<i64>,
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
pub async fn save(tx: &mut TenantTx, id: Option<i64>, row: &Row, user_id: i64) -> Result<Appointment, AppError> {
    let mut savepoint = tx.conn().begin().await?;
    let query = match id {
        None => bind_row(
            sqlx::query_as(concat!(
                "insert into appointments (client_id, client_name, client_phone, staff_id, service_id, service_name,
                     date, start_time, end_time, starts_at, ends_at, status, type, price_minor, notes, created_by)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 returning ", appointment_columns!()
            )),
            row,
        )
        .bind(user_id),
        Some(id) => bind_row(
            sqlx::query_as(concat!(
                "update appointments set client_id = $1, client_name = $2, client_phone = $3, staff_id = $4,
                     service_id = $5, service_name = $6, date = $7, start_time = $8, end_time = $9,
                     starts_at = $10, ends_at = $11, status = $12, type = $13, price_minor = $14, notes = $15,
                     updated_at = now()
                 where id = $16
                 returning ", appointment_columns!()
            )),
            row,
        )
        .bind(id),
    };
    let saved: Result<Appointment, sqlx::Error> = query.fetch_one(&mut *savepoint).await;
    match saved {
        Ok(a) => {
            savepoint.commit().await?;
            Ok(finish(a))
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

type AppointmentQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Postgres, Appointment, sqlx::postgres::PgArguments>;

/// Binds the fifteen stored fields, in column order, as $1..$15.
fn bind_row<'q>(q: AppointmentQuery<'q>, row: &'q Row) -> AppointmentQuery<'q> {
    q.bind(row.client_id)
        .bind(&row.client_name)
        .bind(&row.client_phone)
        .bind(row.staff_id)
        .bind(row.service_id)
        .bind(&row.service_name)
        .bind(row.date)
        .bind(row.start_time)
        .bind(row.end_time)
        .bind(row.starts_at)
        .bind(row.ends_at)
        .bind(row.status)
        .bind(row.kind)
        .bind(row.price)
        .bind(&row.notes)
}

async fn overlapping(tx: &mut TenantTx, row: &Row, except: Option<i64>) -> Result<Option<Appointment>, AppError> {
    let found: Option<Appointment> = sqlx::query_as(concat!(
        "select ", appointment_columns!(), " from appointments
         where staff_id = $1 and status <> 'cancelled' and deleted_at is null
           and tstzrange(starts_at, ends_at, '[)') && tstzrange($2, $3, '[)')
           and id is distinct from $4
         order by starts_at limit 1"
    ))
    .bind(row.staff_id)
    .bind(row.starts_at)
    .bind(row.ends_at)
    .bind(except)
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.map(finish))
}

pub async fn soft_delete(tx: &mut TenantTx, id: i64) -> Result<(), AppError> {
    sqlx::query("update appointments set deleted_at = now(), updated_at = now() where id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A member's busy time: live, non-cancelled appointments overlapping [from, to).
#[derive(Debug, Clone, FromRow)]
pub struct Busy {
    pub staff_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

pub async fn busy(tx: &mut TenantTx, staff: &[i64], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Busy>, AppError> {
    Ok(sqlx::query_as(
        "select staff_id, starts_at, ends_at from appointments
         where staff_id = any($1) and status <> 'cancelled' and deleted_at is null
           and starts_at < $3 and ends_at > $2
         order by staff_id, starts_at",
    )
    .bind(staff)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await?)
}

/// The salon's time zone and slot step.
pub async fn salon_clock(tx: &mut TenantTx) -> Result<(String, i32), AppError> {
    Ok(sqlx::query_as("select timezone, slot_step_minutes from salons").fetch_one(tx.conn()).await?)
}

/// The first live appointment of a member overlapping [from, to), other than `except`.
pub async fn busy_ids(
    tx: &mut TenantTx,
    staff_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<i64>,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "select id from appointments
         where staff_id = $1 and status <> 'cancelled' and deleted_at is null
           and starts_at < $3 and ends_at > $2 and id is distinct from $4
         order by starts_at limit 1",
    )
    .bind(staff_id)
    .bind(from)
    .bind(to)
    .bind(except)
    .fetch_optional(tx.conn())
    .await?)
}
