//! Working intervals per member and date: the weekly pattern, overridden by exceptions. Pure
//! functions, so the rules are tested without a database.
//!
//! Rules for one member on one date:
//! - a `dayoff`, `vacation` or `sick` exception covering the date → no work at all, whatever
//!   else says so;
//! - otherwise `hours` exceptions covering the date → exactly their intervals;
//! - otherwise the weekly pattern of the date's ISO weekday (1 = Monday).
//!
//! Intervals come out sorted with overlapping or touching ones merged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::StaffId;

/// The kinds of `staff_exceptions.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum ExceptionKind {
    Dayoff,
    Vacation,
    Sick,
    /// Changed working hours: work only in the exception's interval on those dates.
    Hours,
}

/// One interval of the weekly pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternRow {
    pub staff_id: StaffId,
    /// ISO weekday, 1 = Monday.
    pub weekday: i16,
    pub starts: NaiveTime,
    pub ends: NaiveTime,
}

/// One stored exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRow {
    pub id: i64,
    pub staff_id: StaffId,
    pub kind: ExceptionKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub starts: Option<NaiveTime>,
    pub ends: Option<NaiveTime>,
    pub reason: String,
}

impl ExceptionRow {
    fn covers(&self, date: NaiveDate) -> bool {
        self.starts_on <= date && date <= self.ends_on
    }
}

/// A member's working intervals on one local date (see [`crate::staff::working_windows`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayWindows {
    pub staff_id: StaffId,
    pub date: NaiveDate,
    /// Sorted, non-overlapping, never empty.
    pub intervals: Vec<(NaiveTime, NaiveTime)>,
}

/// What one date looks like for one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPlan {
    pub intervals: Vec<(NaiveTime, NaiveTime)>,
    /// The exception that decided the day, if any (a no-work kind wins over `hours`).
    pub exception: Option<ExceptionKind>,
}

