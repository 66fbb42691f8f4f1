//! The bodies of `POST /inventory/stock-movement` (`GET /inventory/products/{id}/history`
//! pages through `http::page::Unpaged`).

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{
    quantity::Quantity,
    stock::{Movement, MovementKind},
};
use crate::{error::Problems, ids::ProductId};

/// `POST /inventory/stock-movement`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMovement {
    /// The product's id; the page sends it as a string (`"12"`), a number is accepted too.
    #[serde(deserialize_with = "product_id")]
    #[schema(schema_with = crate::http::ids::number_or_string_schema)]
    pub product_id: ProductId,
    #[serde(rename = "type")]
    pub kind: MovementKind,
    /// `in`/`out`: the amount, > 0; `adjustment`: the counted stock, >= 0. Up to 3 decimals.
    pub quantity: Quantity,
    /// `""` means none.
    pub reason: Option<String>,
    pub document_number: Option<String>,
}

/// An id sent as a whole number or a numeric string ([`crate::http::ids::from_number_or_string`]).
fn product_id<'de, D: Deserializer<'de>>(d: D) -> Result<ProductId, D::Error> {
    crate::http::ids::from_number_or_string(d).map(ProductId)
}

/// The answer: the spec's `{message, newQuantity}` plus the recorded movement.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MovementAnswer {
    pub message: String,
    pub new_quantity: Quantity,
    pub movement: Movement,
}

/// Trimmed; `""` is none; at most `max` characters.
pub(super) fn optional_text(field: &str, raw: Option<String>, max: usize, problems: &mut Problems) -> Option<String> {
    problems.text(field, raw.as_deref(), max).filter(|t| !t.is_empty())
}
