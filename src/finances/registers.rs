//! Cash registers (contract §3.7 "Cash registers"): cash boxes and accounts. The balance is
//! derived, never stored: the sum of the register's completed operations, in SQL.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{common::Problems, enums::RegisterType};
use crate::{
    http::error::{AppError, constraint_of},
    money::Money,
    tenancy::TenantTx,
};

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct CashRegister {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: RegisterType,
    /// Completed incoming minus outgoing operations, to the kopiyka.
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
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<RegisterType>,
    pub location: Option<String>,
    /// Defaults to the salon's currency, the only one accepted.
    pub currency: Option<String>,
    /// Opening balance (≥ 0).
    pub balance: Option<Money>,
    pub is_active: Option<bool>,
}

/// `PUT /finances/cash-registers/{id}`: absent keys keep their value. `balance` cannot be
/// edited: it is accepted only when it equals the current balance (a form sending the whole
/// object back), otherwise refused with 422; record an operation instead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CashRegisterChanges {
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
    let salon_currency: String = sqlx::query_scalar("select currency::text from salons").fetch_one(tx.conn()).await?;
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

macro_rules! register_columns {
    () => {
        "r.id, r.name, r.type, r.currency::text as currency, r.location, r.code, r.is_active, r.created_at,
         r.updated_at,
         (select coalesce(sum(case when o.direction = 'in' then o.amount_minor else -o.amount_minor end), 0)::bigint
          from finance_operations o
          where o.salon_id = r.salon_id and o.cash_register_id = r.id and o.status = 'completed') as balance
         from cash_registers r"
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
    Ok(sqlx::query_as(concat!(
        "select ", register_columns!(), "
         where r.archived_at is null and ($1::boolean is null or r.is_active = $1)
         order by r.code is distinct from 'main', lower(r.name), r.id"
    ))
    .bind(f.is_active)
    .fetch_all(tx.conn())
    .await?)
}

/// A live register; `lock` holds its row, which also serialises operations on it.
pub async fn find(tx: &mut TenantTx, id: i64, lock: bool) -> Result<Option<CashRegister>, AppError> {
    if lock {
        lock_row(tx, id).await?;
    }
    Ok(sqlx::query_as(concat!("select ", register_columns!(), " where r.id = $1 and r.archived_at is null"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

/// Takes the register's row lock. Every operation on a register takes it first, so balances
/// read under it (a receipt's `balanceAfter`) see every earlier operation. `no key update`
/// leaves foreign-key checks of other inserts unblocked.
pub async fn lock_row(tx: &mut TenantTx, id: i64) -> Result<(), AppError> {
    sqlx::query("select 1 from cash_registers where id = $1 for no key update")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn balance(tx: &mut TenantTx, id: i64) -> Result<Money, AppError> {
    Ok(sqlx::query_scalar(
        "select coalesce(sum(case when direction = 'in' then amount_minor else -amount_minor end), 0)::bigint
         from finance_operations where cash_register_id = $1 and status = 'completed'",
    )
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

pub async fn save(tx: &mut TenantTx, id: Option<i64>, v: &RegisterValues) -> Result<i64, AppError> {
    let sql = match id {
        None => "insert into cash_registers (name, type, location, currency, is_active)
                 values ($1, $2, $3, $4, $5) returning id",
        Some(_) => "update cash_registers set name = $1, type = $2, location = $3, currency = $4, is_active = $5,
                        updated_at = now()
                    where id = $6 and archived_at is null returning id",
    };
    sqlx::query_scalar(sql)
        .bind(&v.name)
        .bind(v.kind)
        .bind(&v.location)
        .bind(&v.currency)
        .bind(v.is_active)
        .bind(id)
        .fetch_one(tx.conn())
        .await
        .map_err(name_taken)
}

/// Archives a register; payment methods that pointed at it point nowhere.
pub async fn archive(tx: &mut TenantTx, id: i64) -> Result<(), AppError> {
    sqlx::query("update payment_methods set cash_register_id = null, updated_at = now() where cash_register_id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    sqlx::query("update cash_registers set archived_at = now(), is_active = false, updated_at = now() where id = $1")
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// What an operation needs of a live register.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegisterRef {
    pub id: i64,
    pub is_active: bool,
}

pub async fn ref_by_id(tx: &mut TenantTx, id: i64) -> Result<Option<RegisterRef>, AppError> {
    Ok(sqlx::query_as("select id, is_active from cash_registers where id = $1 and archived_at is null")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn ref_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<RegisterRef>, AppError> {
    Ok(sqlx::query_as(
        "select id, is_active from cash_registers where lower(name) = lower($1) and archived_at is null",
    )
    .bind(name.trim())
    .fetch_optional(tx.conn())
    .await?)
}

/// The salon's main register, while it is live and active.
pub async fn main_id(tx: &mut TenantTx) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar("select id from cash_registers where code = 'main' and archived_at is null and is_active")
        .fetch_optional(tx.conn())
        .await?)
}

pub async fn live_id(tx: &mut TenantTx, id: i64) -> Result<Option<i64>, AppError> {
    Ok(ref_by_id(tx, id).await?.map(|r| r.id))
}

pub async fn id_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<i64>, AppError> {
    Ok(ref_by_name(tx, name).await?.map(|r| r.id))
}
