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
mod job;
mod job_store;
mod rows;
mod write;

use axum::{
    Json,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use job::sweep;
pub use job_store::ImportJob;
pub use rows::RowError;
pub use write::OnDuplicate;

use super::{ClientsEdit, store};
use crate::{
    AppState, audit,
    auth::{Can, ClientIp},
    http::{AppPath, AppQuery, error::AppError},
    spreadsheet,
    tenancy::TenantTx,
};

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

/// The `file` part, at most [`MAX_UPLOAD`] bytes.
async fn upload(multipart: Result<Multipart, MultipartRejection>) -> Result<(String, Bytes), AppError> {
    let unreadable = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::bad_request("malformed_upload", "Очікується multipart/form-data з файлом у полі file")
        }
    };
    let mut multipart = multipart.map_err(|r| unreadable(r.status()))?;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| unreadable(e.status()))? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").to_owned();
        let mut data = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| unreadable(e.status()))? {
            if data.len() + chunk.len() > MAX_UPLOAD {
                return Err(AppError::PayloadTooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        if data.is_empty() {
            return Err(AppError::field("file", "Файл порожній"));
        }
        return Ok((name, data.freeze()));
    }
    Err(AppError::field("file", "Додайте файл у поле file"))
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
    user_id: Option<i64>,
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

/// Imports clients from a spreadsheet (multipart, part `file`: .xlsx or .csv, at most 10 MB
/// and 100,000 rows; an .xls is refused with a 422 naming the accepted formats). Headers in Ukrainian or English; "Ім'я" and "Телефон" required.
/// Each row is checked; refused rows are listed with their spreadsheet row number. A phone
/// repeated in the file: the later row is an error. A phone of an existing client:
/// `onDuplicate=skip` (default) leaves it (`skipped`), `onDuplicate=update` fills it with the
/// row's non-empty cells (`updated`). All rows are written in one transaction.
///
/// Up to 1,000 data rows: `200` with the result. More: `202 {jobId, status}` at once; the job
/// reports on `GET /clients/import/{jobId}` and by WebSocket events `clients:import`
/// `{jobId, status, processed, total}`. One import runs at a time per salon (409 otherwise).
#[utoipa::path(post, path = "/clients/import", tag = "clients", security(("bearer" = [])),
    params(ImportQuery), request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = ImportResult), (status = 202, body = ImportAccepted),
              (status = 400, description = "not a multipart upload"),
              (status = 403), (status = 409, description = "another import of the salon is running"),
              (status = 413, description = "larger than 10 MB"),
              (status = 422, description = "not an .xlsx or .csv (an .xls too), a zip that unpacks too far, a sheet beyond the row, column or cell bounds, required columns missing")))]
pub async fn import_clients(
    State(state): State<AppState>,
    Can(user, ..): Can<ClientsEdit>,
    _slot: crate::http::limits::HeavySlot,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppQuery(q): AppQuery<ImportQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let policy = q.on_duplicate.unwrap_or_default();
    let (file_name, bytes) = upload(multipart).await?;
    let today = store::salon_today(&mut tx).await?;
    let parsed = parse_off_thread(bytes.clone(), today).await?;
    if let Some(running) = job_store::active(&mut tx).await? {
        return Err(job_store::in_progress(running));
    }
    if parsed.total > BACKGROUND_ROWS {
        let total = parsed.total;
        let job_id = job_store::enqueue(&mut tx, user.id, &file_name, &bytes, total, policy).await?;
        tx.commit().await?;
        job::start(state, user.salon, job_id, Some(parsed));
        let accepted = ImportAccepted { job_id, status: "queued".into(), total };
        let mut res = (StatusCode::ACCEPTED, Json(accepted)).into_response();
        let location = format!("/api/v1/clients/import/{job_id}");
        if let Ok(v) = HeaderValue::from_str(&location) {
            res.headers_mut().insert(header::LOCATION, v);
        }
        return Ok(res);
    }
    let counts = write_all(&mut tx, &parsed, policy, None).await?;
    let result = result_of(&parsed, counts);
    audit_import(&mut tx, Some(user.id), ip.as_deref(), None, &file_name, &result).await?;
    tx.commit().await?;
    Ok(Json(result).into_response())
}

/// Status, progress and (once finished) the result of a background import.
#[utoipa::path(get, path = "/clients/import/{jobId}", tag = "clients", security(("bearer" = [])),
    params(("jobId" = i64, Path)), responses((status = 200, body = ImportJob), (status = 403), (status = 404)))]
pub async fn import_status(
    _: Can<ClientsEdit>,
    mut tx: TenantTx,
    AppPath(job_id): AppPath<i64>,
) -> Result<Json<ImportJob>, AppError> {
    job_store::mark_stale(&mut tx).await?;
    let found = job_store::find(&mut tx, job_id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(found))
}
