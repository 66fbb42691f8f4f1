//! A salon's own Telegram bot against a loopback Bot API: connecting and disconnecting it, the
//! webhook's secret and replay checks, a client's whole booking conversation, two clients racing
//! for one time, another salon's ids in a button, and Telegram's 429.

mod common;

use std::time::Duration;

use common::{
    Session, TestApp,
    telegram::{BotApi, callback_update, contact_update, text_update},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

/// A salon's connected bot, as Telegram would talk to it.
struct SalonBot<'a> {
    app: &'a TestApp,
    api: &'a BotApi,
    token: String,
    path: String,
    secret: String,
}

/// A Kyiv Wednesday morning, 09:00 local: the first free time with the default one-hour lead
/// is 10:00.
const NOW: &str = "2027-03-10T07:00:00Z";

async fn spawn(api: &BotApi) -> TestApp {
    let app = TestApp::spawn_with(&[("TELEGRAM_API_URL", &api.url()), ("PUBLIC_URL", "https://api.adelante.test")]).await;
    app.freeze_clock(NOW);
    app
}

async fn connect<'a>(app: &'a TestApp, api: &'a BotApi, admin: &Session, username: &str) -> SalonBot<'a> {
    let token = api.token(username);
    let res = app.put("/api/v1/settings/telegram", &admin.access, json!({"token": token})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({"connected": true, "botUsername": username}));
    let hook = api.calls_of("setWebhook").into_iter().rev().find(|c| c.token == token).expect("setWebhook was called");
    let url = hook.params["url"].as_str().unwrap().to_owned();
    let path = url.strip_prefix("https://api.adelante.test").expect("the webhook is under PUBLIC_URL").to_owned();
    let secret = hook.params["secret_token"].as_str().unwrap().to_owned();
    SalonBot { app, api, token, path, secret }
}

