//! Tenancy: which salon a request belongs to, and the only doors to the data.
//!
//! - [`TenantTx`] is the only way to reach tenant tables: it opens a transaction and sets
//!   `app.salon_id` for that transaction alone, so row-level security scopes every statement.
//! - [`PlatformDb`] is the only way to cross tenants; each of its methods calls one named
//!   `platform.*` function (see `policies/20_platform.sql`). `grep PlatformDb` finds every crossing.
//! - [`HostSalon`] resolves the salon named by the request's subdomain.
//! - [`salon`] reads (and, for settings, writes) the transaction's own `salons` row; other
//!   domains' SQL reads the `salon_facts` view.
//! - [`SalonClock`] is the salon's time zone and "now" and "today" in it; "now" comes from the
//!   [`Clock`] each transaction carries (frozen by tests).

mod clock;
mod db;
mod host;
mod platform;
pub mod salon;
pub mod setup;
mod tx;

pub use clock::{Clock, SalonClock};
pub use db::{AppDb, connect, guarded_pool_options};
pub use host::{HostSalon, Hosts, SALON_SUSPENDED, salon_slug_from_host};
pub use platform::{EmailAccount, LoginAccount, NewSalonRow, PlatformDb, SalonRef, SalonStatus, TelegramAccount, TelegramHook};
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

/// Whether a read takes the rows it returns for a change that follows in the same
/// transaction. Read paths take no row locks (a locking read is a write that flushes WAL at
/// commit); each `find` says which lock [`Lock::ForUpdate`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Locked until the transaction ends: concurrent writers of the row wait.
    ForUpdate,
    /// A plain read.
    No,
}
