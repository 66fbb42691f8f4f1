//! [`AppState`]: the parts of a running process, wired from [`Config`] once at start. Only the
//! composition root ([`crate::app`], `main`) names it: a domain's router is generic over the
//! state and lists in its `where` clause the parts its handlers take (`State<AppDb>`,
//! `State<Hub>`, …), each reached through [`FromRef`]; the layers below are given their part.

use std::sync::Arc;

use axum::extract::FromRef;
use secrecy::ExposeSecret;

use crate::{
    auth::{self, Gate, throttle::Throttle, tokens::TokenKeys},
    cache,
    config::Config,
    http::limits::SalonSlots,
    kv::Kv,
    messaging::{Mailer, sms::Sms, telegram::TelegramApi},
    realtime::hub::Hub,
    storage::FileStore,
    tenancy::{self, AppDb, Hosts, PlatformDb},
};

/// Everything a request handler may reach, each field one part (`FromRef` for every field's
/// type). Cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: AppDb,
    pub platform: PlatformDb,
    /// Who the request is: token keys, principals and the subdomain lookup (`auth::Gate`).
    pub gate: Arc<Gate>,
    pub kv: Kv,
    pub throttle: Throttle,
    pub mailer: Mailer,
    /// Text messages to clients (`SMS_PROVIDER`).
    pub sms: Sms,
    pub realtime: Hub,
    /// Per-salon data versions: what makes the caches safe across processes.
    pub versions: cache::Versions,
    /// Serialised answers of hot read routes, valid for one data version.
    pub answers: Arc<cache::Answers>,
    /// Uploaded files (avatars).
    pub files: FileStore,
    /// The Bot API and the key of the salons' sealed bot tokens.
    pub telegram: TelegramApi,
}

impl AppState {
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let (db, platform) = tenancy::connect(&config).await?;
        let redis_url = config.redis_url.as_ref().map(|u| u.expose_secret());
        let kv = Kv::connect(redis_url, &config.redis_prefix)?;
        let realtime = Hub::connect(redis_url, &config.redis_prefix).await?;
        let mailer = Mailer::new(
            config.smtp_url.as_ref().map(|u| u.expose_secret()),
            config.mail_outbox_dir.clone(),
            &config.mail_from,
        )?;
        let sms = Sms::from_config(&config)?;
        let versions = cache::Versions::new(&kv);
        let gate = Gate {
            keys: TokenKeys::new(&config),
            hosts: Arc::new(Hosts::new(
                platform.clone(),
                config.base_domain.clone(),
                config.platform_db_max_connections,
            )),
            versions: versions.clone(),
            principals: cache::principals(),
            db: db.clone(),
            heavy: Arc::new(SalonSlots::new(config.heavy_requests_per_salon)),
            trust_proxy: config.trust_proxy,
        };
        Ok(Self {
            telegram: TelegramApi::from_config(&config)?,
            files: FileStore::from_config(&config),
            gate: Arc::new(gate),
            throttle: Throttle::new(kv.clone(), config.login_max_failures, config.login_window),
            answers: Arc::new(cache::answers()),
            versions,
            kv,
            mailer,
            sms,
            realtime,
            db,
            platform,
            config: Arc::new(config),
        })
    }
}

impl FromRef<AppState> for Arc<Hosts> {
    fn from_ref(state: &AppState) -> Self {
        state.gate.hosts.clone()
    }
}


impl FromRef<AppState> for auth::Parts {
    fn from_ref(state: &AppState) -> Self {
        auth::Parts {
            config: state.config.clone(),
            db: state.db.clone(),
            platform: state.platform.clone(),
            gate: state.gate.clone(),
            throttle: state.throttle.clone(),
            mailer: state.mailer.clone(),
            versions: state.versions.clone(),
            kv: state.kv.clone(),
            telegram: state.telegram.clone(),
        }
    }
}
