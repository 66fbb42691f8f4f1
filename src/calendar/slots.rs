//! Free-slot arithmetic: pure functions over working windows and busy time.
//!
//! Candidates step through each working window in the salon's wall-clock time (09:00, 09:15,
//! …); each becomes an instant in the salon's zone. A wall-clock start that does not exist
//! (the spring-forward gap) is skipped; one that happens twice (the autumn overlap) is its
//! first occurrence. A slot lasts the service's real duration, so across a DST change its
//! wall-clock end differs from start + duration.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::clock::instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// The instant of a wall-clock time, or of the first existing minute after it (a window
/// that opens inside the spring gap opens when the clock resumes).
fn instant_at_or_after(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    (0..=180).find_map(|m| {
        let t = time + Duration::minutes(m);
        if t < time {
            return None; // wrapped past midnight
        }
        instant(tz, date, t).ok()
    })
}

fn offset_at(tz: Tz, at: DateTime<Utc>) -> FixedOffset {
    tz.offset_from_utc_datetime(&at.naive_utc()).fix()
}

/// Free slots of one member. `windows` sorted by date and start; `busy` sorted by start.
pub fn free_slots(
    tz: Tz,
    windows: &[Window],
    busy: &[(DateTime<Utc>, DateTime<Utc>)],
    duration: Duration,
    step_minutes: u32,
    not_before: DateTime<Utc>,
) -> Vec<Slot> {
    let step = step_minutes.max(1);
    let mut slots = Vec::new();
    let mut next_busy = 0;
    for w in windows {
        let (Some(open), Some(close)) = (instant_at_or_after(tz, w.date, w.start), instant_at_or_after(tz, w.date, w.end))
        else {
            continue;
        };
        // Almost every window lies within one UTC offset; then local time converts by plain
        // arithmetic and only DST days pay for a zone lookup per candidate.
        let fixed = Some(offset_at(tz, open)).filter(|o| *o == offset_at(tz, close));
        let first = w.start.num_seconds_from_midnight() / 60;
        let last = w.end.num_seconds_from_midnight() / 60;
        let mut minute = first;
        while minute < last {
            let local = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).expect("minute of a day");
            minute += step;
            let starts_at = match fixed {
                Some(offset) => (NaiveDateTime::new(w.date, local) - offset).and_utc(),
                None => match instant(tz, w.date, local) {
                    Ok(t) => t,
                    Err(_) => continue,
                },
            };
            let ends_at = starts_at + duration;
            if starts_at < open || ends_at > close || starts_at < not_before {
                continue;
            }
            while next_busy < busy.len() && busy[next_busy].1 <= starts_at {
                next_busy += 1;
            }
            // Busy time is sorted by start: only the first not yet ended can overlap.
            if busy.get(next_busy).is_some_and(|b| b.0 < ends_at) {
                continue;
            }
            slots.push(Slot {
                date: w.date,
                start: local,
                end: match fixed {
                    Some(offset) if ends_at <= close => (ends_at.naive_utc() + offset).time(),
                    _ => ends_at.with_timezone(&tz).time(),
                },
                starts_at,
                ends_at,
            });
        }
    }
    slots
}

