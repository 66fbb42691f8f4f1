//! Receipts (open point 22): a receipt is a `receipt` document (so `GET /finances/documents?
//! type=receipt` lists it, as the frontend store expects) paid by one operation, with the
//! spec's own fields (`receiptNumber`, `balanceAfter`, `source`, status `paid|partial|cancelled`).
//!
//! A receipt for a visit whose payment the completion already recorded documents that payment
//! instead of recording a second one; a receipt recorded first makes the later completion
//! record nothing (one payment per appointment). Reversing the payment cancels the receipt.

pub mod http;
mod mail;
pub mod model;
mod print;
pub mod store;

pub use self::mail::EmailReceipt;

use self::{
    model::{NewReceipt, Receipt},
    store::ReceiptRow,
};
use super::{
    common::{Actor, Problems, to_json},
    documents,
    enums::{DocStatus, DocType, OperationStatus, OperationType, ReceiptSource, ReceiptStatus},
    items,
    operations::{self, model::OpDate, resolve::Reference},
    registers,
};
use crate::{
    error::AppError,
    money::Money,
    tenancy::{SalonClock, TenantTx},
};

/// Records a receipt: its document (numbered in the receipt series), its payment (or the
/// visit's existing one) and the register's balance after it, in one transaction.
pub async fn create(tx: &mut TenantTx, actor: &Actor, mut input: NewReceipt) -> Result<Receipt, AppError> {
    super::ensure_defaults(tx).await?;
    let mut p = Problems::default();
    let new_items = input.items.take().unwrap_or_default();
    let (lines, totals) = items::lines(&new_items, &mut p);
    let sums = Sums::of(&input, &lines, &totals, &mut p);
    let existing = match input.appointment_id {
        Some(appointment) => operations::store::lock_by_appointment(tx, appointment).await?,
        None => None,
    };
    // Field problems of the receipt, its lines and its payment are reported together.
    let prepared_op = match operations::prepare(tx, actor, &payment_draft(&input, &sums, &lines, &totals)).await {
        Ok(row) => Some(row),
        Err(err) => {
            p.absorb(err)?;
            None
        }
    };
    if let Some(op) = &existing {
        check_visit_payment(tx, op, sums.paid, &mut p).await?;
    }
    p.finish()?;
    let mut op_row = prepared_op.ok_or_else(|| AppError::Internal(anyhow::anyhow!("payment not prepared")))?;

    let source = input.source.unwrap_or(ReceiptSource::Web);
    let doc_draft = document_draft(input, new_items, &sums, lines.is_empty(), existing.as_ref(), &op_row);
    let today = SalonClock::read(tx).await?.today();
    let prepared_doc = documents::prepare(tx, actor, &doc_draft, today).await?;
    let doc = documents::issue(tx, actor, prepared_doc).await?;

    let operation = match existing {
        Some(op) => {
            fill_method(tx, actor, &op, &op_row).await?;
            if let Some(register) = op.cash_register_id {
                registers::lock_row(tx, register).await?;
            }
            op
        }
        None => {
            op_row.document_number = doc.number.clone();
            operations::insert(tx, actor, &op_row).await?.ok_or_else(|| {
                AppError::conflict("visit_already_paid", "Оплату цього візиту вже записано")
            })?
        }
    };
    let balance_after = match operation.cash_register_id {
        Some(register) => registers::balance(tx, register).await?,
        None => Money::ZERO,
    };
    let id = store::insert(tx, &ReceiptRow {
        document_id: doc.id,
        operation_id: operation.id,
        appointment_id: operation.appointment_id,
        total: sums.total,
        paid: sums.paid,
        balance_after,
        source,
        status: sums.status,
    })
    .await?;
    let receipt = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "receipt", id, "created", None, Some(to_json(&receipt)?)).await?;
    Ok(receipt)
}

/// What a receipt comes to, what is paid of it, and the status that follows.
struct Sums {
    total: Money,
    paid: Money,
    status: ReceiptStatus,
}

impl Sums {
    /// From the lines (or the bare `amount` of a receipt without lines) and the payment;
    /// a payment above the total, or a status the sums contradict, is a problem of `p`.
    fn of(input: &NewReceipt, lines: &[items::Item], totals: &items::Totals, p: &mut Problems) -> Self {
        let total = if lines.is_empty() { input.amount.unwrap_or(Money::ZERO) } else { totals.amount };
        // A non-positive payment is refused by the operation's own checks.
        let paid = input.amount.unwrap_or(total);
        if paid > total {
            p.add("amount", format!("Оплата більша за суму чека ({total})"));
        }
        let status = if paid == total { ReceiptStatus::Paid } else { ReceiptStatus::Partial };
        match input.status {
            Some(ReceiptStatus::Cancelled) => p.add("status", "Новий чек не може бути скасованим"),
            Some(s) if s != status && paid.minor() > 0 && paid <= total => {
                p.add("status", format!("За сумами чек має статус «{}»", status.as_str()))
            }
            _ => {}
        }
        Sums { total, paid, status }
    }
}

