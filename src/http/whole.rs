//! Integer fields of JSON bodies, read the way JSON Schema counts integers.
//!
//! To JSON Schema (and so to the OpenAPI document and every client generated from it) `340.0`
//! is an integer; serde's integers refuse it. Every integer field of a request body is
//! therefore read through [`number`] (or [`number_or_null`]): a whole number in any JSON
//! spelling (`340`, `340.0`, `3.4e2`) is taken, a fractional one (`340.5`), a string or a
//! number out of the field's range is a 422 naming the field, as any other wrong type is.
//!
//! ```ignore
//! #[serde(deserialize_with = "crate::http::whole::number")]
//! pub duration: i64,
//! #[serde(default, deserialize_with = "crate::http::whole::number")]
//! pub client_id: Option<i64>,
//! #[serde(default, deserialize_with = "crate::http::whole::number")]
//! pub service_ids: Option<Vec<i64>>,
//! #[serde(default, deserialize_with = "crate::http::whole::number_or_null")]
//! pub staff_id: Option<Option<i64>>, // absent keeps, null clears
//! ```
//! (`default` on the optional ones: an absent field is `None`.)

use std::{fmt, marker::PhantomData};

use serde::{Deserialize, Deserializer, de};

const NOT_WHOLE: &str = "Очікується ціле число";
const OUT_OF_RANGE: &str = "Число поза допустимим діапазоном";

/// Reads an integer field (or an optional one, or a list of them) that may be written as a
/// whole-number float.
pub fn number<'de, D: Deserializer<'de>, T: Whole>(d: D) -> Result<T, D::Error> {
    T::deserialize_whole(d)
}

/// Reads a nullable integer field of a partial update: absent (with `#[serde(default)]`) is
/// `None` (keep), `null` is `Some(None)` (clear), a number is `Some(Some(n))`.
pub fn number_or_null<'de, D: Deserializer<'de>, T: Whole>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize_whole(d).map(Some)
}

/// A whole number from JSON: an integer, or a float without a fractional part, within `i64`.
pub(crate) fn whole_of_f64(v: f64) -> Option<i64> {
    // 2^63 is exactly representable; every whole f64 below it fits an i64.
    (v.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v)).then_some(v as i64)
}

/// What [`number`] can read.
pub trait Whole: Sized {
    fn deserialize_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

struct IntVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i64>> de::Visitor<'_> for IntVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(NOT_WHOLE)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::try_from(v).map_err(|_| E::custom(OUT_OF_RANGE))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        i64::try_from(v).map_err(|_| E::custom(OUT_OF_RANGE)).and_then(|v| self.visit_i64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        if v.fract() != 0.0 {
            return Err(E::custom(NOT_WHOLE));
        }
        whole_of_f64(v).ok_or_else(|| E::custom(OUT_OF_RANGE)).and_then(|v| self.visit_i64(v))
    }
}

// Anything else (a string, a boolean, an object) falls to the visitor's default: an
// "invalid type" error that names what was expected.
macro_rules! whole_ints {
    ($($t:ty),*) => {$(
        impl Whole for $t {
            fn deserialize_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IntVisitor::<$t>(PhantomData))
            }
        }
    )*};
}
whole_ints!(i64, i32, i16, u32, u16, u8);
// Typed ids are integers in bodies too.
whole_ints!(
    crate::ids::UserId,
    crate::ids::StaffId,
    crate::ids::ClientId,
    crate::ids::ServiceId,
    crate::ids::AppointmentId,
    crate::ids::ProductId,
    crate::ids::CashRegisterId
);

impl<T: Whole> Whole for Option<T> {
    fn deserialize_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OptionVisitor<T>(PhantomData<T>);
        impl<'de, T: Whole> de::Visitor<'de> for OptionVisitor<T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::deserialize_whole(d).map(Some)
            }
        }
        d.deserialize_option(OptionVisitor(PhantomData))
    }
}

impl<T: Whole> Whole for Vec<T> {
    fn deserialize_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Item<T>>::deserialize(d).map(|items| items.into_iter().map(|Item(v)| v).collect())
    }
}

/// One element of a list, read as [`Whole`].
struct Item<T>(T);

impl<'de, T: Whole> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize_whole(d).map(Item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{error::AppError, http::parse_json};

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        #[serde(deserialize_with = "number")]
        duration: i64,
        #[serde(default, deserialize_with = "number")]
        sort_order: Option<i32>,
        #[serde(default, deserialize_with = "number")]
        service_ids: Option<Vec<i64>>,
        #[serde(default, deserialize_with = "number_or_null")]
        staff_id: Option<Option<i64>>,
    }

    fn read(json: &str) -> Result<Body, AppError> {
        parse_json(json.as_bytes())
    }

    fn refused(json: &str) -> Vec<String> {
        match read(json) {
            Err(AppError::Invalid(details)) => details.into_keys().collect(),
            other => panic!("{json}: expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn whole_numbers_are_taken_in_any_spelling() {
        for json in [r#"{"duration": 340}"#, r#"{"duration": 340.0}"#, r#"{"duration": 3.4e2}"#] {
            assert_eq!(read(json).unwrap().duration, 340, "{json}");
        }
        let b = read(r#"{"duration": -0.0, "sortOrder": 7.0, "serviceIds": [1, 2.0], "staffId": 5.0}"#).unwrap();
        assert_eq!((b.duration, b.sort_order, b.service_ids, b.staff_id), (0, Some(7), Some(vec![1, 2]), Some(Some(5))));
    }

    #[test]
    fn absent_null_and_present_differ_where_they_should() {
        let b = read(r#"{"duration": 1}"#).unwrap();
        assert_eq!((b.sort_order, b.service_ids, b.staff_id), (None, None, None));
        let b = read(r#"{"duration": 1, "sortOrder": null, "serviceIds": null, "staffId": null}"#).unwrap();
        assert_eq!((b.sort_order, b.service_ids, b.staff_id), (None, None, Some(None)));
    }

    #[test]
    fn fractions_strings_and_out_of_range_numbers_are_422_naming_the_field() {
        assert_eq!(refused(r#"{"duration": 340.5}"#), ["duration"]);
        assert_eq!(refused(r#"{"duration": "340"}"#), ["duration"]);
        assert_eq!(refused(r#"{"duration": 1e300}"#), ["duration"]);
        assert_eq!(refused(r#"{"duration": 18446744073709551615}"#), ["duration"]);
        assert_eq!(refused(r#"{"duration": 1, "sortOrder": 2147483648}"#), ["sortOrder"]);
        assert_eq!(refused(r#"{"duration": 1, "sortOrder": 0.5}"#), ["sortOrder"]);
        assert_eq!(refused(r#"{"duration": 1, "serviceIds": [1, 1.5]}"#), ["serviceIds[1]"]);
        assert_eq!(refused(r#"{"duration": 1, "staffId": true}"#), ["staffId"]);
        assert!(matches!(read("{}"), Err(AppError::Invalid(_))), "a required field stays required");
    }

    #[test]
    fn whole_floats_stop_at_the_edges_of_i64() {
        assert_eq!(whole_of_f64(-9_223_372_036_854_775_808.0), Some(i64::MIN));
        assert_eq!(whole_of_f64(9_223_372_036_854_775_808.0), None);
        assert_eq!(whole_of_f64(0.5), None);
    }
}
