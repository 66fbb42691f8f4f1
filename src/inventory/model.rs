//! Types of the inventory: the product object of contract §3.8, its enums (§6), list filters
//! and inputs with their validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::quantity::Quantity;
use crate::{
    clock::Ymd,
    http::error::{AppError, FieldErrors},
    money::Money,
};

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
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: i64,
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
    #[param(value_type = Option<String>)]
    pub stock_status: Option<StockStatus>,
    pub is_active: Option<bool>,
    /// Page size (extension; every match when absent).
    pub limit: Option<i64>,
    /// Rows to skip (extension).
    pub offset: Option<i64>,
    /// 1-based page of `limit` rows, as the frontend library names it; ignored without `limit`.
    pub page: Option<i64>,
}

impl ProductFilter {
    /// The category to filter by, if any (`all` and blanks mean none).
    pub fn category(&self) -> Option<String> {
        self.category.as_deref().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty() && c != "all")
    }

    /// `(limit, offset)` for SQL: `limit` null means every row.
    pub fn window(&self) -> (Option<i64>, i64) {
        let limit = self.limit.map(|l| l.clamp(1, 10_000));
        let offset = match (self.offset, self.page, limit) {
            (Some(o), _, _) => o,
            (None, Some(p), Some(l)) => (p.max(1) - 1).saturating_mul(l),
            _ => 0,
        };
        (limit, offset.max(0))
    }
}

/// `POST /inventory/products`. Unknown keys are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewProduct {
    pub name: String,
    pub sku: String,
    /// Default `uncategorized`.
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Initial stock, recorded as an `in` movement. Default 0.
    pub quantity: Option<Quantity>,
    /// Default `pcs`.
    pub unit: Option<Unit>,
    pub price: Option<Money>,
    pub cost_price: Option<Money>,
    pub min_quantity: Option<Quantity>,
    /// `null`, `""` or 0 mean none.
    #[serde(default, deserialize_with = "optional_volume")]
    #[schema(value_type = Option<f64>)]
    pub package_volume: Option<Option<Quantity>>,
    pub description: Option<String>,
    /// Default true.
    pub is_active: Option<bool>,
}

/// `PUT /inventory/products/{id}`: absent (or null) keys keep their value. A changed `quantity`
/// is recorded as an `adjustment` movement.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProductChanges {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub category: Option<String>,
    /// `""` clears it.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub quantity: Option<Quantity>,
    pub unit: Option<Unit>,
    pub price: Option<Money>,
    /// Ignored for users without `inventory.cost.view` (their form holds the 0 they were shown).
    pub cost_price: Option<Money>,
    pub min_quantity: Option<Quantity>,
    /// `null`, `""` or 0 clear it.
    #[serde(default, deserialize_with = "optional_volume")]
    #[schema(value_type = Option<f64>)]
    pub package_volume: Option<Option<Quantity>>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
}

/// Present-but-empty (`null`, `""`, 0) is `Some(None)`; absent is `None` (via `default`).
fn optional_volume<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Quantity>>, D::Error> {
    use serde::de::Error;
    let q = match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(t) if t.trim().is_empty() => None,
        serde_json::Value::String(t) => Some(Quantity::parse(&t).map_err(D::Error::custom)?),
        n @ serde_json::Value::Number(_) => Some(Quantity::deserialize(n).map_err(D::Error::custom)?),
        _ => return Err(D::Error::custom("очікується число")),
    };
    Ok(Some(q.filter(|q| *q != Quantity::ZERO)))
}

/// Validated values for the store. `None` = keep (update) or default (insert);
/// `kind: Some(None)` and `package_volume: Some(None)` clear.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProductValues {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub category: Option<String>,
    pub kind: Option<Option<String>>,
    pub quantity: Option<Quantity>,
    pub unit: Option<Unit>,
    pub price: Option<Money>,
    pub cost_price: Option<Money>,
    pub min_quantity: Option<Quantity>,
    pub package_volume: Option<Option<Quantity>>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
}

impl NewProduct {
    pub fn validate(self) -> Result<ProductValues, AppError> {
        let changes = ProductChanges {
            name: Some(self.name),
            sku: Some(self.sku),
            category: self.category,
            kind: self.kind,
            quantity: self.quantity,
            unit: self.unit,
            price: self.price,
            cost_price: self.cost_price,
            min_quantity: self.min_quantity,
            package_volume: self.package_volume,
            description: self.description,
            is_active: self.is_active,
        };
        let mut v = changes.validate()?;
        v.category.get_or_insert_with(|| "uncategorized".to_owned());
        v.unit.get_or_insert_default();
        v.is_active.get_or_insert(true);
        Ok(v)
    }
}

