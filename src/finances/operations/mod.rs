//! Operations: money entering or leaving a register. Amounts are never rewritten: a wrong
//! operation is corrected by a reversing one (same amount, opposite direction, linked by
//! `reversal_of`), and only description, category, date and a pending status can be edited,
//! with an audit entry.

pub mod http;
pub mod model;
pub mod resolve;
pub mod store;

use chrono::NaiveTime;

use self::{
    model::{OpDate, Operation, OperationChanges},
    resolve::Reference,
    store::OperationRow,
};
use super::{
    common::{Actor, Problems, to_json},
    enums::{Direction, OperationStatus, OperationType},
};
use crate::{
    error::AppError,
    ids::{AppointmentId, CashRegisterId, ClientId, UserId},
    money::Money,
    tenancy::{SalonClock, TenantTx},
};

/// An operation to record, with its references as sent.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: OperationType,
    pub amount: Money,
    pub date: Option<OpDate>,
    pub status: OperationStatus,
    pub direction: Option<Direction>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub document_number: Option<String>,
    pub method: Reference,
    pub register: Reference<CashRegisterId>,
    pub client: Reference<ClientId>,
    pub counterparty: Option<String>,
    pub author: Option<String>,
    pub appointment_id: Option<AppointmentId>,
}

/// Validates and resolves a draft into a row; every bad field is named at once.
pub async fn prepare(tx: &mut TenantTx, actor: &Actor, d: &Draft) -> Result<OperationRow, AppError> {
    let mut p = Problems::default();
    if d.amount.minor() <= 0 {
        p.add("amount", "Сума має бути більшою за нуль");
    }
    let direction = match (d.kind.natural_direction(), d.direction) {
        (Some(natural), Some(sent)) if natural != sent => {
            p.add("direction", "Напрям визначається типом операції");
            natural
        }
        (Some(natural), _) => natural,
        (None, sent) => sent.unwrap_or(Direction::Out),
    };
    let category = p.text("category", d.category.as_deref(), 100).unwrap_or_default();
    let description = p.text("description", d.description.as_deref(), 1000).unwrap_or_default();
    let document_number = p.text("documentNumber", d.document_number.as_deref(), 100).unwrap_or_default();
    let counterparty = p.text("counterparty", d.counterparty.as_deref(), 200).unwrap_or_default();
    let author = p.text("author", d.author.as_deref(), 200);
    let (method, method_register) =
        resolve::method(tx, &mut p, &d.method, ("paymentMethodId", "paymentMethod")).await?;
    let register =
        resolve::register(tx, &mut p, &d.register, method_register, ("cashRegisterId", "cashRegister")).await?;
    let client = resolve::client(tx, &mut p, &d.client, ("clientId", "client")).await?;
    p.finish()?;
    let (date, occurred_at) = OpDate::resolve(d.date, SalonClock::read(tx).await?)?;
    Ok(OperationRow {
        kind: d.kind,
        direction,
        amount: d.amount,
        status: d.status,
        category,
        description,
        document_number,
        date,
        occurred_at,
        payment_method_id: method.id,
        payment_method_text: method.text,
        cash_register_id: register.id,
        cash_register_text: register.text,
        client_id: client.id,
        client_name: client.text,
        counterparty,
        author: actor.author(author.as_deref()),
        created_by: Some(actor.user_id),
        appointment_id: d.appointment_id,
        reversal_of: None,
    })
}

/// Inserts a prepared row with its audit entry; `None` when the appointment already has its
/// payment.
pub async fn insert(tx: &mut TenantTx, actor: &Actor, row: &OperationRow) -> Result<Option<Operation>, AppError> {
    let Some(id) = store::insert(tx, row).await? else { return Ok(None) };
    let op = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "operation", id, "created", None, Some(to_json(&op)?)).await?;
    Ok(Some(op))
}

/// Records an operation (the create form, a register's opening balance).
pub async fn record(tx: &mut TenantTx, actor: &Actor, d: &Draft) -> Result<Operation, AppError> {
    super::ensure_defaults(tx).await?;
    let row = prepare(tx, actor, d).await?;
    insert(tx, actor, &row).await?.ok_or_else(|| {
        AppError::conflict("visit_already_paid", "Оплату цього візиту вже записано")
    })
}

