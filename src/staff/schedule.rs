//! A member's schedule as `/staff/{id}/schedule` shows it: the weekly pattern, exceptions, and
//! the resulting days. Reading is open to every signed-in user; changing needs
//! `settings.schedule.edit`.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    schedule_store,
    windows::{ExceptionKind, ExceptionRow, PatternRow, plan_day},
};
use crate::{
    clock::{HhMm, Ymd},
    error::AppError,
    ids::StaffId,
    tenancy::TenantTx,
};

/// Longest range `GET` answers, in days.
pub(super) const MAX_DAYS: u64 = 93;
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
    pub date_from: Option<Ymd>,
    /// Default: six days after `dateFrom`. At most 93 days in all.
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
/// The member's schedule over `from..=to`.
pub(super) async fn view(tx: &mut TenantTx, staff_id: StaffId, from: NaiveDate, to: NaiveDate) -> Result<StaffSchedule, AppError> {
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

/// The last day of the week that starts on `today`.
pub(super) fn week_from(today: NaiveDate) -> NaiveDate {
    today.checked_add_days(Days::new(6)).unwrap_or(today)
}
