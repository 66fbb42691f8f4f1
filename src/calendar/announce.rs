//! How a calendar change is told: the audit snapshot, the in-app notification of the member
//! concerned, the client's confirmation, reminder or cancellation, and the socket event for
//! the salon's calendars.

use super::{
    AppointmentsView,
    model::{Appointment, Status},
};
use crate::{
    error::AppError,
    ids::UserId,
    messaging::visits::{self, Stage, VisitState},
    notifications::{self, NewNotification, Notification},
    permission,
    realtime::{Event, Hub},
    tenancy::{SalonId, TenantTx},
};

/// An appointment as the audit trail stores it.
pub(super) fn to_json(a: &Appointment) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(a).map_err(|e| AppError::Internal(e.into()))
}

/// The in-app notification for the member an appointment concerns (not when they made the
/// change themselves; `actor` is `None` for the client's own change), written in the same
/// transaction.
pub(super) async fn notify_staff(
    tx: &mut TenantTx,
    actor: Option<UserId>,
    staff_user: Option<UserId>,
    title: &str,
    a: &Appointment,
) -> Result<Option<Notification>, AppError> {
    let Some(recipient) = staff_user.filter(|u| Some(*u) != actor) else { return Ok(None) };
    let service = if a.service_name.is_empty() { String::new() } else { format!(", {}", a.service_name) };
    let message = format!("{}{service}: {} {}–{}", a.client_name, a.date, a.start_time, a.end_time);
    let link = format!("/calendar?date={}", a.date);
    let note = notifications::create(tx, NewNotification {
        user_id: recipient, kind: "info", title, message: &message, link: Some(&link),
    })
    .await?;
    Ok(Some(note))
}

/// Keeps the client's messages about the visit in step with a change, in its transaction:
/// `before` is `None` for a new booking, `after` `None` for a deleted visit.
pub(super) async fn tell_client(
    tx: &mut TenantTx,
    before: Option<&Appointment>,
    after: Option<&Appointment>,
) -> Result<(), AppError> {
    let state = |a: &Appointment| VisitState {
        starts_at: a.starts_at,
        stage: match a.status {
            Status::Scheduled | Status::Confirmed => Stage::Upcoming,
            Status::Cancelled => Stage::CalledOff,
            Status::Arrived | Status::NoShow | Status::Completed => Stage::Over,
        },
    };
    let (id, after) = match (before, after) {
        (_, Some(a)) => (a.id, state(a)),
        (Some(b), None) => (b.id, VisitState { stage: Stage::CalledOff, ..state(b) }),
        (None, None) => return Ok(()),
    };
    visits::visit_changed(tx, id.get(), before.map(state), after).await
}

/// A change of `a` for the salon's sockets whose users may see the calendar, shown as the
/// calendar's answers show it: without the client to users limited to their own clients when
/// neither the client nor the visit is theirs, and without the phone to users who may not see
/// clients' data.
pub(super) fn event(kind: &str, data: &impl serde::Serialize, a: &Appointment, staff_user: Option<UserId>) -> Event {
    permission!(ClientsData = "appointments.view_clients_data");
    Event::new(kind, data)
        .requires::<AppointmentsView>()
        .showing_client(a.client_id, &["clientId", "clientName", "clientPhone", "notes"])
        .concerning(staff_user)
        .hiding_unless::<ClientsData>(&["clientPhone"])
}

/// After commit: the change to the salon's sockets, the notification to its user.
pub(super) async fn broadcast(hub: &Hub, salon: SalonId, event: Event, note: Option<Notification>) {
    hub.publish(salon, &event).await;
    if let Some(note) = note {
        notifications::announce(hub, salon, &note).await;
    }
}
