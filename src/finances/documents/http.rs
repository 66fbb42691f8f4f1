//! `/finances/documents` handlers.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
};

use super::{
    Draft,
    model::{DocStatusChange, Document, DocumentFilter, NewDocument},
    store,
};
use crate::{
    auth::{Can, ClientIp},
    finances::{
        AccountsCashboxes, FinancesModule,
        common::Actor,
        enums::{DocStatus, DocType},
    },
    error::AppError,
    http::{AppJson, AppPath, AppQuery, page::Unpaged},
    realtime::{Event, Hub},
    tenancy::{SalonClock, TenantTx},
};

/// Documents matching the filters, newest first; every match unless `limit` is given, the
/// number of matches in `X-Total-Count`. `?type=receipt` lists receipts' documents; `search`
/// finds part of a number (typed or of the series), counterparty or comment.
#[utoipa::path(get, path = "/finances/documents", tag = "finances", security(("bearer" = [])),
    params(DocumentFilter, Unpaged), responses((status = 200, body = [Document]), (status = 403), (status = 422)))]
pub async fn list_documents(
    _: Can<FinancesModule>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<DocumentFilter>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<(HeaderMap, Json<Vec<Document>>), AppError> {
    let rows = paging.rows()?;
    if let (Some(from), Some(to)) = (filter.date_from, filter.date_to)
        && from > to
    {
        return Err(AppError::field("dateTo", "Кінець періоду раніше за початок"));
    }
    let list = store::list(&mut tx, &filter, rows).await?;
    tx.commit().await?;
    let total = list.first().and_then(|d| d.total_count).unwrap_or(0);
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    Ok((headers, Json(list)))
}

/// One document with its lines.
#[utoipa::path(get, path = "/finances/documents/{id}", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Document), (status = 404)))]
pub async fn get_document(
    _: Can<FinancesModule>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Document>, AppError> {
    let doc = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(doc))
}

/// Creates a document numbered with the body's `number`, unique per salon and type; without
/// one (absent or empty) the document gets the next number of the server's series
/// (`РН-2026-000001`), also answered as `seriesNumber`. Needs `finances.accounts_cashboxes.access`.
#[utoipa::path(post, path = "/finances/documents", tag = "finances", security(("bearer" = [])),
    request_body = NewDocument,
    responses((status = 201, body = Document), (status = 403),
              (status = 409, description = "`number_taken`: a document of the salon and type has the number; \
                                            `conflict: {id, number, date}` names it"),
              (status = 422)))]
pub async fn create_document(
    State(hub): State<Hub>,
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewDocument>,
) -> Result<(StatusCode, Json<Document>), AppError> {
    let actor = Actor::of(&user, ip);
    let draft = Draft {
        kind: input.kind.unwrap_or(DocType::Invoice),
        date: input.date.map(|d| d.0),
        number: input.number,
        series: false,
        content_type: input.content_type,
        amount: input.amount,
        services_count: input.services_count,
        products_count: input.products_count,
        client_id: input.client_id,
        counterparty: input.counterparty,
        comment: input.comment,
        author: input.author,
        status: input.status.unwrap_or(DocStatus::Draft),
        items: input.items.unwrap_or_default(),
    };
    let today = SalonClock::read(&mut tx).await?.today();
    let prepared = super::prepare(&mut tx, &actor, &draft, today).await?;
    let doc = super::issue(&mut tx, &actor, prepared).await?;
    tx.commit().await?;
    hub.publish(user.salon, &Event::new("document:created", &doc).requires::<FinancesModule>()).await;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// draft → issued → paid; draft or issued → cancelled (409 otherwise). Needs
/// `finances.accounts_cashboxes.access`.
#[utoipa::path(patch, path = "/finances/documents/{id}/status", tag = "finances", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DocStatusChange,
    responses((status = 200, body = Document), (status = 404), (status = 409, description = "transition not allowed")))]
pub async fn change_document_status(
    State(hub): State<Hub>,
    Can(user, ..): Can<AccountsCashboxes>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<DocStatusChange>,
) -> Result<Json<Document>, AppError> {
    let doc = super::change_status(&mut tx, &Actor::of(&user, ip), id, change.status).await?;
    tx.commit().await?;
    hub.publish(user.salon, &Event::new("document:updated", &doc).requires::<FinancesModule>()).await;
    Ok(Json(doc))
}
