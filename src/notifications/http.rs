//! `/notifications` routes: the current user's own notifications, nobody else's.

use axum::{Json, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{Notification, store};
use crate::{
    auth::CurrentUser,
    error::AppError,
    http::{
        AppPath, AppQuery,
        page::{PageMeta, Paged},
    },
    tenancy::TenantTx,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ListQuery {
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
pub struct ReadAll {
    /// How many notifications were unread and are read now.
    pub updated: u64,
}

/// The current user's notifications, unread first, then newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])),
    params(ListQuery, Paged),
    responses((status = 200, body = NotificationPage), (status = 401), (status = 422)))]
pub async fn list_notifications(
    user: CurrentUser,
    mut tx: TenantTx,
    AppQuery(query): AppQuery<ListQuery>,
    AppQuery(paging): AppQuery<Paged>,
) -> Result<Json<NotificationPage>, AppError> {
    let page = paging.page()?;
    let filter = store::Filter { unread_only: query.unread_only.unwrap_or(false), read: query.read };
    let data = store::list(&mut tx, user.id, filter, page.limit, page.offset).await?;
    let total = store::count(&mut tx, user.id, filter).await?;
    tx.commit().await?;
    Ok(Json(NotificationPage { data, meta: page.meta(total) }))
}

/// Marks one notification read and answers it. No request body.
#[utoipa::path(patch, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Notification), (status = 401), (status = 404)))]
pub async fn read_notification(
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
pub async fn read_all_notifications(user: CurrentUser, mut tx: TenantTx) -> Result<Json<ReadAll>, AppError> {
    let updated = store::mark_all_read(&mut tx, user.id).await?;
    tx.commit().await?;
    Ok(Json(ReadAll { updated }))
}

/// Deletes one of the current user's notifications.
#[utoipa::path(delete, path = "/notifications/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401), (status = 404)))]
pub async fn delete_notification(
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
