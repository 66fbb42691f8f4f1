//! SQL of documents, their lines and the numbering counters.

use chrono::NaiveDate;

use super::model::{Document, DocumentFilter};
use crate::{
    catalog::contains_pattern,
    finances::{
        enums::{ContentType, DocStatus, DocType},
        items::Item,
    },
    http::error::{AppError, constraint_of},
    money::Money,
    tenancy::TenantTx,
};

macro_rules! document_columns {
    () => {
        "d.id, d.number, d.series_number, d.date, d.type, d.content_type, d.amount_minor as amount,
         d.services_count, d.products_count, d.client_id, d.counterparty, d.comment, d.author, d.status,
         (select r.id from finance_receipts r where r.salon_id = d.salon_id and r.document_id = d.id) as receipt_id,
         d.created_at, d.updated_at"
    };
}

/// Takes the next number of a series inside the creating transaction. The counter row stays
/// locked until commit, so concurrent creations queue and get consecutive numbers, and a
/// rollback returns the number: the series has no gaps and no duplicates. (A series number
/// that a client had already typed for a document of the type is in use and skipped, see
/// [`super::issue`].)
pub async fn next_number(tx: &mut TenantTx, kind: DocType, year: i32) -> Result<String, AppError> {
    let n: i64 = sqlx::query_scalar(
        "insert into document_counters (doc_type, year, last) values ($1, $2, 1)
         on conflict (salon_id, doc_type, year) do update set last = document_counters.last + 1
         returning last",
    )
    .bind(kind)
    .bind(year)
    .fetch_one(tx.conn())
    .await?;
    Ok(format!("{}-{year}-{n:06}", kind.prefix()))
}

/// Every stored field of a new document.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    /// The typed number; empty until [`super::issue`] gives it the series number.
    pub number: String,
    pub series_number: Option<String>,
    pub kind: DocType,
    pub content_type: ContentType,
    pub date: NaiveDate,
    pub amount: Money,
    pub services_count: i32,
    pub products_count: i32,
    pub client_id: Option<i64>,
    pub counterparty: String,
    pub comment: String,
    pub author: String,
    pub status: DocStatus,
    pub created_by: i64,
}

/// Inserts a document and its lines; a client or service of another salon is a 422. `None`
/// when a document of the salon and type already has the number: the unique index decides,
/// so of concurrent creations with one number exactly one gets it (the others wait for it to
/// commit or roll back), and the transaction stays usable to name the holder.
pub async fn insert(tx: &mut TenantTx, r: &DocumentRow, items: &[Item]) -> Result<Option<i64>, AppError> {
    let id: Option<i64> = sqlx::query_scalar(
        "insert into finance_documents (number, series_number, type, content_type, date, amount_minor,
             services_count, products_count, client_id, counterparty, comment, author, status, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict on constraint finance_documents_number_key do nothing
         returning id",
    )
    .bind(&r.number)
    .bind(&r.series_number)
    .bind(r.kind)
    .bind(r.content_type)
    .bind(r.date)
    .bind(r.amount)
    .bind(r.services_count)
    .bind(r.products_count)
    .bind(r.client_id)
    .bind(&r.counterparty)
    .bind(&r.comment)
    .bind(&r.author)
    .bind(r.status)
    .bind(r.created_by)
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("finance_documents_salon_id_client_id_fkey") => AppError::field("clientId", "Клієнта не знайдено"),
        _ => e.into(),
    })?;
    let Some(id) = id else { return Ok(None) };
    if items.is_empty() {
        return Ok(Some(id));
    }
    let column = |f: fn(&Item) -> i64| items.iter().map(f).collect::<Vec<i64>>();
    sqlx::query(
        "insert into finance_document_items (document_id, position, kind, name, service_id, quantity_milli,
             price_minor, discount_minor, total_minor)
         select $1, t.ord, t.kind, t.name, t.service_id, t.quantity, t.price, t.discount, t.total
         from unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
              with ordinality as t (kind, name, service_id, quantity, price, discount, total, ord)",
    )
    .bind(id)
    .bind(items.iter().map(|i| i.kind.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.service_id).collect::<Vec<Option<i64>>>())
    .bind(column(|i| i.quantity.0))
    .bind(column(|i| i.price.minor()))
    .bind(column(|i| i.discount.minor()))
    .bind(column(|i| i.total.minor()))
    .execute(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("finance_document_items_salon_id_service_id_fkey") => {
            AppError::field("items", "Послугу не знайдено в каталозі салону")
        }
        _ => e.into(),
    })?;
    Ok(Some(id))
}

