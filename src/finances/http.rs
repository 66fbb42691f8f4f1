//! `/finances/payment-methods` and `/finances/cash-registers` handlers, the dashboard and the
//! period export. Lists are readable with the finances module (the operation form picks from
//! them); changes need the settings permission of each. Operations, documents and receipts
//! keep their handlers in their own `http.rs`.

use axum::{Json, http::StatusCode, response::Response};

use super::{
    AccountsCashboxes, FinancesModule, MovementsView, PaymentSettings, ReportsPeriod,
    common::{Actor, to_json},
    dashboard::{self, Dashboard, Period},
    export::{self, ExportQuery, Format},
    enums::{OperationStatus, OperationType},
    methods::{self, MethodFilter, NewPaymentMethod, PaymentMethod, PaymentMethodChanges},
    operations::{self, Draft, resolve::Reference},
    receipts::http::pdf_response,
    registers::{self, CashRegister, CashRegisterChanges, NewCashRegister, RegisterFilter},
};
use crate::{
    auth::{Can, ClientIp},
    http::{AppJson, AppPath, AppQuery}, error::AppError,
    ids::CashRegisterId,
    tenancy::{Lock, TenantTx},
};

/// The salon's live payment methods by `sortOrder`, then name (inactive ones too, unless
/// `isActive` filters: the settings tab toggles them).
#[utoipa::path(get, path = "/finances/payment-methods", tag = "finances", security(("bearer" = [])),
    params(MethodFilter), responses((status = 200, body = [PaymentMethod]), (status = 403)))]
pub async fn list_payment_methods(
    _: Can<FinancesModule>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<MethodFilter>,
) -> Result<Json<Vec<PaymentMethod>>, AppError> {
    super::ensure_defaults(&mut tx).await?;
    let list = methods::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(list))
}

#[utoipa::path(post, path = "/finances/payment-methods", tag = "finances", security(("bearer" = [])),
    request_body = NewPaymentMethod,
    responses((status = 201, body = PaymentMethod), (status = 403), (status = 409, description = "name taken"),
              (status = 422)))]
pub async fn create_payment_method(
    Can(user, ..): Can<PaymentSettings>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewPaymentMethod>,
) -> Result<(StatusCode, Json<PaymentMethod>), AppError> {
    super::ensure_defaults(&mut tx).await?;
    let values = methods::merge(&mut tx, None, input.into_changes()).await?;
    let id = methods::save(&mut tx, None, &values).await?;
    let method = methods::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    Actor::of(&user, ip).audit(&mut tx, "payment_method", id, "created", None, Some(to_json(&method)?)).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(method)))
}

#[utoipa::path(put, path = "/finances/payment-methods/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PaymentMethodChanges,
    responses((status = 200, body = PaymentMethod), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update_payment_method(
    Can(user, ..): Can<PaymentSettings>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(changes): AppJson<PaymentMethodChanges>,
) -> Result<Json<PaymentMethod>, AppError> {
    let before = methods::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    let values = methods::merge(&mut tx, Some(&before), changes).await?;
    methods::save(&mut tx, Some(id), &values).await?;
    let after = methods::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    Actor::of(&user, ip)
        .audit(&mut tx, "payment_method", id, "updated", Some(to_json(&before)?), Some(to_json(&after)?))
        .await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Archives a method: it leaves the lists, its operations keep showing its name.
#[utoipa::path(delete, path = "/finances/payment-methods/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_payment_method(
    Can(user, ..): Can<PaymentSettings>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    let before = methods::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    methods::archive(&mut tx, id).await?;
    Actor::of(&user, ip).audit(&mut tx, "payment_method", id, "deleted", Some(to_json(&before)?), None).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The salon's live registers (the main one first) with balances derived from operations.
#[utoipa::path(get, path = "/finances/cash-registers", tag = "finances", security(("bearer" = [])),
    params(RegisterFilter), responses((status = 200, body = [CashRegister]), (status = 403)))]
pub async fn list_cash_registers(
    _: Can<FinancesModule>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<RegisterFilter>,
) -> Result<Json<Vec<CashRegister>>, AppError> {
    super::ensure_defaults(&mut tx).await?;
    let list = registers::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(list))
}

/// Adds a register; a positive `balance` becomes an opening `deposit` operation.
#[utoipa::path(post, path = "/finances/cash-registers", tag = "finances", security(("bearer" = [])),
    request_body = NewCashRegister,
    responses((status = 201, body = CashRegister), (status = 403), (status = 409, description = "name taken"),
              (status = 422)))]
