//! Ids sent as numeric strings (`"42"`), for the areas whose client types them as strings
//! (notifications, the profile, the overview), and read back from numbers or strings.

use std::fmt::Display;

use serde::{Deserializer, Serializer, de};

/// Writes an id (`i64` or a typed id of `crate::ids`) as a numeric string.
pub fn as_string<S: Serializer, T: Display>(id: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

pub fn opt_as_string<S: Serializer, T: Display>(id: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

/// Reads an optional id (`i64` or a typed id of `crate::ids`) sent as a whole number (`12`,
/// `12.0`: [`super::whole`]) or a numeric string (`"12"`); `null` and `""` are no id.
pub fn opt_from_number_or_string<'de, D: Deserializer<'de>, T: From<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Ok(d.deserialize_any(IdVisitor)?.map(T::from))
}

/// Reads a required id sent as a whole number or a numeric string; `""` and `null` are refused.
pub fn from_number_or_string<'de, D: Deserializer<'de>, T: From<i64>>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(IdVisitor)?.map(T::from).ok_or_else(|| de::Error::custom(NOT_AN_ID))
}

/// The OpenAPI schema of an id read by [`from_number_or_string`]: an integer, or a string of
/// 1 to 18 digits (optionally signed, ASCII blanks around), exactly as the server reads it.
pub fn number_or_string_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::{
        KnownFormat, SchemaFormat,
        schema::{ObjectBuilder, OneOfBuilder, Type},
    };
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))))
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[ \t\n\f\r]*[+-]?[0-9]{1,18}[ \t\n\f\r]*$")).examples(["12"]))
        .into()
}

/// [`number_or_string_schema`], `null` or blank text (no id), for [`opt_from_number_or_string`].
pub fn opt_number_or_string_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(number_or_string_schema())
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[ \t\n\f\r]*$")))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

const NOT_AN_ID: &str = "очікується числовий ідентифікатор";

struct IdVisitor;

impl<'de> de::Visitor<'de> for IdVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(NOT_AN_ID)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map(Some).map_err(|_| E::custom(NOT_AN_ID))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        super::whole::whole_of_f64(v).map(Some).ok_or_else(|| E::custom(NOT_AN_ID))
    }

    /// Exactly what [`number_or_string_schema`] states: ASCII blanks around an optional sign
    /// and 1 to 18 digits.
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim_matches(|c: char| c.is_ascii_whitespace());
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        match t {
            "" => Ok(None),
            _ if (1..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) => {
                t.parse().map(Some).map_err(|_| E::custom(NOT_AN_ID))
            }
            _ => Err(E::custom(NOT_AN_ID)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn ids_read_from_numbers_and_strings() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "opt_from_number_or_string")]
            id: Option<i64>,
        }
        let read = |json: &str| serde_json::from_str::<Body>(json).map(|b| b.id);
        assert_eq!(read(r#"{"id": 7}"#).unwrap(), Some(7));
        assert_eq!(read(r#"{"id": "7"}"#).unwrap(), Some(7));
        assert_eq!(read(r#"{"id": ""}"#).unwrap(), None);
        assert_eq!(read(r#"{"id": null}"#).unwrap(), None);
        assert_eq!(read(r#"{}"#).unwrap(), None);
        assert!(read(r#"{"id": "x"}"#).is_err());
        assert_eq!(read(r#"{"id": 7.0}"#).unwrap(), Some(7), "a whole number in any spelling");
        assert!(read(r#"{"id": 7.5}"#).is_err());
        assert!(read(r#"{"id": true}"#).is_err());
        assert_eq!(read(r#"{"id": " +7\n"}"#).unwrap(), Some(7));
        assert_eq!(read(r#"{"id": " \t"}"#).unwrap(), None);
        assert!(read(r#"{"id": "1234567890123456789"}"#).is_err(), "19 digits: past the schema's pattern");
        assert!(read(r#"{"id": "\u00a07"}"#).is_err(), "only ASCII blanks, as the pattern says");
    }
}
