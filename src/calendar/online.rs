//! Visits the client books, moves and cancels themselves (through the salon's Telegram bot):
//! free times under the salon's online-booking rules, and changes made through the same store
//! as the calendar's, with the same messages to the client, notification to the member and
//! socket event. The no-overlap constraint has the last word: a time taken meanwhile is a
//! [`Refusal::Taken`], never a double booking.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::{
    announce::{broadcast, event, notify_staff, tell_client, to_json},
    book,
    model::{Appointment, Kind, Status},
    slots,
    store::{self, Row},
};
use crate::{
    audit, catalog, clients,
    clock,
    error::AppError,
    ids::{AppointmentId, ClientId, ServiceId, StaffId},
    notifications::Notification,
    realtime::{Event, Hub},
    staff,
    tenancy::{SalonClock, SalonId, TenantTx},
};

/// The salon's rules for visits clients book themselves.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub enabled: bool,
    pub min_lead: Duration,
    pub horizon_days: i64,
    pub cancellation_window: Duration,
}

pub async fn rules(tx: &mut TenantTx) -> Result<Rules, AppError> {
    let r = sqlx::query!(
        r#"select online_booking_enabled as "enabled!", booking_min_lead_minutes as "lead!",
                  booking_horizon_days as "horizon!", cancellation_window_hours as "window!"
           from salon_facts"#
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Rules {
        enabled: r.enabled,
        min_lead: Duration::minutes(i64::from(r.lead)),
        horizon_days: i64::from(r.horizon),
        cancellation_window: Duration::hours(i64::from(r.window)),
    })
}

/// A free time a client may book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenSlot {
    pub staff_id: StaffId,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub starts_at: DateTime<Utc>,
}

/// Free times for the service on days `from..=to` with `member` (or any member performing it),
/// no earlier than the minimum lead and no later than the horizon, ordered by time then member.
/// Empty when online booking is off or the service or member is unknown.
pub async fn open_slots(
    tx: &mut TenantTx,
    service_id: ServiceId,
    member: Option<StaffId>,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<OpenSlot>, AppError> {
    let rules = rules(tx).await?;
    let Some(service) = catalog::peek_ref(tx, service_id).await? else { return Ok(Vec::new()) };
    if !rules.enabled {
        return Ok(Vec::new());
    }
    let tz = SalonClock::read(tx).await?.zone();
    let today = SalonClock::at(tz, now).today();
    let last = today + Duration::days(rules.horizon_days);
    let (from, to) = (from.max(today), to.min(last));
    if to < from {
        return Ok(Vec::new());
    }
    let performers = staff::performing(tx, service_id).await?;
    let staff_ids: Vec<StaffId> = match member {
        Some(id) if performers.contains(&id) => vec![id],
        Some(_) => return Ok(Vec::new()),
        None => performers,
    };
    let windows = book::windows_of(tx, &staff_ids, from, to).await?;
    let range_start = clock::instant(tz, from, NaiveTime::MIN).unwrap_or(now) - Duration::days(1);
    let range_end = clock::instant(tz, to, NaiveTime::MIN).unwrap_or(now) + Duration::days(2);
    let busy = store::busy(tx, &staff_ids, range_start, range_end).await?;
    let step = store::slot_step(tx).await?.max(1) as u32;
    let duration = Duration::minutes(i64::from(service.duration_minutes));
    let not_before = now + rules.min_lead;
    let mut open: Vec<OpenSlot> = staff_ids
        .iter()
        .flat_map(|&staff_id| {
            let own: Vec<_> = busy.iter().filter(|b| b.staff_id == staff_id).map(|b| (b.starts_at, b.ends_at)).collect();
            let member_windows = windows.get(&staff_id).map(Vec::as_slice).unwrap_or(&[]);
            slots::free_slots(tz, member_windows, &own, duration, step, not_before)
                .into_iter()
                .filter(|s| s.date >= from && s.date <= to)
                .map(move |s| OpenSlot { staff_id, date: s.date, start: s.start, starts_at: s.starts_at })
        })
        .collect();
    open.sort_by_key(|s| (s.starts_at, s.staff_id));
    Ok(open)
}

/// Why a client's change was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The salon does not take bookings from clients now.
    Closed,
    /// The service, member or visit is not (or no longer) there for this client.
    Gone,
    /// The time is no longer free.
    Taken,
    /// Too close to the visit to change it (the salon's cancellation window).
    TooLate,
}

/// What a change made, for its announcement after commit ([`Made::announce`]).
pub struct Made {
    pub appointment: Appointment,
    salon: SalonId,
    event: Event,
    note: Option<Notification>,
}

impl Made {
    /// Tells the salon's calendars and the member (after the transaction committed).
    pub async fn announce(self, hub: &Hub) -> Appointment {
        broadcast(hub, self.salon, self.event, self.note).await;
        self.appointment
    }
}

/// The client's booking of `service` at `date start` with `member` (any free performer when
/// `None`).
pub struct ClientBooking {
    pub client_id: ClientId,
    pub service_id: ServiceId,
    pub member: Option<StaffId>,
    pub date: NaiveDate,
    pub start: NaiveTime,
}

