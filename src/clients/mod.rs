//! Clients of a salon (contract §3.4): the card with its visit figures and segment, soft
//! delete with an administrator's restore, the history of visits, and spreadsheet import and
//! export.
//!
//! Other domains use [`normalise_phone`], [`find_or_create_by_phone`], [`get_ref`],
//! [`live_by_name`] and [`exists`] rather than the table, and their SQL reads the
//! `client_contacts` view (migrations/0010_domain_exports.sql). Visit figures and the stored segment are kept current by a trigger on
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
pub mod router;

pub use import::{ClientImport, ImportParts};
pub use phone::normalise_phone;


use crate::{error::AppError, ids::{ClientId, UserId}, permission, tenancy::TenantTx};

permission!(ClientsView = "clients");
permission!(ClientsEdit = "clients.card.edit");
permission!(ClientsDelete = "clients.delete");
permission!(ClientsExport = "clients.export");
permission!(ClientsHistory = "clients.history.view");

/// The user whose clients alone this user may see, when the matrix says `clients.show` =
/// `own`: the clients they have served (an appointment with their staff profile). `None`:
/// every client (`all`, and always for administrators).
pub(crate) fn own_scope(user: &crate::auth::CurrentUser) -> Option<UserId> {
    (user.selected("clients.show") == Some("own")).then_some(user.id)
}

/// 404 for a client outside the user's `own` scope, as for one that does not exist.
pub(crate) async fn ensure_visible(tx: &mut TenantTx, user: &crate::auth::CurrentUser, id: ClientId) -> Result<(), AppError> {
    if in_scope(tx, user, id).await? { Ok(()) } else { Err(AppError::NotFound) }
}

/// Whether the client is within the user's `clients.show` scope (every client unless `own`).
pub(crate) async fn in_scope(tx: &mut TenantTx, user: &crate::auth::CurrentUser, id: ClientId) -> Result<bool, AppError> {
    match own_scope(user) {
        Some(user_id) => store::served_by(tx, id, user_id).await,
        None => Ok(true),
    }
}

/// Whether a lookup of a client by id finds a soft-deleted one too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Live clients only.
    Excluded,
    /// Deleted clients as well (an administrator's restore, `?deleted=true`).
    Included,
}

/// Whether a card request opens deleted clients too: only when it asks (`?deleted=true`) and
/// only for an administrator (403 for anyone else who asks).
pub(crate) fn with_deleted(user: &crate::auth::CurrentUser, deleted: Option<bool>) -> Result<Deleted, AppError> {
    match deleted {
        Some(true) if user.role != crate::auth::Role::Admin => Err(AppError::Forbidden),
        Some(true) => Ok(Deleted::Included),
        _ => Ok(Deleted::Excluded),
    }
}

/// The live client holding this (normalised) phone, if any.
pub(crate) async fn phone_holder(tx: &mut TenantTx, phone: &str) -> Result<Option<ClientId>, AppError> {
    store::phone_owner(tx, phone, None).await
}

#[derive(Debug, Clone)]
pub struct ClientRef {
    pub id: ClientId,
    pub name: String,
    pub phone: Option<String>,
}

/// The salon's live client with this (normalised, E.164) phone, created as a `new` client when
/// there is none: the first word of `name` becomes the first name, the rest the last name.
/// Concurrent calls for one phone meet on the unique key and get the same client.
pub async fn find_or_create_by_phone(tx: &mut TenantTx, name: &str, phone: &str) -> Result<ClientRef, AppError> {
    let (first, last) = fields::split_full_name(name);
    Ok(sqlx::query_as!(
        ClientRef,
        "insert into clients (first_name, last_name, phone) values ($1, $2, $3)
         on conflict (salon_id, phone) where deleted_at is null do update set phone = excluded.phone
         returning id as \"id: ClientId\", name, phone",
        first,
        last,
        phone,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// A live client by id.
pub async fn get_ref(tx: &mut TenantTx, id: ClientId) -> Result<Option<ClientRef>, AppError> {
    Ok(sqlx::query_as!(ClientRef, "select id as \"id: ClientId\", name, phone from clients where id = $1 and deleted_at is null", id as ClientId)
        .fetch_optional(tx.conn())
        .await?)
}

/// Live clients whose trimmed name is this one (any case), at most `limit`, oldest first: a
/// free-text reference resolves to a client only when exactly one matches.
pub async fn live_by_name(tx: &mut TenantTx, name: &str, limit: i64) -> Result<Vec<ClientRef>, AppError> {
    Ok(sqlx::query_as!(
        ClientRef,
        r#"select id as "id: ClientId", name, phone from clients
         where lower(btrim(name)) = lower($1) and deleted_at is null order by id limit $2"#,
        name,
        limit,
    )
    .fetch_all(tx.conn())
    .await?)
}

/// Whether a live (not deleted) client has this id.
pub async fn exists(tx: &mut TenantTx, id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(r#"select exists(select 1 from clients where id = $1 and deleted_at is null) as "exists!""#, id)
        .fetch_one(tx.conn())
        .await?)
}
