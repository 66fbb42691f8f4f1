//! The overview's handlers: records, reviews and the audit trail.

use axum::{Json, http::StatusCode};

use super::{
    ChangesView, RecordsView, ReviewsView, check_range,
    changes::{self, Action, Change, ChangePage, ChangesQuery, Entity},
    records::{RecordPage, RecordsMeta, RecordsQuery, assemble},
    records_store,
    reviews::{self, NewReview, Review, ReviewPage, ReviewType, ReviewsMeta, ReviewsQuery},
    reviews_store,
};
use crate::{
    auth::{Can, ClientIp},
    error::AppError,
    http::{AppJson, AppQuery, page::Paged},
    tenancy::TenantTx,
};

/// The salon's appointments (deleted ones excluded), newest visit first, with each record's
/// payment state, who booked and closed it, and its history from the audit trail. A user with
/// `clients.show` = `own` gets only the records of their staff profile and of the clients it
/// has served; without `appointments.view_clients_data`, `phone` is `""`.
#[utoipa::path(get, path = "/overview/records", tag = "overview", security(("bearer" = [])),
    params(RecordsQuery, Paged),
    responses((status = 200, body = RecordPage), (status = 401), (status = 403),
              (status = 422, description = "a malformed date, an unknown status, a reversed range or a bad page")))]
pub async fn list_records(
    Can(user, ..): Can<RecordsView>,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<RecordsQuery>,
    AppQuery(paging): AppQuery<Paged>,
) -> Result<Json<RecordPage>, AppError> {
    let page = paging.page()?;
    check_range(q.date_from, q.date_to, "dateTo")?;
    check_range(q.visit_from, q.visit_to, "visitTo")?;
    check_range(q.created_from, q.created_to, "createdTo")?;
    let filter = records_store::Filter::from(&q).own(crate::clients::own_scope(&user));
    let statistics = records_store::statistics(&mut tx, &filter).await?;
    let rows = records_store::list(&mut tx, &filter, page).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut entries = records_store::history(&mut tx, &ids).await?;
    tx.commit().await?;
    let phones = user.may("appointments.view_clients_data");
    let data = rows
        .into_iter()
        .map(|mut row| {
            if !phones {
                row.phone = String::new();
            }
            let changes = entries.remove(&row.id).unwrap_or_default();
            assemble(row, changes)
        })
        .collect();
    Ok(Json(RecordPage {
        data,
        meta: RecordsMeta {
            page: page.page,
            per_page: page.per_page,
            total: statistics.total,
            total_pages: page.total_pages(statistics.total),
            statistics,
        },
    }))
}

/// The salon's reviews, newest first, with statistics over every match.
#[utoipa::path(get, path = "/overview/reviews", tag = "overview", security(("bearer" = [])),
    params(ReviewsQuery, Paged),
    responses((status = 200, body = ReviewPage), (status = 401), (status = 403),
              (status = 422, description = "a malformed date, an unknown type, a rating outside 1–5 or a bad page")))]
pub async fn list_reviews(
    _: Can<ReviewsView>,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ReviewsQuery>,
    AppQuery(paging): AppQuery<Paged>,
) -> Result<Json<ReviewPage>, AppError> {
    let page = paging.page()?;
    check_range(q.date_from, q.date_to, "dateTo")?;
    if q.rating.is_some_and(|r| !(1..=5).contains(&r)) {
        return Err(AppError::field("rating", "Оцінка — від 1 до 5"));
    }
    let (low, high) = q.kind.unwrap_or(ReviewType::All).ratings();
    let filter = reviews_store::Filter {
        date_from: q.date_from.map(|d| d.0),
        date_to: q.date_to.map(|d| d.0),
        low: q.rating.map_or(low, |r| r.max(low)),
        high: q.rating.map_or(high, |r| r.min(high)),
        staff_id: q.staff_id,
        client_id: q.client_id,
    };
    let statistics = reviews_store::statistics(&mut tx, &filter).await?;
    let data = reviews_store::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    let total = statistics.total_reviews;
    Ok(Json(ReviewPage {
        data,
        meta: ReviewsMeta {
            page: page.page,
            per_page: page.per_page,
            total,
            total_pages: page.total_pages(total),
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
    let review = reviews::create(&mut tx, user.id, ip.as_deref(), input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(review)))
}

/// The salon's audit trail, newest first.
#[utoipa::path(get, path = "/overview/changes", tag = "overview", security(("bearer" = [])),
    params(ChangesQuery, Paged),
    responses((status = 200, body = ChangePage), (status = 401), (status = 403),
              (status = 422, description = "a malformed date, an unknown entity or action, or a bad page")))]
pub async fn list_changes(
    _: Can<ChangesView>,
    mut tx: TenantTx,
    AppQuery(q): AppQuery<ChangesQuery>,
    AppQuery(paging): AppQuery<Paged>,
) -> Result<Json<ChangePage>, AppError> {
    let page = paging.page()?;
    check_range(q.date_from, q.date_to, "dateTo")?;
    let filter = changes::Filter {
        date_from: q.date_from.map(|d| d.0),
        date_to: q.date_to.map(|d| d.0),
        entity: q.entity.map(Entity::stored),
        entity_id: q.entity_id,
        author: q.author,
        action: q.action.map(|a| match a {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
        }),
    };
    let total = changes::count(&mut tx, &filter).await?;
    let rows = changes::list(&mut tx, &filter, page).await?;
    tx.commit().await?;
    let data = rows.into_iter().map(Change::from).collect();
    Ok(Json(ChangePage {
        data,
        meta: page.meta(total),
    }))
}
