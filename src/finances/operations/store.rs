//! SQL of operations. Names of linked methods and registers are read live (a rename shows
//! everywhere); unresolved references show the text as entered.

use chrono::{DateTime, NaiveDate, Utc};

use super::model::{Operation, OperationFilter};
use crate::{
    catalog::contains_pattern,
    finances::enums::{Direction, OperationStatus, OperationType},
    http::error::{AppError, constraint_of},
    money::Money,
    tenancy::TenantTx,
};

macro_rules! operation_columns {
    () => {
        "o.id, o.type, o.direction, o.amount_minor as amount, o.status, o.category, o.description,
         o.document_number, o.date, o.occurred_at, o.payment_method_id,
         coalesce(pm.name, o.payment_method_text) as payment_method, o.cash_register_id,
         coalesce(cr.name, o.cash_register_text) as cash_register, o.client_id, o.client_name as client,
         case when o.counterparty <> '' then o.counterparty else o.client_name end as counterparty,
         o.author, o.created_by, o.appointment_id, o.reversal_of,
         (select r.id from finance_operations r where r.salon_id = o.salon_id and r.reversal_of = o.id) as reversed_by,
         o.created_at, o.updated_at"
    };
}

macro_rules! operation_from {
    () => {
        " from finance_operations o
          left join payment_methods pm on pm.salon_id = o.salon_id and pm.id = o.payment_method_id
          left join cash_registers cr on cr.salon_id = o.salon_id and cr.id = o.cash_register_id "
    };
}

/// Everything an operation row stores, resolved by the caller.
#[derive(Debug, Clone)]
pub struct OperationRow {
    pub kind: OperationType,
    pub direction: Direction,
    pub amount: Money,
    pub status: OperationStatus,
    pub category: String,
    pub description: String,
    pub document_number: String,
    pub date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub payment_method_id: Option<i64>,
    pub payment_method_text: String,
    pub cash_register_id: Option<i64>,
    pub cash_register_text: String,
    pub client_id: Option<i64>,
    pub client_name: String,
    pub counterparty: String,
    pub author: String,
    pub created_by: Option<i64>,
    pub appointment_id: Option<i64>,
    pub reversal_of: Option<i64>,
}

