//! The client's side of the bot: share a phone, book, list, move and cancel visits.
//!
//! Every screen is one message with an inline keyboard; a button's [`Action`] carries the whole
//! choice so far, so the bot keeps no conversation state. Each action reads what it needs again
//! in the salon's transaction: an id from another salon, or another client's visit, finds
//! nothing and is refused.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use teloxide::{
    payloads::{AnswerCallbackQuerySetters, EditMessageTextSetters, SendMessageSetters},
    requests::Requester,
    types::{
        ButtonRequest, CallbackQuery, ChatId, Contact, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton,
        KeyboardMarkup, Message, MessageId, ReplyMarkup, User,
    },
};

use super::{
    keyboard::{Action, Member},
    store,
    ctx::Ctx,
};
use crate::{
    calendar::{Appointment, online::{self, ClientBooking, Refusal}},
    catalog, clients,
    ids::{ClientId, ServiceId},
    messaging::SalonContacts,
    money::Money,
    staff,
    tenancy::{SalonClock, TenantTx},
};

/// Days shown when choosing a day.
const DAYS_SHOWN: i64 = 14;

/// What the bot shows: text and buttons (rows of label and action).
struct Screen {
    text: String,
    buttons: Vec<Vec<(String, Action)>>,
}

impl Screen {
    fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), buttons: Vec::new() }
    }

    fn row(mut self, row: Vec<(String, Action)>) -> Self {
        if !row.is_empty() {
            self.buttons.push(row);
        }
        self
    }

    fn button(self, label: impl Into<String>, action: Action) -> Self {
        self.row(vec![(label.into(), action)])
    }

    /// Buttons `per_row` to a row.
    fn grid(mut self, items: Vec<(String, Action)>, per_row: usize) -> Self {
        for chunk in items.chunks(per_row) {
            self.buttons.push(chunk.to_vec());
        }
        self
    }

    fn markup(&self) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup::new(
            self.buttons
                .iter()
                .map(|row| row.iter().map(|(label, action)| InlineKeyboardButton::callback(label, action.data())).collect::<Vec<_>>()),
        )
    }
}

/// Shows `screen`: in place of the message whose button was pressed, else as a new message.
async fn show(ctx: &Ctx, chat: ChatId, message: Option<MessageId>, screen: Screen) -> anyhow::Result<()> {
    match message {
        Some(id) => {
            ctx.bot.edit_message_text(chat, id, screen.text.clone()).reply_markup(screen.markup()).await?;
        }
        None => {
            ctx.bot.send_message(chat, screen.text.clone()).reply_markup(screen.markup()).await?;
        }
    }
    Ok(())
}

/// Who is writing: their chat noted, and the client they are once they shared their phone.
async fn who(tx: &mut TenantTx, from: &User) -> anyhow::Result<Option<ClientId>> {
    let chat = store::seen(tx, from.id.0 as i64, &from.first_name, from.username.as_deref()).await?;
    Ok(chat.client_id)
}

fn ask_for_phone(contacts: &SalonContacts) -> (String, ReplyMarkup) {
    let text = format!(
        "Вітаємо! Це бот салону «{}».\n\nЩоб записуватися й бачити свої візити, поділіться номером телефону кнопкою нижче.",
        contacts.name
    );
    let button = KeyboardButton::new("📱 Поділитися номером").request(ButtonRequest::Contact);
    let keyboard = KeyboardMarkup::new([[button]]).resize_keyboard().one_time_keyboard();
    (text, ReplyMarkup::Keyboard(keyboard))
}

fn menu(contacts: &SalonContacts, greeting: &str) -> Screen {
    Screen::new(format!("{greeting}{}\n\nЩо бажаєте зробити?", about(contacts)))
        .button("📅 Записатися", Action::Book)
        .button("🗓 Мої візити", Action::Visits)
        .button("📍 Контакти", Action::Contacts)
}

/// The salon's name, address with a map link, and phone.
fn about(c: &SalonContacts) -> String {
    let mut text = format!("Салон «{}»", c.name);
    if !c.address.is_empty() {
        let query: String = url::form_urlencoded::byte_serialize(c.address.as_bytes()).collect();
        text.push_str(&format!("\n📍 {}\n🗺 https://www.google.com/maps/search/?api=1&query={query}", c.address));
    }
    if !c.phone.is_empty() {
        text.push_str(&format!("\n📞 {}", c.phone));
    }
    text
}

