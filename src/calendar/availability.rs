//! Free-slot search and single-slot checks.

use axum::{extract::State, response::Response};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{book, routes::AppointmentsView, slots, store};
use crate::{
    AppState,
    auth::{Can, LazyTx},
    cache::{self, AcceptsGzip, DataVersion},
    catalog,
    clock::{self, HhMm, Ymd},
    http::{AppPath, AppQuery, error::AppError},
    staff,
    tenancy::TenantTx,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(free_slots)).routes(routes!(check_slot))
}

/// The longest range one search may cover.
const MAX_DAYS: i64 = 62;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// The service to book; its duration sets the slot length and its performers the staff.
    pub service_id: Option<i64>,
    /// Slot length in minutes when no service is given.
    pub duration: Option<i64>,
    /// First day (default: today in the salon's zone).
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    /// Last day, inclusive (default: `dateFrom`); at most 62 days after it.
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
    /// Only this member.
    pub staff_id: Option<i64>,
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
    pub staff_id: i64,
    pub days: Vec<DaySlots>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Availability {
    pub service_id: Option<i64>,
    pub duration: i64,
    pub timezone: String,
    pub slot_step: i32,
    pub staff: Vec<StaffSlots>,
}

/// Free slots per member for a service over a date range, honouring weekly schedules,
/// exceptions, existing appointments, the service's duration, the salon's slot step and time
/// zone (wall-clock `startTime`/`endTime` plus the exact instants `startsAt`/`endsAt`).
#[utoipa::path(get, path = "/appointments/availability", tag = "appointments", security(("bearer" = [])),
    params(SlotQuery), responses((status = 200, body = Availability), (status = 422)))]
async fn free_slots(
    State(state): State<AppState>,
    Can(user, ..): Can<AppointmentsView>,
    version: DataVersion,
    db: LazyTx,
    gzip: AcceptsGzip,
    AppQuery(q): AppQuery<SlotQuery>,
) -> Result<Response, AppError> {
    // Slots already begun are not offered; to the minute, so one minute's searches share
    // their answer.
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap_or_else(|_| Utc::now());
    let key = format!("slots {q:?} {}", now.timestamp());
    cache::json(&state, user.salon, version, gzip, key, search(db, q, now)).await
}

async fn search(db: LazyTx, q: SlotQuery, now: DateTime<Utc>) -> Result<Availability, AppError> {
    let mut tx = db.begin().await?;
    let (zone, step) = store::salon_clock(&mut tx).await?;
    let tz = clock::zone(&zone);
    let today = now.with_timezone(&tz).date_naive();
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
    Ok(Availability { service_id, duration: minutes, timezone: zone, slot_step: step, staff })
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
    #[param(value_type = String)]
    pub date: Ymd,
    #[param(value_type = String)]
    pub start_time: HhMm,
    /// End of the visit; or give `duration` in minutes.
    #[param(value_type = Option<String>)]
    pub end_time: Option<HhMm>,
    pub duration: Option<i64>,
    /// An appointment to ignore (when checking a move of that appointment).
    pub exclude_appointment_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotCheck {
    pub available: bool,
    /// `outside_working_hours`, `day_off` or `slot_taken` when not available.
    pub reason: Option<&'static str>,
    /// The appointment in the way, for `slot_taken`.
    pub conflicting_appointment_id: Option<i64>,
}

/// Whether a member can take a visit at `date startTime` for the given length.
#[utoipa::path(get, path = "/staff/{id}/availability", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path), CheckQuery), responses((status = 200, body = SlotCheck), (status = 404)))]
async fn check_slot(
    _: Can<AppointmentsView>,
    mut tx: TenantTx,
    AppPath(staff_id): AppPath<i64>,
    AppQuery(q): AppQuery<CheckQuery>,
) -> Result<axum::Json<SlotCheck>, AppError> {
    staff::peek_member(&mut tx, staff_id).await?.ok_or(AppError::NotFound)?;
    let end = match (q.end_time, q.duration) {
        (Some(end), _) => end.0,
        (None, Some(d)) if (5..=1440).contains(&d) => q.start_time.0 + Duration::minutes(d),
        _ => return Err(AppError::field("endTime", "Вкажіть час завершення або тривалість")),
    };
    if end <= q.start_time.0 {
        return Err(AppError::field("endTime", "Завершення має бути пізніше за початок того ж дня"));
    }
    let refusal = match book::check_working_hours(&mut tx, staff_id, q.date.0, q.start_time.0, end).await {
        Ok(()) => None,
        Err(AppError::Unprocessable { code, .. }) => Some(code),
        Err(other) => return Err(other),
    };
    let answer = match refusal {
        Some(reason) => SlotCheck { available: false, reason: Some(reason), conflicting_appointment_id: None },
        None => {
            let (zone, _) = store::salon_clock(&mut tx).await?;
            let tz = clock::zone(&zone);
            let nonexistent = || AppError::field("startTime", "Цього часу не існує через перехід на літній час");
            let starts_at = clock::instant(tz, q.date.0, q.start_time.0).map_err(|_| nonexistent())?;
            let ends_at = clock::instant(tz, q.date.0, end).map_err(|_| nonexistent())?;
            let clash = store::busy_ids(&mut tx, staff_id, starts_at, ends_at, q.exclude_appointment_id).await?;
            SlotCheck {
                available: clash.is_none(),
                reason: clash.map(|_| "slot_taken"),
                conflicting_appointment_id: clash,
            }
        }
    };
    tx.commit().await?;
    Ok(axum::Json(answer))
}
