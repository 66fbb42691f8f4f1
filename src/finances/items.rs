//! Line items of documents and receipts: services and products with a quantity, a price, a
//! discount and a total, all exact. A line's total is `round(price × quantity) − discount`
//! (rounded half away from zero to the kopiyka); a document's amount is the sum of its lines.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use utoipa::ToSchema;

use super::{
    common::Problems,
    enums::{ContentType, ItemKind},
};
use crate::{ids::ServiceId, money::Money};

/// A quantity with up to three decimals (ml, g), in thousandths; positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct Quantity(pub i64);

/// Named `ItemQuantity` in the document: the inventory has a `Quantity` of its own.
impl utoipa::PartialSchema for Quantity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::money::decimal_schema(
            "A line's quantity: a positive number with at most three decimals.",
            0.001,
            (0.001, 1_000_000.0),
            1.5,
        )
    }
}

impl ToSchema for Quantity {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ItemQuantity")
    }
}

impl Quantity {
    pub const ONE: Quantity = Quantity(1000);

    pub fn parse(text: &str) -> Result<Quantity, &'static str> {
        let text = text.trim();
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err("кількість — додатне число");
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 3 {
            return Err("щонайбільше три знаки після коми");
        }
        let whole: i64 = whole.parse().map_err(|_| "завелика кількість")?;
        let milli = whole
            .checked_mul(1000)
            .and_then(|w| w.checked_add(format!("{frac:0<3}").parse::<i64>().unwrap_or(0)))
            .filter(|m| *m <= 1_000_000_000)
            .ok_or("завелика кількість")?;
        if milli == 0 {
            return Err("кількість має бути більшою за нуль");
        }
        Ok(Quantity(milli))
    }

    pub fn is_whole(self) -> bool {
        self.0 % 1000 == 0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 1000, self.0 % 1000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            write!(f, "{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
        }
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let number: serde_json::Number = self.to_string().parse().map_err(serde::ser::Error::custom)?;
        number.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        let text = match &value {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return Err(de::Error::custom("кількість — число")),
        };
        Quantity::parse(&text).map_err(de::Error::custom)
    }
}

/// A line as sent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewItem {
    /// `service` (default) or `product`.
    #[serde(rename = "type")]
    pub kind: Option<ItemKind>,
    pub name: String,
    /// A service of the salon's catalogue (422 when it is not one).
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub service_id: Option<ServiceId>,
    /// Default 1; whole for services.
    pub quantity: Option<Quantity>,
    /// Unit price.
    pub price: Money,
    /// Off the line, in money (default 0).
    pub discount: Option<Money>,
    /// When sent, must equal the computed total.
    pub total: Option<Money>,
}

/// A stored line.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[serde(rename = "type")]
    pub kind: ItemKind,
    pub name: String,
    pub service_id: Option<ServiceId>,
    pub quantity: Quantity,
    pub price: Money,
    pub discount: Money,
    pub total: Money,
}

/// What the lines add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub amount: Money,
    pub services: i32,
    pub products: i32,
    pub content_type: ContentType,
}

/// `round(price × quantity)`, half away from zero, to the kopiyka.
pub fn gross(price: Money, quantity: Quantity) -> Option<i64> {
    let exact = i128::from(price.minor()) * i128::from(quantity.0);
    i64::try_from((exact + 500) / 1000).ok()
}

