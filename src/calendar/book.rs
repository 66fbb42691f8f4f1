//! Turning what the calendar sends into a stored appointment: client and service matching,
//! end time and price defaults, instants in the salon's zone, working-hours checks.

use chrono::{Duration, NaiveDate, NaiveTime};

use super::{
    model::{Appointment, Kind, Status},
    slots::{self, Window},
    store::Row,
};
use crate::{
    auth::{CurrentUser, Role},
    catalog, clients,
    clock::{self, HhMm},
    error::{AppError, Problems},
    ids::{ClientId, ServiceId, StaffId, UserId},
    money::Money,
    staff,
    tenancy::{SalonClock, TenantTx},
    text,
};

/// Characters an appointment's notes may have (as a client card's notes).
pub const MAX_NOTES: usize = 2_000;

/// The fields of a booking before they are resolved against the salon's data.
pub struct Draft {
    pub client_id: Option<ClientId>,
    pub client_name: String,
    pub client_phone: String,
    pub service_id: Option<ServiceId>,
    pub service_text: String,
    pub staff_id: Option<StaffId>,
    pub date: NaiveDate,
    pub start: HhMm,
    pub end: Option<HhMm>,
    pub status: Status,
    pub kind: Kind,
    pub price: Option<Money>,
    pub notes: String,
}

/// What resolution found out beyond the row itself.
pub struct Resolved {
    pub row: Row,
    pub staff_user: Option<UserId>,
}

/// How a booking is held to its member's working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hours {
    /// The visit must fall within them.
    Checked,
    /// The request asked to book outside them (`overrideSchedule`): granted to administrators,
    /// checked for everyone else.
    OverrideAsked,
    /// The change does not move the visit, so they are not looked at: a status button must not
    /// fail because the schedule changed since booking.
    NotMoved,
}

impl Hours {
    /// For a new visit, from the request's `overrideSchedule`.
    pub fn requested(override_schedule: bool) -> Self {
        if override_schedule { Hours::OverrideAsked } else { Hours::Checked }
    }

    /// For a change of an existing visit: whether it moves it, and the request's
    /// `overrideSchedule`.
    pub fn for_change(moves: bool, override_schedule: bool) -> Self {
        if moves { Hours::requested(override_schedule) } else { Hours::NotMoved }
    }
}

/// Validates and resolves a draft.
pub async fn resolve(tx: &mut TenantTx, user: &CurrentUser, draft: Draft, hours: Hours) -> Result<Resolved, AppError> {
    let mut problems = Problems::default();
    let client_name = draft.client_name.trim().to_owned();
    if client_name.is_empty() || client_name.chars().count() > 200 {
        problems.add("clientName", "Вкажіть ім'я клієнта (до 200 символів)");
    }
    if !text::fits(&draft.notes, MAX_NOTES) {
        problems.add("notes", format!("Не більше {MAX_NOTES} символів"));
    }
    let services = services_of(tx, &draft, &mut problems).await?;
    let service_name = match (draft.service_text.trim(), services.first()) {
        ("", Some(s)) => s.name.clone(),
        (text, _) => text.to_owned(),
    };
    let end = end_of(&draft, &services, &mut problems);
    let staff_user = member_account(tx, draft.staff_id, &mut problems).await?;
    let client_id = visible_client(tx, user, draft.client_id, &mut problems).await?;
    problems.finish()?;
    let end = end.expect("a missing end is a problem above");

    let tz = SalonClock::read(tx).await?.zone();
    let nonexistent = || AppError::field("startTime", "Цього часу не існує через перехід на літній час");
    let starts_at = clock::instant(tz, draft.date, draft.start.0).map_err(|_| nonexistent())?;
    let ends_at = clock::instant(tz, draft.date, end).map_err(|_| nonexistent())?;

    let checked = match hours {
        Hours::Checked => true,
        Hours::OverrideAsked => user.role != Role::Admin,
        Hours::NotMoved => false,
    };
    if let (Some(staff_id), true) = (draft.staff_id, checked) {
        check_working_hours(tx, staff_id, draft.date, draft.start.0, end).await?;
    }

    let client_id = match client_id {
        Some(id) => Some(id),
        None => client_by_phone(tx, user, &client_name, &draft.client_phone).await?,
    };
    let price = draft.price.unwrap_or_else(|| Money(services.iter().map(|s| s.price.minor()).sum()));
    if price.minor() < 0 {
        return Err(AppError::field("price", "Ціна не може бути від'ємною"));
    }

    Ok(Resolved {
        row: Row {
            client_id,
            client_name,
            client_phone: draft.client_phone.trim().to_owned(),
            staff_id: draft.staff_id,
            service_id: services.first().map(|s| s.id),
            service_name,
            date: draft.date,
            start_time: draft.start.0,
            end_time: end,
            starts_at,
            ends_at,
            status: draft.status,
            kind: draft.kind,
            price,
            notes: draft.notes.trim().to_owned(),
        },
        staff_user,
    })
}

/// The booked services: the one `serviceId` names, else each comma-separated name of the
/// service text matched in the catalogue (unmatched names stay text only).
async fn services_of(tx: &mut TenantTx, draft: &Draft, problems: &mut Problems) -> Result<Vec<catalog::ServiceRef>, AppError> {
    Ok(match draft.service_id {
        Some(id) => match catalog::get_ref(tx, id).await? {
            Some(s) => vec![s],
            None => {
                problems.add("serviceId", "Послугу не знайдено");
                Vec::new()
            }
        },
        None => {
            let names: Vec<String> =
                draft.service_text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            if names.is_empty() { Vec::new() } else { catalog::find_by_names(tx, &names).await? }
        }
    })
}

