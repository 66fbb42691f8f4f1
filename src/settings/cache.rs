//! The salon-settings cache in Redis (`state.kv`), keyed per tenant.
//!
//! Reads fill it; every write deletes it after its transaction commits, so the next read on
//! any process loads the committed row. Entries also expire after [`TTL_SECS`], which bounds
//! the one race left (a read that loaded the old row before the write committed and stores it
//! after the delete). Without Redis (`REDIS_URL` unset, one node) the same cache lives in the
//! process ([`Kv`]'s in-process stand-in).
//!
//! The cache is an optimisation, never the truth: a Redis failure on read or fill is logged
//! and the request is served from the database.

use std::time::Duration;

use serde::{Serialize, de::DeserializeOwned};

use crate::{kv::Kv, tenancy::SalonId};

pub const TTL_SECS: u64 = 300;

/// The key without the deployment's prefix (which [`Kv`] adds).
fn name(salon: SalonId) -> String {
    format!("salon:{}:settings", salon.get())
}

/// The cached value, or `None` on a miss (or when the cache cannot be read).
pub async fn get<T: DeserializeOwned>(kv: &Kv, salon: SalonId) -> Option<T> {
    match kv.get_text(&name(salon)).await {
        Ok(Some(raw)) => match serde_json::from_str(&raw) {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(%error, "unreadable salon settings in the cache; reloading");
                None
            }
        },
        Ok(None) => None,
        Err(error) => {
            tracing::warn!(%error, "salon settings cache unavailable; reading the database");
            None
        }
    }
}

pub async fn fill<T: Serialize>(kv: &Kv, salon: SalonId, value: &T) {
    let write = async {
        let raw = serde_json::to_string(value)?;
        kv.set_text(&name(salon), &raw, Duration::from_secs(TTL_SECS)).await
    };
    if let Err(error) = write.await {
        tracing::warn!(%error, "salon settings not cached");
    }
}

/// Drops the cached value after a committed write. A failure is logged as an error: other
/// processes may serve the old settings until the entry expires.
pub async fn forget(kv: &Kv, salon: SalonId) {
    if let Err(error) = kv.delete(&name(salon)).await {
        tracing::error!(%error, salon.id = salon.get(), "salon settings cache not invalidated; stale until it expires");
    }
}
