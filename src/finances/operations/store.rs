//! SQL of operations. Names of linked methods and registers are read live (a rename shows
//! everywhere); unresolved references show the text as entered.

use chrono::{DateTime, NaiveDate, Utc};

use super::model::{Operation, OperationFilter};
use crate::{
    catalog::contains_pattern,
    clock::Ymd,
    finances::enums::{Direction, OperationStatus, OperationType},
    error::{AppError, constraint_of},
    http::page::Rows,
    ids::{AppointmentId, CashRegisterId, ClientId, UserId},
    money::Money,
    tenancy::TenantTx,
};

/// `query_as!` into [`Operation`]: its columns from `finance_operations o` with its method `pm`
/// and register `cr`, then `$tail`. `counted:` fills `total_count` with the number of matches
/// before `limit`/`offset`; otherwise it is null.
macro_rules! query_operation {
    (counted: $tail:literal $(, $arg:expr)* $(,)?) => {
        query_operation!(@ "count(*) over ()", $tail $(, $arg)*)
    };
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        query_operation!(@ "null::bigint", $tail $(, $arg)*)
    };
    (@ $count:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            Operation,
            r#"select o.id, o.type as "kind: OperationType", o.direction as "direction: Direction",
                 o.amount_minor as "amount: Money", o.status as "status: OperationStatus", o.category, o.description,
                 o.document_number, o.date as "date: Ymd", o.occurred_at, o.payment_method_id,
                 coalesce(pm.name, o.payment_method_text) as "payment_method!",
                 o.cash_register_id as "cash_register_id: CashRegisterId",
                 coalesce(cr.name, o.cash_register_text) as "cash_register!", o.client_id as "client_id: ClientId", o.client_name as client,
                 case when o.counterparty <> '' then o.counterparty else o.client_name end as "counterparty!",
                 o.author, o.created_by as "created_by: UserId", o.appointment_id as "appointment_id: AppointmentId",
                 o.reversal_of,
                 (select r.id from finance_operations r where r.salon_id = o.salon_id and r.reversal_of = o.id)
                   as "reversed_by?",
                 o.created_at, o.updated_at, "#
                + $count
                + r#" as "total_count?"
             from finance_operations o
             left join payment_methods pm on pm.salon_id = o.salon_id and pm.id = o.payment_method_id
             left join cash_registers cr on cr.salon_id = o.salon_id and cr.id = o.cash_register_id "#
                + $tail
            $(, $arg)*
        )
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
    pub cash_register_id: Option<CashRegisterId>,
    pub cash_register_text: String,
    pub client_id: Option<ClientId>,
    pub client_name: String,
    pub counterparty: String,
    pub author: String,
    pub created_by: Option<UserId>,
    pub appointment_id: Option<AppointmentId>,
    pub reversal_of: Option<i64>,
}

/// Inserts a row and answers its id; `None` when it is a visit's payment that already exists
/// (one per appointment).
pub async fn insert(tx: &mut TenantTx, r: &OperationRow) -> Result<Option<i64>, AppError> {
    sqlx::query_scalar!(
        "insert into finance_operations (type, direction, amount_minor, status, category, description,
             document_number, date, occurred_at, payment_method_id, payment_method_text, cash_register_id,
             cash_register_text, client_id, client_name, counterparty, author, created_by, appointment_id,
             reversal_of)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         on conflict (salon_id, appointment_id) where appointment_id is not null do nothing
         returning id",
        r.kind as OperationType,
        r.direction as Direction,
        r.amount as Money,
        r.status as OperationStatus,
        r.category,
        r.description,
        r.document_number,
        r.date,
        r.occurred_at,
        r.payment_method_id,
        r.payment_method_text,
        r.cash_register_id as Option<CashRegisterId>,
        r.cash_register_text,
        r.client_id as Option<ClientId>,
        r.client_name,
        r.counterparty,
        r.author,
        r.created_by as Option<UserId>,
        r.appointment_id as Option<AppointmentId>,
        r.reversal_of,
    )
    .fetch_optional(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("finance_operations_salon_id_appointment_id_fkey") => AppError::field("appointmentId", "Візит не знайдено"),
        _ => e.into(),
    })
}

pub async fn get(tx: &mut TenantTx, id: i64) -> Result<Option<Operation>, AppError> {
    Ok(query_operation!("where o.id = $1", id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Locks an operation's row for a change or a reversal.
pub async fn lock(tx: &mut TenantTx, id: i64) -> Result<Option<Operation>, AppError> {
    let found: Option<i64> = sqlx::query_scalar!("select id from finance_operations where id = $1 for update", id)
        .fetch_optional(tx.conn())
        .await?;
    match found {
        Some(id) => get(tx, id).await,
        None => Ok(None),
    }
}

/// The visit-payment operation of an appointment, locked.
pub async fn lock_by_appointment(tx: &mut TenantTx, appointment_id: AppointmentId) -> Result<Option<Operation>, AppError> {
    let found: Option<i64> =
        sqlx::query_scalar!("select id from finance_operations where appointment_id = $1 for update", appointment_id as AppointmentId)
            .fetch_optional(tx.conn())
            .await?;
    match found {
        Some(id) => get(tx, id).await,
        None => Ok(None),
    }
}

pub async fn list(tx: &mut TenantTx, f: &OperationFilter, rows: Rows) -> Result<Vec<Operation>, AppError> {
    // `income` / `expense` as a filter are the library's words for a direction.
    let (kind, direction) = match f.kind {
        Some(OperationType::Income) => (None, Some(Direction::In)),
        Some(OperationType::Expense) => (None, Some(Direction::Out)),
        k => (k, f.direction),
    };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(query_operation!(
        counted: "where ($1::text is null or o.type = $1)
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
         limit $13 offset $14",
        kind as Option<OperationType>,
        direction as Option<Direction>,
        f.date_from as Option<Ymd>,
        f.date_to as Option<Ymd>,
        f.status as Option<OperationStatus>,
        text(&f.category),
        f.payment_method_id,
        text(&f.payment_method),
        f.cash_register_id as Option<CashRegisterId>,
        text(&f.cash_register),
        f.client_id as Option<ClientId>,
        text(&f.search).map(|s| contains_pattern(&s)),
        rows.limit,
        rows.offset,
    )
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
    sqlx::query!(
        "update finance_operations set description = $2, category = $3, date = $4, occurred_at = $5, status = $6,
             updated_at = now()
         where id = $1",
        id,
        description,
        category,
        date,
        occurred_at,
        status as OperationStatus,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Gives a visit payment recorded without a method the method a receipt names.
pub async fn set_payment_method(tx: &mut TenantTx, id: i64, method_id: Option<i64>, text: &str) -> Result<(), AppError> {
    sqlx::query!(
        "update finance_operations set payment_method_id = $2, payment_method_text = $3, updated_at = now()
         where id = $1",
        id,
        method_id,
        text,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
