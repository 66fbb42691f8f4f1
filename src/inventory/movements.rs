//! Handlers of `POST /inventory/stock-movement` (needs `inventory.transactions.create`) and
//! `GET /inventory/products/{id}/history` (needs `inventory.movements.view`).

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{
    http::{MovementsView, StockCreate, total_header},
    quantity::Quantity,
    stock::{self, Movement, MovementKind, StockChange},
    store,
};
use crate::{
    AppState, audit,
    auth::{Can, ClientIp},
    http::{AppJson, AppPath, AppQuery, error::{AppError, FieldErrors}},
    tenancy::TenantTx,
};

/// `POST /inventory/stock-movement`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMovement {
    /// The product's id; the page sends it as a string (`"12"`), a number is accepted too.
    #[serde(deserialize_with = "id_text_or_number")]
    #[schema(value_type = String, example = "12")]
    pub product_id: i64,
    #[serde(rename = "type")]
    pub kind: MovementKind,
    /// `in`/`out`: the amount, > 0; `adjustment`: the counted stock, >= 0. Up to 3 decimals.
    pub quantity: Quantity,
    /// `""` means none.
    pub reason: Option<String>,
    pub document_number: Option<String>,
}

fn id_text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    const PROBLEM: &str = "ідентифікатор товару має бути цілим числом";
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(|| D::Error::custom(PROBLEM)),
        serde_json::Value::String(s) => s.trim().parse().map_err(|_| D::Error::custom(PROBLEM)),
        _ => Err(D::Error::custom(PROBLEM)),
    }
}

/// The answer: the spec's `{message, newQuantity}` plus the recorded movement.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementAnswer {
    pub message: String,
    pub new_quantity: Quantity,
    pub movement: Movement,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Page size (extension; every movement when absent).
    pub limit: Option<i64>,
    /// Movements to skip.
    pub offset: Option<i64>,
}

/// Trimmed; `""` is none; at most `max` characters.
fn optional_text(field: &str, raw: Option<String>, max: usize, errors: &mut FieldErrors) -> Option<String> {
    let text = raw.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > max) {
        errors.entry(field.to_owned()).or_default().push(format!("Не більше {max} символів"));
    }
    text
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
    State(state): State<AppState>,
    Can(user, ..): Can<StockCreate>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewMovement>,
) -> Result<(StatusCode, Json<MovementAnswer>), AppError> {
    let mut errors = FieldErrors::new();
    let reason = optional_text("reason", input.reason, 500, &mut errors);
    let document_number = optional_text("documentNumber", input.document_number, 100, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let moved = stock::record(&mut tx, StockChange {
        product_id: input.product_id, kind: input.kind, quantity: input.quantity, reason: reason.as_deref(),
        document_number: document_number.as_deref(), created_by: Some(user.id),
    })
    .await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "product", entity_id: Some(input.product_id), action: "updated",
        before: Some(json!({ "quantity": moved.before })),
        after: Some(json!({ "quantity": moved.after, "movement": moved.movement })),
        ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    if let Some(low) = &moved.low_stock {
        stock::announce(&state, user.salon, low).await;
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
    params(("id" = i64, Path), HistoryQuery),
    responses((status = 200, body = [Movement]), (status = 403), (status = 404)))]
pub async fn product_history(
    _: Can<MovementsView>,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
    AppQuery(q): AppQuery<HistoryQuery>,
) -> Result<(HeaderMap, Json<Vec<Movement>>), AppError> {
    store::find(&mut tx, id, false).await?.ok_or(AppError::NotFound)?;
    let limit = q.limit.map(|l| l.clamp(1, 10_000));
    let list = stock::history(&mut tx, id, limit, q.offset.unwrap_or(0).max(0)).await?;
    let total = stock::history_len(&mut tx, id).await?;
    tx.commit().await?;
    Ok((total_header(total), Json(list)))
}
