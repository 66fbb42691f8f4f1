//! Messages to clients about their visits: a confirmation when a visit is booked or moved, a
//! reminder before it, a cancellation when it is called off.
//!
//! The calendar tells [`visit_changed`] what a change did, inside the change's transaction, so
//! the messages are queued exactly when the change commits. Every visit has at most one pending
//! reminder (job key `reminder:{id}`) and one pending notice (`notice:{id}`: a confirmation,
//! replaced by a cancellation when the visit is called off before the confirmation went out).
//! A job reads the visit again when it runs and sends nothing for a visit that changed since.
//!
//! When a reminder is due: `reminderHoursBefore` hours of wall-clock time before the visit,
//! in the salon's zone (a visit at 14:00 is reminded at 14:00 the day before, across a DST
//! change too). A reminder due inside the salon's quiet hours waits for their end; one that
//! would then come after the visit goes out just before the quiet hours began instead; one
//! whose time has passed is not sent (the confirmation covered it).

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::job::SendVisitMessage;
use crate::{
    error::AppError,
    jobs::{self, Job, Salon, When},
    tenancy::{TenantTx, salon},
};

/// What a message about a visit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Purpose {
    Confirmation,
    Reminder,
    Cancellation,
}

/// Where a visit stands, as far as its client is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Booked and still to come (scheduled or confirmed).
    Upcoming,
    /// Cancelled or deleted.
    CalledOff,
    /// The client came, or did not: nothing more to tell them.
    Over,
}

/// A visit before or after a change: when it starts and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitState {
    pub starts_at: DateTime<Utc>,
    pub stage: Stage,
}

/// Keeps the visit's pending messages in step with a change, as part of the change's `tx`.
/// `before` is `None` for a new booking.
pub async fn visit_changed(
    tx: &mut TenantTx,
    appointment: i64,
    before: Option<VisitState>,
    after: VisitState,
) -> Result<(), AppError> {
    let was = before.filter(|v| v.stage == Stage::Upcoming).map(|v| v.starts_at);
    let now = tx.clock().now();
    match (was, after.stage) {
        (Some(at), Stage::Upcoming) if at == after.starts_at => {}
        (_, Stage::Upcoming) => {
            let rules = ReminderRules::read(tx).await?;
            let mut jobs = Vec::with_capacity(2);
            match rules.due(after.starts_at, now) {
                Some(due) => jobs.push(reminder(appointment, after.starts_at, due)),
                // A new visit has no reminder to take back.
                None if was.is_some() => {
                    jobs::cancel(tx, &reminder_key(appointment)).await?;
                }
                None => {}
            }
            if after.starts_at > now {
                let notice = SendVisitMessage::notice(appointment, Purpose::Confirmation, after.starts_at);
                jobs.push((notice, When::now().keyed(notice_key(appointment))));
            }
            jobs::enqueue_all(tx, jobs).await?;
        }
        (Some(at), Stage::CalledOff) => {
            jobs::cancel(tx, &reminder_key(appointment)).await?;
            if at > now {
                let notice = SendVisitMessage::notice(appointment, Purpose::Cancellation, at);
                jobs::enqueue(tx, &notice, When::now().keyed(notice_key(appointment))).await?;
            }
        }
        (Some(_), Stage::Over) => {
            jobs::cancel(tx, &reminder_key(appointment)).await?;
        }
        (None, _) => {}
    }
    Ok(())
}

/// Re-plans every upcoming visit's reminder once the salon changed when reminders go out (the
/// hours before, the quiet hours, the time zone): queued with the settings change.
pub async fn reminder_rules_changed(tx: &mut TenantTx) -> Result<(), AppError> {
    jobs::enqueue(tx, &ReplanReminders, When::now().keyed("replan-reminders")).await.map(drop)
}

/// The job of [`reminder_rules_changed`].
#[derive(Debug, Serialize, Deserialize)]
pub struct ReplanReminders;

impl Job for ReplanReminders {
    const KIND: &'static str = "replan_reminders";
    type Parts = ();