pub async fn create_cash_register(
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewCashRegister>,
) -> Result<(StatusCode, Json<CashRegister>), AppError> {
    super::ensure_defaults(&mut tx).await?;
    let opening = input.balance.filter(|b| b.minor() != 0);
    let changes = CashRegisterChanges {
        name: Some(input.name),
        kind: input.kind,
        location: input.location,
        currency: input.currency,
        balance: input.balance,
        is_active: input.is_active,
    };
    let values = registers::merge(&mut tx, None, changes).await?;
    let id = registers::save(&mut tx, None, &values).await?;
    let actor = Actor::of(&user, ip);
    let created = registers::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    actor.audit(&mut tx, "cash_register", id.get(), "created", None, Some(to_json(&created)?)).await?;
    if let Some(amount) = opening {
        let draft = Draft {
            kind: OperationType::Deposit,
            amount,
            date: None,
            status: OperationStatus::Completed,
            direction: None,
            category: Some("Початковий залишок".to_owned()),
            description: Some("Початковий залишок каси".to_owned()),
            document_number: None,
            method: Reference::default(),
            register: Reference::new(Some(id), None),
            client: Reference::default(),
            counterparty: None,
            author: None,
            appointment_id: None,
        };
        operations::record(&mut tx, &actor, &draft).await?;
    }
    let register = registers::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(register)))
}

/// Changes name, type, location or the active flag. `balance` is derived and refused unless
/// it equals the current balance.
#[utoipa::path(put, path = "/finances/cash-registers/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = CashRegisterChanges,
    responses((status = 200, body = CashRegister), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn update_cash_register(
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<CashRegisterId>,
    AppJson(changes): AppJson<CashRegisterChanges>,
) -> Result<Json<CashRegister>, AppError> {
    let before = registers::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    let values = registers::merge(&mut tx, Some(&before), changes).await?;
    registers::save(&mut tx, Some(id), &values).await?;
    let after = registers::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    Actor::of(&user, ip)
        .audit(&mut tx, "cash_register", id.get(), "updated", Some(to_json(&before)?), Some(to_json(&after)?))
        .await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Archives a register whose balance is zero (409 `register_not_empty` otherwise: move the
/// money out first). Its operations keep showing its name.
#[utoipa::path(delete, path = "/finances/cash-registers/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409, description = "balance is not zero")))]
pub async fn delete_cash_register(
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<CashRegisterId>,
) -> Result<StatusCode, AppError> {
    let before = registers::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    if before.balance.minor() != 0 {
        return Err(AppError::conflict(
            "register_not_empty",
            format!("У касі залишок {} — спершу вилучіть або перемістіть гроші", before.balance),
        ));
    }
    registers::archive(&mut tx, id).await?;
    Actor::of(&user, ip).audit(&mut tx, "cash_register", id.get(), "deleted", Some(to_json(&before)?), None).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
/// The period's figures (default: this month, salon time).
#[utoipa::path(get, path = "/finances/dashboard", tag = "finances", security(("bearer" = [])),
    params(Period), responses((status = 200, body = Dashboard), (status = 403), (status = 422)))]
pub async fn get_dashboard(
    _: Can<MovementsView>,
    mut tx: TenantTx,
    AppQuery(period): AppQuery<Period>,
) -> Result<Json<Dashboard>, AppError> {
    let (from, to) = period.resolve(&mut tx).await?;
    let dashboard = dashboard::compute(&mut tx, from, to).await?;
    tx.commit().await?;
    Ok(Json(dashboard))
}
/// The period's operations and totals as a file: `.xlsx` by default, PDF with `format=pdf`.
#[utoipa::path(get, path = "/finances/export", tag = "finances", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "the file",
               content((Vec<u8> = crate::xlsx::CONTENT_TYPE),
                       (Vec<u8> = "application/pdf"))),
              (status = 403), (status = 422)))]
pub async fn export_finances(
    _: Can<ReportsPeriod>,
    _slot: crate::auth::HeavySlot,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let report = export::load(&mut tx, &q).await?;
    tx.commit().await?;
    let format = q.format.unwrap_or_default();
    let name = format!("finances-{}-{}", report.from, report.to);
    let bytes = export::build(format, report).await?;
    Ok(match format {
        Format::Pdf => pdf_response(bytes, &format!("{name}.pdf")),
        Format::Xlsx => crate::xlsx::attachment(bytes, &format!("{name}.xlsx")),
    })
}
