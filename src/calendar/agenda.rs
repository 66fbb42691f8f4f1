//! A member's day, as their own schedule shows it.

use chrono::NaiveDate;

use super::{model::Appointment, store};
use crate::{error::AppError, ids::UserId, staff, tenancy::TenantTx};

/// The appointments of the user's member profiles on `date` (salon time), not cancelled, by
/// start: a master's day.
pub async fn day_of_user(tx: &mut TenantTx, user_id: UserId, date: NaiveDate) -> Result<Vec<Appointment>, AppError> {
    let members = staff::profiles_of_user(tx, user_id).await?;
    store::of_members_on(tx, &members, date).await
}