impl ProductChanges {
    pub fn validate(self) -> Result<ProductValues, AppError> {
        let mut errors = FieldErrors::new();
        let mut fail = |field: &str, problem: &str| {
            errors.entry(field.to_owned()).or_default().push(problem.to_owned());
        };
        let name = self.name.map(|n| n.trim().to_owned());
        match &name {
            Some(n) if n.is_empty() => fail("name", "Вкажіть назву товару"),
            Some(n) if n.chars().count() > 200 => fail("name", "Не більше 200 символів"),
            _ => {}
        }
        let sku = self.sku.map(|s| s.trim().to_owned());
        match &sku {
            Some(s) if s.is_empty() => fail("sku", "Вкажіть артикул"),
            Some(s) if s.chars().count() > 100 => fail("sku", "Не більше 100 символів"),
            _ => {}
        }
        let category = self.category.map(|c| normalise_category(&c));
        if category.as_ref().is_some_and(|c| c.chars().count() > 100) {
            fail("category", "Не більше 100 символів");
        }
        let kind = self.kind.map(|k| Some(k.trim().to_owned()).filter(|k| !k.is_empty()));
        if kind.as_ref().is_some_and(|k| k.as_ref().is_some_and(|k| k.chars().count() > 50)) {
            fail("type", "Не більше 50 символів");
        }
        for (field, q) in [("quantity", self.quantity), ("minQuantity", self.min_quantity)] {
            if q.is_some_and(|q| q.milli() < 0) {
                fail(field, "Кількість не може бути від'ємною");
            }
        }
        if self.package_volume.is_some_and(|v| v.is_some_and(|v| v.milli() < 0)) {
            fail("packageVolume", "Об'єм не може бути від'ємним");
        }
        for (field, m) in [("price", self.price), ("costPrice", self.cost_price)] {
            if m.is_some_and(|m| m.minor() < 0) {
                fail(field, "Ціна не може бути від'ємною");
            }
        }
        let description = self.description.map(|d| d.trim().to_owned());
        if description.as_ref().is_some_and(|d| d.chars().count() > 5000) {
            fail("description", "Не більше 5000 символів");
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(ProductValues {
            name,
            sku,
            category,
            kind,
            quantity: self.quantity,
            unit: self.unit,
            price: self.price,
            cost_price: self.cost_price,
            min_quantity: self.min_quantity,
            package_volume: self.package_volume,
            description,
            is_active: self.is_active,
        })
    }
}

/// Categories are slugs: trimmed and lower case; blank falls back to `uncategorized`.
pub fn normalise_category(raw: &str) -> String {
    match raw.trim() {
        "" => "uncategorized".to_owned(),
        c => c.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(err: AppError) -> FieldErrors {
        match err {
            AppError::Invalid(d) => d,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn a_new_product_gets_defaults() {
        let input: NewProduct = serde_json::from_str(r#"{"name": " Шампунь ", "sku": "SH-1", "quantity": 0.125}"#).unwrap();
        let v = input.validate().unwrap();
        assert_eq!(v.name.as_deref(), Some("Шампунь"));
        assert_eq!(v.category.as_deref(), Some("uncategorized"));
        assert_eq!((v.unit, v.is_active, v.quantity), (Some(Unit::Pcs), Some(true), Some(Quantity(125))));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input: NewProduct = serde_json::from_str(
            r#"{"name": "", "sku": " ", "quantity": -1, "minQuantity": -2, "price": -1, "costPrice": -1}"#,
        )
        .unwrap();
        let d = details(input.validate().unwrap_err());
        for field in ["name", "sku", "quantity", "minQuantity", "price", "costPrice"] {
            assert!(d.contains_key(field), "{field} missing in {d:?}");
        }
    }

    #[test]
    fn package_volume_absent_null_empty_and_set_differ() {
        let parse = |s: &str| serde_json::from_str::<ProductChanges>(s).unwrap().package_volume;
        assert_eq!(parse("{}"), None);
        assert_eq!(parse(r#"{"packageVolume": null}"#), Some(None));
        assert_eq!(parse(r#"{"packageVolume": ""}"#), Some(None));
        assert_eq!(parse(r#"{"packageVolume": 0}"#), Some(None));
        assert_eq!(parse(r#"{"packageVolume": 0.25}"#), Some(Some(Quantity(250))));
        assert!(serde_json::from_str::<ProductChanges>(r#"{"packageVolume": 0.0001}"#).is_err());
    }

    #[test]
    fn categories_are_slugs_and_units_use_contract_names() {
        assert_eq!(normalise_category(" Hair-Care "), "hair-care");
        assert_eq!(normalise_category(""), "uncategorized");
        assert_eq!(serde_json::to_string(&Unit::Kg).unwrap(), "\"kg\"");
        assert!(serde_json::from_str::<Unit>("\"box\"").is_err());
    }

    #[test]
    fn page_and_limit_become_an_offset() {
        let f = ProductFilter { limit: Some(20), page: Some(3), ..Default::default() };
        assert_eq!(f.window(), (Some(20), 40));
        let f = ProductFilter { page: Some(3), ..Default::default() };
        assert_eq!(f.window(), (None, 0));
        let f = ProductFilter { category: Some("ALL".into()), ..Default::default() };
        assert_eq!(f.category(), None);
    }
}
