//! Types of the inventory: the product object of contract §3.8, its enums (§6) and the list
//! filters. Inputs are in `input.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::quantity::Quantity;
use crate::{clock::Ymd, ids::ProductId, money::Money};

/// The browser's default categories, in its order; always listed by `GET /inventory/categories`.
pub const DEFAULT_CATEGORIES: [&str; 5] = ["professional", "retail", "consumables", "equipment", "uncategorized"];

/// Unit of a product's quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Unit {
    #[default]
    Pcs,
    Ml,
    L,
    G,
    Kg,
}

impl Unit {
    pub const ALL: [Unit; 5] = [Unit::Pcs, Unit::Ml, Unit::L, Unit::G, Unit::Kg];

    pub fn code(self) -> &'static str {
        match self {
            Unit::Pcs => "pcs",
            Unit::Ml => "ml",
            Unit::L => "l",
            Unit::G => "g",
            Unit::Kg => "kg",
        }
    }

    /// The Ukrainian abbreviation, for messages and spreadsheets.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Pcs => "шт",
            Unit::Ml => "мл",
            Unit::L => "л",
            Unit::G => "г",
            Unit::Kg => "кг",
        }
    }
}

/// Derived from quantity and minimum: `out` at or below zero, `low` up to the minimum, `ok` above.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum StockStatus {
    Ok,
    Low,
    Out,
}

impl StockStatus {
    pub fn code(self) -> &'static str {
        match self {
            StockStatus::Ok => "ok",
            StockStatus::Low => "low",
            StockStatus::Out => "out",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StockStatus::Ok => "В наявності",
            StockStatus::Low => "Мало",
            StockStatus::Out => "Немає",
        }
    }
}

/// A product the salon keeps in stock.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub sku: String,
    /// A default category or any slug the browser made up.
    pub category: String,
    /// Free text (`item`, `weight` in the demo data); null when not set.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The sum of the product's stock movements; negative only where the salon allows it.
    pub quantity: Quantity,
    pub min_quantity: Quantity,
    pub price: Money,
    /// 0 for users without `inventory.cost.view`.
    pub cost_price: Money,
    pub unit: Unit,
    pub package_volume: Option<Quantity>,
    pub description: String,
    pub is_active: bool,
    /// The date of the last `in` movement, in the salon's time zone.
    #[schema(value_type = Option<String>, example = "2026-05-13")]
    pub last_restock_date: Option<Ymd>,
    /// Extension: the status the client derives itself.
    pub stock_status: StockStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Product {
    /// The product as someone without `inventory.cost.view` sees it (`costPrice` is required by
    /// the contract, so it is sent as 0 rather than left out).
    pub fn without_cost(mut self) -> Self {
        self.cost_price = Money::ZERO;
        self
    }
}

/// Filters of the product list and the export.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ProductFilter {
    /// Part of the name or SKU, case-insensitive.
    pub search: Option<String>,
    /// Exact category slug, case-insensitive; `all` means any.
    pub category: Option<String>,
    /// Exact `type`, case-insensitive.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    pub stock_status: Option<StockStatus>,
    pub is_active: Option<bool>,
}

impl ProductFilter {
    /// The category to filter by, if any (`all` and blanks mean none).
    pub fn category(&self) -> Option<String> {
        self.category.as_deref().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty() && c != "all")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_statuses_use_contract_names() {
        assert_eq!(serde_json::to_string(&Unit::Kg).unwrap(), "\"kg\"");
        assert!(serde_json::from_str::<Unit>("\"box\"").is_err());
        assert_eq!(serde_json::from_str::<StockStatus>("\"low\"").unwrap(), StockStatus::Low);
    }

    #[test]
    fn all_is_no_category() {
        let f = ProductFilter { category: Some("ALL".into()), ..Default::default() };
        assert_eq!(f.category(), None);
    }
}
