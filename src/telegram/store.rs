//! The telegram tables: the salon's bot, the updates taken, the people who write to the bot.

use crate::{
    error::{AppError, constraint_of},
    ids::ClientId,
    tenancy::TenantTx,
};

/// The salon's bot as its settings page shows it.
pub struct BotRow {
    pub username: String,
}

pub async fn bot(tx: &mut TenantTx) -> Result<Option<BotRow>, AppError> {
    Ok(sqlx::query_as!(BotRow, "select username from telegram_bots").fetch_optional(tx.conn()).await?)
}

pub struct NewBot<'a> {
    pub bot_id: i64,
    pub username: &'a str,
    pub token_sealed: &'a [u8],
    pub hook: &'a str,
    pub secret_hash: &'a [u8],
}

/// Connects the salon's bot, replacing the one it had. 409 when the bot serves another salon
/// (its id is unique across salons, which RLS does not hide from the constraint).
pub async fn connect(tx: &mut TenantTx, bot: NewBot<'_>) -> Result<(), AppError> {
    sqlx::query!(
        "insert into telegram_bots (bot_id, username, token_sealed, hook, secret_hash) values ($1, $2, $3, $4, $5)
         on conflict (salon_id) do update set bot_id = excluded.bot_id, username = excluded.username,
             token_sealed = excluded.token_sealed, hook = excluded.hook, secret_hash = excluded.secret_hash,
             connected_at = now()",
        bot.bot_id,
        bot.username,
        bot.token_sealed,
        bot.hook,
        bot.secret_hash,
    )
    .execute(tx.conn())
    .await
    .map_err(|e| match constraint_of(&e) {
        Some("telegram_bots_bot_id_key") => {
            AppError::conflict("bot_taken", "Цей бот уже підключено до іншого салону")
        }
        _ => e.into(),
    })?;
    Ok(())
}

/// Forgets the salon's bot; answers its webhook address when there was one.
pub async fn disconnect(tx: &mut TenantTx) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar!("delete from telegram_bots returning hook").fetch_optional(tx.conn()).await?)
}

/// Records an update as taken; `false` when it was taken before (Telegram delivered it again).
pub async fn take_update(tx: &mut TenantTx, bot_id: i64, update_id: i64) -> Result<bool, AppError> {
    Ok(sqlx::query!(
        "insert into telegram_updates (bot_id, update_id) values ($1, $2) on conflict do nothing",
        bot_id,
        update_id,
    )
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Someone writing to the bot, as far as the salon knows them.
pub struct Chat {
    pub client_id: Option<ClientId>,
}

/// Notes who wrote (name and username may change between messages) and answers what is known.
pub async fn seen(tx: &mut TenantTx, telegram_user_id: i64, first_name: &str, username: Option<&str>) -> Result<Chat, AppError> {
    Ok(sqlx::query_as!(
        Chat,
        r#"insert into telegram_chats (telegram_user_id, first_name, username) values ($1, $2, $3)
           on conflict (salon_id, telegram_user_id) do update
               set first_name = excluded.first_name, username = excluded.username, updated_at = now()
           returning client_id as "client_id: ClientId""#,
        telegram_user_id,
        first_name,
        username,
    )
    .fetch_one(tx.conn())
    .await?)
}

/// The client the chat shared its phone as.
pub async fn link_client(tx: &mut TenantTx, telegram_user_id: i64, client_id: ClientId) -> Result<(), AppError> {
    sqlx::query!(
        "update telegram_chats set client_id = $2, updated_at = now() where telegram_user_id = $1",
        telegram_user_id,
        client_id as ClientId,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