impl SalonBot<'_> {
    async fn deliver_with(&self, update: &Value, secret: Option<&str>) -> StatusCode {
        let mut req = self.app.client.post(self.app.url(&self.path)).json(update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        req.send().await.unwrap().status()
    }

    /// Delivers the update as Telegram does and runs the jobs it queued.
    async fn deliver(&self, update: Value) {
        assert_eq!(self.deliver_with(&update, Some(&self.secret)).await, StatusCode::OK);
        self.app.run_jobs().await;
        let mut su = self.app.su().await;
        let failed: Vec<String> = sqlx::query_scalar("select last_error from graphile_worker.jobs where last_error is not null")
            .fetch_all(&mut su)
            .await
            .unwrap();
        assert!(failed.is_empty(), "the update's job failed: {failed:?}");
    }

    /// The last screen shown in `chat` (sent or edited with buttons under it): its text and
    /// buttons (label, data). Messages without buttons (a visit's confirmation) are passed over.
    fn screen(&self, chat: i64) -> (String, Vec<(String, String)>) {
        self.shown(chat, true)
    }

    /// The last text sent to `chat`, with or without buttons.
    fn said(&self, chat: i64) -> String {
        self.shown(chat, false).0
    }

    fn shown(&self, chat: i64, with_buttons: bool) -> (String, Vec<(String, String)>) {
        let call = self
            .api
            .calls()
            .into_iter()
            .rev()
            .find(|c| {
                c.token == self.token
                    && (c.is("sendMessage") || c.is("editMessageText"))
                    && c.params["chat_id"].as_i64() == Some(chat)
                    && (!with_buttons || c.params["reply_markup"]["inline_keyboard"].is_array())
            })
            .unwrap_or_else(|| panic!("nothing was shown in chat {chat}"));
        let buttons = call.params["reply_markup"]["inline_keyboard"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .flat_map(|r| r.as_array().unwrap().iter())
                    .map(|b| (b["text"].as_str().unwrap().to_owned(), b["callback_data"].as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        (call.params["text"].as_str().unwrap().to_owned(), buttons)
    }

    /// Presses the first button of the last screen in `chat` whose data starts with `prefix`.
    async fn press(&self, update_id: i64, chat: i64, prefix: &str) -> String {
        let (text, buttons) = self.screen(chat);
        let data = buttons
            .iter()
            .find(|(_, d)| d.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} button on {text:?}: {buttons:?}"))
            .1
            .clone();
        self.deliver(callback_update(update_id, chat, &data, 1)).await;
        data
    }

    /// A client who opened the bot and shared their phone.
    async fn linked_client(&self, chat: i64, first_update: i64, phone: &str) {
        self.deliver(text_update(first_update, chat, "/start")).await;
        self.deliver(contact_update(first_update + 1, chat, phone, "Олена")).await;
        let (text, _) = self.screen(chat);
        assert!(text.contains("Що бажаєте зробити?"), "{text}");
    }
}

/// Salon A with one member working 09:00–18:00 every day and one 60-minute service.
async fn salon_with_service(app: &TestApp, name: &str) -> (Session, i64, i64) {
    let admin = app.new_salon(name).await;
    let staff_id = app.working_member(&admin, "Ірина").await;
    let service_id = app.service(&admin, "Стрижка", 60, 450.0).await;
    (admin, staff_id, service_id)
}

#[tokio::test]
async fn a_salon_connects_its_bot_and_disconnects_it() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let admin = app.new_salon("Салон А").await;
    let res = app.get("/api/v1/settings/telegram", &admin.access).await;
    assert_eq!(res.body, json!({"connected": false, "botUsername": null}));

    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    assert!(bot.path.starts_with("/telegram/") && bot.path.len() > "/telegram/".len() + 16, "{}", bot.path);
    assert!(!bot.path.contains(&admin.salon_id().to_string()) || bot.path.len() > 40, "the hook does not name the salon");
    assert!(bot.secret.len() >= 32);
    let set = api.calls_of("setWebhook");
    assert_eq!(set.last().unwrap().params["allowed_updates"], json!(["message", "callback_query"]));

    // The token is stored sealed: neither it nor its secret part appears in the row.
    let mut su = app.su().await;
    let row = sqlx::query("select token_sealed, secret_hash from telegram_bots").fetch_one(&mut su).await.unwrap();
    let sealed: Vec<u8> = row.get("token_sealed");
    let secret_part = bot.token.split_once(':').unwrap().1;
    assert!(!sealed.windows(secret_part.len()).any(|w| w == secret_part.as_bytes()));
    let res = app.get("/api/v1/settings/telegram", &admin.access).await;
    assert_eq!(res.body, json!({"connected": true, "botUsername": "salon_a_bot"}));
    assert!(!res.text.contains(secret_part), "GET never shows the token");

    // Another salon cannot connect the same bot.
    let other = app.new_salon("Салон Б").await;
    let res = app.put("/api/v1/settings/telegram", &other.access, json!({"token": bot.token})).await;
    res.assert_error(409, "bot_taken");

    let res = app.request(Method::DELETE, "/api/v1/settings/telegram", Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(api.calls_of("deleteWebhook").len(), 1);
    let res = app.get("/api/v1/settings/telegram", &admin.access).await;
    assert_eq!(res.body, json!({"connected": false, "botUsername": null}));
    assert_eq!(bot.deliver_with(&text_update(1, 5, "/start"), Some(&bot.secret)).await, StatusCode::NOT_FOUND);
    // Now free, the bot can serve the other salon.
    let res = app.put("/api/v1/settings/telegram", &other.access, json!({"token": bot.token})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn a_token_telegram_refuses_or_an_unreachable_telegram_stores_nothing() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let admin = app.new_salon("Салон А").await;
    // Only who may change the salon's rules connects its bot.
    let master = app.staff(&admin, "master").await;
    let res = app.put("/api/v1/settings/telegram", &master.access, json!({"token": api.token("d_bot")})).await;
    res.assert_error(403, "forbidden");

    let res = app.put("/api/v1/settings/telegram", &admin.access, json!({"token": "not a token"})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["token"].is_array(), "{}", res.text);
    // Well-formed, but Telegram does not know it.
    let res = app
        .put("/api/v1/settings/telegram", &admin.access, json!({"token": "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}))
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["token"].is_array(), "{}", res.text);

    let unreachable = TestApp::spawn().await; // TELEGRAM_API_URL points where nothing listens
    let admin = unreachable.new_salon("Салон В").await;
    let res = unreachable.put("/api/v1/settings/telegram", &admin.access, json!({"token": api.token("c_bot")})).await;
    res.assert_error(502, "telegram_unreachable");
    assert_eq!(unreachable.count("select count(*) from telegram_bots").await, 0);
    assert_eq!(app.count("select count(*) from telegram_bots").await, 0);
}

#[tokio::test]
async fn the_webhook_refuses_a_wrong_secret_and_takes_an_update_once() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let admin = app.new_salon("Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    let jobs = "select count(*) from graphile_worker.jobs where task_identifier = 'telegram:update'";

    let update = text_update(100, 501, "/start");
    assert_eq!(bot.deliver_with(&update, None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(bot.deliver_with(&update, Some("wrong")).await, StatusCode::UNAUTHORIZED);
    assert_eq!(bot.deliver_with(&update, Some(&bot.secret[1..])).await, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count(jobs).await, 0);
    let unknown = app.client.post(app.url("/telegram/NoSuchHookNoSuchHook00")).json(&update).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    assert_eq!(bot.deliver_with(&update, Some(&bot.secret)).await, StatusCode::OK);
    assert_eq!(bot.deliver_with(&update, Some(&bot.secret)).await, StatusCode::OK, "a redelivery is acknowledged");
    assert_eq!(app.count(jobs).await, 1, "and ignored");
    app.run_jobs().await;
    let sent = api.calls_of("sendMessage");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].params["text"].as_str().unwrap().contains("поділіться номером"), "{:?}", sent[0].params);
    assert_eq!(sent[0].params["reply_markup"]["keyboard"][0][0]["request_contact"], json!(true));
}

#[tokio::test]
async fn a_client_books_a_visit_in_the_bot_and_the_calendar_sees_it() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let (admin, staff_id, service_id) = salon_with_service(&app, "Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    let mut socket = common::ws::connect(&app, &admin).await;

    let chat = 7001;
    bot.linked_client(chat, 1, "+380671234567").await;
    let mut su = app.su().await;
    let client: (i64, String) = sqlx::query_as("select id, phone from clients").fetch_one(&mut su).await.unwrap();
    assert_eq!(client.1, "+380671234567", "a new phone is a new client");

    bot.deliver(callback_update(3, chat, "b", 1)).await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("Оберіть послугу"), "one category goes straight to its services: {text}");
    assert_eq!(bot.press(4, chat, "bs:").await, format!("bs:{service_id}"));
    assert_eq!(bot.press(5, chat, &format!("bm:{service_id}:{staff_id}")).await, format!("bm:{service_id}:{staff_id}"));
    let day = bot.press(6, chat, "bd:").await;
    assert_eq!(day, format!("bd:{service_id}:{staff_id}:20270310"), "today is the first day with free time");
    let (text, buttons) = bot.screen(chat);
    assert_eq!(buttons[0].0, "10:00", "the minimum lead of an hour: {text}");
    bot.press(7, chat, "bt:").await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("Стрижка") && text.contains("10:00") && text.contains("450 грн"), "{text}");
    bot.press(8, chat, "bk:").await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("Ви записані") && text.contains("10:00–11:00"), "{text}");

    let row = sqlx::query("select client_id, staff_id, service_id, date::text, start_time::text, status, created_by from appointments")
        .fetch_one(&mut su)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("client_id"), client.0);
    assert_eq!(row.get::<i64, _>("staff_id"), staff_id);
    assert_eq!(row.get::<i64, _>("service_id"), service_id);
    assert_eq!(row.get::<String, _>("date"), "2027-03-10");
    assert_eq!(row.get::<String, _>("start_time"), "10:00:00");
    assert_eq!(row.get::<String, _>("status"), "scheduled");
    assert_eq!(row.get::<Option<i64>, _>("created_by"), None, "the client booked it");
    let frame = common::ws::expect(&mut socket, "appointment:created").await;
    assert_eq!(frame["data"]["startTime"], "10:00");
    // The client linked the bot: the visit's confirmation went there (the jobs issue's channel).
    let (channel, status, recipient): (String, String, String) =
        sqlx::query_as("select channel, status, recipient from visit_messages where purpose = 'confirmation'")
            .fetch_one(&mut su)
            .await
            .unwrap();
    assert_eq!((channel.as_str(), status.as_str(), recipient), ("telegram", "sent", chat.to_string()));
    assert!(bot.said(chat).contains("10:00"), "{}", bot.said(chat));

    // My visits lists it; the client cancels it (more than the 24-hour window ahead? no: it is
    // today, so the bot refers them to the salon).
    bot.deliver(callback_update(9, chat, "v", 1)).await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("10:00–11:00"), "{text}");
    bot.press(10, chat, "vc:").await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("не можна"), "inside the cancellation window: {text}");
}

