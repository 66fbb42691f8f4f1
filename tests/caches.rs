//! The read caches (principals, the day view, free slots) across two server processes on one
//! database and Redis: a write through either process is seen by the next request on both.

mod common;

use common::{Session, TestApp, booking};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DAY: &str = "2031-06-02";

async fn day(app: &TestApp, who: &Session) -> Vec<(i64, String, String)> {
    let res = app.get(&format!("/api/v1/appointments?date={DAY}"), &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_i64().unwrap(), a["startTime"].as_str().unwrap().to_owned(), a["status"].as_str().unwrap().to_owned()))
        .collect()
}

fn starts(slots: &Value) -> Vec<String> {
    slots["staff"][0]["days"][0]["slots"]
        .as_array()
        .map(|s| s.iter().map(|x| x["startTime"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_day_view_is_fresh_on_both_processes_after_every_write() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let staff = one.member(&admin, "Ірина").await;
    let first = one.book(&admin, booking(Some(staff), DAY, "10:00", "11:00")).await;

    // Both processes have read (and cached) the day.
    assert_eq!(day(&one, &admin).await.len(), 1);
    assert_eq!(day(&two, &admin).await.len(), 1);

    let second = one.book(&admin, booking(Some(staff), DAY, "12:00", "13:00")).await;
    assert_eq!(day(&two, &admin).await.iter().map(|a| a.0).collect::<Vec<_>>(), [first, second]);

    let moved = two.put(&format!("/api/v1/appointments/{second}"), &admin.access,
                        json!({"startTime": "14:00", "endTime": "15:00"})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(day(&one, &admin).await[1].1, "14:00");

    let status = one.request(Method::PATCH, &format!("/api/v1/appointments/{first}/status"), Some(&admin.access),
                             Some(json!({"status": "confirmed"}))).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(day(&two, &admin).await[0].2, "confirmed");

    let gone = two.request(Method::DELETE, &format!("/api/v1/appointments/{first}"), Some(&admin.access), None).await;
    assert!(gone.status.is_success(), "{}", gone.text);
    assert_eq!(day(&one, &admin).await.iter().map(|a| a.0).collect::<Vec<_>>(), [second]);
}

#[tokio::test]
async fn answers_come_from_the_cache_until_the_salon_data_changes() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    let id = app.book(&admin, booking(Some(staff), DAY, "10:00", "11:00")).await;
    assert_eq!(day(&app, &admin).await[0].2, "scheduled");

    // Behind the server's back: the cached answer is still served...
    let mut su = app.su().await;
    sqlx::query("update appointments set status = 'arrived' where id = $1").bind(id).execute(&mut su).await.unwrap();
    assert_eq!(day(&app, &admin).await[0].2, "scheduled", "the second read is the cached answer");
    // A refused write (422) wrote nothing and leaves the cached answers in place...
    let bad = app.post("/api/v1/appointments", Some(&admin.access), json!({"date": "not-a-date"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(day(&app, &admin).await[0].2, "scheduled", "a 4xx does not retire the cache");
    // ...until the salon's data version moves, as every write through the API moves it.
    app.touch(admin.salon_id()).await;
    assert_eq!(day(&app, &admin).await[0].2, "arrived");

    // Another salon asking the same question gets its own answer.
    let other = app.new_salon("Other").await;
    assert_eq!(day(&app, &other).await, []);
}

#[tokio::test]
async fn free_slots_follow_bookings_made_on_the_other_process() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let staff = one.member(&admin, "Ірина").await;
    let path = format!("/api/v1/appointments/availability?duration=60&staffId={staff}&dateFrom={DAY}&dateTo={DAY}");
    let before = starts(&two.get(&path, &admin.access).await.body);
    assert!(before.contains(&"10:00".to_owned()), "{before:?}");

    one.book(&admin, booking(Some(staff), DAY, "10:00", "11:00")).await;
    let after = starts(&two.get(&path, &admin.access).await.body);
    assert!(!after.contains(&"10:00".to_owned()) && !after.contains(&"10:30".to_owned()), "{after:?}");
    assert!(after.contains(&"11:00".to_owned()), "{after:?}");
}

#[tokio::test]
async fn sign_out_deactivation_and_password_resets_reach_both_processes_at_once() {
    let one = TestApp::spawn().await;
    let two = one.sibling().await;
    let admin = one.new_salon("Salon").await;
    let master = one.staff(&admin, "master").await;
    let receptionist = one.staff(&admin, "receptionist").await;
    for app in [&one, &two] {
        for who in [&admin, &master, &receptionist] {
            assert_eq!(app.get("/api/v1/auth/me", &who.access).await.status, StatusCode::OK);
        }
    }

    // Signing out on one process kills the access token on the other at once.
    let out = one.request(Method::POST, "/api/v1/auth/logout", Some(&master.access), None).await;
    assert!(out.status.is_success(), "{}", out.text);
    two.get("/api/v1/auth/me", &master.access).await.assert_error(401, "not_authenticated");

    // Deactivation (which also signs the account out) on the second process is enforced by
    // the first.
    let off = two.put(&format!("/api/v1/users/{}", receptionist.user_id), &admin.access, json!({"is_active": false})).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    one.get("/api/v1/auth/me", &receptionist.access).await.assert_error(401, "not_authenticated");

    // A password reset (no signed-in user) also signs the account out everywhere.
    let admin_two = one.login_ok(&admin.email, common::PASSWORD).await;
    assert_eq!(two.get("/api/v1/auth/me", &admin_two.access).await.status, StatusCode::OK);
    let sent = one.outbox_mails().len();
    let res = one.post("/api/v1/auth/forgot-password", None, json!({"email": admin.email})).await;
    assert!(res.status.is_success(), "{}", res.text);
    let mail = one
        .wait_for_mails(sent + 1)
        .await
        .into_iter()
        .rfind(|m| m.contains("/reset-password?token="))
        .expect("the reset mail");
    let start = mail.find("/reset-password?token=").expect("link in mail") + "/reset-password?token=".len();
    let token: String =
        mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let reset = one.post("/api/v1/auth/reset-password", None, json!({"token": token, "password": "another-long-password"})).await;
    assert!(reset.status.is_success(), "{}", reset.text);
    two.get("/api/v1/auth/me", &admin_two.access).await.assert_error(401, "not_authenticated");
}

#[tokio::test]
async fn browsers_get_the_cached_answer_gzip_encoded_once() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    for hour in 9..18 {
        app.book(&admin, booking(Some(staff), DAY, &format!("{hour:02}:00"), &format!("{hour:02}:45"))).await;
    }
    let path = format!("/api/v1/appointments?date={DAY}");
    let plain = app.get(&path, &admin.access).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.headers.get("content-encoding").is_none());

    for _ in 0..2 {
        let res = app
            .client
            .get(app.url(&path))
            .bearer_auth(&admin.access)
            .header("accept-encoding", "gzip, deflate, br")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-encoding"], "gzip");
        assert_eq!(res.headers()["vary"], "accept-encoding");
        let packed = res.bytes().await.unwrap();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&packed[..]).read_to_string(&mut text).expect("one layer of gzip");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), plain.body);
    }
}
