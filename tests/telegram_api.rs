//! The loopback Bot API of `common::telegram` against teloxide itself: what the salon bots'
//! tests rely on it answering. No database, no Redis.

mod common;

use common::telegram::{BotApi, callback_update, contact_update, text_update};
use serde_json::{Value, json};
use teloxide::{
    ApiError, Bot, RequestError,
    payloads::{SendMessageSetters, SetWebhookSetters},
    prelude::Requester,
    types::{
        AllowedUpdate, ButtonRequest, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton,
        KeyboardMarkup, MessageEntityKind, MessageId, Update, UpdateKind, UserId,
    },
};

fn bot(api: &BotApi, token: &str) -> Bot {
    Bot::new(token).set_api_url(reqwest::Url::parse(&api.url()).unwrap())
}

#[tokio::test]
async fn teloxide_connects_a_bot_and_talks_in_a_chat() {
    let api = BotApi::start().await;
    let token = api.token("salon_a_bot");
    let bot = bot(&api, &token);

    let me = bot.get_me().await.unwrap();
    assert_eq!(me.username(), "salon_a_bot");
    assert!(me.is_bot);
    assert_eq!(me.id.0.to_string(), token.split_once(':').unwrap().0, "the id is the token's");
    assert!(me.id.0 < 1 << 40);

    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url, None, "no webhook yet");
    let hook = reqwest::Url::parse("https://api.adelante.test/telegram/hook").unwrap();
    bot.set_webhook(hook.clone())
        .secret_token("s3cret_-token")
        .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
        .await
        .unwrap();
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url, Some(hook));
    assert_eq!(info.allowed_updates, Some(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]));

    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Так", "yes")]]);
    let sent = bot.send_message(ChatId(42), "hi").reply_markup(keyboard.clone()).await.unwrap();
    assert_eq!(sent.chat.id, ChatId(42));
    assert!(sent.chat.is_private());
    assert_eq!(sent.text(), Some("hi"));
    assert_eq!(sent.from.as_ref().map(|u| u.id), Some(me.id));
    assert_eq!(sent.reply_markup(), Some(&keyboard));
    // A reply keyboard is not echoed in the message, as Telegram does not.
    let share = KeyboardMarkup::new([[KeyboardButton::new("Поділитися номером").request(ButtonRequest::Contact)]]);
    let second = bot.send_message(ChatId(42), "номер?").reply_markup(share).await.unwrap();
    assert!(second.id.0 > sent.id.0);
    assert_eq!(second.reply_markup(), None);

    let edited = bot.edit_message_text(ChatId(42), sent.id, "edited").await.unwrap();
    assert_eq!((edited.id, edited.text()), (sent.id, Some("edited")));
    assert!(edited.edit_date().is_some());
    bot.answer_callback_query("4242".into()).await.unwrap();
    bot.delete_message(ChatId(42), MessageId(sent.id.0)).await.unwrap();
    bot.delete_webhook().await.unwrap();
    assert_eq!(bot.get_webhook_info().await.unwrap().url, None);

    // teloxide spells the methods its own way; Telegram (and `calls_of`) ignore the case.
    let methods: Vec<String> = api.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(
        methods,
        [
            "GetMe",
            "GetWebhookInfo",
            "SetWebhook",
            "GetWebhookInfo",
            "SendMessage",
            "SendMessage",
            "EditMessageText",
            "AnswerCallbackQuery",
            "DeleteMessage",
            "DeleteWebhook",
            "GetWebhookInfo"
        ]
    );
    assert!(api.calls()[4].is("sendMessage"));
    assert!(api.calls().iter().all(|c| c.token == token));
    let hook_call = &api.calls_of("SETWEBHOOK")[0];
    assert_eq!(hook_call.params["secret_token"], "s3cret_-token");
    assert_eq!(hook_call.params["allowed_updates"], json!(["message", "callback_query"]));
    let sends = api.calls_of("sendMessage");
    assert_eq!((sends[0].params["chat_id"].as_i64(), sends[0].params["text"].as_str()), (Some(42), Some("hi")));
    assert_eq!(sends[0].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "yes");
    assert_eq!(sends[1].params["reply_markup"]["keyboard"][0][0]["request_contact"], json!(true));
    assert_eq!(api.calls_of("answerCallbackQuery")[0].params["callback_query_id"], "4242");
    assert!(sends[0].at <= sends[1].at);

    api.clear();
    assert!(api.calls().is_empty());
}

