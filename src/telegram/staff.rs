//! The staff's side of the bots: linking an account (`/start link_<code>`), confirming a
//! sign-in with Telegram (`/start login_<code>`, then a button), and a member's day (`/today`,
//! `/tomorrow`). The platform's bot does the first two for accounts of any salon.

use chrono::{Duration, NaiveDate};
use teloxide::{
    Bot,
    adaptors::Throttle,
    payloads::SendMessageSetters,
    requests::Requester,
    types::{CallbackQuery, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, User},
};

use super::ctx::Ctx;
use crate::{
    auth::{
        self,
        telegram::{Linked, SignIn},
    },
    calendar,
    tenancy::{SalonClock, SalonId},
};

/// Callback data of the sign-in buttons: `lg:<start>` confirms, `lx:<start>` cancels.
pub const CONFIRM: &str = "lg:";
pub const CANCEL: &str = "lx:";

fn chat(from: &User) -> ChatId {
    ChatId(from.id.0 as i64)
}

/// `/start link_<code>`: links the account the code was made for to this Telegram user.
pub async fn link(bot: &Throttle<Bot>, auth: &auth::Parts, salon: Option<SalonId>, from: &User, code: &str) -> anyhow::Result<()> {
    let text = match auth::telegram::link_from_bot(auth, salon, code, from.id.0 as i64, from.username.as_deref()).await? {
        Linked::Done(name) => format!(
            "✅ Telegram прив'язано до облікового запису «{name}».\n\nТепер тут з'являтимуться ваші нові записи, а /today і /tomorrow покажуть розклад."
        ),
        Linked::Expired => "Посилання недійсне або застаріле. Створіть нове у профілі.".to_owned(),
        Linked::WrongBot => "Це посилання для бота іншого салону.".to_owned(),
        Linked::Taken => "Цей Telegram уже прив'язаний до іншого облікового запису салону.".to_owned(),
    };
    bot.send_message(chat(from), text).await?;
    Ok(())
}

/// `/start login_<code>`: asks the linked user to confirm signing in.
pub async fn login(bot: &Throttle<Bot>, auth: &auth::Parts, salon: Option<SalonId>, from: &User, start: &str) -> anyhow::Result<()> {
    match auth::telegram::login_from_bot(auth, salon, start, from.id.0 as i64).await? {
        SignIn::Confirm { name, salon } => {
            let buttons = InlineKeyboardMarkup::new([[
                InlineKeyboardButton::callback("✅ Увійти", format!("{CONFIRM}{start}")),
                InlineKeyboardButton::callback("✖ Скасувати", format!("{CANCEL}{start}")),
            ]]);
            bot.send_message(chat(from), format!("Увійти в Adelante як {name} («{salon}»)?\n\nЯкщо це не ви — натисніть «Скасувати»."))
                .reply_markup(buttons)
                .await?;
        }
        SignIn::Expired => {
            bot.send_message(chat(from), "Код входу недійсний або застарів. Почніть вхід у браузері ще раз.").await?;
        }
        SignIn::NoAccount => {
            bot.send_message(
                chat(from),
                "Цей Telegram не прив'язаний до жодного облікового запису. Облікові записи працівників створює адміністратор салону: попросіть запрошення, увійдіть з паролем і прив'яжіть Telegram у профілі.",
            )
            .await?;
        }
        SignIn::Several => {
            bot.send_message(chat(from), "Ваш Telegram прив'язаний у кількох салонах. Увійдіть через адресу свого салону.").await?;
        }
    }
    Ok(())
}

/// The sign-in buttons.
pub async fn confirm(bot: &Throttle<Bot>, auth: &auth::Parts, q: &CallbackQuery, start: &str, yes: bool) -> anyhow::Result<()> {
    let confirmed = auth::telegram::confirm_from_bot(auth, start, q.from.id.0 as i64, yes).await?;
    bot.answer_callback_query(q.id.clone()).await?;
    let text = match (yes, confirmed) {
        (true, true) => "✅ Вхід підтверджено. Поверніться до браузера.",
        (false, _) => "Вхід скасовано.",
        (true, false) => "Код входу недійсний або застарів. Почніть вхід у браузері ще раз.",
    };
    bot.send_message(chat(&q.from), text).await?;
    Ok(())
}

/// `/today` (`days` 0) and `/tomorrow` (1): the member's own appointments, salon time.
pub async fn day(ctx: &Ctx, from: &User, days: i64) -> anyhow::Result<()> {
    let mut tx = ctx.salon.begin().await?;
    let Some(user) = auth::user_by_telegram_chat(&mut tx, from.id.0 as i64).await? else {
        tx.commit().await?;
        ctx.bot
            .send_message(chat(from), "Розклад бачать працівники салону, які прив'язали Telegram у профілі.")
            .await?;
        return Ok(());
    };
    let clock = SalonClock::read(&mut tx).await?;
    let date: NaiveDate = clock.today() + Duration::days(days);
    let visits = calendar::agenda::day_of_user(&mut tx, user, date).await?;
    tx.commit().await?;
    let heading = format!("{} {}", if days == 0 { "Сьогодні," } else { "Завтра," }, date.format("%d.%m"));
    let text = if visits.is_empty() {
        format!("{heading}: записів немає.")
    } else {
        let lines: Vec<String> = visits
            .iter()
            .map(|v| {
                let service = if v.service_name.is_empty() { String::new() } else { format!(" — {}", v.service_name) };
                format!("{}–{} {}{service}", v.start_time.0.format("%H:%M"), v.end_time.0.format("%H:%M"), v.client_name)
            })
            .collect();
        format!("{heading}:\n\n{}", lines.join("\n"))
    };
    ctx.bot.send_message(chat(from), text).await?;
    Ok(())
}
