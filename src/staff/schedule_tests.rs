//! Unit tests of the schedule body: the accepted day shapes and the validation rules.

use chrono::{NaiveDate, NaiveTime};
use serde_json::json;

use super::{
    schedule_input::{NewException, ScheduleInput, SchedulePlan},
    windows::ExceptionKind,
};
use crate::{error::FieldErrors, http::parse_json};

fn t(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").unwrap()
}
fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}
const TODAY: &str = "2026-05-13";

fn plan(body: serde_json::Value) -> SchedulePlan {
    let input: ScheduleInput = parse_json(body.to_string().as_bytes()).unwrap();
    input.validate(d(TODAY)).unwrap()
}

fn problems(body: serde_json::Value) -> FieldErrors {
    let input: ScheduleInput = match parse_json(body.to_string().as_bytes()) {
        Ok(i) => i,
        Err(crate::error::AppError::Invalid(details)) => return details,
        Err(other) => panic!("{other:?}"),
    };
    match input.validate(d(TODAY)) {
        Err(crate::error::AppError::Invalid(details)) => details,
        other => panic!("expected 422, got {other:?}"),
    }
}

#[test]
fn start_end_shape() {
    let p = plan(json!({"work_days": {"monday": {"start": "09:00", "end": "18:00"}}, "exceptions": []}));
    assert_eq!(p.pattern, [(1, t("09:00"), t("18:00"))]);
    assert_eq!(p.exceptions, Some(vec![]));
}

#[test]
fn modal_shape_with_a_break_splits_the_day() {
    let p = plan(json!({"work_days": {
        "monday": {"isWorkDay": true, "startTime": "09:00", "endTime": "18:00", "breakStart": "13:00", "breakEnd": "14:00"},
        "tuesday": {"isWorkDay": true, "startTime": "10:00", "endTime": "16:00", "breakStart": "", "breakEnd": ""},
        "saturday": {"isWorkDay": false, "startTime": "09:00", "endTime": "18:00"}
    }}));
    assert_eq!(p.pattern, [(1, t("09:00"), t("13:00")), (1, t("14:00"), t("18:00")), (2, t("10:00"), t("16:00"))]);
    assert_eq!(p.exceptions, None, "no key, no replacement");
}

#[test]
fn spec_shape_with_short_keys_and_breaks() {
    let p = plan(json!({"work_days": {
        "wed": {"enabled": true, "from": "08:00", "to": "20:00", "breaks": [{"from": "15:00", "to": "15:30"}, {"from": "12:00", "to": "12:30"}]},
        "sun": {"enabled": false}
    }}));
    assert_eq!(p.pattern, [(3, t("08:00"), t("12:00")), (3, t("12:30"), t("15:00")), (3, t("15:30"), t("20:00"))]);
}

#[test]
fn explicit_intervals_and_days_off() {
    let p = plan(json!({"workDays": {
        "friday": {"intervals": [{"start": "15:00", "end": "19:00"}, {"start": "09:00", "end": "12:00"}]},
        "monday": null, "tuesday": {}
    }}));
    assert_eq!(p.pattern, [(5, t("09:00"), t("12:00")), (5, t("15:00"), t("19:00"))]);
}

#[test]
fn bad_days_are_named() {
    let d = problems(json!({"work_days": {
        "monday": {"start": "18:00", "end": "09:00"},
        "tuesday": {"intervals": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "15:00"}]},
        "wednesday": {"isWorkDay": true, "startTime": "09:00", "endTime": "18:00", "breakStart": "08:00", "breakEnd": "09:30"},
        "thursday": {"isWorkDay": true},
        "mondya": {"start": "09:00", "end": "10:00"}
    }}));
    for key in ["work_days.monday", "work_days.tuesday", "work_days.wednesday", "work_days.thursday", "work_days.mondya"] {
        assert!(d.contains_key(key), "{key} missing in {d:?}");
    }
    // `mon` and `monday` name the same day.
    let twice = problems(json!({"work_days": {"mon": {"start": "09:00", "end": "10:00"}, "Monday": {"start": "11:00", "end": "12:00"}}}));
    assert_eq!(twice.len(), 1, "{twice:?}");
}

#[test]
fn malformed_times_are_422_naming_the_field() {
    let d = problems(json!({"work_days": {"monday": {"start": "9 am", "end": "18:00"}}}));
    assert!(d.keys().any(|k| k.contains("monday")), "{d:?}");
}

#[test]
fn exceptions_are_validated_and_clipped_to_today() {
    let p = plan(json!({"work_days": {}, "exceptions": [
        {"type": "vacation", "dateFrom": "2026-05-10", "dateTo": "2026-05-20", "reason": " море "},
        {"type": "hours", "date": "2026-05-25", "startTime": "10:00", "endTime": "14:00"},
        {"type": "dayoff", "date": "2026-05-21", "startTime": "10:00", "endTime": "14:00"}
    ]}));
    let list = p.exceptions.unwrap();
    assert_eq!(list[0], NewException { kind: ExceptionKind::Vacation, from: d(TODAY), to: d("2026-05-20"), hours: None, reason: "море".into() });
    assert_eq!(list[1].kind, ExceptionKind::Dayoff);
    assert_eq!(list[1].hours, None, "times mean nothing on a day off");
    assert_eq!(list[2].hours, Some((t("10:00"), t("14:00"))));

    let d = problems(json!({"work_days": {}, "exceptions": [
        {"type": "sick", "dateFrom": "2026-05-20", "dateTo": "2026-05-18"},
        {"type": "hours", "date": "2026-05-22"},
        {"type": "dayoff", "date": "2026-05-01"},
        {"type": "dayoff"}
    ]}));
    for key in ["exceptions[0].dateTo", "exceptions[1].startTime", "exceptions[2].dateTo", "exceptions[3].dateFrom"] {
        assert!(d.contains_key(key), "{key} missing in {d:?}");
    }
    let overlap = problems(json!({"work_days": {}, "exceptions": [
        {"type": "vacation", "dateFrom": "2026-06-01", "dateTo": "2026-06-10"},
        {"type": "hours", "date": "2026-06-05", "startTime": "10:00", "endTime": "12:00"}
    ]}));
    assert!(overlap.contains_key("exceptions"), "{overlap:?}");
    let unknown = problems(json!({"work_days": {}, "exceptions": [{"type": "holiday", "date": "2026-06-01"}]}));
    assert!(unknown.keys().any(|k| k.starts_with("exceptions")), "{unknown:?}");
}
