//! The background worker: periodic housekeeping and the client-import sweep. It runs inside
//! `adelante serve` by default and alone as `adelante worker`; it stops taking work when
//! shutdown is signalled.

use std::time::Duration;

use tokio::sync::watch;

use crate::{clients::ImportParts, tenancy::PlatformDb};

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);
/// How often client imports of the salons this process serves are checked: stale jobs are
/// marked failed and queued jobs without a task are started (see `clients::sweep_imports`).
const IMPORT_SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Runs until `shutdown` turns true.
pub async fn run_worker(platform: PlatformDb, imports: ImportParts, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("worker started");
    let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sweep = tokio::time::interval(IMPORT_SWEEP_EVERY);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => housekeeping(&platform).await,
            _ = sweep.tick() => crate::clients::sweep_imports(&imports).await,
            _ = shutdown.changed() => break,
        }
        if *shutdown.borrow() {
            break;
        }
    }
    tracing::info!("worker stopped");
}

async fn housekeeping(platform: &PlatformDb) {
    match platform.purge_expired().await {
        Ok(0) => {}
        Ok(purged) => tracing::info!(purged, "expired sessions and reset links removed"),
        Err(error) => tracing::error!(?error, "housekeeping failed"),
    }
}
