//! The body of `POST /staff/{id}/schedule` and its validation.
//!
//! The contract fixes only the top-level key `work_days` (open point 14), so every day shape
//! the frontend and the specs use is accepted, per day key (`monday`..`sunday` or
//! `mon`..`sun`):
//! - `{start, end}` — the staff store;
//! - `{isWorkDay, startTime, endTime, breakStart?, breakEnd?}` — the schedule modal;
//! - `{enabled, from, to, breaks?: [{from, to}]}` — `BACKEND_API_SPEC.md`;
//! - `{intervals: [{start, end}]}` — several explicit intervals (what `GET` answers).
//!
//! A day that is absent, `null`, `{}` or switched off (`isWorkDay`/`enabled` false) is a day
//! off. An unknown day key is a 422, not ignored: a typo must not silently free a day.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::windows::ExceptionKind;
use crate::{
    clock::{HhMm, Ymd},
    error::{AppError, Problems},
};

#[derive(Debug, Deserialize, ToSchema)]
pub struct ScheduleInput {
    /// Weekday key → day (see the module documentation for the accepted shapes).
    #[serde(alias = "workDays")]
    #[schema(value_type = BTreeMap<String, DayInput>)]
    pub work_days: BTreeMap<String, Option<DayInput>>,
    /// When present, replaces the member's exceptions from today on.
    pub exceptions: Option<Vec<ExceptionInput>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayInput {
    #[serde(default, deserialize_with = "opt_time")]
    #[schema(value_type = Option<String>)]
    pub start: Option<HhMm>,
    #[serde(default, deserialize_with = "opt_time")]
    #[schema(value_type = Option<String>)]
    pub end: Option<HhMm>,
    #[serde(alias = "is_work_day")]
    pub is_work_day: Option<bool>,
    #[serde(default, deserialize_with = "opt_time", alias = "start_time")]
    #[schema(value_type = Option<String>)]
    pub start_time: Option<HhMm>,
    #[serde(default, deserialize_with = "opt_time", alias = "end_time")]
    #[schema(value_type = Option<String>)]
    pub end_time: Option<HhMm>,
    #[serde(default, deserialize_with = "opt_time", alias = "break_start")]
    #[schema(value_type = Option<String>)]
    pub break_start: Option<HhMm>,
    #[serde(default, deserialize_with = "opt_time", alias = "break_end")]
    #[schema(value_type = Option<String>)]
    pub break_end: Option<HhMm>,
    pub enabled: Option<bool>,
    #[serde(default, deserialize_with = "opt_time")]
    #[schema(value_type = Option<String>)]
    pub from: Option<HhMm>,
    #[serde(default, deserialize_with = "opt_time")]
    #[schema(value_type = Option<String>)]
    pub to: Option<HhMm>,
    pub breaks: Option<Vec<Span>>,
    pub intervals: Option<Vec<Span>>,
}

/// An interval written `{start, end}` or `{from, to}`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub struct Span {
    #[serde(alias = "from")]
    pub start: HhMm,
    #[serde(alias = "to")]
    pub end: HhMm,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionInput {
    #[serde(rename = "type")]
    pub kind: ExceptionKind,
    /// One date; or `dateFrom` (+ `dateTo`, default the same day).
    #[serde(default, deserialize_with = "opt_date")]
    #[schema(value_type = Option<String>)]
    pub date: Option<Ymd>,
    #[serde(default, deserialize_with = "opt_date", alias = "date_from")]
    #[schema(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    #[serde(default, deserialize_with = "opt_date", alias = "date_to")]
    #[schema(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
    /// Required for `hours`: the working hours on those dates.
    #[serde(default, deserialize_with = "opt_time", alias = "start_time")]
    #[schema(value_type = Option<String>)]
    pub start_time: Option<HhMm>,
    #[serde(default, deserialize_with = "opt_time", alias = "end_time")]
    #[schema(value_type = Option<String>)]
    pub end_time: Option<HhMm>,
    pub reason: Option<String>,
}

/// `""` and `null` are "no time" (forms send cleared inputs as `""`).
fn opt_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HhMm>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => HhMm::parse(s).map(Some).map_err(serde::de::Error::custom),
    }
}

fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ymd>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => Ymd::parse(s).map(Some).map_err(serde::de::Error::custom),
    }
}

/// A validated exception, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewException {
    pub kind: ExceptionKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub hours: Option<(NaiveTime, NaiveTime)>,
    pub reason: String,
}

/// A validated body: the weekly pattern as (ISO weekday, start, end), and the exceptions when
/// the body had the key.
#[derive(Debug, PartialEq, Eq)]
pub struct SchedulePlan {
    pub pattern: Vec<(i16, NaiveTime, NaiveTime)>,
    pub exceptions: Option<Vec<NewException>>,
}

pub fn weekday_of(key: &str) -> Option<i16> {
    let n = match key.trim().to_lowercase().as_str() {
        "monday" | "mon" => 1,
        "tuesday" | "tue" => 2,
        "wednesday" | "wed" => 3,
        "thursday" | "thu" => 4,
        "friday" | "fri" => 5,
        "saturday" | "sat" => 6,
        "sunday" | "sun" => 7,
        _ => return None,
    };
    Some(n)
}