/// Validates the lines (every problem under `items[i].field`) and computes their totals.
pub fn lines(items: &[NewItem], p: &mut Problems) -> (Vec<Item>, Totals) {
    if items.len() > 500 {
        p.add("items", "Не більше 500 позицій");
    }
    let mut out = Vec::with_capacity(items.len());
    let mut amount: i64 = 0;
    for (i, it) in items.iter().enumerate() {
        let field = |name: &str| format!("items[{i}].{name}");
        let kind = it.kind.unwrap_or(ItemKind::Service);
        let name = p.name(&field("name"), Some(&it.name), 200, "Вкажіть назву позиції").unwrap_or_default();
        let quantity = it.quantity.unwrap_or(Quantity::ONE);
        if kind == ItemKind::Service && !quantity.is_whole() {
            p.add(&field("quantity"), "Кількість послуг — ціле число");
        }
        if kind == ItemKind::Product && it.service_id.is_some() {
            p.add(&field("serviceId"), "Товар не може посилатися на послугу");
        }
        if it.price.minor() < 0 {
            p.add(&field("price"), "Ціна не може бути від'ємною");
        }
        let discount = it.discount.unwrap_or(Money::ZERO);
        let gross = gross(it.price, quantity).filter(|g| *g <= 1_000_000_000_000);
        let total = match gross {
            _ if it.price.minor() < 0 => Money::ZERO,
            None => {
                p.add(&field("price"), "Завелика сума");
                Money::ZERO
            }
            Some(_) if discount.minor() < 0 => {
                p.add(&field("discount"), "Знижка не може бути від'ємною");
                Money::ZERO
            }
            Some(g) if discount.minor() > g => {
                p.add(&field("discount"), "Знижка більша за суму позиції");
                Money::ZERO
            }
            Some(g) => Money(g - discount.minor()),
        };
        if it.total.is_some_and(|t| t != total) {
            p.add(&field("total"), format!("Сума позиції має бути {total}"));
        }
        amount = amount.saturating_add(total.minor());
        out.push(Item { kind, name, service_id: it.service_id, quantity, price: it.price, discount, total });
    }
    if amount > 1_000_000_000_000 {
        p.add("items", "Завелика сума документа");
    }
    let services = out.iter().filter(|i| i.kind == ItemKind::Service).count() as i32;
    let products = out.len() as i32 - services;
    let content_type = match (services, products) {
        (_, 0) => ContentType::Services,
        (0, _) => ContentType::Products,
        _ => ContentType::Mixed,
    };
    (out, Totals { amount: Money(amount), services, products, content_type })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> NewItem {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn quantities_are_exact_to_the_thousandth() {
        assert_eq!(Quantity::parse("1.5").unwrap(), Quantity(1500));
        assert_eq!(Quantity::parse("0.001").unwrap(), Quantity(1));
        assert!(Quantity::parse("0.0001").is_err());
        assert!(Quantity::parse("0").is_err());
        assert!(Quantity::parse("-1").is_err());
        assert_eq!(serde_json::to_string(&Quantity(2500)).unwrap(), "2.5");
        assert_eq!(serde_json::from_str::<Quantity>("2").unwrap(), Quantity(2000));
    }

    #[test]
    fn lines_add_up_to_the_kopiyka() {
        let mut p = Problems::default();
        let items = [
            item(r#"{"name": "Стрижка", "price": 450.5, "quantity": 2, "discount": 50}"#),
            item(r#"{"type": "product", "name": "Шампунь", "price": 0.99, "quantity": 0.333}"#),
            item(r#"{"type": "product", "name": "Маска", "price": 399.99, "total": 399.99}"#),
        ];
        let (lines, totals) = lines(&items, &mut p);
        assert!(p.is_empty(), "{p:?}");
        // 0.99 × 0.333 = 0.32967 → 0.33
        assert_eq!(lines.iter().map(|l| l.total.minor()).collect::<Vec<_>>(), [85_100, 33, 39_999]);
        assert_eq!(totals.amount, Money(85_100 + 33 + 39_999));
        assert_eq!((totals.services, totals.products, totals.content_type), (1, 2, ContentType::Mixed));
    }

    #[test]
    fn bad_lines_name_their_field() {
        let mut p = Problems::default();
        let items = [
            item(r#"{"name": "", "price": -1, "quantity": 1.5}"#),
            item(r#"{"name": "Фарба", "price": 10, "discount": 11, "total": 5}"#),
        ];
        lines(&items, &mut p);
        let fields: Vec<&str> = p.fields().collect();
        assert_eq!(fields, ["items[0].name", "items[0].price", "items[0].quantity", "items[1].discount", "items[1].total"]);
    }
}
