//! Checks of a client card's fields, shared by the API bodies and the spreadsheet import.
//! Each returns the value to store or a Ukrainian problem for the person who typed it.

use chrono::NaiveDate;

use super::model::Percent;
use crate::{clock::Ymd, money::Money};

pub fn first_name(raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    match v.chars().count() {
        0 => Err("Вкажіть ім'я"),
        1..=100 => Ok(v.to_owned()),
        _ => Err("Не більше 100 символів"),
    }
}

pub fn other_name(raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.chars().count() > 100 { Err("Не більше 100 символів") } else { Ok(v.to_owned()) }
}

pub fn phone(raw: &str) -> Result<String, &'static str> {
    if raw.trim().is_empty() {
        return Err("Вкажіть телефон");
    }
    super::normalise_phone(raw).ok_or("Некоректний номер телефону")
}

pub fn email(raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.len() > 254 || !email_address::EmailAddress::is_valid(v) {
        return Err("Некоректна адреса e-mail");
    }
    Ok(v.to_owned())
}

pub fn card_number(raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.chars().count() > 50 { Err("Не більше 50 символів") } else { Ok(v.to_owned()) }
}

pub fn notes(raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.chars().count() > 2000 { Err("Не більше 2000 символів") } else { Ok(v.to_owned()) }
}

/// A birth date as `YYYY-MM-DD` (unpadded accepted), or `""`; not in the future, not before 1900.
pub fn birth_date_text(raw: &str, today: NaiveDate) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    let date = Ymd::parse(v).map_err(|_| "Дата у форматі РРРР-ММ-ДД")?.0;
    birth_date(date, today).map(|d| Ymd(d).to_string())
}

pub fn birth_date(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, &'static str> {
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if date > today {
        Err("Дата народження не може бути в майбутньому")
    } else if date < earliest {
        Err("Дата народження не раніше 1900 року")
    } else {
        Ok(date)
    }
}

/// `male`, `female`, `other` (or `""`), in the wire form.
pub fn gender(raw: &str) -> Result<String, &'static str> {
    match raw.trim().to_lowercase().as_str() {
        "" => Ok(String::new()),
        v @ ("male" | "female" | "other") => Ok(v.to_owned()),
        _ => Err("Стать: male, female або other"),
    }
}

/// `vip`, `regular`, `new`, `inactive` (or `""`).
pub fn category(raw: &str) -> Result<String, &'static str> {
    match raw.trim().to_lowercase().as_str() {
        "" => Ok(String::new()),
        v @ ("vip" | "regular" | "new" | "inactive") => Ok(v.to_owned()),
        _ => Err("Категорія: vip, regular, new або inactive"),
    }
}

pub fn discount(d: Percent) -> Result<Percent, &'static str> {
    if (0..=10_000).contains(&d.0) { Ok(d) } else { Err("Знижка від 0 до 100 %") }
}

pub fn bonus(b: Money) -> Result<Money, &'static str> {
    if b.minor() >= 0 { Ok(b) } else { Err("Бонуси не можуть бути від'ємними") }
}

/// Splits one full name as the calendar sends it: the first word is the first name, the rest
/// the last name ("Марія Петренко" → "Марія", "Петренко").
pub fn split_full_name(full: &str) -> (String, String) {
    let mut words = full.split_whitespace();
    let first = words.next().unwrap_or("").to_owned();
    let rest: Vec<&str> = words.collect();
    (first, rest.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_split_at_the_first_word() {
        assert_eq!(split_full_name(" Марія  Петренко "), ("Марія".into(), "Петренко".into()));
        assert_eq!(split_full_name("Олена Іванівна Коваль"), ("Олена".into(), "Іванівна Коваль".into()));
        assert_eq!(split_full_name("Оксана"), ("Оксана".into(), String::new()));
    }
}
