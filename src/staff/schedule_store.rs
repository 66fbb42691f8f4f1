//! SQL of weekly patterns (`staff_schedule`) and exceptions (`staff_exceptions`).

use chrono::NaiveDate;

use super::{
    schedule_input::{NewException, SchedulePlan},
    windows::{ExceptionKind, ExceptionRow, PatternRow},
};
use crate::{error::AppError, ids::StaffId, tenancy::TenantTx};

/// `sqlx::query_as!(ExceptionRow, ..)` with the columns of [`ExceptionRow`] (of `e`, a
/// `staff_exceptions` row) between `$head` and `$tail`.
macro_rules! query_exceptions {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ExceptionRow,
            $head
                + r#"e.id, e.staff_id, e.kind as "kind: ExceptionKind", e.starts_on, e.ends_on, e.starts, e.ends, e.reason"#
                + $tail
            $(, $arg)*
        )
    };
}

/// Pattern rows of the given members, whatever their state.
pub async fn pattern_of(tx: &mut TenantTx, staff_ids: &[StaffId]) -> Result<Vec<PatternRow>, AppError> {
    Ok(sqlx::query_as!(
        PatternRow,
        "select staff_id, weekday, starts, ends from staff_schedule
         where staff_id = any($1) order by staff_id, weekday, starts",
        staff_ids as &[StaffId],
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Pattern rows of active, non-deleted members (`None` = all of them).
pub async fn active_pattern(tx: &mut TenantTx, staff_ids: Option<&[StaffId]>) -> Result<Vec<PatternRow>, AppError> {
    Ok(sqlx::query_as!(
        PatternRow,
        "select ss.staff_id, ss.weekday, ss.starts, ss.ends
         from staff_schedule ss
         join staff s on s.salon_id = ss.salon_id and s.id = ss.staff_id
         where s.is_active and s.deleted_at is null and ($1::bigint[] is null or ss.staff_id = any($1))
         order by ss.staff_id, ss.weekday, ss.starts",
        staff_ids as Option<&[StaffId]>,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Exceptions of active, non-deleted members (`None` = all) overlapping `from..=to`.
pub async fn active_exceptions(
    tx: &mut TenantTx,
    staff_ids: Option<&[StaffId]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ExceptionRow>, AppError> {
    Ok(query_exceptions!(
        "select ",
        "
         from staff_exceptions e
         join staff s on s.salon_id = e.salon_id and s.id = e.staff_id
         where s.is_active and s.deleted_at is null and ($1::bigint[] is null or e.staff_id = any($1))
           and e.starts_on <= $3 and e.ends_on >= $2
         order by e.staff_id, e.starts_on, e.id",
        staff_ids as Option<&[StaffId]>,
        from,
        to,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A member's exceptions that end on or after `from`.
pub async fn exceptions_since(tx: &mut TenantTx, staff_id: StaffId, from: NaiveDate) -> Result<Vec<ExceptionRow>, AppError> {
    Ok(query_exceptions!(
        "select ",
        " from staff_exceptions e
         where e.staff_id = $1 and e.ends_on >= $2 order by e.starts_on, e.id",
        staff_id as StaffId,
        from,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Replaces the weekly pattern and, when the plan has exceptions, the exceptions from `today`
/// on (earlier ones are history: one that spans `today` is cut to end yesterday).
pub async fn replace(tx: &mut TenantTx, staff_id: StaffId, plan: &SchedulePlan, today: NaiveDate) -> Result<(), AppError> {
    sqlx::query!("delete from staff_schedule where staff_id = $1", staff_id as StaffId).execute(tx.conn()).await?;
    let (weekdays, starts, ends): (Vec<i16>, Vec<_>, Vec<_>) = plan.pattern.iter().fold(
        (Vec::new(), Vec::new(), Vec::new()),
        |(mut w, mut s, mut e), &(wd, st, en)| {
            w.push(wd);
            s.push(st);
            e.push(en);
            (w, s, e)
        },
    );
    sqlx::query!(
        "insert into staff_schedule (staff_id, weekday, starts, ends)
         select $1, w, s, e from unnest($2::smallint[], $3::time[], $4::time[]) as t (w, s, e)",
        staff_id as StaffId,
        &weekdays[..],
        &starts[..],
        &ends[..],
    )
    .execute(tx.conn())
    .await?;
    if let Some(exceptions) = &plan.exceptions {
        replace_exceptions(tx, staff_id, exceptions, today).await?;
    }
    Ok(())
}

async fn replace_exceptions(tx: &mut TenantTx, staff_id: StaffId, list: &[NewException], today: NaiveDate) -> Result<(), AppError> {
    sqlx::query!("delete from staff_exceptions where staff_id = $1 and starts_on >= $2", staff_id as StaffId, today)
        .execute(tx.conn())
        .await?;
    sqlx::query!(
        "update staff_exceptions set ends_on = $2 - 1 where staff_id = $1 and ends_on >= $2",
        staff_id as StaffId,
        today,
    )
    .execute(tx.conn())
    .await?;
    for e in list {
        sqlx::query!(
            "insert into staff_exceptions (staff_id, kind, starts_on, ends_on, starts, ends, reason)
             values ($1, $2, $3, $4, $5, $6, $7)",
            staff_id as StaffId,
            e.kind as ExceptionKind,
            e.from,
            e.to,
            e.hours.map(|h| h.0),
            e.hours.map(|h| h.1),
            e.reason,
        )
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// Deletes one exception of a member; `None` when the member has no such exception.
pub async fn delete_exception(tx: &mut TenantTx, staff_id: StaffId, id: i64) -> Result<Option<ExceptionRow>, AppError> {
    Ok(query_exceptions!(
        "delete from staff_exceptions e where e.staff_id = $1 and e.id = $2 returning ",
        "",
        staff_id as StaffId,
        id,
    )
    .fetch_optional(tx.conn())
    .await?)
}
