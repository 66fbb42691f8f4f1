//! The job that handles one update of a salon's bot, in the salon's transaction.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use teloxide::{dptree, types::Update};

use super::{
    ctx::{BotParts, Ctx},
    handlers,
};
use crate::jobs::{Job, Salon};

/// An update Telegram delivered to a salon's bot, as it came.
#[derive(Debug, Serialize, Deserialize)]
pub struct HandleUpdate {
    pub bot_id: i64,
    pub update: serde_json::Value,
}

impl Job for HandleUpdate {
    const KIND: &'static str = "telegram:update";
    /// A handler that fails (Telegram unreachable) is tried again a few times; a conversation
    /// that waited longer than that has moved on.
    const MAX_ATTEMPTS: i16 = 3;
    type Parts = BotParts;

    async fn run(self, salon: &Salon, parts: &BotParts) -> anyhow::Result<()> {
        // From text: teloxide reads an update's kind through a borrowed raw value, which a
        // `serde_json::Value` cannot lend (every kind would read as `UpdateKind::Error`).
        let update: Update = match serde_json::from_str(&self.update.to_string()) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(error = %e, "an update teloxide cannot read is dropped");
                return Ok(());
            }
        };
        let mut tx = salon.begin().await?;
        let bot = parts.api.salon_bot(&mut tx).await?;
        tx.commit().await?;
        // The salon disconnected the bot, or connected another, since the update came.
        let Some(me) = bot.filter(|b| b.bot_id == self.bot_id) else { return Ok(()) };
        let ctx = Ctx { salon: salon.clone(), bot: parts.api.sender(&me.token), me, parts: parts.clone() };
        match handlers::tree().dispatch(dptree::deps![update, ctx]).await {
            ControlFlow::Break(outcome) => outcome,
            ControlFlow::Continue(_) => Ok(()),
        }
    }
}
