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
    http::error::{AppError, FieldErrors},
    money::Money,
    staff,
    tenancy::TenantTx,
    text,
};

/// Characters an appointment's notes may have (as a client card's notes).
pub const MAX_NOTES: usize = 2_000;

/// The fields of a booking before they are resolved against the salon's data.
pub struct Draft {
    pub client_id: Option<i64>,
    pub client_name: String,
    pub client_phone: String,
    pub service_id: Option<i64>,
    pub service_text: String,
    pub staff_id: Option<i64>,
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
    pub staff_user: Option<i64>,
}

/// Validates and resolves a draft. `check_hours` is false for changes that do not move the
/// visit (a status button must not fail because the schedule changed since booking).
pub async fn resolve(
    tx: &mut TenantTx,
    user: &CurrentUser,
    draft: Draft,
    check_hours: bool,
    override_schedule: bool,
) -> Result<Resolved, AppError> {
    let mut problems = FieldErrors::new();
    let client_name = draft.client_name.trim().to_owned();
    if client_name.is_empty() || client_name.chars().count() > 200 {
        problems.insert("clientName".into(), vec!["Вкажіть ім'я клієнта (до 200 символів)".into()]);
    }

    if !text::fits(&draft.notes, MAX_NOTES) {
        problems.insert("notes".into(), vec![format!("Не більше {MAX_NOTES} символів")]);
    }

    // Services: an explicit id, else each comma-separated name matched in the catalogue.
    let services = match draft.service_id {
        Some(id) => match catalog::get_ref(tx, id).await? {
            Some(s) => vec![s],
            None => {
                problems.insert("serviceId".into(), vec!["Послугу не знайдено".into()]);
                Vec::new()
            }
        },
        None => {
            let names: Vec<String> =
                draft.service_text.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
            if names.is_empty() { Vec::new() } else { catalog::find_by_names(tx, &names).await? }
        }
    };
    let service_name = match (draft.service_text.trim(), services.first()) {
        ("", Some(s)) => s.name.clone(),
        (text, _) => text.to_owned(),
    };

    let end = match draft.end {
        Some(end) => Some(end.0),
        None if !services.is_empty() => {
            let minutes: i64 = services.iter().map(|s| i64::from(s.duration_minutes)).sum();
            let end = draft.start.0 + Duration::minutes(minutes);
            (end > draft.start.0).then_some(end)
        }
        None => {
            problems.insert("endTime".into(), vec!["Вкажіть час завершення".into()]);
            None
        }
    };
    if let Some(end) = end
        && end <= draft.start.0
    {
        problems.insert("endTime".into(), vec!["Завершення має бути пізніше за початок того ж дня".into()]);
    }

    let staff_user = match draft.staff_id {
        Some(id) => match staff::active_member(tx, id).await? {
            Some(member) => member.user_id,
            None => {
                problems.insert("staffId".into(), vec!["Майстра не знайдено".into()]);
                None
            }
        },
        None => None,
    };

    let client_id = match draft.client_id {
        // A client outside the user's `clients.show` scope is as unknown as a missing one.
        Some(id) => {
            let found = match clients::get_ref(tx, id).await? {
                Some(c) => clients::in_scope(tx, user, c.id).await?.then_some(c.id),
                None => None,
            };
            if found.is_none() {
                problems.insert("clientId".into(), vec!["Клієнта не знайдено".into()]);
            }
            found
        }
        None => None,
    };
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let end = end.expect("checked above");

    let (zone, _) = super::store::salon_clock(tx).await?;
    let tz = clock::zone(&zone);
    let nonexistent = || AppError::field("startTime", "Цього часу не існує через перехід на літній час");
    let starts_at = clock::instant(tz, draft.date, draft.start.0).map_err(|_| nonexistent())?;
    let ends_at = clock::instant(tz, draft.date, end).map_err(|_| nonexistent())?;

    if let (Some(staff_id), true) = (draft.staff_id, check_hours) {
        let may_override = override_schedule && user.role == Role::Admin;
        if !may_override {
            check_working_hours(tx, staff_id, draft.date, draft.start.0, end).await?;
        }
    }

    // Link (or create) the client by phone; a partial or invalid phone links nobody. A user
    // limited to their own clients cannot link someone else's client by typing its phone.
    let client_id = match (client_id, clients::normalise_phone(&draft.client_phone)) {
        (Some(id), _) => Some(id),
        (None, Some(phone)) => {
            if clients::own_scope(user).is_some()
                && let Some(holder) = clients::phone_holder(tx, &phone).await?
                && !clients::in_scope(tx, user, holder).await?
            {
                return Err(AppError::field("clientPhone", "Клієнт з цим телефоном не належить до ваших клієнтів"));
            }
            // A phone nobody holds adds a client: `appointments.create_clients`.
            if !user.may("appointments.create_clients") && clients::phone_holder(tx, &phone).await?.is_none() {
                return Err(AppError::Forbidden);
            }
            Some(clients::find_or_create_by_phone(tx, &client_name, &phone).await?.id)
        }
        (None, None) => None,
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

/// 422 unless [start, end) on `date` lies in one of the member's working intervals.
pub async fn check_working_hours(
    tx: &mut TenantTx,
    staff_id: i64,
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
pub async fn member_windows(tx: &mut TenantTx, staff_id: i64, from: NaiveDate, to: NaiveDate) -> Result<Vec<Window>, AppError> {
    let mut all = windows_of(tx, &[staff_id], from, to).await?;
    Ok(all.remove(&staff_id).unwrap_or_default())
}

/// Working windows per member over [from, to] (the staff module applies exceptions, and
/// default hours to members whose weekly schedule was never set up).
pub async fn windows_of(
    tx: &mut TenantTx,
    staff_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<std::collections::HashMap<i64, Vec<Window>>, AppError> {
    let mut by_staff: std::collections::HashMap<i64, Vec<Window>> = std::collections::HashMap::new();
    for day in staff::working_windows(tx, Some(staff_ids), from, to).await? {
        let windows = by_staff.entry(day.staff_id).or_default();
        windows.extend(day.intervals.iter().map(|(start, end)| Window { date: day.date, start: *start, end: *end }));
    }
    for windows in by_staff.values_mut() {
        windows.sort_by_key(|w| (w.date, w.start));
    }
    Ok(by_staff)
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
