//! The one error type of the API and its JSON envelope.
//!
//! Every handler, extractor and domain function returns [`AppError`]. The body is always the
//! contract's `{"message": string, "code": string, "details"?: {field: [problem]}}`; messages are
//! Ukrainian (the salon staff read them in toasts), codes are stable machine names.

use std::collections::BTreeMap;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

/// Field name → problems with it, as sent in `details`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Field problems gathered while checking a whole body, so that one 422 names every bad field
/// (the contract's `details`).
#[derive(Debug, Default)]
pub struct Problems(FieldErrors);

impl Problems {
    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(problem.into());
    }

    /// The value of a check, or `None` with its problem recorded against `field`.
    pub fn check<T, E: Into<String>>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|problem| self.add(field, problem)).ok()
    }

    /// Trimmed optional text of at most `max` characters; `""` reads as empty text.
    pub fn text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let value = value.map(str::trim)?;
        if value.chars().count() > max {
            self.add(field, format!("Не більше {max} символів"));
        }
        Some(value.to_owned())
    }

    /// A required name: present, not blank, at most `max` characters.
    pub fn name(&mut self, field: &str, value: Option<&str>, max: usize, missing: &str) -> Option<String> {
        match self.text(field, value, max) {
            Some(v) if v.is_empty() => {
                self.add(field, missing);
                None
            }
            v => v,
        }
    }

    /// Takes in the field problems of a 422 from a nested check; any other error is handed back.
    pub fn absorb(&mut self, err: AppError) -> Result<(), AppError> {
        match err {
            AppError::Invalid(details) => {
                for (field, problems) in details {
                    self.0.entry(field).or_default().extend(problems);
                }
                Ok(())
            }
            other => Err(other),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a problem is recorded against `field`.
    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The fields with problems, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `Ok` when nothing was recorded, else the 422 naming every field.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() { Ok(()) } else { Err(AppError::Invalid(self.0)) }
    }

    /// `value` when nothing was recorded, else the 422 naming every field.
    pub fn finish_with<T>(self, value: T) -> Result<T, AppError> {
        self.finish().map(|()| value)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// Missing, expired or invalid access token: the only source of 401.
    #[error("not authenticated")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// A 403 with its own code and message (inactive account, suspended salon, tenant mismatch).
    #[error("forbidden: {code}")]
    Denied { code: &'static str, message: &'static str },
    /// Field-level validation failure (422).
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// Well-formed input the salon's rules refuse as a whole (422 with a code, no field).
    #[error("unprocessable: {code}")]
    Unprocessable { code: &'static str, message: String },
    /// A request that cannot be understood at all (400): malformed JSON, wrong credentials.
    #[error("bad request: {code}")]
    BadRequest { code: &'static str, message: String },
    #[error("conflict: {code}")]
    Conflict { code: &'static str, message: String },
    /// A 409 that names what it collided with (the booked appointment), in `conflict`.
    #[error("conflict with an existing resource: {code}")]
    ConflictWith { code: &'static str, message: String, conflict: serde_json::Value },
    /// A service we call (the Telegram Bot API) failed or could not be reached (502).
    #[error("upstream failed: {code}")]
    Upstream { code: &'static str, message: String },
    /// A part this deployment has not configured (503).
    #[error("unavailable: {code}")]
    Unavailable { code: &'static str, message: String },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Human-readable text for a toast (Ukrainian).
    pub message: String,
    /// Stable machine-readable code.
    pub code: String,
    /// Field-level problems, present on validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<FieldErrors>,
    /// On some 409s: the existing resource the request collided with.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub conflict: Option<serde_json::Value>,
}

impl AppError {
    /// A 422 with a single field problem.
    pub fn field(field: &str, problem: impl Into<String>) -> Self {
        let mut details = FieldErrors::new();
        details.insert(field.to_owned(), vec![problem.into()]);
        AppError::Invalid(details)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest { code, message: message.into() }
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Unprocessable { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict { code, message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Denied { .. } => StatusCode::FORBIDDEN,
            AppError::Invalid(_) | AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } | AppError::ConflictWith { .. } => StatusCode::CONFLICT,
            AppError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Db(sqlx::Error::PoolTimedOut) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> ErrorBody {
        if let AppError::ConflictWith { code, message, conflict } = self {
            return ErrorBody {
                message: message.clone(),
                code: (*code).to_owned(),
                details: None,
                conflict: Some(conflict.clone()),
            };
        }
        let (code, message, details) = match self {
            AppError::NotFound => ("not_found", "Не знайдено".to_owned(), None),
            AppError::Unauthenticated => ("not_authenticated", "Not authenticated".to_owned(), None),
            AppError::Forbidden => ("forbidden", "Недостатньо прав для цієї дії".to_owned(), None),
            AppError::Denied { code, message } => (*code, (*message).to_owned(), None),
            AppError::Invalid(details) => {
                ("validation_error", "Перевірте введені дані".to_owned(), Some(details.clone()))
            }
            AppError::BadRequest { code, message }
            | AppError::Unprocessable { code, message }
            | AppError::Conflict { code, message }
            | AppError::Upstream { code, message }
            | AppError::Unavailable { code, message }
            | AppError::ConflictWith { code, message, .. } => (*code, message.clone(), None),
            AppError::PayloadTooLarge => ("payload_too_large", "Запит завеликий".to_owned(), None),
            AppError::RateLimited { .. } => {
                ("too_many_requests", "Забагато спроб. Спробуйте пізніше".to_owned(), None)
            }
            AppError::Db(sqlx::Error::PoolTimedOut) => {
                ("unavailable", "Сервіс перевантажений, спробуйте ще раз".to_owned(), None)
            }
            AppError::Db(_) | AppError::Internal(_) => {
                ("internal_error", "Внутрішня помилка сервера".to_owned(), None)
            }
        };
        ErrorBody { message, code: code.to_owned(), details, conflict: None }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // The one place a failure is logged: the cause stays in the log, never in the body.
            tracing::error!(error = ?self, "request failed");
        }
        let mut res = (status, axum::Json(self.body())).into_response();
        if let AppError::RateLimited { retry_after_secs } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
        }
        res
    }
}

/// The name of the constraint a database error violated, for mapping to a client error.
pub fn constraint_of(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// A plain error response for rejections produced outside handlers (layers, fallbacks).
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody { message: message.to_owned(), code: code.to_owned(), details: None, conflict: None };
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_collect_every_field() {
        let mut p = Problems::default();
        assert_eq!(p.name("name", Some("  "), 10, "Вкажіть назву"), None);
        assert_eq!(p.text("note", Some(" ok "), 10).as_deref(), Some("ok"));
        p.text("long", Some("abcdefghijk"), 10);
        let AppError::Invalid(d) = p.finish().unwrap_err() else { panic!() };
        assert_eq!(d.keys().collect::<Vec<_>>(), ["long", "name"]);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::Internal(anyhow::anyhow!("password=hunter2 in SQL"));
        let body = serde_json::to_string(&err.body()).unwrap();
        assert!(!body.contains("hunter2"));
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn rate_limit_sets_retry_after() {
        let res = AppError::RateLimited { retry_after_secs: 42 }.into_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers()[header::RETRY_AFTER], "42");
    }

    #[test]
    fn validation_lists_fields() {
        let body = AppError::field("email", "обов'язкове поле").body();
        assert_eq!(body.details.unwrap()["email"], ["обов'язкове поле"]);
    }
}
