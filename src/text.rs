//! Bounds every text that enters through a JSON body or a query string, for every route, before
//! any domain sees it (called by the extractors in `http::extract`):
//! - at most [`MAX_CHARS`] characters per string (domains set tighter limits per field);
//! - no NUL, which PostgreSQL cannot store in `text` (it would fail the statement: a 500);
//! - a string that reads as a date or a date-time (what chrono's serde would accept) lies in
//!   the years [`MIN_YEAR`]..=[`MAX_YEAR`]: chrono accepts `+262143-12-31`, and date arithmetic
//!   near its limits panics.
//!
//! Each problem is a 422 naming the field in the contract's envelope (`details`).

use serde_json::Value;

use crate::error::AppError;

/// Characters any one string of a request may have.
pub const MAX_CHARS: usize = 10_000;
/// Earliest year a date of a request may fall in.
pub const MIN_YEAR: i32 = 1900;
/// Latest year a date of a request may fall in.
pub const MAX_YEAR: i32 = 2200;

/// The problem with one string, if any.
pub fn problem(value: &str) -> Option<String> {
    if value.contains('\0') {
        return Some("Текст містить недопустимий символ (NUL)".to_owned());
    }
    // A byte count bounds the character count from above: count chars only when needed.
    if value.len() > MAX_CHARS && value.chars().count() > MAX_CHARS {
        return Some(format!("Не більше {MAX_CHARS} символів"));
    }
    if let Some(year) = date_year(value)
        && !(i64::from(MIN_YEAR)..=i64::from(MAX_YEAR)).contains(&year)
    {
        return Some(format!("Дата має бути в межах {MIN_YEAR}–{MAX_YEAR} років"));
    }
    None
}

/// A field-named 422 when `value` has a [`problem`].
pub fn check(field: &str, value: &str) -> Result<(), AppError> {
    match problem(value) {
        Some(p) => Err(AppError::field(field, p)),
        None => Ok(()),
    }
}

/// Whether `text` is no longer than `max` characters (the check of a field's own limit).
pub fn fits(text: &str, max: usize) -> bool {
    text.len() <= max || text.chars().count() <= max
}

/// The year of a string that starts like an ISO date (`[+-]YYYY…-MM-DD`, then optionally a time):
/// what chrono reads as a date or a date-time, and also years chrono itself cannot hold
/// (`+262143-12-31`), which must be refused here too rather than by a parser further in.
fn date_year(value: &str) -> Option<i64> {
    let v = value.trim();
    if v.len() > 64 {
        return None;
    }
    let (sign, rest) = match v.as_bytes().first()? {
        b'+' => (1, &v[1..]),
        b'-' => (-1, &v[1..]),
        _ => (1, v),
    };
    let year_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest.as_bytes()[year_len..];
    let two_digits = |at: usize| tail.get(at..at + 2).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date_like = year_len >= 4
        && tail.first() == Some(&b'-')
        && two_digits(1)
        && tail.get(3) == Some(&b'-')
        && two_digits(4)
        && tail.get(6).is_none_or(|c| matches!(c, b'T' | b't' | b' '));
    if !date_like {
        return None;
    }
    // Twenty digits of year are past any calendar: saturate instead of failing to parse.
    Some(sign * rest[..year_len].parse::<i64>().unwrap_or(i64::MAX / 2))
}

/// Checks every string (and key) of a JSON document; the field is named as
/// `serde_path_to_error` names it (`items[0].name`). A document that is not JSON passes: the
/// typed parse reports it.
pub fn check_json(bytes: &[u8]) -> Result<(), AppError> {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    let mut path = String::new();
    walk(&value, &mut path)
}

fn walk(value: &Value, path: &mut String) -> Result<(), AppError> {
    match value {
        Value::String(s) => check(if path.is_empty() { "body" } else { path }, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                check(path, key)?;
                walk(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Checks the decoded pairs of a query string, naming the parameter.
pub fn check_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(), AppError> {
    for (key, value) in pairs {
        check(key, key)?;
        check(key, value)?;
    }
    Ok(())
}

/// At most Excel's 32,767 characters of `text`: what an .xlsx cell holds (writing more fails the
/// whole export).
pub fn for_cell(text: &str) -> &str {
    const MAX_CELL: usize = 32_767;
    if text.len() <= MAX_CELL {
        return text;
    }
    match text.char_indices().nth(MAX_CELL) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: AppError) -> Vec<String> {
        match e {
            AppError::Invalid(d) => d.into_keys().collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_text_nul_and_extreme_dates_name_their_field() {
        let long = "a".repeat(MAX_CHARS + 1);
        let body = serde_json::json!({"notes": long}).to_string();
        assert_eq!(field_of(check_json(body.as_bytes()).unwrap_err()), ["notes"]);
        assert!(
            check_json(
                serde_json::json!({"notes": "я".repeat(MAX_CHARS)})
                    .to_string()
                    .as_bytes()
            )
            .is_ok()
        );
        let nul = br#"{"items": [{"name": "ok"}, {"name": "a\u0000b"}]}"#;
        assert_eq!(field_of(check_json(nul).unwrap_err()), ["items[1].name"]);
        for date in [
            "+262143-12-31",
            "-0001-01-01",
            "1899-12-31",
            "2201-01-01",
            "+262143-12-31T10:00:00Z",
        ] {
            let body = serde_json::json!({"a": {"date": date}}).to_string();
            let refused = check_json(body.as_bytes()).err().unwrap_or_else(|| panic!("{date} passed"));
            assert_eq!(field_of(refused), ["a.date"], "{date}");
        }
        for fine in [
            "2026-12-04",
            "1990-05-03",
            "2026-12-04T10:00:00+02:00",
            "067-123-45-67",
            "Салон 2026-12",
        ] {
            assert!(problem(fine).is_none(), "{fine}");
        }
        assert!(check_json(b"{not json").is_ok());
    }

    #[test]
    fn query_values_are_checked_too() {
        assert_eq!(
            field_of(check_query([("dateTo", "+262143-12-31")]).unwrap_err()),
            ["dateTo"]
        );
        assert!(check_query([("dateTo", "2026-01-31"), ("search", "Марія")]).is_ok());
    }

    #[test]
    fn cells_are_cut_to_what_excel_holds() {
        assert_eq!(for_cell(&"я".repeat(40_000)).chars().count(), 32_767);
        assert_eq!(for_cell("short"), "short");
    }
}

/// `n` random letters and digits: codes and ids that go into URLs and Telegram deep links.
pub fn random_code(n: usize) -> String {
    use rand::{Rng, distributions::Alphanumeric};
    rand::thread_rng().sample_iter(&Alphanumeric).take(n).map(char::from).collect()
}