/// `/start` and anything the bot does not understand: the menu, or the request for a phone.
pub async fn start(ctx: &Ctx, from: &User) -> anyhow::Result<()> {
    let mut tx = ctx.salon.begin().await?;
    let client = who(&mut tx, from).await?;
    let contacts = SalonContacts::read(&mut tx).await?;
    tx.commit().await?;
    let chat = ChatId(from.id.0 as i64);
    match client {
        Some(_) => show(ctx, chat, None, menu(&contacts, "")).await,
        None => {
            let (text, markup) = ask_for_phone(&contacts);
            ctx.bot.send_message(chat, text).reply_markup(markup).await?;
            Ok(())
        }
    }
}

/// A phone shared with the contact button: the salon's client with that phone, or a new one
/// (as a booking from the calendar makes). Only the sender's own contact counts.
pub async fn contact(ctx: &Ctx, msg: &Message, contact: &Contact) -> anyhow::Result<()> {
    let Some(from) = msg.from.as_ref() else { return Ok(()) };
    let chat = ChatId(from.id.0 as i64);
    if contact.user_id != Some(from.id) {
        ctx.bot.send_message(chat, "Поділіться, будь ласка, власним номером — кнопкою під полем вводу.").await?;
        return Ok(());
    }
    let Some(phone) = clients::normalise_phone(&contact.phone_number) else {
        ctx.bot.send_message(chat, "Не вдалося прочитати номер. Зателефонуйте, будь ласка, салону.").await?;
        return Ok(());
    };
    let name = match &contact.last_name {
        Some(last) => format!("{} {last}", contact.first_name),
        None => contact.first_name.clone(),
    };
    let mut tx = ctx.salon.begin().await?;
    who(&mut tx, from).await?;
    let client = clients::find_or_create_by_phone(&mut tx, &name, &phone).await?;
    store::link_client(&mut tx, from.id.0 as i64, client.id).await?;
    let contacts = SalonContacts::read(&mut tx).await?;
    tx.commit().await?;
    ctx.bot
        .send_message(chat, format!("Дякуємо, {}! Номер збережено.", contact.first_name))
        .reply_markup(ReplyMarkup::kb_remove())
        .await?;
    show(ctx, chat, None, menu(&contacts, "")).await
}

/// A pressed button.
pub async fn button(ctx: &Ctx, q: &CallbackQuery) -> anyhow::Result<()> {
    let action = q.data.as_deref().and_then(Action::parse);
    let message = q.message.as_ref().map(|m| m.id());
    let Some(action) = action else {
        ctx.bot.answer_callback_query(q.id.clone()).text("Ця кнопка більше не діє").await?;
        return Ok(());
    };
    ctx.bot.answer_callback_query(q.id.clone()).await?;
    callback(ctx, &q.from, message, action).await
}

