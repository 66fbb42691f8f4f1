//! `/staff/{id}/schedule`: the weekly pattern, exceptions, and the resulting days. Reading is
//! open to every signed-in user; changing needs `settings.schedule.edit`.

use axum::{Json, http::StatusCode};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    http::json,
    schedule_input::ScheduleInput,
    schedule_store, store,
    windows::{ExceptionKind, ExceptionRow, PatternRow, plan_day},
};
use crate::{
    audit,
    auth::{Can, ClientIp, CurrentUser},
    clock::{HhMm, Ymd},
    http::{AppJson, AppPath, AppQuery, error::AppError},
    permission,
    tenancy::TenantTx,
};

permission!(ScheduleEdit = "settings.schedule.edit");

/// Longest range `GET` answers, in days.
const MAX_DAYS: u64 = 93;
const WEEKDAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Interval {
    pub start: HhMm,
    pub end: HhMm,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct FromTo {
    pub from: HhMm,
    pub to: HhMm,
}

/// One weekday of the pattern, in the schedule modal's shape plus its intervals.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkDay {
    pub is_work_day: bool,
    pub start_time: Option<HhMm>,
    pub end_time: Option<HhMm>,
    pub intervals: Vec<Interval>,
}

/// All seven weekdays.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub struct WorkDays {
    pub monday: WorkDay,
    pub tuesday: WorkDay,
    pub wednesday: WorkDay,
    pub thursday: WorkDay,
    pub friday: WorkDay,
    pub saturday: WorkDay,
    pub sunday: WorkDay,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleException {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: ExceptionKind,
    pub date_from: Ymd,
    pub date_to: Ymd,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<HhMm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<HhMm>,
    pub reason: String,
}

/// One date after exceptions.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDay {
    pub date: Ymd,
    /// `monday`..`sunday`.
    pub day_of_week: String,
    pub is_working_day: bool,
    pub work_from: Option<HhMm>,
    pub work_to: Option<HhMm>,
    pub intervals: Vec<FromTo>,
    /// The gaps between intervals.
    pub breaks: Vec<FromTo>,
    /// The exception that decided this date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<ExceptionKind>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffSchedule {
    pub work_days: WorkDays,
    /// Exceptions ending on or after the range's first date (later ones included).
    pub exceptions: Vec<ScheduleException>,
    pub schedule: Vec<ScheduleDay>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleSaved {
    pub message: String,
    #[serde(flatten)]
    pub schedule: StaffSchedule,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ScheduleQuery {
    /// Default: today in the salon's time zone.
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    /// Default: six days after `dateFrom`. At most 93 days in all.
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
}

fn work_day(pattern: &[PatternRow], weekday: i16) -> WorkDay {
    let intervals: Vec<Interval> =
        pattern.iter().filter(|p| p.weekday == weekday).map(|p| Interval { start: HhMm(p.starts), end: HhMm(p.ends) }).collect();
    WorkDay {
        is_work_day: !intervals.is_empty(),
        start_time: intervals.iter().map(|i| i.start).min(),
        end_time: intervals.iter().map(|i| i.end).max(),
        intervals,
    }
}

fn schedule_day(pattern: &[PatternRow], exceptions: &[&ExceptionRow], date: NaiveDate) -> ScheduleDay {
    use chrono::Datelike;
    let plan = plan_day(pattern, exceptions, date);
    let intervals: Vec<FromTo> = plan.intervals.iter().map(|&(s, e)| FromTo { from: HhMm(s), to: HhMm(e) }).collect();
    let breaks = intervals.windows(2).map(|w| FromTo { from: w[0].to, to: w[1].from }).collect();
    ScheduleDay {
        date: Ymd(date),
        day_of_week: WEEKDAYS[date.weekday().num_days_from_monday() as usize].to_owned(),
        is_working_day: !intervals.is_empty(),
        work_from: intervals.first().map(|i| i.from),
        work_to: intervals.last().map(|i| i.to),
        intervals,
        breaks,
        exception: plan.exception,
    }
}

/// The member's schedule for `from..=to`: two queries, the days computed here.
async fn view(tx: &mut TenantTx, staff_id: i64, from: NaiveDate, to: NaiveDate) -> Result<StaffSchedule, AppError> {
    let pattern = schedule_store::pattern_of(tx, &[staff_id]).await?;
    let exceptions = schedule_store::exceptions_since(tx, staff_id, from).await?;
    let refs: Vec<&ExceptionRow> = exceptions.iter().collect();
    let day = |wd| work_day(&pattern, wd);
    Ok(StaffSchedule {
        work_days: WorkDays {
            monday: day(1), tuesday: day(2), wednesday: day(3), thursday: day(4),
            friday: day(5), saturday: day(6), sunday: day(7),
        },
        schedule: from.iter_days().take_while(|d| *d <= to).map(|d| schedule_day(&pattern, &refs, d)).collect(),
        exceptions: exceptions
            .iter()
            .map(|e| ScheduleException {
                id: e.id, kind: e.kind, date_from: Ymd(e.starts_on), date_to: Ymd(e.ends_on),
                start_time: e.starts.map(HhMm), end_time: e.ends.map(HhMm), reason: e.reason.clone(),
            })
            .collect(),
    })
}

fn week_from(today: NaiveDate) -> NaiveDate {
    today.checked_add_days(Days::new(6)).unwrap_or(today)
}

/// The weekly pattern, exceptions and each date of the range after exceptions.
#[utoipa::path(get, path = "/staff/{id}/schedule", tag = "staff", security(("bearer" = [])),
    params(("id" = i64, Path), ScheduleQuery),
    responses((status = 200, body = StaffSchedule), (status = 404), (status = 422)))]
