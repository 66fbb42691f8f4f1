//! Cash registers (contract §3.7 "Cash registers"): cash boxes and accounts. The balance is
//! derived, never stored: the sum of the register's completed operations, in SQL.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{common::Problems, enums::RegisterType};
use crate::{
    error::{AppError, constraint_of},
    ids::CashRegisterId,
    money::Money,
    tenancy::{Lock, TenantTx},
};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CashRegister {
    pub id: CashRegisterId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RegisterType,
    /// Completed incoming minus outgoing operations, to the kopiyka.
    #[schema(schema_with = crate::money::total)]
    pub balance: Money,
    /// ISO 4217 code: the salon's currency.
    pub currency: String,
    pub location: String,
    /// `main` for the salon's default register, `null` for registers made by hand.
    pub code: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /finances/cash-registers`. A positive `balance` is recorded as an opening deposit
/// operation: the balance stays the sum of operations.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewCashRegister {
    #[schema(pattern = r"\S", max_length = 100)]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<RegisterType>,
    pub location: Option<String>,
    /// Defaults to the salon's currency, the only one accepted.
    pub currency: Option<String>,
    /// Opening balance (≥ 0).
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub balance: Option<Money>,
    pub is_active: Option<bool>,
}

/// `PUT /finances/cash-registers/{id}`: absent keys keep their value. `balance` cannot be
/// edited: it is accepted only when it equals the current balance (a form sending the whole
/// object back), otherwise refused with 422; record an operation instead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CashRegisterChanges {
    #[schema(pattern = r"\S", max_length = 100)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<RegisterType>,
    pub location: Option<String>,
    pub currency: Option<String>,
    pub balance: Option<Money>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct RegisterFilter {
    pub is_active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegisterValues {
    pub name: String,
    pub kind: RegisterType,
    pub location: String,
    pub currency: String,
    pub is_active: bool,
}

/// Applies `c` to `current` (or the defaults) and checks the result.
pub async fn merge(
    tx: &mut TenantTx,
    current: Option<&CashRegister>,
    c: CashRegisterChanges,
) -> Result<RegisterValues, AppError> {
    let salon_currency = crate::tenancy::salon::currency(tx).await?;
    let mut p = Problems::default();
    let name = p.name("name", c.name.as_deref(), 100, "Вкажіть назву каси");
    let location = p.text("location", c.location.as_deref(), 300);
    let mut v = match current {
        Some(r) => RegisterValues {
            name: r.name.clone(),
            kind: r.kind,
            location: r.location.clone(),
            currency: r.currency.clone(),
            is_active: r.is_active,
        },
        None => RegisterValues {
            name: String::new(),
            kind: RegisterType::Cash,
            location: String::new(),
            currency: salon_currency.clone(),
            is_active: true,
        },
    };
    if let Some(n) = name { v.name = n; }
    if let Some(k) = c.kind { v.kind = k; }
    if let Some(l) = location { v.location = l; }
    if let Some(a) = c.is_active { v.is_active = a; }
    match c.currency.as_deref().map(|s| s.trim().to_ascii_uppercase()) {
        Some(code) if code.is_empty() => {}
        Some(code) if code != salon_currency => {
            p.add("currency", format!("Каса веде облік у валюті салону ({salon_currency})"));
        }
        _ => {}
    }
    match (c.balance, current) {
        (Some(b), None) if b.minor() < 0 => p.add("balance", "Початковий залишок не може бути від'ємним"),
        (Some(b), Some(r)) if b != r.balance => p.add(
            "balance",
            "Залишок каси рахується з операцій і не редагується; додайте операцію внесення або вилучення",
        ),
        _ => {}
    }
    p.finish()?;
    Ok(v)
}

/// `query_as!` into [`CashRegister`]: its columns (the balance summed from its completed
/// operations) from `cash_registers r`, then `$tail`.
macro_rules! query_register {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            CashRegister,
            r#"select r.id, r.name, r.type as "kind: RegisterType", r.currency::text as "currency!", r.location, r.code,
                 r.is_active, r.created_at, r.updated_at,
                 (select coalesce(sum(case when o.direction = 'in' then o.amount_minor else -o.amount_minor end), 0)::bigint
                  from finance_operations o
                  where o.salon_id = r.salon_id and o.cash_register_id = r.id and o.status = 'completed')
                   as "balance!: Money"
             from cash_registers r "# + $tail
            $(, $arg)*
        )
    };
}

fn name_taken(e: sqlx::Error) -> AppError {
    match constraint_of(&e) {
        Some("cash_registers_name_per_salon") => {
            AppError::conflict("cash_register_name_taken", "Каса з такою назвою вже існує")
        }
        _ => e.into(),
    }
}

pub async fn list(tx: &mut TenantTx, f: &RegisterFilter) -> Result<Vec<CashRegister>, AppError> {
    Ok(query_register!(
        "where r.archived_at is null and ($1::boolean is null or r.is_active = $1)
         order by r.code is distinct from 'main', lower(r.name), r.id",
        f.is_active,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A live register; `lock` holds its row, which also serialises operations on it.
pub async fn find(tx: &mut TenantTx, id: CashRegisterId, lock: Lock) -> Result<Option<CashRegister>, AppError> {
    if lock == Lock::ForUpdate {
        lock_row(tx, id).await?;
    }
    Ok(query_register!("where r.id = $1 and r.archived_at is null", id as CashRegisterId)
        .fetch_optional(tx.conn())
        .await?)
}

/// Takes the register's row lock. Every operation on a register takes it first, so balances
/// read under it (a receipt's `balanceAfter`) see every earlier operation. `no key update`
/// leaves foreign-key checks of other inserts unblocked.
pub async fn lock_row(tx: &mut TenantTx, id: CashRegisterId) -> Result<(), AppError> {
    sqlx::query!("select 1 as locked from cash_registers where id = $1 for no key update", id as CashRegisterId)
        .fetch_optional(tx.conn())
        .await?;
    Ok(())
}

pub async fn balance(tx: &mut TenantTx, id: CashRegisterId) -> Result<Money, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select coalesce(sum(case when direction = 'in' then amount_minor else -amount_minor end), 0)::bigint
                    as "balance!: Money"
         from finance_operations where cash_register_id = $1 and status = 'completed'"#,
        id as CashRegisterId,
    )
    .fetch_one(tx.conn())
    .await?)
}

pub async fn save(tx: &mut TenantTx, id: Option<CashRegisterId>, v: &RegisterValues) -> Result<CashRegisterId, AppError> {
    let saved = match id {
        None => {
            sqlx::query_scalar!(
                r#"insert into cash_registers (name, type, location, currency, is_active)
                 values ($1, $2, $3, $4, $5) returning id as "id: CashRegisterId""#,
                v.name,
                v.kind as RegisterType,
                v.location,
                v.currency,
                v.is_active,
            )
            .fetch_one(tx.conn())
            .await
        }
        Some(id) => {
            sqlx::query_scalar!(
                r#"update cash_registers set name = $1, type = $2, location = $3, currency = $4, is_active = $5,
                        updated_at = now()
                 where id = $6 and archived_at is null returning id as "id: CashRegisterId""#,
                v.name,
                v.kind as RegisterType,
                v.location,
                v.currency,
                v.is_active,
                id as CashRegisterId,
            )
            .fetch_one(tx.conn())
            .await
        }
    };
    saved.map_err(name_taken)
}

/// Archives a register; payment methods that pointed at it point nowhere.
pub async fn archive(tx: &mut TenantTx, id: CashRegisterId) -> Result<(), AppError> {
    sqlx::query!("update payment_methods set cash_register_id = null, updated_at = now() where cash_register_id = $1", id as CashRegisterId)
        .execute(tx.conn())
        .await?;
    sqlx::query!("update cash_registers set archived_at = now(), is_active = false, updated_at = now() where id = $1", id as CashRegisterId)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// What an operation needs of a live register.
#[derive(Debug, Clone)]
pub struct RegisterRef {
    pub id: CashRegisterId,
    pub is_active: bool,
}

pub async fn ref_by_id(tx: &mut TenantTx, id: CashRegisterId) -> Result<Option<RegisterRef>, AppError> {
    Ok(sqlx::query_as!(RegisterRef, "select id, is_active from cash_registers where id = $1 and archived_at is null", id as CashRegisterId)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn ref_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<RegisterRef>, AppError> {
    Ok(sqlx::query_as!(
        RegisterRef,
        "select id, is_active from cash_registers where lower(name) = lower($1) and archived_at is null",
        name.trim(),
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// The salon's main register, while it is live and active.
pub async fn main_id(tx: &mut TenantTx) -> Result<Option<CashRegisterId>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select id as "id: CashRegisterId" from cash_registers where code = 'main' and archived_at is null and is_active"#
    )
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn live_id(tx: &mut TenantTx, id: CashRegisterId) -> Result<Option<CashRegisterId>, AppError> {
    Ok(ref_by_id(tx, id).await?.map(|r| r.id))
}

pub async fn id_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<CashRegisterId>, AppError> {
    Ok(ref_by_name(tx, name).await?.map(|r| r.id))
}