pub async fn book(tx: &mut TenantTx, b: ClientBooking, now: DateTime<Utc>) -> Result<Result<Made, Refusal>, AppError> {
    if !rules(tx).await?.enabled {
        return Ok(Err(Refusal::Closed));
    }
    let (Some(service), Some(client)) = (catalog::get_ref(tx, b.service_id).await?, clients::get_ref(tx, b.client_id).await?)
    else {
        return Ok(Err(Refusal::Gone));
    };
    let open = open_slots(tx, b.service_id, b.member, b.date, b.date, now).await?;
    let Some(slot) = open.iter().find(|s| s.start == b.start) else { return Ok(Err(Refusal::Taken)) };
    let Some(member) = staff::active_member(tx, slot.staff_id).await? else { return Ok(Err(Refusal::Gone)) };
    let duration = Duration::minutes(i64::from(service.duration_minutes));
    let row = Row {
        client_id: Some(client.id),
        client_name: client.name,
        client_phone: client.phone.unwrap_or_default(),
        staff_id: Some(slot.staff_id),
        service_id: Some(service.id),
        service_name: service.name,
        date: slot.date,
        start_time: slot.start,
        end_time: slot.start + duration,
        starts_at: slot.starts_at,
        ends_at: slot.starts_at + duration,
        status: Status::Scheduled,
        kind: Kind::Standard,
        price: service.price,
        notes: String::new(),
    };
    let saved = match store::save(tx, None, &row, None).await {
        Ok(a) => a,
        Err(AppError::ConflictWith { .. }) => return Ok(Err(Refusal::Taken)),
        Err(e) => return Err(e),
    };
    audit::record(tx, audit::Change {
        user_id: None, entity: "record", entity_id: Some(saved.id.get()), action: "created",
        before: None, after: Some(to_json(&saved)?), ip: None,
    })
    .await?;
    tell_client(tx, None, Some(&saved)).await?;
    let note = notify_staff(tx, None, member.user_id, "Новий онлайн-запис", &saved).await?;
    let event = event("appointment:created", &saved, &saved, member.user_id);
    Ok(Ok(Made { appointment: saved, salon: tx.salon(), event, note }))
}

/// The client's upcoming visits (not cancelled), soonest first.
pub async fn upcoming_of(tx: &mut TenantTx, client_id: ClientId, now: DateTime<Utc>) -> Result<Vec<Appointment>, AppError> {
    store::upcoming_of_client(tx, client_id, now).await
}

/// The client's own upcoming visit, locked for a change; `None` for anyone else's.
async fn own_visit(tx: &mut TenantTx, client_id: ClientId, id: AppointmentId, now: DateTime<Utc>) -> Result<Option<Appointment>, AppError> {
    Ok(store::lock(tx, id).await?.filter(|a| {
        a.client_id == Some(client_id)
            && a.starts_at > now
            && matches!(a.status, Status::Scheduled | Status::Confirmed)
    }))
}

/// The client's own visit, if they may still change it.
pub async fn changeable(
    tx: &mut TenantTx,
    client_id: ClientId,
    id: AppointmentId,
    now: DateTime<Utc>,
) -> Result<Result<Appointment, Refusal>, AppError> {
    let Some(visit) = own_visit(tx, client_id, id, now).await? else { return Ok(Err(Refusal::Gone)) };
    if visit.starts_at - now < rules(tx).await?.cancellation_window {
        return Ok(Err(Refusal::TooLate));
    }
    Ok(Ok(visit))
}

/// The client cancels their visit, no later than the salon's cancellation window before it.
pub async fn cancel(tx: &mut TenantTx, client_id: ClientId, id: AppointmentId, now: DateTime<Utc>) -> Result<Result<Made, Refusal>, AppError> {
    let before = match changeable(tx, client_id, id, now).await? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let mut row = book::row_of(&before);
    row.status = Status::Cancelled;
    let saved = store::save(tx, Some(id), &row, None).await?;
    finish(tx, &before, saved, "Клієнт скасував запис", "appointment:updated").await.map(Ok)
}

/// The client moves their visit to another free time of the same member, no later than the
/// salon's cancellation window before it.
pub async fn reschedule(
    tx: &mut TenantTx,
    client_id: ClientId,
    id: AppointmentId,
    date: NaiveDate,
    start: NaiveTime,
    now: DateTime<Utc>,
) -> Result<Result<Made, Refusal>, AppError> {
    if !rules(tx).await?.enabled {
        return Ok(Err(Refusal::Closed));
    }
    let before = match changeable(tx, client_id, id, now).await? {
        Ok(v) => v,
        Err(r) => return Ok(Err(r)),
    };
    let (Some(service_id), Some(staff_id)) = (before.service_id, before.staff_id) else { return Ok(Err(Refusal::Gone)) };
    let open = open_slots(tx, service_id, Some(staff_id), date, date, now).await?;
    let Some(slot) = open.iter().find(|s| s.start == start) else { return Ok(Err(Refusal::Taken)) };
    let length = before.ends_at - before.starts_at;
    let mut row = book::row_of(&before);
    row.date = slot.date;
    row.start_time = slot.start;
    row.end_time = slot.start + length;
    row.starts_at = slot.starts_at;
    row.ends_at = slot.starts_at + length;
    let saved = match store::save(tx, Some(id), &row, None).await {
        Ok(a) => a,
        Err(AppError::ConflictWith { .. }) => return Ok(Err(Refusal::Taken)),
        Err(e) => return Err(e),
    };
    finish(tx, &before, saved, "Клієнт переніс запис", "appointment:updated").await.map(Ok)
}

async fn finish(tx: &mut TenantTx, before: &Appointment, saved: Appointment, title: &str, kind: &str) -> Result<Made, AppError> {
    audit::record(tx, audit::Change {
        user_id: None, entity: "record", entity_id: Some(saved.id.get()), action: "updated",
        before: Some(to_json(before)?), after: Some(to_json(&saved)?), ip: None,
    })
    .await?;
    tell_client(tx, Some(before), Some(&saved)).await?;
    let staff_user = match saved.staff_id {
        Some(id) => staff::peek_member(tx, id).await?.and_then(|m| m.user_id),
        None => None,
    };
    let note = notify_staff(tx, None, staff_user, title, &saved).await?;
    let event = event(kind, &saved, &saved, staff_user);
    Ok(Made { appointment: saved, salon: tx.salon(), event, note })
}
