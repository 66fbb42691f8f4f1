//! SQL of receipts. A receipt joins its document (number, date, lines) and its operation
//! (register, client, method, time).

use super::model::{Receipt, ReceiptFilter};
use crate::{
    catalog::contains_pattern,
    clock::Ymd,
    finances::{
        documents,
        enums::{ReceiptSource, ReceiptStatus},
    },
    error::{AppError, constraint_of},
    http::page::Rows,
    ids::{AppointmentId, CashRegisterId, ClientId},
    money::Money,
    tenancy::TenantTx,
};

/// `query!` of the columns of [`Receipt`] from `finance_receipts r` with its document `d`,
/// operation `o`, method `pm` and register `cr`, then `$tail`, mapped to receipts without
/// lines. `counted:` fills `total_count` with the number of matches before `limit`/`offset`;
/// otherwise it is null.
macro_rules! query_receipt {
    (counted: $tail:literal $(, $arg:expr)* $(,)?) => {
        query_receipt!(@ "count(*) over ()", $tail $(, $arg)*)
    };
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        query_receipt!(@ "null::bigint", $tail $(, $arg)*)
    };
    (@ $count:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query!(
            r#"select r.id, d.date as "date: Ymd", coalesce(d.series_number, d.number) as "receipt_number!",
                 d.number as document_number, r.document_id, r.operation_id,
                 r.appointment_id as "appointment_id: AppointmentId", o.cash_register_id as "cash_register_id: CashRegisterId",
                 coalesce(cr.name, o.cash_register_text) as "cash_register!", o.client_id as "client_id: ClientId", o.client_name as client,
                 o.payment_method_id, coalesce(pm.name, o.payment_method_text) as "payment_method!",
                 r.paid_minor as "amount: Money", r.total_minor as "total: Money", r.status as "status: ReceiptStatus",
                 r.balance_after_minor as "balance_after: Money", r.source as "source: ReceiptSource", d.author,
                 d.comment, o.occurred_at as paid_at, r.created_at, r.updated_at, "#
                + $count
                + r#" as "total_count?"
             from finance_receipts r
             join finance_documents d on d.salon_id = r.salon_id and d.id = r.document_id
             join finance_operations o on o.salon_id = r.salon_id and o.id = r.operation_id
             left join payment_methods pm on pm.salon_id = o.salon_id and pm.id = o.payment_method_id
             left join cash_registers cr on cr.salon_id = o.salon_id and cr.id = o.cash_register_id "#
                + $tail
            $(, $arg)*
        )
        .map(|r| Receipt {
            id: r.id,
            date: r.date,
            receipt_number: r.receipt_number,
            document_number: r.document_number,
            document_id: r.document_id,
            operation_id: r.operation_id,
            appointment_id: r.appointment_id,
            cash_register_id: r.cash_register_id,
            cash_register: r.cash_register,
            client_id: r.client_id,
            client: r.client,
            payment_method_id: r.payment_method_id,
            payment_method: r.payment_method,
            amount: r.amount,
            total: r.total,
            status: r.status,
            balance_after: r.balance_after,
            source: r.source,
            author: r.author,
            comment: r.comment,
            paid_at: r.paid_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            items: Vec::new(),
            total_count: r.total_count,
        })
    };
}

pub struct ReceiptRow {
    pub document_id: i64,
    pub operation_id: i64,
    pub appointment_id: Option<AppointmentId>,
    pub total: Money,
    pub paid: Money,
    pub balance_after: Money,
    pub source: ReceiptSource,
    pub status: ReceiptStatus,
}

pub async fn insert(tx: &mut TenantTx, r: &ReceiptRow) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        "insert into finance_receipts (document_id, operation_id, appointment_id, total_minor, paid_minor,
             balance_after_minor, source, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
        r.document_id,
        r.operation_id,
        r.appointment_id as Option<AppointmentId>,
        r.total as Money,
        r.paid as Money,
        r.balance_after as Money,
        r.source as ReceiptSource,
        r.status as ReceiptStatus,
    )
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
    let found = query_receipt!("where r.id = $1", id).fetch_optional(tx.conn()).await?;
    let Some(mut receipt) = found else { return Ok(None) };
    receipt.items = documents::store::items_of(tx, receipt.document_id).await?;
    Ok(Some(receipt))
}

/// Whether an operation already has its receipt.
pub async fn exists_for_operation(tx: &mut TenantTx, operation_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from finance_receipts where operation_id = $1) as "exists!""#,
        operation_id,
    )
    .fetch_one(tx.conn())
        .await?)
}

/// Cancels the live receipt paid by an operation; answers its id and document.
pub async fn cancel_by_operation(tx: &mut TenantTx, operation_id: i64) -> Result<Option<(i64, i64)>, AppError> {
    let found = sqlx::query!(
        "update finance_receipts set status = 'cancelled', updated_at = now()
         where operation_id = $1 and status <> 'cancelled'
         returning id, document_id",
        operation_id,
    )
    .fetch_optional(tx.conn())
    .await?
    .map(|r| (r.id, r.document_id));
    if let Some((_, document_id)) = found {
        sqlx::query!("update finance_documents set status = 'cancelled', updated_at = now() where id = $1", document_id)
            .execute(tx.conn())
            .await?;
    }
    Ok(found)
}

pub async fn list(tx: &mut TenantTx, f: &ReceiptFilter, rows: Rows) -> Result<Vec<Receipt>, AppError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let mut list: Vec<Receipt> = query_receipt!(
        counted: "where ($1::date is null or d.date >= $1)
           and ($2::date is null or d.date <= $2)
           and ($3::text is null or r.status = $3)
           and ($4::text is null or r.source = $4)
           and ($5::bigint is null or o.cash_register_id = $5)
           and ($6::text is null or lower(coalesce(cr.name, o.cash_register_text)) = lower($6))
           and ($7::bigint is null or o.client_id = $7)
           and ($8::text is null or d.number ilike $8 or d.series_number ilike $8 or o.client_name ilike $8)
         order by d.date desc, r.id desc
         limit $9 offset $10",
        f.date_from as Option<Ymd>,
        f.date_to as Option<Ymd>,
        f.status as Option<ReceiptStatus>,
        f.source as Option<ReceiptSource>,
        f.cash_register_id as Option<CashRegisterId>,
        text(&f.cash_register),
        f.client_id as Option<ClientId>,
        text(&f.search).map(|s| contains_pattern(&s)),
        rows.limit,
        rows.offset,
    )
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<i64> = list.iter().map(|r| r.document_id).collect();
    let mut items = documents::store::items_of_many(tx, &ids).await?;
    for receipt in &mut list {
        receipt.items = items.remove(&receipt.document_id).unwrap_or_default();
    }
    Ok(list)
}
