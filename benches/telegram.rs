//! Telegram webhook figures, printed (no pass/fail): `cargo bench --bench telegram`.
//!
//! 50 salons, each with its own bot and 8 clients who shared their phone, and the worker of
//! `adelante serve` running: 2,000 webhook updates in one burst (`/start`, and the day and
//! time screens, which run the free-slot search), 64 at a time (`BENCH_IN_FLIGHT`). Printed: the time to
//! acknowledge each update (measured by the sender on loopback, so an upper bound of the
//! server's own), whether every one was answered 200, how long the worker took to handle them
//! all, and that each was handled once (one answer to Telegram per update; redelivering 200 of
//! them changes nothing).
//!
//! It runs against the PostgreSQL and Redis of the tests, with the tests' harness and loopback
//! Bot API. Under `cargo test`/`nextest` (no `--bench` argument) it does nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{
    TestApp,
    telegram::{BotApi, callback_update, contact_update, text_update},
};
use futures::{StreamExt, stream};
use serde_json::{Value, json};

const SALONS: usize = 50;
const CHATS_PER_SALON: i64 = 8;
const UPDATES: usize = 2_000;
/// Requests in flight at once (`BENCH_IN_FLIGHT`).
fn in_flight() -> usize {
    std::env::var("BENCH_IN_FLIGHT").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

struct Bot {
    path: String,
    secret: String,
    service: i64,
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let api = BotApi::start().await;
    let app = TestApp::spawn_with(&[
        ("TELEGRAM_API_URL", &api.url()),
        ("PUBLIC_URL", "https://api.adelante.test"),
        ("LOGIN_MAX_FAILURES", "100000"),
        ("DB_MAX_CONNECTIONS", "24"),
    ])
    .await;
    app.freeze_clock("2027-03-10T07:00:00Z");
    // The server's own latency of each request, as /metrics reports it.
    let metrics = adelante::observability::metrics_handle();
    let _worker = app.start_worker();

    let mut bots = Vec::new();
    for n in 0..SALONS {
        let admin = app.new_salon(&format!("Салон {n}")).await;
        app.working_member(&admin, "Ірина").await;
        let service = app.service(&admin, "Стрижка", 60, 450.0).await;
        let token = api.token(&format!("salon_{n}_bot"));
        let res = app.put("/api/v1/settings/telegram", &admin.access, json!({"token": token})).await;
        assert!(res.status.is_success(), "{}", res.text);
        let hook = api.calls_of("setWebhook").pop().unwrap();
        let url = hook.params["url"].as_str().unwrap();
        bots.push(Bot {
            path: url.strip_prefix("https://api.adelante.test").unwrap().to_owned(),
            secret: hook.params["secret_token"].as_str().unwrap().to_owned(),
            service,
        });
    }
    let bots = Arc::new(bots);
    let chat = |salon: usize, k: i64| 100_000 + salon as i64 * 100 + k;

    // Every chat shares its phone first: slot browsing is for known clients.
    let mut update_id = 1;
    for (s, bot) in bots.iter().enumerate() {
        for k in 0..CHATS_PER_SALON {
            let phone = format!("+38067{:07}", s as i64 * 100 + k);
            send(&app, bot, &contact_update(update_id, chat(s, k), &phone, "Олена")).await;
            update_id += 1;
        }
    }
    wait_for_queue(&app).await;
    api.clear();

    // The burst: a third /start, a third the days of a service (slot search over two weeks),
    // a third the times of one day.
    let updates: Vec<(usize, Value)> = (0..UPDATES)
        .map(|i| {
            let s = i % SALONS;
            let c = chat(s, (i / SALONS) as i64 % CHATS_PER_SALON);
            let id = 1_000_000 + i as i64;
            let service = bots[s].service;
            let update = match i % 3 {
                0 => text_update(id, c, "/start"),
                1 => callback_update(id, c, &format!("bm:{service}:0"), 1),
                _ => callback_update(id, c, &format!("bd:{service}:0:20270311"), 1),
            };
            (s, update)
        })
        .collect();
    let started = Instant::now();
    let results: Vec<(u16, Duration)> = stream::iter(updates.iter().cloned())
        .map(|(s, update)| {
            let (app, bots) = (&app, bots.clone());
            async move {
                let t = Instant::now();
                let status = send(app, &bots[s], &update).await;
                (status, t.elapsed())
            }
        })
        .buffer_unordered(in_flight())
        .collect()
        .await;
    let acked = started.elapsed();
    wait_for_queue(&app).await;
    let handled = started.elapsed();

    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let mut times: Vec<Duration> = results.iter().map(|(_, t)| *t).collect();
    times.sort();
    let answered = answers(&api);
    println!("telegram webhook burst: {UPDATES} updates to {SALONS} bots, {} in flight", in_flight());
    println!(
        "  acknowledged: {ok}/{UPDATES} with 200 in {:.2} s ({:.0}/s)",
        acked.as_secs_f64(),
        UPDATES as f64 / acked.as_secs_f64()
    );
    println!(
        "  time to 200: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(&times, 0.50),
        ms(&times, 0.95),
        ms(&times, 0.99),
        times.last().unwrap().as_secs_f64() * 1000.0
    );
    for line in metrics.render().lines().filter(|l| l.starts_with("http_request_duration_seconds{") && l.contains("/telegram/{hook}")) {
        println!("  server-side {line}");
    }
    println!("  all handled by the worker after {:.2} s; answers to Telegram: {answered} (one per update)", handled.as_secs_f64());

    // Telegram redelivers: nothing is handled twice.
    for (s, update) in updates.iter().take(200) {
        send(&app, &bots[*s], update).await;
    }
    wait_for_queue(&app).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = answers(&api);
    println!("  200 redelivered: answers now {again} (unchanged: {})", again == answered);
    let taken = app.count("select count(*) from telegram_updates where update_id >= 1000000").await;
    println!("  updates recorded once each: {taken}");
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

/// The bot's answers: a new message for /start, the screen edited in place for a button.
fn answers(api: &BotApi) -> usize {
    api.calls().iter().filter(|c| c.is("sendMessage") || c.is("editMessageText")).count()
}

async fn send(app: &TestApp, bot: &Bot, update: &Value) -> u16 {
    app.client
        .post(app.url(&bot.path))
        .header("X-Telegram-Bot-Api-Secret-Token", &bot.secret)
        .json(update)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

async fn wait_for_queue(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while app.count("select count(*) from graphile_worker.jobs where task_identifier = 'telegram:update'").await > 0 {
        assert!(Instant::now() < deadline, "the worker did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
