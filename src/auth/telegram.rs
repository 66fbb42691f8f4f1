//! Telegram and staff accounts (contract §3.2): linking an account to Telegram, and signing in
//! with Telegram by a one-time code, a deep link and a QR code.
//!
//! Codes live in [`Kv`] (Redis; in-process without it) for 5 minutes and are used once. Two
//! departures from the original spec, both for safety: the deep link's start parameter is not
//! the code the browser polls with (whoever sees the QR code cannot collect the tokens), and an
//! unknown Telegram user cannot create an account from the bot (a salon's staff are invited by
//! its administrator).

use std::time::Duration;

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{CurrentUser, Parts, UserOut, account, model::TokenAnswer, store};
use crate::{
    error::AppError,
    ids::UserId,
    kv::Kv,
    tenancy::{HostSalon, SalonId, TenantTx},
};

/// How long a link or sign-in code lives.
pub const CODE_TTL: Duration = Duration::from_secs(300);
/// How long the browser has to collect its tokens once the bot confirmed.
const COLLECT_TTL: Duration = Duration::from_secs(60);

fn link_key(code: &str) -> String {
    format!("tg:link:{code}")
}
fn login_key(auth_code: &str) -> String {
    format!("tg:login:{auth_code}")
}
fn start_key(start: &str) -> String {
    format!("tg:login-start:{start}")
}

fn deep_link(bot: &str, start: &str) -> String {
    format!("https://t.me/{bot}?start={start}")
}

fn kv_failed(e: anyhow::Error) -> AppError {
    AppError::Internal(e)
}

fn no_bot() -> AppError {
    AppError::conflict("telegram_not_connected", "Для цього салону не підключено Telegram-бота")
}

// ---- linking ----------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct LinkCode {
    salon: SalonId,
    user: UserId,
}

/// Answer of `POST /auth/telegram/link` (snake_case, as the contract's Telegram routes).
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkAnswer {
    pub link_code: String,
    pub bot_username: String,
    /// `https://t.me/<bot>?start=link_<code>`
    pub deep_link: String,
    /// Seconds the code lives (300).
    pub expires_in: u64,
}

/// A one-time code (5 minutes) that links the signed-in user's account to the Telegram account
/// that opens the deep link: in the salon's own bot, else the platform's. 409
/// `telegram_not_connected` when neither exists.
#[utoipa::path(post, path = "/auth/telegram/link", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = LinkAnswer), (status = 401),
              (status = 409, description = "no bot to link with", body = crate::error::ErrorBody)))]
pub async fn link(State(parts): State<Parts>, user: CurrentUser, mut tx: TenantTx) -> Result<Json<LinkAnswer>, AppError> {
    let bot = parts.telegram.bot_username(&mut tx).await?.ok_or_else(no_bot)?;
    tx.commit().await?;
    let code = crate::text::random_code(24);
    let value = serde_json::to_string(&LinkCode { salon: user.salon, user: user.id }).map_err(anyhow::Error::from)?;
    parts.kv.set_text(&link_key(&code), &value, CODE_TTL).await.map_err(kv_failed)?;
    Ok(Json(LinkAnswer {
        deep_link: deep_link(&bot, &format!("link_{code}")),
        link_code: code,
        bot_username: bot,
        expires_in: CODE_TTL.as_secs(),
    }))
}

/// Unlinks the signed-in user's Telegram account.
#[utoipa::path(delete, path = "/auth/telegram/link", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401)))]
pub async fn unlink(State(parts): State<Parts>, user: CurrentUser, mut tx: TenantTx) -> Result<StatusCode, AppError> {
    store::set_telegram(&mut tx, user.id, None, None).await?;
    tx.commit().await?;
    parts.versions.bump(user.salon).await;
    Ok(StatusCode::NO_CONTENT)
}

/// What opening a link deep link did.
#[derive(Debug, PartialEq, Eq)]
pub enum Linked {
    /// Linked to this user (display name).
    Done(String),
    /// The code is unknown, expired or used.
    Expired,
    /// The code belongs to another salon than the bot's.
    WrongBot,
    /// This Telegram account is linked to another user of the salon already.
    Taken,
}

/// The bot's side of linking: `salon` is the bot's salon (`None` for the platform bot).
pub async fn link_from_bot(
    parts: &Parts,
    salon: Option<SalonId>,
    code: &str,
    telegram_id: i64,
    username: Option<&str>,
) -> Result<Linked, AppError> {
    let Some(value) = parts.kv.take_text(&link_key(code)).await.map_err(kv_failed)? else { return Ok(Linked::Expired) };
    let Ok(link) = serde_json::from_str::<LinkCode>(&value) else { return Ok(Linked::Expired) };
    if salon.is_some_and(|s| s != link.salon) {
        return Ok(Linked::WrongBot);
    }
    let mut tx = parts.db.begin(link.salon).await?;
    let Some(user) = store::find_user(&mut tx, link.user).await?.filter(|u| u.is_active) else {
        return Ok(Linked::Expired);
    };
    if store::user_by_telegram(&mut tx, telegram_id).await?.is_some_and(|other| other != link.user) {
        return Ok(Linked::Taken);
    }
    store::set_telegram(&mut tx, link.user, Some(telegram_id), username).await?;
    tx.commit().await?;
    parts.versions.bump(link.salon).await;
    Ok(Linked::Done(user.display_name()))
}

