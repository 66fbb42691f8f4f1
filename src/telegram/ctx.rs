//! What every handler of a salon's bot is given with its update.

use teloxide::{Bot, adaptors::Throttle};

use crate::{
    auth,
    jobs::Salon,
    messaging::telegram::{SalonBot, TelegramApi},
    realtime::Hub,
};

/// What the bot's handlers need besides the salon's data.
#[derive(Clone)]
pub struct BotParts {
    pub api: TelegramApi,
    pub hub: Hub,
    /// Linking accounts and signing in (codes, sessions).
    pub auth: auth::Parts,
}

impl std::fmt::Debug for BotParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotParts").field("api", &self.api).finish_non_exhaustive()
    }
}

/// Everything a handler is given with the update: the salon, its bot and the parts.
#[derive(Clone)]
pub struct Ctx {
    pub salon: Salon,
    pub bot: Throttle<Bot>,
    pub me: SalonBot,
    pub parts: BotParts,
}