    async fn run(self, salon: &Salon, _: &()) -> anyhow::Result<()> {
        let mut tx = salon.begin().await?;
        let rules = ReminderRules::read(&mut tx).await?;
        let now = tx.clock().now();
        let upcoming = sqlx::query!(
            r#"select id as "id!", starts_at as "starts_at!" from calendar_appointments
               where deleted_at is null and status in ('scheduled', 'confirmed') and starts_at > $1"#,
            now,
        )
        .fetch_all(tx.conn())
        .await?;
        let (mut due, mut none_due) = (Vec::new(), Vec::new());
        for visit in upcoming {
            match rules.due(visit.starts_at, now) {
                Some(at) => due.push(reminder(visit.id, visit.starts_at, at)),
                None => none_due.push(reminder_key(visit.id)),
            }
        }
        // Bounded statements, however many visits the salon has ahead.
        for chunk in due.chunks(1_000) {
            jobs::enqueue_all(&mut tx, chunk.iter().cloned()).await?;
        }
        for chunk in none_due.chunks(1_000) {
            jobs::cancel_all(&mut tx, chunk.iter().cloned()).await?;
        }
        Ok(tx.commit().await?)
    }
}

/// The reminder of a visit starting at `starts_at`, due at `due`, replacing a pending one.
fn reminder(appointment: i64, starts_at: DateTime<Utc>, due: DateTime<Utc>) -> (SendVisitMessage, When) {
    let job = SendVisitMessage::reminder(appointment, starts_at);
    (job, When::at(due).keyed(reminder_key(appointment)))
}

fn reminder_key(appointment: i64) -> String {
    format!("reminder:{appointment}")
}

fn notice_key(appointment: i64) -> String {
    format!("notice:{appointment}")
}

/// A salon's reminder settings.
#[derive(Debug, Clone, Copy)]
pub struct ReminderRules {
    pub zone: Tz,
    /// 0: no reminders.
    pub hours_before: i32,
    /// Start and end of the quiet hours, wall-clock; equal means none.
    pub quiet: (NaiveTime, NaiveTime),
}

impl ReminderRules {
    pub async fn read(tx: &mut TenantTx) -> Result<Self, AppError> {
        let p = salon::reminder_settings(tx).await?;
        Ok(Self {
            zone: crate::clock::zone(&p.timezone),
            hours_before: p.reminder_hours_before,
            quiet: (p.quiet_hours_start, p.quiet_hours_end),
        })
    }

    /// When the reminder of a visit starting at `starts_at` goes out, seen at `now`; `None`
    /// when it does not.
    pub fn due(&self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.hours_before <= 0 {
            return None;
        }
        let local_start = starts_at.with_timezone(&self.zone).naive_local();
        let mut due = local_start - Duration::hours(i64::from(self.hours_before));
        if let Some((quiet_began, quiet_ends)) = self.quiet_around(due) {
            due = if quiet_ends < local_start { quiet_ends } else { quiet_began - Duration::minutes(1) };
        }
        let due = self.instant(due);
        (due > now && due < starts_at).then_some(due)
    }