/// The audited edit: description, category, date, and a pending status becoming completed or
/// cancelled. Money fields sent with a different value are refused.
pub async fn edit(tx: &mut TenantTx, actor: &Actor, id: i64, c: OperationChanges) -> Result<Operation, AppError> {
    let before = store::lock(tx, id).await?.ok_or(AppError::NotFound)?;
    let mut p = Problems::default();
    if c.amount.is_some_and(|a| a != before.amount) {
        p.add("amount", "Суму не можна змінити: сторнуйте операцію й запишіть нову");
    }
    if c.kind.is_some_and(|k| k != before.kind) {
        p.add("type", "Тип не можна змінити: сторнуйте операцію й запишіть нову");
    }
    let description = p.text("description", c.description.as_deref(), 1000).unwrap_or(before.description.clone());
    let category = p.text("category", c.category.as_deref(), 100).unwrap_or(before.category.clone());
    p.finish()?;
    let status = match c.status {
        Some(next) if next != before.status => {
            if before.status != OperationStatus::Pending {
                return Err(AppError::conflict(
                    "invalid_transition",
                    "Змінити можна лише статус незавершеної операції; проведену виправляють сторно",
                ));
            }
            next
        }
        _ => before.status,
    };
    let (date, occurred_at) = match c.date {
        None => (before.date.0, before.occurred_at),
        Some(OpDate::Day(d)) if d == before.date.0 => (d, before.occurred_at),
        Some(OpDate::Day(d)) => {
            // Another day at the same wall-clock time.
            let zone = SalonClock::read(tx).await?.zone();
            let time = before.occurred_at.with_timezone(&zone).time();
            let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default();
            let at = crate::clock::instant(zone, d, time).or_else(|_| crate::clock::instant(zone, d, noon));
            (d, at.map_err(|_| AppError::field("date", "Некоректна дата"))?)
        }
        Some(other) => OpDate::resolve(Some(other), SalonClock::read(tx).await?)?,
    };
    if (&description, &category, date, occurred_at, status)
        == (&before.description, &before.category, before.date.0, before.occurred_at, before.status)
    {
        return Ok(before);
    }
    store::update_fields(tx, id, &description, &category, date, occurred_at, status).await?;
    let after = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    actor.audit(tx, "operation", id, "updated", Some(to_json(&before)?), Some(to_json(&after)?)).await?;
    Ok(after)
}

/// Cancels a completed operation out with a new one: same amount, type and references,
/// opposite direction, dated now. An operation is reversed at most once and a reversal is
/// not reversed again (409). A receipt paid by the operation becomes cancelled.
pub async fn reverse(tx: &mut TenantTx, actor: &Actor, id: i64, description: Option<&str>) -> Result<Operation, AppError> {
    let before = store::lock(tx, id).await?.ok_or(AppError::NotFound)?;
    if before.reversal_of.is_some() {
        return Err(AppError::conflict("reversal_of_reversal", "Сторно не можна сторнувати"));
    }
    if before.reversed_by.is_some() {
        return Err(AppError::conflict("already_reversed", "Операцію вже сторновано"));
    }
    if before.status != OperationStatus::Completed {
        return Err(AppError::conflict(
            "not_completed",
            "Сторнувати можна лише проведену операцію; незавершену просто скасуйте",
        ));
    }
    let mut p = Problems::default();
    let description = p.text("description", description, 1000).filter(|d| !d.is_empty());
    p.finish()?;
    if let Some(register) = before.cash_register_id {
        super::registers::lock_row(tx, register).await?;
    }
    let clock = SalonClock::read(tx).await?;
    let row = OperationRow {
        kind: before.kind,
        direction: before.direction.opposite(),
        amount: before.amount,
        status: OperationStatus::Completed,
        category: before.category.clone(),
        description: description.unwrap_or_else(|| format!("Сторно операції №{id}")),
        document_number: before.document_number.clone(),
        date: clock.today(),
        occurred_at: clock.now(),
        payment_method_id: before.payment_method_id,
        payment_method_text: if before.payment_method_id.is_some() { String::new() } else { before.payment_method.clone() },
        cash_register_id: before.cash_register_id,
        cash_register_text: if before.cash_register_id.is_some() { String::new() } else { before.cash_register.clone() },
        client_id: before.client_id,
        client_name: before.client.clone(),
        counterparty: if before.counterparty == before.client { String::new() } else { before.counterparty.clone() },
        author: actor.name.clone(),
        created_by: Some(actor.user_id),
        appointment_id: None,
        reversal_of: Some(id),
    };
    let reversal = insert(tx, actor, &row).await?.ok_or(AppError::NotFound)?;
    super::receipts::cancel_paid_by(tx, actor, id).await?;
    Ok(reversal)
}

/// Records the payment of a completed visit, in the transaction that completes it: a
/// `payment` into the main register, dated now on the salon's clock. Idempotent per
/// appointment (a unique key): completing again, or completing a visit whose receipt already
/// recorded its payment, creates nothing.
pub async fn record_visit_income(
    tx: &mut TenantTx,
    appointment_id: AppointmentId,
    client_id: Option<ClientId>,
    amount: Money,
    description: &str,
    user_id: UserId,
) -> Result<(), AppError> {
    if amount.minor() <= 0 {
        return Ok(());
    }
    super::ensure_defaults(tx).await?;
    let name = crate::auth::user_name(tx, user_id.get()).await?;
    let actor = Actor { user_id, name: name.unwrap_or_default(), ip: None };
    let client = match client_id {
        Some(id) => crate::clients::get_ref(tx, id).await?,
        None => None,
    };
    let register = super::registers::main_id(tx).await?;
    if let Some(id) = register {
        super::registers::lock_row(tx, id).await?;
    }
    let clock = SalonClock::read(tx).await?;
    let description: String = description.trim().chars().take(1000).collect();
    let row = OperationRow {
        kind: OperationType::Payment,
        direction: Direction::In,
        amount,
        status: OperationStatus::Completed,
        category: "Послуги".to_owned(),
        description,
        document_number: String::new(),
        date: clock.today(),
        occurred_at: clock.now(),
        payment_method_id: None,
        payment_method_text: String::new(),
        cash_register_id: register,
        cash_register_text: String::new(),
        client_id: client.as_ref().map(|c| c.id),
        client_name: client.map(|c| c.name).unwrap_or_default(),
        counterparty: String::new(),
        author: actor.name.clone(),
        created_by: Some(user_id),
        appointment_id: Some(appointment_id),
        reversal_of: None,
    };
    insert(tx, &actor, &row).await?;
    Ok(())
}
