//! Messages to clients about their visits: when reminders are due, how they follow every change
//! of a visit, which channel they take, and that each is delivered exactly once, also when a
//! worker process is killed in the middle of a batch or two workers share the queue.

mod common;

use std::{
    collections::HashMap,
    process::{Child, Command},
    time::Duration,
};

use adelante::{
    messaging::visits::{self, Stage, VisitState},
    tenancy::SalonId,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Kyiv;
use common::{Session, TestApp, booking, smtp::SmtpServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn salon_with_smtp() -> (TestApp, SmtpServer, Session) {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&[("SMTP_URL", &smtp.url())]).await;
    let admin = app.new_salon("Студія Ірис").await;
    // The owner's welcome mail goes first; the tests count what clients receive.
    app.run_jobs().await;
    smtp.wait_for(1).await;
    smtp.clear();
    (app, smtp, admin)
}

/// The instant of a Kyiv wall-clock moment `YYYY-MM-DD HH:MM`.
fn kyiv(local: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
    Kyiv.from_local_datetime(&naive).earliest().unwrap().with_timezone(&Utc)
}

/// A client card with an e-mail, for visits booked by their phone.
async fn client_with_email(app: &TestApp, admin: &Session, phone: &str, email: &str) -> i64 {
    app.created_id(admin, "/api/v1/clients", json!({"firstName": "Олена", "lastName": "Коваль", "phone": phone, "email": email}))
        .await
}

/// Books an unassigned visit of the client with `phone`.
async fn book_for(app: &TestApp, admin: &Session, phone: &str, date: &str, start: &str, end: &str) -> i64 {
    let mut body = booking(None, date, start, end);
    body["clientPhone"] = json!(phone);
    app.book(admin, body).await
}

/// Pending jobs of the salon's key `what:{appointment}`: their run times.
async fn pending(app: &TestApp, salon: i64, what: &str, appointment: i64) -> Vec<DateTime<Utc>> {
    let key = format!("salon:{salon}:{what}:{appointment}");
    sqlx::query_scalar("select run_at from graphile_worker._private_jobs where key = $1 and locked_at is null")
        .bind(key)
        .fetch_all(&mut app.su().await)
        .await
        .unwrap()
}

/// Every pending job of the kind, by purpose in its payload.
async fn pending_of(app: &TestApp, purpose: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
         where t.identifier = 'visit_message' and j.payload -> 'job' ->> 'purpose' = $1",
    )
    .bind(purpose)
    .fetch_one(&mut app.su().await)
    .await
    .unwrap()
}

async fn put(app: &TestApp, who: &Session, path: &str, body: Value) -> Value {
    let res = app.put(path, &who.access, body).await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
    res.body
}