/// The end time: as sent, else the start plus the services' durations; later than the start
/// on the same day.
fn end_of(draft: &Draft, services: &[catalog::ServiceRef], problems: &mut Problems) -> Option<NaiveTime> {
    let end = match draft.end {
        Some(end) => Some(end.0),
        None if !services.is_empty() => {
            let minutes: i64 = services.iter().map(|s| i64::from(s.duration_minutes)).sum();
            let end = draft.start.0 + Duration::minutes(minutes);
            (end > draft.start.0).then_some(end)
        }
        None => {
            problems.add("endTime", "Вкажіть час завершення");
            None
        }
    };
    if let Some(end) = end
        && end <= draft.start.0
    {
        problems.add("endTime", "Завершення має бути пізніше за початок того ж дня");
    }
    end
}

/// The account of the booked member, who must be an active member of the salon.
async fn member_account(tx: &mut TenantTx, staff_id: Option<StaffId>, problems: &mut Problems) -> Result<Option<UserId>, AppError> {
    let Some(id) = staff_id else { return Ok(None) };
    Ok(match staff::active_member(tx, id).await? {
        Some(member) => member.user_id,
        None => {
            problems.add("staffId", "Майстра не знайдено");
            None
        }
    })
}

/// The client `clientId` names, when the user may see them: one outside the user's
/// `clients.show` scope is as unknown as a missing one.
async fn visible_client(
    tx: &mut TenantTx,
    user: &CurrentUser,
    client_id: Option<ClientId>,
    problems: &mut Problems,
) -> Result<Option<ClientId>, AppError> {
    let Some(id) = client_id else { return Ok(None) };
    let found = match clients::get_ref(tx, id).await? {
        Some(c) => clients::in_scope(tx, user, c.id).await?.then_some(c.id),
        None => None,
    };
    if found.is_none() {
        problems.add("clientId", "Клієнта не знайдено");
    }
    Ok(found)
}

/// The client holding the typed phone, created when nobody does; a partial or invalid phone
/// links nobody. A user limited to their own clients cannot link someone else's client by
/// typing its phone, and adding a client needs `appointments.create_clients`.
async fn client_by_phone(tx: &mut TenantTx, user: &CurrentUser, name: &str, phone: &str) -> Result<Option<ClientId>, AppError> {
    let Some(phone) = clients::normalise_phone(phone) else { return Ok(None) };
    let holder = clients::phone_holder(tx, &phone).await?;
    if clients::own_scope(user).is_some()
        && let Some(holder) = holder
        && !clients::in_scope(tx, user, holder).await?
    {
        return Err(AppError::field("clientPhone", "Клієнт з цим телефоном не належить до ваших клієнтів"));
    }
    if !user.may("appointments.create_clients") && holder.is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(Some(clients::find_or_create_by_phone(tx, name, &phone).await?.id))
}

/// 422 unless [start, end) on `date` lies in one of the member's working intervals.
pub async fn check_working_hours(
    tx: &mut TenantTx,
    staff_id: StaffId,
    date: NaiveDate,
    start: NaiveTime,
    end: NaiveTime,
) -> Result<(), AppError> {
    let windows = member_windows(tx, staff_id, date, date).await?;
    if slots::within(&windows, date, start, end) {
        return Ok(());
    }
    if windows.iter().any(|w| w.date == date) {
        Err(AppError::unprocessable("outside_working_hours", "Майстер не працює в цей час"))
    } else {
        Err(AppError::unprocessable("day_off", "У майстра вихідний цього дня"))
    }
}

/// Working windows of one member over [from, to].
pub async fn member_windows(tx: &mut TenantTx, staff_id: StaffId, from: NaiveDate, to: NaiveDate) -> Result<Vec<Window>, AppError> {
    let mut all = windows_of(tx, &[staff_id], from, to).await?;
    Ok(all.remove(&staff_id).unwrap_or_default())
}

/// Working windows per member over [from, to] (the staff module applies exceptions, and
/// default hours to members whose weekly schedule was never set up).
pub async fn windows_of(
    tx: &mut TenantTx,
    staff_ids: &[StaffId],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<std::collections::HashMap<StaffId, Vec<Window>>, AppError> {
    let mut by_staff: std::collections::HashMap<StaffId, Vec<Window>> = std::collections::HashMap::new();
    for day in staff::working_windows(tx, Some(staff_ids), from, to).await? {
        let windows = by_staff.entry(day.staff_id).or_default();
        windows.extend(day.intervals.iter().map(|(start, end)| Window { date: day.date, start: *start, end: *end }));
    }
    for windows in by_staff.values_mut() {
        windows.sort_by_key(|w| (w.date, w.start));
    }
    Ok(by_staff)
}

/// The stored appointment as the row it was saved from, for a change of one part of it.
pub fn row_of(a: &Appointment) -> Row {
    Row {
        client_id: a.client_id,
        client_name: a.client_name.clone(),
        client_phone: a.client_phone.clone(),
        staff_id: a.staff_id,
        service_id: a.service_id,
        service_name: a.service_name.clone(),
        date: a.date.0,
        start_time: a.start_time.0,
        end_time: a.end_time.0,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        status: a.status,
        kind: a.kind,
        price: a.price,
        notes: a.notes.clone(),
    }
}

/// The stored appointment as a draft, for partial updates.
pub fn draft_of(a: &Appointment) -> Draft {
    Draft {
        client_id: a.client_id,
        client_name: a.client_name.clone(),
        client_phone: a.client_phone.clone(),
        service_id: a.service_id,
        service_text: a.service_name.clone(),
        staff_id: a.staff_id,
        date: a.date.0,
        start: a.start_time,
        end: Some(a.end_time),
        status: a.status,
        kind: a.kind,
        price: Some(a.price),
        notes: a.notes.clone(),
    }
}
