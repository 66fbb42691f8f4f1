//! What keeps one salon (or one client) from starving the others: request bodies are read
//! whole, bounded in size and time, before any handler runs; heavy routes (imports, exports,
//! PDFs) are capped per salon.
//!
//! Why the body comes first: extractors that take a database connection ([`TenantTx`],
//! [`CurrentUser`] on a cold principal cache) run before the body extractor. Were the body read
//! after them, a client trickling its upload would hold a pooled connection for as long as it
//! liked, and a few dozen such clients would leave every salon with 503s. Here the handler
//! (and its transaction) only starts once the body is in memory.
//!
//! [`TenantTx`]: crate::tenancy::TenantTx

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    body::{Body, HttpBody},
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;

use crate::error::{AppError, error_response};
use crate::{config::Config, tenancy::SalonId};

/// How much of a request body is read, and for how long (`BODY_LIMIT_MB`,
/// `BODY_READ_TIMEOUT_SECONDS`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: usize,
    pub read_timeout: std::time::Duration,
}

impl BodyLimits {
    pub fn of(config: &Config) -> Self {
        Self { max_bytes: config.body_limit_bytes, read_timeout: config.body_read_timeout }
    }
}

/// Reads the request body whole, at most `BODY_LIMIT_MB` and within `BODY_READ_TIMEOUT_SECONDS`,
/// and hands the handler a request whose body is already in memory. 413 when too large (also
/// at once from `Content-Length`), 408 when the client is too slow.
pub async fn read_body_first(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let limit = limits.max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return AppError::PayloadTooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    let read = async {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| BodyError::Broken)?;
            if bytes.len() + chunk.len() > limit {
                return Err(BodyError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    match tokio::time::timeout(limits.read_timeout, read).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(BodyError::TooLarge)) => AppError::PayloadTooLarge.into_response(),
        Ok(Err(BodyError::Broken)) => {
            AppError::bad_request("unreadable_body", "Не вдалося прочитати тіло запиту").into_response()
        }
        Err(_) => {
            let mut res = error_response(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "Тіло запиту надходило задовго. Перевірте з'єднання і спробуйте ще раз",
            );
            // The rest of the body is never read: the connection cannot carry another request.
            res.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            res
        }
    }
}

enum BodyError {
    TooLarge,
    Broken,
}

/// How long a client told "too busy" should wait before trying a heavy route again.
const HEAVY_RETRY_AFTER_SECS: u64 = 5;

/// In-flight heavy requests per salon: a counting semaphore per salon whose entry exists only
/// while the salon has one running, so the map never holds more entries than there are
/// requests in flight.
pub struct SalonSlots {
    cap: usize,
    running: Mutex<HashMap<SalonId, usize>>,
}

impl SalonSlots {
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(1), running: Mutex::new(HashMap::new()) }
    }

    /// A slot for one heavy request of `salon`, or `None` when the salon already runs its cap.
    pub fn try_acquire(self: &Arc<Self>, salon: SalonId) -> Option<SlotGuard> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let count = running.entry(salon).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(SlotGuard { slots: Arc::clone(self), salon })
    }

    /// Salons with a heavy request in flight (the map's size).
    pub fn busy_salons(&self) -> usize {
        self.running.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// One running heavy request; its slot is given back when dropped.
pub struct SlotGuard {
    slots: Arc<SalonSlots>,
    salon: SalonId,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut running = self.slots.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = running.get_mut(&self.salon) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.salon);
            }
        }
    }
}

/// 429 `salon_busy` with `Retry-After`: the salon's heavy slots are all taken.
pub fn salon_busy() -> Response {
    let mut res = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "salon_busy",
        "Салон уже готує кілька файлів. Спробуйте за кілька секунд",
    );
    res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(HEAVY_RETRY_AFTER_SECS));
    res
}

/// The routes that take a `HeavySlot` (`crate::auth::HeavySlot`), as the OpenAPI document names them.
const HEAVY_ROUTES: [(&str, &str); 6] = [
    ("post", "/api/v1/clients/import"),
    ("get", "/api/v1/clients/export"),
    ("post", "/api/v1/inventory/import"),
    ("get", "/api/v1/inventory/export"),
    ("get", "/api/v1/finances/export"),
    ("get", "/api/v1/finances/receipts/{id}/pdf"),
];

/// Adds the answers of this module to the OpenAPI document: 408 and 413 on every operation
/// with a request body, 429 on the heavy routes.
pub fn document(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::ResponseBuilder;

    let answer = |text: &str| ResponseBuilder::new().description(text).build();
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [
            ("get", &mut item.get),
            ("post", &mut item.post),
            ("put", &mut item.put),
            ("patch", &mut item.patch),
            ("delete", &mut item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let responses = &mut operation.responses.responses;
            if operation.request_body.is_some() {
                responses.entry("408".into()).or_insert_with(|| {
                    answer("`body_timeout`: the body did not arrive within BODY_READ_TIMEOUT_SECONDS").into()
                });
                responses
                    .entry("413".into())
                    .or_insert_with(|| answer("`payload_too_large`: the body is over BODY_LIMIT_MB").into());
            }
            if HEAVY_ROUTES.contains(&(method, path.as_str())) {
                responses.insert(
                    "429".into(),
                    answer(
                        "`salon_busy`: the salon already runs HEAVY_REQUESTS_PER_SALON imports, exports or \
                         PDFs; try again after `Retry-After` seconds",
                    )
                    .into(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_salon_gets_its_cap_and_others_are_unaffected() {
        let slots = Arc::new(SalonSlots::new(2));
        let a = SalonId(1);
        let first = slots.try_acquire(a).unwrap();
        let _second = slots.try_acquire(a).unwrap();
        assert!(slots.try_acquire(a).is_none());
        let _other = slots.try_acquire(SalonId(2)).expect("another salon has its own slots");
        drop(first);
        assert!(slots.try_acquire(a).is_some(), "a finished request gives its slot back");
    }

    #[test]
    fn idle_salons_leave_the_map() {
        let slots = Arc::new(SalonSlots::new(1));
        let guards: Vec<_> = (0..1000).map(|i| slots.try_acquire(SalonId(i)).unwrap()).collect();
        assert_eq!(slots.busy_salons(), 1000);
        drop(guards);
        assert_eq!(slots.busy_salons(), 0);
    }
}
