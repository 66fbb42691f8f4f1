//! Product inputs (`POST` and `PUT` bodies) and their validation into [`ProductValues`].

use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

use super::{model::Unit, quantity::Quantity};
use crate::{
    error::{AppError, Problems},
    money::Money,
};

/// `POST /inventory/products`. Unknown keys are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewProduct {
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: String,
    #[schema(pattern = r"\S", max_length = 100)]
    pub sku: String,
    /// Default `uncategorized`.
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Initial stock, recorded as an `in` movement. Default 0.
    #[schema(schema_with = super::quantity::non_negative_or_null)]
    pub quantity: Option<Quantity>,
    /// Default `pcs`.
    pub unit: Option<Unit>,
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub price: Option<Money>,
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub cost_price: Option<Money>,
    #[schema(schema_with = super::quantity::non_negative_or_null)]
    pub min_quantity: Option<Quantity>,
    /// `null`, `""` or 0 mean none.
    #[serde(default, deserialize_with = "optional_volume")]
    #[schema(schema_with = super::quantity::non_negative_or_null)]
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
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: Option<String>,
    #[schema(pattern = r"\S", max_length = 100)]
    pub sku: Option<String>,
    pub category: Option<String>,
    /// `""` clears it.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[schema(schema_with = super::quantity::non_negative_or_null)]
    pub quantity: Option<Quantity>,
    pub unit: Option<Unit>,
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub price: Option<Money>,
    /// Ignored for users without `inventory.cost.view` (their form holds the 0 they were shown).
    #[schema(schema_with = crate::money::non_negative_or_null)]
    pub cost_price: Option<Money>,
    #[schema(schema_with = super::quantity::non_negative_or_null)]
    pub min_quantity: Option<Quantity>,
    /// `null`, `""` or 0 clear it.
    #[serde(default, deserialize_with = "optional_volume")]
    #[schema(schema_with = super::quantity::non_negative_or_null)]
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
        let mut problems = Problems::default();
        let mut fail = |field: &str, problem: &str| problems.add(field, problem);
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
        problems.finish()?;
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
    use crate::error::FieldErrors;

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
    fn categories_are_slugs() {
        assert_eq!(normalise_category(" Hair-Care "), "hair-care");
        assert_eq!(normalise_category(""), "uncategorized");
    }
}