#[tokio::test]
async fn a_client_moves_and_cancels_a_visit_outside_the_window() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let (admin, staff_id, service_id) = salon_with_service(&app, "Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    let chat = 7002;
    bot.linked_client(chat, 1, "+380671234568").await;
    bot.deliver(callback_update(3, chat, &format!("bk:{service_id}:{staff_id}:20270315:1200"), 1)).await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("Ви записані"), "{text}");

    bot.deliver(callback_update(4, chat, "v", 1)).await;
    bot.press(5, chat, "vm:").await;
    bot.press(6, chat, "vd:").await; // the first day with free time: today
    bot.deliver(callback_update(7, chat, &bot.screen(chat).1.iter().find(|(l, _)| l == "15:00").unwrap().1.clone(), 1)).await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("перенесено") && text.contains("15:00–16:00"), "{text}");
    let mut su = app.su().await;
    let (date, start): (String, String) =
        sqlx::query_as("select date::text, start_time::text from appointments").fetch_one(&mut su).await.unwrap();
    assert_eq!((date.as_str(), start.as_str()), ("2027-03-10", "15:00:00"));

    // Moved to today, it is inside the window now; book another one next week and cancel it.
    bot.deliver(callback_update(8, chat, &format!("bk:{service_id}:{staff_id}:20270317:1200"), 1)).await;
    let id: i64 = sqlx::query_scalar("select id from appointments where date = '2027-03-17'").fetch_one(&mut su).await.unwrap();
    bot.deliver(callback_update(9, chat, &format!("vc:{id}"), 1)).await;
    bot.press(10, chat, "vx:").await;
    let (text, _) = bot.screen(chat);
    assert!(text.contains("скасовано"), "{text}");
    let status: String = sqlx::query_scalar("select status from appointments where id = $1").bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(status, "cancelled");
}

