//! Stock movements: the only way a product's quantity changes.
//!
//! A product's quantity is the sum of its movements' signed changes. [`record`] locks the
//! product row (`for update`), checks the salon's rule on negative stock, inserts the movement
//! and updates the cached `products.quantity_milli` in the caller's transaction, so concurrent
//! write-offs queue on the lock and none can overdraw. When the quantity falls from above the
//! product's minimum to at or below it, every active admin and manager gets a notification.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{model::Product, quantity::Quantity, store};
use crate::{
    error::AppError,
    http::page::Rows,
    ids::{ProductId, UserId},
    notifications::{self, NewNotification, Notification},
    realtime::{Event, Hub},
    tenancy::{Lock, SalonId, TenantTx},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum MovementKind {
    /// Goods received: adds `quantity`.
    In,
    /// Goods written off or sold: subtracts `quantity`.
    Out,
    /// Stock-taking: `quantity` is the counted stock; the difference is stored.
    Adjustment,
}

/// A stock movement as the history answers it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Movement {
    pub id: i64,
    pub product_id: ProductId,
    #[serde(rename = "type")]
    pub kind: MovementKind,
    /// `in`/`out`: the amount moved (positive); `adjustment`: the signed difference it made.
    pub quantity: Quantity,
    pub reason: Option<String>,
    pub document_number: Option<String>,
    /// The user who recorded it.
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// Extension: the product's quantity right after this movement.
    pub balance_after: Quantity,
}

/// What a caller asks to move.
#[derive(Debug, Clone, Copy)]
pub struct StockChange<'a> {
    pub product_id: ProductId,
    pub kind: MovementKind,
    /// `in`/`out`: the amount (> 0); `adjustment`: the counted quantity (>= 0).
    pub quantity: Quantity,
    pub reason: Option<&'a str>,
    pub document_number: Option<&'a str>,
    pub created_by: Option<UserId>,
}

/// The outcome of [`record`].
#[derive(Debug)]
pub struct Moved {
    pub movement: Movement,
    pub before: Quantity,
    pub after: Quantity,
    /// Set when this movement took the product to its minimum; announce it after commit.
    pub low_stock: Option<LowStock>,
}

/// A product that just reached its minimum and the notifications written about it.
#[derive(Debug)]
pub struct LowStock {
    pub product: Product,
    pub notes: Vec<Notification>,
}

/// Records one movement in the caller's transaction.
///
/// Errors (422, nothing written): `productId` when the product is unknown, archived or another
/// salon's; `quantity` when it is not positive (`in`/`out`) or negative (`adjustment`);
/// `insufficient_stock` when an `out` would take the stock below zero and the salon does not
/// allow negative stock.
pub async fn record(tx: &mut TenantTx, change: StockChange<'_>) -> Result<Moved, AppError> {
    let q = change.quantity;
    match change.kind {
        MovementKind::In | MovementKind::Out if q.milli() <= 0 => {
            return Err(AppError::field("quantity", "Кількість має бути більшою за нуль"));
        }
        MovementKind::Adjustment if q.milli() < 0 => {
            return Err(AppError::field("quantity", "Кількість не може бути від'ємною"));
        }
        _ => {}
    }
    // The row lock serialises every movement of this product: the check below sees the
    // quantity the previous movement committed, never a stale one.
    let locked = sqlx::query!(
        r#"select p.quantity_milli, p.min_quantity_milli, p.is_active, s.allow_negative_stock as "allow_negative_stock!"
         from products p cross join salon_facts s
         where p.id = $1 and p.archived_at is null
         for update of p"#,
        change.product_id as ProductId,
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::field("productId", "Товар не знайдено"))?;
    let before = Quantity(locked.quantity_milli);
    let delta = match change.kind {
        MovementKind::In => q,
        MovementKind::Out => Quantity(-q.milli()),
        MovementKind::Adjustment => Quantity(q.milli() - before.milli()),
    };
    let after = before.checked_add(delta).ok_or_else(|| AppError::field("quantity", "Завелика кількість"))?;
    if after.milli() < 0 && !locked.allow_negative_stock {
        return Err(AppError::unprocessable(
            "insufficient_stock",
            format!("Недостатньо товару на складі: залишок {before}, потрібно {q}"),
        ));
    }
    let movement = sqlx::query_as!(
        Movement,
        r#"insert into stock_movements (product_id, kind, delta_milli, reason, document_number, created_by)
         values ($1, $2, $3, $4, $5, $6)
         returning id, product_id, kind as "kind: MovementKind",
                   case when kind = 'adjustment' then delta_milli else abs(delta_milli) end as "quantity!: Quantity",
                   reason, document_number, created_by as "created_by: UserId", created_at,
                   $7::bigint as "balance_after!: Quantity""#,
        change.product_id as ProductId,
        change.kind as MovementKind,
        delta as Quantity,
        change.reason,
        change.document_number,
        change.created_by as Option<UserId>,
        after as Quantity,
    )
    .fetch_one(tx.conn())
    .await?;
    sqlx::query!(
        "update products set quantity_milli = $2, updated_at = now(),
                last_restock_at = case when $3 then now() else last_restock_at end
         where id = $1",
        change.product_id as ProductId,
        after as Quantity,
        change.kind == MovementKind::In,
    )
    .execute(tx.conn())
    .await?;
    let min = locked.min_quantity_milli;
    let crossed = locked.is_active && before.milli() > min && after.milli() <= min;
    let low_stock = if crossed { Some(notify_low_stock(tx, change.product_id).await?) } else { None };
    Ok(Moved { movement, before, after, low_stock })
}