/// Whether [start, end) on `date` lies inside one of the windows of that date.
pub fn within(windows: &[Window], date: NaiveDate, start: NaiveTime, end: NaiveTime) -> bool {
    windows.iter().any(|w| w.date == date && w.start <= start && end <= w.end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Kyiv;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn t(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap()
    }
    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn win(date: &str, a: &str, b: &str) -> Window {
        Window { date: d(date), start: t(a), end: t(b) }
    }
    fn starts(slots: &[Slot]) -> Vec<String> {
        slots.iter().map(|s| s.start.format("%H:%M").to_string()).collect()
    }
    const LONG_AGO: &str = "2000-01-01T00:00:00Z";

    #[test]
    fn steps_through_a_window_and_skips_busy_time() {
        let busy = [(at("2026-06-01T07:00:00Z"), at("2026-06-01T07:30:00Z"))]; // 10:00–10:30 Kyiv (EEST)
        let slots = free_slots(Kyiv, &[win("2026-06-01", "09:00", "11:00")], &busy, Duration::minutes(30), 30, at(LONG_AGO));
        assert_eq!(starts(&slots), ["09:00", "09:30", "10:30"]);
        assert_eq!(slots[0].starts_at, at("2026-06-01T06:00:00Z"));
    }

    #[test]
    fn touching_busy_time_does_not_block() {
        let busy = [(at("2026-06-01T06:00:00Z"), at("2026-06-01T06:30:00Z"))]; // 09:00–09:30
        let slots = free_slots(Kyiv, &[win("2026-06-01", "09:00", "10:00")], &busy, Duration::minutes(30), 15, at(LONG_AGO));
        assert_eq!(starts(&slots), ["09:30"]);
    }

    #[test]
    fn a_long_busy_interval_hides_the_short_ones_inside_it() {
        let busy = [
            (at("2026-06-01T06:00:00Z"), at("2026-06-01T09:00:00Z")), // 09:00–12:00
            (at("2026-06-01T07:00:00Z"), at("2026-06-01T07:15:00Z")),
        ];
        let slots = free_slots(Kyiv, &[win("2026-06-01", "09:00", "13:00")], &busy, Duration::minutes(60), 60, at(LONG_AGO));
        assert_eq!(starts(&slots), ["12:00"]);
    }

    #[test]
    fn spring_forward_skips_the_missing_hour_and_keeps_real_durations() {
        // 29 March 2026 in Kyiv: 03:00 → 04:00.
        let slots = free_slots(Kyiv, &[win("2026-03-29", "02:00", "05:00")], &[], Duration::minutes(60), 30, at(LONG_AGO));
        assert_eq!(starts(&slots), ["02:00", "02:30", "04:00"]);
        // 02:30 EET + 60 min real time = 04:30 EEST on the wall clock.
        assert_eq!(slots[1].end, t("04:30"));
        assert_eq!(slots[1].starts_at, at("2026-03-29T00:30:00Z"));
        assert_eq!(slots[2].starts_at, at("2026-03-29T01:00:00Z"));
    }

    #[test]
    fn fall_back_takes_the_first_occurrence_and_real_durations() {
        // 25 October 2026 in Kyiv: 04:00 EEST → 03:00 EET; 03:00–03:59 happens twice.
        let slots = free_slots(Kyiv, &[win("2026-10-25", "02:00", "05:00")], &[], Duration::minutes(60), 60, at(LONG_AGO));
        assert_eq!(starts(&slots), ["02:00", "03:00", "04:00"]);
        assert_eq!(slots[1].starts_at, at("2026-10-25T00:00:00Z"));
        // 03:00 EEST + 60 min = 03:00 EET: the wall clock shows the same hour again.
        assert_eq!(slots[1].end, t("03:00"));
        assert_eq!(slots[2].starts_at, at("2026-10-25T02:00:00Z"));
        // The window's 05:00 EET end leaves room for 04:00 EET + 60 min.
        assert_eq!(slots[2].ends_at, at("2026-10-25T03:00:00Z"));
    }

    #[test]
    fn no_slots_in_the_past() {
        let slots = free_slots(
            Kyiv,
            &[win("2026-06-01", "09:00", "12:00")],
            &[],
            Duration::minutes(60),
            60,
            at("2026-06-01T07:30:00Z"), // 10:30 Kyiv
        );
        assert_eq!(starts(&slots), ["11:00"]);
    }

    #[test]
    fn within_requires_one_window_to_hold_the_whole_visit() {
        let ws = [win("2026-06-01", "09:00", "13:00"), win("2026-06-01", "14:00", "18:00")];
        assert!(within(&ws, d("2026-06-01"), t("12:00"), t("13:00")));
        assert!(!within(&ws, d("2026-06-01"), t("12:30"), t("14:30")), "spans the break");
        assert!(!within(&ws, d("2026-06-02"), t("10:00"), t("11:00")));
    }
}