/// Carries out `action` for the user `from`, showing the result in `message` when given.
pub async fn callback(ctx: &Ctx, from: &User, message: Option<MessageId>, action: Action) -> anyhow::Result<()> {
    let chat = ChatId(from.id.0 as i64);
    let mut tx = ctx.salon.begin().await?;
    let client = who(&mut tx, from).await?;
    let contacts = SalonContacts::read(&mut tx).await?;
    let now = tx.clock().now();
    if action == Action::Contacts {
        tx.commit().await?;
        return show(ctx, chat, message, Screen::new(about(&contacts)).button("◀ Меню", Action::Menu)).await;
    }
    let Some(client) = client else {
        tx.commit().await?;
        let (text, markup) = ask_for_phone(&contacts);
        ctx.bot.send_message(chat, text).reply_markup(markup).await?;
        return Ok(());
    };
    let clock = SalonClock::read(&mut tx).await?;
    let screen = match action {
        Action::Menu | Action::Contacts => menu(&contacts, ""),
        Action::Book => categories(&mut tx).await?,
        Action::Category(s) => services(&mut tx, s).await?,
        Action::Service(s) => members(&mut tx, s).await?,
        Action::Member(s, m) => days(&mut tx, s, m, &clock, now).await?,
        Action::Day(s, m, d) => times(&mut tx, s, m, d, now, "").await?,
        Action::Time(s, m, d, t) => confirm(&mut tx, s, m, d, t).await?,
        Action::Confirm(s, m, d, t) => {
            let booking = ClientBooking { client_id: client, service_id: s, member: m, date: d, start: t };
            match online::book(&mut tx, booking, now).await? {
                Ok(made) => {
                    tx.commit().await?;
                    let visit = made.announce(&ctx.parts.hub).await;
                    let screen = Screen::new(format!("✅ Ви записані!\n\n{}\n\n{}", visit_line(&visit), about(&contacts)))
                        .button("🗓 Мої візити", Action::Visits)
                        .button("◀ Меню", Action::Menu);
                    return show(ctx, chat, message, screen).await;
                }
                Err(Refusal::Taken) => {
                    times(&mut tx, s, m, d, now, "На жаль, цей час щойно зайняли. Ось вільний час:\n\n").await?
                }
                Err(refusal) => refused(refusal, &contacts),
            }
        }
        Action::Visits => visits(&mut tx, client, now).await?,
        Action::Cancel(id) => match online::changeable(&mut tx, client, id, now).await? {
            Ok(visit) => Screen::new(format!("Скасувати запис?\n\n{}", visit_line(&visit)))
                .row(vec![("Так, скасувати".into(), Action::Cancelled(id)), ("Ні".into(), Action::Visits)]),
            Err(r) => refused(r, &contacts),
        },
        Action::Cancelled(id) => match online::cancel(&mut tx, client, id, now).await? {
            Ok(made) => {
                tx.commit().await?;
                let visit = made.announce(&ctx.parts.hub).await;
                let screen = Screen::new(format!("Запис скасовано.\n\n{}", visit_line(&visit))).button("◀ Меню", Action::Menu);
                return show(ctx, chat, message, screen).await;
            }
            Err(r) => refused(r, &contacts),
        },
        Action::Move(id) => match online::changeable(&mut tx, client, id, now).await? {
            Ok(visit) => move_days(&mut tx, &visit, &clock, now).await?,
            Err(r) => refused(r, &contacts),
        },
        Action::MoveDay(id, d) => match online::changeable(&mut tx, client, id, now).await? {
            Ok(visit) => move_times(&mut tx, &visit, d, now, "").await?,
            Err(r) => refused(r, &contacts),
        },
        Action::MoveTo(id, d, t) => match online::reschedule(&mut tx, client, id, d, t, now).await? {
            Ok(made) => {
                tx.commit().await?;
                let visit = made.announce(&ctx.parts.hub).await;
                let screen = Screen::new(format!("✅ Запис перенесено.\n\n{}", visit_line(&visit)))
                    .button("🗓 Мої візити", Action::Visits)
                    .button("◀ Меню", Action::Menu);
                return show(ctx, chat, message, screen).await;
            }
            Err(Refusal::Taken) => match online::changeable(&mut tx, client, id, now).await? {
                Ok(visit) => move_times(&mut tx, &visit, d, now, "На жаль, цей час щойно зайняли. Ось вільний час:\n\n").await?,
                Err(r) => refused(r, &contacts),
            },
            Err(r) => refused(r, &contacts),
        },
    };
    tx.commit().await?;
    show(ctx, chat, message, screen).await
}

fn refused(refusal: Refusal, contacts: &SalonContacts) -> Screen {
    let text = match refusal {
        Refusal::Closed => format!("Онлайн-запис зараз недоступний. Зателефонуйте, будь ласка: {}", contacts.phone),
        Refusal::Gone => "Цей вибір більше недоступний.".to_owned(),
        Refusal::Taken => "Цей час уже зайнятий.".to_owned(),
        Refusal::TooLate => format!(
            "Змінити чи скасувати цей запис онлайн уже не можна. Зателефонуйте, будь ласка, салону: {}",
            contacts.phone
        ),
    };
    Screen::new(text).button("◀ Меню", Action::Menu)
}

async fn categories(tx: &mut TenantTx) -> anyhow::Result<Screen> {
    let offers = catalog::offers(tx).await?;
    // A category is named by its first service; one category goes straight to its services.
    let mut first: BTreeMap<String, (String, ServiceId)> = BTreeMap::new();
    for o in &offers {
        first.entry(o.category.to_lowercase()).or_insert((o.category.clone(), o.id));
    }
    match first.len() {
        0 => Ok(Screen::new("Зараз немає послуг для онлайн-запису.").button("◀ Меню", Action::Menu)),
        1 => services(tx, first.into_values().next().expect("one").1).await,
        _ => Ok(Screen::new("Оберіть категорію:")
            .grid(first.into_values().map(|(name, id)| (name, Action::Category(id))).collect(), 2)
            .button("◀ Меню", Action::Menu)),
    }
}

