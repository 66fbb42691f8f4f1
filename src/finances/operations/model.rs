//! The operation object of contract §3.7, its inputs and the date the create form sends.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, de};
use utoipa::{IntoParams, ToSchema};

use crate::{
    clock::Ymd,
    finances::enums::{Direction, OperationStatus, OperationType},
    error::AppError,
    ids::{AppointmentId, CashRegisterId, ClientId, UserId},
    money::Money,
    tenancy::SalonClock,
};

/// Money in or out of a register.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: OperationType,
    /// `in` adds to the register, `out` subtracts; a reversal has its original's opposite.
    pub direction: Direction,
    /// Always positive; `direction` gives the sign.
    pub amount: Money,
    pub status: OperationStatus,
    pub category: String,
    pub description: String,
    pub document_number: String,
    /// The salon-local accounting date.
    pub date: Ymd,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    pub payment_method_id: Option<i64>,
    /// The method's name, or the text entered when it matched no method.
    pub payment_method: String,
    pub cash_register_id: Option<CashRegisterId>,
    pub cash_register: String,
    pub client_id: Option<ClientId>,
    pub client: String,
    /// The counterparty as entered, else the client's name.
    pub counterparty: String,
    pub author: String,
    pub created_by: Option<UserId>,
    /// The visit whose payment this is.
    pub appointment_id: Option<AppointmentId>,
    /// The operation this one reverses.
    pub reversal_of: Option<i64>,
    /// The operation that reverses this one.
    pub reversed_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Matches of the whole list (for `X-Total-Count`).
    #[serde(skip)]
    pub total_count: Option<i64>,
}

/// The create form's `date`: a day (`2026-01-04`), an instant with an offset
/// (`2026-01-04T21:30:00Z`) or a salon wall-clock moment without one (`2026-01-04T23:30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpDate {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
}

impl OpDate {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(OpDate::Day(d));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(OpDate::Instant(t.with_timezone(&Utc)));
        }
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
            .map(OpDate::Local)
            .ok_or("дата у форматі РРРР-ММ-ДД або дата й час ISO 8601")
    }

    /// The salon-local date and the instant. A bare day means now when it is today, else
    /// noon of that day (a stable moment that is never inside a DST gap).
    pub fn resolve(date: Option<OpDate>, clock: SalonClock) -> Result<(NaiveDate, DateTime<Utc>), AppError> {
        let (zone, now, today) = (clock.zone(), clock.now(), clock.today());
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default();
        match date {
            None => Ok((today, now)),
            Some(OpDate::Day(d)) if d == today => Ok((d, now)),
            Some(OpDate::Day(d)) => Ok((d, wall_clock(zone, d, noon)?)),
            Some(OpDate::Instant(t)) => Ok((t.with_timezone(&zone).date_naive(), t)),
            Some(OpDate::Local(t)) => Ok((t.date(), wall_clock(zone, t.date(), t.time())?)),
        }
    }
}

fn wall_clock(zone: Tz, d: NaiveDate, t: NaiveTime) -> Result<DateTime<Utc>, AppError> {
    crate::clock::instant(zone, d, t)
        .map_err(|_| AppError::field("date", "Такого часу в цей день немає (перехід на літній час)"))
}

impl<'de> Deserialize<'de> for OpDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OpDate::parse(&s).map_err(de::Error::custom)
    }
}

/// `POST /finances/operations`, as the create form sends it (references as free text) or with
/// ids (our extension). A reference id wins over its text; a text is matched by name within
/// the salon, case-insensitively, and kept as entered when nothing matches.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewOperation {
    #[serde(rename = "type")]
    pub kind: OperationType,
    /// Positive; the type decides whether it enters or leaves the register.
    pub amount: Money,
    /// `YYYY-MM-DD` or an ISO 8601 date-time; default now.
    #[schema(value_type = Option<String>)]
    pub date: Option<OpDate>,
    /// Default `completed`.
    pub status: Option<OperationStatus>,
    /// Only for `transfer` (default `out`); other types have a fixed direction.
    pub direction: Option<Direction>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub document_number: Option<String>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub payment_method_id: Option<i64>,
    pub payment_method: Option<String>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub cash_register_id: Option<CashRegisterId>,
    pub cash_register: Option<String>,
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub client_id: Option<ClientId>,
    pub client: Option<String>,
    pub counterparty: Option<String>,
    /// Who recorded it, as typed; default the signed-in user's name.
    pub author: Option<String>,
}