/// The document of the salon holding `number` for its type: id, number and date.
pub async fn holder(
    tx: &mut TenantTx,
    kind: DocType,
    number: &str,
) -> Result<Option<(i64, String, NaiveDate)>, AppError> {
    Ok(sqlx::query_as("select id, number, date from finance_documents where type = $1 and number = $2")
        .bind(kind)
        .bind(number)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Document>, AppError> {
    let doc: Option<Document> =
        sqlx::query_as(concat!("select ", document_columns!(), " from finance_documents d where d.id = $1"))
            .bind(id)
            .fetch_optional(tx.conn())
            .await?;
    let Some(mut doc) = doc else { return Ok(None) };
    doc.items = Some(items_of(tx, id).await?);
    Ok(Some(doc))
}

pub async fn items_of(tx: &mut TenantTx, document_id: i64) -> Result<Vec<Item>, AppError> {
    Ok(sqlx::query_as(
        "select kind, name, service_id, quantity_milli, price_minor, discount_minor, total_minor
         from finance_document_items where document_id = $1 order by position",
    )
    .bind(document_id)
    .fetch_all(tx.conn())
    .await?)
}

/// The lines of several documents, by document.
pub async fn items_of_many(
    tx: &mut TenantTx,
    document_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Item>>, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        document_id: i64,
        #[sqlx(flatten)]
        item: Item,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "select document_id, kind, name, service_id, quantity_milli, price_minor, discount_minor, total_minor
         from finance_document_items where document_id = any($1) order by document_id, position",
    )
    .bind(document_ids)
    .fetch_all(tx.conn())
    .await?;
    let mut out: std::collections::HashMap<i64, Vec<Item>> = std::collections::HashMap::new();
    for row in rows {
        out.entry(row.document_id).or_default().push(row.item);
    }
    Ok(out)
}

/// Locks a document for a status change; answers its status, type and whether a receipt owns it.
pub async fn lock(tx: &mut TenantTx, id: i64) -> Result<Option<Document>, AppError> {
    let found: Option<i64> = sqlx::query_scalar("select id from finance_documents where id = $1 for update")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    match found {
        Some(id) => get(tx, id).await,
        None => Ok(None),
    }
}

pub async fn set_status(tx: &mut TenantTx, id: i64, status: DocStatus) -> Result<(), AppError> {
    sqlx::query("update finance_documents set status = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(status)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx, f: &DocumentFilter) -> Result<Vec<Document>, AppError> {
    let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(contains_pattern);
    let limit = f.limit.map(|l| l.clamp(1, 10_000));
    let offset = match (f.offset, f.page, limit) {
        (Some(o), _, _) => o.max(0),
        (None, Some(page), Some(l)) => (page.max(1) - 1).saturating_mul(l),
        _ => 0,
    };
    Ok(sqlx::query_as(concat!(
        "select ", document_columns!(), ", count(*) over () as total_count from finance_documents d
         where ($1::date is null or d.date >= $1)
           and ($2::date is null or d.date <= $2)
           and ($3::text is null or d.type = $3)
           and ($4::text is null or d.status = $4)
           and ($5::text is null or d.content_type = $5)
           and ($6::bigint is null or d.client_id = $6)
           and ($7::text is null or d.number ilike $7 or d.series_number ilike $7 or d.counterparty ilike $7
                or d.comment ilike $7)
         order by d.date desc, d.id desc
         limit $8 offset $9"
    ))
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.kind)
    .bind(f.status)
    .bind(f.content_type)
    .bind(f.client_id)
    .bind(search)
    .bind(limit)
    .bind(offset)
    .fetch_all(tx.conn())
    .await?)
}
