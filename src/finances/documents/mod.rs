//! Documents: receipts, invoices, expense and income orders, acts. A document's number is the
//! one the client typed, unique per salon and type. A document sent without one, and every
//! receipt the server prints, gets the next number of the server's series (per salon, type
//! and year) inside the creating transaction, so the series has neither gaps nor duplicates.
//! Statuses move draft → issued → paid, and draft or issued → cancelled; paid and cancelled
//! are final.

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
use crate::{error::AppError, ids::ClientId, money::Money, tenancy::TenantTx};

/// A document to create, as sent.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: DocType,
    pub date: Option<NaiveDate>,
    /// The typed number; empty or absent: the series number.
    pub number: Option<String>,
    /// Also take a series number when a number is typed (receipts the server prints).
    pub series: bool,
    pub content_type: Option<ContentType>,
    pub amount: Option<Money>,
    pub services_count: Option<i64>,
    pub products_count: Option<i64>,
    pub client_id: Option<ClientId>,
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
    series: bool,
}

/// Checks a draft, naming every bad field; amounts and counts come from the items when there
/// are any (a disagreeing `amount` is refused, never overwritten).
pub async fn prepare(tx: &mut TenantTx, actor: &Actor, d: &Draft, today: NaiveDate) -> Result<Prepared, AppError> {
    let mut p = Problems::default();
    if d.status == DocStatus::Cancelled {
        p.add("status", "Новий документ не може бути скасованим");
    }
    let number = p.text("number", d.number.as_deref(), 100).unwrap_or_default();
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
        number,
        series_number: None,
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
    Ok(Prepared { row, items: lines, series: d.series })
}

/// Numbers and stores a prepared document, with its audit entry. A typed number already held
/// by a document of the salon and type is a 409 `number_taken` naming that document. Without
/// a typed number the document takes the next series number; one a client had typed for
/// another document of the type is in use, so the next is taken instead. Anything failing
/// after a series number is taken (a service of another salon in the lines, a taken typed
/// number) rolls the number back with the transaction.
pub async fn issue(tx: &mut TenantTx, actor: &Actor, mut prepared: Prepared) -> Result<Document, AppError> {
    let (kind, year) = (prepared.row.kind, prepared.row.date.year());
    let typed = !prepared.row.number.is_empty();
    if typed && prepared.series {
        prepared.row.series_number = Some(store::next_number(tx, kind, year).await?);
    }
    let id = loop {
        if !typed {
            let series = store::next_number(tx, kind, year).await?;
            prepared.row.number.clone_from(&series);
            prepared.row.series_number = Some(series);
        }
        if let Some(id) = store::insert(tx, &prepared.row, &prepared.items).await? {
            break id;
        }
        if typed {
            return Err(number_taken(tx, kind, &prepared.row.number).await?);
        }
    };
    let doc = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "document", id, "created", None, Some(to_json(&doc)?)).await?;
    Ok(doc)
}

/// 409 naming the document of the type that holds `number` (`conflict: {id, number, date}`).
async fn number_taken(tx: &mut TenantTx, kind: DocType, number: &str) -> Result<AppError, AppError> {
    let holder = store::holder(tx, kind, number).await?;
    let message = match &holder {
        Some((id, _, date)) => {
            format!("Документ з номером «{number}» уже є (id {id}, від {})", date.format("%d.%m.%Y"))
        }
        None => format!("Номер «{number}» уже має інший документ цього типу"),
    };
    let conflict = match holder {
        Some((id, number, date)) => serde_json::json!({ "id": id, "number": number, "date": date }),
        None => serde_json::json!({ "number": number }),
    };
    Ok(AppError::ConflictWith { code: "number_taken", message, conflict })
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