/// `PUT /finances/operations/{id}`: an audited edit of what does not move money. The amount,
/// type, direction and references are never rewritten (422 when sent with another value):
/// a wrong operation is corrected by reversing it. `status` may only leave `pending`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationChanges {
    pub description: Option<String>,
    pub category: Option<String>,
    #[schema(value_type = Option<String>)]
    pub date: Option<OpDate>,
    pub status: Option<OperationStatus>,
    pub amount: Option<Money>,
    #[serde(rename = "type")]
    pub kind: Option<OperationType>,
}

/// `POST /finances/operations/{id}/reverse`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reversal {
    /// Why; default «Сторно операції №…».
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct OperationFilter {
    /// One of the seven types; `income` / `expense` (the library's words) select every
    /// operation moving money in / out.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<OperationType>)]
    pub kind: Option<OperationType>,
    pub direction: Option<Direction>,
    /// Inclusive, salon-local dates.
    pub date_from: Option<Ymd>,
    pub date_to: Option<Ymd>,
    pub status: Option<OperationStatus>,
    pub category: Option<String>,
    pub payment_method_id: Option<i64>,
    /// Method name, case-insensitive.
    pub payment_method: Option<String>,
    pub cash_register_id: Option<CashRegisterId>,
    pub cash_register: Option<String>,
    pub client_id: Option<ClientId>,
    /// Part of the document number, client, counterparty, description or author.
    pub search: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn dates_parse_in_three_shapes() {
        assert_eq!(OpDate::parse("2026-01-04").unwrap(), OpDate::Day(NaiveDate::from_ymd_opt(2026, 1, 4).unwrap()));
        assert_eq!(OpDate::parse("2026-01-31T21:30:00Z").unwrap(), OpDate::Instant(utc("2026-01-31T21:30:00Z")));
        assert!(matches!(OpDate::parse("2026-01-31T23:30").unwrap(), OpDate::Local(_)));
        assert!(OpDate::parse("31.01.2026").is_err());
        assert!(OpDate::parse("2026-02-30").is_err());
    }

    #[test]
    fn local_dates_follow_the_salon_zone() {
        let kyiv = chrono_tz::Europe::Kyiv;
        let now = utc("2026-03-10T10:00:00Z");
        // 00:30 in Kyiv on 1 February is still 31 January in UTC: it belongs to 1 February.
        let (d, t) = OpDate::resolve(Some(OpDate::parse("2026-01-31T22:30:00Z").unwrap()), SalonClock::at(kyiv, now)).unwrap();
        assert_eq!((d.to_string(), t), ("2026-02-01".to_owned(), utc("2026-01-31T22:30:00Z")));
        let (d, t) = OpDate::resolve(Some(OpDate::parse("2026-01-31T23:30").unwrap()), SalonClock::at(kyiv, now)).unwrap();
        assert_eq!((d.to_string(), t), ("2026-01-31".to_owned(), utc("2026-01-31T21:30:00Z")));
        let (d, t) = OpDate::resolve(Some(OpDate::parse("2026-03-10").unwrap()), SalonClock::at(kyiv, now)).unwrap();
        assert_eq!((d.to_string(), t), ("2026-03-10".to_owned(), now), "today means now");
        let (_, t) = OpDate::resolve(Some(OpDate::parse("2026-03-01").unwrap()), SalonClock::at(kyiv, now)).unwrap();
        assert_eq!(t, utc("2026-03-01T10:00:00Z"), "another day means its noon");
        assert!(OpDate::resolve(Some(OpDate::parse("2026-03-29T03:30").unwrap()), SalonClock::at(kyiv, now)).is_err());
    }
}