    /// The quiet period `at` falls in, as its first and its ending wall-clock moment.
    fn quiet_around(&self, at: NaiveDateTime) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let (start, end) = self.quiet;
        let (day, time) = (at.date(), at.time());
        let evening = start > end && time >= start;
        let morning = start > end && time < end;
        let daytime = start < end && time >= start && time < end;
        if evening {
            Some((day.and_time(start), (day + Duration::days(1)).and_time(end)))
        } else if morning {
            Some(((day - Duration::days(1)).and_time(start), day.and_time(end)))
        } else if daytime {
            Some((day.and_time(start), day.and_time(end)))
        } else {
            None
        }
    }

    /// The instant of a wall-clock moment: the first of two in an autumn overlap, the first
    /// moment after a spring gap for one inside it.
    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut probe = local;
        loop {
            match self.zone.from_local_datetime(&probe) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
                // Gaps are whole quarter hours in every zone in use; step to the end of this one.
                LocalResult::None => probe += Duration::minutes(15),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kyiv(hours_before: i32, quiet: (&str, &str)) -> ReminderRules {
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap();
        ReminderRules { zone: chrono_tz::Europe::Kyiv, hours_before, quiet: (t(quiet.0), t(quiet.1)) }
    }

    /// The instant of a Kyiv wall-clock moment.
    fn at(local: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
        chrono_tz::Europe::Kyiv.from_local_datetime(&naive).earliest().unwrap().with_timezone(&Utc)
    }

    fn long_ago() -> DateTime<Utc> {
        at("2020-01-01 00:00")
    }

    #[test]
    fn a_day_before_is_the_same_wall_clock_hour_across_dst() {
        let r = kyiv(24, ("21:00", "09:00"));
        // Spring: clocks go forward on Sunday 29 March 2026 at 03:00.
        assert_eq!(r.due(at("2026-03-30 14:00"), long_ago()), Some(at("2026-03-29 14:00")));
        assert_eq!(at("2026-03-30 14:00") - at("2026-03-29 14:00"), Duration::hours(24));
        assert_eq!(r.due(at("2026-03-29 14:00"), long_ago()), Some(at("2026-03-28 14:00")));
        assert_eq!(at("2026-03-29 14:00") - at("2026-03-28 14:00"), Duration::hours(23));
        // Autumn: back on Sunday 25 October 2026 at 04:00.
        assert_eq!(r.due(at("2026-10-25 14:00"), long_ago()), Some(at("2026-10-24 14:00")));
        assert_eq!(at("2026-10-25 14:00") - at("2026-10-24 14:00"), Duration::hours(25));
    }

    #[test]
    fn quiet_hours_defer_to_their_end() {
        let r = kyiv(12, ("21:00", "09:00"));
        // 10:00 visit, due 22:00 the evening before: sent at 09:00.
        assert_eq!(r.due(at("2026-12-10 10:00"), long_ago()), Some(at("2026-12-10 09:00")));
        // 20:00 visit, due 08:00 the same morning: 09:00.
        assert_eq!(r.due(at("2026-12-10 20:00"), long_ago()), Some(at("2026-12-10 09:00")));
        // 21:30 visit, due 09:30: not quiet.
        assert_eq!(r.due(at("2026-12-10 21:30"), long_ago()), Some(at("2026-12-10 09:30")));
    }

    #[test]
    fn a_reminder_pushed_past_its_visit_goes_out_before_the_quiet_hours() {
        let r = kyiv(2, ("21:00", "09:00"));
        // 08:30 visit, due 06:30: 09:00 would be after it, so 20:59 the evening before.
        assert_eq!(r.due(at("2026-12-10 08:30"), long_ago()), Some(at("2026-12-09 20:59")));
    }

    #[test]
    fn quiet_hours_within_a_day_and_none() {
        let r = kyiv(1, ("13:00", "14:00"));
        assert_eq!(r.due(at("2026-12-10 14:30"), long_ago()), Some(at("2026-12-10 14:00")));
        assert_eq!(r.due(at("2026-12-10 14:00"), long_ago()), Some(at("2026-12-10 12:59")));
        assert_eq!(r.due(at("2026-12-10 16:00"), long_ago()), Some(at("2026-12-10 15:00")));
        let none = kyiv(24, ("00:00", "00:00"));
        assert_eq!(none.due(at("2026-12-10 03:00"), long_ago()), Some(at("2026-12-09 03:00")));
    }

    #[test]
    fn no_reminder_when_off_or_past() {
        assert_eq!(kyiv(0, ("21:00", "09:00")).due(at("2026-12-10 14:00"), long_ago()), None);
        let r = kyiv(24, ("21:00", "09:00"));
        assert_eq!(r.due(at("2026-12-10 14:00"), at("2026-12-09 14:00")), None);
        assert_eq!(r.due(at("2026-12-10 14:00"), at("2026-12-09 13:59")), Some(at("2026-12-09 14:00")));
    }

    #[test]
    fn a_due_time_in_the_spring_gap_moves_to_its_end() {
        // 03:30 on 29 March 2026 does not exist in Kyiv; with no quiet hours the reminder of a
        // 03:30 visit the next day goes out at 04:00.
        let r = kyiv(24, ("00:00", "00:00"));
        assert_eq!(r.due(at("2026-03-30 03:30"), long_ago()), Some(at("2026-03-29 04:00")));
    }
}