#[tokio::test]
async fn two_clients_racing_for_one_time_get_one_booking_and_fresh_times() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let (admin, staff_id, service_id) = salon_with_service(&app, "Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    let (first, second) = (8001, 8002);
    bot.linked_client(first, 1, "+380671110001").await;
    bot.linked_client(second, 11, "+380671110002").await;

    let confirm = format!("bk:{service_id}:{staff_id}:20270311:1000");
    for (update_id, chat) in [(21, first), (22, second)] {
        assert_eq!(bot.deliver_with(&callback_update(update_id, chat, &confirm, 1), Some(&bot.secret)).await, StatusCode::OK);
    }
    let worker = app.start_worker(); // both chats' jobs at once
    api.wait_for("editMessageText", 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(worker);

    assert_eq!(app.count("select count(*) from appointments where status <> 'cancelled'").await, 1);
    let screens = [bot.screen(first), bot.screen(second)];
    let won = screens.iter().filter(|(t, _)| t.contains("Ви записані")).count();
    let lost: Vec<_> = screens.iter().filter(|(t, _)| t.contains("щойно зайняли")).collect();
    assert_eq!((won, lost.len()), (1, 1), "{screens:?}");
    let times: Vec<&str> = lost[0].1.iter().map(|(l, _)| l.as_str()).collect();
    assert!(!times.contains(&"10:00") && times.contains(&"11:00"), "fresh times without the taken one: {times:?}");
}

#[tokio::test]
async fn a_salons_bot_never_reaches_another_salons_data() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let (admin_a, staff_a, service_a) = salon_with_service(&app, "Салон А").await;
    let (admin_b, staff_b, service_b) = salon_with_service(&app, "Салон Б").await;
    let bot_a = connect(&app, &api, &admin_a, "salon_a_bot").await;
    let _bot_b = connect(&app, &api, &admin_b, "salon_b_bot").await;
    let b_visit = app.book(&admin_b, json!({"clientName": "Б", "clientPhone": "+380500000001", "serviceId": service_b,
        "staffId": staff_b, "date": "2027-03-20", "startTime": "12:00", "status": "scheduled"})).await;

    let chat = 9001;
    bot_a.linked_client(chat, 1, "+380671234569").await;
    let before = app.count("select count(*) from appointments").await;
    for (n, data) in [
        format!("bs:{service_b}"),
        format!("bm:{service_b}:0"),
        format!("bd:{service_a}:{staff_b}:20270312"),
        format!("bk:{service_b}:0:20270312:1000"),
        format!("bk:{service_a}:{staff_b}:20270312:1000"),
        format!("vc:{b_visit}"),
        format!("vx:{b_visit}"),
        format!("vt:{b_visit}:20270312:1000"),
    ]
    .into_iter()
    .enumerate()
    {
        bot_a.deliver(callback_update(10 + n as i64, chat, &data, 1)).await;
        let (text, buttons) = bot_a.screen(chat);
        assert!(
            text.contains("недоступний") || text.contains("вільного часу") || text.contains("зайнят"),
            "{data} must be refused: {text} {buttons:?}"
        );
    }
    assert_eq!(app.count("select count(*) from appointments").await, before, "nothing was booked");
    let mut su = app.su().await;
    let status: String = sqlx::query_scalar("select status from appointments where id = $1").bind(b_visit).fetch_one(&mut su).await.unwrap();
    assert_eq!(status, "scheduled", "B's visit is untouched");
    let _ = staff_a;
}

