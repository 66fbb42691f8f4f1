//! Money as integer minor units (kopiykas), never a float.
//!
//! The contract sends and reads amounts as JSON numbers in hryvnias (`450`, `450.5`). A
//! [`Money`] parses such a number exactly to kopiykas (more than two decimals is an error) and
//! writes it back as the shortest decimal that denotes the same kopiykas.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use utoipa::ToSchema;

/// An amount in minor units (1/100 of the salon's currency).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct Money(pub i64);

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        decimal_schema(
            "An amount of the salon's currency: a number with at most two decimals.",
            0.01,
            (-10_000_000_000.0, 10_000_000_000.0),
            450.5,
        )
    }
}

impl ToSchema for Money {}

/// The schema of an amount that may not be negative (prices, salaries, opening balances);
/// `nullable` where `null` means "keep" or "none".
pub fn non_negative_schema(nullable: bool) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    nullable_if(nullable, decimal_schema("A non-negative amount with at most two decimals.", 0.01, (0.0, 10_000_000_000.0), 450.5))
}

/// `schema` or `null`.
pub fn nullable_if(
    nullable: bool,
    schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    if !nullable {
        return schema;
    }
    OneOfBuilder::new().item(schema).item(ObjectBuilder::new().schema_type(Type::Null)).into()
}

/// The schema of a sum of amounts (a balance, a period's revenue): a number with at most two
/// decimals and no bound, since many amounts within the input bound add up past it.
pub fn total() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
        .description(Some("A sum of amounts of the salon's currency, with at most two decimals."))
        .multiple_of(Some(0.01))
        .examples([450.5])
        .into()
}

/// `schema_with` helpers for fields (`Money`, `Option<Money>`).
pub fn non_negative() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    non_negative_schema(false)
}
pub fn non_negative_or_null() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    non_negative_schema(true)
}

/// The OpenAPI schema of a JSON number read exactly as a fixed-point value ([`parse_fixed`]):
/// a multiple of `step` within `range` (inclusive), which is what the server accepts.
pub fn decimal_schema(
    description: &str,
    step: f64,
    (min, max): (f64, f64),
    example: f64,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
        .description(Some(description))
        .multiple_of(Some(step))
        .minimum(Some(min))
        .maximum(Some(max))
        .examples([example])
        .into()
}

/// Largest amount accepted from a client: 10 billion in major units.
const MAX_MINOR: i64 = 1_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn minor(self) -> i64 {
        self.0
    }

    /// Parses a decimal text such as `450`, `450.5`, `-12.05` exactly.
    pub fn parse(text: &str) -> Result<Money, &'static str> {
        parse_fixed(text, 2, MAX_MINOR).map(Money).map_err(|e| match e {
            FixedError::NotANumber => "не число",
            FixedError::TooManyDecimals => "щонайбільше два знаки після коми",
            FixedError::TooLarge => "завелика сума",
        })
    }
}

/// Why a decimal text is not an exact fixed-point value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedError {
    NotANumber,
    TooManyDecimals,
    TooLarge,
}

/// Parses a plain decimal (`12`, `-0.125`; no exponent) exactly into units of 10^-`decimals`,
/// refusing more decimals than that and absolute values above `max`. Shared by [`Money`] and
/// the inventory's quantities.
pub fn parse_fixed(text: &str, decimals: usize, max: i64) -> Result<i64, FixedError> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FixedError::NotANumber);
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals {
        return Err(FixedError::TooManyDecimals);
    }
    let scale = 10i64.pow(decimals as u32);
    let whole: i64 = whole.parse().map_err(|_| FixedError::TooLarge)?;
    let frac_units: i64 = if frac.is_empty() { 0 } else { frac.parse::<i64>().map_err(|_| FixedError::NotANumber)? * 10i64.pow((decimals - frac.len()) as u32) };
    let units = whole.checked_mul(scale).and_then(|w| w.checked_add(frac_units)).ok_or(FixedError::TooLarge)?;
    if units > max {
        return Err(FixedError::TooLarge);
    }
    Ok(if negative { -units } else { units })
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        match cents {
            0 => write!(f, "{sign}{whole}"),
            c if c % 10 == 0 => write!(f, "{sign}{whole}.{}", c / 10),
            c => write!(f, "{sign}{whole}.{c:02}"),
        }
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            // Division is correctly rounded, so this is the f64 nearest to the exact decimal,
            // and its shortest representation is that decimal (exact below 2^53 kopiykas).
            s.serialize_f64(self.0 as f64 / 100.0)
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sum of money as a number, e.g. 450 or 450.50")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                Money::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                Money::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                if !v.is_finite() {
                    return Err(E::custom("не число"));
                }
                // Rust prints the shortest text that reads back as this f64: what was sent.
                Money::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_to_the_kopiyka() {
        assert_eq!(Money::parse("450").unwrap(), Money(45_000));
        assert_eq!(Money::parse("450.5").unwrap(), Money(45_050));
        assert_eq!(Money::parse("0.1").unwrap(), Money(10));
        assert_eq!(Money::parse("-12.05").unwrap(), Money(-1205));
        assert_eq!(Money::parse("1.10").unwrap(), Money(110));
        assert!(Money::parse("1.005").is_err());
        assert!(Money::parse("abc").is_err());
        assert!(Money::parse("1e3").is_err());
        assert!(Money::parse("99999999999999").is_err());
    }

    #[test]
    fn json_round_trip_is_exact() {
        for (json, minor) in [("450", 45_000), ("450.5", 45_050), ("0.1", 10), ("0.29", 29), ("1234567.89", 123_456_789)] {
            let m: Money = serde_json::from_str(json).unwrap();
            assert_eq!(m, Money(minor), "{json}");
            assert_eq!(serde_json::to_string(&m).unwrap(), json);
        }
        assert!(serde_json::from_str::<Money>("0.001").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn every_kopiyka_writes_back_exactly() {
        for minor in (-10_000..10_000).chain([12_345_678_901, 99_999_999_999, MAX_MINOR]) {
            let m = Money(minor);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, m.to_string(), "{minor}");
            assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        }
    }

    #[test]
    fn sums_add_up() {
        let total: i64 = ["0.1", "0.2", "0.3"].iter().map(|s| Money::parse(s).unwrap().minor()).sum();
        assert_eq!(Money(total).to_string(), "0.6");
    }
}
