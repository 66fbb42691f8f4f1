//! The client object of contract §3.4, its inputs, and the checks both the API and the
//! spreadsheet import apply to a card's fields.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

use crate::{
    clock::Ymd,
    http::error::{AppError, FieldErrors},
    money::Money,
};

/// Where a client stands with the salon.
///
/// - `new`: no completed visit yet, or exactly one;
/// - `repeat`: two or more completed visits;
/// - `lost`: the last completed visit (or, for a client who never completed one, the day the
///   client was added) lies more than the salon's `lost_after_days` (90 by default) days in
///   the past. This part is decided when the client is read, so time passing is enough;
/// - `subscription-ending`: accepted as a filter, never assigned (there are no subscriptions).
///
/// Visits are the client's appointments with status `completed` that are not deleted; the
/// figures are recomputed whenever one of the client's appointments changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "kebab-case")]
#[sqlx(type_name = "text", rename_all = "kebab-case")]
pub enum Segment {
    New,
    Repeat,
    Lost,
    SubscriptionEnding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Gender {
    Male,
    Female,
    Other,
}

/// The form's client category, sent as `source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Category {
    Vip,
    Regular,
    New,
    Inactive,
}

impl Segment {
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::New => "new",
            Segment::Repeat => "repeat",
            Segment::Lost => "lost",
            Segment::SubscriptionEnding => "subscription-ending",
        }
    }
}

impl Gender {
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
        }
    }
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Vip => "vip",
            Category::Regular => "regular",
            Category::New => "new",
            Category::Inactive => "inactive",
        }
    }
}

/// A percentage with two decimals, stored in hundredths (`10.5` is 1050); a JSON number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::Type, ToSchema)]
#[sqlx(transparent)]
#[schema(value_type = f64, example = 10)]
pub struct Percent(pub i32);

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Money(i64::from(self.0)).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = Money::deserialize(d)?;
        i32::try_from(m.minor()).map(Percent).map_err(|_| serde::de::Error::custom("від 0 до 100"))
    }
}

/// A client as every route answers it.
///
/// `segment` is computed, never sent: `new` with no completed visit or one, `repeat` with two
/// or more, `lost` when the last completed visit (or, without one, the day the client was
/// added) is more than the salon's `lost_after_days` (default 90) days ago;
/// `subscription-ending` is never assigned. A visit is a completed, non-deleted appointment;
/// the figures follow every change of the client's appointments.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: i64,
    pub first_name: String,
    /// `""` when there is none.
    pub middle_name: String,
    /// `""` when there is none.
    pub last_name: String,
    /// "first middle last", for search results and the calendar.
    pub name: String,
    /// E.164 (`+380671234567`).
    pub phone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Ymd>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_number: Option<String>,
    pub segment: Segment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Category>,
    pub notes: String,
    /// Percent (`10` = 10 %).
    pub discount: Percent,
    pub bonus_balance: Money,
    /// Completed visits.
    pub total_visits: i32,
    /// Sum of the prices of completed visits.
    pub total_spent: Money,
    /// Start of the latest completed visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_visit: Option<DateTime<Utc>>,
    /// Start of the first completed visit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_visit: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set on deleted clients, which only administrators see (list `deleted=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Matches of the list query before `limit`/`offset` (the `X-Total-Count` header).
    #[serde(skip)]
    #[sqlx(default)]
    pub total_count: i64,
}

/// Figures of one client, from their live appointments.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ClientStatistics {
    pub total_visits: i64,
    pub total_spent: Money,
    /// `totalSpent / totalVisits`, rounded to the kopiyka; 0 without visits.
    pub average_check: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_visit: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_visit: Option<DateTime<Utc>>,
    /// Start of the next appointment that is still to come (scheduled, confirmed, arrived).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_visit: Option<DateTime<Utc>>,
    pub upcoming: i64,
    pub no_shows: i64,
    pub cancelled: i64,
    /// The service name of most completed visits (latest wins a tie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorite_service: Option<String>,
    pub bonus_balance: Money,
}