#[tokio::test]
async fn one_pending_reminder_follows_every_change_of_a_visit() {
    let (app, _smtp, admin) = salon_with_smtp().await;
    app.freeze_clock("2031-06-01T06:00:00Z");
    let salon = admin.salon_id();
    let first = app.working_member(&admin, "Ірина").await;
    let second = app.working_member(&admin, "Оксана").await;
    let mut body = booking(Some(first), "2031-06-03", "14:00", "15:00");
    body["clientPhone"] = json!("+380671110001");
    let id = app.book(&admin, body).await;
    let path = format!("/api/v1/appointments/{id}");
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-02 14:00")], "24 hours before by default");
    assert_eq!(pending(&app, salon, "notice", id).await.len(), 1, "a confirmation is queued");

    put(&app, &admin, &path, json!({"date": "2031-06-04", "startTime": "11:00", "endTime": "12:00"})).await;
    put(&app, &admin, &path, json!({"date": "2031-06-05", "startTime": "16:00", "endTime": "17:00"})).await;
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-04 16:00")], "moved twice: one reminder, final time");
    assert_eq!(pending_of(&app, "reminder").await, 1);

    put(&app, &admin, &path, json!({"staffId": second})).await;
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-04 16:00")], "reassigned: the same reminder");

    put(&app, &admin, &path, json!({"status": "cancelled"})).await;
    assert!(pending(&app, salon, "reminder", id).await.is_empty(), "cancelled: no reminder");
    put(&app, &admin, &path, json!({"status": "scheduled"})).await;
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-04 16:00")], "restored: reminded again");

    put(&app, &admin, &path, json!({"status": "arrived"})).await;
    assert!(pending(&app, salon, "reminder", id).await.is_empty(), "the client came: nothing to remind");
    put(&app, &admin, &path, json!({"status": "confirmed"})).await;
    let res = app.request(reqwest::Method::DELETE, &path, Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(pending(&app, salon, "reminder", id).await.is_empty(), "deleted: no reminder");
    assert_eq!(pending_of(&app, "reminder").await, 0);
}

#[tokio::test]
async fn a_change_that_rolls_back_queues_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Студія").await;
    let salon = SalonId(admin.salon_id());
    let visit = VisitState { starts_at: Utc::now() + chrono::Duration::days(3), stage: Stage::Upcoming };

    let mut tx = app.state.db.begin(salon).await.unwrap();
    visits::visit_changed(&mut tx, 4242, None, visit).await.unwrap();
    drop(tx);
    assert_eq!(pending_of(&app, "reminder").await + pending_of(&app, "confirmation").await, 0, "rolled back: nothing queued");

    let mut tx = app.state.db.begin(salon).await.unwrap();
    visits::visit_changed(&mut tx, 4242, None, visit).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((pending_of(&app, "reminder").await, pending_of(&app, "confirmation").await), (1, 1), "committed: both queued");
}

#[tokio::test]
async fn a_dst_week_in_kyiv_reminds_at_the_wall_clock_hour() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let salon = admin.salon_id();
    client_with_email(&app, &admin, "+380671110002", "olena@example.test").await;
    // Clocks go forward in Kyiv on Sunday 28 March 2027 at 03:00 and back on Sunday 31 October.
    for (frozen, days) in [("2027-03-24T06:00:00Z", 25..=31), ("2027-10-27T06:00:00Z", 28..=31)] {
        app.freeze_clock(frozen);
        let month = if days.start() == &25 { 3 } else { 10 };
        for day in days {
            let date = NaiveDate::from_ymd_opt(2027, month, day).unwrap();
            let id = book_for(&app, &admin, "+380671110002", &date.to_string(), "14:00", "15:00").await;
            let eve = date.pred_opt().unwrap();
            assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv(&format!("{eve} 14:00"))], "visit on {date}");
        }
    }
    // The reminder names the visit's wall-clock time: 14:00 on the morning after the change.
    app.freeze_clock("2027-03-24T06:00:00Z");
    common::visits::all_due_now(&app).await;
    app.run_jobs().await;
    let mails = smtp.wait_for(22).await;
    assert_eq!(mails.len(), 22, "a confirmation and a reminder for each of the 11 visits");
    for m in &mails {
        assert!(m.text().contains("14:00"), "every message names 14:00: {}", m.text());
    }
}

