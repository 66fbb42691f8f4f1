//! The job queue: jobs enqueued with the change that causes them, run in their salon's
//! transaction, retried, failed for an operator, keyed, and never run twice.

mod common;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use adelante::jobs::{self, Job, Salon, When, admin, worker::Kinds};
use chrono::Utc;
use common::TestApp;
use serde::{Deserialize, Serialize};

/// A job that records what it saw: its salon, the clients its transaction can read, and the
/// salon row-level security says it is in. Fails as often as `failures` says for its `n`.
#[derive(Debug, Serialize, Deserialize)]
struct Probe {
    n: u32,
}

#[derive(Debug, Clone, Default)]
struct Seen {
    runs: Arc<Mutex<Vec<Run>>>,
    failures: Arc<Mutex<HashMap<u32, u32>>>,
    /// Which worker runs with these parts.
    worker: u8,
}

#[derive(Debug, Clone, PartialEq)]
struct Run {
    n: u32,
    salon: i64,
    tenant: i64,
    clients: i64,
    worker: u8,
}

impl Seen {
    fn runs(&self) -> Vec<Run> {
        self.runs.lock().unwrap().clone()
    }
}

impl Job for Probe {
    const KIND: &'static str = "test_probe";
    const MAX_ATTEMPTS: i16 = 2;
    type Parts = Seen;

    async fn run(self, salon: &Salon, seen: &Seen) -> anyhow::Result<()> {
        let mut tx = salon.begin().await?;
        let tenant: i64 = sqlx::query_scalar("select app.current_salon_id()").fetch_one(tx.conn()).await?;
        let clients: i64 = sqlx::query_scalar("select count(*) from clients").fetch_one(tx.conn()).await?;
        tx.commit().await?;
        if let Some(left) = seen.failures.lock().unwrap().get_mut(&self.n).filter(|left| **left > 0) {
            *left -= 1;
            anyhow::bail!("probe {} fails on purpose", self.n);
        }
        seen.runs.lock().unwrap().push(Run { n: self.n, salon: salon.id().get(), tenant, clients, worker: seen.worker });
        Ok(())
    }
}

fn kinds(app: &TestApp, seen: &Seen) -> Kinds {
    Kinds::new(app.state.db.clone(), app.state.platform.clone()).kind::<Probe>(seen.clone())
}

async fn run_due(app: &TestApp, seen: &Seen) {
    jobs::worker::run_due(&app.state.config, &kinds(app, seen)).await.unwrap();
}

