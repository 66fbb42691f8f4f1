//! `/finances/receipts` handlers.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    mail::{self, EmailReceipt},
    model::{NewReceipt, Receipt, ReceiptEmail, ReceiptFilter},
    print::Slip,
    store,
};
use crate::{
    auth::{Can, ClientIp, normalise_email},
    config::Config,
    finances::{
        ReceiptPrint,
        common::Actor,
    },
    error::AppError,
    http::{AppJson, AppPath, AppQuery, page::Unpaged},
    realtime::{Event, Hub},
    tenancy::TenantTx,
};

/// Receipts matching the filters, newest first, with their lines; every match unless `limit`
/// is given, the number of matches in `X-Total-Count`.
#[utoipa::path(get, path = "/finances/receipts", tag = "finances", security(("bearer" = [])),
    params(ReceiptFilter, Unpaged), responses((status = 200, body = [Receipt]), (status = 403), (status = 422)))]
pub async fn list_receipts(
    _: Can<ReceiptPrint>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<ReceiptFilter>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<(HeaderMap, Json<Vec<Receipt>>), AppError> {
    let rows = paging.rows()?;
    if let (Some(from), Some(to)) = (filter.date_from, filter.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let list = store::list(&mut tx, &filter, rows).await?;
    tx.commit().await?;
    let total = list.first().and_then(|r| r.total_count).unwrap_or(0);
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    Ok((headers, Json(list)))
}

#[utoipa::path(get, path = "/finances/receipts/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Receipt), (status = 404)))]
pub async fn get_receipt(
    _: Can<ReceiptPrint>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Receipt>, AppError> {
    let receipt = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(receipt))
}

/// Records a receipt for a paid visit or a sale: the receipt document (`ЧК-2026-000001`), the
/// payment into the register, and the register's balance after it. Besides
/// `finances.receipt.print`, recording the payment needs `appointments.process_payment`.
#[utoipa::path(post, path = "/finances/receipts", tag = "finances", security(("bearer" = [])),
    request_body = NewReceipt,
    responses((status = 201, body = Receipt), (status = 403),
              (status = 409, description = "the visit already has a receipt, or its payment was reversed; \
                                            `number_taken` when a receipt document has the typed `documentNumber`"),
              (status = 422)))]
pub async fn create_receipt(
    State(hub): State<Hub>,
    Can(user, ..): Can<ReceiptPrint>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewReceipt>,
) -> Result<(StatusCode, Json<Receipt>), AppError> {
    if !user.may(crate::finances::TAKE_PAYMENT) {
        return Err(AppError::Forbidden);
    }
    let receipt = super::create(&mut tx, &Actor::of(&user, ip), input).await?;
    tx.commit().await?;
    hub.publish(user.salon, &Event::new("receipt:created", &receipt).requires::<ReceiptPrint>()).await;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// The receipt as a PDF till slip (80 mm wide) with a QR code linking to it.
#[utoipa::path(get, path = "/finances/receipts/{id}/pdf", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404)))]
pub async fn receipt_pdf(
    State(config): State<Arc<Config>>,
    _: Can<ReceiptPrint>,
    _slot: crate::auth::HeavySlot,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<Response, AppError> {
    let receipt = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let slip = Slip::read(&mut tx, &config.frontend_url, receipt).await?;
    tx.commit().await?;
    let bytes = slip.pdf().await?;
    Ok(pdf_response(bytes, &format!("receipt-{id}.pdf")))
}

/// Mails the receipt with its PDF to `email`, or else to the client's e-mail. The mail is
/// queued (202) and its PDF rendered when it goes out. The answer does not repeat the address:
/// not everyone who may print a receipt may see the client's contacts.
#[utoipa::path(post, path = "/finances/receipts/{id}/email", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReceiptEmail,
    responses((status = 202, description = "the mail is queued"), (status = 403), (status = 404),
              (status = 409, description = "no `email` was given and the receipt's client has none"),
              (status = 422, description = "`email` is not an e-mail")))]
pub async fn email_receipt(
    _: Can<ReceiptPrint>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
    AppJson(input): AppJson<ReceiptEmail>,
) -> Result<StatusCode, AppError> {
    let receipt = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let given = input.email.filter(|e| !e.trim().is_empty());
    let to = match (given, receipt.client_id) {
        (Some(given), _) => given,
        (None, Some(client)) => mail::client_email(&mut tx, client).await?.unwrap_or_default(),
        (None, None) => String::new(),
    };
    // A valid request that the receipt's state cannot serve (no address anywhere): 409.
    if to.trim().is_empty() {
        return Err(AppError::conflict("no_email", "У клієнта немає e-mail: вкажіть адресу"));
    }
    let to = normalise_email("email", &to)?;
    EmailReceipt { receipt: id, to }.enqueue(&mut tx).await?;
    tx.commit().await?;
    Ok(StatusCode::ACCEPTED)
}

/// A PDF download.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        bytes,
    )
        .into_response()
}
