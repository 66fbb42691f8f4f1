//! `/appointments` handlers, and the free-slot search and single-slot check.

use std::sync::Arc;

use axum::{extract::State, http::StatusCode, response::Response};
use chrono::{Duration, DurationRound};
use serde_json::json;

use super::{
    AppointmentsCreate, AppointmentsDelete, AppointmentsEdit, AppointmentsView,
    announce::{broadcast, event, notify_staff, tell_client, to_json},
    availability::{self, Availability, CheckQuery, SlotCheck, SlotQuery},
    book::{self, Draft, Hours},
    edit::apply_changes,
    model::*,
    scope::{self, Visibility},
    store,
};
use crate::{
    audit,
    auth::{Can, ClientIp, LazyTx},
    cache::{self, AcceptsGzip, DataVersion},
    clock,
    error::AppError,
    http::{AppJson, AppPath, AppQuery, page::Unpaged},
    ids::{AppointmentId, StaffId},
    messaging,
    realtime::Hub,
    staff,
    tenancy::{SalonClock, TenantTx},
};

/// Appointments matching the filters, by date and start time: every match, no page cut
/// unless `limit` is given (the calendar sends none: [`Unpaged`]). Answers are cached per salon data version (see [`crate::cache`]):
/// the calendar refetches the same day on every socket event.
#[utoipa::path(get, path = "/appointments", tag = "appointments", security(("bearer" = [])),
    params(ListQuery, Unpaged), responses((status = 200, body = [Appointment]), (status = 403)))]
pub async fn list_appointments(
    State(answers): State<Arc<cache::Answers>>,
    Can(user, ..): Can<AppointmentsView>,
    version: DataVersion,
    db: LazyTx,
    gzip: AcceptsGzip,
    AppQuery(q): AppQuery<ListQuery>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<Response, AppError> {
    let rows = paging.rows()?;
    if let (Some(from), Some(to)) = (q.date_from, q.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let key = format!("appointments {q:?} {rows:?} {}", Visibility::cache_key(&user));
    cache::json(&answers, user.salon, version, gzip, key, async {
        let mut tx = db.begin().await?;
        let seen = Visibility::of(&mut tx, &user).await?;
        let list: Vec<Appointment> = store::list(&mut tx, &q, rows).await?.into_iter().map(|a| seen.apply(a)).collect();
        tx.commit().await?;
        Ok(list)
    })
    .await
}

#[utoipa::path(get, path = "/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = AppointmentDetails), (status = 404)))]
pub async fn get_appointment(
    Can(user, ..): Can<AppointmentsView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<AppointmentId>,
) -> Result<axum::Json<AppointmentDetails>, AppError> {
    let found = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let notifications = messaging::visit_messages(&mut tx, id.get()).await?;
    let seen = Visibility::of(&mut tx, &user).await?;
    tx.commit().await?;
    Ok(axum::Json(seen.apply_details(found, notifications)))
}

/// Books a visit. The client is found by phone or created; the service is matched by name in
/// the catalogue; the answer echoes the date and times exactly as sent. 409 names the
/// appointment in the way; 422 explains a refusal by the member's schedule.
#[utoipa::path(post, path = "/appointments", tag = "appointments", security(("bearer" = [])),
    request_body = NewAppointment,
    responses((status = 201, body = Appointment), (status = 409, description = "the member is booked at that time"),
              (status = 422, description = "invalid fields, outside working hours or a day off")))]
pub async fn create_appointment(
    State(hub): State<Hub>,
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
    let resolved = book::resolve(&mut tx, &user, draft, Hours::requested(input.override_schedule)).await?;
    let saved = store::save(&mut tx, None, &resolved.row, Some(user.id)).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "record", entity_id: Some(saved.id.get()), action: "created",
        before: None, after: Some(to_json(&saved)?), ip: ip.as_deref(),
    })
    .await?;
    tell_client(&mut tx, None, Some(&saved)).await?;
    let note = notify_staff(&mut tx, Some(user.id), resolved.staff_user, "Новий запис", &saved).await?;
    let seen = Visibility::of(&mut tx, &user).await?;
    tx.commit().await?;
    broadcast(&hub, user.salon, event("appointment:created", &saved, &saved, resolved.staff_user), note).await;
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
pub async fn update_appointment(
    State(hub): State<Hub>,
    Can(user, ..): Can<AppointmentsEdit>,
    tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<AppointmentId>,
    AppJson(changes): AppJson<AppointmentChanges>,
) -> Result<axum::Json<Appointment>, AppError> {
    apply_changes(&hub, &user, tx, ip.as_deref(), id, changes).await.map(axum::Json)
}

