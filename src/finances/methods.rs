//! Payment methods (contract §3.7 "Payment methods"): the object, its inputs, validation and SQL.
//! Deleting archives: operations keep pointing at the method and still show its name.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    common::Problems,
    enums::{CommissionPayer, CommissionType, PaymentMethodType},
    registers,
};
use crate::{
    error::{AppError, constraint_of},
    ids::CashRegisterId,
    money::Money,
    tenancy::{Lock, TenantTx},
};

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethod {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    /// `cash` / `card` for the salon's defaults, `null` for methods made by hand.
    pub code: Option<String>,
    /// The register money taken this way goes to when an operation names none.
    pub cash_register_id: Option<CashRegisterId>,
    /// That register's name.
    pub cash_register: Option<String>,
    pub commission_type: CommissionType,
    /// Percent for `percentage` (2.5 = 2.5 %), hryvnias for `fixed`, 0 for `none`.
    pub commission_value: Money,
    pub commission_payer: CommissionPayer,
    pub available_online: bool,
    pub allow_partial_payment: bool,
    pub allow_tips: bool,
    pub sort_order: i32,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /finances/payment-methods`: every field of the object but `id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewPaymentMethod {
    #[schema(pattern = r"\S", max_length = 100)]
    pub name: String,
    #[serde(rename = "type")]
    pub kind: PaymentMethodType,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub cash_register_id: Option<CashRegisterId>,
    /// A register by name (case-insensitive), when no id is given; `""` means none.
    pub cash_register: Option<String>,
    pub commission_type: Option<CommissionType>,
    pub commission_value: Option<Money>,
    pub commission_payer: Option<CommissionPayer>,
    pub available_online: Option<bool>,
    pub allow_partial_payment: Option<bool>,
    pub allow_tips: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub sort_order: Option<i32>,
    pub is_active: Option<bool>,
}

/// `PUT /finances/payment-methods/{id}`: absent keys keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodChanges {
    #[schema(pattern = r"\S", max_length = 100)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<PaymentMethodType>,
    /// Absent keeps the register, `null` clears it.
    #[serde(default, deserialize_with = "crate::http::whole::number_or_null")]
    #[schema(value_type = Option<i64>)]
    pub cash_register_id: Option<Option<CashRegisterId>>,
    pub cash_register: Option<String>,
    pub commission_type: Option<CommissionType>,
    pub commission_value: Option<Money>,
    pub commission_payer: Option<CommissionPayer>,
    pub available_online: Option<bool>,
    pub allow_partial_payment: Option<bool>,
    pub allow_tips: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub sort_order: Option<i32>,
    pub is_active: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct MethodFilter {
    /// Only active (`true`) or inactive (`false`) methods; absent: every live method.
    pub is_active: Option<bool>,
}

/// Every stored field of a method, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodValues {
    pub name: String,
    pub kind: PaymentMethodType,
    pub cash_register_id: Option<CashRegisterId>,
    pub commission_type: CommissionType,
    pub commission_value: Money,
    pub commission_payer: CommissionPayer,
    pub available_online: bool,
    pub allow_partial_payment: bool,
    pub allow_tips: bool,
    pub sort_order: i32,
    pub is_active: bool,
}

impl MethodValues {
    fn of(m: &PaymentMethod) -> Self {
        MethodValues {
            name: m.name.clone(),
            kind: m.kind,
            cash_register_id: m.cash_register_id,
            commission_type: m.commission_type,
            commission_value: m.commission_value,
            commission_payer: m.commission_payer,
            available_online: m.available_online,
            allow_partial_payment: m.allow_partial_payment,
            allow_tips: m.allow_tips,
            sort_order: m.sort_order,
            is_active: m.is_active,
        }
    }
}

