//! `POST /telegram/{hook}`: where Telegram delivers a salon bot's updates.
//!
//! Unknown hook → 404; a wrong or missing `X-Telegram-Bot-Api-Secret-Token` → 401 (compared as
//! SHA-256 digests in constant time) and nothing happens. Otherwise the update is taken once:
//! its `update_id` is recorded and a [`HandleUpdate`] job queued in one transaction of the
//! salon, so an update is never lost after the 200 and a redelivered one is acknowledged and
//! ignored. The answer does not wait for the handling.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{handlers, store, update::HandleUpdate};
use crate::{
    auth,
    error::AppError,
    jobs::{self, When},
    messaging::telegram::TelegramApi,
    tenancy::{AppDb, PlatformDb},
};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub async fn receive(
    State(platform): State<PlatformDb>,
    State(db): State<AppDb>,
    State(api): State<TelegramApi>,
    State(auth): State<auth::Parts>,
    Path(hook): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    if let Some(bot) = api.platform().filter(|p| p.hook == hook) {
        let secret = Sha256::digest(bot.secret.as_bytes());
        return platform_update(&api, &auth, checked(&headers, &secret, &body)?).await;
    }
    let Some(bot) = api.hook(&hook, || platform.telegram_hook(&hook)).await? else { return Err(AppError::NotFound) };
    let (update, update_id) = checked(&headers, &bot.secret_hash, &body)?;
    let chat = chat_of(&update);

    let mut tx = db.begin(bot.salon_id).await?;
    if !store::take_update(&mut tx, bot.bot_id, update_id).await? {
        metrics::counter!("adelante_telegram_updates_total", "outcome" => "repeated").increment(1);
        return Ok(StatusCode::OK);
    }
    // A chat's updates run one after another, in the order they came, ahead of scheduled work.
    let when = When::now().in_queue(format!("tg:{}:{}:{chat}", bot.salon_id, bot.bot_id)).priority(-10);
    jobs::enqueue(&mut tx, &HandleUpdate { bot_id: bot.bot_id, update }, when).await?;
    tx.commit().await?;
    metrics::counter!("adelante_telegram_updates_total", "outcome" => "taken").increment(1);
    Ok(StatusCode::OK)
}

/// The update and its id, when the secret header matches `secret_hash` (401 otherwise).
fn checked(headers: &HeaderMap, secret_hash: &[u8], body: &[u8]) -> Result<(serde_json::Value, i64), AppError> {
    let given = headers.get(SECRET_HEADER).map(|v| Sha256::digest(v.as_bytes()));
    if !given.is_some_and(|g| bool::from(g.as_slice().ct_eq(secret_hash))) {
        metrics::counter!("adelante_telegram_updates_total", "outcome" => "refused").increment(1);
        return Err(AppError::Unauthenticated);
    }
    let update: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| AppError::BadRequest { code: "invalid_update", message: "Not a Telegram update".into() })?;
    let Some(update_id) = update.get("update_id").and_then(serde_json::Value::as_i64) else {
        return Err(AppError::BadRequest { code: "invalid_update", message: "The update has no update_id".into() });
    };
    Ok((update, update_id))
}

/// The platform bot's update: sign-in and linking, which belong to no salon's queue. Taken once
/// (its id is claimed in `Kv` for a day) and handled beside the answer; a lost one costs the user
/// a new sign-in code.
async fn platform_update(api: &TelegramApi, auth: &auth::Parts, (update, update_id): (serde_json::Value, i64)) -> Result<StatusCode, AppError> {
    let fresh = auth
        .kv
        .claim_text(&format!("tg:platform-update:{update_id}"), "1", std::time::Duration::from_secs(86_400))
        .await
        .map_err(AppError::Internal)?;
    if !fresh {
        metrics::counter!("adelante_telegram_updates_total", "outcome" => "repeated").increment(1);
        return Ok(StatusCode::OK);
    }
    metrics::counter!("adelante_telegram_updates_total", "outcome" => "taken").increment(1);
    let Ok(update) = serde_json::from_str::<teloxide::types::Update>(&update.to_string()) else { return Ok(StatusCode::OK) };
    let Some(bot) = api.platform().cloned() else { return Ok(StatusCode::OK) };
    let (api, auth) = (api.clone(), auth.clone());
    tokio::spawn(async move {
        let me = api.platform_username().await.ok().flatten().unwrap_or_default();
        if let Err(e) = handlers::platform(&api.sender(&bot.token), &auth, update, &me).await {
            tracing::warn!(error = %e, "the platform bot's update failed");
        }
    });
    Ok(StatusCode::OK)
}

/// Points the platform bot's webhook at this server (`serve` at start, when
/// `PLATFORM_TELEGRAM_BOT_TOKEN` is set): `{PUBLIC_URL}/telegram/{hook}` with its secret.
pub async fn register_platform_bot(api: &TelegramApi, public_url: &str) -> anyhow::Result<()> {
    use teloxide::{payloads::SetWebhookSetters, requests::Requester, types::AllowedUpdate};
    let Some(bot) = api.platform() else { return Ok(()) };
    let url = format!("{public_url}/telegram/{}", bot.hook).parse()?;
    api.bot(&bot.token)
        .set_webhook(url)
        .secret_token(bot.secret.clone())
        .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .await?;
    Ok(())
}

/// The chat (or, for a callback, the user) an update comes from; 0 for kinds without one.
fn chat_of(update: &serde_json::Value) -> i64 {
    ["message", "edited_message", "my_chat_member", "channel_post"]
        .iter()
        .find_map(|k| update.get(k)?.get("chat")?.get("id")?.as_i64())
        .or_else(|| update.get("callback_query")?.get("from")?.get("id")?.as_i64())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn updates_queue_by_their_chat() {
        assert_eq!(chat_of(&json!({"update_id": 1, "message": {"chat": {"id": 42}}})), 42);
        assert_eq!(chat_of(&json!({"update_id": 1, "callback_query": {"from": {"id": 7}}})), 7);
        assert_eq!(chat_of(&json!({"update_id": 1, "poll": {}})), 0);
    }
}
