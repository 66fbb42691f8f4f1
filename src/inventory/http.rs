//! Handlers of `/inventory/products`, `/inventory/categories`, stock movements, and the
//! spreadsheet export and import.
//!
//! Reads need `inventory`; creating, editing and deleting products need
//! `inventory.management`. Users without `inventory.cost.view` see `costPrice` as 0 and cannot
//! change it. A movement needs `inventory.transactions.create`, a product's history
//! `inventory.movements.view`, the export `inventory.movements.export`.

use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::{
    COST_VIEW, InventoryExport, InventoryManage, InventoryView, MovementsView, StockCreate,
    export::{self, ExportQuery},
    import::{self, ImportQuery, ImportReport, ImportUpload, MAX_FILE_BYTES},
    import_job::{self, ImportAccepted, InventoryImportJob},
    input::{NewProduct, ProductChanges},
    model::{Product, ProductFilter},
    movements::{MovementAnswer, NewMovement, optional_text},
    products::{self, json},
    stock::{self, Movement, StockChange},
    store,
};
use crate::{
    audit,
    auth::{Can, ClientIp, CurrentUser},
    error::{AppError, Problems},
    http::{
        AppJson, AppPath, AppQuery,
        page::{Rows, Unpaged},
    },
    ids::ProductId,
    realtime::Hub,
    spreadsheet,
    tenancy::{Lock, TenantTx},
    xlsx,
};

/// The product as `user` may see it.
pub(super) fn shown(user: &CurrentUser, p: Product) -> Product {
    if user.may(COST_VIEW) { p } else { p.without_cost() }
}

pub(super) fn total_header(total: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    headers
}

/// Live products matching the filters, by name: every match unless `limit` is given (the total
/// is in `X-Total-Count`).
#[utoipa::path(get, path = "/inventory/products", tag = "inventory", security(("bearer" = [])),
    params(ProductFilter, Unpaged),
    responses((status = 200, body = [Product], headers(("X-Total-Count" = i64, description = "matches before paging"))),
              (status = 403), (status = 422)))]
pub async fn list_products(
    Can(user, ..): Can<InventoryView>,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<ProductFilter>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<(HeaderMap, Json<Vec<Product>>), AppError> {
    let rows = paging.rows()?;
    let list = store::list(&mut tx, &filter, rows).await?;
    let total = store::count(&mut tx, &filter).await?;
    tx.commit().await?;
    let list = list.into_iter().map(|p| shown(&user, p)).collect();
    Ok((total_header(total), Json(list)))
}

/// The browser's five default categories in its order, then every other slug a live product
/// uses (categories are managed in the browser; contract open point 21).
#[utoipa::path(get, path = "/inventory/categories", tag = "inventory", security(("bearer" = [])),
    responses((status = 200, body = [String]), (status = 403)))]
pub async fn list_categories(_: Can<InventoryView>, mut tx: TenantTx) -> Result<Json<Vec<String>>, AppError> {
    let categories = store::categories(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(categories))
}

#[utoipa::path(get, path = "/inventory/products/{id}", tag = "inventory", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Product), (status = 403), (status = 404)))]
pub async fn get_product(
    Can(user, ..): Can<InventoryView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<ProductId>,
) -> Result<Json<Product>, AppError> {
    let product = store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(shown(&user, product)))
}

/// Adds a product. A positive `quantity` is recorded as an `in` movement ("Початковий
/// залишок"). SKUs are unique among live products, ignoring case (409 `sku_taken`).
#[utoipa::path(post, path = "/inventory/products", tag = "inventory", security(("bearer" = [])),
    request_body = NewProduct,
    responses((status = 201, body = Product), (status = 403), (status = 409, description = "SKU taken"),
              (status = 422)))]
pub async fn create_product(
    Can(user, ..): Can<InventoryManage>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewProduct>,
) -> Result<(StatusCode, Json<Product>), AppError> {
    let values = input.validate()?;
    let product = products::create(&mut tx, &values, user.id, "Початковий залишок").await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(product.id.get()), action: "created",
        before: None, after: Some(json(&product)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(shown(&user, product))))
}

