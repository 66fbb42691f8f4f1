//! SQL of receipts. A receipt joins its document (number, date, lines) and its operation
//! (register, client, method, time).

use super::model::{Receipt, ReceiptFilter};
use crate::{
    catalog::contains_pattern,
    finances::{
        documents,
        enums::{ReceiptSource, ReceiptStatus},
    },
    http::error::{AppError, constraint_of},
    money::Money,
    tenancy::TenantTx,
};

macro_rules! receipt_columns {
    () => {
        "select r.id, d.date, coalesce(d.series_number, d.number) as receipt_number, d.number as document_number,
                r.document_id, r.operation_id, r.appointment_id, o.cash_register_id,
                coalesce(cr.name, o.cash_register_text) as cash_register, o.client_id, o.client_name as client,
                o.payment_method_id, coalesce(pm.name, o.payment_method_text) as payment_method,
                r.paid_minor as amount, r.total_minor as total, r.status, r.balance_after_minor as balance_after,
                r.source, d.author, d.comment, o.occurred_at as paid_at, r.created_at, r.updated_at"
    };
}

macro_rules! receipt_from {
    () => {
        " from finance_receipts r
         join finance_documents d on d.salon_id = r.salon_id and d.id = r.document_id
         join finance_operations o on o.salon_id = r.salon_id and o.id = r.operation_id
         left join payment_methods pm on pm.salon_id = o.salon_id and pm.id = o.payment_method_id
         left join cash_registers cr on cr.salon_id = o.salon_id and cr.id = o.cash_register_id "
    };
}

pub struct ReceiptRow {
    pub document_id: i64,
    pub operation_id: i64,
    pub appointment_id: Option<i64>,
    pub total: Money,
    pub paid: Money,
    pub balance_after: Money,
    pub source: ReceiptSource,
    pub status: ReceiptStatus,
}

pub async fn insert(tx: &mut TenantTx, r: &ReceiptRow) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "insert into finance_receipts (document_id, operation_id, appointment_id, total_minor, paid_minor,
             balance_after_minor, source, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
    )
    .bind(r.document_id)
    .bind(r.operation_id)
    .bind(r.appointment_id)
    .bind(r.total)
    .bind(r.paid)
    .bind(r.balance_after)
    .bind(r.source)
    .bind(r.status)
    .fetch_one(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("finance_receipts_salon_id_operation_id_key") => {
            AppError::conflict("receipt_exists", "Чек на цю оплату вже є")
        }
        _ => e.into(),
    })
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Receipt>, AppError> {
    let found: Option<Receipt> = sqlx::query_as(concat!(receipt_columns!(), receipt_from!(), "where r.id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    let Some(mut receipt) = found else { return Ok(None) };
    receipt.items = documents::store::items_of(tx, receipt.document_id).await?;
    Ok(Some(receipt))
}

/// Whether an operation already has its receipt.
pub async fn exists_for_operation(tx: &mut TenantTx, operation_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar("select exists (select 1 from finance_receipts where operation_id = $1)")
        .bind(operation_id)
        .fetch_one(tx.conn())
        .await?)
}

/// Cancels the live receipt paid by an operation; answers its id and document.
pub async fn cancel_by_operation(tx: &mut TenantTx, operation_id: i64) -> Result<Option<(i64, i64)>, AppError> {
    let found: Option<(i64, i64)> = sqlx::query_as(
        "update finance_receipts set status = 'cancelled', updated_at = now()
         where operation_id = $1 and status <> 'cancelled'
         returning id, document_id",
    )
    .bind(operation_id)
    .fetch_optional(tx.conn())
    .await?;
    if let Some((_, document_id)) = found {
        sqlx::query("update finance_documents set status = 'cancelled', updated_at = now() where id = $1")
            .bind(document_id)
            .execute(tx.conn())
            .await?;
    }
    Ok(found)
}

pub async fn list(tx: &mut TenantTx, f: &ReceiptFilter) -> Result<Vec<Receipt>, AppError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let limit = f.limit.map(|l| l.clamp(1, 10_000));
    let offset = match (f.offset, f.page, limit) {
        (Some(o), _, _) => o.max(0),
        (None, Some(page), Some(l)) => (page.max(1) - 1).saturating_mul(l),
        _ => 0,
    };
    let mut list: Vec<Receipt> = sqlx::query_as(concat!(
        receipt_columns!(), ", count(*) over () as total_count", receipt_from!(),
        "where ($1::date is null or d.date >= $1)
           and ($2::date is null or d.date <= $2)
           and ($3::text is null or r.status = $3)
           and ($4::text is null or r.source = $4)
           and ($5::bigint is null or o.cash_register_id = $5)
           and ($6::text is null or lower(coalesce(cr.name, o.cash_register_text)) = lower($6))
           and ($7::bigint is null or o.client_id = $7)
           and ($8::text is null or d.number ilike $8 or d.series_number ilike $8 or o.client_name ilike $8)
         order by d.date desc, r.id desc
         limit $9 offset $10"
    ))
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.status)
    .bind(f.source)
    .bind(f.cash_register_id)
    .bind(text(&f.cash_register))
    .bind(f.client_id)
    .bind(text(&f.search).map(|s| contains_pattern(&s)))
    .bind(limit)
    .bind(offset)
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<i64> = list.iter().map(|r| r.document_id).collect();
    let mut items = documents::store::items_of_many(tx, &ids).await?;
    for receipt in &mut list {
        receipt.items = items.remove(&receipt.document_id).unwrap_or_default();
    }
    Ok(list)
}