#[tokio::test]
async fn quiet_hours_defer_a_reminder_to_their_end() {
    let (app, _smtp, admin) = salon_with_smtp().await;
    app.freeze_clock("2031-06-01T06:00:00Z");
    let salon = admin.salon_id();
    let settings = put(
        &app,
        &admin,
        "/api/v1/settings/salon",
        json!({"reminderHoursBefore": 12, "quietHoursStart": "22:00", "quietHoursEnd": "08:00", "smsEnabled": false}),
    )
    .await;
    assert_eq!((settings["quietHoursStart"].as_str(), settings["quietHoursEnd"].as_str()), (Some("22:00"), Some("08:00")));
    let res = app.put("/api/v1/settings/salon", &admin.access, json!({"quietHoursStart": "25:00"})).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);

    for (start, end, due) in [
        ("09:00", "10:00", "2031-06-02 21:00"), // 21:00 the evening before: not quiet yet
        ("10:00", "11:00", "2031-06-03 08:00"), // due 22:00: waits for 08:00
        ("07:30", "08:00", "2031-06-02 19:30"), // due 19:30 the evening before
    ] {
        let id = book_for(&app, &admin, "+380671110003", "2031-06-03", start, end).await;
        assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv(due)], "visit at {start}");
    }
    // Three hours before a 07:00 visit is 04:00, and 08:00 would be after the visit: it goes
    // out just before the quiet hours began.
    put(&app, &admin, "/api/v1/settings/salon", json!({"reminderHoursBefore": 3})).await;
    let early = book_for(&app, &admin, "+380671110003", "2031-06-04", "07:00", "07:30").await;
    assert_eq!(pending(&app, salon, "reminder", early).await, [kyiv("2031-06-03 21:59")]);
    // A visit sooner than its reminder's time is not reminded (its confirmation went out): it
    // is 09:00 in Kyiv, and three hours before 10:00 has passed.
    let soon = book_for(&app, &admin, "+380671110003", "2031-06-01", "10:00", "11:00").await;
    assert!(pending(&app, salon, "reminder", soon).await.is_empty());
}

#[tokio::test]
async fn changing_when_reminders_go_out_replans_the_pending_ones() {
    let (app, _smtp, admin) = salon_with_smtp().await;
    app.freeze_clock("2031-06-01T06:00:00Z");
    let salon = admin.salon_id();
    let id = book_for(&app, &admin, "+380671110010", "2031-06-03", "14:00", "15:00").await;
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-02 14:00")]);

    put(&app, &admin, "/api/v1/settings/salon", json!({"reminderHoursBefore": 2})).await;
    app.run_jobs().await;
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-03 12:00")], "two hours before now");
    put(&app, &admin, "/api/v1/settings/salon", json!({"quietHoursStart": "10:00", "quietHoursEnd": "13:00"})).await;
    app.run_jobs().await;
    assert_eq!(pending(&app, salon, "reminder", id).await, [kyiv("2031-06-03 13:00")], "new quiet hours: waits for 13:00");
    put(&app, &admin, "/api/v1/settings/salon", json!({"reminderHoursBefore": 0})).await;
    app.run_jobs().await;
    assert!(pending(&app, salon, "reminder", id).await.is_empty(), "reminders off");
}

/// The appointment's `notifications`, as its page shows them.
async fn notifications(app: &TestApp, who: &Session, id: i64) -> Vec<Value> {
    let res = app.get(&format!("/api/v1/appointments/{id}"), &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["notifications"].as_array().expect("notifications listed").clone()
}

#[tokio::test]
async fn the_channel_is_sms_when_enabled_else_e_mail_and_an_opt_out_is_honoured() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let date = (Utc::now() + chrono::Duration::days(5)).with_timezone(&Kyiv).date_naive().to_string();
    let by_mail = client_with_email(&app, &admin, "+380671110004", "mail@example.test").await;
    let opted_out = client_with_email(&app, &admin, "+380671110005", "quiet@example.test").await;
    app.created_id(&admin, "/api/v1/clients", json!({"firstName": "Без", "lastName": "Пошти", "phone": "+380671110006"}))
        .await;
    let card = put(&app, &admin, &format!("/api/v1/clients/{opted_out}"), json!({"messagesOptOut": true})).await;
    assert_eq!(card["messagesOptOut"], true, "the card shows the opt-out");
    assert_eq!(app.get(&format!("/api/v1/clients/{by_mail}"), &admin.access).await.body["messagesOptOut"], false);

    let mailed = book_for(&app, &admin, "+380671110004", &date, "10:00", "11:00").await;
    let quiet = book_for(&app, &admin, "+380671110005", &date, "11:00", "12:00").await;
    let unreachable = book_for(&app, &admin, "+380671110006", &date, "12:00", "13:00").await;
    app.run_jobs().await;
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1, "only the client with an e-mail who did not opt out");
    assert_eq!(mails[0].to, ["mail@example.test"]);

    let sent = notifications(&app, &admin, mailed).await;
    assert_eq!((sent.len(), &sent[0]["purpose"], &sent[0]["channel"], &sent[0]["status"]), (1, &json!("confirmation"), &json!("email"), &json!("sent")));
    assert_eq!(sent[0]["recipient"], "mail@example.test");
    let skipped = notifications(&app, &admin, quiet).await;
    assert_eq!((&skipped[0]["status"], skipped[0]["channel"].is_null()), (&json!("skipped"), true));
    assert!(skipped[0]["error"].as_str().unwrap().contains("відмовився"), "{skipped:?}");
    let nowhere = notifications(&app, &admin, unreachable).await;
    assert_eq!(nowhere[0]["status"], "skipped");

    // With SMS on, the phone wins (the embedded provider logs the text and takes it).
    put(&app, &admin, "/api/v1/settings/salon", json!({"smsEnabled": true})).await;
    let texted = book_for(&app, &admin, "+380671110006", &date, "14:00", "15:00").await;
    app.run_jobs().await;
    let sms = notifications(&app, &admin, texted).await;
    assert_eq!((&sms[0]["channel"], &sms[0]["status"], &sms[0]["recipient"]), (&json!("sms"), &json!("sent"), &json!("+380671110006")));
    assert!(sms[0]["segments"].as_i64().unwrap() >= 1);

}