#[tokio::test]
async fn an_unknown_token_is_refused_for_every_method() {
    let api = BotApi::start().await;
    let _known = api.token("salon_a_bot");
    let stranger = bot(&api, "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert!(matches!(stranger.get_me().await, Err(RequestError::Api(ApiError::InvalidToken))));
    assert!(matches!(stranger.send_message(ChatId(42), "hi").await, Err(RequestError::Api(ApiError::InvalidToken))));
    assert_eq!(
        api.calls_of("getMe")[0].token,
        "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "refused calls are kept too"
    );

    let res = reqwest::Client::new()
        .post(format!("{}/bot123456:nope/getMe", api.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );
    // Not even shaped like a token: Telegram does not route it.
    assert!(matches!(bot(&api, "garbage").get_me().await, Err(RequestError::Api(ApiError::InvalidToken))));
}

#[tokio::test]
async fn methods_compare_case_insensitively_and_forms_are_read() {
    let api = BotApi::start().await;
    let token = api.token("salon_a_bot");
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/bot{token}/SENDMESSAGE", api.url()))
        .form(&[
            ("chat_id", "77"),
            ("text", "form"),
            ("reply_markup", r#"{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]}"#),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["result"]["chat"], json!({"id": 77, "type": "private", "first_name": "Client"}));
    assert_eq!(body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "b");
    let calls = api.calls_of("sendMessage");
    assert_eq!(calls[0].method, "SENDMESSAGE", "kept as sent");
    assert_eq!(calls[0].params["text"], "form");

    let res = client.get(format!("{}/bot{token}/someNewMethod?x=1", api.url())).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"ok": true, "result": true}));
    assert_eq!(api.calls_of("somenewmethod")[0].params, json!({"x": "1"}));
    let res = client
        .post(format!("{}/bot{token}/setWebhook", api.url()))
        .json(&json!({"url": "http://plain.test/"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "Telegram wants HTTPS");
}

#[tokio::test]
async fn a_retry_after_is_answered_once_and_a_failure_until_healed() {
    let api = BotApi::start().await;
    let token = api.token("salon_a_bot");
    let bot = bot(&api, &token);

    api.retry_after_once("sendMessage", 1);
    match bot.send_message(ChatId(42), "hi").await {
        Err(RequestError::RetryAfter(after)) => assert_eq!(after.seconds(), 1),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    bot.send_message(ChatId(42), "hi").await.unwrap();
    assert_eq!(api.calls_of("sendMessage").len(), 2, "the refused call is kept");

    let res = reqwest::Client::new()
        .post(format!("{}/bot{token}/sendMessage", api.url()))
        .json(&json!({"chat_id": 1, "text": "x"}));
    api.retry_after_once("SendMessage", 3);
    let res = res.send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 3", "parameters": {"retry_after": 3}})
    );

    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user");
    for _ in 0..2 {
        assert!(matches!(bot.send_message(ChatId(42), "hi").await, Err(RequestError::Api(ApiError::BotBlocked))));
    }
    bot.get_me().await.expect("other methods are not affected");
    api.heal();
    bot.send_message(ChatId(42), "hi").await.unwrap();
}

#[tokio::test]
async fn wait_for_returns_once_the_calls_arrive() {
    let api = BotApi::start().await;
    let bot = bot(&api, &api.token("salon_a_bot"));
    let sender = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        for n in 0..2 {
            bot.send_message(ChatId(n + 1), "later").await.unwrap();
        }
    });
    let calls = api.wait_for("sendMessage", 2).await;
    assert_eq!(calls.len(), 2);
    sender.await.unwrap();
}

/// Parsed from its text, as a webhook receives it: teloxide's `UpdateKind` needs borrowed
/// keys, so `serde_json::from_value` makes every update an `UpdateKind::Error`.
fn update(value: Value) -> Update {
    serde_json::from_str(&value.to_string()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

#[test]
fn the_update_builders_are_telegrams_updates() {
    let start = update(text_update(10, 501, "/start ref_1"));
    assert_eq!(start.id.0, 10);
    let UpdateKind::Message(message) = start.kind else { panic!("a message") };
    assert_eq!(message.text(), Some("/start ref_1"));
    assert_eq!(message.chat.id, ChatId(501));
    assert!(message.chat.is_private());
    assert_eq!(message.from.as_ref().map(|u| (u.id, u.is_bot)), Some((UserId(501), false)));
    let entities = message.parse_entities().unwrap();
    assert_eq!(entities.len(), 1);
    assert_eq!((entities[0].kind(), entities[0].text()), (&MessageEntityKind::BotCommand, "/start"));
    let UpdateKind::Message(plain) = update(text_update(11, 501, "hello")).kind else { panic!("a message") };
    assert_eq!(plain.entities(), Some(&[][..]), "no entity without a command");

    let UpdateKind::Message(shared) = update(contact_update(12, 501, "+380671234567", "Олена")).kind else {
        panic!("a message")
    };
    let contact = shared.contact().expect("a contact");
    assert_eq!((contact.phone_number.as_str(), contact.first_name.as_str()), ("+380671234567", "Олена"));
    assert_eq!(contact.user_id, Some(UserId(501)), "their own number");
    assert_eq!(shared.from.as_ref().map(|u| u.id), Some(UserId(501)));

    let UpdateKind::CallbackQuery(query) = update(callback_update(13, 501, "bs:7", 99)).kind else {
        panic!("a callback query")
    };
    assert_eq!(query.data.as_deref(), Some("bs:7"));
    assert_eq!(query.from.id, UserId(501));
    assert!(!query.id.0.is_empty() && !query.chat_instance.is_empty());
    let pressed = query.regular_message().expect("an accessible message");
    assert_eq!((pressed.id, pressed.chat.id), (MessageId(99), ChatId(501)));
    assert!(pressed.from.as_ref().is_some_and(|u| u.is_bot));
}
