//! A Telegram Bot API on loopback, for `Bot::set_api_url`: it takes what teloxide sends
//! (`POST {url}/bot{token}/{method}` with a JSON body; query strings, url-encoded and multipart
//! bodies too), keeps every call, and answers as Telegram does for the methods a salon's bot
//! uses. Method names compare case-insensitively, as Telegram's do (teloxide sends
//! `SendMessage`: match calls with [`BotApi::calls_of`] or [`Call::is`]); any method it does
//! not know answers `true`.
//!
//! Tokens come from [`BotApi::token`]; any other token is refused for every method, 401
//! `Unauthorized` (404 `Not Found` when it is not even shaped `{id}:{secret}`), which teloxide
//! reads as `ApiError::InvalidToken`. It checks what Telegram checks before it sends anything:
//! an HTTPS webhook, a webhook secret of `A-Za-z0-9_-`, a message text of 1 to 4096
//! characters, button data of 1 to 64 bytes.
//!
//! Faults: [`BotApi::retry_after_once`] answers one call 429 with `retry_after`, and
//! [`BotApi::fail`] fails a method until [`BotApi::heal`]. teloxide waits 10 s before it reads
//! any 5xx answer, so prefer 4xx codes there.
//!
//! The update builders make what Telegram POSTs to a webhook: a private chat's id is its user's.
//! Parse one from its text: from a `Value`, teloxide reads every update as `UpdateKind::Error`.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

/// A request the server received, whatever it answered.
#[derive(Debug, Clone)]
pub struct Call {
    /// As in the URL, percent-decoded.
    pub token: String,
    /// As sent: teloxide spells them `SendMessage`, Telegram's documentation `sendMessage`;
    /// compare with [`Call::is`].
    pub method: String,
    /// The parameters as one JSON object (a form's values are strings; JSON-looking ones are
    /// parsed, as `reply_markup` is; an uploaded file is `{"file_name", "size"}`).
    pub params: Value,
    pub at: Instant,
}

impl Call {
    /// Whether this is a call of `method`, in any spelling of its case.
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }
}

/// A bot a token was made for.
struct Bot {
    id: i64,
    username: String,
    webhook: Option<Webhook>,
}

struct Webhook {
    url: String,
    allowed_updates: Option<Value>,
    max_connections: u64,
}

#[derive(Default)]
struct Shared {
    bots: Mutex<HashMap<String, Bot>>,
    calls: Mutex<Vec<Call>>,
    /// Lower-cased method → seconds, for one call each.
    retry_once: Mutex<HashMap<String, u32>>,
    /// Lower-cased method → code and description, until healed.
    failing: Mutex<HashMap<String, (u16, String)>>,
    last_message_id: AtomicI64,
}

pub struct BotApi {
    port: u16,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl BotApi {
    pub async fn start() -> BotApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new().fallback(answer).with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        BotApi { port, shared, task }
    }

    /// `TELEGRAM_API_URL` for this server, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new valid token, `{bot_id}:{secret}` with a fresh random bot id, whose `getMe` is
    /// `@username`.
    pub fn token(&self, username: &str) -> String {
        use rand::Rng;
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let mut rng = rand::thread_rng();
        let mut bots = self.shared.bots.lock().unwrap();
        loop {
            let id = rng.gen_range(1..1i64 << 40);
            let secret: String = (0..33).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect();
            let token = format!("{id}:AA{secret}");
            if bots.values().all(|b| b.id != id) {
                bots.insert(token.clone(), Bot { id, username: username.to_owned(), webhook: None });
                return token;
            }
        }
    }

    /// Every call so far, in the order they arrived.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// The calls of one method (any spelling of its case), in order.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.is(method)).collect()
    }

    /// Forgets the calls so far (the `getMe` and `setWebhook` of connecting a bot, say).
    pub fn clear(&self) {
        self.shared.calls.lock().unwrap().clear();
    }

    /// The calls of `method` once there are at least `n`; panics after 15 s with what came.
    pub async fn wait_for(&self, method: &str, n: usize) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let calls = self.calls_of(method);
            if calls.len() >= n {
                return calls;
            }
            if tokio::time::Instant::now() > deadline {
                let seen: Vec<String> = self.calls().into_iter().map(|c| c.method).collect();
                panic!("expected {n} {method} calls, the Bot API has {}: {seen:?}", calls.len());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The next call of `method` is answered 429 with `retry_after: seconds`; later ones as usual.
    pub fn retry_after_once(&self, method: &str, seconds: u32) {
        self.shared.retry_once.lock().unwrap().insert(method.to_ascii_lowercase(), seconds);
    }

    /// Every later call of `method` fails with `code` and `description` (teloxide reads the
    /// description: "Forbidden: bot was blocked by the user" is `ApiError::BotBlocked`).
    pub fn fail(&self, method: &str, code: u16, description: &str) {
        self.shared.failing.lock().unwrap().insert(method.to_ascii_lowercase(), (code, description.to_owned()));
    }

    /// Ends every fault: [`Self::fail`]s and unspent [`Self::retry_after_once`]s.
    pub fn heal(&self) {
        self.shared.failing.lock().unwrap().clear();
        self.shared.retry_once.lock().unwrap().clear();
    }
}

