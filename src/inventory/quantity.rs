//! Stock quantities as integer thousandths, never a float.
//!
//! The contract sends and reads quantities as JSON numbers that may be fractional with a step
//! of 0.001 (ml, g). A [`Quantity`] parses such a number exactly (more than three decimals is
//! an error) and writes it back as the shortest decimal that denotes the same thousandths,
//! mirroring [`crate::money::Money`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use utoipa::ToSchema;

/// A quantity in thousandths of the product's unit (`12.5` l is `Quantity(12_500)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct Quantity(pub i64);

impl utoipa::PartialSchema for Quantity {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::money::decimal_schema(
            "A stock quantity in the product's unit: a number with at most three decimals.",
            0.001,
            (-1_000_000_000.0, 1_000_000_000.0),
            12.5,
        )
    }
}

impl ToSchema for Quantity {}

/// `schema_with` helper for a quantity that may not be negative, or `null` (keep / none).
pub fn non_negative_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    crate::money::nullable_if(
        true,
        crate::money::decimal_schema(
            "A non-negative quantity with at most three decimals.",
            0.001,
            (0.0, 1_000_000_000.0),
            12.5,
        ),
    )
}

/// Largest quantity accepted from a client: one billion units.
const MAX_MILLI: i64 = 1_000_000_000_000;

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);

    pub fn milli(self) -> i64 {
        self.0
    }

    /// Parses a decimal text such as `12`, `12.5`, `0.125`, `-3` exactly.
    pub fn parse(text: &str) -> Result<Quantity, &'static str> {
        use crate::money::{FixedError, parse_fixed};
        parse_fixed(text, 3, MAX_MILLI).map(Quantity).map_err(|e| match e {
            FixedError::NotANumber => "не число",
            FixedError::TooManyDecimals => "щонайбільше три знаки після коми",
            FixedError::TooLarge => "завелика кількість",
        })
    }

    /// The quantity as the nearest `f64`, for spreadsheet cells (exact text → nearest double).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The sum, or `None` past the accepted range.
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.0.checked_add(other.0).filter(|m| m.abs() <= MAX_MILLI).map(Quantity)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let digits = format!("{frac:03}");
        write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            s.serialize_i64(self.0 / 1000)
        } else {
            // Division is correctly rounded, so this is the f64 nearest to the exact decimal,
            // and its shortest representation is that decimal (exact below 2^53 thousandths).
            s.serialize_f64(self.0 as f64 / 1000.0)
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a quantity as a number, e.g. 12 or 0.125")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Quantity::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Quantity::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                if !v.is_finite() {
                    return Err(E::custom("не число"));
                }
                // Rust prints the shortest text that reads back as this f64: what was sent.
                Quantity::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Quantity::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_to_the_thousandth() {
        assert_eq!(Quantity::parse("12").unwrap(), Quantity(12_000));
        assert_eq!(Quantity::parse("12.5").unwrap(), Quantity(12_500));
        assert_eq!(Quantity::parse("0.125").unwrap(), Quantity(125));
        assert_eq!(Quantity::parse("0.001").unwrap(), Quantity(1));
        assert_eq!(Quantity::parse("-3.05").unwrap(), Quantity(-3_050));
        assert_eq!(Quantity::parse("1.1000").unwrap(), Quantity(1_100));
        assert!(Quantity::parse("0.0001").is_err());
        assert!(Quantity::parse("1.2345").is_err());
        assert!(Quantity::parse("abc").is_err());
        assert!(Quantity::parse("1e3").is_err());
        assert!(Quantity::parse("").is_err());
        assert!(Quantity::parse(".5").is_err());
        assert!(Quantity::parse("99999999999999").is_err());
    }

    #[test]
    fn json_round_trip_is_exact() {
        for (json, milli) in [("12", 12_000), ("12.5", 12_500), ("0.125", 125), ("0.1", 100), ("0.3", 300),
                              ("1234567.891", 1_234_567_891), ("-0.5", -500)] {
            let q: Quantity = serde_json::from_str(json).unwrap();
            assert_eq!(q, Quantity(milli), "{json}");
            assert_eq!(serde_json::to_string(&q).unwrap(), json);
        }
        assert_eq!(serde_json::from_str::<Quantity>("\"2.25\"").unwrap(), Quantity(2_250));
        assert!(serde_json::from_str::<Quantity>("0.0005").is_err());
        assert!(serde_json::from_str::<Quantity>("true").is_err());
        assert!(serde_json::from_str::<Quantity>("1e300").is_err());
    }

    #[test]
    fn every_thousandth_writes_back_exactly() {
        for milli in (-20_000..20_000).chain([1_234_567_891, 999_999_999_999, MAX_MILLI]) {
            let q = Quantity(milli);
            let json = serde_json::to_string(&q).unwrap();
            assert_eq!(json, q.to_string(), "{milli}");
            assert_eq!(serde_json::from_str::<Quantity>(&json).unwrap(), q);
        }
    }

    #[test]
    fn sums_add_up() {
        let total = ["0.1", "0.2", "0.3"]
            .iter()
            .map(|s| Quantity::parse(s).unwrap())
            .try_fold(Quantity::ZERO, Quantity::checked_add)
            .unwrap();
        assert_eq!(total.to_string(), "0.6");
        assert_eq!(Quantity(1_000_000_000_000).checked_add(Quantity(1)), None);
        assert_eq!(Quantity(125).to_f64(), 0.125);
    }
}
