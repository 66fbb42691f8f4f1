//! SQL of documents, their lines and the numbering counters.

use chrono::NaiveDate;

use super::model::{Document, DocumentFilter};
use crate::{
    catalog::contains_pattern,
    clock::Ymd,
    finances::{
        enums::{ContentType, DocStatus, DocType, ItemKind},
        items::{Item, Quantity},
    },
    error::{AppError, constraint_of},
    http::page::Rows,
    ids::{ClientId, ServiceId, UserId},
    money::Money,
    tenancy::TenantTx,
};

/// `query!` of the columns of [`Document`] from `finance_documents d`, then `$tail`, mapped to
/// documents without lines. `counted:` fills `total_count` with the number of matches before
/// `limit`/`offset`; otherwise it is null.
macro_rules! query_document {
    (counted: $tail:literal $(, $arg:expr)* $(,)?) => {
        query_document!(@ "count(*) over ()", $tail $(, $arg)*)
    };
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        query_document!(@ "null::bigint", $tail $(, $arg)*)
    };
    (@ $count:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query!(
            r#"select d.id, d.number, d.series_number, d.date as "date: Ymd", d.type as "kind: DocType",
                 d.content_type as "content_type: ContentType", d.amount_minor as "amount: Money", d.services_count,
                 d.products_count, d.client_id as "client_id: ClientId", d.counterparty, d.comment, d.author, d.status as "status: DocStatus",
                 (select r.id from finance_receipts r where r.salon_id = d.salon_id and r.document_id = d.id)
                   as "receipt_id?",
                 d.created_at, d.updated_at, "#
                + $count
                + r#" as "total_count?" from finance_documents d "#
                + $tail
            $(, $arg)*
        )
        .map(|d| Document {
            id: d.id,
            number: d.number,
            series_number: d.series_number,
            date: d.date,
            kind: d.kind,
            content_type: d.content_type,
            amount: d.amount,
            services_count: d.services_count,
            products_count: d.products_count,
            client_id: d.client_id,
            counterparty: d.counterparty,
            comment: d.comment,
            author: d.author,
            status: d.status,
            receipt_id: d.receipt_id,
            created_at: d.created_at,
            updated_at: d.updated_at,
            items: None,
            total_count: d.total_count,
        })
    };
}

/// Takes the next number of a series inside the creating transaction. The counter row stays
/// locked until commit, so concurrent creations queue and get consecutive numbers, and a
/// rollback returns the number: the series has no gaps and no duplicates. (A series number
/// that a client had already typed for a document of the type is in use and skipped, see
/// [`super::issue`].)
pub async fn next_number(tx: &mut TenantTx, kind: DocType, year: i32) -> Result<String, AppError> {
    let n: i64 = sqlx::query_scalar!(
        "insert into document_counters (doc_type, year, last) values ($1, $2, 1)
         on conflict (salon_id, doc_type, year) do update set last = document_counters.last + 1
         returning last",
        kind as DocType,
        year,
    )
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
    pub client_id: Option<ClientId>,
    pub counterparty: String,
    pub comment: String,
    pub author: String,
    pub status: DocStatus,
    pub created_by: UserId,
}

