//! The client object of contract §3.4, its inputs, and the checks both the API and the
//! spreadsheet import apply to a card's fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

use crate::{clock::Ymd, ids::ClientId, money::Money};

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
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub id: ClientId,
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
    /// The client asked not to be messaged about visits: no confirmation, reminder or
    /// cancellation is sent to them.
    pub messages_opt_out: bool,
    /// Percent (`10` = 10 %).
    pub discount: Percent,
    pub bonus_balance: Money,
    /// Completed visits.
    pub total_visits: i32,
    /// Sum of the prices of completed visits.
    #[schema(schema_with = crate::money::total)]
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
    pub total_count: i64,
}

/// Figures of one client, from their live appointments.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientStatistics {
    pub total_visits: i64,
    #[schema(schema_with = crate::money::total)]
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
    pub segment: Option<Segment>,
    pub gender: Option<Gender>,
    /// The category (`vip`, `regular`, `new`, `inactive`).
    pub source: Option<Category>,
    /// Clients with a completed visit on or after this date (`YYYY-MM-DD`, salon's calendar).
    pub date_from: Option<Ymd>,
    /// Clients with a completed visit on or before this date.
    pub date_to: Option<Ymd>,
    /// Default `name`.
    #[param(inline)]
    pub sort_by: Option<SortBy>,
    #[param(inline)]
    pub sort_order: Option<SortOrder>,
    /// Administrators only: list the deleted clients instead of the live ones.
    pub deleted: Option<bool>,
}

/// Query of `GET /clients/{id}` and its history.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardQuery {
    /// Administrators only (403 otherwise): also open a deleted client. Without it a deleted
    /// client is 404 like any missing one.
    pub deleted: Option<bool>,
}
