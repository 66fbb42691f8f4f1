//! What a user may see of and change in appointments, beyond the route's permission id.
//!
//! - `clients.show` = `own`: the user's own appointments are those of their staff profile; a
//!   client is theirs when that profile has served them (see [`crate::clients`]). Other
//!   appointments stay on the calendar (the slot is busy) with the client hidden: no `clientId`,
//!   `clientName` [`HIDDEN_CLIENT`], no phone, no notes. Only own appointments can be changed,
//!   and an appointment can only be linked to one of the user's clients.
//! - `appointments.view_clients_data` off: `clientPhone` is `""` in every answer.
//! - A change needs the id of each field it really changes (the edit modal sends the whole form
//!   back, so fields equal to the stored value need nothing); see [`check_changes`].

use std::collections::HashSet;

use super::model::{Appointment, AppointmentChanges, AppointmentDetails, Status};
use crate::messaging::SentMessage;
use crate::{
    auth::CurrentUser,
    error::AppError,
    ids::{ClientId, StaffId, UserId},
    tenancy::TenantTx,
};

/// `clientName` of an appointment whose client the user may not see.
pub const HIDDEN_CLIENT: &str = "Клієнт іншого майстра";

/// How appointments are shown to one user.
#[derive(Debug, Clone)]
pub struct Visibility {
    /// `clients.show` = `own`: the user's staff profiles and the clients they have served.
    own: Option<(Vec<StaffId>, HashSet<ClientId>)>,
    phones: bool,
}

impl Visibility {
    pub async fn of(tx: &mut TenantTx, user: &CurrentUser) -> Result<Self, AppError> {
        let own = match crate::clients::own_scope(user) {
            Some(user_id) => {
                let staff = own_staff(tx, user_id).await?;
                let clients = served_clients(tx, &staff).await?;
                Some((staff, clients))
            }
            None => None,
        };
        Ok(Visibility {
            own,
            phones: user.may("appointments.view_clients_data"),
        })
    }

    /// A key part naming what this user's answers depend on (for the versioned answer cache).
    pub fn cache_key(user: &CurrentUser) -> String {
        format!(
            "own={:?} phones={}",
            crate::clients::own_scope(user),
            user.may("appointments.view_clients_data")
        )
    }

    fn sees_client(&self, a: &Appointment) -> bool {
        match &self.own {
            None => true,
            Some((staff, clients)) => {
                a.staff_id.is_some_and(|s| staff.contains(&s)) || a.client_id.is_some_and(|c| clients.contains(&c))
            }
        }
    }

    /// The appointment and its client's messages as this user may see them: a recipient is
    /// the client's phone or e-mail, hidden whenever the phone is.
    pub fn apply_details(&self, a: Appointment, mut notifications: Vec<SentMessage>) -> AppointmentDetails {
        if !self.phones || !self.sees_client(&a) {
            notifications.iter_mut().for_each(|n| n.recipient = String::new());
        }
        AppointmentDetails { appointment: self.apply(a), notifications }
    }

    /// The appointment as this user may see it.
    pub fn apply(&self, mut a: Appointment) -> Appointment {
        if !self.sees_client(&a) {
            a.client_id = None;
            a.client_name = HIDDEN_CLIENT.to_owned();
            a.client_phone = String::new();
            a.notes = String::new();
        }
        if !self.phones {
            a.client_phone = String::new();
        }
        a
    }
}

/// Staff profiles linked to the user.
pub async fn own_staff(tx: &mut TenantTx, user_id: UserId) -> Result<Vec<StaffId>, AppError> {
    crate::staff::profiles_of_user(tx, user_id).await
}

