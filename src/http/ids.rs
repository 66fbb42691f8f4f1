//! Ids sent as numeric strings (`"42"`), for the areas whose client types them as strings
//! (notifications, the profile, the overview), and read back from numbers or strings.

use serde::{Deserialize, Deserializer, Serializer, de};

/// Writes an id as a numeric string.
pub fn as_string<S: Serializer>(id: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(id)
}

pub fn opt_as_string<S: Serializer>(id: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => s.collect_str(id),
        None => s.serialize_none(),
    }
}

/// Reads an optional id sent as a number (`12`) or a numeric string (`"12"`); `null` and `""`
/// are no id.
pub fn opt_from_number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(Raw::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("очікується числовий ідентифікатор")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