/// Changes only the status (same rules and permissions as `PUT`).
#[utoipa::path(patch, path = "/appointments/{id}/status", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = StatusChange,
    responses((status = 200, body = Appointment), (status = 403), (status = 404), (status = 409)))]
pub async fn change_status(
    State(hub): State<Hub>,
    Can(user, ..): Can<AppointmentsEdit>,
    tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<AppointmentId>,
    AppJson(change): AppJson<StatusChange>,
) -> Result<axum::Json<Appointment>, AppError> {
    let changes = AppointmentChanges { status: Some(change.status), ..Default::default() };
    apply_changes(&hub, &user, tx, ip.as_deref(), id, changes).await.map(axum::Json)
}

/// Removes a visit from the calendar (kept for history) and frees its slot.
#[utoipa::path(delete, path = "/appointments/{id}", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
pub async fn delete_appointment(
    State(hub): State<Hub>,
    Can(user, ..): Can<AppointmentsDelete>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<AppointmentId>,
) -> Result<StatusCode, AppError> {
    let before = store::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    scope::ensure_own(&mut tx, &user, &before).await?;
    store::soft_delete(&mut tx, id).await?;
    tell_client(&mut tx, Some(&before), None).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "record", entity_id: Some(id.get()), action: "deleted",
        before: Some(to_json(&before)?), after: None, ip: ip.as_deref(),
    })
    .await?;
    let staff_user = match before.staff_id {
        Some(staff_id) => crate::staff::active_member(&mut tx, staff_id).await?.and_then(|m| m.user_id),
        None => None,
    };
    let note = notify_staff(&mut tx, Some(user.id), staff_user, "Запис видалено", &before).await?;
    tx.commit().await?;
    broadcast(&hub, user.salon, event("appointment:deleted", &json!({ "id": id }), &before, staff_user), note).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Free slots per member for a service over a date range, honouring weekly schedules,
/// exceptions, existing appointments, the service's duration, the salon's slot step and time
/// zone (wall-clock `startTime`/`endTime` plus the exact instants `startsAt`/`endsAt`).
#[utoipa::path(get, path = "/appointments/availability", tag = "appointments", security(("bearer" = [])),
    params(SlotQuery), responses((status = 200, body = Availability), (status = 422)))]
pub async fn free_slots(
    State(answers): State<Arc<cache::Answers>>,
    Can(user, ..): Can<AppointmentsView>,
    version: DataVersion,
    db: LazyTx,
    gzip: AcceptsGzip,
    AppQuery(q): AppQuery<SlotQuery>,
) -> Result<Response, AppError> {
    // Slots already begun are not offered; to the minute, so one minute's searches share
    // their answer.
    let now = db.clock().now();
    let now = now.duration_trunc(Duration::minutes(1)).unwrap_or(now);
    let key = format!("slots {q:?} {}", now.timestamp());
    cache::json(&answers, user.salon, version, gzip, key, availability::search(db, q, now)).await
}

/// Whether a member can take a visit at `date startTime` for the given length.
#[utoipa::path(get, path = "/staff/{id}/availability", tag = "appointments", security(("bearer" = [])),
    params(("id" = i64, Path), CheckQuery), responses((status = 200, body = SlotCheck), (status = 404)))]
pub async fn check_slot(
    _: Can<AppointmentsView>,
    mut tx: TenantTx,
    AppPath(staff_id): AppPath<StaffId>,
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
            let tz = SalonClock::read(&mut tx).await?.zone();
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