/// Sorts intervals and merges those that overlap or touch; drops empty ones.
pub fn normalise(mut intervals: Vec<(NaiveTime, NaiveTime)>) -> Vec<(NaiveTime, NaiveTime)> {
    intervals.retain(|(s, e)| s < e);
    intervals.sort();
    let mut out: Vec<(NaiveTime, NaiveTime)> = Vec::with_capacity(intervals.len());
    for (s, e) in intervals {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The plan of `date` for a member whose weekly pattern is `pattern` (all weekdays) and whose
/// exceptions are `exceptions` (any dates; those not covering `date` are ignored).
pub fn plan_day(pattern: &[PatternRow], exceptions: &[&ExceptionRow], date: NaiveDate) -> DayPlan {
    let covering: Vec<&ExceptionRow> = exceptions.iter().copied().filter(|e| e.covers(date)).collect();
    if let Some(off) = covering.iter().find(|e| e.kind != ExceptionKind::Hours) {
        return DayPlan { intervals: Vec::new(), exception: Some(off.kind) };
    }
    if !covering.is_empty() {
        let hours = covering.iter().filter_map(|e| Some((e.starts?, e.ends?))).collect();
        return DayPlan { intervals: normalise(hours), exception: Some(ExceptionKind::Hours) };
    }
    let weekday = date.weekday().number_from_monday() as i16;
    let weekly = pattern.iter().filter(|p| p.weekday == weekday).map(|p| (p.starts, p.ends)).collect();
    DayPlan { intervals: normalise(weekly), exception: None }
}

/// Working windows of every member appearing in `pattern` or `exceptions`, for each date in
/// `from..=to` on which they work; sorted by member id, then date.
pub fn compute(pattern: &[PatternRow], exceptions: &[ExceptionRow], from: NaiveDate, to: NaiveDate) -> Vec<DayWindows> {
    let mut patterns: BTreeMap<StaffId, Vec<PatternRow>> = BTreeMap::new();
    for p in pattern {
        patterns.entry(p.staff_id).or_default().push(*p);
    }
    let mut by_member: BTreeMap<StaffId, Vec<&ExceptionRow>> = BTreeMap::new();
    for e in exceptions {
        by_member.entry(e.staff_id).or_default().push(e);
    }
    let members: BTreeSet<StaffId> = patterns.keys().chain(by_member.keys()).copied().collect();
    let mut out = Vec::new();
    for staff_id in members {
        let pattern = patterns.get(&staff_id).map(Vec::as_slice).unwrap_or_default();
        let exceptions = by_member.get(&staff_id).map(Vec::as_slice).unwrap_or_default();
        for date in from.iter_days().take_while(|d| *d <= to) {
            let plan = plan_day(pattern, exceptions, date);
            if !plan.intervals.is_empty() {
                out.push(DayWindows { staff_id, date, intervals: plan.intervals });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn p(staff: i64, weekday: i16, s: &str, e: &str) -> PatternRow {
        PatternRow { staff_id: StaffId(staff), weekday, starts: t(s), ends: t(e) }
    }
    fn ex(staff: i64, kind: ExceptionKind, from: &str, to: &str, hours: Option<(&str, &str)>) -> ExceptionRow {
        ExceptionRow {
            id: 0, staff_id: StaffId(staff), kind, starts_on: d(from), ends_on: d(to),
            starts: hours.map(|h| t(h.0)), ends: hours.map(|h| t(h.1)), reason: String::new(),
        }
    }

    /// Monday to Friday 09:00–13:00 and 14:00–18:00 for member 1.
    fn office_week() -> Vec<PatternRow> {
        (1..=5).flat_map(|wd| [p(1, wd, "14:00", "18:00"), p(1, wd, "09:00", "13:00")]).collect()
    }

    #[test]
    fn weekly_pattern_maps_iso_weekdays() {
        // 2026-05-11 is a Monday; the 16th and 17th are the weekend.
        let out = compute(&office_week(), &[], d("2026-05-11"), d("2026-05-17"));
        let dates: Vec<NaiveDate> = out.iter().map(|w| w.date).collect();
        assert_eq!(dates, (11..=15).map(|n| d(&format!("2026-05-{n}"))).collect::<Vec<_>>());
        assert_eq!(out[0].intervals, [(t("09:00"), t("13:00")), (t("14:00"), t("18:00"))], "sorted");

        let sunday_only = compute(&[p(2, 7, "10:00", "16:00")], &[], d("2026-05-11"), d("2026-05-17"));
        assert_eq!(sunday_only.len(), 1);
        assert_eq!(sunday_only[0].date, d("2026-05-17"));
    }

    #[test]
    fn a_day_off_and_a_vacation_range_remove_work() {
        let exceptions = [
            ex(1, ExceptionKind::Dayoff, "2026-05-11", "2026-05-11", None),
            ex(1, ExceptionKind::Vacation, "2026-05-13", "2026-05-14", None),
        ];
        let out = compute(&office_week(), &exceptions, d("2026-05-11"), d("2026-05-17"));
        let dates: Vec<NaiveDate> = out.iter().map(|w| w.date).collect();
        assert_eq!(dates, [d("2026-05-12"), d("2026-05-15")]);
    }

    #[test]
    fn changed_hours_replace_the_pattern_even_on_a_day_off() {
        let exceptions = [
            ex(1, ExceptionKind::Hours, "2026-05-12", "2026-05-12", Some(("12:00", "20:00"))),
            ex(1, ExceptionKind::Hours, "2026-05-16", "2026-05-16", Some(("10:00", "14:00"))),
        ];
        let out = compute(&office_week(), &exceptions, d("2026-05-12"), d("2026-05-16"));
        assert_eq!(out.first().unwrap().intervals, [(t("12:00"), t("20:00"))]);
        let saturday = out.iter().find(|w| w.date == d("2026-05-16")).unwrap();
        assert_eq!(saturday.intervals, [(t("10:00"), t("14:00"))]);
    }

    #[test]
    fn sick_leave_wins_over_changed_hours() {
        let exceptions = [
            ex(1, ExceptionKind::Hours, "2026-05-12", "2026-05-12", Some(("12:00", "20:00"))),
            ex(1, ExceptionKind::Sick, "2026-05-10", "2026-05-12", None),
        ];
        let plan = plan_day(&office_week(), &exceptions.iter().collect::<Vec<_>>(), d("2026-05-12"));
        assert_eq!(plan, DayPlan { intervals: vec![], exception: Some(ExceptionKind::Sick) });
    }

    #[test]
    fn members_are_kept_apart_and_only_working_days_listed() {
        let pattern = [p(1, 1, "09:00", "12:00"), p(2, 2, "09:00", "12:00")];
        let exceptions = [ex(3, ExceptionKind::Hours, "2026-05-13", "2026-05-13", Some(("08:00", "09:00")))];
        let out = compute(&pattern, &exceptions, d("2026-05-11"), d("2026-05-13"));
        let seen: Vec<(i64, NaiveDate)> = out.iter().map(|w| (w.staff_id.get(), w.date)).collect();
        assert_eq!(seen, [(1, d("2026-05-11")), (2, d("2026-05-12")), (3, d("2026-05-13"))]);
        assert!(compute(&pattern, &exceptions, d("2026-05-13"), d("2026-05-11")).is_empty(), "empty range");
    }

    #[test]
    fn overlapping_rows_are_merged() {
        let merged = normalise(vec![(t("12:00"), t("15:00")), (t("09:00"), t("12:00")), (t("14:00"), t("16:00"))]);
        assert_eq!(merged, [(t("09:00"), t("16:00"))]);
        assert!(normalise(vec![(t("10:00"), t("10:00"))]).is_empty());
    }
}