/// Writes a warning for every active admin and manager of the salon.
async fn notify_low_stock(tx: &mut TenantTx, product_id: ProductId) -> Result<LowStock, AppError> {
    let product = store::find(tx, product_id, Lock::No).await?.ok_or(AppError::NotFound)?;
    let recipients = crate::auth::active_users_with_roles(tx, &[crate::auth::Role::Admin, crate::auth::Role::Manager]).await?;
    let unit = product.unit.label();
    let title = if product.quantity.milli() <= 0 { "Товар закінчився" } else { "Товар закінчується" };
    let message = format!(
        "«{}» (артикул {}): залишок {} {unit}, мінімум {} {unit}",
        product.name, product.sku, product.quantity, product.min_quantity
    );
    let mut notes = Vec::with_capacity(recipients.len());
    for user_id in recipients {
        let note = notifications::create(tx, NewNotification {
            user_id: UserId::from(user_id), kind: "warning", title, message: &message, link: Some("/inventory"),
        })
        .await?;
        notes.push(note);
    }
    Ok(LowStock { product, notes })
}

/// After commit: `inventory:low-stock` to the salon's sockets whose users may see the
/// inventory (the product as someone without `inventory.cost.view` sees it) and each
/// notification to its user. Never fails.
pub async fn announce(hub: &Hub, salon: SalonId, low: &LowStock) {
    let event = Event::new("inventory:low-stock", &low.product.clone().without_cost()).requires::<super::InventoryView>();
    hub.publish(salon, &event).await;
    for note in &low.notes {
        notifications::announce(hub, salon, note).await;
    }
}

/// The product's movements, newest first, each with the stock right after it.
pub async fn history(tx: &mut TenantTx, product_id: ProductId, rows: Rows) -> Result<Vec<Movement>, AppError> {
    Ok(sqlx::query_as!(
        Movement,
        r#"select h.id as "id!", h.product_id as "product_id!", h.kind as "kind!: MovementKind",
                  h.quantity as "quantity!: Quantity", h.reason, h.document_number,
                  h.created_by as "created_by: UserId",
                  h.created_at as "created_at!", h.balance_after as "balance_after!: Quantity"
         from (
             select m.id, m.product_id, m.kind,
                    case when m.kind = 'adjustment' then m.delta_milli else abs(m.delta_milli) end as quantity,
                    m.reason, m.document_number, m.created_by, m.created_at,
                    (sum(m.delta_milli) over (order by m.id))::bigint as balance_after
             from stock_movements m
             where m.product_id = $1
         ) h
         order by h.id desc
         limit $2 offset $3"#,
        product_id as ProductId,
        rows.limit,
        rows.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}

pub async fn history_len(tx: &mut TenantTx, product_id: ProductId) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(r#"select count(*) as "count!" from stock_movements where product_id = $1"#, product_id as ProductId)
        .fetch_one(tx.conn())
        .await?)
}