/// Inserts a row and answers its id; `None` when it is a visit's payment that already exists
/// (one per appointment).
pub async fn insert(tx: &mut TenantTx, r: &OperationRow) -> Result<Option<i64>, AppError> {
    sqlx::query_scalar(
        "insert into finance_operations (type, direction, amount_minor, status, category, description,
             document_number, date, occurred_at, payment_method_id, payment_method_text, cash_register_id,
             cash_register_text, client_id, client_name, counterparty, author, created_by, appointment_id,
             reversal_of)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         on conflict (salon_id, appointment_id) where appointment_id is not null do nothing
         returning id",
    )
    .bind(r.kind)
    .bind(r.direction)
    .bind(r.amount)
    .bind(r.status)
    .bind(&r.category)
    .bind(&r.description)
    .bind(&r.document_number)
    .bind(r.date)
    .bind(r.occurred_at)
    .bind(r.payment_method_id)
    .bind(&r.payment_method_text)
    .bind(r.cash_register_id)
    .bind(&r.cash_register_text)
    .bind(r.client_id)
    .bind(&r.client_name)
    .bind(&r.counterparty)
    .bind(&r.author)
    .bind(r.created_by)
    .bind(r.appointment_id)
    .bind(r.reversal_of)
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("finance_operations_salon_id_appointment_id_fkey") => AppError::field("appointmentId", "Візит не знайдено"),
        _ => e.into(),
    })
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Operation>, AppError> {
    Ok(sqlx::query_as(concat!("select ", operation_columns!(), operation_from!(), "where o.id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Locks an operation's row for a change or a reversal.
pub async fn lock(tx: &mut TenantTx, id: i64) -> Result<Option<Operation>, AppError> {
    let found: Option<i64> = sqlx::query_scalar("select id from finance_operations where id = $1 for update")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    match found {
        Some(id) => get(tx, id).await,
        None => Ok(None),
    }
}

/// The visit-payment operation of an appointment, locked.
pub async fn lock_by_appointment(tx: &mut TenantTx, appointment_id: i64) -> Result<Option<Operation>, AppError> {
    let found: Option<i64> =
        sqlx::query_scalar("select id from finance_operations where appointment_id = $1 for update")
            .bind(appointment_id)
            .fetch_optional(tx.conn())
            .await?;
    match found {
        Some(id) => get(tx, id).await,
        None => Ok(None),
    }
}

pub async fn list(tx: &mut TenantTx, f: &OperationFilter) -> Result<Vec<Operation>, AppError> {
    // `income` / `expense` as a filter are the library's words for a direction.
    let (kind, direction) = match f.kind {
        Some(OperationType::Income) => (None, Some(Direction::In)),
        Some(OperationType::Expense) => (None, Some(Direction::Out)),
        k => (k, f.direction),
    };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(sqlx::query_as(concat!(
        "select ", operation_columns!(), ", count(*) over () as total_count", operation_from!(),
        "where ($1::text is null or o.type = $1)
           and ($2::text is null or o.direction = $2)
           and ($3::date is null or o.date >= $3)
           and ($4::date is null or o.date <= $4)
           and ($5::text is null or o.status = $5)
           and ($6::text is null or lower(o.category) = lower($6))
           and ($7::bigint is null or o.payment_method_id = $7)
           and ($8::text is null or lower(coalesce(pm.name, o.payment_method_text)) = lower($8))
           and ($9::bigint is null or o.cash_register_id = $9)
           and ($10::text is null or lower(coalesce(cr.name, o.cash_register_text)) = lower($10))
           and ($11::bigint is null or o.client_id = $11)
           and ($12::text is null or o.document_number ilike $12 or o.client_name ilike $12
                or o.counterparty ilike $12 or o.description ilike $12 or o.author ilike $12)
         order by o.date desc, o.occurred_at desc, o.id desc
         limit $13 offset $14"
    ))
    .bind(kind)
    .bind(direction)
    .bind(f.date_from)
    .bind(f.date_to)
    .bind(f.status)
    .bind(text(&f.category))
    .bind(f.payment_method_id)
    .bind(text(&f.payment_method))
    .bind(f.cash_register_id)
    .bind(text(&f.cash_register))
    .bind(f.client_id)
    .bind(text(&f.search).map(|s| contains_pattern(&s)))
    .bind(f.limit.map(|l| l.clamp(1, 10_000)))
    .bind(f.offset.unwrap_or(0).max(0))
    .fetch_all(tx.conn())
    .await?)
}

/// Rewrites the fields an edit may touch.
pub async fn update_fields(
    tx: &mut TenantTx,
    id: i64,
    description: &str,
    category: &str,
    date: NaiveDate,
    occurred_at: DateTime<Utc>,
    status: OperationStatus,
) -> Result<(), AppError> {
    sqlx::query(
        "update finance_operations set description = $2, category = $3, date = $4, occurred_at = $5, status = $6,
             updated_at = now()
         where id = $1",
    )
    .bind(id)
    .bind(description)
    .bind(category)
    .bind(date)
    .bind(occurred_at)
    .bind(status)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Gives a visit payment recorded without a method the method a receipt names.
pub async fn set_payment_method(tx: &mut TenantTx, id: i64, method_id: Option<i64>, text: &str) -> Result<(), AppError> {
    sqlx::query(
        "update finance_operations set payment_method_id = $2, payment_method_text = $3, updated_at = now()
         where id = $1",
    )
    .bind(id)
    .bind(method_id)
    .bind(text)
    .execute(tx.conn())
    .await?;
    Ok(())
}
