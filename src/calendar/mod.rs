//! The calendar: appointments, free-slot search, and the rules that keep a member from being
//! booked twice (the `appointments_no_overlap` constraint has the final word).

mod announce;
mod availability;
mod book;
mod edit;
pub mod facts;
mod http;
mod model;
pub mod online;
pub mod router;
mod scope;
pub mod slots;
mod store;

crate::permission!(AppointmentsView = "appointments");
crate::permission!(AppointmentsCreate = "appointments.create");
crate::permission!(AppointmentsEdit = "appointments.edit");
crate::permission!(AppointmentsDelete = "appointments.delete");

pub use model::{Appointment, Kind, Status};

use crate::{error::AppError, ids::UserId, tenancy::TenantTx};

/// The appointments of the user's member profiles on `date` (salon time), not cancelled, by
/// start: a master's day.
pub async fn day_of_user(tx: &mut TenantTx, user_id: UserId, date: chrono::NaiveDate) -> Result<Vec<Appointment>, AppError> {
    let members = crate::staff::profiles_of_user(tx, user_id).await?;
    store::of_members_on(tx, &members, date).await
}
