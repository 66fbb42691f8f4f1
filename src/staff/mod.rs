//! Staff members (contract §3.5): who works in the salon, their user accounts, the services
//! they perform, and when they work (weekly pattern plus exceptions, in the salon's wall-clock
//! time).
//!
//! Other domains use [`working_windows`], [`active_member`], [`performing`],
//! [`performing_any`], [`profiles_of_user`] and [`exists`] rather than the tables; their SQL
//! reads the `staff_names` view (migrations/0010_domain_exports.sql).

mod http;
mod members;
pub mod model;
mod schedule;
pub mod schedule_input;
mod schedule_store;
#[cfg(test)]
mod schedule_tests;
mod store;
pub mod windows;
pub mod router;

use chrono::NaiveDate;

use crate::{error::AppError, ids::{ServiceId, StaffId, UserId}, tenancy::TenantTx};

crate::permission!(StaffWrite = "settings.staff.access");
crate::permission!(ScheduleEdit = "settings.schedule.edit");

pub use model::{Staff, StaffDetail, StaffStatistics};
pub use windows::{DayWindows, ExceptionKind};

/// Working intervals per member and local date in `from..=to`, after exceptions
/// (dayoff/vacation/sick → no intervals; hours → exactly that interval). Only active,
/// non-deleted members; `staff_ids: None` = all of them. Members without a weekly schedule
/// work [`DEFAULT_HOURS`].
///
/// Sorted by member id, then date; only dates with at least one interval appear, and each
/// day's intervals are sorted and non-overlapping. Two queries for the whole range.
pub async fn working_windows(
    tx: &mut TenantTx,
    staff_ids: Option<&[StaffId]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayWindows>, AppError> {
    if to < from || staff_ids.is_some_and(<[StaffId]>::is_empty) {
        return Ok(Vec::new());
    }
    let mut pattern = schedule_store::active_pattern(tx, staff_ids).await?;
    let exceptions = schedule_store::active_exceptions(tx, staff_ids, from, to).await?;
    // A member whose weekly schedule was never set up (the web app's staff form cannot set
    // one yet) works the default hours every day, so the calendar stays usable.
    let scheduled: std::collections::HashSet<StaffId> = pattern.iter().map(|p| p.staff_id).collect();
    let active = store::all_active(tx).await?;
    for staff_id in active.into_iter().filter(|id| !scheduled.contains(id)) {
        if staff_ids.is_some_and(|ids| !ids.contains(&staff_id)) {
            continue;
        }
        pattern.extend((1..=7).map(|weekday| windows::PatternRow {
            staff_id,
            weekday,
            starts: DEFAULT_HOURS.0,
            ends: DEFAULT_HOURS.1,
        }));
    }
    Ok(windows::compute(&pattern, &exceptions, from, to))
}

/// Working hours assumed, every day, for a member without a weekly schedule: 09:00–21:00.
pub const DEFAULT_HOURS: (chrono::NaiveTime, chrono::NaiveTime) = (
    chrono::NaiveTime::from_hms_opt(9, 0, 0).expect("valid time"),
    chrono::NaiveTime::from_hms_opt(21, 0, 0).expect("valid time"),
);

/// What an appointment needs to know about a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRef {
    pub id: StaffId,
    pub user_id: Option<UserId>,
    pub first_name: String,
    pub last_name: String,
}

/// The member if they exist, are active and not deleted (for appointment validation).
///
/// The row stays locked (`for no key update`) until the transaction ends. That serialises the
/// bookings of one member: concurrent inserts into the no-overlap exclusion constraint would
/// otherwise each wait for the other's tuple, a deadlock PostgreSQL breaks by failing one with
/// 40P01 (seen under 50 simultaneous bookings of one slot). And a concurrent
/// `DELETE /staff/{id}` either waits for the booking (and then sees it) or has already removed
/// the member.
pub async fn active_member(tx: &mut TenantTx, staff_id: StaffId) -> Result<Option<StaffRef>, AppError> {
    store::active_member(tx, staff_id).await
}

/// Like [`active_member`] without the lock, for searches that change nothing.
pub async fn peek_member(tx: &mut TenantTx, staff_id: StaffId) -> Result<Option<StaffRef>, AppError> {
    store::peek_member(tx, staff_id).await
}

/// Active members who perform a service, by id; all active members when no active member is
/// linked to it.
pub async fn performing(tx: &mut TenantTx, service_id: ServiceId) -> Result<Vec<StaffId>, AppError> {
    store::performing(tx, service_id).await
}

/// The member profiles linked to an account, deleted ones included (their appointments still
/// are the account's).
pub async fn profiles_of_user(tx: &mut TenantTx, user_id: UserId) -> Result<Vec<StaffId>, AppError> {
    Ok(sqlx::query_scalar!(r#"select id as "id: StaffId" from staff where user_id = $1"#, user_id as UserId)
        .fetch_all(tx.conn())
        .await?)
}

/// Whether a live (not deleted) member has this id.
pub async fn exists(tx: &mut TenantTx, id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(r#"select exists(select 1 from staff where id = $1 and deleted_at is null) as "exists!""#, id)
        .fetch_one(tx.conn())
        .await?)
}

/// Every active, non-deleted member, by id (availability without a service).
pub async fn performing_any(tx: &mut TenantTx) -> Result<Vec<StaffId>, AppError> {
    store::all_active(tx).await
}