/// `GET /clients/{id}`: the client, their figures and the latest completed visits (the
/// details modal's history tab reads `visits`; the full history is `/clients/{id}/history`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientDetail {
    #[serde(flatten)]
    pub client: Client,
    pub statistics: ClientStatistics,
    pub visits: Vec<super::history::Visit>,
}

/// How to order the list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SortBy {
    #[default]
    Name,
    CreatedAt,
    LastVisit,
    TotalVisits,
    TotalSpent,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// Filters of `GET /clients` and `GET /clients/export`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ClientFilter {
    /// Part of the name, e-mail or card number (case-insensitive), or of the phone: digits
    /// in any format (`067 123`, `+380 67...`).
    pub search: Option<String>,
    #[param(value_type = Option<Segment>)]
    pub segment: Option<Segment>,
    #[param(value_type = Option<Gender>)]
    pub gender: Option<Gender>,
    /// The category (`vip`, `regular`, `new`, `inactive`).
    #[param(value_type = Option<Category>)]
    pub source: Option<Category>,
    /// Clients with a completed visit on or after this date (`YYYY-MM-DD`, salon's calendar).
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    /// Clients with a completed visit on or before this date.
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
    /// Default `name`.
    #[param(inline)]
    pub sort_by: Option<SortBy>,
    #[param(inline)]
    pub sort_order: Option<SortOrder>,
    /// Sent by the clients page, which slices pages itself: every match is answered anyway
    /// (contract §10, decision 2).
    pub page: Option<i64>,
    /// See `page`.
    pub per_page: Option<i64>,
    /// Extension: real server-side paging (at most 10,000 per page).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// Administrators only: list the deleted clients instead of the live ones.
    pub deleted: Option<bool>,
}

/// `POST /clients`. Unknown keys are ignored (the form sends more than it needs).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewClient {
    /// Required; a missing key is reported on the field like an empty one.
    #[serde(default)]
    pub first_name: String,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    /// Required. Any common Ukrainian or international notation; stored as E.164.
    #[serde(default)]
    pub phone: String,
    pub email: Option<String>,
    pub card_number: Option<String>,
    /// `YYYY-MM-DD`, unpadded (`1990-5-3`) accepted.
    pub birth_date: Option<String>,
    /// `male`, `female`, `other`.
    pub gender: Option<String>,
    /// `vip`, `regular`, `new`, `inactive`.
    pub source: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Percent>,
    pub bonus_balance: Option<Money>,
}

/// `PUT /clients/{id}`: absent keys keep their value; `""` clears an optional text field.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientChanges {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub middle_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_number: Option<String>,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    #[schema(value_type = Option<f64>)]
    pub discount: Option<Percent>,
    pub bonus_balance: Option<Money>,
}

/// Validated card values. `None` = keep (update) or default (insert); for the optional text
/// fields and `birth_date`, `Some("")` clears the stored value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientValues {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub card_number: Option<String>,
    /// `YYYY-MM-DD` or `""`.
    pub birth_date: Option<String>,
    /// A [`Gender`] in its wire form, or `""`.
    pub gender: Option<String>,
    /// A [`Category`] in its wire form, or `""`.
    pub source: Option<String>,
    pub notes: Option<String>,
    pub discount: Option<Percent>,
    pub bonus_balance: Option<Money>,
}

impl NewClient {
    pub fn validate(self, today: NaiveDate) -> Result<ClientValues, AppError> {
        let changes = ClientChanges {
            first_name: Some(self.first_name),
            last_name: self.last_name,
            middle_name: self.middle_name,
            phone: Some(self.phone),
            email: self.email,
            card_number: self.card_number,
            birth_date: self.birth_date,
            gender: self.gender,
            source: self.source,
            notes: self.notes,
            discount: self.discount,
            bonus_balance: self.bonus_balance,
        };
        changes.validate(today)
    }
}