/// Changes the keys present in the body; the answer is the whole product. A `quantity` that
/// differs from the stock is recorded as an `adjustment` movement (it may raise the low-stock
/// alert). `costPrice` is ignored for users without `inventory.cost.view`.
#[utoipa::path(put, path = "/inventory/products/{id}", tag = "inventory", security(("bearer" = [])),
    request_body = ProductChanges, params(("id" = i64, Path)),
    responses((status = 200, body = Product), (status = 403), (status = 404),
              (status = 409, description = "SKU taken"), (status = 422)))]
pub async fn update_product(
    State(hub): State<Hub>,
    Can(user, ..): Can<InventoryManage>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ProductId>,
    AppJson(changes): AppJson<ProductChanges>,
) -> Result<Json<Product>, AppError> {
    let mut values = changes.validate()?;
    if !user.may(COST_VIEW) {
        values.cost_price = None;
    }
    let edited = products::update(&mut tx, id, &values, user.id, "Зміна кількості в картці товару")
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(id.get()), action: "updated",
        before: Some(json(&edited.before)?), after: Some(json(&edited.after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    if let Some(low) = &edited.low_stock {
        stock::announce(&hub, user.salon, low).await;
    }
    Ok(Json(shown(&user, edited.after)))
}

/// Archives a product: it disappears from lists, its SKU is free again, its movements stay.
#[utoipa::path(delete, path = "/inventory/products/{id}", tag = "inventory", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_product(
    Can(user, ..): Can<InventoryManage>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ProductId>,
) -> Result<StatusCode, AppError> {
    let before = store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    if !store::archive(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(id.get()), action: "deleted",
        before: Some(json(&before)?), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The products matching the filters as `inventory.xlsx`.
#[utoipa::path(get, path = "/inventory/export", tag = "inventory", security(("bearer" = [])),
    params(ExportQuery),
    responses((status = 200, description = "the .xlsx file", content_type = xlsx::CONTENT_TYPE), (status = 403), (status = 422)))]
pub async fn export_products(
    Can(user, ..): Can<InventoryExport>,
    _slot: crate::auth::HeavySlot,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ExportQuery>,
) -> Result<Response, AppError> {
    let products = store::list(&mut tx, &q.filter(), Rows::ALL).await?;
    tx.commit().await?;
    let columns = q.columns(user.may(COST_VIEW));
    let bytes = export::workbook_off_thread(columns, products).await?;
    Ok(xlsx::attachment(bytes, "inventory.xlsx"))
}

/// Imports products. New products' quantities are recorded as `in` movements "Імпорт".
///
/// Up to 1,000 data rows: `200` with the report. More: `202 {jobId, status, total}` at once;
/// the import runs in the background and reports on `GET /inventory/import/{jobId}` and by
/// WebSocket events `inventory:import` `{jobId, status, processed, total}`. One background
/// import runs at a time per salon (409 otherwise).
#[utoipa::path(post, path = "/inventory/import", tag = "inventory", security(("bearer" = [])),
    params(ImportQuery), request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = ImportReport), (status = 202, body = ImportAccepted),
              (status = 400, description = "not a multipart upload"),
              (status = 403), (status = 409, description = "another import of the salon is running"),
              (status = 413, description = "file over 10 MB"),
              (status = 422, description = "not an .xlsx or .csv (an .xls too), a zip that unpacks too far, a sheet beyond the row, column or cell bounds, missing columns")))]
pub async fn import_products(
    State(hub): State<Hub>,
    Can(user, ..): Can<InventoryManage>,
    _slot: crate::auth::HeavySlot,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppQuery(q): AppQuery<ImportQuery>,
    upload: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let upload = upload.map_err(|_| AppError::bad_request("not_multipart", "Надішліть файл як multipart/form-data"))?;
    let (file_name, bytes) = read_file(upload).await?;
    let bytes = bytes::Bytes::from(bytes);
    let file = bytes.clone();
    let name = file_name.clone();
    let rows = spreadsheet::read_off_thread(move || spreadsheet::read(&file, name.as_deref())).await??;
    let policy = q.on_duplicate.unwrap_or_default();
    let total = rows.len().saturating_sub(1);
    if import_job::in_background(total) {
        let accepted = import_job::start(&mut tx, (&user).into(), file_name.as_deref().unwrap_or(""), &bytes, total, policy).await?;
        tx.commit().await?;
        let location = format!("/api/v1/inventory/import/{}", accepted.job_id);
        let mut res = (StatusCode::ACCEPTED, Json(accepted)).into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            res.headers_mut().insert(axum::http::header::LOCATION, v);
        }
        return Ok(res);
    }
    let (report, alerts) = import::apply(&mut tx, (&user).into(), ip.as_deref(), rows, policy, None).await?;
    tx.commit().await?;
    for low in &alerts {
        stock::announce(&hub, user.salon, low).await;
    }
    Ok(Json(report).into_response())
}