async fn services(tx: &mut TenantTx, of_category: ServiceId) -> anyhow::Result<Screen> {
    let offers = catalog::offers(tx).await?;
    let Some(category) = offers.iter().find(|o| o.id == of_category).map(|o| o.category.to_lowercase()) else {
        return Ok(gone());
    };
    let items = offers
        .iter()
        .filter(|o| o.category.to_lowercase() == category)
        .map(|o| (format!("{} · {} хв · {}", o.name, o.duration_minutes, price(o.price)), Action::Service(o.id)))
        .collect();
    Ok(Screen::new("Оберіть послугу:").grid(items, 1).button("◀ Назад", Action::Book))
}

async fn members(tx: &mut TenantTx, service_id: ServiceId) -> anyhow::Result<Screen> {
    if catalog::peek_ref(tx, service_id).await?.is_none() {
        return Ok(gone());
    }
    let mut items = vec![("Будь-хто вільний".to_owned(), Action::Member(service_id, None))];
    for id in staff::performing(tx, service_id).await? {
        if let Some(m) = staff::peek_member(tx, id).await? {
            items.push((format!("{} {}", m.first_name, m.last_name).trim().to_owned(), Action::Member(service_id, Some(id))));
        }
    }
    Ok(Screen::new("Оберіть майстра:").grid(items, 1).button("◀ Назад", Action::Category(service_id)))
}

async fn days(tx: &mut TenantTx, s: ServiceId, m: Member, clock: &SalonClock, now: DateTime<Utc>) -> anyhow::Result<Screen> {
    let today = clock.today();
    let open = online::open_slots(tx, s, m, today, today + Duration::days(DAYS_SHOWN - 1), now).await?;
    let mut dates: Vec<NaiveDate> = open.iter().map(|o| o.date).collect();
    dates.dedup();
    if dates.is_empty() {
        return Ok(Screen::new("Найближчі два тижні вільного часу немає.").button("◀ Назад", Action::Service(s)));
    }
    let items = dates.into_iter().map(|d| (day_label(d), Action::Day(s, m, d))).collect();
    Ok(Screen::new("Оберіть день:").grid(items, 3).button("◀ Назад", Action::Service(s)))
}

async fn times(tx: &mut TenantTx, s: ServiceId, m: Member, d: NaiveDate, now: DateTime<Utc>, lead: &str) -> anyhow::Result<Screen> {
    let open = online::open_slots(tx, s, m, d, d, now).await?;
    let mut starts: Vec<NaiveTime> = open.iter().map(|o| o.start).collect();
    starts.sort();
    starts.dedup();
    if starts.is_empty() {
        return Ok(Screen::new(format!("{lead}На {} вільного часу вже немає.", day_label(d))).button("◀ Інший день", Action::Member(s, m)));
    }
    let items = starts.into_iter().map(|t| (t.format("%H:%M").to_string(), Action::Time(s, m, d, t))).collect();
    Ok(Screen::new(format!("{lead}{}: оберіть час", day_label(d))).grid(items, 4).button("◀ Інший день", Action::Member(s, m)))
}

async fn confirm(tx: &mut TenantTx, s: ServiceId, m: Member, d: NaiveDate, t: NaiveTime) -> anyhow::Result<Screen> {
    let Some(service) = catalog::peek_ref(tx, s).await? else { return Ok(gone()) };
    let member = match m {
        Some(id) => match staff::peek_member(tx, id).await? {
            Some(m) => format!("{} {}", m.first_name, m.last_name).trim().to_owned(),
            None => return Ok(gone()),
        },
        None => "будь-хто вільний".to_owned(),
    };
    let text = format!(
        "Перевірте запис:\n\n💇 {}\n👤 {member}\n📅 {}, {}\n⏱ {} хв\n💳 {}",
        service.name,
        day_label(d),
        t.format("%H:%M"),
        service.duration_minutes,
        price(service.price)
    );
    Ok(Screen::new(text)
        .button("✅ Підтвердити", Action::Confirm(s, m, d, t))
        .button("◀ Інший час", Action::Day(s, m, d)))
}