pub async fn get_schedule(
    _: CurrentUser,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<ScheduleQuery>,
) -> Result<Json<StaffSchedule>, AppError> {
    store::find(&mut tx, id, false).await?.ok_or(AppError::NotFound)?;
    let from = match q.date_from {
        Some(d) => d.0,
        None => schedule_store::salon_today(&mut tx).await?,
    };
    let to = q.date_to.map_or_else(|| week_from(from), |d| d.0);
    if to < from {
        return Err(AppError::field("dateTo", "dateTo не може бути раніше за dateFrom"));
    }
    if (to - from).num_days() as u64 >= MAX_DAYS {
        return Err(AppError::field("dateTo", format!("Щонайбільше {MAX_DAYS} днів")));
    }
    let schedule = view(&mut tx, id, from, to).await?;
    tx.commit().await?;
    Ok(Json(schedule))
}

/// Replaces the weekly pattern and, when `exceptions` is present, the exceptions from today
/// on. Answers the new schedule for the coming week.
#[utoipa::path(post, path = "/staff/{id}/schedule", tag = "staff", security(("bearer" = [])),
    request_body = ScheduleInput, params(("id" = i64, Path)),
    responses((status = 200, body = ScheduleSaved), (status = 403), (status = 404), (status = 422)))]
pub async fn save_schedule(
    Can(user, ..): Can<ScheduleEdit>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ScheduleInput>,
) -> Result<Json<ScheduleSaved>, AppError> {
    // Locking the member serialises concurrent saves of one schedule (delete + insert).
    store::find(&mut tx, id, true).await?.ok_or(AppError::NotFound)?;
    let today = schedule_store::salon_today(&mut tx).await?;
    let plan = input.validate(today)?;
    let before = view(&mut tx, id, today, week_from(today)).await?;
    schedule_store::replace(&mut tx, id, &plan, today).await?;
    let after = view(&mut tx, id, today, week_from(today)).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(ScheduleSaved { message: "Графік збережено".to_owned(), schedule: after }))
}

/// Removes one exception of the member.
#[utoipa::path(delete, path = "/staff/{id}/schedule/exceptions/{exceptionId}", tag = "staff",
    security(("bearer" = [])), params(("id" = i64, Path), ("exceptionId" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_exception(
    Can(user, ..): Can<ScheduleEdit>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath((id, exception_id)): AppPath<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    store::find(&mut tx, id, true).await?.ok_or(AppError::NotFound)?;
    let removed = schedule_store::delete_exception(&mut tx, id, exception_id).await?.ok_or(AppError::NotFound)?;
    let before = serde_json::json!({
        "exception": {"id": removed.id, "type": removed.kind, "dateFrom": Ymd(removed.starts_on),
                      "dateTo": Ymd(removed.ends_on), "reason": removed.reason}
    });
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "employee", entity_id: Some(id), action: "updated",
        before: Some(before), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