impl Drop for BotApi {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A user's text message in their private chat with the bot; a leading `/command` gets its
/// `bot_command` entity.
pub fn text_update(update_id: i64, user_id: i64, text: &str) -> Value {
    let mut message = user_message(update_id, user_id, "Client");
    message["text"] = json!(text);
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        message["entities"] = json!([{"offset": 0, "length": command.encode_utf16().count(), "type": "bot_command"}]);
    }
    json!({"update_id": update_id, "message": message})
}

/// A user sharing their own phone number (the request_contact button).
pub fn contact_update(update_id: i64, user_id: i64, phone: &str, first_name: &str) -> Value {
    let mut message = user_message(update_id, user_id, first_name);
    message["contact"] = json!({"phone_number": phone, "first_name": first_name, "user_id": user_id});
    json!({"update_id": update_id, "message": message})
}

/// A user pressing a button with `data` under the bot's message `message_id` in their chat.
pub fn callback_update(update_id: i64, user_id: i64, data: &str, message_id: i64) -> Value {
    let bot = json!({"id": 1, "is_bot": true, "first_name": "Bot", "username": "bot"});
    let message = json!({
        "message_id": message_id,
        "from": bot,
        "chat": private_chat(user_id, "Client"),
        "date": now(),
        "text": "…",
    });
    json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("{}{:06}", user_id.unsigned_abs(), update_id.unsigned_abs() % 1_000_000),
            "from": user(user_id, "Client"),
            "message": message,
            "chat_instance": format!("-{}", user_id.unsigned_abs().wrapping_mul(2_654_435_761) % 10_000_000_000_000_000),
            "data": data,
        }
    })
}

fn user(id: i64, first_name: &str) -> Value {
    json!({"id": id, "is_bot": false, "first_name": first_name, "language_code": "uk"})
}

fn private_chat(id: i64, first_name: &str) -> Value {
    json!({"id": id, "type": "private", "first_name": first_name})
}

fn user_message(message_id: i64, user_id: i64, first_name: &str) -> Value {
    json!({
        "message_id": message_id,
        "from": user(user_id, first_name),
        "chat": private_chat(user_id, first_name),
        "date": now(),
    })
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Every request: `/bot{token}/{method}` under any prefix.
async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let Some((token, method)) = route(request.uri().path()) else {
        return error(404, "Not Found", None);
    };
    let params = params(request).await;
    shared.calls.lock().unwrap().push(Call {
        token: token.clone(),
        method: method.clone(),
        params: params.clone(),
        at: Instant::now(),
    });

    let name = method.to_ascii_lowercase();
    let Some((bot_id, username)) = shared.bots.lock().unwrap().get(&token).map(|b| (b.id, b.username.clone())) else {
        let shaped =
            token.split_once(':').is_some_and(|(id, _)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
        return if shaped { error(401, "Unauthorized", None) } else { error(404, "Not Found", None) };
    };
    if let Some(seconds) = shared.retry_once.lock().unwrap().remove(&name) {
        let description = format!("Too Many Requests: retry after {seconds}");
        return error(429, &description, Some(json!({"retry_after": seconds})));
    }
    if let Some((code, description)) = shared.failing.lock().unwrap().get(&name).cloned() {
        return error(code, &description, None);
    }

    let bot = json!({"id": bot_id, "is_bot": true, "first_name": username, "username": username});
    match name.as_str() {
        "getme" => {
            let mut me = bot;
            for (key, value) in [
                ("can_join_groups", true),
                ("can_read_all_group_messages", false),
                ("supports_inline_queries", false),
                ("can_connect_to_business", false),
                ("has_main_web_app", false),
            ] {
                me[key] = json!(value);
            }
            ok(me)
        }
        "setwebhook" => set_webhook(&shared, &token, &params),
        "deletewebhook" => {
            let had = shared.bots.lock().unwrap().get_mut(&token).unwrap().webhook.take().is_some();
            ok_described(if had { "Webhook was deleted" } else { "Webhook is already deleted" })
        }
        "getwebhookinfo" => {
            let bots = shared.bots.lock().unwrap();
            let info = match &bots[&token].webhook {
                None => json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}),
                Some(hook) => {
                    let mut info = json!({"url": hook.url, "has_custom_certificate": false, "pending_update_count": 0,
                        "max_connections": hook.max_connections});
                    if let Some(allowed) = &hook.allowed_updates {
                        info["allowed_updates"] = allowed.clone();
                    }
                    info
                }
            };
            ok(info)
        }
        "sendmessage" => {
            let id = shared.last_message_id.fetch_add(1, Ordering::SeqCst) + 1;
            message(&params, id, bot, false)
        }
        "editmessagetext" if params.get("inline_message_id").is_some() => match text(&params) {
            Ok(_) => ok(json!(true)),
            Err(refused) => error(400, refused, None),
        },
        "editmessagetext" => match params.get("message_id").and_then(integer) {
            Some(id) => message(&params, id, bot, true),
            None => error(400, "Bad Request: message identifier is not specified", None),
        },
        _ => ok(json!(true)),
    }
}

