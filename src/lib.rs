//! Adelante: a multi-tenant backend for beauty salons.
//!
//! [`AppState::connect`] wires the parts from [`Config`]; [`http::app`] builds the router that
//! `adelante serve` and the tests both run.

pub mod audit;
pub mod auth;
pub mod cache;
pub mod calendar;
pub mod catalog;
pub mod clients;
pub mod clock;
pub mod config;
pub mod finances;
pub mod http;
pub mod inventory;
pub mod jobs;
pub mod kv;
pub mod messaging;
pub mod money;
pub mod notifications;
pub mod observability;
pub mod overview;
pub mod realtime;
pub mod settings;
pub mod spreadsheet;
pub mod staff;
pub mod storage;
pub mod tenancy;
pub mod tenants;
pub mod text;
pub mod users;

use std::sync::Arc;

use secrecy::ExposeSecret;

pub use config::Config;

use auth::{Throttle, tokens::TokenKeys};
use kv::Kv;
use messaging::Mailer;
use tenancy::{AppDb, PlatformDb};

/// Everything a request handler may reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: AppDb,
    pub platform: PlatformDb,
    pub keys: Arc<TokenKeys>,
    pub kv: Kv,
    pub throttle: Throttle,
    pub mailer: Mailer,
    pub realtime: realtime::Hub,
    /// Per-salon data versions: what makes the caches below safe across processes.
    pub versions: cache::Versions,
    /// Signed-in principals by (user, session), valid for one data version.
    pub principals: Arc<cache::VersionedCache<(i64, i64), auth::CurrentUser>>,
    /// Serialised answers of hot read routes, valid for one data version.
    pub answers: Arc<cache::Answers>,
    /// Subdomain → salon (or none), briefly, per process (`tenancy::HostSalon`).
    pub hosts: Arc<tenancy::HostCache>,
    /// Imports, exports and PDFs running per salon (`http::limits::HeavySlot`).
    pub heavy: Arc<http::limits::SalonSlots>,
    /// Uploaded files (avatars).
    pub files: storage::FileStore,
}

impl AppState {
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let (db, platform) = tenancy::connect(&config).await?;
        let redis_url = config.redis_url.as_ref().map(|u| u.expose_secret());
        let kv = Kv::connect(redis_url, &config.redis_prefix)?;
        let realtime = realtime::Hub::connect(redis_url, &config.redis_prefix).await?;
        let mailer = Mailer::new(
            config.smtp_url.as_ref().map(|u| u.expose_secret()),
            config.mail_outbox_dir.clone(),
            &config.mail_from,
        )?;
        Ok(Self {
            files: storage::FileStore::from_config(&config),
            keys: Arc::new(TokenKeys::new(&config)),
            throttle: Throttle::new(kv.clone(), config.login_max_failures, config.login_window),
            versions: cache::Versions::new(&kv),
            hosts: Arc::new(tenancy::HostCache::new(config.platform_db_max_connections)),
            heavy: Arc::new(http::limits::SalonSlots::new(config.heavy_requests_per_salon)),
            principals: Arc::new(cache::principals()),
            answers: Arc::new(cache::answers()),
            kv,
            mailer,
            realtime,
            db,
            platform,
            config: Arc::new(config),
        })
    }
}
