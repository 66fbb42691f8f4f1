//! Free-slot search and single-slot checks.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{book, slots, store};
use crate::{
    auth::LazyTx,
    catalog,
    clock::{self, HhMm, Ymd},
    error::AppError,
    ids::{AppointmentId, ServiceId, StaffId},
    staff,
    tenancy::SalonClock,
};

/// The longest range one search may cover.
const MAX_DAYS: i64 = 62;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// The service to book; its duration sets the slot length and its performers the staff.
    pub service_id: Option<ServiceId>,
    /// Slot length in minutes when no service is given.
    pub duration: Option<i64>,
    /// First day (default: today in the salon's zone).
    pub date_from: Option<Ymd>,
    /// Last day, inclusive (default: `dateFrom`); at most 62 days after it.
    pub date_to: Option<Ymd>,
    /// Only this member.
    pub staff_id: Option<StaffId>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotOut {
    pub start_time: HhMm,
    pub end_time: HhMm,
    #[serde(serialize_with = "clock::utc_seconds")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "clock::utc_seconds")]
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaySlots {
    pub date: Ymd,
    pub slots: Vec<SlotOut>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaffSlots {
    pub staff_id: StaffId,
    pub days: Vec<DaySlots>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub service_id: Option<ServiceId>,
    pub duration: i64,
    pub timezone: String,
    pub slot_step: i32,
    pub staff: Vec<StaffSlots>,
}

/// The free slots a [`SlotQuery`] asks for, from `now` on.
pub(super) async fn search(db: LazyTx, q: SlotQuery, now: DateTime<Utc>) -> Result<Availability, AppError> {
    let mut tx = db.begin().await?;
    let tz = SalonClock::read(&mut tx).await?.zone();
    let step = store::slot_step(&mut tx).await?;
    let today = SalonClock::at(tz, now).today();
    let from = q.date_from.map_or(today, |d| d.0);
    let to = q.date_to.map_or(from, |d| d.0);
    if to < from || (to - from).num_days() > MAX_DAYS {
        return Err(AppError::field("dateTo", format!("Період від 1 до {MAX_DAYS} днів")));
    }
    let (service_id, minutes) = match (q.service_id, q.duration) {
        (Some(id), _) => {
            let service = catalog::peek_ref(&mut tx, id).await?.ok_or_else(|| AppError::field("serviceId", "Послугу не знайдено"))?;
            (Some(id), i64::from(service.duration_minutes))
        }
        (None, Some(d)) if (5..=1440).contains(&d) => (None, d),
        _ => return Err(AppError::field("serviceId", "Вкажіть послугу або тривалість (5–1440 хв)")),
    };
    let staff_ids = match q.staff_id {
        Some(id) => {
            staff::peek_member(&mut tx, id).await?.ok_or_else(|| AppError::field("staffId", "Майстра не знайдено"))?;
            vec![id]
        }
        None => match service_id {
            Some(id) => staff::performing(&mut tx, id).await?,
            None => staff::performing_any(&mut tx).await?,
        },
    };
    let windows = book::windows_of(&mut tx, &staff_ids, from, to).await?;
    let range_start = clock::instant(tz, from, chrono::NaiveTime::MIN).unwrap_or(now) - Duration::days(1);
    let range_end = clock::instant(tz, to, chrono::NaiveTime::MIN).unwrap_or(now) + Duration::days(2);
    let busy = store::busy(&mut tx, &staff_ids, range_start, range_end).await?;
    tx.commit().await?;

    let duration = Duration::minutes(minutes);
    let staff = staff_ids
        .iter()
        .map(|&staff_id| {
            let own: Vec<_> = busy.iter().filter(|b| b.staff_id == staff_id).map(|b| (b.starts_at, b.ends_at)).collect();
            let member_windows = windows.get(&staff_id).map(Vec::as_slice).unwrap_or(&[]);
            let found = slots::free_slots(tz, member_windows, &own, duration, step.max(1) as u32, now);
            StaffSlots { staff_id, days: group_by_day(found) }
        })
        .collect();
    Ok(Availability { service_id, duration: minutes, timezone: tz.name().to_owned(), slot_step: step, staff })
}

fn group_by_day(found: Vec<slots::Slot>) -> Vec<DaySlots> {
    let mut days: Vec<DaySlots> = Vec::new();
    for s in found {
        let out = SlotOut { start_time: HhMm(s.start), end_time: HhMm(s.end), starts_at: s.starts_at, ends_at: s.ends_at };
        match days.last_mut() {
            Some(day) if day.date.0 == s.date => day.slots.push(out),
            _ => days.push(DaySlots { date: Ymd(s.date), slots: vec![out] }),
        }
    }
    days
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CheckQuery {
    pub date: Ymd,
    pub start_time: HhMm,
    /// End of the visit; or give `duration` in minutes.
    pub end_time: Option<HhMm>,
    pub duration: Option<i64>,
    /// An appointment to ignore (when checking a move of that appointment).
    pub exclude_appointment_id: Option<AppointmentId>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotCheck {
    pub available: bool,
    /// `outside_working_hours`, `day_off` or `slot_taken` when not available.
    pub reason: Option<&'static str>,
    /// The appointment in the way, for `slot_taken`.
    pub conflicting_appointment_id: Option<AppointmentId>,
}
