//! `/appointments` handlers.

use axum::{extract::State, http::StatusCode, response::Response};
use serde_json::json;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    book::{self, Draft},
    model::*,
    scope::{self, Visibility},
    store,
};
use crate::{
    AppState, audit,
    auth::{Can, ClientIp, CurrentUser, LazyTx},
    cache::{self, AcceptsGzip, DataVersion},
    http::{AppJson, AppPath, AppQuery, error::AppError},
    notifications::{self, NewNotification, Notification},
    permission,
    realtime::Event,
    tenancy::{SalonId, TenantTx},
};

permission!(AppointmentsView = "appointments");
permission!(AppointmentsCreate = "appointments.create");
permission!(AppointmentsEdit = "appointments.edit");
permission!(AppointmentsDelete = "appointments.delete");

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_appointments, create_appointment))
        .routes(routes!(get_appointment, update_appointment, delete_appointment))
        .routes(routes!(change_status))
}

/// Appointments matching the filters, by date and start time: every match, no page cut
/// unless `limit` is given. Answers are cached per salon data version (see [`crate::cache`]):
/// the calendar refetches the same day on every socket event.
#[utoipa::path(get, path = "/appointments", tag = "appointments", security(("bearer" = [])),
    params(ListQuery), responses((status = 200, body = [Appointment]), (status = 403)))]
async fn list_appointments(
    State(state): State<AppState>,
    Can(user, ..): Can<AppointmentsView>,
    version: DataVersion,
    db: LazyTx,
    gzip: AcceptsGzip,
    AppQuery(q): AppQuery<ListQuery>,
) -> Result<Response, AppError> {
    if let (Some(from), Some(to)) = (q.date_from, q.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let key = format!("appointments {q:?} {}", Visibility::cache_key(&user));
    cache::json(&state, user.salon, version, gzip, key, async {
        let mut tx = db.begin().await?;
        let seen = Visibility::of(&mut tx, &user).await?;
        let list: Vec<Appointment> = store::list(&mut tx, &q).await?.into_iter().map(|a| seen.apply(a)).collect();
        tx.commit().await?;
        Ok(list)
    })
    .await
}

#[utoipa::path(get, path = "/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Appointment), (status = 404)))]
async fn get_appointment(
    Can(user, ..): Can<AppointmentsView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<axum::Json<Appointment>, AppError> {
    let found = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let seen = Visibility::of(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(axum::Json(seen.apply(found)))
}

/// Books a visit. The client is found by phone or created; the service is matched by name in
/// the catalogue; the answer echoes the date and times exactly as sent. 409 names the
/// appointment in the way; 422 explains a refusal by the member's schedule.
#[utoipa::path(post, path = "/appointments", tag = "appointments", security(("bearer" = [])),
    request_body = NewAppointment,
    responses((status = 201, body = Appointment), (status = 409, description = "the member is booked at that time"),
              (status = 422, description = "invalid fields, outside working hours or a day off")))]
async fn create_appointment(
    State(state): State<AppState>,
    Can(user, ..): Can<AppointmentsCreate>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewAppointment>,
) -> Result<(StatusCode, axum::Json<Appointment>), AppError> {
    let status = input.status.unwrap_or(Status::Scheduled);
    if status == Status::Cancelled {
        return Err(AppError::field("status", "Новий запис не може бути скасованим"));
    }
    let draft = Draft {
        client_id: input.client_id,
        client_name: input.client_name,
        client_phone: input.client_phone,
        service_id: input.service_id,
        service_text: input.service,
        staff_id: input.staff_id,
        date: input.date.0,
        start: input.start_time,
        end: input.end_time,
        status,
        kind: input.kind.unwrap_or(Kind::Standard),
        price: input.price,
        notes: input.notes,
    };
    let resolved = book::resolve(&mut tx, &user, draft, true, input.override_schedule).await?;
    let saved = store::save(&mut tx, None, &resolved.row, user.id).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "record", entity_id: Some(saved.id), action: "created",
        before: None, after: Some(to_json(&saved)?), ip: ip.as_deref(),
    })
    .await?;
    let note = notify_staff(&mut tx, &user, resolved.staff_user, "Новий запис", &saved).await?;
    let seen = Visibility::of(&mut tx, &user).await?;
    tx.commit().await?;
    broadcast(&state, user.salon, event("appointment:created", &saved, &saved, resolved.staff_user), note).await;
    Ok((StatusCode::CREATED, axum::Json(seen.apply(saved))))
}

