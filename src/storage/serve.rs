//! `GET /uploads/{key}`: stored files, public, for `<img src>`.

use axum::{
    extract::{FromRef, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use super::{FileKey, FileStore};
use crate::{error::AppError, http::AppPath};

#[derive(OpenApi)]
#[openapi(paths(serve_upload))]
struct FilesDoc;

/// Mounted at the root, outside `/api/v1` (the key may span several path segments, which a
/// documented `{key}` parameter cannot express, so the route is added by hand and documented
/// through [`FilesDoc`]).
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    FileStore: FromRef<S>,
{
    OpenApiRouter::with_openapi(FilesDoc::openapi()).route("/uploads/{*key}", get(serve_upload))
}

/// A stored file (avatars), by its key. Public on purpose: an `<img>` cannot send a token, so
/// the protection is the random part of the name. Keys never change content, so the answer is
/// cacheable for a year.
#[utoipa::path(get, path = "/uploads/{key}", tag = "files",
    params(("key" = String, Path, description = "File key, e.g. `salons/7/avatars/12-<random>.png` (may contain `/`)")),
    responses((status = 200, description = "the file, with its Content-Type",
               content(("image/png"), ("image/jpeg"), ("image/webp"))),
              (status = 404, description = "no such file, or not a valid key", body = crate::error::ErrorBody)))]
async fn serve_upload(
    State(files): State<FileStore>,
    AppPath(key): AppPath<String>,
) -> Result<Response, AppError> {
    let key = FileKey::parse(&key).ok_or(AppError::NotFound)?;
    let content_type = key.content_type().ok_or(AppError::NotFound)?;
    let bytes = files.get(&key).await?.ok_or(AppError::NotFound)?;
    let mut res = bytes.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(res)
}