impl NewPaymentMethod {
    pub fn into_changes(self) -> PaymentMethodChanges {
        PaymentMethodChanges {
            name: Some(self.name),
            kind: Some(self.kind),
            cash_register_id: self.cash_register_id.map(Some),
            cash_register: self.cash_register,
            commission_type: self.commission_type,
            commission_value: self.commission_value,
            commission_payer: self.commission_payer,
            available_online: self.available_online,
            allow_partial_payment: self.allow_partial_payment,
            allow_tips: self.allow_tips,
            sort_order: self.sort_order,
            is_active: self.is_active,
        }
    }
}

/// Applies `c` to `current` (a new method starts from the defaults), resolves the register and
/// checks the whole result, naming every bad field.
pub async fn merge(
    tx: &mut TenantTx,
    current: Option<&PaymentMethod>,
    c: PaymentMethodChanges,
) -> Result<MethodValues, AppError> {
    let mut p = Problems::default();
    let name = p.name("name", c.name.as_deref(), 100, "Вкажіть назву способу оплати");
    let mut v = match current {
        Some(m) => MethodValues::of(m),
        None => MethodValues {
            name: String::new(),
            kind: c.kind.unwrap_or(PaymentMethodType::Other),
            cash_register_id: None,
            commission_type: CommissionType::None,
            commission_value: Money::ZERO,
            commission_payer: CommissionPayer::Salon,
            available_online: false,
            allow_partial_payment: false,
            allow_tips: false,
            sort_order: 0,
            is_active: true,
        },
    };
    if let Some(name) = name { v.name = name; }
    if let Some(k) = c.kind { v.kind = k; }
    if let Some(t) = c.commission_type {
        v.commission_type = t;
        if t == CommissionType::None && c.commission_value.is_none() {
            v.commission_value = Money::ZERO;
        }
    }
    if let Some(x) = c.commission_value { v.commission_value = x; }
    if let Some(x) = c.commission_payer { v.commission_payer = x; }
    if let Some(x) = c.available_online { v.available_online = x; }
    if let Some(x) = c.allow_partial_payment { v.allow_partial_payment = x; }
    if let Some(x) = c.allow_tips { v.allow_tips = x; }
    if let Some(x) = c.sort_order { v.sort_order = x; }
    if let Some(x) = c.is_active { v.is_active = x; }

    let value = v.commission_value.minor();
    match v.commission_type {
        _ if value < 0 => p.add("commissionValue", "Комісія не може бути від'ємною"),
        CommissionType::None if value != 0 => p.add("commissionValue", "Без комісії значення має бути 0"),
        CommissionType::Percentage if value > 10_000 => p.add("commissionValue", "Відсоток від 0 до 100"),
        _ => {}
    }
    match (c.cash_register_id, c.cash_register.as_deref().map(str::trim)) {
        (Some(Some(id)), _) => match registers::live_id(tx, id).await? {
            Some(id) => v.cash_register_id = Some(id),
            None => p.add("cashRegisterId", "Касу не знайдено"),
        },
        (Some(None), _) | (None, Some("")) => v.cash_register_id = None,
        (None, Some(name)) => match registers::id_by_name(tx, name).await? {
            Some(id) => v.cash_register_id = Some(id),
            None => p.add("cashRegister", "Касу з такою назвою не знайдено"),
        },
        (None, None) => {}
    }
    p.finish()?;
    Ok(v)
}

/// `query_as!` into [`PaymentMethod`]: its columns from `payment_methods m` with its register
/// `r`, then `$tail`.
macro_rules! query_method {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            PaymentMethod,
            r#"select m.id, m.name, m.type as "kind: PaymentMethodType", m.code,
                 m.cash_register_id as "cash_register_id: CashRegisterId",
                 r.name as "cash_register?", m.commission_type as "commission_type: CommissionType",
                 m.commission_value as "commission_value: Money", m.commission_payer as "commission_payer: CommissionPayer",
                 m.available_online, m.allow_partial_payment, m.allow_tips, m.sort_order, m.is_active, m.created_at,
                 m.updated_at
             from payment_methods m
             left join cash_registers r on r.salon_id = m.salon_id and r.id = m.cash_register_id "# + $tail
            $(, $arg)*
        )
    };
}