// ---- sign-in ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoginStatus {
    /// Waiting for the deep link to be opened.
    Pending,
    /// The bot asked the user to confirm.
    AwaitingConfirmation,
    /// Confirmed in the bot: the next poll collects the tokens.
    Confirmed,
    /// Tokens handed out (answered once; the code is gone afterwards).
    Completed,
    /// Unknown, expired, cancelled or already used.
    Expired,
}

#[derive(Serialize, Deserialize)]
struct LoginState {
    status: LoginStatus,
    /// The salon of the subdomain the sign-in started on (`None`: the bare domain).
    salon: Option<SalonId>,
    start: String,
    /// The account the bot found, and who confirmed it.
    account: Option<(SalonId, UserId)>,
    telegram_id: Option<i64>,
}

/// Answer of `POST /auth/telegram/init` (snake_case).
#[derive(Debug, Serialize, ToSchema)]
pub struct InitAnswer {
    /// What the browser polls `/auth/telegram/status/{auth_code}` with. Not in the deep link.
    pub auth_code: String,
    pub bot_username: String,
    /// `https://t.me/<bot>?start=login_<one-time start code>`
    pub deep_link: String,
    /// The deep link as a QR code: a `data:image/png;base64,…` URL.
    pub qr_code: String,
    pub expires_in: u64,
}

/// Starts a sign-in with Telegram: on a salon's subdomain through the salon's bot, on the bare
/// domain through the platform's. The deep link's start parameter is a second code, not
/// `auth_code`: whoever sees the QR code cannot collect the tokens. 409
/// `telegram_not_connected` when there is no bot.
#[utoipa::path(post, path = "/auth/telegram/init", tag = "auth",
    responses((status = 200, body = InitAnswer),
              (status = 409, description = "no bot to sign in with", body = crate::error::ErrorBody)))]
pub async fn init(State(parts): State<Parts>, HostSalon(host): HostSalon) -> Result<Json<InitAnswer>, AppError> {
    let bot = match host {
        Some(salon) => {
            let mut tx = parts.db.begin(salon).await?;
            let bot = parts.telegram.salon_bot(&mut tx).await?.map(|b| b.username);
            tx.commit().await?;
            bot
        }
        None => parts.telegram.platform_username().await?,
    }
    .ok_or_else(no_bot)?;
    let (auth_code, start) = (crate::text::random_code(32), crate::text::random_code(24));
    let state = LoginState { status: LoginStatus::Pending, salon: host, start: start.clone(), account: None, telegram_id: None };
    let value = serde_json::to_string(&state).map_err(anyhow::Error::from)?;
    parts.kv.set_text(&login_key(&auth_code), &value, CODE_TTL).await.map_err(kv_failed)?;
    parts.kv.set_text(&start_key(&start), &auth_code, CODE_TTL).await.map_err(kv_failed)?;
    let link = deep_link(&bot, &format!("login_{start}"));
    Ok(Json(InitAnswer { qr_code: qr_png(&link)?, deep_link: link, auth_code, bot_username: bot, expires_in: CODE_TTL.as_secs() }))
}

/// Answer of `GET /auth/telegram/status/{auth_code}`: tokens and user only when `completed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusAnswer {
    pub status: LoginStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserOut>,
}

impl StatusAnswer {
    fn just(status: LoginStatus) -> Self {
        Self { status, access_token: None, refresh_token: None, user: None }
    }
}

/// Where a sign-in stands. Once confirmed in the bot, the first poll within 60 s gets the
/// tokens and the code is gone; an unknown or expired code answers `expired`.
#[utoipa::path(get, path = "/auth/telegram/status/{auth_code}", tag = "auth",
    params(("auth_code" = String, Path)),
    responses((status = 200, body = StatusAnswer)))]
pub async fn status(State(parts): State<Parts>, Path(auth_code): Path<String>) -> Result<Json<StatusAnswer>, AppError> {
    let key = login_key(&auth_code);
    let Some(state) = read_state(&parts.kv, &key).await? else { return Ok(Json(StatusAnswer::just(LoginStatus::Expired))) };
    if state.status != LoginStatus::Confirmed {
        return Ok(Json(StatusAnswer::just(state.status)));
    }
    // Taken, not read: two polls at once cannot both collect.
    let Some(state) = parts.kv.take_text(&key).await.map_err(kv_failed)?.and_then(|v| serde_json::from_str::<LoginState>(&v).ok())
    else {
        return Ok(Json(StatusAnswer::just(LoginStatus::Expired)));
    };
    let Some((salon, user_id)) = state.account.filter(|_| state.status == LoginStatus::Confirmed) else {
        return Ok(Json(StatusAnswer::just(LoginStatus::Expired)));
    };
    let mut tx = parts.db.begin(salon).await?;
    let Some(user) = store::find_user(&mut tx, user_id).await?.filter(|u| u.is_active) else {
        return Ok(Json(StatusAnswer::just(LoginStatus::Expired)));
    };
    let TokenAnswer { access_token, refresh_token, user, .. } = account::sign_in(&parts, &mut tx, user, None, Some("Telegram")).await?;
    tx.commit().await?;
    Ok(Json(StatusAnswer {
        status: LoginStatus::Completed,
        access_token: Some(access_token),
        refresh_token: Some(refresh_token),
        user: Some(user),
    }))
}

