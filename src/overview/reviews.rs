//! `/overview/reviews`: clients' ratings of their visits, listed with statistics and recorded
//! by staff (audited as entity `review`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::reviews_store as store;
use crate::{
    audit,
    clock::Ymd,
    error::{AppError, Problems},
    ids::{AppointmentId, ClientId, StaffId, UserId},
    tenancy::TenantTx,
};

const MAX_TEXT: usize = 5000;

/// A review as the overview shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    #[serde(serialize_with = "crate::http::ids::as_string")]
    #[schema(value_type = String, example = "7")]
    pub id: i64,
    /// The client's name; empty for a review not linked to a client.
    pub client_name: String,
    /// The staff member's name; empty when none is linked.
    pub employee: String,
    /// 1 to 5.
    pub rating: i16,
    /// The client's phone; empty when unknown.
    pub phone: String,
    /// When the review was recorded.
    pub date: DateTime<Utc>,
    pub text: String,
    /// Library field: the same as `clientName`.
    pub author: String,
    /// Library field: the same as `text`.
    pub comment: String,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub client_id: Option<ClientId>,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub staff_id: Option<StaffId>,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub appointment_id: Option<AppointmentId>,
}

/// `POST /overview/reviews`. With `appointmentId` the client and the staff member are the
/// appointment's (ids sent beside it must agree with it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewReview {
    /// 1 to 5 (required).
    #[serde(default, deserialize_with = "crate::http::whole::number")]
    pub rating: Option<i64>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "crate::http::ids::opt_from_number_or_string")]
    #[schema(schema_with = crate::http::ids::opt_number_or_string_schema)]
    pub client_id: Option<ClientId>,
    #[serde(default, deserialize_with = "crate::http::ids::opt_from_number_or_string")]
    #[schema(schema_with = crate::http::ids::opt_number_or_string_schema)]
    pub staff_id: Option<StaffId>,
    #[serde(default, deserialize_with = "crate::http::ids::opt_from_number_or_string")]
    #[schema(schema_with = crate::http::ids::opt_number_or_string_schema)]
    pub appointment_id: Option<AppointmentId>,
}

/// The `type` filter: `positive` is 4–5, `neutral` 3, `negative` 1–2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReviewType {
    Positive,
    Neutral,
    Negative,
    All,
}

impl ReviewType {
    /// The inclusive rating range it stands for.
    pub(super) fn ratings(self) -> (i16, i16) {
        match self {
            ReviewType::Positive => (4, 5),
            ReviewType::Neutral => (3, 3),
            ReviewType::Negative => (1, 2),
            ReviewType::All => (1, 5),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ReviewsQuery {
    /// Recorded on or after this salon-local date.
    pub date_from: Option<Ymd>,
    pub date_to: Option<Ymd>,
    #[serde(rename = "type")]
    #[param(rename = "type", inline, example = "positive")]
    pub kind: Option<ReviewType>,
    /// Exactly this rating (1–5).
    #[param(minimum = 1, maximum = 5)]
    pub rating: Option<i16>,
    pub staff_id: Option<StaffId>,
    pub client_id: Option<ClientId>,
}

/// Figures over every review matching the filters.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewStatistics {
    /// Mean rating rounded to two decimals; 0 without reviews.
    pub average_rating: f64,
    pub total_reviews: i64,
    /// How many reviews gave each rating, keys `"1"` to `"5"`.
    #[schema(value_type = Object, example = json!({"1": 0, "2": 1, "3": 0, "4": 2, "5": 7}))]
    pub rating_distribution: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewsMeta {
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_pages: i64,
    pub statistics: ReviewStatistics,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage {
    pub data: Vec<Review>,
    pub meta: ReviewsMeta,
}

/// Records a review written by `user_id`. Ids of another salon, unknown or deleted ones, and
/// ids that disagree with the appointment's are refused with 422 naming the field; nothing is
/// written then. The caller commits.
pub(super) async fn create(
    tx: &mut TenantTx,
    user_id: UserId,
    ip: Option<&str>,
    input: NewReview,
) -> Result<Review, AppError> {
    let mut problems = Problems::default();
    let rating = input
        .rating
        .and_then(|r| i16::try_from(r).ok())
        .filter(|r| (1..=5).contains(r));
    if rating.is_none() {
        problems.add("rating", "Оцінка — ціле число від 1 до 5");
    }
    let text = input
        .text
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if text.chars().count() > MAX_TEXT {
        problems.add("text", "Відгук задовгий (до 5000 символів)");
    }
    let (mut client_id, mut staff_id) = (input.client_id, input.staff_id);
    if let Some(id) = input.appointment_id {
        // The calendar answers plain ids.
        let people = crate::calendar::facts::appointment_people(tx, id.get())
            .await?
            .map(|(client, staff)| (client.map(ClientId), staff.map(StaffId)));
        match people {
            None => problems.add("appointmentId", "Запис не знайдено"),
            Some((client, staff)) => {
                if client_id.is_some_and(|c| Some(c) != client) {
                    problems.add("clientId", "Клієнт не збігається з клієнтом запису");
                }
                if staff_id.is_some_and(|s| Some(s) != staff) {
                    problems.add("staffId", "Майстер не збігається з майстром запису");
                }
                (client_id, staff_id) = (client, staff);
            }
        }
    }
    // The appointment's own client and member are this salon's by its composite keys.
    let derived = input.appointment_id.is_some();
    if let Some(id) = client_id
        && !derived
        && !crate::clients::exists(tx, id.get()).await?
    {
        problems.add("clientId", "Клієнта не знайдено");
    }
    if let Some(id) = staff_id
        && !derived
        && !crate::staff::exists(tx, id.get()).await?
    {
        problems.add("staffId", "Співробітника не знайдено");
    }
    problems.finish()?;
    let rating = rating.expect("a missing rating is a problem above");
    let new = store::NewRow {
        rating,
        text,
        client_id,
        staff_id,
        appointment_id: input.appointment_id,
        created_by: user_id,
    };
    let id = store::insert(tx, &new).await?;
    let review = store::get(tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        tx,
        audit::Change {
            user_id: Some(user_id),
            entity: "review",
            entity_id: Some(id),
            action: "created",
            before: None,
            after: Some(serde_json::to_value(&review).map_err(anyhow::Error::from)?),
            ip,
        },
    )
    .await?;
    Ok(review)
}