async fn enqueue(app: &TestApp, salon: i64, n: u32, when: When) -> i64 {
    let mut tx = app.state.db.begin(adelante::tenancy::SalonId(salon)).await.unwrap();
    let id = jobs::enqueue(&mut tx, &Probe { n }, when).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// The queue as the operator's commands see it: the app role.
async fn queue_pool(app: &TestApp) -> sqlx::PgPool {
    use secrecy::ExposeSecret;
    sqlx::PgPool::connect(app.state.config.database_url.expose_secret()).await.unwrap()
}

async fn probes_queued(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from graphile_worker.jobs where task_identifier = 'test_probe'")
        .fetch_one(&mut app.su().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_job_exists_only_if_its_transaction_commits_and_runs_in_its_salon() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Salon A").await;
    let b = app.new_salon("Salon B").await;
    for name in ["Марія", "Олена"] {
        app.created(&a, "/api/v1/clients", serde_json::json!({"firstName": name, "phone": format!("+38067{}", common::rand_digits(7))})).await;
    }
    let seen = Seen::default();

    let mut tx = app.state.db.begin(adelante::tenancy::SalonId(a.salon_id())).await.unwrap();
    jobs::enqueue(&mut tx, &Probe { n: 1 }, When::now()).await.unwrap();
    drop(tx); // rolled back
    assert_eq!(probes_queued(&app).await, 0, "a rolled-back transaction leaves no job");

    enqueue(&app, a.salon_id(), 2, When::now()).await;
    enqueue(&app, b.salon_id(), 3, When::now()).await;
    run_due(&app, &seen).await;
    let mut runs = seen.runs();
    runs.sort_by_key(|r| r.n);
    assert_eq!(
        runs,
        [
            Run { n: 2, salon: a.salon_id(), tenant: a.salon_id(), clients: 2, worker: 0 },
            Run { n: 3, salon: b.salon_id(), tenant: b.salon_id(), clients: 0, worker: 0 },
        ],
        "each job sees its own salon's rows only"
    );
    assert_eq!(probes_queued(&app).await, 0, "done jobs leave the queue");
}

#[tokio::test]
async fn a_failing_job_backs_off_then_fails_for_an_operator_who_can_retry_it() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Salon A").await;
    app.run_jobs().await; // the salon's welcome mail: the queue then holds the probe alone
    let seen = Seen::default();
    seen.failures.lock().unwrap().insert(7, 2); // as many failures as Probe has attempts
    let id = enqueue(&app, a.salon_id(), 7, When::now()).await;
    let pool = queue_pool(&app).await;

    run_due(&app, &seen).await;
    let (attempts, run_at, error): (i16, chrono::DateTime<Utc>, Option<String>) =
        sqlx::query_as("select attempts, run_at, last_error from graphile_worker.jobs where id = $1")
            .bind(id)
            .fetch_one(&mut app.su().await)
            .await
            .unwrap();
    assert_eq!(attempts, 1);
    assert!(run_at > Utc::now() + chrono::Duration::milliseconds(500), "the retry waits: {run_at}");
    assert!(error.unwrap().contains("fails on purpose"));
    run_due(&app, &seen).await;
    assert!(seen.runs().is_empty(), "not retried before its time");
    assert_eq!(admin::queue_stats(&pool).await.unwrap().queued, 1);

    let make_due = || async {
        sqlx::query("update graphile_worker._private_jobs set run_at = now() where id = $1")
            .bind(id)
            .execute(&mut app.su().await)
            .await
            .unwrap();
    };
    make_due().await;
    run_due(&app, &seen).await;
    let stats = admin::queue_stats(&pool).await.unwrap();
    assert_eq!((stats.queued, stats.failed), (0, 1), "out of attempts: failed, not queued");
    let failed = admin::failed(&pool, 10).await.unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id, failed[0].kind.as_str(), failed[0].salon, failed[0].attempts), (id, "test_probe", Some(a.salon_id()), 2));
    run_due(&app, &seen).await;
    assert!(seen.runs().is_empty(), "a failed job is not run again by itself");

    assert_eq!(admin::retry(&pool, &[id, id + 1000]).await.unwrap(), [id], "only failed jobs are retried");
    run_due(&app, &seen).await;
    assert_eq!(seen.runs().len(), 1, "retried by the operator, it ran");
    assert_eq!(admin::queue_stats(&pool).await.unwrap(), admin::QueueStats { queued: 0, running: 0, failed: 0, oldest_due_seconds: 0.0 });
}

#[tokio::test]
async fn a_keyed_job_is_replaced_not_duplicated_and_can_be_cancelled() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Salon A").await;
    let b = app.new_salon("Salon B").await;
    let later = Utc::now() + chrono::Duration::hours(5);
    let latest = Utc::now() + chrono::Duration::hours(7);
    enqueue(&app, a.salon_id(), 1, When::at(later).keyed("reminder:1")).await;
    enqueue(&app, a.salon_id(), 2, When::at(latest).keyed("reminder:1")).await;
    enqueue(&app, b.salon_id(), 3, When::at(later).keyed("reminder:1")).await;

    let rows: Vec<(i64, chrono::DateTime<Utc>)> = sqlx::query_as(
        "select (j.payload->>'salon')::bigint, j.run_at from graphile_worker._private_jobs j
         join graphile_worker._private_tasks t on t.id = j.task_id
         where t.identifier = 'test_probe' order by 1",
    )
    .fetch_all(&mut app.su().await)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "one job per salon's key: {rows:?}");
    assert_eq!(rows[0].0, a.salon_id());
    assert!((rows[0].1 - latest).num_milliseconds().abs() < 1, "the replacement's time");

    let mut tx = app.state.db.begin(adelante::tenancy::SalonId(a.salon_id())).await.unwrap();
    assert!(jobs::cancel(&mut tx, "reminder:1").await.unwrap());
    assert!(!jobs::cancel(&mut tx, "reminder:1").await.unwrap(), "nothing left to cancel");
    tx.commit().await.unwrap();
    assert_eq!(probes_queued(&app).await, 1, "B's job under the same key stays");
}

