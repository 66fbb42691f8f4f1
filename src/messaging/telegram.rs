//! Messages through a salon's own Telegram bot.
//!
//! [`TelegramApi`] is the Bot API at `TELEGRAM_API_URL` (Telegram's own; a loopback server in
//! tests) and the key that opens the salons' sealed bot tokens. Every bot gets one send queue
//! per process ([`TelegramApi::sender`], teloxide's `Throttle`): about 30 messages a second per
//! bot and one a second per chat, in order within a chat, and a 429's `retry_after` honoured
//! before the request is tried again.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use teloxide::{
    Bot,
    adaptors::{Throttle, throttle::Limits},
    requests::RequesterExt,
};

use serde::{Deserialize, Serialize};

use crate::{
    config::Config,
    error::AppError,
    ids::UserId,
    jobs::{self, Job, Salon},
    secrets::Sealer,
    tenancy::{SalonId, TelegramHook, TenantTx},
};

/// The Bot API and the key of the sealed tokens. Cheap to clone.
#[derive(Clone)]
pub struct TelegramApi {
    api_url: reqwest::Url,
    sealer: Option<Sealer>,
    platform: Option<PlatformBot>,
    /// One send queue per bot (by token) in this process.
    senders: Arc<Mutex<HashMap<String, Throttle<Bot>>>>,
    /// Webhook address → bot, for [`HOOK_TTL`]: a burst of updates costs no registry lookup each.
    hooks: Arc<quick_cache::sync::Cache<String, (TelegramHook, Instant)>>,
}

/// How long a process trusts a webhook address it looked up. A bot disconnected meanwhile has
/// its updates taken for that long and dropped by the job (it finds no bot); a reconnected bot
/// has a new address.
const HOOK_TTL: Duration = Duration::from_secs(30);

impl std::fmt::Debug for TelegramApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramApi").field("api_url", &self.api_url.as_str()).finish_non_exhaustive()
    }
}

/// A salon's bot, its token opened.
#[derive(Clone)]
pub struct SalonBot {
    pub bot_id: i64,
    pub username: String,
    pub token: String,
}

impl std::fmt::Debug for SalonBot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalonBot").field("bot_id", &self.bot_id).field("username", &self.username).finish_non_exhaustive()
    }
}

/// The platform's own bot (`PLATFORM_TELEGRAM_BOT_TOKEN`): Telegram sign-in on the bare
/// domain. Its webhook address and secret derive from its token, so every replica agrees.
#[derive(Clone)]
pub struct PlatformBot {
    pub token: String,
    pub hook: String,
    pub secret: String,
    username: Arc<tokio::sync::OnceCell<String>>,
}

impl PlatformBot {
    fn new(token: String) -> Self {
        use sha2::{Digest, Sha256};
        let derive = |purpose: &str| hex::encode(Sha256::digest(format!("adelante platform bot {purpose}\0{token}")));
        let hook = derive("hook")[..32].to_owned();
        let secret = derive("secret");
        Self { token, hook, secret, username: Arc::default() }
    }
}

