//! `/finances/operations` handlers.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
};

use super::{
    Draft,
    model::{NewOperation, Operation, OperationChanges, OperationFilter, Reversal},
    resolve::Reference,
    store,
};
use crate::{
    auth::{Can, ClientIp},
    finances::{
        AccountsCashboxes, MovementsView, TAKE_PAYMENT,
        common::Actor,
        enums::{OperationStatus, OperationType},
    },
    error::AppError,
    http::{AppJson, AppPath, AppQuery, page::Unpaged},
    realtime::{Event, Hub},
};

/// Operations matching the filters, newest first: every match unless `limit` is given (the
/// screens page locally, contract §10 decision 2), with the number of matches in
/// `X-Total-Count`.
#[utoipa::path(get, path = "/finances/operations", tag = "finances", security(("bearer" = [])),
    params(OperationFilter, Unpaged), responses((status = 200, body = [Operation]), (status = 403), (status = 422)))]
pub async fn list_operations(
    _: Can<MovementsView>,
    mut tx: crate::tenancy::TenantTx,
    AppQuery(filter): AppQuery<OperationFilter>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<(HeaderMap, Json<Vec<Operation>>), AppError> {
    let rows = paging.rows()?;
    if let (Some(from), Some(to)) = (filter.date_from, filter.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    crate::finances::ensure_defaults(&mut tx).await?;
    let list = store::list(&mut tx, &filter, rows).await?;
    tx.commit().await?;
    let total = list.first().and_then(|o| o.total_count).unwrap_or(0);
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    Ok((headers, Json(list)))
}

#[utoipa::path(get, path = "/finances/operations/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Operation), (status = 404)))]
pub async fn get_operation(
    _: Can<MovementsView>,
    mut tx: crate::tenancy::TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Operation>, AppError> {
    let op = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(op))
}

/// Records an operation. References may be ids or names (see the schema); a named method or
/// register that does not belong to the salon is a 422 on that field.
///
/// Besides `finances.movements.view`, a `payment` or `refund` needs
/// `appointments.process_payment` (taking a client's payment); every other type needs
/// `finances.accounts_cashboxes.access` (403 otherwise).
#[utoipa::path(post, path = "/finances/operations", tag = "finances", security(("bearer" = [])),
    request_body = NewOperation,
    responses((status = 201, body = Operation), (status = 403, description = "the type needs a permission the user lacks"),
              (status = 422)))]
pub async fn create_operation(
    State(hub): State<Hub>,
    Can(user, ..): Can<MovementsView>,
    mut tx: crate::tenancy::TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewOperation>,
) -> Result<(StatusCode, Json<Operation>), AppError> {
    let needed = match input.kind {
        OperationType::Payment | OperationType::Refund => TAKE_PAYMENT,
        _ => <AccountsCashboxes as crate::auth::Permission>::ID,
    };
    if !user.may(needed) {
        return Err(AppError::Forbidden);
    }
    let actor = Actor::of(&user, ip);
    let draft = Draft {
        kind: input.kind,
        amount: input.amount,
        date: input.date,
        status: input.status.unwrap_or(OperationStatus::Completed),
        direction: input.direction,
        category: input.category,
        description: input.description,
        document_number: input.document_number,
        method: Reference::new(input.payment_method_id, input.payment_method.as_deref()),
        register: Reference::new(input.cash_register_id, input.cash_register.as_deref()),
        client: Reference::new(input.client_id, input.client.as_deref()),
        counterparty: input.counterparty,
        author: input.author,
        appointment_id: None,
    };
    let op = super::record(&mut tx, &actor, &draft).await?;
    tx.commit().await?;
    hub.publish(user.salon, &Event::new("operation:created", &op).requires::<MovementsView>()).await;
    Ok((StatusCode::CREATED, Json(op)))
}

/// The audited edit of description, category, date, or a pending status. Amount, type and
/// references cannot change (422): reverse the operation instead. Needs
/// `finances.accounts_cashboxes.access`.
#[utoipa::path(put, path = "/finances/operations/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = OperationChanges,
    responses((status = 200, body = Operation), (status = 404), (status = 409), (status = 422)))]
pub async fn update_operation(
    State(hub): State<Hub>,
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: crate::tenancy::TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(changes): AppJson<OperationChanges>,
) -> Result<Json<Operation>, AppError> {
    let op = super::edit(&mut tx, &Actor::of(&user, ip), id, changes).await?;
    tx.commit().await?;
    hub.publish(user.salon, &Event::new("operation:updated", &op).requires::<MovementsView>()).await;
    Ok(Json(op))
}

/// Reverses a completed operation: answers the new, opposite operation (201). Needs
/// `finances.accounts_cashboxes.access`.
#[utoipa::path(post, path = "/finances/operations/{id}/reverse", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body(content = Reversal),
    responses((status = 201, body = Operation), (status = 404),
              (status = 409, description = "already reversed, a reversal, or not completed")))]
pub async fn reverse_operation(
    State(hub): State<Hub>,
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: crate::tenancy::TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<Reversal>,
) -> Result<(StatusCode, Json<Operation>), AppError> {
    let op = super::reverse(&mut tx, &Actor::of(&user, ip), id, input.description.as_deref()).await?;
    tx.commit().await?;
    hub.publish(user.salon, &Event::new("operation:created", &op).requires::<MovementsView>()).await;
    Ok((StatusCode::CREATED, Json(op)))
}