async fn read_state(kv: &Kv, key: &str) -> Result<Option<LoginState>, AppError> {
    Ok(kv.get_text(key).await.map_err(kv_failed)?.and_then(|v| serde_json::from_str(&v).ok()))
}

/// What opening a sign-in deep link found.
#[derive(Debug, PartialEq, Eq)]
pub enum SignIn {
    /// The bot asks the user to confirm signing in as `name` to `salon`.
    Confirm { name: String, salon: String },
    Expired,
    /// No account of the salon (or of any salon, for the platform bot) is linked to this
    /// Telegram user.
    NoAccount,
    /// Linked in several salons: sign in on the salon's own address.
    Several,
}

/// The bot's side of `/start login_<start>`: `salon` is the bot's salon (`None` for the
/// platform bot).
pub async fn login_from_bot(parts: &Parts, salon: Option<SalonId>, start: &str, telegram_id: i64) -> Result<SignIn, AppError> {
    let Some(auth_code) = parts.kv.get_text(&start_key(start)).await.map_err(kv_failed)? else { return Ok(SignIn::Expired) };
    let key = login_key(&auth_code);
    let Some(mut state) = read_state(&parts.kv, &key).await? else { return Ok(SignIn::Expired) };
    if state.status != LoginStatus::Pending && state.status != LoginStatus::AwaitingConfirmation {
        return Ok(SignIn::Expired);
    }
    // The sign-in started on a salon's address signs in there only.
    let scope = state.salon.or(salon);
    if salon.is_some() && state.salon.is_some() && salon != state.salon {
        return Ok(SignIn::Expired);
    }
    let mut accounts = parts.platform.telegram_accounts(telegram_id).await?;
    if let Some(s) = scope {
        accounts.retain(|a| a.salon_id == s);
    }
    let account = match accounts.len() {
        0 => return Ok(SignIn::NoAccount),
        1 => accounts.remove(0),
        _ => return Ok(SignIn::Several),
    };
    let mut tx = parts.db.begin(account.salon_id).await?;
    let user = store::find_user(&mut tx, account.user_id).await?;
    tx.commit().await?;
    let Some(user) = user else { return Ok(SignIn::NoAccount) };
    state.status = LoginStatus::AwaitingConfirmation;
    state.account = Some((account.salon_id, account.user_id));
    state.telegram_id = Some(telegram_id);
    let value = serde_json::to_string(&state).map_err(anyhow::Error::from)?;
    parts.kv.set_text(&key, &value, CODE_TTL).await.map_err(kv_failed)?;
    Ok(SignIn::Confirm { name: user.display_name(), salon: account.salon_name })
}

/// The user pressed "sign in" (`yes`) or "cancel" in the bot. Answers whether the sign-in is
/// now confirmed.
/// Only the Telegram user the bot asked can answer; their answer uses the start code up.
pub async fn confirm_from_bot(parts: &Parts, start: &str, telegram_id: i64, yes: bool) -> Result<bool, AppError> {
    let Some(auth_code) = parts.kv.get_text(&start_key(start)).await.map_err(kv_failed)? else { return Ok(false) };
    let key = login_key(&auth_code);
    let Some(mut state) = read_state(&parts.kv, &key).await? else { return Ok(false) };
    if state.status != LoginStatus::AwaitingConfirmation || state.telegram_id != Some(telegram_id) {
        return Ok(false);
    }
    if parts.kv.take_text(&start_key(start)).await.map_err(kv_failed)?.is_none() {
        return Ok(false); // answered already, at the same moment
    }
    if !yes {
        parts.kv.delete(&key).await.map_err(kv_failed)?;
        return Ok(false);
    }
    state.status = LoginStatus::Confirmed;
    let value = serde_json::to_string(&state).map_err(anyhow::Error::from)?;
    parts.kv.set_text(&key, &value, COLLECT_TTL).await.map_err(kv_failed)?;
    Ok(true)
}

/// The deep link as a PNG QR code in a data URL.
fn qr_png(link: &str) -> Result<String, AppError> {
    use base64::Engine;
    let code = qrcode::QrCode::new(link.as_bytes()).map_err(anyhow::Error::from)?;
    let image = code.render::<image::Luma<u8>>().min_dimensions(240, 240).build();
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(anyhow::Error::from)?;
    Ok(format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_a_png_data_url() {
        let url = qr_png("https://t.me/salon_bot?start=login_abc").unwrap();
        let png = url.strip_prefix("data:image/png;base64,").unwrap();
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
