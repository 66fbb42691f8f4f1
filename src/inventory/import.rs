//! `POST /inventory/import`: products from an .xlsx or .csv file (multipart part `file`;
//! needs `inventory.management`), read by [`crate::spreadsheet`] within its bounds; an .xls is
//! refused with a 422 naming the accepted formats.
//!
//! The first non-empty row holds the headers (Ukrainian or English; `Назва`/`name` and
//! `Артикул`/`SKU` are required). Every data row is validated on its own: a bad row is
//! reported in `errors` and skipped, the others are written, all in one transaction. Rows match
//! live products by SKU (ignoring case); `onDuplicate` says what happens then. A file that
//! cannot be read at all (not a spreadsheet, too large, a zip bomb, required columns missing)
//! is refused with a 4xx and nothing is written.

use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    columns::{Layout, row_values},
    http::{COST_VIEW, InventoryManage, json},
    input::ProductValues,
    model::Product,
    products,
    stock::{self, LowStock},
    store,
};
use crate::{
    AppState, audit,
    auth::{Can, ClientIp, CurrentUser},
    http::{AppQuery, error::AppError},
    spreadsheet::{self, Rows},
    tenancy::TenantTx,
};

/// Largest file accepted (the contract's 10 MB upload limit).
pub const MAX_FILE_BYTES: usize = spreadsheet::LIMITS.max_file_bytes;
/// Data rows accepted per file (one transaction; larger files should be split).
pub const MAX_ROWS: usize = 5_000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OnDuplicate {
    /// Keep the existing product untouched and count the row in `skipped` (the default).
    #[default]
    Skip,
    /// Apply the row's non-empty cells to the existing product; a different quantity is
    /// recorded as an `adjustment` ("Імпорт").
    Update,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ImportQuery {
    /// What to do with a row whose SKU a live product already has: `skip` (default) or `update`.
    #[param(value_type = Option<String>)]
    pub on_duplicate: Option<OnDuplicate>,
}

/// The multipart body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// .xlsx or .csv (UTF-8), at most 10 MB (.xls is refused: save it as .xlsx).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1 when it is on top).
    pub row: usize,
    pub error: String,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// New products.
    pub imported: usize,
    /// Existing products changed (`onDuplicate=update`).
    pub updated: usize,
    /// Rows whose SKU exists (`onDuplicate=skip`).
    pub skipped: usize,
    /// Rows refused; see `errors`.
    pub failed: usize,
    pub errors: Vec<RowError>,
}

/// Imports products. New products' quantities are recorded as `in` movements "Імпорт".
#[utoipa::path(post, path = "/inventory/import", tag = "inventory", security(("bearer" = [])),
    params(ImportQuery), request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = ImportReport), (status = 400, description = "not a multipart upload"),
              (status = 403), (status = 413, description = "file over 10 MB"),
              (status = 422, description = "not an .xlsx or .csv (an .xls too), a zip that unpacks too far, a sheet beyond the row, column or cell bounds, missing columns")))]
pub async fn import_products(
    State(state): State<AppState>,
    Can(user, ..): Can<InventoryManage>,
    _slot: crate::http::limits::HeavySlot,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppQuery(q): AppQuery<ImportQuery>,
    upload: Result<Multipart, MultipartRejection>,
) -> Result<Json<ImportReport>, AppError> {
    let upload = upload.map_err(|_| AppError::bad_request("not_multipart", "Надішліть файл як multipart/form-data"))?;
    let (file_name, bytes) = read_file(upload).await?;
    let rows = spreadsheet::read_off_thread(move || spreadsheet::read(&bytes, file_name.as_deref())).await??;
    if rows.len() > MAX_ROWS + 1 {
        return Err(AppError::unprocessable("too_many_rows", format!("Не більше {MAX_ROWS} рядків у файлі")));
    }
    let (report, alerts) = apply(&mut tx, &user, ip.as_deref(), rows, q.on_duplicate.unwrap_or_default()).await?;
    tx.commit().await?;
    for low in &alerts {
        stock::announce(&state, user.salon, low).await;
    }
    Ok(Json(report))
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

/// Writes the rows in the caller's transaction; returns the report and the low-stock alerts to
/// announce after commit.
async fn apply(
    tx: &mut TenantTx,
    user: &CurrentUser,
    ip: Option<&str>,
    rows: Rows,
    on_duplicate: OnDuplicate,
) -> Result<(ImportReport, Vec<LowStock>), AppError> {
    let mut rows = rows.into_iter();
    let Some((_, headers)) = rows.next() else { return Err(spreadsheet::SheetError::Empty.into()) };
    let layout = Layout::of(&headers).map_err(|missing| {
        AppError::unprocessable("missing_columns", format!("У файлі немає обов'язкових колонок: {}", missing.join(", ")))
    })?;
    let mut report = ImportReport::default();
    let mut alerts = Vec::new();
    for (row, cells) in rows {
        let row = row as usize;
        if let Some(column) = spreadsheet::unstorable_column(&cells) {
            report.failed += 1;
            report.errors.push(RowError { row, error: spreadsheet::unstorable_message(column) });
            continue;
        }
        let mut values = match row_values(&layout, &cells) {
            Ok(v) => v,
            Err(error) => {
                report.failed += 1;
                report.errors.push(RowError { row, error });
                continue;
            }
        };
        let sku = values.sku.clone().unwrap_or_default();
        let Some(existing) = store::find_by_sku(tx, &sku).await? else {
            create(tx, user, ip, values).await?;
            report.imported += 1;
            continue;
        };
        if on_duplicate == OnDuplicate::Skip {
            report.skipped += 1;
            continue;
        }
        if !user.may(COST_VIEW) {
            values.cost_price = None;
        }
        values.sku = None;
        let edited = products::update(tx, existing.id, &values, user.id, "Імпорт").await?.ok_or(AppError::NotFound)?;
        audit::record(tx, audit::Change {
            user_id: Some(user.id), entity: "product", entity_id: Some(existing.id), action: "updated",
            before: Some(json(&edited.before)?), after: Some(json(&edited.after)?), ip,
        })
        .await?;
        alerts.extend(edited.low_stock);
        report.updated += 1;
    }
    Ok((report, alerts))
}

async fn create(
    tx: &mut TenantTx,
    user: &CurrentUser,
    ip: Option<&str>,
    mut values: ProductValues,
) -> Result<Product, AppError> {
    values.category.get_or_insert_with(|| "uncategorized".to_owned());
    values.unit.get_or_insert_default();
    values.is_active.get_or_insert(true);
    let product = products::create(tx, &values, user.id, "Імпорт").await?;
    audit::record(tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(product.id), action: "created",
        before: None, after: Some(json(&product)?), ip,
    })
    .await?;
    Ok(product)
}
