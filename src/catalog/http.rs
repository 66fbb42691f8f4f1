//! Handlers of `/services`. Reads are open to every signed-in user (the calendar shows the
//! catalogue to everyone); writes need `settings.services.access`.

use axum::{Json, http::StatusCode};
use serde::Serialize;

use super::{
    model::{NewService, Service, ServiceChanges, ServiceDetail, ServiceFilter},
    store,
};
use crate::{
    audit,
    auth::{Can, ClientIp, CurrentUser},
    http::{AppJson, AppPath, AppQuery}, error::AppError,
    ids::ServiceId,
    permission,
    tenancy::{Lock, TenantTx},
};

permission!(ServicesWrite = "settings.services.access");

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    Ok(serde_json::to_value(value).map_err(anyhow::Error::from)?)
}

/// Live services matching the filters, by category then name. Every match, no paging.
#[utoipa::path(get, path = "/services", tag = "services", security(("bearer" = [])), params(ServiceFilter),
    responses((status = 200, body = [Service])))]
pub async fn list_services(
    _: CurrentUser,
    mut tx: TenantTx,
    AppQuery(filter): AppQuery<ServiceFilter>,
) -> Result<Json<Vec<Service>>, AppError> {
    let services = store::list(&mut tx, &filter).await?;
    tx.commit().await?;
    Ok(Json(services))
}

/// The form's six categories plus any other category a live service uses, sorted.
#[utoipa::path(get, path = "/services/categories", tag = "services", security(("bearer" = [])),
    responses((status = 200, body = [String])))]
pub async fn service_categories(_: CurrentUser, mut tx: TenantTx) -> Result<Json<Vec<String>>, AppError> {
    let categories = store::categories(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(categories))
}

/// One live service with its booking statistics.
#[utoipa::path(get, path = "/services/{id}", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = ServiceDetail), (status = 404)))]
pub async fn get_service(
    _: CurrentUser,
    mut tx: TenantTx,
    AppPath(id): AppPath<ServiceId>,
) -> Result<Json<ServiceDetail>, AppError> {
    let service = store::find(&mut tx, id, Lock::No).await?.ok_or(AppError::NotFound)?;
    let statistics = store::statistics(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(ServiceDetail { service, statistics }))
}

/// Adds a service. Names are unique among live services, ignoring case (409).
#[utoipa::path(post, path = "/services", tag = "services", security(("bearer" = [])), request_body = NewService,
    responses((status = 201, body = Service), (status = 403), (status = 409, description = "name taken"),
              (status = 422)))]
pub async fn create_service(
    Can(user, ..): Can<ServicesWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<NewService>,
) -> Result<(StatusCode, Json<Service>), AppError> {
    let values = input.validate()?;
    let service = store::insert(&mut tx, &values).await?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "service", entity_id: Some(service.id.get()), action: "created",
        before: None, after: Some(json(&service)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(service)))
}

/// Changes the keys present in the body; the answer is the whole service.
#[utoipa::path(put, path = "/services/{id}", tag = "services", security(("bearer" = [])),
    request_body = ServiceChanges, params(("id" = i64, Path)),
    responses((status = 200, body = Service), (status = 403), (status = 404),
              (status = 409, description = "name taken"), (status = 422)))]
pub async fn update_service(
    Can(user, ..): Can<ServicesWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ServiceId>,
    AppJson(changes): AppJson<ServiceChanges>,
) -> Result<Json<Service>, AppError> {
    let values = changes.validate()?;
    let before = store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    let after = store::update(&mut tx, id, &values).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "service", entity_id: Some(id.get()), action: "updated",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Archives a service (history keeps it). Refused with 409 `service_in_use` while a future
/// appointment that is not cancelled, completed or a no-show still holds it.
#[utoipa::path(delete, path = "/services/{id}", tag = "services", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404),
              (status = 409, description = "future appointments use the service")))]
pub async fn delete_service(
    Can(user, ..): Can<ServicesWrite>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppPath(id): AppPath<ServiceId>,
) -> Result<StatusCode, AppError> {
    // The row lock makes a booking that checks the service with `get_ref` (which takes a share
    // lock) either finish before this check or see the service archived.
    let before = store::find(&mut tx, id, Lock::ForUpdate).await?.ok_or(AppError::NotFound)?;
    if crate::calendar::facts::has_future_bookings(&mut tx, crate::calendar::facts::Holder::Service(id)).await? {
        return Err(AppError::conflict(
            "service_in_use",
            "Послугу не можна видалити: на неї є майбутні записи. Скасуйте або перенесіть їх спочатку",
        ));
    }
    let after = store::archive(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "service", entity_id: Some(id.get()), action: "deleted",
        before: Some(json(&before)?), after: Some(json(&after)?), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