async fn visits(tx: &mut TenantTx, client: ClientId, now: DateTime<Utc>) -> anyhow::Result<Screen> {
    let upcoming = online::upcoming_of(tx, client, now).await?;
    if upcoming.is_empty() {
        return Ok(Screen::new("У вас немає запланованих візитів.").button("📅 Записатися", Action::Book).button("◀ Меню", Action::Menu));
    }
    let mut screen = Screen::new(format!(
        "Ваші візити:\n\n{}",
        upcoming.iter().map(visit_line).collect::<Vec<_>>().join("\n\n")
    ));
    for v in &upcoming {
        let label = format!("{} {}", day_label(v.date.0), v.start_time.0.format("%H:%M"));
        screen = screen.row(vec![
            (format!("↔ Перенести {label}"), Action::Move(v.id)),
            (format!("✖ Скасувати {label}"), Action::Cancel(v.id)),
        ]);
    }
    Ok(screen.button("◀ Меню", Action::Menu))
}

async fn move_days(tx: &mut TenantTx, visit: &Appointment, clock: &SalonClock, now: DateTime<Utc>) -> anyhow::Result<Screen> {
    let (Some(s), Some(m)) = (visit.service_id, visit.staff_id) else { return Ok(gone()) };
    let today = clock.today();
    let open = online::open_slots(tx, s, Some(m), today, today + Duration::days(DAYS_SHOWN - 1), now).await?;
    let mut dates: Vec<NaiveDate> = open.iter().map(|o| o.date).collect();
    dates.dedup();
    if dates.is_empty() {
        return Ok(Screen::new("Найближчі два тижні вільного часу немає.").button("◀ Мої візити", Action::Visits));
    }
    let items = dates.into_iter().map(|d| (day_label(d), Action::MoveDay(visit.id, d))).collect();
    Ok(Screen::new(format!("Перенести візит:\n{}\n\nОберіть новий день:", visit_line(visit)))
        .grid(items, 3)
        .button("◀ Мої візити", Action::Visits))
}

async fn move_times(tx: &mut TenantTx, visit: &Appointment, d: NaiveDate, now: DateTime<Utc>, lead: &str) -> anyhow::Result<Screen> {
    let (Some(s), Some(m)) = (visit.service_id, visit.staff_id) else { return Ok(gone()) };
    let open = online::open_slots(tx, s, Some(m), d, d, now).await?;
    let items: Vec<_> = open.iter().map(|o| (o.start.format("%H:%M").to_string(), Action::MoveTo(visit.id, d, o.start))).collect();
    if items.is_empty() {
        return Ok(Screen::new(format!("{lead}На {} вільного часу вже немає.", day_label(d))).button("◀ Інший день", Action::Move(visit.id)));
    }
    Ok(Screen::new(format!("{lead}{}: оберіть новий час", day_label(d))).grid(items, 4).button("◀ Інший день", Action::Move(visit.id)))
}

fn gone() -> Screen {
    Screen::new("Цей вибір більше недоступний.").button("◀ Меню", Action::Menu)
}

fn visit_line(v: &Appointment) -> String {
    format!(
        "📅 {}, {}–{}\n💇 {}",
        day_label(v.date.0),
        v.start_time.0.format("%H:%M"),
        v.end_time.0.format("%H:%M"),
        if v.service_name.is_empty() { "Візит" } else { &v.service_name }
    )
}

fn day_label(d: NaiveDate) -> String {
    let day = match d.weekday() {
        Weekday::Mon => "Пн",
        Weekday::Tue => "Вт",
        Weekday::Wed => "Ср",
        Weekday::Thu => "Чт",
        Weekday::Fri => "Пт",
        Weekday::Sat => "Сб",
        Weekday::Sun => "Нд",
    };
    format!("{day} {}", d.format("%d.%m"))
}

fn price(p: Money) -> String {
    let (whole, cents) = (p.minor() / 100, p.minor() % 100);
    if cents == 0 { format!("{whole} грн") } else { format!("{whole}.{cents:02} грн") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_as_ukrainian_clients_expect() {
        assert_eq!(day_label(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()), "Пн 07.12");
        assert_eq!(price(Money(35_000)), "350 грн");
        assert_eq!(price(Money(35_050)), "350.50 грн");
    }
}