#[tokio::test]
async fn a_user_who_may_not_see_phones_does_not_see_where_messages_went() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Студія").await;
    let date = (Utc::now() + chrono::Duration::days(5)).with_timezone(&Kyiv).date_naive().to_string();
    client_with_email(&app, &admin, "+380671110011", "seen@example.test").await;
    let id = book_for(&app, &admin, "+380671110011", &date, "10:00", "11:00").await;
    app.run_jobs().await;
    assert_eq!(notifications(&app, &admin, id).await[0]["recipient"], "seen@example.test");

    let master = app.staff(&admin, "master").await;
    let res = app.put("/api/v1/settings/roles/master", &admin.access, json!({"permissions": ["appointments"]})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let master = app.login_ok(&master.email, common::PASSWORD).await;
    let hidden = notifications(&app, &master, id).await;
    assert_eq!((&hidden[0]["status"], &hidden[0]["recipient"]), (&json!("sent"), &json!("")));
}

#[tokio::test]
async fn a_cancellation_reaches_a_client_who_was_told_and_only_them() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let date = (Utc::now() + chrono::Duration::days(5)).with_timezone(&Kyiv).date_naive().to_string();
    client_with_email(&app, &admin, "+380671110007", "told@example.test").await;
    client_with_email(&app, &admin, "+380671110008", "untold@example.test").await;

    let told = book_for(&app, &admin, "+380671110007", &date, "10:00", "11:00").await;
    app.run_jobs().await;
    smtp.wait_for(1).await;
    put(&app, &admin, &format!("/api/v1/appointments/{told}"), json!({"status": "cancelled"})).await;
    // Booked and called off before anything went out: the client hears nothing.
    let untold = book_for(&app, &admin, "+380671110008", &date, "12:00", "13:00").await;
    let res = app.request(reqwest::Method::DELETE, &format!("/api/v1/appointments/{untold}"), Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    app.run_jobs().await;

    let mails = smtp.wait_for(2).await;
    let to: Vec<&str> = mails.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(to, ["told@example.test", "told@example.test"], "a confirmation, then its cancellation");
    assert_ne!(mails[0].header("Subject"), mails[1].header("Subject"));
    let history: Vec<Value> = notifications(&app, &admin, told).await.iter().map(|n| n["purpose"].clone()).collect();
    assert_eq!(history, [json!("confirmation"), json!("cancellation")]);

    // Restored at the same time after the cancellation went out: the client is told again.
    put(&app, &admin, &format!("/api/v1/appointments/{told}"), json!({"status": "scheduled"})).await;
    app.run_jobs().await;
    let mails = smtp.wait_for(3).await;
    assert_eq!((mails.len(), mails[2].to[0].as_str()), (3, "told@example.test"));
    assert_eq!(mails[2].header("Subject"), mails[0].header("Subject"), "a confirmation again");
    let history: Vec<Value> = notifications(&app, &admin, told).await.iter().map(|n| n["purpose"].clone()).collect();
    assert_eq!(history, [json!("confirmation"), json!("cancellation"), json!("confirmation")]);
    app.run_jobs().await;
    assert_eq!(smtp.count(), 3, "each change told once");
}

