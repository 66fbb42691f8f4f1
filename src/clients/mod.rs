//! Clients of a salon. This part serves the calendar: phone normalisation and finding or
//! creating the client an appointment is for.

mod phone;

pub use phone::normalise_phone;

use sqlx::FromRow;
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, http::error::AppError, tenancy::TenantTx};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}

#[derive(Debug, Clone, FromRow)]
pub struct ClientRef {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
}

/// The salon's client with this (normalised, E.164) phone, created as a `new` client named
/// `name` when there is none. Concurrent calls for one phone meet on the unique key and get
/// the same client.
pub async fn find_or_create_by_phone(tx: &mut TenantTx, name: &str, phone: &str) -> Result<ClientRef, AppError> {
    Ok(sqlx::query_as(
        "insert into clients (name, phone) values ($1, $2)
         on conflict (salon_id, phone) do update set phone = excluded.phone
         returning id, name, phone",
    )
    .bind(name.trim())
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
