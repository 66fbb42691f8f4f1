//! Documents: receipts, invoices, expense and income orders, acts. Every document gets the next
//! number of its series (per salon, type and year) inside the creating transaction, so the
//! series has neither gaps nor duplicates. Statuses move draft → issued → paid, and draft or
//! issued → cancelled; paid and cancelled are final.

pub mod http;
pub mod model;
pub mod store;

use chrono::{Datelike, NaiveDate};

use self::{model::Document, store::DocumentRow};
use super::{
    common::{Actor, Problems, to_json},
    enums::{ContentType, DocStatus, DocType},
    items::{self, Item, NewItem},
};
use crate::{http::error::AppError, money::Money, tenancy::TenantTx};

/// A document to create, as sent.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: DocType,
    pub date: Option<NaiveDate>,
    pub external_number: Option<String>,
    pub content_type: Option<ContentType>,
    pub amount: Option<Money>,
    pub services_count: Option<i64>,
    pub products_count: Option<i64>,
    pub client_id: Option<i64>,
    pub counterparty: Option<String>,
    pub comment: Option<String>,
    pub author: Option<String>,
    pub status: DocStatus,
    pub items: Vec<NewItem>,
}

/// A validated document waiting for its number.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub row: DocumentRow,
    pub items: Vec<Item>,
}

/// Checks a draft, naming every bad field; amounts and counts come from the items when there
/// are any (a disagreeing `amount` is refused, never overwritten).
pub async fn prepare(tx: &mut TenantTx, actor: &Actor, d: &Draft, today: NaiveDate) -> Result<Prepared, AppError> {
    let mut p = Problems::default();
    if d.status == DocStatus::Cancelled {
        p.add("status", "Новий документ не може бути скасованим");
    }
    let external_number = p.text("number", d.external_number.as_deref(), 100).unwrap_or_default();
    let mut counterparty = p.text("counterparty", d.counterparty.as_deref(), 200).unwrap_or_default();
    let comment = p.text("comment", d.comment.as_deref(), 2000).unwrap_or_default();
    let author = p.text("author", d.author.as_deref(), 200);
    let (lines, totals) = items::lines(&d.items, &mut p);
    let (amount, services, products, content_type) = if lines.is_empty() {
        let amount = d.amount.unwrap_or(Money::ZERO);
        if amount.minor() < 0 {
            p.add("amount", "Сума не може бути від'ємною");
        }
        let count = |field: &str, v: Option<i64>, p: &mut Problems| match v.unwrap_or(0) {
            n if (0..=100_000).contains(&n) => n as i32,
            _ => {
                p.add(field, "Кількість від 0 до 100000");
                0
            }
        };
        let services = count("servicesCount", d.services_count, &mut p);
        let products = count("productsCount", d.products_count, &mut p);
        (amount, services, products, d.content_type.unwrap_or(ContentType::Services))
    } else {
        if d.amount.is_some_and(|a| a != totals.amount) {
            p.add("amount", format!("Сума документа — сума позицій: {}", totals.amount));
        }
        if d.services_count.is_some_and(|n| n != i64::from(totals.services)) {
            p.add("servicesCount", "Не збігається з позиціями");
        }
        if d.products_count.is_some_and(|n| n != i64::from(totals.products)) {
            p.add("productsCount", "Не збігається з позиціями");
        }
        if d.content_type.is_some_and(|c| c != totals.content_type) {
            p.add("contentType", "Не збігається з позиціями");
        }
        (totals.amount, totals.services, totals.products, totals.content_type)
    };
    if let Some(id) = d.client_id {
        match crate::clients::get_ref(tx, id).await? {
            Some(c) if counterparty.is_empty() => counterparty = c.name,
            Some(_) => {}
            None => p.add("clientId", "Клієнта не знайдено"),
        }
    }
    p.finish()?;
    let row = DocumentRow {
        number: String::new(),
        external_number,
        kind: d.kind,
        content_type,
        date: d.date.unwrap_or(today),
        amount,
        services_count: services,
        products_count: products,
        client_id: d.client_id,
        counterparty,
        comment,
        author: actor.author(author.as_deref()),
        status: d.status,
        created_by: actor.user_id,
    };
    Ok(Prepared { row, items: lines })
}

/// Numbers and stores a prepared document, with its audit entry. Anything failing after the
/// number is taken (a service of another salon in the lines) rolls the number back with the
/// transaction.
pub async fn issue(tx: &mut TenantTx, actor: &Actor, mut prepared: Prepared) -> Result<Document, AppError> {
    prepared.row.number = store::next_number(tx, prepared.row.kind, prepared.row.date.year()).await?;
    let id = store::insert(tx, &prepared.row, &prepared.items).await?;
    let doc = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "document", id, "created", None, Some(to_json(&doc)?)).await?;
    Ok(doc)
}

/// Moves a document along its statuses. A receipt's document follows its receipt (reverse the
/// payment to cancel it), so it is refused here (409).
pub async fn change_status(tx: &mut TenantTx, actor: &Actor, id: i64, next: DocStatus) -> Result<Document, AppError> {
    let before = store::lock(tx, id).await?.ok_or(AppError::NotFound)?;
    if before.status == next {
        return Ok(before);
    }
    if before.receipt_id.is_some() {
        return Err(AppError::conflict(
            "receipt_document",
            "Статус чека змінюється разом з оплатою: щоб скасувати чек, сторнуйте його операцію",
        ));
    }
    if !before.status.may_become(next) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!("Статус «{}» не можна змінити на «{}»", before.status.as_str(), next.as_str()),
        ));
    }
    store::set_status(tx, id, next).await?;
    let after = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "document", id, "updated", Some(to_json(&before)?), Some(to_json(&after)?)).await?;
    Ok(after)
}