/// Status, progress and (once finished) the report of a background import.
#[utoipa::path(get, path = "/inventory/import/{jobId}", tag = "inventory", security(("bearer" = [])),
    params(("jobId" = i64, Path)), responses((status = 200, body = InventoryImportJob), (status = 403), (status = 404)))]
pub async fn import_status(
    _: Can<InventoryManage>,
    mut tx: TenantTx,
    AppPath(job_id): AppPath<i64>,
) -> Result<Json<InventoryImportJob>, AppError> {
    let found = import_job::find(&mut tx, job_id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(found))
}

/// The part named `file`: its name and bytes, at most [`MAX_FILE_BYTES`].
async fn read_file(mut upload: Multipart) -> Result<(Option<String>, Vec<u8>), AppError> {
    let broken = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::bad_request("malformed_multipart", "Не вдалося прочитати завантажений файл")
        }
    };
    while let Some(mut field) = upload.next_field().await.map_err(broken)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        if let Some(name) = &name {
            crate::text::check("file", name)?;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, bytes));
    }
    Err(AppError::field("file", "Додайте файл у полі file"))
}

/// Receives (`in`), writes off (`out`) or counts (`adjustment`) stock. An `out` beyond the
/// stock is refused with 422 `insufficient_stock` unless the salon allows negative stock;
/// concurrent movements of one product queue on its row lock. Reaching the minimum notifies
/// the salon's admins and managers and publishes `inventory:low-stock`.
#[utoipa::path(post, path = "/inventory/stock-movement", tag = "inventory", security(("bearer" = [])),
    request_body = NewMovement,
    responses((status = 201, body = MovementAnswer), (status = 403),
              (status = 422, description = "invalid fields, unknown product, or insufficient_stock")))]
pub async fn create_movement(
    State(hub): State<Hub>,
    Can(user, ..): Can<StockCreate>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewMovement>,
) -> Result<(StatusCode, Json<MovementAnswer>), AppError> {
    let mut problems = Problems::default();
    let reason = optional_text("reason", input.reason, 500, &mut problems);
    let document_number = optional_text("documentNumber", input.document_number, 100, &mut problems);
    problems.finish()?;
    let moved = stock::record(&mut tx, StockChange {
        product_id: input.product_id, kind: input.kind, quantity: input.quantity, reason: reason.as_deref(),
        document_number: document_number.as_deref(), created_by: Some(user.id),
    })
    .await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(input.product_id.get()), action: "updated",
        before: Some(json!({ "quantity": moved.before })),
        after: Some(json!({ "quantity": moved.after, "movement": moved.movement })),
        ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    if let Some(low) = &moved.low_stock {
        stock::announce(&hub, user.salon, low).await;
    }
    let answer = MovementAnswer {
        message: "Рух товару збережено".to_owned(),
        new_quantity: moved.after,
        movement: moved.movement,
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// The product's movements, newest first, each with the stock right after it (`balanceAfter`);
/// every movement unless `limit` is given (the total is in `X-Total-Count`).
#[utoipa::path(get, path = "/inventory/products/{id}/history", tag = "inventory", security(("bearer" = [])),
    params(("id" = i64, Path), Unpaged),
    responses((status = 200, body = [Movement]), (status = 403), (status = 404)))]
pub async fn product_history(
    _: Can<MovementsView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<ProductId>,
    AppQuery(paging): AppQuery<Unpaged>,
) -> Result<(HeaderMap, Json<Vec<Movement>>), AppError> {
    let rows = paging.rows()?;
    store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    let list = stock::history(&mut tx, id, rows).await?;
    let total = stock::history_len(&mut tx, id).await?;
    tx.commit().await?;
    Ok((total_header(total), Json(list)))
}
