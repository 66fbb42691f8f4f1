//! The salon's services catalogue (contract §3.6): what the salon sells, for how long and at
//! what price. Deleting a service archives it, so past appointments keep their service.
//!
//! Other domains use [`find_by_names`], [`get_ref`], [`live_ids`] and [`offers`] rather than the
//! tables.

mod http;
pub mod model;
mod store;
pub mod router;

use crate::{error::AppError, ids::ServiceId, money::Money, tenancy::TenantTx};

pub use http::ServicesWrite;
pub use model::{Service, ServiceDetail, ServiceStatistics, ServiceStatus};
pub use store::contains_pattern;

/// What an appointment needs to know about a live service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    pub id: ServiceId,
    pub name: String,
    pub duration_minutes: i32,
    pub price: Money,
}

/// Live services named by `names` (trimmed, compared case-insensitively), in the order of
/// `names`: one entry per name that matched, so a name given twice appears twice and an
/// unknown name is simply absent (compare lengths to detect it).
///
/// The rows stay share-locked until the transaction ends, so a concurrent archive cannot slip
/// between this check and the booking that relies on it.
pub async fn find_by_names(tx: &mut TenantTx, names: &[String]) -> Result<Vec<ServiceRef>, AppError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    store::refs_by_names(tx, names).await
}

/// A live service by id (`None` when archived, unknown or another salon's). Share-locked like
/// [`find_by_names`].
pub async fn get_ref(tx: &mut TenantTx, id: ServiceId) -> Result<Option<ServiceRef>, AppError> {
    store::ref_by_id(tx, id).await
}

/// Like [`get_ref`] without the lock, for searches that change nothing.
pub async fn peek_ref(tx: &mut TenantTx, id: ServiceId) -> Result<Option<ServiceRef>, AppError> {
    store::peek_ref(tx, id).await
}

/// The ids among `ids` that are live services of the salon, ascending.
pub async fn live_ids(tx: &mut TenantTx, ids: &[ServiceId]) -> Result<Vec<ServiceId>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    store::live_ids(tx, ids).await
}

/// A live, active service as a client choosing what to book sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: ServiceId,
    pub name: String,
    pub category: String,
    pub duration_minutes: i32,
    pub price: Money,
}

/// The services clients may book, by category then name.
pub async fn offers(tx: &mut TenantTx) -> Result<Vec<Offer>, AppError> {
    Ok(sqlx::query_as!(
        Offer,
        r#"select id as "id: ServiceId", name, category, duration_minutes, price_minor as "price: Money"
           from services where is_active and archived_at is null
           order by lower(category), lower(name), id"#
    )
    .fetch_all(tx.conn())
    .await?)
}
