//! Finances (contract §3.7): payment methods, cash registers, money operations, documents with
//! gap-free numbering, receipts with a PDF, the dashboard and the period export.
//!
//! Money is exact end to end ([`Money`], bigint kopiykas). A register's balance is never
//! stored: it is the sum of its completed operations, computed in SQL. Operations are never
//! rewritten: a correction is a reversing operation or an audited edit of description,
//! category or date.
//!
//! Permissions (ids of `policies/permissions.txt`):
//!
//! | routes | permission |
//! |---|---|
//! | `GET /finances/payment-methods`, `GET /finances/cash-registers` (pickers of the forms), `GET /finances/documents` | `finances` (the module switch) |
//! | `GET /finances/operations`, `GET /finances/dashboard` | `finances.movements.view` |
//! | `POST /finances/operations` of type `payment` or `refund` (money from or back to a client at the till) | `finances.movements.view` and `appointments.process_payment` |
//! | `POST /finances/operations` of any other type (income, expense, deposit, withdrawal, transfer) | `finances.movements.view` and `finances.accounts_cashboxes.access` |
//! | `PUT /finances/operations/{id}`, `POST /finances/operations/{id}/reverse` (corrections of the books) | `finances.accounts_cashboxes.access` |
//! | `POST /finances/documents`, `PATCH /finances/documents/{id}/status` | `finances.accounts_cashboxes.access` |
//! | `/finances/receipts` (read, create, PDF, e-mail) | `finances.receipt.print` |
//! | `POST/PUT/DELETE /finances/payment-methods` | `finances.payment_settings` |
//! | `POST/PUT/DELETE /finances/cash-registers` | `finances.accounts_cashboxes.access` |
//! | `GET /finances/export` | `finances.reports.period` |
//!
//! Other modules call [`record_visit_income`] (the calendar, when a visit is completed).

mod common;
pub mod dashboard;
mod defaults;
pub mod documents;
pub mod enums;
mod export;
mod http;
mod items;
mod methods;
pub mod operations;
mod pdf;
pub mod receipts;
mod registers;
pub mod router;

use crate::{error::AppError, ids::{AppointmentId, ClientId, UserId}, money::Money, tenancy::TenantTx};

pub use defaults::ensure_defaults;
pub use documents::model::Document;
pub use methods::PaymentMethod;
pub use operations::model::Operation;
pub use receipts::{EmailReceipt, model::Receipt};
pub use registers::CashRegister;

crate::permission!(FinancesModule = "finances");
crate::permission!(MovementsView = "finances.movements.view");
crate::permission!(ReceiptPrint = "finances.receipt.print");
crate::permission!(PaymentSettings = "finances.payment_settings");
crate::permission!(AccountsCashboxes = "finances.accounts_cashboxes.access");
/// The payment-taking id of the appointment window: client payments and refunds.
pub const TAKE_PAYMENT: &str = "appointments.process_payment";
crate::permission!(ReportsPeriod = "finances.reports.period");

/// Records the payment of a visit that has just been completed and paid, in the caller's
/// transaction: a completed `payment` of `amount` into the salon's main register, linked to
/// the appointment and the client, dated now on the salon's clock.
///
/// Idempotent per appointment (a unique key on `(salon_id, appointment_id)`): a second call
/// for the same appointment, or one for a visit whose receipt already recorded the payment,
/// creates nothing. A non-positive amount records nothing.
pub async fn record_visit_income(
    tx: &mut TenantTx,
    appointment_id: AppointmentId,
    client_id: Option<ClientId>,
    amount: Money,
    description: &str,
    user_id: UserId,
) -> Result<(), AppError> {
    operations::record_visit_income(tx, appointment_id, client_id, amount, description, user_id).await
}
