//! Body, query and path extractors whose rejections are our error envelope.
//!
//! Malformed JSON is a 400; JSON of the wrong shape (missing field, wrong type, unknown enum
//! value) is a 422 naming the field, found with `serde_path_to_error`. Every string of a body or
//! query is bounded first (length, NUL, date range: `crate::text`).

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{header, request::Parts},
};
use bytes::Bytes;
use serde::de::DeserializeOwned;

use crate::error::{AppError, FieldErrors};

/// JSON body. An absent or empty body reads as `{}` only for types that allow it.
pub struct AppJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AppJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::bad_request("unreadable_body", "Не вдалося прочитати тіло запиту")
            }
        })?;
        if json_type == Some(false) {
            return Err(AppError::bad_request(
                "unsupported_media_type",
                "Очікується Content-Type: application/json",
            ));
        }
        parse_json(&bytes).map(AppJson)
    }
}

/// Deserialises JSON, classifying errors into 400 (syntax) and 422 (shape).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    crate::text::check_json(bytes)?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                let mut details = FieldErrors::new();
                details.insert(field, vec![describe(&inner)]);
                AppError::Invalid(details)
            }
            _ => AppError::bad_request("malformed_json", "Некоректний JSON у тілі запиту"),
        }
    })
}

/// serde's message without its " at line 1 column 7" suffix, which means nothing to a person.
fn describe(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Query string. Empty values (`?search=`) are dropped before parsing: the frontend sends them
/// for cleared filters and means "no filter".
pub struct AppQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for AppQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let raw = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        crate::text::check_query(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
        let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(encoded.as_bytes()));
        serde_path_to_error::deserialize(de).map(AppQuery).map_err(|err| {
            let field = err.path().to_string();
            AppError::field(if field == "." { "query" } else { &field }, err.into_inner().to_string())
        })
    }
}

/// Path parameters; a non-numeric id is a 404 (the resource cannot exist), not a 500.
pub struct AppPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for AppPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| AppPath(p.0))
            .map_err(|_| AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Login {
        #[allow(dead_code)]
        email: String,
        #[allow(dead_code)]
        age: u8,
    }

    #[test]
    fn syntax_errors_are_400() {
        let err = parse_json::<Login>(b"{\"email\": ").unwrap_err();
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn wrong_types_name_the_field() {
        match parse_json::<Login>(br#"{"email": "a@b.c", "age": "old"}"#).unwrap_err() {
            AppError::Invalid(d) => assert!(d.contains_key("age"), "{d:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_fields_are_422() {
        assert_eq!(parse_json::<Login>(b"{}").unwrap_err().status(), 422);
        assert_eq!(parse_json::<Login>(b"").unwrap_err().status(), 422);
    }
}
