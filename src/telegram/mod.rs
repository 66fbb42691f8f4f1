//! Each salon's own Telegram bot (made in @BotFather, so it carries the salon's name).
//!
//! - [`connect`]: `/settings/telegram` checks a token with `getMe`, seals it (`SECRETS_KEY`)
//!   and points the bot's webhook at `{PUBLIC_URL}/telegram/{hook}` with a random secret.
//! - [`webhook`]: `POST /telegram/{hook}` checks the secret in constant time, takes the update
//!   once (its `update_id` is recorded per bot) and queues it as a [`HandleUpdate`] job in the
//!   salon's transaction, then answers 200. One named queue per chat keeps a chat's updates in
//!   order; the job runs the shared handler tree ([`handlers`], teloxide's `dptree`) inside the
//!   salon's `TenantTx`, so no update reaches another salon's data whatever it contains.
//! - [`client`]: clients share their phone, book (category → service → member → day → time →
//!   confirm), list, move and cancel their visits, under the salon's online-booking rules.
//!
//! - [`staff`]: staff link their account (`/start link_<code>`), confirm a sign-in with
//!   Telegram, and get `/today` and `/tomorrow`; the platform's bot (`PLATFORM_TELEGRAM_BOT_TOKEN`)
//!   signs in and links on the bare domain.
//!
//! Messages out go through `messaging::telegram` (the bot's send queue).

pub mod connect;
mod client;
mod ctx;
mod handlers;
mod keyboard;
pub mod router;
mod staff;
mod store;
mod update;
mod webhook;

pub use ctx::BotParts;
pub use update::HandleUpdate;
pub use webhook::register_platform_bot;