#[tokio::test]
async fn two_workers_on_one_queue_run_each_job_once() {
    let app = TestApp::spawn_with(&[("JOBS_CONCURRENCY", "4")]).await;
    let a = app.new_salon("Salon A").await;
    let seen = Seen::default();
    let mut tx = app.state.db.begin(adelante::tenancy::SalonId(a.salon_id())).await.unwrap();
    for n in 0..300 {
        jobs::enqueue(&mut tx, &Probe { n }, When::now()).await.unwrap();
    }
    tx.commit().await.unwrap();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers: Vec<_> = (1..=2)
        .map(|worker| {
            let parts = Seen { worker, ..seen.clone() };
            tokio::spawn(jobs::worker::run(app.state.config.clone(), kinds(&app, &parts), stopped.clone()))
        })
        .collect();
    for _ in 0..600 {
        if seen.runs().len() >= 300 && probes_queued(&app).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    for worker in workers {
        worker.await.unwrap().unwrap();
    }
    let by_worker = |w| seen.runs().iter().filter(|r| r.worker == w).count();
    assert!(by_worker(1) > 0 && by_worker(2) > 0, "both workers took jobs: {} and {}", by_worker(1), by_worker(2));
    let mut ns: Vec<u32> = seen.runs().iter().map(|r| r.n).collect();
    ns.sort_unstable();
    let runs = ns.len();
    ns.dedup();
    assert_eq!((runs, ns.len()), (300, 300), "every job ran, none twice");
}

#[tokio::test]
async fn mails_wait_in_the_queue_and_their_links_are_minted_only_when_sent() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let res = app.post("/api/v1/auth/forgot-password", None, serde_json::json!({"email": admin.email})).await;
    assert_eq!(res.status, reqwest::StatusCode::OK);
    assert!(app.outbox_mails().is_empty(), "nothing is sent from the request");
    let payloads: Vec<serde_json::Value> =
        sqlx::query_scalar(
            "select j.payload::jsonb from graphile_worker._private_jobs j
             join graphile_worker._private_tasks t on t.id = j.task_id
             where t.identifier = 'link_mail' order by j.id",
        )
            .fetch_all(&mut app.su().await)
            .await
            .unwrap();
    assert_eq!(payloads.len(), 1, "{payloads:?}");
    assert_eq!(payloads[0]["salon"], admin.salon_id());
    assert!(payloads[0]["job"]["password_reset"].is_i64(), "the job names the reset row, no more: {}", payloads[0]);

    app.run_jobs().await;
    // Beside the salon's welcome mail.
    let mails: Vec<String> = app.outbox_mails().into_iter().filter(|m| m.contains("/reset-password?token=")).collect();
    assert_eq!(mails.len(), 1);
    let start = mails[0].find("/reset-password?token=").unwrap() + "/reset-password?token=".len();
    let token: String = mails[0][start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let res = app.post("/api/v1/auth/reset-password", None, serde_json::json!({"token": token, "password": "a-brand-new-password"})).await;
    assert_eq!(res.status, reqwest::StatusCode::OK, "the minted link works: {}", res.text);
    let admin = app.login_ok(&admin.email, "a-brand-new-password").await;

    // An invitation replaced before the worker ran is not mailed: only the newer link goes out.
    let email = format!("late-{}@example.com", common::rand_suffix());
    let id = app.invite(&admin, &email, "master").await;
    let again = app.post(&format!("/api/v1/users/{id}/invitation"), Some(&admin.access), serde_json::json!({})).await;
    assert_eq!(again.status, reqwest::StatusCode::CREATED);
    app.run_jobs().await;
    let invitations = app.outbox_mails().iter().filter(|m| m.contains(&format!("To: {email}"))).count();
    assert_eq!(invitations, 1, "the replaced invitation's mail was dropped");
    let res = app.open_invitation(&email).await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "the mailed link is the live one");
}
