//! SQL of weekly patterns (`staff_schedule`) and exceptions (`staff_exceptions`).

use chrono::{NaiveDate, Utc};

use super::{
    schedule_input::{NewException, SchedulePlan},
    windows::{ExceptionRow, PatternRow},
};
use crate::{http::error::AppError, tenancy::TenantTx};

macro_rules! exception_columns {
    () => {
        "e.id, e.staff_id, e.kind, e.starts_on, e.ends_on, e.starts, e.ends, e.reason"
    };
}

/// Today in the salon's time zone.
pub async fn salon_today(tx: &mut TenantTx) -> Result<NaiveDate, AppError> {
    let zone: String = sqlx::query_scalar("select timezone from salons").fetch_one(tx.conn()).await?;
    Ok(Utc::now().with_timezone(&crate::clock::zone(&zone)).date_naive())
}

/// Pattern rows of the given members, whatever their state.
pub async fn pattern_of(tx: &mut TenantTx, staff_ids: &[i64]) -> Result<Vec<PatternRow>, AppError> {
    Ok(sqlx::query_as(
        "select staff_id, weekday, starts, ends from staff_schedule
         where staff_id = any($1) order by staff_id, weekday, starts",
    )
    .bind(staff_ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Pattern rows of active, non-deleted members (`None` = all of them).
pub async fn active_pattern(tx: &mut TenantTx, staff_ids: Option<&[i64]>) -> Result<Vec<PatternRow>, AppError> {
    Ok(sqlx::query_as(
        "select ss.staff_id, ss.weekday, ss.starts, ss.ends
         from staff_schedule ss
         join staff s on s.salon_id = ss.salon_id and s.id = ss.staff_id
         where s.is_active and s.deleted_at is null and ($1::bigint[] is null or ss.staff_id = any($1))
         order by ss.staff_id, ss.weekday, ss.starts",
    )
    .bind(staff_ids)
    .fetch_all(tx.conn())
    .await?)
}

/// Exceptions of active, non-deleted members (`None` = all) overlapping `from..=to`.
pub async fn active_exceptions(
    tx: &mut TenantTx,
    staff_ids: Option<&[i64]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ExceptionRow>, AppError> {
    Ok(sqlx::query_as(concat!(
        "select ", exception_columns!(), "
         from staff_exceptions e
         join staff s on s.salon_id = e.salon_id and s.id = e.staff_id
         where s.is_active and s.deleted_at is null and ($1::bigint[] is null or e.staff_id = any($1))
           and e.starts_on <= $3 and e.ends_on >= $2
         order by e.staff_id, e.starts_on, e.id"
    ))
    .bind(staff_ids)
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await?)
}

/// A member's exceptions that end on or after `from`.
pub async fn exceptions_since(tx: &mut TenantTx, staff_id: i64, from: NaiveDate) -> Result<Vec<ExceptionRow>, AppError> {
    Ok(sqlx::query_as(concat!(
        "select ", exception_columns!(), " from staff_exceptions e
         where e.staff_id = $1 and e.ends_on >= $2 order by e.starts_on, e.id"
    ))
    .bind(staff_id)
    .bind(from)
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces the weekly pattern and, when the plan has exceptions, the exceptions from `today`
/// on (earlier ones are history: one that spans `today` is cut to end yesterday).
pub async fn replace(tx: &mut TenantTx, staff_id: i64, plan: &SchedulePlan, today: NaiveDate) -> Result<(), AppError> {
    sqlx::query("delete from staff_schedule where staff_id = $1").bind(staff_id).execute(tx.conn()).await?;
    let (weekdays, starts, ends): (Vec<i16>, Vec<_>, Vec<_>) = plan.pattern.iter().fold(
        (Vec::new(), Vec::new(), Vec::new()),
        |(mut w, mut s, mut e), &(wd, st, en)| {
            w.push(wd);
            s.push(st);
            e.push(en);
            (w, s, e)
        },
    );
    sqlx::query(
        "insert into staff_schedule (staff_id, weekday, starts, ends)
         select $1, w, s, e from unnest($2::smallint[], $3::time[], $4::time[]) as t (w, s, e)",
    )
    .bind(staff_id)
    .bind(weekdays)
    .bind(starts)
    .bind(ends)
    .execute(tx.conn())
    .await?;
    if let Some(exceptions) = &plan.exceptions {
        replace_exceptions(tx, staff_id, exceptions, today).await?;
    }
    Ok(())
}

async fn replace_exceptions(tx: &mut TenantTx, staff_id: i64, list: &[NewException], today: NaiveDate) -> Result<(), AppError> {
    sqlx::query("delete from staff_exceptions where staff_id = $1 and starts_on >= $2")
        .bind(staff_id)
        .bind(today)
        .execute(tx.conn())
        .await?;
    sqlx::query("update staff_exceptions set ends_on = $2 - 1 where staff_id = $1 and ends_on >= $2")
        .bind(staff_id)
        .bind(today)
        .execute(tx.conn())
        .await?;
    for e in list {
        sqlx::query(
            "insert into staff_exceptions (staff_id, kind, starts_on, ends_on, starts, ends, reason)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(staff_id)
        .bind(e.kind)
        .bind(e.from)
        .bind(e.to)
        .bind(e.hours.map(|h| h.0))
        .bind(e.hours.map(|h| h.1))
        .bind(&e.reason)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// Deletes one exception of a member; `None` when the member has no such exception.
pub async fn delete_exception(tx: &mut TenantTx, staff_id: i64, id: i64) -> Result<Option<ExceptionRow>, AppError> {
    Ok(sqlx::query_as(concat!(
        "delete from staff_exceptions e where e.staff_id = $1 and e.id = $2 returning ",
        exception_columns!()
    ))
    .bind(staff_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}
