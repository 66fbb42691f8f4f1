//! Reminder figures, printed (no pass/fail): `cargo bench --bench reminders`.
//!
//! 1. What queueing a visit's messages adds to a booking's transaction: a transaction that
//!    writes a visit and calls `visit_changed` (the salon's reminder rules read, a confirmation
//!    and a keyed reminder queued in one `graphile_worker.add_jobs`), against the same
//!    transaction writing the visit alone.
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

/// `BENCH_SALONS` x `BENCH_REMINDERS` (100 x 100 by default) for the drain.
fn drain_size() -> (i64, i64) {
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    (var("BENCH_SALONS"), var("BENCH_REMINDERS"))
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if std::env::var_os("RUST_LOG").is_some() {
        // Each job's span closes with its busy and idle time.
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .init();
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
    // Both transactions write the visit, as a booking does (and pay for the commit's flush);
    // the second also queues its messages.
    for _ in 0..ENQUEUES {
        let t = Instant::now();
        let mut tx = app.state.db.begin(salon).await.unwrap();
        insert_visit(&mut tx, starts_at).await;
        tx.commit().await.unwrap();
        bare.push(t.elapsed());

        let t = Instant::now();
        let mut tx = app.state.db.begin(salon).await.unwrap();
        let id = insert_visit(&mut tx, starts_at).await;
        visits::visit_changed(&mut tx, id, None, visit).await.unwrap();
        tx.commit().await.unwrap();
        with.push(t.elapsed());
    }
    bare.sort();
    with.sort();
    println!("enqueue cost ({ENQUEUES} new visits, one transaction each; target: <= 1 ms added at p50)");
    println!(
        "  booking alone                p50 {:.3} ms  p99 {:.3} ms",
        percentile(&bare, 0.5),
        percentile(&bare, 0.99)
    );
    println!(
        "  booking + its messages       p50 {:.3} ms  p99 {:.3} ms",
        percentile(&with, 0.5),
        percentile(&with, 0.99)
    );
    println!("  added at p50                 {:.3} ms", percentile(&with, 0.5) - percentile(&bare, 0.5));
    sqlx::query("delete from graphile_worker._private_jobs").execute(&mut app.su().await).await.unwrap();
}

/// A visit row standing in for a booking's write.
async fn insert_visit(tx: &mut adelante::tenancy::TenantTx, starts_at: chrono::DateTime<chrono::Utc>) -> i64 {
    sqlx::query_scalar(
        "insert into appointments (client_name, date, start_time, end_time, starts_at, ends_at, service_name)
         values ('Клієнт', ($1 at time zone 'Europe/Kyiv')::date, '10:00', '11:00', $1, $1 + interval '1 hour', 'Стрижка')
         returning id",
    )
    .bind(starts_at)
    .fetch_one(tx.conn())
    .await
    .unwrap()
}

async fn drain(app: &TestApp, smtp: &SmtpServer, concurrency: &str) {
    let (salons, per_salon) = drain_size();
    let total = (salons * per_salon) as usize;
    let seeding = Instant::now();
    for s in 0..salons {
        let admin = app.new_salon(&format!("Салон {s}")).await;
        common::visits::due_reminders(app, admin.salon_id(), per_salon).await;
    }
    println!(
        "drain ({salons} salons x {per_salon} reminders due at once, one worker, JOBS_CONCURRENCY={concurrency}, \
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