fn name_taken(e: sqlx::Error) -> AppError {
    match constraint_of(&e) {
        Some("payment_methods_name_per_salon") => {
            AppError::conflict("payment_method_name_taken", "Спосіб оплати з такою назвою вже існує")
        }
        _ => e.into(),
    }
}

pub async fn list(tx: &mut TenantTx, f: &MethodFilter) -> Result<Vec<PaymentMethod>, AppError> {
    Ok(query_method!(
        "where m.archived_at is null and ($1::boolean is null or m.is_active = $1)
         order by m.sort_order, lower(m.name), m.id",
        f.is_active,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A live method; `lock` holds its row for a change.
pub async fn find(tx: &mut TenantTx, id: i64, lock: Lock) -> Result<Option<PaymentMethod>, AppError> {
    // Each macro call has its own row-mapping type, so each branch fetches.
    Ok(if lock == Lock::ForUpdate {
        query_method!("where m.id = $1 and m.archived_at is null for no key update of m", id)
            .fetch_optional(tx.conn())
            .await?
    } else {
        query_method!("where m.id = $1 and m.archived_at is null", id).fetch_optional(tx.conn()).await?
    })
}

/// Inserts (`id` none) or rewrites a method; answers its id.
pub async fn save(tx: &mut TenantTx, id: Option<i64>, v: &MethodValues) -> Result<i64, AppError> {
    let saved = match id {
        None => {
            sqlx::query_scalar!(
                "insert into payment_methods (name, type, cash_register_id, commission_type, commission_value,
                     commission_payer, available_online, allow_partial_payment, allow_tips, sort_order, is_active)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
                v.name,
                v.kind as PaymentMethodType,
                v.cash_register_id as Option<CashRegisterId>,
                v.commission_type as CommissionType,
                v.commission_value as Money,
                v.commission_payer as CommissionPayer,
                v.available_online,
                v.allow_partial_payment,
                v.allow_tips,
                v.sort_order,
                v.is_active,
            )
            .fetch_one(tx.conn())
            .await
        }
        Some(id) => {
            sqlx::query_scalar!(
                "update payment_methods set name = $1, type = $2, cash_register_id = $3, commission_type = $4,
                     commission_value = $5, commission_payer = $6, available_online = $7, allow_partial_payment = $8,
                     allow_tips = $9, sort_order = $10, is_active = $11, updated_at = now()
                 where id = $12 and archived_at is null returning id",
                v.name,
                v.kind as PaymentMethodType,
                v.cash_register_id as Option<CashRegisterId>,
                v.commission_type as CommissionType,
                v.commission_value as Money,
                v.commission_payer as CommissionPayer,
                v.available_online,
                v.allow_partial_payment,
                v.allow_tips,
                v.sort_order,
                v.is_active,
                id,
            )
            .fetch_one(tx.conn())
            .await
        }
    };
    saved.map_err(name_taken)
}

pub async fn archive(tx: &mut TenantTx, id: i64) -> Result<(), AppError> {
    sqlx::query!("update payment_methods set archived_at = now(), is_active = false, updated_at = now() where id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// What an operation needs of a live method.
#[derive(Debug, Clone)]
pub struct MethodRef {
    pub id: i64,
    pub is_active: bool,
    pub cash_register_id: Option<CashRegisterId>,
}

pub async fn ref_by_id(tx: &mut TenantTx, id: i64) -> Result<Option<MethodRef>, AppError> {
    Ok(sqlx::query_as!(
        MethodRef,
        r#"select id, is_active, cash_register_id as "cash_register_id: CashRegisterId" from payment_methods
         where id = $1 and archived_at is null"#,
        id,
    )
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn ref_by_name(tx: &mut TenantTx, name: &str) -> Result<Option<MethodRef>, AppError> {
    Ok(sqlx::query_as!(
        MethodRef,
        r#"select id, is_active, cash_register_id as "cash_register_id: CashRegisterId" from payment_methods
         where lower(name) = lower($1) and archived_at is null"#,
        name.trim(),
    )
    .fetch_optional(tx.conn())
    .await?)
}