fn set_webhook(shared: &Shared, token: &str, params: &Value) -> Response {
    let url = params.get("url").and_then(Value::as_str).unwrap_or("");
    let mut bots = shared.bots.lock().unwrap();
    let bot = bots.get_mut(token).unwrap();
    if url.is_empty() {
        let had = bot.webhook.take().is_some();
        return ok_described(if had { "Webhook was deleted" } else { "Webhook is already deleted" });
    }
    if !url.starts_with("https://") {
        return error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", None);
    }
    if let Some(secret) = params.get("secret_token").and_then(Value::as_str)
        && (secret.is_empty()
            || secret.len() > 256
            || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return error(400, "Bad Request: secret token contains unallowed characters", None);
    }
    let unchanged = bot.webhook.as_ref().is_some_and(|h| h.url == url);
    bot.webhook = Some(Webhook {
        url: url.to_owned(),
        allowed_updates: params.get("allowed_updates").cloned(),
        max_connections: params
            .get("max_connections")
            .and_then(integer)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(40),
    });
    ok_described(if unchanged { "Webhook is already set" } else { "Webhook was set" })
}

/// The message `sendMessage` or `editMessageText` answers: in the private chat `chat_id`, from
/// the bot, with the text as sent and an inline keyboard echoed (Telegram never returns a
/// reply keyboard in a message).
fn message(params: &Value, message_id: i64, bot: Value, edited: bool) -> Response {
    let text = match text(params) {
        Ok(text) => text,
        Err(refused) => return error(400, refused, None),
    };
    let Some(chat_id) = params.get("chat_id").and_then(integer) else {
        let description = if params.get("chat_id").is_some() {
            "Bad Request: chat not found"
        } else {
            "Bad Request: chat_id is empty"
        };
        return error(400, description, None);
    };
    let mut message = json!({
        "message_id": message_id,
        "from": bot,
        "chat": private_chat(chat_id, "Client"),
        "date": now(),
        "text": text,
    });
    if edited {
        message["edit_date"] = json!(now());
    }
    if let Some(markup) = params.get("reply_markup")
        && let Some(rows) = markup.get("inline_keyboard").and_then(Value::as_array)
    {
        let bad_data =
            rows.iter().filter_map(Value::as_array).flatten().filter_map(|b| b.get("callback_data")).any(|d| {
                let len = d.as_str().map_or(0, str::len);
                !(1..=64).contains(&len)
            });
        if bad_data {
            return error(400, "Bad Request: BUTTON_DATA_INVALID", None);
        }
        message["reply_markup"] = markup.clone();
    }
    ok(message)
}

/// The `text` parameter, or why Telegram refuses it (a 400).
fn text(params: &Value) -> Result<String, &'static str> {
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    if text.trim().is_empty() {
        Err("Bad Request: message text is empty")
    } else if text.chars().count() > 4096 {
        Err("Bad Request: message is too long")
    } else {
        Ok(text.to_owned())
    }
}

/// A number, or a string of one (a form's values are strings).
fn integer(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.trim().parse().ok())
}

fn ok(result: Value) -> Response {
    reply(200, json!({"ok": true, "result": result}))
}

fn ok_described(description: &str) -> Response {
    reply(200, json!({"ok": true, "result": true, "description": description}))
}

fn error(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    reply(code, body)
}

fn reply(code: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The token and method of `…/bot{token}/{method}`.
fn route(path: &str) -> Option<(String, String)> {
    let mut segments = path.rsplit('/').filter(|s| !s.is_empty());
    let method = segments.next()?;
    let token = segments.next()?.strip_prefix("bot")?;
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    Some((decode(token), decode(method)))
}

/// The query string's parameters and the body's, as one JSON object.
async fn params(request: Request) -> Value {
    let mut params = Map::new();
    if let Some(query) = request.uri().query() {
        form(query.as_bytes(), &mut params);
    }
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let Ok(mut multipart) = Multipart::from_request(request, &()).await else {
            return Value::Object(params);
        };
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let Ok(bytes) = field.bytes().await else { break };
            let value = match file_name {
                Some(file_name) => json!({"file_name": file_name, "size": bytes.len()}),
                None => form_value(&String::from_utf8_lossy(&bytes)),
            };
            params.insert(name, value);
        }
        return Value::Object(params);
    }
    let body = axum::body::to_bytes(request.into_body(), usize::MAX).await.unwrap_or_default();
    if content_type.starts_with("application/json") {
        if let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) {
            params.extend(fields);
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        form(&body, &mut params);
    }
    Value::Object(params)
}

fn form(encoded: &[u8], params: &mut Map<String, Value>) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded).unwrap_or_default();
    for (key, value) in pairs {
        params.insert(key, form_value(&value));
    }
}

/// A form value: JSON-serialized objects and arrays (`reply_markup`) parsed, the rest a string.
fn form_value(value: &str) -> Value {
    if value.starts_with(['{', '[']) {
        serde_json::from_str(value).unwrap_or_else(|_| json!(value))
    } else {
        json!(value)
    }
}
