//! Tenancy: which salon a request belongs to, and the only doors to the data.
//!
//! - [`TenantTx`] is the only way to reach tenant tables: it opens a transaction and sets
//!   `app.salon_id` for that transaction alone, so row-level security scopes every statement.
//! - [`PlatformDb`] is the only way to cross tenants; each of its methods calls one named
//!   `platform.*` function (see `policies/20_platform.sql`). `grep PlatformDb` finds every crossing.
//! - [`HostSalon`] resolves the salon named by the request's subdomain.

mod db;
mod host;
mod platform;
pub mod setup;
mod tx;

pub use db::{AppDb, connect};
pub use host::{HostCache, HostSalon, SALON_SUSPENDED, salon_slug_from_host};
pub use platform::{EmailAccount, LoginAccount, NewSalonRow, PlatformDb, SalonRef, SalonStatus};
pub use tx::TenantTx;

use serde::{Deserialize, Serialize};

/// A salon's id: the tenant key carried by every tenant row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(transparent)]
pub struct SalonId(pub i64);

impl SalonId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for SalonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
