//! Product changes that touch stock: creating a product with an initial quantity and editing
//! one whose quantity changed both go through stock movements, so a product's quantity is
//! always the sum of its movements. Used by the handlers and the import.

use serde::Serialize;

use super::{
    input::ProductValues,
    model::Product,
    quantity::Quantity,
    stock::{self, LowStock, MovementKind, StockChange},
    store,
};
use crate::{
    error::AppError,
    ids::{ProductId, UserId},
    tenancy::{Lock, TenantTx},
};

/// Inserts a product; a positive initial quantity becomes an `in` movement with `reason`.
pub async fn create(
    tx: &mut TenantTx,
    values: &ProductValues,
    user_id: UserId,
    reason: &str,
) -> Result<Product, AppError> {
    let id = store::insert(tx, values).await?;
    let initial = values.quantity.unwrap_or(Quantity::ZERO);
    if initial.milli() > 0 {
        stock::record(tx, StockChange {
            product_id: id, kind: MovementKind::In, quantity: initial, reason: Some(reason),
            document_number: None, created_by: Some(user_id),
        })
        .await?;
    }
    store::find(tx, id, Lock::No).await?.ok_or(AppError::NotFound)
}

/// A product before and after an edit, and the low-stock alert the edit may have raised.
pub struct Edited {
    pub before: Product,
    pub after: Product,
    pub low_stock: Option<LowStock>,
}

/// Applies `values` to a live product (`None` when it does not exist). A quantity that differs
/// from the stock is recorded as an `adjustment` with `reason`, after the other fields, so a
/// new minimum counts when deciding whether stock just fell to it.
pub async fn update(
    tx: &mut TenantTx,
    id: ProductId,
    values: &ProductValues,
    user_id: UserId,
    reason: &str,
) -> Result<Option<Edited>, AppError> {
    let Some(before) = store::find(tx, id, Lock::ForUpdate).await? else { return Ok(None) };
    if !store::update(tx, id, values).await? {
        return Ok(None);
    }
    let mut low_stock = None;
    if let Some(counted) = values.quantity.filter(|q| *q != before.quantity) {
        let moved = stock::record(tx, StockChange {
            product_id: id, kind: MovementKind::Adjustment, quantity: counted, reason: Some(reason),
            document_number: None, created_by: Some(user_id),
        })
        .await?;
        low_stock = moved.low_stock;
    }
    let after = store::find(tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    Ok(Some(Edited { before, after, low_stock }))
}

/// A value as JSON for the audit trail.
pub(super) fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}
