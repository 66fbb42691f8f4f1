//! Reminder figures, printed (no pass/fail): `cargo bench --bench reminders`.
//!
//! 1. What queueing a visit's messages adds to a booking's transaction: `visit_changed` for a
//!    new visit (a confirmation and a keyed reminder, `graphile_worker.add_job` twice) between
//!    BEGIN and COMMIT, against the same transaction without it.
//! 2. 10,000 reminders due at once across 100 salons, drained by one worker (the worker of
//!    `adelante serve`) into the loopback SMTP server of the tests: messages per second.
//!
//! It runs against the PostgreSQL and Redis of the tests, on a database of its own cloned
//! from the tests' template, with the tests' harness. Under `cargo test`/`nextest` (no
//! `--bench` argument) it does nothing, so `--all-targets` runs stay quick.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use adelante::{
    messaging::visits::{self, Stage, VisitState},
    tenancy::SalonId,
};
use common::{TestApp, smtp::SmtpServer};

const ENQUEUES: usize = 2_000;
const SALONS: i64 = 100;
const REMINDERS_PER_SALON: i64 = 100;

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let concurrency = std::env::var("JOBS_CONCURRENCY").unwrap_or_else(|_| "4".into());
    let smtp = SmtpServer::start().await;
    // A hundred registrations from one address: more than the sign-up throttle lets through.
    let app = TestApp::spawn_with(&[("SMTP_URL", &smtp.url()), ("JOBS_CONCURRENCY", &concurrency), ("LOGIN_MAX_FAILURES", "100000")]).await;
    enqueue_cost(&app).await;
    drain(&app, &smtp, &concurrency).await;
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn enqueue_cost(app: &TestApp) {
    let admin = app.new_salon("Bench").await;
    let salon = SalonId(admin.salon_id());
    let starts_at = chrono::Utc::now() + chrono::Duration::days(3);
    let visit = VisitState { starts_at, stage: Stage::Upcoming };
    let (mut bare, mut with) = (Vec::with_capacity(ENQUEUES), Vec::with_capacity(ENQUEUES));
    for i in 0..ENQUEUES {
        let t = Instant::now();
        let tx = app.state.db.begin(salon).await.unwrap();
        tx.commit().await.unwrap();
        bare.push(t.elapsed());

        let t = Instant::now();
        let mut tx = app.state.db.begin(salon).await.unwrap();
        visits::visit_changed(&mut tx, 1_000_000 + i as i64, None, visit).await.unwrap();
        tx.commit().await.unwrap();
        with.push(t.elapsed());
    }
    bare.sort();
    with.sort();
    println!("enqueue cost ({ENQUEUES} new visits, one transaction each; target: <= 1 ms added at p50)");
    println!(
        "  begin+commit                 p50 {:.3} ms  p99 {:.3} ms",
        percentile(&bare, 0.5),
        percentile(&bare, 0.99)
    );
    println!(
        "  begin+visit_changed+commit   p50 {:.3} ms  p99 {:.3} ms",
        percentile(&with, 0.5),
        percentile(&with, 0.99)
    );
    println!("  added at p50                 {:.3} ms", percentile(&with, 0.5) - percentile(&bare, 0.5));
    sqlx::query("delete from graphile_worker._private_jobs").execute(&mut app.su().await).await.unwrap();
}

async fn drain(app: &TestApp, smtp: &SmtpServer, concurrency: &str) {
    let total = (SALONS * REMINDERS_PER_SALON) as usize;
    let seeding = Instant::now();
    for s in 0..SALONS {
        let admin = app.new_salon(&format!("Салон {s}")).await;
        common::visits::due_reminders(app, admin.salon_id(), REMINDERS_PER_SALON).await;
    }
    println!(
        "drain ({SALONS} salons x {REMINDERS_PER_SALON} reminders due at once, one worker, JOBS_CONCURRENCY={concurrency}, \
         loopback SMTP; target: >= 500/s); seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    // The hundred owners' welcome mails are not part of the figure.
    sqlx::query(
        "delete from graphile_worker._private_jobs j using graphile_worker._private_tasks t
         where t.id = j.task_id and t.identifier = 'send_email'",
    )
    .execute(&mut app.su().await)
    .await
    .unwrap();
    let start = Instant::now();
    let worker = app.start_worker();
    let deadline = Instant::now() + Duration::from_secs(600);
    while smtp.count() < total {
        assert!(Instant::now() < deadline, "only {} of {total} delivered in 10 minutes", smtp.count());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = start.elapsed().as_secs_f64();
    drop(worker);
    println!("  {total} delivered in {took:.2} s: {:.0} reminders/s", total as f64 / took);
}
