//! The salon's clock: its time zone (`salons.timezone`), and "now" and "today" in it.
//!
//! Every rule that depends on the date ("from today on", "not in the future", "this month")
//! takes the salon's day, never the server's or UTC's: near midnight they differ (at 00:30 in
//! Kyiv it is still yesterday in UTC). "Now" comes from a [`Clock`] that every [`TenantTx`]
//! carries, so tests can fix the instant a request sees ([`Clock::freeze`]).

use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{SalonId, TenantTx};
use crate::error::AppError;

/// Where "now" comes from: the system clock, unless a test has frozen it. Cheap to clone;
/// clones share the frozen instant.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    frozen: Arc<RwLock<Option<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        let frozen = *self.frozen.read().unwrap_or_else(|e| e.into_inner());
        frozen.unwrap_or_else(Utc::now)
    }

    /// From now on `now` answers `at` (tests: "it is 00:30 in Kyiv").
    pub fn freeze(&self, at: DateTime<Utc>) {
        *self.frozen.write().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    /// Back to the system clock.
    pub fn unfreeze(&self) {
        *self.frozen.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A salon's time zone and the current instant: what "now" and "today" are for the salon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalonClock {
    zone: Tz,
    now: DateTime<Utc>,
}

impl SalonClock {
    /// The clock of the transaction's salon: its zone from the salon's row, the instant from
    /// the transaction's [`Clock`].
    pub async fn read(tx: &mut TenantTx) -> Result<Self, AppError> {
        let zone = zone_of(tx, tx.salon()).await?;
        Ok(Self::at(zone, tx.clock().now()))
    }

    /// The clock of a salon in `zone` at `now`.
    pub fn at(zone: Tz, now: DateTime<Utc>) -> Self {
        Self { zone, now }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Today's date on the salon's wall clock.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.zone).date_naive()
    }
}

/// The salon's time zone. A name stored before zones were checked reads as Kyiv
/// ([`crate::clock::zone`]).
async fn zone_of(tx: &mut TenantTx, salon: SalonId) -> Result<Tz, AppError> {
    let name = sqlx::query_scalar!("select timezone from salons where id = $1", salon.get())
        .fetch_one(tx.conn())
        .await?;
    Ok(crate::clock::zone(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_salon_day_is_the_wall_clock_day() {
        let kyiv = chrono_tz::Europe::Kyiv;
        assert_eq!(SalonClock::at(kyiv, utc("2026-01-31T21:30:00Z")).today().to_string(), "2026-01-31");
        // 00:30 in Kyiv: still the 31st in UTC.
        assert_eq!(SalonClock::at(kyiv, utc("2026-01-31T22:30:00Z")).today().to_string(), "2026-02-01");
        let la = chrono_tz::America::Los_Angeles;
        assert_eq!(SalonClock::at(la, utc("2026-02-01T03:00:00Z")).today().to_string(), "2026-01-31");
    }

    #[test]
    fn a_frozen_clock_answers_its_instant_until_unfrozen() {
        let clock = Clock::system();
        let shared = clock.clone();
        shared.freeze(utc("2001-05-13T21:30:00Z"));
        assert_eq!(clock.now(), utc("2001-05-13T21:30:00Z"));
        clock.unfreeze();
        assert!(shared.now() > utc("2001-05-13T21:30:00Z"));
    }
}