/// Inserts a document and its lines; a client or service of another salon is a 422. `None`
/// when a document of the salon and type already has the number: the unique index decides,
/// so of concurrent creations with one number exactly one gets it (the others wait for it to
/// commit or roll back), and the transaction stays usable to name the holder.
pub async fn insert(tx: &mut TenantTx, r: &DocumentRow, items: &[Item]) -> Result<Option<i64>, AppError> {
    let id: Option<i64> = sqlx::query_scalar!(
        "insert into finance_documents (number, series_number, type, content_type, date, amount_minor,
             services_count, products_count, client_id, counterparty, comment, author, status, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict on constraint finance_documents_number_key do nothing
         returning id",
        r.number,
        r.series_number,
        r.kind as DocType,
        r.content_type as ContentType,
        r.date,
        r.amount as Money,
        r.services_count,
        r.products_count,
        r.client_id as Option<ClientId>,
        r.counterparty,
        r.comment,
        r.author,
        r.status as DocStatus,
        r.created_by as UserId,
    )
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
    let kinds: Vec<&str> = items.iter().map(|i| i.kind.as_str()).collect();
    let names: Vec<&str> = items.iter().map(|i| i.name.as_str()).collect();
    let service_ids: Vec<Option<ServiceId>> = items.iter().map(|i| i.service_id).collect();
    let (quantities, prices) = (column(|i| i.quantity.0), column(|i| i.price.minor()));
    let (discounts, totals) = (column(|i| i.discount.minor()), column(|i| i.total.minor()));
    // Arrays of `&str` and of nullable elements are not matched at compile time, hence the casts.
    sqlx::query!(
        "insert into finance_document_items (document_id, position, kind, name, service_id, quantity_milli,
             price_minor, discount_minor, total_minor)
         select $1, t.ord, t.kind, t.name, t.service_id, t.quantity, t.price, t.discount, t.total
         from unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
              with ordinality as t (kind, name, service_id, quantity, price, discount, total, ord)",
        id,
        kinds.as_slice() as &[&str],
        names.as_slice() as &[&str],
        service_ids.as_slice() as &[Option<ServiceId>],
        quantities.as_slice(),
        prices.as_slice(),
        discounts.as_slice(),
        totals.as_slice(),
    )
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
    let found = sqlx::query!(
        "select id, number, date from finance_documents where type = $1 and number = $2",
        kind as DocType,
        number,
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(found.map(|d| (d.id, d.number, d.date)))
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Document>, AppError> {
    let doc = query_document!("where d.id = $1", id).fetch_optional(tx.conn()).await?;
    let Some(mut doc) = doc else { return Ok(None) };
    doc.items = Some(items_of(tx, id).await?);
    Ok(Some(doc))
}

pub async fn items_of(tx: &mut TenantTx, document_id: i64) -> Result<Vec<Item>, AppError> {
    Ok(items_of_many(tx, &[document_id]).await?.remove(&document_id).unwrap_or_default())
}

/// The lines of several documents, by document.
pub async fn items_of_many(
    tx: &mut TenantTx,
    document_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Item>>, AppError> {
    let rows = sqlx::query!(
        r#"select document_id, kind as "kind: ItemKind", name, service_id as "service_id: ServiceId", quantity_milli as "quantity: Quantity",
                  price_minor as "price: Money", discount_minor as "discount: Money", total_minor as "total: Money"
         from finance_document_items where document_id = any($1) order by document_id, position"#,
        document_ids,
    )
    .fetch_all(tx.conn())
    .await?;
    let mut out: std::collections::HashMap<i64, Vec<Item>> = std::collections::HashMap::new();
    for r in rows {
        out.entry(r.document_id).or_default().push(Item {
            kind: r.kind,
            name: r.name,
            service_id: r.service_id,
            quantity: r.quantity,
            price: r.price,
            discount: r.discount,
            total: r.total,
        });
    }
    Ok(out)
}

/// Locks a document for a status change; answers its status, type and whether a receipt owns it.
pub async fn lock(tx: &mut TenantTx, id: i64) -> Result<Option<Document>, AppError> {
    let found: Option<i64> = sqlx::query_scalar!("select id from finance_documents where id = $1 for update", id)
        .fetch_optional(tx.conn())
        .await?;
    match found {
        Some(id) => get(tx, id).await,
        None => Ok(None),
    }
}

pub async fn set_status(tx: &mut TenantTx, id: i64, status: DocStatus) -> Result<(), AppError> {
    sqlx::query!("update finance_documents set status = $2, updated_at = now() where id = $1", id, status as DocStatus)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn list(tx: &mut TenantTx, f: &DocumentFilter, rows: Rows) -> Result<Vec<Document>, AppError> {
    let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(contains_pattern);
    Ok(query_document!(
        counted: "where ($1::date is null or d.date >= $1)
           and ($2::date is null or d.date <= $2)
           and ($3::text is null or d.type = $3)
           and ($4::text is null or d.status = $4)
           and ($5::text is null or d.content_type = $5)
           and ($6::bigint is null or d.client_id = $6)
           and ($7::text is null or d.number ilike $7 or d.series_number ilike $7 or d.counterparty ilike $7
                or d.comment ilike $7)
         order by d.date desc, d.id desc
         limit $8 offset $9",
        f.date_from as Option<Ymd>,
        f.date_to as Option<Ymd>,
        f.kind as Option<DocType>,
        f.status as Option<DocStatus>,
        f.content_type as Option<ContentType>,
        f.client_id as Option<ClientId>,
        search,
        rows.limit,
        rows.offset,
    )
    .fetch_all(tx.conn())
    .await?)
}
