//! `/notifications` routes: the current user's own notifications, nobody else's.

use axum::{Json, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Notification, store};
use crate::{
    AppState,
    auth::CurrentUser,
    http::{AppPath, AppQuery, error::AppError},
    tenancy::TenantTx,
};

const DEFAULT_PER_PAGE: u32 = 20;
const MAX_PER_PAGE: u32 = 100;

pub fn router() -> OpenApiRouter<AppState> {
    // `/notifications/read-all` is a static segment: axum matches it before `{id}`.
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_all_notifications))
        .routes(routes!(read_notification))
        .routes(routes!(delete_notification))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ListQuery {
    /// Page number from 1 (default 1).
    page: Option<u32>,
    /// Page size (default 20); larger than 100 is served as 100.
    per_page: Option<u32>,
    /// Only unread notifications.
    unread_only: Option<bool>,
    /// Only read (`true`) or only unread (`false`) ones: the web client's filter.
    read: Option<bool>,
}

/// The list envelope of contract §10, decision 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    pub data: Vec<Notification>,
    pub meta: PageMeta,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    pub page: u32,
    pub per_page: u32,
    /// Notifications matching the filters, on every page.
    pub total: i64,
    pub total_pages: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAll {
    /// How many notifications were unread and are read now.
    pub updated: u64,
}

/// The current user's notifications, unread first, then newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = NotificationPage), (status = 401), (status = 422)))]
async fn list_notifications(
    user: CurrentUser,
    mut tx: TenantTx,
    AppQuery(query): AppQuery<ListQuery>,
) -> Result<Json<NotificationPage>, AppError> {
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Err(AppError::field("page", "Номер сторінки починається з 1"));
    }
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE).min(MAX_PER_PAGE);
    if per_page == 0 {
        return Err(AppError::field("perPage", "Розмір сторінки має бути від 1 до 100"));
    }
    let filter = store::Filter { unread_only: query.unread_only.unwrap_or(false), read: query.read };
    let offset = i64::from(page - 1) * i64::from(per_page);
    let data = store::list(&mut tx, user.id, filter, i64::from(per_page), offset).await?;
    let total = store::count(&mut tx, user.id, filter).await?;
    tx.commit().await?;
    let total_pages = (total + i64::from(per_page) - 1) / i64::from(per_page);
    Ok(Json(NotificationPage { data, meta: PageMeta { page, per_page, total, total_pages } }))
}

/// Marks one notification read and answers it. No request body.
#[utoipa::path(patch, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Notification), (status = 401), (status = 404)))]
async fn read_notification(
    user: CurrentUser,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<Json<Notification>, AppError> {
    let notification = store::mark_read(&mut tx, user.id, id).await?.ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(Json(notification))
}

/// Marks every unread notification of the current user read. No request body.
#[utoipa::path(patch, path = "/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = ReadAll), (status = 401)))]
async fn read_all_notifications(user: CurrentUser, mut tx: TenantTx) -> Result<Json<ReadAll>, AppError> {
    let updated = store::mark_all_read(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(Json(ReadAll { updated }))
}

/// Deletes one of the current user's notifications.
#[utoipa::path(delete, path = "/notifications/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401), (status = 404)))]
async fn delete_notification(
    user: CurrentUser,
    mut tx: TenantTx,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    if !store::delete(&mut tx, user.id, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