/// The working intervals of one day, or why the day is invalid.
pub fn day_intervals(day: &DayInput) -> Result<Vec<(NaiveTime, NaiveTime)>, String> {
    if day.is_work_day.or(day.enabled) == Some(false) {
        return Ok(Vec::new());
    }
    let explicit = day.intervals.as_ref().filter(|list| !list.is_empty());
    let has_breaks = day.break_start.is_some() || day.break_end.is_some() || day.breaks.as_ref().is_some_and(|b| !b.is_empty());
    let intervals: Vec<(NaiveTime, NaiveTime)> = if let Some(list) = explicit {
        if has_breaks {
            return Err("Вкажіть або інтервали, або перерви, не те й інше".into());
        }
        list.iter().map(|s| (s.start.0, s.end.0)).collect()
    } else {
        let start = day.start.or(day.start_time).or(day.from);
        let end = day.end.or(day.end_time).or(day.to);
        let (start, end) = match (start, end) {
            (None, None) if day.is_work_day.or(day.enabled).is_none() && !has_breaks => return Ok(Vec::new()),
            (Some(s), Some(e)) => (s.0, e.0),
            _ => return Err("Вкажіть початок і кінець робочого дня".into()),
        };
        if start >= end {
            return Err("Початок робочого дня має бути раніше за кінець".into());
        }
        let mut breaks: Vec<(NaiveTime, NaiveTime)> = day.breaks.iter().flatten().map(|s| (s.start.0, s.end.0)).collect();
        match (day.break_start, day.break_end) {
            (Some(s), Some(e)) => breaks.push((s.0, e.0)),
            (None, None) => {}
            _ => return Err("Вкажіть початок і кінець перерви".into()),
        }
        breaks.sort();
        if breaks.iter().any(|&(s, e)| s >= e || s < start || e > end) {
            return Err("Перерва має бути всередині робочого дня, початок раніше за кінець".into());
        }
        if breaks.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err("Перерви не повинні перетинатися".into());
        }
        let mut out = Vec::with_capacity(breaks.len() + 1);
        let mut cursor = start;
        for (s, e) in breaks {
            if s > cursor {
                out.push((cursor, s));
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            out.push((cursor, end));
        }
        out
    };
    let mut sorted = intervals;
    sorted.sort();
    if sorted.iter().any(|(s, e)| s >= e) {
        return Err("Початок інтервалу має бути раніше за кінець".into());
    }
    if sorted.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err("Інтервали одного дня не повинні перетинатися".into());
    }
    Ok(sorted)
}

impl ScheduleInput {
    /// Validates the whole body against the salon's `today`; every problem is reported, keyed
    /// `work_days.<day>` or `exceptions[<i>].<field>`.
    pub fn validate(self, today: NaiveDate) -> Result<SchedulePlan, AppError> {
        let mut problems = Problems::default();
        let mut fail = |field: String, problem: String| problems.add(&field, problem);
        let mut pattern = Vec::new();
        let mut seen = [false; 8];
        for (key, day) in &self.work_days {
            let field = format!("work_days.{key}");
            let Some(weekday) = weekday_of(key) else {
                fail(field, "Невідомий день тижня: monday..sunday або mon..sun".into());
                continue;
            };
            if std::mem::replace(&mut seen[weekday as usize], true) {
                fail(field, "День тижня вказано двічі".into());
                continue;
            }
            match day.as_ref().map(day_intervals).unwrap_or(Ok(Vec::new())) {
                Ok(list) => pattern.extend(list.into_iter().map(|(s, e)| (weekday, s, e))),
                Err(problem) => fail(field, problem),
            }
        }
        pattern.sort();
        let exceptions = self.exceptions.map(|list| {
            let mut out: Vec<NewException> = Vec::new();
            for (i, e) in list.into_iter().enumerate() {
                match exception(e, today) {
                    Ok(x) => out.push(x),
                    Err((field, problem)) => fail(format!("exceptions[{i}].{field}"), problem),
                }
            }
            out.sort_by_key(|e| (e.from, e.to));
            if out.windows(2).any(|w| w[1].from <= w[0].to) {
                fail("exceptions".into(), "Винятки не повинні перетинатися за датами".into());
            }
            out
        });
        problems.finish_with(SchedulePlan { pattern, exceptions })
    }
}

fn exception(e: ExceptionInput, today: NaiveDate) -> Result<NewException, (&'static str, String)> {
    let from = e.date_from.or(e.date).ok_or(("dateFrom", "Вкажіть дату або dateFrom".to_owned()))?.0;
    let to = e.date_to.or(e.date).map_or(from, |d| d.0);
    if from > to {
        return Err(("dateTo", "dateTo не може бути раніше за dateFrom".into()));
    }
    if to < today {
        return Err(("dateTo", "Минулі дати змінити не можна".into()));
    }
    let hours = match (e.kind, e.start_time, e.end_time) {
        (ExceptionKind::Hours, Some(s), Some(end)) if s < end => Some((s.0, end.0)),
        (ExceptionKind::Hours, Some(_), Some(_)) => return Err(("endTime", "Початок має бути раніше за кінець".into())),
        (ExceptionKind::Hours, ..) => return Err(("startTime", "Для зміни годин вкажіть startTime і endTime".into())),
        _ => None,
    };
    let reason = e.reason.unwrap_or_default().trim().to_owned();
    if reason.chars().count() > 500 {
        return Err(("reason", "Не більше 500 символів".into()));
    }
    // The past is history: only today onwards is replaced, so a range that began earlier is
    // stored from today.
    Ok(NewException { kind: e.kind, from: from.max(today), to, hours, reason })
}
