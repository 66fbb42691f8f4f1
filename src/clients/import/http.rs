//! `POST /clients/import` and `GET /clients/import/{jobId}`.

use axum::{
    Json,
    extract::{Multipart, multipart::MultipartRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use bytes::{Bytes, BytesMut};

use super::{
    BACKGROUND_ROWS, ClientImport, ImportAccepted, ImportJob, ImportQuery, ImportResult, ImportUpload, MAX_UPLOAD,
    audit_import, job_store, parse_off_thread, result_of, write_all,
};
use crate::{
    auth::{Can, ClientIp},
    clients::ClientsEdit,
    error::AppError,
    http::{AppPath, AppQuery},
    tenancy::{SalonClock, TenantTx},
};

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
        // The name is stored with the import job and its audit entry.
        crate::text::check("file", &name)?;
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
    Can(user, ..): Can<ClientsEdit>,
    _slot: crate::auth::HeavySlot,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppQuery(q): AppQuery<ImportQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let policy = q.on_duplicate.unwrap_or_default();
    let (file_name, bytes) = upload(multipart).await?;
    let today = SalonClock::read(&mut tx).await?.today();
    let parsed = parse_off_thread(bytes.clone(), today).await?;
    if let Some(running) = job_store::active(&mut tx).await? {
        return Err(job_store::in_progress(running));
    }
    if parsed.total > BACKGROUND_ROWS {
        let total = parsed.total;
        let job_id = job_store::enqueue(&mut tx, user.id, &file_name, &bytes, total, policy).await?;
        ClientImport::enqueue(&mut tx, job_id).await?;
        tx.commit().await?;
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