/// A partial update (the edit modal, status buttons, visit completion). A completed visit is
/// not moved; status changes follow the allowed transitions; a restored visit needs its slot.
///
/// Besides `appointments.edit`, each field that really changes needs its own id (403
/// otherwise): `price` → `appointments.edit.price`; `staffId`, `date`, `startTime` →
/// `appointments.edit.staff_time`; a new length → `appointments.edit.duration`; `notes` →
/// `appointments.edit.comment`; `service`/`serviceId` → `appointments.edit.services`; the
/// client → `appointments.view_clients_dropdown`; status `completed` →
/// `appointments.process_payment`; `cancelled` → `appointments.delete`. Any change of an
/// `arrived` visit needs `appointments.edit.status_arrived`, of a `completed` (paid) one
/// `appointments.edit.paid_confirmed`. With `clients.show` = `own`, only the user's own
/// appointments change, and only to one of their clients.
#[utoipa::path(put, path = "/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = AppointmentChanges,
    responses((status = 200, body = Appointment), (status = 403, description = "a change the user's permissions do not cover"),
              (status = 404), (status = 409), (status = 422)))]
async fn update_appointment(
    State(state): State<AppState>,
    Can(user, ..): Can<AppointmentsEdit>,
    tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(changes): AppJson<AppointmentChanges>,
) -> Result<axum::Json<Appointment>, AppError> {
    apply_changes(&state, &user, tx, ip.as_deref(), id, changes).await.map(axum::Json)
}

/// Changes only the status (same rules and permissions as `PUT`).
#[utoipa::path(patch, path = "/appointments/{id}/status", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = StatusChange,
    responses((status = 200, body = Appointment), (status = 403), (status = 404), (status = 409)))]
async fn change_status(
    State(state): State<AppState>,
    Can(user, ..): Can<AppointmentsEdit>,
    tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<StatusChange>,
) -> Result<axum::Json<Appointment>, AppError> {
    let changes = AppointmentChanges { status: Some(change.status), ..Default::default() };
    apply_changes(&state, &user, tx, ip.as_deref(), id, changes).await.map(axum::Json)
}

async fn apply_changes(
    state: &AppState,
    user: &CurrentUser,
    mut tx: TenantTx,
    ip: Option<&str>,
    id: i64,
    mut c: AppointmentChanges,
) -> Result<Appointment, AppError> {
    let before = store::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    // A user who is shown no phones sends the hidden `""` back with the form: it changes nothing.
    if !user.may("appointments.view_clients_data") && c.client_phone.as_deref().is_some_and(|p| p.trim().is_empty()) {
        c.client_phone = None;
    }
    scope::check_changes(&mut tx, user, &before, &c).await?;
    let mut draft = book::draft_of(&before);
    let next_status = c.status.unwrap_or(before.status);
    if !before.status.may_become(next_status) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!("Статус «{}» не можна змінити на «{}»", status_name(before.status), status_name(next_status)),
        ));
    }
    let moves = c.date.is_some_and(|d| d != before.date)
        || c.start_time.is_some_and(|t| t != before.start_time)
        || c.end_time.is_some_and(|t| t != before.end_time)
        || c.staff_id.is_some_and(|s| s != before.staff_id);
    if moves && before.status == Status::Completed {
        return Err(AppError::conflict("appointment_completed", "Завершений візит не можна перенести"));
    }
    if let Some(v) = c.client_name { draft.client_name = v; }
    if let Some(v) = c.client_phone {
        if v.trim() != before.client_phone { draft.client_id = None; }
        draft.client_phone = v;
    }
    if let Some(v) = c.client_id { draft.client_id = Some(v); }
    if let Some(v) = c.service {
        if v.trim() != before.service_name { draft.service_id = None; }
        draft.service_text = v;
    }
    if let Some(v) = c.service_id { draft.service_id = Some(v); }
    if let Some(v) = c.date { draft.date = v.0; }
    if let Some(v) = c.start_time { draft.start = v; }
    if let Some(v) = c.end_time { draft.end = Some(v); }
    if let Some(v) = c.staff_id { draft.staff_id = v; }
    if let Some(v) = c.kind { draft.kind = v; }
    if let Some(v) = c.price { draft.price = Some(v); }
    if let Some(v) = c.notes { draft.notes = v; }
    draft.status = next_status;

    let resolved = book::resolve(&mut tx, user, draft, moves, c.override_schedule).await?;
    let saved = store::save(&mut tx, Some(id), &resolved.row, user.id).await?;
    if saved.status == Status::Completed && before.status != Status::Completed && saved.price.minor() > 0 {
        let description = format!("{} — {}", saved.service_name, saved.client_name);
        crate::finances::record_visit_income(&mut tx, saved.id, saved.client_id, saved.price, &description, user.id)
            .await?;
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "record", entity_id: Some(id), action: "updated",
        before: Some(to_json(&before)?), after: Some(to_json(&saved)?), ip,
    })
    .await?;
    let title = if saved.status == Status::Cancelled && before.status != Status::Cancelled {
        "Запис скасовано"
    } else {
        "Запис змінено"
    };
    let note = notify_staff(&mut tx, user, resolved.staff_user, title, &saved).await?;
    let seen = Visibility::of(&mut tx, user).await?;
    tx.commit().await?;
    broadcast(state, user.salon, event("appointment:updated", &saved, &saved, resolved.staff_user), note).await;
    Ok(seen.apply(saved))
}

