//! `/settings/telegram`: a salon connects the bot it made in @BotFather, sees which one is
//! connected, and disconnects it.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use teloxide::{
    RequestError,
    payloads::SetWebhookSetters,
    requests::Requester,
    types::AllowedUpdate,
};
use utoipa::ToSchema;

use super::store;
use crate::{
    audit,
    auth::{Can, ClientIp},
    config::Config,
    error::AppError,
    http::AppJson,
    messaging::telegram::TelegramApi,
    tenancy::TenantTx,
};

crate::permission!(SettingsGeneral = "settings.general.access");

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TelegramSettings {
    pub connected: bool,
    /// The bot's @username, without the @.
    pub bot_username: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ConnectBot {
    /// The token @BotFather gave (`123456789:AA…`).
    pub token: String,
}

/// The salon's bot, if one is connected. Never the token.
#[utoipa::path(get, path = "/settings/telegram", tag = "settings", security(("bearer" = [])),
    responses((status = 200, body = TelegramSettings), (status = 401), (status = 403)))]
pub async fn get_telegram(_: Can<SettingsGeneral>, mut tx: TenantTx) -> Result<Json<TelegramSettings>, AppError> {
    let bot = store::bot(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(TelegramSettings { connected: bot.is_some(), bot_username: bot.map(|b| b.username) }))
}

/// Connects the salon's bot: the token is checked with Telegram (`getMe`), stored sealed, and
/// Telegram is told to deliver the bot's updates to this server (`setWebhook`, at a random
/// address with a random secret). A bot connected to another salon is a 409; a token Telegram
/// does not know is a 422 on `token`; Telegram unreachable is a 502 and nothing is stored.
#[utoipa::path(put, path = "/settings/telegram", tag = "settings", security(("bearer" = [])),
    request_body = ConnectBot,
    responses((status = 200, body = TelegramSettings), (status = 401), (status = 403),
              (status = 409, description = "the bot is connected to another salon", body = crate::error::ErrorBody),
              (status = 422, description = "not a token Telegram knows", body = crate::error::ErrorBody),
              (status = 502, description = "Telegram could not be reached", body = crate::error::ErrorBody),
              (status = 503, description = "the server has no SECRETS_KEY to seal the token with", body = crate::error::ErrorBody)))]
pub async fn connect_telegram(
    State(api): State<TelegramApi>,
    State(config): State<Arc<Config>>,
    Can(user, ..): Can<SettingsGeneral>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
    AppJson(input): AppJson<ConnectBot>,
) -> Result<Json<TelegramSettings>, AppError> {
    let token = input.token.trim();
    if !plausible_token(token) {
        return Err(AppError::field("token", "Вставте токен від @BotFather (виду 123456789:AA…)"));
    }
    let Some(sealer) = api.sealer() else {
        return Err(AppError::Unavailable {
            code: "telegram_unavailable",
            message: "Сервер не налаштовано для зберігання токенів (SECRETS_KEY)".into(),
        });
    };
    let bot = api.bot(token);
    let me = bot.get_me().await.map_err(|e| refused(e, "token"))?;
    let username = me.user.username.clone().unwrap_or_default();
    if !me.user.is_bot || username.is_empty() {
        return Err(AppError::field("token", "Це не токен бота"));
    }

    let previous = store::bot(&mut tx).await?;
    let hook = crate::text::random_code(32);
    let secret = crate::text::random_code(48);
    let sealed = sealer.seal(user.salon, token);
    store::connect(&mut tx, store::NewBot {
        bot_id: me.user.id.0 as i64,
        username: &username,
        token_sealed: &sealed,
        hook: &hook,
        secret_hash: &Sha256::digest(secret.as_bytes()),
    })
    .await?;
    let url = format!("{}/telegram/{hook}", config.public_url).parse().map_err(anyhow::Error::from)?;
    bot.set_webhook(url)
        .secret_token(secret)
        .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .await
        .map_err(|e| refused(e, "token"))?;
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "telegram_bot", entity_id: Some(me.user.id.0 as i64), action: "connected",
        before: previous.as_ref().map(|b| serde_json::json!({ "botUsername": b.username })),
        after: Some(serde_json::json!({ "botUsername": username })), ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    Ok(Json(TelegramSettings { connected: true, bot_username: Some(username) }))
}

/// Disconnects the salon's bot: Telegram stops delivering its updates (`deleteWebhook`) and
/// the token is forgotten. Without a connected bot, nothing happens.
#[utoipa::path(delete, path = "/settings/telegram", tag = "settings", security(("bearer" = [])),
    responses((status = 204), (status = 401), (status = 403)))]
pub async fn disconnect_telegram(
    State(api): State<TelegramApi>,
    Can(user, ..): Can<SettingsGeneral>,
    mut tx: TenantTx,
    ClientIp(ip): ClientIp,
) -> Result<StatusCode, AppError> {
    let Some(bot) = api.salon_bot(&mut tx).await? else {
        if store::disconnect(&mut tx).await?.is_some() {
            tx.commit().await?;
        }
        return Ok(StatusCode::NO_CONTENT);
    };
    if let Err(e) = api.bot(&bot.token).delete_webhook().await {
        // The token is forgotten anyway: updates that still arrive find no hook and get a 404.
        tracing::warn!(error = %e, bot = %bot.username, "deleteWebhook failed; the bot is disconnected regardless");
    }
    if let Some(hook) = store::disconnect(&mut tx).await? {
        api.forget_hook(&hook);
    }
    audit::record(&mut tx, audit::Change {
        user_id: Some(user.id), entity: "telegram_bot", entity_id: Some(bot.bot_id), action: "disconnected",
        before: Some(serde_json::json!({ "botUsername": bot.username })), after: None, ip: ip.as_deref(),
    })
    .await?;
    tx.commit().await?;
    api.forget(&bot.token);
    Ok(StatusCode::NO_CONTENT)
}

/// `<digits>:<35 or so of [A-Za-z0-9_-]>`, as @BotFather issues them.
fn plausible_token(token: &str) -> bool {
    match token.split_once(':') {
        Some((id, rest)) => {
            !id.is_empty()
                && id.len() <= 20
                && id.bytes().all(|b| b.is_ascii_digit())
                && (20..=100).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        None => false,
    }
}

/// Telegram's refusal is the caller's mistake (a 422 on `field`); anything else means Telegram
/// could not be asked (a 502).
pub(super) fn refused(e: RequestError, field: &str) -> AppError {
    match e {
        RequestError::Api(api) => AppError::field(field, format!("Telegram відмовив: {api}")),
        other => AppError::Upstream {
            code: "telegram_unreachable",
            message: format!("Telegram недоступний, спробуйте пізніше ({other})"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_look_like_botfathers() {
        assert!(plausible_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!plausible_token("123456789"));
        assert!(!plausible_token("abc:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));
        assert!(!plausible_token("123:short"));
        assert!(!plausible_token("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/../x"));
    }
}