#[tokio::test]
async fn a_visit_moved_away_and_back_is_confirmed_at_each_time_and_reminded_once() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let day = (Utc::now() + chrono::Duration::days(5)).with_timezone(&Kyiv).date_naive().to_string();
    client_with_email(&app, &admin, "+380671110012", "moved@example.test").await;
    let id = book_for(&app, &admin, "+380671110012", &day, "10:00", "11:00").await;
    let path = format!("/api/v1/appointments/{id}");
    app.run_jobs().await;
    put(&app, &admin, &path, json!({"date": day, "startTime": "12:00", "endTime": "13:00"})).await;
    app.run_jobs().await;
    put(&app, &admin, &path, json!({"date": day, "startTime": "10:00", "endTime": "11:00"})).await;
    app.run_jobs().await;
    let mails = smtp.wait_for(3).await;
    let texts: Vec<bool> = mails.iter().map(|m| m.text().contains("10:00")).collect();
    assert_eq!(texts, [true, false, true], "10:00, then 12:00, then 10:00 again");

    // The reminder: one, whatever the moves.
    common::visits::all_due_now(&app).await;
    app.run_jobs().await;
    let mails = smtp.wait_for(4).await;
    assert_ne!(mails[3].header("Subject"), mails[0].header("Subject"), "the fourth is the reminder");
    let reminders = notifications(&app, &admin, id).await.iter().filter(|n| n["purpose"] == "reminder").count();
    assert_eq!(reminders, 1);
}

#[tokio::test]
async fn a_refused_address_is_recorded_failed_and_not_retried() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let date = (Utc::now() + chrono::Duration::days(5)).with_timezone(&Kyiv).date_naive().to_string();
    client_with_email(&app, &admin, "+380671110013", "refused@example.test").await;
    let id = book_for(&app, &admin, "+380671110013", &date, "10:00", "11:00").await;
    app.run_jobs().await;
    let sent = notifications(&app, &admin, id).await;
    assert_eq!((&sent[0]["status"], sent[0]["attempts"].as_i64()), (&json!("failed"), Some(1)), "{sent:?}");
    assert!(sent[0]["error"].as_str().unwrap().contains("550"), "{sent:?}");
    assert_eq!(pending_of(&app, "confirmation").await, 0, "not queued for another attempt");
    assert_eq!(smtp.count(), 0);
}

#[tokio::test]
async fn another_salons_visit_messages_are_out_of_reach() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let other = app.new_salon("Інший салон").await;
    let date = (Utc::now() + chrono::Duration::days(5)).with_timezone(&Kyiv).date_naive().to_string();
    client_with_email(&app, &admin, "+380671110009", "a@example.test").await;
    let id = book_for(&app, &admin, "+380671110009", &date, "10:00", "11:00").await;
    app.run_jobs().await;
    smtp.wait_for(1).await;

    let res = app.get(&format!("/api/v1/appointments/{id}"), &other.access).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let mut conn = app.app_role().await;
    let mut tx = sqlx::Acquire::begin(&mut conn).await.unwrap();
    sqlx::query("select set_config('app.salon_id', $1, true)").bind(other.salon_id().to_string()).execute(&mut *tx).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from visit_messages").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(seen, 0, "salon B sees none of A's messages");
    let changed = sqlx::query("update visit_messages set status = 'failed'").execute(&mut *tx).await.unwrap();
    assert_eq!(changed.rows_affected(), 0);
    let forged = sqlx::query("insert into visit_messages (salon_id, appointment_id, purpose, visit_at, status) values ($1, $2, 'reminder', now(), 'sent')")
        .bind(admin.salon_id())
        .bind(id)
        .execute(&mut *tx)
        .await;
    assert!(forged.is_err(), "B cannot write a message into A");
}