/// Removes a visit from the calendar (kept for history) and frees its slot.
#[utoipa::path(delete, path = "/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
async fn delete_appointment(
    State(state): State<AppState>,
    Can(user, ..): Can<AppointmentsDelete>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    let before = store::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    scope::ensure_own(&mut tx, &user, &before).await?;
    store::soft_delete(&mut tx, id).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "record", entity_id: Some(id), action: "deleted",
        before: Some(to_json(&before)?), after: None, ip: ip.as_deref(),
    })
    .await?;
    let staff_user = match before.staff_id {
        Some(staff_id) => crate::staff::active_member(&mut tx, staff_id).await?.and_then(|m| m.user_id),
        None => None,
    };
    let note = notify_staff(&mut tx, &user, staff_user, "Запис видалено", &before).await?;
    tx.commit().await?;
    broadcast(&state, user.salon, event("appointment:deleted", &json!({ "id": id }), &before, staff_user), note).await;
    Ok(StatusCode::NO_CONTENT)
}

fn to_json(a: &Appointment) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(a).map_err(|e| AppError::Internal(e.into()))
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Scheduled => "записаний",
        Status::Confirmed => "підтверджений",
        Status::Arrived => "клієнт прийшов",
        Status::NoShow => "не прийшов",
        Status::Cancelled => "скасований",
        Status::Completed => "завершений",
    }
}

/// The in-app notification for the member an appointment concerns (not when they made the
/// change themselves), written in the same transaction.
async fn notify_staff(
    tx: &mut TenantTx,
    actor: &CurrentUser,
    staff_user: Option<i64>,
    title: &str,
    a: &Appointment,
) -> Result<Option<Notification>, AppError> {
    let Some(recipient) = staff_user.filter(|u| *u != actor.id) else { return Ok(None) };
    let service = if a.service_name.is_empty() { String::new() } else { format!(", {}", a.service_name) };
    let message = format!("{}{service}: {} {}–{}", a.client_name, a.date, a.start_time, a.end_time);
    let link = format!("/calendar?date={}", a.date);
    let note = notifications::create(tx, NewNotification {
        user_id: recipient, kind: "info", title, message: &message, link: Some(&link),
    })
    .await?;
    Ok(Some(note))
}

/// A change of `a` for the salon's sockets whose users may see the calendar, shown as the
/// calendar's answers show it: without the client to users limited to their own clients when
/// neither the client nor the visit is theirs, and without the phone to users who may not see
/// clients' data.
fn event(kind: &str, data: &impl serde::Serialize, a: &Appointment, staff_user: Option<i64>) -> Event {
    permission!(ClientsData = "appointments.view_clients_data");
    Event::new(kind, data)
        .requires::<AppointmentsView>()
        .showing_client(a.client_id, &["clientId", "clientName", "clientPhone", "notes"])
        .concerning(staff_user)
        .hiding_unless::<ClientsData>(&["clientPhone"])
}

/// After commit: the change to the salon's sockets, the notification to its user.
async fn broadcast(state: &AppState, salon: SalonId, event: Event, note: Option<Notification>) {
    state.realtime.publish(salon, &event).await;
    if let Some(note) = note {
        notifications::announce(state, salon, &note).await;
    }
}