/// The clients of live appointments with these members.
async fn served_clients(tx: &mut TenantTx, staff: &[StaffId]) -> Result<HashSet<ClientId>, AppError> {
    if staff.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<ClientId> = sqlx::query_scalar!(
        r#"select distinct client_id as "client_id!: ClientId" from appointments
         where client_id is not null and deleted_at is null and staff_id = any($1)"#,
        staff as &[StaffId],
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(ids.into_iter().collect())
}

/// With `clients.show` = `own`: 403 unless the appointment is of the user's own staff profile.
pub async fn ensure_own(tx: &mut TenantTx, user: &CurrentUser, a: &Appointment) -> Result<(), AppError> {
    if let Some(user_id) = crate::clients::own_scope(user) {
        let staff = own_staff(tx, user_id).await?;
        if !a.staff_id.is_some_and(|s| staff.contains(&s)) {
            return Err(AppError::Forbidden);
        }
    }
    Ok(())
}

fn need(user: &CurrentUser, id: &str) -> Result<(), AppError> {
    if user.may(id) { Ok(()) } else { Err(AppError::Forbidden) }
}

fn differs<T: PartialEq>(new: Option<T>, old: T) -> bool {
    new.is_some_and(|n| n != old)
}

/// 403 unless the user may make each change `c` really makes to `before`
/// (`appointments.edit` itself is the route's):
///
/// | change | id |
/// |---|---|
/// | any change of an appointment in status `arrived` | `appointments.edit.status_arrived` |
/// | any change of a `completed` (paid) appointment | `appointments.edit.paid_confirmed` |
/// | `price` | `appointments.edit.price` |
/// | `staffId`, `date`, `startTime` | `appointments.edit.staff_time` |
/// | the length (end minus start) | `appointments.edit.duration` |
/// | `notes` | `appointments.edit.comment` |
/// | `service`, `serviceId` | `appointments.edit.services` |
/// | the client (`clientId`, `clientName`, `clientPhone`) | `appointments.view_clients_dropdown` |
/// | status → `completed` (records the visit's payment) | `appointments.process_payment` |
/// | status → `cancelled` | `appointments.delete` |
///
/// With `clients.show` = `own`, only appointments of the user's own staff profile change.
pub async fn check_changes(
    tx: &mut TenantTx,
    user: &CurrentUser,
    before: &Appointment,
    c: &AppointmentChanges,
) -> Result<(), AppError> {
    ensure_own(tx, user, before).await?;
    match before.status {
        Status::Arrived => need(user, "appointments.edit.status_arrived")?,
        Status::Completed => need(user, "appointments.edit.paid_confirmed")?,
        _ => {}
    }
    if differs(c.price, before.price) {
        need(user, "appointments.edit.price")?;
    }
    let start = c.start_time.unwrap_or(before.start_time);
    let end = c.end_time.unwrap_or(before.end_time);
    if differs(c.staff_id, before.staff_id)
        || differs(c.date.map(|d| d.0), before.date.0)
        || differs(c.start_time, before.start_time)
    {
        need(user, "appointments.edit.staff_time")?;
    }
    if end.0 - start.0 != before.end_time.0 - before.start_time.0 {
        need(user, "appointments.edit.duration")?;
    }
    if differs(c.notes.as_deref().map(str::trim), before.notes.as_str()) {
        need(user, "appointments.edit.comment")?;
    }
    if differs(c.service.as_deref().map(str::trim), before.service_name.as_str())
        || c.service_id.is_some_and(|s| before.service_id != Some(s))
    {
        need(user, "appointments.edit.services")?;
    }
    if differs(c.client_name.as_deref().map(str::trim), before.client_name.as_str())
        || differs(c.client_phone.as_deref().map(str::trim), before.client_phone.as_str())
        || c.client_id.is_some_and(|id| before.client_id != Some(id))
    {
        need(user, "appointments.view_clients_dropdown")?;
    }
    match c.status {
        Some(Status::Completed) if before.status != Status::Completed => need(user, "appointments.process_payment")?,
        Some(Status::Cancelled) if before.status != Status::Cancelled => need(user, "appointments.delete")?,
        _ => {}
    }
    Ok(())
}