impl TelegramApi {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let sealer = match &config.secrets_key {
            Some(key) => Some(Sealer::from_hex(key.expose_secret()).map_err(anyhow::Error::msg)?),
            None => None,
        };
        let platform = config.platform_telegram_bot_token.as_ref().map(|t| PlatformBot::new(t.expose_secret().to_owned()));
        Ok(Self {
            api_url: config.telegram_api_url.parse()?,
            sealer,
            platform,
            senders: Arc::default(),
            hooks: Arc::new(quick_cache::sync::Cache::new(10_000)),
        })
    }

    pub fn platform(&self) -> Option<&PlatformBot> {
        self.platform.as_ref()
    }

    /// The platform bot's @username (asked of Telegram once per process); `None` without one.
    pub async fn platform_username(&self) -> Result<Option<String>, AppError> {
        use teloxide::requests::Requester;
        let Some(platform) = &self.platform else { return Ok(None) };
        let name = platform
            .username
            .get_or_try_init(|| async {
                let me = self.bot(&platform.token).get_me().await.map_err(|e| AppError::Upstream {
                    code: "telegram_unreachable",
                    message: format!("Telegram недоступний, спробуйте пізніше ({e})"),
                })?;
                Ok::<_, AppError>(me.user.username.clone().unwrap_or_default())
            })
            .await?;
        Ok(Some(name.clone()))
    }

    /// The bot a user of the salon `tx` talks to: the salon's own, else the platform's.
    pub async fn bot_username(&self, tx: &mut TenantTx) -> Result<Option<String>, AppError> {
        match self.salon_bot(tx).await? {
            Some(bot) => Ok(Some(bot.username)),
            None => self.platform_username().await,
        }
    }

    /// The key that seals bot tokens; `None` without `SECRETS_KEY`.
    pub fn sealer(&self) -> Option<&Sealer> {
        self.sealer.as_ref()
    }

    /// A client of the Bot API for one call (`getMe`, `setWebhook`).
    pub fn bot(&self, token: &str) -> Bot {
        Bot::new(token).set_api_url(self.api_url.clone())
    }

    /// The bot's send queue in this process.
    pub fn sender(&self, token: &str) -> Throttle<Bot> {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        senders.entry(token.to_owned()).or_insert_with(|| self.bot(token).throttle(Limits::default())).clone()
    }

    /// The salon bot behind a webhook address: remembered, or looked up with `fetch`.
    pub async fn hook<F, Fut>(&self, hook: &str, fetch: F) -> Result<Option<TelegramHook>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<TelegramHook>, AppError>>,
    {
        if let Some((found, until)) = self.hooks.get(hook)
            && until > Instant::now()
        {
            return Ok(Some(found));
        }
        let found = fetch().await?;
        match &found {
            Some(bot) => self.hooks.insert(hook.to_owned(), (bot.clone(), Instant::now() + HOOK_TTL)),
            None => {
                self.hooks.remove(hook);
            }
        }
        Ok(found)
    }

    /// Forgets a disconnected bot's webhook address in this process at once (others within
    /// [`HOOK_TTL`]).
    pub fn forget_hook(&self, hook: &str) {
        self.hooks.remove(hook);
    }

    /// Forgets a disconnected bot's send queue.
    pub fn forget(&self, token: &str) {
        self.senders.lock().unwrap_or_else(|e| e.into_inner()).remove(token);
    }

    /// The salon's bot, when it connected one (and this process can open its token).
    pub async fn salon_bot(&self, tx: &mut TenantTx) -> Result<Option<SalonBot>, AppError> {
        let Some(sealer) = &self.sealer else { return Ok(None) };
        let row = sqlx::query!(
            r#"select bot_id as "bot_id!", username as "username!", token_sealed as "token_sealed!"
               from telegram_bot_tokens"#
        )
        .fetch_optional(tx.conn())
        .await?;
        let salon = tx.salon();
        Ok(match row {
            Some(r) => Some(SalonBot { bot_id: r.bot_id, username: r.username, token: open(sealer, salon, &r.token_sealed)? }),
            None => None,
        })
    }
}

fn open(sealer: &Sealer, salon: SalonId, sealed: &[u8]) -> Result<String, AppError> {
    sealer.open(salon, sealed).map_err(|e| AppError::Internal(e.into()))
}

/// A message to a staff member through the salon's bot (a new booking of theirs, low stock).
#[derive(Debug, Serialize, Deserialize)]
pub struct TelegramPush {
    pub chat_id: i64,
    pub text: String,
}

/// Queues `text` for the user, in `tx`, when they linked Telegram.
pub async fn push(tx: &mut TenantTx, user_id: UserId, text: &str) -> Result<(), AppError> {
    let chat = sqlx::query_scalar!(r#"select chat_id as "chat_id!" from telegram_users where user_id = $1"#, user_id as UserId)
        .fetch_optional(tx.conn())
        .await?;
    if let Some(chat_id) = chat {
        jobs::enqueue(tx, &TelegramPush { chat_id, text: text.to_owned() }, jobs::When::now()).await?;
    }
    Ok(())
}

impl Job for TelegramPush {
    const KIND: &'static str = "telegram:push";
    const MAX_ATTEMPTS: i16 = 5;
    type Parts = TelegramApi;

    async fn run(self, salon: &Salon, api: &TelegramApi) -> anyhow::Result<()> {
        use teloxide::requests::Requester;
        let mut tx = salon.begin().await?;
        let bot = api.salon_bot(&mut tx).await?;
        tx.commit().await?;
        let Some(bot) = bot else { return Ok(()) };
        match api.sender(&bot.token).send_message(teloxide::types::ChatId(self.chat_id), self.text).await {
            Ok(_) => Ok(()),
            // The user blocked the bot or never opened it: nothing a retry mends.
            Err(teloxide::RequestError::Api(e)) => {
                tracing::info!(error = %e, "a staff message was refused by Telegram");
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }
}
