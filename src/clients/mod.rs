//! Clients of a salon (contract §3.4): the card with its visit figures and segment, soft
//! delete with an administrator's restore, the history of visits, and spreadsheet import and
//! export.
//!
//! Other domains use [`normalise_phone`], [`find_or_create_by_phone`] and [`get_ref`] rather
//! than the table. Visit figures and the stored segment are kept current by a trigger on
//! `appointments` (migration 0003), so the calendar needs to do nothing for them.

mod export;
mod fields;
mod history;
mod http;
mod input;
mod import;
pub mod model;
mod phone;
mod redact;
mod store;

pub use import::sweep as sweep_imports;
pub use phone::normalise_phone;

use axum::extract::DefaultBodyLimit;
use sqlx::FromRow;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{AppState, http::error::AppError, permission, tenancy::TenantTx};

permission!(ClientsView = "clients");
permission!(ClientsEdit = "clients.card.edit");
permission!(ClientsDelete = "clients.delete");
permission!(ClientsExport = "clients.export");
permission!(ClientsHistory = "clients.history.view");

/// The user whose clients alone this user may see, when the matrix says `clients.show` =
/// `own`: the clients they have served (an appointment with their staff profile). `None`:
/// every client (`all`, and always for administrators).
pub(crate) fn own_scope(user: &crate::auth::CurrentUser) -> Option<i64> {
    (user.selected("clients.show") == Some("own")).then_some(user.id)
}

/// 404 for a client outside the user's `own` scope, as for one that does not exist.
pub(crate) async fn ensure_visible(tx: &mut TenantTx, user: &crate::auth::CurrentUser, id: i64) -> Result<(), AppError> {
    if in_scope(tx, user, id).await? { Ok(()) } else { Err(AppError::NotFound) }
}

/// Whether the client is within the user's `clients.show` scope (every client unless `own`).
pub(crate) async fn in_scope(tx: &mut TenantTx, user: &crate::auth::CurrentUser, id: i64) -> Result<bool, AppError> {
    match own_scope(user) {
        Some(user_id) => store::served_by(tx, id, user_id).await,
        None => Ok(true),
    }
}

/// Whether a card request opens deleted clients too: only when it asks (`?deleted=true`) and
/// only for an administrator (403 for anyone else who asks).
pub(crate) fn with_deleted(user: &crate::auth::CurrentUser, deleted: Option<bool>) -> Result<bool, AppError> {
    match deleted {
        Some(true) if user.role != crate::auth::Role::Admin => Err(AppError::Forbidden),
        Some(true) => Ok(true),
        _ => Ok(false),
    }
}

/// The live client holding this (normalised) phone, if any.
pub(crate) async fn phone_holder(tx: &mut TenantTx, phone: &str) -> Result<Option<i64>, AppError> {
    store::phone_owner(tx, phone, None).await
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::list_clients, http::create_client))
        .routes(routes!(http::get_client, http::update_client, http::delete_client))
        .routes(routes!(http::restore_client))
        .routes(routes!(history::client_history))
        .routes(routes!(import::import_status))
        .routes(routes!(export::export_clients))
        .merge(
            // The upload may be the full 10 MB plus the multipart framing around it.
            OpenApiRouter::new()
                .routes(routes!(import::import_clients))
                .layer(DefaultBodyLimit::max(import::MAX_UPLOAD + 64 * 1024)),
        )
}

#[derive(Debug, Clone, FromRow)]
pub struct ClientRef {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
}

/// The salon's live client with this (normalised, E.164) phone, created as a `new` client when
/// there is none: the first word of `name` becomes the first name, the rest the last name.
/// Concurrent calls for one phone meet on the unique key and get the same client.
pub async fn find_or_create_by_phone(tx: &mut TenantTx, name: &str, phone: &str) -> Result<ClientRef, AppError> {
    let (first, last) = fields::split_full_name(name);
    Ok(sqlx::query_as(
        "insert into clients (first_name, last_name, phone) values ($1, $2, $3)
         on conflict (salon_id, phone) where deleted_at is null do update set phone = excluded.phone
         returning id, name, phone",
    )
    .bind(first)
    .bind(last)
    .bind(phone)
    .fetch_one(tx.conn())
    .await?)
}

/// A live client by id.
pub async fn get_ref(tx: &mut TenantTx, id: i64) -> Result<Option<ClientRef>, AppError> {
    Ok(sqlx::query_as("select id, name, phone from clients where id = $1 and deleted_at is null")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?)
}