impl ClientChanges {
    pub fn validate(self, today: NaiveDate) -> Result<ClientValues, AppError> {
        let mut p = Problems::default();
        let values = ClientValues {
            first_name: self.first_name.and_then(|v| p.check("firstName", first_name(&v))),
            middle_name: self.middle_name.and_then(|v| p.check("middleName", other_name(&v))),
            last_name: self.last_name.and_then(|v| p.check("lastName", other_name(&v))),
            phone: self.phone.and_then(|v| p.check("phone", phone(&v))),
            email: self.email.and_then(|v| p.check("email", email(&v))),
            card_number: self.card_number.and_then(|v| p.check("cardNumber", card_number(&v))),
            birth_date: self.birth_date.and_then(|v| p.check("birthDate", birth_date_text(&v, today))),
            gender: self.gender.and_then(|v| p.check("gender", gender(&v))),
            source: self.source.and_then(|v| p.check("source", category(&v))),
            notes: self.notes.and_then(|v| p.check("notes", notes(&v))),
            discount: self.discount.and_then(|d| p.check("discount", discount(d))),
            bonus_balance: self.bonus_balance.and_then(|b| p.check("bonusBalance", bonus(b))),
        };
        if p.0.is_empty() { Ok(values) } else { Err(AppError::Invalid(p.0)) }
    }
}

/// Field problems collected while validating a whole body.
#[derive(Default)]
struct Problems(FieldErrors);

impl Problems {
    fn check<T>(&mut self, field: &str, result: Result<T, &'static str>) -> Option<T> {
        result.map_err(|problem| self.0.entry(field.to_owned()).or_default().push(problem.to_owned())).ok()
    }
}

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

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 13).unwrap()
    }

    fn details(err: AppError) -> FieldErrors {
        match err {
            AppError::Invalid(d) => d,
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn the_add_form_body_validates() {
        let input: NewClient = serde_json::from_str(
            r#"{"firstName": " Марія ", "lastName": "", "phone": "067 123 45 67", "email": "",
                "birthDate": "1990-5-3", "gender": "female", "source": "regular", "discount": 10.5,
                "bonusBalance": 0, "extra": true}"#,
        )
        .unwrap();
        let v = input.validate(today()).unwrap();
        assert_eq!(v.first_name.as_deref(), Some("Марія"));
        assert_eq!(v.last_name.as_deref(), Some(""));
        assert_eq!(v.phone.as_deref(), Some("+380671234567"));
        assert_eq!(v.email.as_deref(), Some(""));
        assert_eq!(v.birth_date.as_deref(), Some("1990-05-03"));
        assert_eq!(v.discount, Some(Percent(1050)));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input: NewClient = serde_json::from_str(
            r#"{"firstName": "", "phone": "123", "email": "nope", "birthDate": "2999-01-01",
                "gender": "x", "source": "y", "discount": 150, "bonusBalance": -1}"#,
        )
        .unwrap();
        let d = details(input.validate(today()).unwrap_err());
        for field in ["firstName", "phone", "email", "birthDate", "gender", "source", "discount", "bonusBalance"] {
            assert!(d.contains_key(field), "{field} missing in {d:?}");
        }
    }

    #[test]
    fn percent_is_exact() {
        let p: Percent = serde_json::from_str("12.25").unwrap();
        assert_eq!(p, Percent(1225));
        assert_eq!(serde_json::to_string(&p).unwrap(), "12.25");
        assert_eq!(serde_json::to_string(&Percent(1000)).unwrap(), "10");
    }

    #[test]
    fn full_names_split_at_the_first_word() {
        assert_eq!(split_full_name(" Марія  Петренко "), ("Марія".into(), "Петренко".into()));
        assert_eq!(split_full_name("Олена Іванівна Коваль"), ("Олена".into(), "Іванівна Коваль".into()));
        assert_eq!(split_full_name("Оксана"), ("Оксана".into(), String::new()));
    }
}