#[tokio::test]
async fn a_429_from_telegram_is_retried_after_its_retry_after() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let admin = app.new_salon("Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    api.retry_after_once("sendMessage", 1);
    bot.deliver(text_update(1, 501, "/start")).await;
    let sent = api.calls_of("sendMessage");
    assert_eq!(sent.len(), 2, "refused once, then sent: {sent:?}");
    let waited = sent[1].at.duration_since(sent[0].at);
    assert!(waited >= Duration::from_millis(950), "waited {waited:?}");
}

/// A member with an account (master), signed in, working every day.
async fn master_with_account(app: &TestApp, admin: &Session) -> (Session, i64) {
    let email = format!("master-{}@example.com", common::rand_suffix());
    let member = app.created(admin, "/api/v1/staff", json!({"firstName": "Ірина", "lastName": "Коваль", "email": email, "position": "master"})).await;
    let staff_id = common::id(&member);
    app.every_day(admin, staff_id, json!({"isWorkDay": true, "startTime": "09:00", "endTime": "18:00"})).await;
    app.open_invitation(&email).await;
    let res = app.post("/api/v1/auth/setup", None, json!({"email": email, "password": common::PASSWORD})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    (Session::from_answer(&res.body, &email), staff_id)
}

/// A sign-in's status as the browser polls it (no token).
async fn poll(app: &TestApp, path: &str) -> Value {
    let res = app.request(Method::GET, path, None, None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

async fn slug(app: &TestApp, who: &Session) -> String {
    let mut su = app.su().await;
    sqlx::query_scalar("select slug from salons where id = $1").bind(who.salon_id()).fetch_one(&mut su).await.unwrap()
}

#[tokio::test]
async fn a_master_links_telegram_and_gets_their_day_and_new_bookings_there() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let (admin, _, service_id) = salon_with_service(&app, "Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    let (master, staff_id) = master_with_account(&app, &admin).await;

    let res = app.post("/api/v1/auth/telegram/link", Some(&master.access), json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let code = res.body["link_code"].as_str().unwrap().to_owned();
    assert_eq!(res.body["bot_username"], "salon_a_bot");
    assert_eq!(res.body["deep_link"], format!("https://t.me/salon_a_bot?start=link_{code}"));
    assert_eq!(res.body["expires_in"], 300);

    let tg_user = 6001;
    bot.deliver(text_update(1, tg_user, &format!("/start link_{code}"))).await;
    let sent = api.calls_of("sendMessage");
    assert!(sent.last().unwrap().params["text"].as_str().unwrap().contains("прив'язано"), "{:?}", sent.last().unwrap().params);
    let me = app.get("/api/v1/settings/profile", &master.access).await;
    assert_eq!(me.body["telegramConnected"], true, "{}", me.text);
    // The code is used once.
    bot.deliver(text_update(2, 6002, &format!("/start link_{code}"))).await;
    assert!(bot.said(6002).contains("недійсне"));

    // A booking of theirs made by the admin reaches them in Telegram.
    api.clear();
    app.book(&admin, json!({"clientName": "Олена", "clientPhone": "+380671234500", "serviceId": service_id, "staffId": staff_id,
        "date": "2027-03-10", "startTime": "14:00", "status": "scheduled"})).await;
    app.run_jobs().await;
    let pushed: Vec<_> = api.calls_of("sendMessage").into_iter().filter(|c| c.params["chat_id"] == tg_user).collect();
    assert_eq!(pushed.len(), 1, "{pushed:?}");
    assert!(pushed[0].params["text"].as_str().unwrap().contains("Новий запис"), "{:?}", pushed[0].params);

    bot.deliver(text_update(3, tg_user, "/today")).await;
    let text = bot.said(tg_user);
    assert!(text.contains("14:00–15:00 Олена") && text.contains("10.03"), "{text}");
    bot.deliver(text_update(4, tg_user, "/tomorrow")).await;
    assert!(bot.said(tg_user).contains("записів немає"));
    // Someone who is not staff gets no schedule.
    bot.deliver(text_update(5, 6999, "/today")).await;
    assert!(bot.said(6999).contains("працівники"));

    let res = app.request(Method::DELETE, "/api/v1/auth/telegram/link", Some(&master.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let me = app.get("/api/v1/settings/profile", &master.access).await;
    assert_eq!(me.body["telegramConnected"], false);
}

#[tokio::test]
async fn staff_sign_in_with_telegram_once_and_only_after_confirming() {
    let api = BotApi::start().await;
    let app = spawn(&api).await;
    let admin = app.new_salon("Салон А").await;
    let bot = connect(&app, &api, &admin, "salon_a_bot").await;
    let (master, _) = master_with_account(&app, &admin).await;
    let res = app.post("/api/v1/auth/telegram/link", Some(&master.access), json!({})).await;
    let code = res.body["link_code"].as_str().unwrap().to_owned();
    let tg_user = 6101;
    bot.deliver(text_update(1, tg_user, &format!("/start link_{code}"))).await;

    let host = format!("{}.{}", slug(&app, &admin).await, common::BASE_DOMAIN);
    let init = app.request_with(Method::POST, "/api/v1/auth/telegram/init", None, None, &[("host", &host)]).await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.text);
    let auth_code = init.body["auth_code"].as_str().unwrap().to_owned();
    let deep_link = init.body["deep_link"].as_str().unwrap().to_owned();
    let start = deep_link.strip_prefix("https://t.me/salon_a_bot?start=login_").expect("the salon's bot").to_owned();
    assert!(!deep_link.contains(&auth_code), "the deep link does not carry the polling code");
    assert!(init.body["qr_code"].as_str().unwrap().starts_with("data:image/png;base64,"));
    assert_eq!(init.body["expires_in"], 300);
    let status = format!("/api/v1/auth/telegram/status/{auth_code}");
    assert_eq!(poll(&app, &status).await, json!({"status": "pending"}));

    // Someone else opening the link (who has no account) is told so and gets nothing.
    bot.deliver(text_update(2, 6199, &format!("/start login_{start}"))).await;
    assert!(bot.said(6199).contains("не прив'язаний"));
    bot.deliver(text_update(3, tg_user, &format!("/start login_{start}"))).await;
    let (text, buttons) = bot.screen(tg_user);
    assert!(text.contains("Ірина Коваль"), "{text}");
    assert_eq!(poll(&app, &status).await, json!({"status": "awaiting_confirmation"}));
    // Only the one who was asked can confirm.
    bot.deliver(callback_update(4, 6199, &buttons[0].1, 1)).await;
    assert_eq!(poll(&app, &status).await, json!({"status": "awaiting_confirmation"}));
    bot.deliver(callback_update(5, tg_user, &buttons[0].1, 1)).await;
    assert!(bot.said(tg_user).contains("підтверджено"), "{}", bot.said(tg_user));

    let done = app.request(Method::GET, &status, None, None).await;
    assert_eq!(done.body["status"], "completed", "{}", done.text);
    let access = done.body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/auth/me", access).await;
    assert_eq!(me.body["email"], master.email.as_str());
    assert_eq!(poll(&app, &status).await, json!({"status": "expired"}), "the tokens are handed out once");

    // Cancelled in the bot: never completes.
    let init = app.request_with(Method::POST, "/api/v1/auth/telegram/init", None, None, &[("host", &host)]).await;
    let auth_code = init.body["auth_code"].as_str().unwrap().to_owned();
    let start = init.body["deep_link"].as_str().unwrap().rsplit("login_").next().unwrap().to_owned();
    bot.deliver(text_update(6, tg_user, &format!("/start login_{start}"))).await;
    let cancel = bot.screen(tg_user).1[1].1.clone();
    bot.deliver(callback_update(7, tg_user, &cancel, 1)).await;
    assert_eq!(poll(&app, &format!("/api/v1/auth/telegram/status/{auth_code}")).await, json!({"status": "expired"}));
    assert_eq!(poll(&app, "/api/v1/auth/telegram/status/nosuchcode").await, json!({"status": "expired"}));
}

#[tokio::test]
async fn sign_in_codes_expire_after_five_minutes() {
    let api = BotApi::start().await;
    let app = TestApp::spawn_with(&[("TELEGRAM_API_URL", &api.url()), ("PLATFORM_TELEGRAM_BOT_TOKEN", &api.token("adelante_bot"))]).await;
    let init = app.post("/api/v1/auth/telegram/init", None, json!({})).await;
    assert_eq!(init.status, StatusCode::OK, "{}", init.text);
    assert_eq!(init.body["bot_username"], "adelante_bot", "the bare domain uses the platform's bot");
    let auth_code = init.body["auth_code"].as_str().unwrap();
    // Redis expires the code: shorten its life as five minutes passing would.
    let mut redis = redis_conn().await;
    let key = format!("test:{}:tg:login:{auth_code}", app.db_name);
    let ttl: i64 = deadpool_redis::redis::cmd("PTTL").arg(&key).query_async(&mut redis).await.unwrap();
    assert!((295_000..=300_000).contains(&ttl), "{ttl}");
    let _: () = deadpool_redis::redis::cmd("PEXPIRE").arg(&key).arg(1).query_async(&mut redis).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(poll(&app, &format!("/api/v1/auth/telegram/status/{auth_code}")).await, json!({"status": "expired"}));
}

async fn redis_conn() -> deadpool_redis::redis::aio::MultiplexedConnection {
    let client = deadpool_redis::redis::Client::open(common::redis_url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

#[tokio::test]
async fn the_platform_bot_signs_in_accounts_of_any_salon_through_its_own_webhook() {
    let api = BotApi::start().await;
    let token = api.token("adelante_bot");
    let app = TestApp::spawn_with(&[
        ("TELEGRAM_API_URL", &api.url()),
        ("PLATFORM_TELEGRAM_BOT_TOKEN", &token),
        ("PUBLIC_URL", "https://api.adelante.test"),
    ])
    .await;
    adelante::telegram::register_platform_bot(&app.state.telegram, "https://api.adelante.test").await.unwrap();
    let hook = api.calls_of("setWebhook").pop().unwrap();
    let path = hook.params["url"].as_str().unwrap().strip_prefix("https://api.adelante.test").unwrap().to_owned();
    let secret = hook.params["secret_token"].as_str().unwrap().to_owned();
    let deliver = |update: Value, secret: String| {
        let req = app.client.post(app.url(&path)).header("X-Telegram-Bot-Api-Secret-Token", secret).json(&update);
        async move { req.send().await.unwrap().status() }
    };

    let admin = app.new_salon("Салон А").await;
    let (master, _) = master_with_account(&app, &admin).await;
    let link = app.post("/api/v1/auth/telegram/link", Some(&master.access), json!({})).await;
    assert_eq!(link.body["bot_username"], "adelante_bot", "a salon without its own bot links through the platform's");
    let code = link.body["link_code"].as_str().unwrap();
    assert_eq!(deliver(text_update(1, 6201, &format!("/start link_{code}")), "wrong".into()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(text_update(1, 6201, &format!("/start link_{code}")), secret.clone()).await, StatusCode::OK);
    api.wait_for("sendMessage", 1).await;

    let init = app.post("/api/v1/auth/telegram/init", None, json!({})).await;
    let auth_code = init.body["auth_code"].as_str().unwrap().to_owned();
    let start = init.body["deep_link"].as_str().unwrap().rsplit("login_").next().unwrap().to_owned();
    assert_eq!(deliver(text_update(2, 6201, &format!("/start login_{start}")), secret.clone()).await, StatusCode::OK);
    let asked = api.wait_for("sendMessage", 2).await;
    let confirm = asked[1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].as_str().unwrap().to_owned();
    // A redelivered update is taken once.
    assert_eq!(deliver(callback_update(3, 6201, &confirm, 1), secret.clone()).await, StatusCode::OK);
    assert_eq!(deliver(callback_update(3, 6201, &confirm, 1), secret.clone()).await, StatusCode::OK);
    api.wait_for("sendMessage", 3).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(api.calls_of("answerCallbackQuery").len(), 1);
    let done = app.request(Method::GET, &format!("/api/v1/auth/telegram/status/{auth_code}"), None, None).await;
    assert_eq!(done.body["status"], "completed", "{}", done.text);
    assert_eq!(done.body["user"]["email"], master.email.as_str());
}
