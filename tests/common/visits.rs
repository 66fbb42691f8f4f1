//! Visits in bulk, for the reminder tests and benchmark.

use adelante::{
    messaging::visits::{self, Stage, VisitState},
    tenancy::SalonId,
};

use super::TestApp;

/// Books `n` visits two days ahead in the salon, each for its own client with an e-mail,
/// queues their messages as the calendar does, and makes the `n` reminders due now (their
/// confirmations are dropped, so the reminders are all there is); answers the e-mails.
pub async fn due_reminders(app: &TestApp, salon: i64, n: i64) -> Vec<String> {
    let mut su = app.su().await;
    // Whole seconds: PostgreSQL keeps microseconds, and the job compares the visit's start.
    let starts = chrono::DurationRound::duration_trunc(chrono::Utc::now() + chrono::Duration::days(2), chrono::Duration::seconds(1)).unwrap();
    let ids: Vec<i64> = sqlx::query_scalar(
        "with c as (
             insert into clients (salon_id, first_name, last_name, phone, email)
             select $1, 'Клієнт', i::text, '+38067' || lpad(i::text, 7, '0'), 'client' || i || '@example.test'
             from generate_series(1, $2) i returning id, last_name
         )
         insert into appointments (salon_id, client_id, client_name, date, start_time, end_time, starts_at, ends_at, service_name)
         select $1, c.id, 'Клієнт ' || c.last_name, ($3 at time zone 'Europe/Kyiv')::date, '10:00', '11:00', $3,
                $3 + interval '1 hour', 'Стрижка'
         from c returning id",
    )
    .bind(salon)
    .bind(n)
    .bind(starts)
    .fetch_all(&mut su)
    .await
    .unwrap();
    let mut tx = app.state.db.begin(SalonId(salon)).await.unwrap();
    for id in ids {
        visits::visit_changed(&mut tx, id, None, VisitState { starts_at: starts, stage: Stage::Upcoming }).await.unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("delete from graphile_worker._private_jobs where key like 'salon:' || $1 || ':notice:%'")
        .bind(salon.to_string())
        .execute(&mut su)
        .await
        .unwrap();
    all_due_now(app).await;
    (1..=n).map(|i| format!("client{i}@example.test")).collect()
}

/// Makes every pending job due now, as if their time had come.
pub async fn all_due_now(app: &TestApp) {
    sqlx::query("update graphile_worker._private_jobs set run_at = now() where locked_at is null")
        .execute(&mut app.su().await)
        .await
        .unwrap();
}