/// Each `(recipient, subject)` delivered, with how often.
fn deliveries(smtp: &SmtpServer) -> HashMap<(String, String), usize> {
    let mut seen = HashMap::new();
    for m in smtp.messages() {
        *seen.entry((m.to.join(","), m.header("Subject").unwrap_or_default())).or_insert(0) += 1;
    }
    seen
}

/// `adelante worker` as its own process on the test's database, sending through `smtp`;
/// killed (SIGKILL) when dropped, its log printed when the test failed.
struct WorkerProcess {
    child: Child,
    log: std::path::PathBuf,
}

impl WorkerProcess {
    fn start(app: &TestApp, smtp: &SmtpServer, n: usize) -> Self {
        let env = common::test_env(
            &app.db_name,
            &app.outbox,
            &[("SMTP_URL", &smtp.url()), ("JOBS_RECOVERY_AFTER_SECONDS", "3"), ("JOBS_CONCURRENCY", "4"), ("RUST_LOG", "info,graphile_worker=debug,sqlx=warn")],
        );
        let log = app.outbox.join(format!("worker-{n}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_adelante"))
            .arg("worker")
            .env_clear()
            .envs(env)
            .current_dir(&app.outbox)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("the worker starts");
        WorkerProcess { child, log }
    }

    /// SIGKILL: the process dies where it stands.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- {}\n{}", self.log.display(), std::fs::read_to_string(&self.log).unwrap_or_default());
        }
    }
}

async fn sent_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from visit_messages where status = 'sent'")
        .fetch_one(&mut app.su().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_worker_killed_in_the_middle_of_200_reminders_delivers_each_exactly_once() {
    let (app, smtp, admin) = salon_with_smtp().await;
    let clients = common::visits::due_reminders(&app, admin.salon_id(), 200).await;

    let mut worker = WorkerProcess::start(&app, &smtp, 1);
    smtp.wait_for(60).await;
    // Stop the delivery of anything more, wait until what was delivered is recorded as sent and
    // some messages are half-way (the server has them but has not answered), then kill.
    smtp.hold(true);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(smtp.held() > 0 && sent_rows(&app).await == smtp.count() as i64) {
        assert!(tokio::time::Instant::now() < deadline, "no message reached the held state");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    worker.kill();
    // What the dead worker had handed over but not seen answered reaches the server now, and is
    // held like the rest; its client is gone, so the server drops it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.held(), 0, "the dead worker's half-sent messages were dropped");
    let before_restart = smtp.count();
    assert!(before_restart < 200, "killed in the middle: {before_restart} of 200 delivered");
    smtp.hold(false);

    let worker = WorkerProcess::start(&app, &smtp, 2);
    smtp.wait_for(200).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(worker);
    let seen = deliveries(&smtp);
    assert!(seen.values().all(|n| *n == 1), "delivered twice: {:?}", seen.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>());
    let mut reached: Vec<&str> = seen.keys().map(|(to, _)| to.as_str()).collect();
    reached.sort_unstable();
    let mut expected: Vec<&str> = clients.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(reached, expected, "each of the 200 clients reminded once");
    assert_eq!(sent_rows(&app).await, 200);
}

#[tokio::test]
async fn two_workers_deliver_1000_reminders_with_no_duplicate() {
    let (app, smtp, admin) = salon_with_smtp().await;
    common::visits::due_reminders(&app, admin.salon_id(), 1000).await;
    let one = app.start_worker();
    let two = app.start_worker();
    smtp.wait_for(1000).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop((one, two));
    let seen = deliveries(&smtp);
    assert_eq!((seen.len(), seen.values().sum::<usize>()), (1000, 1000), "every message once");
    assert_eq!(sent_rows(&app).await, 1000);
}
