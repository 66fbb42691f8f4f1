//! `/overview/reviews`: clients' ratings of their visits, listed with statistics and recorded
//! by staff (audited as entity `review`).

use axum::{Json, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    ReviewsView, Window, check_range, reviews_store as store,
};
use crate::{
    audit,
    auth::{Can, ClientIp},
    clock::Ymd,
    http::{
        AppJson, AppQuery,
        error::{AppError, FieldErrors},
    },
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
    pub client_id: Option<i64>,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub staff_id: Option<i64>,
    #[serde(serialize_with = "crate::http::ids::opt_as_string")]
    #[schema(value_type = Option<String>)]
    pub appointment_id: Option<i64>,
}

/// `POST /overview/reviews`. With `appointmentId` the client and the staff member are the
/// appointment's (ids sent beside it must agree with it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewReview {
    /// 1 to 5 (required).
    #[serde(default)]
    pub rating: Option<i64>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "crate::http::ids::opt_from_number_or_string")]
    #[schema(value_type = Option<String>, example = "12")]
    pub client_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::ids::opt_from_number_or_string")]
    #[schema(value_type = Option<String>)]
    pub staff_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::http::ids::opt_from_number_or_string")]
    #[schema(value_type = Option<String>)]
    pub appointment_id: Option<i64>,
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
    fn ratings(self) -> (i16, i16) {
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
    pub page: Option<u32>,
    pub per_page: Option<u32>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
    /// Recorded on or after this salon-local date.
    #[param(value_type = Option<String>)]
    pub date_from: Option<Ymd>,
    #[param(value_type = Option<String>)]
    pub date_to: Option<Ymd>,
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<String>, example = "positive")]
    pub kind: Option<ReviewType>,
    /// Exactly this rating (1–5).
    pub rating: Option<i16>,
    pub staff_id: Option<i64>,
    pub client_id: Option<i64>,
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

/// The salon's reviews, newest first, with statistics over every match.
#[utoipa::path(get, path = "/overview/reviews", tag = "overview", security(("bearer" = [])),
    params(ReviewsQuery),
    responses((status = 200, body = ReviewPage), (status = 401), (status = 403),
              (status = 422, description = "a malformed date, an unknown type, a rating outside 1–5 or a bad page")))]
pub async fn list_reviews(
    _: Can<ReviewsView>,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ReviewsQuery>,
) -> Result<Json<ReviewPage>, AppError> {
    let window = Window::of(q.page, q.per_page, q.limit, q.offset)?;
    check_range(q.date_from, q.date_to, "dateTo")?;
    if q.rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(AppError::field("rating", "Оцінка — від 1 до 5"));
    }
    let (low, high) = q.kind.unwrap_or(ReviewType::All).ratings();
    let filter = store::Filter {
        date_from: q.date_from.map(|d| d.0),
        date_to: q.date_to.map(|d| d.0),
        low: q.rating.map_or(low, |r| r.max(low)),
        high: q.rating.map_or(high, |r| r.min(high)),
        staff_id: q.staff_id,
        client_id: q.client_id,
    };
    let statistics = store::statistics(&mut tx, &filter).await?;
    let data = store::list(&mut tx, &filter, window).await?;
    tx.commit().await?;
    let total = statistics.total_reviews;
    Ok(Json(ReviewPage {
        data,
        meta: ReviewsMeta {
            page: window.page,
            per_page: window.per_page,
            total,
            total_pages: window.total_pages(total),
            statistics,
        },
    }))
}

/// Records a review. Ids of another salon, unknown or deleted ones, and ids that disagree with
/// the appointment's are refused with 422 naming the field; nothing is written then.
#[utoipa::path(post, path = "/overview/reviews", tag = "overview", security(("bearer" = [])),
    request_body = NewReview,
    responses((status = 201, body = Review), (status = 401), (status = 403),
              (status = 422, description = "rating outside 1–5, text too long, or an id not of this salon")))]
pub async fn create_review(
    Can(user, ..): Can<ReviewsView>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewReview>,
) -> Result<(StatusCode, Json<Review>), AppError> {
    let mut problems = FieldErrors::new();
    let rating = input
        .rating
        .and_then(|r| i16::try_from(r).ok())
        .filter(|r| (1..=5).contains(r));
    if rating.is_none() {
        add(&mut problems, "rating", "Оцінка — ціле число від 1 до 5");
    }
    let text = input
        .text
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if text.chars().count() > MAX_TEXT {
        add(&mut problems, "text", "Відгук задовгий (до 5000 символів)");
    }
    let (mut client_id, mut staff_id) = (input.client_id, input.staff_id);
    if let Some(id) = input.appointment_id {
        match store::appointment_people(&mut tx, id).await? {
            None => add(&mut problems, "appointmentId", "Запис не знайдено"),
            Some((client, staff)) => {
                if client_id.is_some_and(|c| Some(c) != client) {
                    add(
                        &mut problems,
                        "clientId",
                        "Клієнт не збігається з клієнтом запису",
                    );
                }
                if staff_id.is_some_and(|s| Some(s) != staff) {
                    add(
                        &mut problems,
                        "staffId",
                        "Майстер не збігається з майстром запису",
                    );
                }
                (client_id, staff_id) = (client, staff);
            }
        }
    }
    // The appointment's own client and member are this salon's by its composite keys.
    let derived = input.appointment_id.is_some();
    if let Some(id) = client_id
        && !derived
        && !store::client_exists(&mut tx, id).await?
    {
        add(&mut problems, "clientId", "Клієнта не знайдено");
    }
    if let Some(id) = staff_id
        && !derived
        && !store::staff_exists(&mut tx, id).await?
    {
        add(&mut problems, "staffId", "Співробітника не знайдено");
    }
    let Some(rating) = rating.filter(|_| problems.is_empty()) else {
        return Err(AppError::Invalid(problems));
    };
    let new = store::NewRow {
        rating,
        text,
        client_id,
        staff_id,
        appointment_id: input.appointment_id,
        created_by: user.id,
    };
    let id = store::insert(&mut tx, &new).await?;
    let review = store::get(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        audit::Change {
            user_id: Some(user.id),
            entity: "review",
            entity_id: Some(id),
            action: "created",
            before: None,
            after: Some(serde_json::to_value(&review).map_err(anyhow::Error::from)?),
            ip: ip.as_deref(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(review)))
}

fn add(problems: &mut FieldErrors, field: &str, text: &str) {
    problems
        .entry(field.to_owned())
        .or_default()
        .push(text.to_owned());
}
