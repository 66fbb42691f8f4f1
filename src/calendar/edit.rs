//! A change of an existing appointment (`PUT /appointments/{id}` and its status shortcut):
//! checked against the user's permissions and the allowed transitions, re-resolved like a new
//! booking, recorded, and announced after commit.

use super::{
    announce::{broadcast, event, notify_staff, tell_client, to_json},
    book::{self, Hours},
    model::*,
    scope::{self, Visibility},
    store,
};
use crate::{audit, auth::CurrentUser, error::AppError, ids::AppointmentId, realtime::Hub, tenancy::TenantTx};

/// Applies `c` to appointment `id`, commits `tx`, and announces the change.
pub(super) async fn apply_changes(
    hub: &Hub,
    user: &CurrentUser,
    mut tx: TenantTx,
    ip: Option<&str>,
    id: AppointmentId,
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

    let resolved = book::resolve(&mut tx, user, draft, Hours::for_change(moves, c.override_schedule)).await?;
    let saved = store::save(&mut tx, Some(id), &resolved.row, Some(user.id)).await?;
    if saved.status == Status::Completed && before.status != Status::Completed && saved.price.minor() > 0 {
        let description = format!("{} — {}", saved.service_name, saved.client_name);
        crate::finances::record_visit_income(&mut tx, saved.id, saved.client_id, saved.price, &description, user.id)
            .await?;
    }
    tell_client(&mut tx, Some(&before), Some(&saved)).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "record", entity_id: Some(id.get()), action: "updated",
        before: Some(to_json(&before)?), after: Some(to_json(&saved)?), ip,
    })
    .await?;
    let title = if saved.status == Status::Cancelled && before.status != Status::Cancelled {
        "Запис скасовано"
    } else {
        "Запис змінено"
    };
    let note = notify_staff(&mut tx, Some(user.id), resolved.staff_user, title, &saved).await?;
    let seen = Visibility::of(&mut tx, user).await?;
    tx.commit().await?;
    broadcast(hub, user.salon, event("appointment:updated", &saved, &saved, resolved.staff_user), note).await;
    Ok(seen.apply(saved))
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
