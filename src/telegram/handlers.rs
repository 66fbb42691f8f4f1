//! The handler tree every salon's bot shares (teloxide's `dptree`), fed one update at a time
//! by [`super::update::HandleUpdate`].

use std::sync::LazyLock;

use teloxide::{
    dispatching::{UpdateFilterExt, UpdateHandler},
    dptree,
    types::{CallbackQuery, Contact, Message, Update},
};

use teloxide::{Bot, adaptors::Throttle, requests::Requester, types::{ChatId, UpdateKind}};

use super::{client, keyboard::Action, staff, ctx::Ctx};
use crate::auth;

/// A command as the bot reads it: `/start link_ab12` → `("start", "link_ab12")`; a command
/// addressed to another bot (`/start@other_bot`) is none of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    pub args: String,
}

impl Command {
    pub fn parse(text: &str, me: &str) -> Option<Command> {
        let text = text.trim();
        let rest = text.strip_prefix('/')?;
        let (word, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = match word.split_once('@') {
            Some((name, bot)) if bot.eq_ignore_ascii_case(me) => name,
            Some(_) => return None,
            None => word,
        };
        Some(Command { name: name.to_ascii_lowercase(), args: args.trim().to_owned() })
    }
}

static TREE: LazyLock<UpdateHandler<anyhow::Error>> = LazyLock::new(|| {
    dptree::entry()
        .branch(
            Update::filter_message()
                .branch(dptree::filter_map(|m: Message| m.contact().cloned()).endpoint(on_contact))
                .branch(
                    dptree::filter_map(|m: Message, ctx: Ctx| Command::parse(m.text()?, &ctx.me.username))
                        .endpoint(on_command),
                )
                .endpoint(on_text),
        )
        .branch(Update::filter_callback_query().endpoint(on_callback))
});

/// The tree, built once per process.
pub fn tree() -> UpdateHandler<anyhow::Error> {
    TREE.clone()
}

async fn on_contact(msg: Message, contact: Contact, ctx: Ctx) -> anyhow::Result<()> {
    client::contact(&ctx, &msg, &contact).await
}

async fn on_command(msg: Message, cmd: Command, ctx: Ctx) -> anyhow::Result<()> {
    let Some(from) = msg.from.as_ref() else { return Ok(()) };
    if !msg.chat.is_private() {
        return Ok(());
    }
    let salon = Some(ctx.salon.id());
    match cmd.name.as_str() {
        "start" => match cmd.args.split_once('_') {
            Some(("link", code)) => staff::link(&ctx.bot, &ctx.parts.auth, salon, from, code).await,
            Some(("login", start)) => staff::login(&ctx.bot, &ctx.parts.auth, salon, from, start).await,
            _ => client::start(&ctx, from).await,
        },
        "today" => staff::day(&ctx, from, 0).await,
        "tomorrow" => staff::day(&ctx, from, 1).await,
        "menu" | "help" => client::start(&ctx, from).await,
        "book" => client::callback(&ctx, from, None, Action::Book).await,
        "visits" => client::callback(&ctx, from, None, Action::Visits).await,
        _ => client::start(&ctx, from).await,
    }
}

async fn on_text(msg: Message, ctx: Ctx) -> anyhow::Result<()> {
    match msg.from.as_ref() {
        Some(from) if msg.chat.is_private() => client::start(&ctx, from).await,
        _ => Ok(()),
    }
}

async fn on_callback(q: CallbackQuery, ctx: Ctx) -> anyhow::Result<()> {
    match sign_in_button(&q) {
        Some((start, yes)) => staff::confirm(&ctx.bot, &ctx.parts.auth, &q, start, yes).await,
        None => client::button(&ctx, &q).await,
    }
}

/// The start code of a sign-in button, and whether it confirms.
fn sign_in_button(q: &CallbackQuery) -> Option<(&str, bool)> {
    let data = q.data.as_deref()?;
    data.strip_prefix(staff::CONFIRM).map(|s| (s, true)).or_else(|| data.strip_prefix(staff::CANCEL).map(|s| (s, false)))
}

/// An update of the platform's bot: sign-in and linking only, for accounts of any salon.
pub async fn platform(bot: &Throttle<Bot>, auth: &auth::Parts, update: Update, me: &str) -> anyhow::Result<()> {
    match update.kind {
        UpdateKind::Message(msg) => {
            let (Some(from), true) = (msg.from.as_ref(), msg.chat.is_private()) else { return Ok(()) };
            let cmd = msg.text().and_then(|t| Command::parse(t, me));
            match cmd.as_ref().filter(|c| c.name == "start").and_then(|c| c.args.split_once('_')) {
                Some(("link", code)) => staff::link(bot, auth, None, from, code).await,
                Some(("login", start)) => staff::login(bot, auth, None, from, start).await,
                _ => {
                    bot.send_message(
                        ChatId(from.id.0 as i64),
                        "Це бот входу в Adelante. Щоб записатися до салону, відкрийте бот свого салону.",
                    )
                    .await?;
                    Ok(())
                }
            }
        }
        UpdateKind::CallbackQuery(q) => match sign_in_button(&q) {
            Some((start, yes)) => staff::confirm(bot, auth, &q, start, yes).await,
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_like_telegram_clients_send_them() {
        let c = Command::parse("/start link_ab12", "salon_bot").unwrap();
        assert_eq!((c.name.as_str(), c.args.as_str()), ("start", "link_ab12"));
        assert_eq!(Command::parse("/Today@Salon_Bot", "salon_bot").unwrap().name, "today");
        assert_eq!(Command::parse("/today@other_bot", "salon_bot"), None);
        assert_eq!(Command::parse("hello", "salon_bot"), None);
    }
}