/// The completed payment a receipt records (unless the visit's payment exists already).
fn payment_draft(input: &NewReceipt, sums: &Sums, lines: &[items::Item], totals: &items::Totals) -> operations::Draft {
    operations::Draft {
        kind: OperationType::Payment,
        amount: sums.paid,
        date: input.date.map(|d| OpDate::Day(d.0)),
        status: OperationStatus::Completed,
        direction: None,
        category: Some(if lines.is_empty() || totals.services > 0 { "Послуги" } else { "Товари" }.to_owned()),
        description: Some(input.comment.clone().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| "Оплата за чеком".into())),
        document_number: None,
        method: Reference::new(input.payment_method_id, input.payment_method.as_deref()),
        register: Reference::new(input.cash_register_id, input.cash_register.as_deref()),
        client: Reference::new(input.client_id, input.client.as_deref()),
        counterparty: None,
        author: input.author.clone(),
        appointment_id: input.appointment_id,
    }
}

/// A visit's recorded payment may get a receipt only once, while it stands, for its amount.
async fn check_visit_payment(
    tx: &mut TenantTx,
    op: &super::Operation,
    paid: Money,
    p: &mut Problems,
) -> Result<(), AppError> {
    if op.status != OperationStatus::Completed || op.reversed_by.is_some() {
        return Err(AppError::conflict("visit_payment_reversed", "Оплату цього візиту сторновано"));
    }
    if store::exists_for_operation(tx, op.id).await? {
        return Err(AppError::conflict("receipt_exists", "Чек на цей візит уже є"));
    }
    if paid != op.amount {
        p.add("amount", format!("Оплата візиту — {}", op.amount));
    }
    Ok(())
}

/// The receipt's document: dated and addressed like the payment it documents.
fn document_draft(
    input: NewReceipt,
    items: Vec<items::NewItem>,
    sums: &Sums,
    without_lines: bool,
    existing: Option<&super::Operation>,
    op_row: &operations::store::OperationRow,
) -> documents::Draft {
    documents::Draft {
        kind: DocType::Receipt,
        date: Some(existing.map(|o| o.date.0).unwrap_or(op_row.date)),
        number: input.document_number,
        series: true,
        content_type: None,
        amount: without_lines.then_some(sums.total),
        services_count: None,
        products_count: None,
        client_id: existing.map(|o| o.client_id).unwrap_or(op_row.client_id),
        counterparty: Some(existing.map(|o| o.client.clone()).unwrap_or(op_row.client_name.clone())),
        comment: input.comment,
        author: input.author,
        status: if sums.status == ReceiptStatus::Paid { DocStatus::Paid } else { DocStatus::Issued },
        items,
    }
}

/// A visit's payment recorded without a method takes the one its receipt names.
async fn fill_method(
    tx: &mut TenantTx,
    actor: &Actor,
    op: &super::Operation,
    named: &operations::store::OperationRow,
) -> Result<(), AppError> {
    let unnamed = op.payment_method_id.is_none() && op.payment_method.is_empty();
    if !unnamed || (named.payment_method_id.is_none() && named.payment_method_text.is_empty()) {
        return Ok(());
    }
    operations::store::set_payment_method(tx, op.id, named.payment_method_id, &named.payment_method_text).await?;
    let after = operations::store::get(tx, op.id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "operation", op.id, "updated", Some(to_json(op)?), Some(to_json(&after)?)).await
}

/// Marks the receipt paid by operation `operation_id` (if any) cancelled, with its document:
/// called when that payment is reversed.
pub async fn cancel_paid_by(tx: &mut TenantTx, actor: &Actor, operation_id: i64) -> Result<(), AppError> {
    let Some(before) = sqlx::query_scalar!("select id from finance_receipts where operation_id = $1", operation_id)
        .fetch_optional(tx.conn())
        .await?
    else {
        return Ok(());
    };
    let before = store::get(tx, before).await?.ok_or(AppError::NotFound)?;
    if store::cancel_by_operation(tx, operation_id).await?.is_some() {
        let after = store::get(tx, before.id).await?.ok_or(AppError::NotFound)?;
        actor.audit(tx, "receipt", before.id, "updated", Some(to_json(&before)?), Some(to_json(&after)?)).await?;
    }
    Ok(())
}
