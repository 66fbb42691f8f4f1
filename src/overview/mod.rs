//! The overview (contract §3.9): appointment records, client reviews and the audit trail.
//!
//! The lists answer the envelope of contract §10, decision 1: `{"data": [...], "meta": {page,
//! perPage, total, totalPages, statistics?}}`. Items carry the screens' fields (open point 19)
//! and the library's names beside them. Every id in an overview body is a numeric string
//! (`"42"`); ids sent to the overview may be numbers or numeric strings.
//!
//! # The read model
//!
//! Only reviews are stored by this module. Records, reviews' names and changes are one read
//! model over views that the owning domains export (migrations/0010_domain_exports.sql), joined
//! in one query per page instead of one call per row; the overview names no other domain's
//! table (scripts/check-table-owners.py):
//!
//! | view | owner | what the overview reads from it |
//! |---|---|---|
//! | `calendar_appointments` | calendar | the records themselves (live appointments) |
//! | `client_contacts` | clients | a record's phone when the booking has none; a review's client |
//! | `staff_names` | staff | the member's name; `clients.show` = `own` by account |
//! | `catalog_services` | catalog | a record's service category |
//! | `user_names` | auth | who created a record, who made a change |
//! | `finance_visit_payments` | finances | what a visit was paid, and how |
//! | `audit_trail` | audit | the changes list and a record's history |
//! | `salon_facts` | tenancy | the salon's time zone for date filters |
//!
//! Every view runs with the caller's rights (`security_invoker`), so row-level security keeps
//! each salon's rows to itself exactly as on the tables. Names are `person_name()`: first and
//! last name, else the e-mail.
//!
//! Paging: `limit`/`offset` (the library) or `page`/`perPage` (the specs), read by
//! [`crate::http::page::Paged`]: `limit`/`offset` win, 20 rows by default, at most 100.
//!
//! Date filters (`dateFrom`, `dateTo`, `createdFrom`, ...) are calendar dates on the salon's
//! wall clock (the salon's time zone), both ends inclusive: a change made at 23:30 Kyiv time belongs
//! to that Kyiv day, not to the UTC one.
//!
//! Permissions (ids of `policies/permissions.txt`):
//!
//! | routes | permission |
//! |---|---|
//! | `GET /overview/records` | `overview.appointments.view` |
//! | `GET /overview/reviews`, `POST /overview/reviews` | `overview.reviews.view` (the matrix has no separate id for adding a review; whoever may see the reviews tab may record one) |
//! | `GET /overview/changes` | `overview.summary` |

mod changes;
mod describe;
mod http;
mod records;
mod records_store;
mod reviews;
mod reviews_store;
pub mod router;

use crate::{error::AppError, permission};

permission!(RecordsView = "overview.appointments.view");
permission!(ReviewsView = "overview.reviews.view");
permission!(ChangesView = "overview.summary");

/// Checks that a date range is not reversed.
pub(crate) fn check_range<T: PartialOrd>(
    from: Option<T>,
    to: Option<T>,
    field: &str,
) -> Result<(), AppError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => {
            Err(AppError::field(field, "Кінець періоду раніше за початок"))
        }
        _ => Ok(()),
    }
}
