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

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    columns::{Layout, row_values},
    COST_VIEW,
    input::ProductValues,
    import_job::Reporter,
    model::Product,
    products::{self, json},
    stock::LowStock,
    store,
};
use crate::{
    audit,
    auth::CurrentUser,
    error::AppError,
    ids::UserId,
    spreadsheet::{self, Rows},
    tenancy::TenantTx,
};

/// Largest file accepted (the contract's 10 MB upload limit).
pub const MAX_FILE_BYTES: usize = spreadsheet::LIMITS.max_file_bytes;
/// Files with more data rows than this are imported in the background (`202`, see
/// [`super::import_job`]); the spreadsheet reader's own bounds cap the rest.
pub const BACKGROUND_ROWS: usize = 1_000;
/// Rows between two progress reports of a background import.
const PROGRESS_EVERY: usize = 500;

/// Who imports: the author of the products' movements and audit entries, and whether they may
/// set cost prices.
#[derive(Debug, Clone, Copy)]
pub(super) struct Importer {
    pub id: UserId,
    pub sees_cost: bool,
}

impl From<&CurrentUser> for Importer {
    fn from(user: &CurrentUser) -> Self {
        Self { id: user.id, sees_cost: user.may(COST_VIEW) }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowError {
    /// The row number as the spreadsheet shows it (the header is row 1 when it is on top).
    pub row: usize,
    pub error: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
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

/// Writes the rows in the caller's transaction; returns the report and the low-stock alerts to
/// announce after commit. `progress` is told the data rows done every few hundred rows.
pub(super) async fn apply(
    tx: &mut TenantTx,
    user: Importer,
    ip: Option<&str>,
    rows: Rows,
    on_duplicate: OnDuplicate,
    progress: Option<&Reporter<'_>>,
) -> Result<(ImportReport, Vec<LowStock>), AppError> {
    let mut rows = rows.into_iter();
    let Some((_, headers)) = rows.next() else { return Err(spreadsheet::SheetError::Empty.into()) };
    let layout = Layout::of(&headers).map_err(|missing| {
        AppError::unprocessable("missing_columns", format!("У файлі немає обов'язкових колонок: {}", missing.join(", ")))
    })?;
    let mut report = ImportReport::default();
    let mut alerts = Vec::new();
    for (done, (row, cells)) in rows.enumerate() {
        if let Some(progress) = progress.filter(|_| done > 0 && done % PROGRESS_EVERY == 0) {
            progress.step(done).await;
        }
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
        if !user.sees_cost {
            values.cost_price = None;
        }
        values.sku = None;
        let edited = products::update(tx, existing.id, &values, user.id, "Імпорт").await?.ok_or(AppError::NotFound)?;
        audit::record(tx, audit::Change {
            user_id: Some(user.id), entity: "product", entity_id: Some(existing.id.get()), action: "updated",
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
    user: Importer,
    ip: Option<&str>,
    mut values: ProductValues,
) -> Result<Product, AppError> {
    values.category.get_or_insert_with(|| "uncategorized".to_owned());
    values.unit.get_or_insert_default();
    values.is_active.get_or_insert(true);
    let product = products::create(tx, &values, user.id, "Імпорт").await?;
    audit::record(tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(product.id.get()), action: "created",
        before: None, after: Some(json(&product)?), ip,
    })
    .await?;
    Ok(product)
}
