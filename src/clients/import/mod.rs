//! `POST /clients/import`: clients from a spreadsheet (.xlsx or .csv, read by
//! [`crate::spreadsheet`] within its bounds; an .xls is refused with a 422), and
//! `GET /clients/import/{jobId}` for imports that run in the background.
//!
//! Policy, as documented on the route:
//! - the header row is found among the first ten non-blank rows by its names (Ukrainian or
//!   English); "Ім'я"/"First name" (or a full-name column) and "Телефон"/"Phone" are required,
//!   other columns are optional and unknown ones ignored;
//! - every row is checked with the API's rules; a bad row is reported as `{row, error}` with
//!   its number in the spreadsheet and the other rows are still imported;
//! - a phone given twice in the file: the later row is reported as an error;
//! - a phone of an existing live client: `onDuplicate=skip` (default) leaves that client and
//!   counts the row as `skipped`; `onDuplicate=update` fills it with the row's non-empty cells
//!   (`updated`). A deleted client's phone gets a new client;
//! - the whole import is one transaction: it is written entirely or not at all;
//! - more than [`BACKGROUND_ROWS`] data rows run as a job: `202 {jobId, status}`, progress by
//!   `GET /clients/import/{jobId}` and WebSocket events `clients:import`.

mod headers;
pub(super) mod http;
mod job;
mod job_store;
mod rows;
mod write;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use job::{ClientImport, ImportParts};
pub use job_store::ImportJob;
pub use rows::RowError;
pub use write::OnDuplicate;

use crate::{audit, error::AppError, ids::UserId, spreadsheet, tenancy::TenantTx};

/// Imports with more data rows than this run in the background.
pub const BACKGROUND_ROWS: usize = 1_000;
/// Largest accepted upload.
pub const MAX_UPLOAD: usize = spreadsheet::LIMITS.max_file_bytes;
/// Rows written per statement.
const BATCH_ROWS: usize = 1_000;
/// Row errors listed in a result (`failed` counts them all).
const LISTED_ERRORS: usize = 1_000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ImportQuery {
    /// `skip` (default) or `update`: what a row with the phone of an existing client does.
    #[param(value_type = Option<OnDuplicate>)]
    pub on_duplicate: Option<OnDuplicate>,
}

/// The upload: `multipart/form-data` with one part named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// .xlsx or .csv (UTF-8, `,` or `;`), at most 10 MB (.xls is refused: save it as .xlsx).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportResult {
    /// New clients.
    pub imported: usize,
    /// Existing clients filled from the file (`onDuplicate=update`).
    pub updated: usize,
    /// Rows whose phone belongs to an existing client (`onDuplicate=skip`).
    pub skipped: usize,
    /// Rows refused, each listed in `errors` (the first 1,000).
    pub failed: usize,
    pub errors: Vec<RowError>,
}

/// `202` for a background import.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportAccepted {
    pub job_id: i64,
    /// `queued`.
    pub status: String,
    /// Data rows in the file.
    pub total: usize,
}

/// A file read and checked: the cards to write and the rows refused.
pub struct Parsed {
    cards: Vec<rows::Card>,
    errors: Vec<RowError>,
    total: usize,
}

/// Reads and checks a whole file (blocking: run it on the blocking pool).
fn parse(bytes: &[u8], today: chrono::NaiveDate) -> Result<Parsed, AppError> {
    let mut collected = rows::Rows::new(today);
    for (number, cells) in spreadsheet::read(bytes, None)? {
        if !collected.push(number, cells) {
            break;
        }
    }
    let collected = collected.finish().map_err(|e| match e {
        rows::RowsError::MissingColumns(missing) => AppError::unprocessable(
            "missing_columns",
            format!("У таблиці немає обов'язкових стовпців: {}", missing.join(", ")),
        ),
        rows::RowsError::TooManyRows => AppError::unprocessable(
            "too_many_rows",
            format!("Не більше {} рядків в одному файлі", rows::MAX_ROWS),
        ),
    })?;
    Ok(Parsed { cards: collected.cards, errors: collected.errors, total: collected.total })
}

async fn parse_off_thread(bytes: Bytes, today: chrono::NaiveDate) -> Result<Parsed, AppError> {
    spreadsheet::read_off_thread(move || parse(&bytes, today)).await?
}

/// The result of `parsed` plus `counts`, listing at most [`LISTED_ERRORS`] errors.
fn result_of(parsed: &Parsed, counts: write::Counts) -> ImportResult {
    ImportResult {
        imported: counts.imported,
        updated: counts.updated,
        skipped: counts.skipped,
        failed: parsed.errors.len(),
        errors: parsed.errors.iter().take(LISTED_ERRORS).cloned().collect(),
    }
}

/// Writes every card of `parsed` in batches; a background job reports the rows done after
/// each batch.
async fn write_all(
    tx: &mut TenantTx,
    parsed: &Parsed,
    policy: OnDuplicate,
    reporter: Option<&job::Reporter<'_>>,
) -> Result<write::Counts, AppError> {
    let mut counts = write::Counts::default();
    let mut done = parsed.errors.len();
    for chunk in parsed.cards.chunks(BATCH_ROWS) {
        counts += write::batch(tx, chunk, policy).await?;
        done += chunk.len();
        if let Some(r) = reporter {
            r.step(done).await;
        }
    }
    Ok(counts)
}

/// One audit entry for a whole import.
async fn audit_import(
    tx: &mut TenantTx,
    user_id: Option<UserId>,
    ip: Option<&str>,
    job_id: Option<i64>,
    file_name: &str,
    result: &ImportResult,
) -> Result<(), AppError> {
    let after = serde_json::json!({ "import": {
        "jobId": job_id, "fileName": file_name, "imported": result.imported, "updated": result.updated,
        "skipped": result.skipped, "failed": result.failed,
    }});
    audit::record(tx, audit::Change {
        user_id, entity: "client", entity_id: None, action: "created", before: None, after: Some(after), ip,
    })
    .await
}
