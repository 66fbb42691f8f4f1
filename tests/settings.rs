//! Settings through the API (contract §3.10): the salon's settings with their cache, the
//! user's own profile, password and avatar, and the file route that serves avatars.

mod common;

use std::path::PathBuf;

use common::{PASSWORD, Res, Session, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---------------------------------------------------------------- helpers

const DAY: &str = "2031-06-02";

/// The day's slots of one member: (local start, instant).
async fn slots(
    app: &TestApp,
    admin: &Session,
    svc: i64,
    staff: i64,
) -> (Value, Vec<(String, String)>) {
    let res = app
        .get(&format!("/api/v1/appointments/availability?serviceId={svc}&dateFrom={DAY}&dateTo={DAY}&staffId={staff}"), &admin.access)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let list = res.body["staff"][0]["days"][0]["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["startTime"].as_str().unwrap().to_owned(),
                s["startsAt"].as_str().unwrap().replace("+00:00", "Z"),
            )
        })
        .collect();
    (res.body, list)
}

async fn salon_row(app: &TestApp, salon: i64) -> Value {
    let mut su = app.su().await;
    sqlx::query_scalar("select to_jsonb(s) - 'updated_at' from salons s where id = $1")
        .bind(salon)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

async fn audit_count(app: &TestApp, entity: &str) -> i64 {
    let mut su = app.su().await;
    sqlx::query_scalar("select count(*) from changes where entity = $1 and action <> 'created'")
        .bind(entity)
        .fetch_one(&mut su)
        .await
        .unwrap()
}

async fn slug(app: &TestApp, who: &Session) -> String {
    let mut su = app.su().await;
    sqlx::query_scalar("select slug from salons where id = $1")
        .bind(who.salon_id())
        .fetch_one(&mut su)
        .await
        .unwrap()
}

/// A second server process on the same database and Redis.
const SALON: &str = "/api/v1/settings/salon";
const PROFILE: &str = "/api/v1/settings/profile";
const AVATAR: &str = "/api/v1/settings/profile/avatar";

// ---------------------------------------------------------------- salon settings

#[tokio::test]
async fn salon_settings_answer_defaults_and_a_partial_put_answers_the_whole_object() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Київ Б'юті").await;

    let res = app.get(SALON, &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let s = &res.body;
    assert_eq!(
        (
            s["name"].as_str(),
            s["currency"].as_str(),
            s["timezone"].as_str()
        ),
        (Some("Київ Б'юті"), Some("UAH"), Some("Europe/Kyiv"))
    );
    assert_eq!(s["slotStep"], 15);
    assert_eq!(s["address"], "");
    assert_eq!(
        s["workingHours"]["mon"],
        json!({"start": "09:00", "end": "18:00", "isOpen": true, "enabled": true, "from": "09:00", "to": "18:00"})
    );
    assert_eq!(s["workingHours"]["sun"]["isOpen"], false);
    assert_eq!(
        s["socialUrls"],
        json!({"instagram": "", "facebook": "", "telegram": ""})
    );
    assert_eq!(
        (
            s["reminderHoursBefore"].as_i64(),
            s["onlineBookingEnabled"].as_bool()
        ),
        (Some(24), Some(true))
    );

    let res = app.put(SALON, &admin.access, json!({
        "address": " вул. Хрещатик, 1 ", "phone": "+380 (44) 123-45-67", "email": "Info@Salon.UA",
        "website": "salon.ua", "legalName": "ФОП Коваль", "city": "Київ", "description": "Салон краси\nу центрі",
        "openingDate": "2019-05-01", "socialUrls": {"instagram": "@kyiv_beauty"},
        "workingHours": {"mon": {"enabled": true, "from": "10:00", "to": "20:00"}, "sat": {"start": "11:00", "end": "15:00", "isOpen": true}},
        "reminderHoursBefore": 3, "bookingMinLeadMinutes": 120, "bookingHorizonDays": 30,
        "cancellationWindowHours": 12, "onlineBookingEnabled": false, "currency": "eur"
    })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let s = &res.body;
    assert_eq!(s["name"], "Київ Б'юті", "untouched");
    assert_eq!(
        (
            s["address"].as_str(),
            s["email"].as_str(),
            s["website"].as_str()
        ),
        (
            Some("вул. Хрещатик, 1"),
            Some("info@salon.ua"),
            Some("https://salon.ua")
        )
    );
    assert_eq!(
        (s["currency"].as_str(), s["openingDate"].as_str()),
        (Some("EUR"), Some("2019-05-01"))
    );
    assert_eq!(
        s["workingHours"]["mon"],
        json!({"start": "10:00", "end": "20:00", "isOpen": true, "enabled": true, "from": "10:00", "to": "20:00"})
    );
    assert_eq!(s["workingHours"]["sat"]["isOpen"], true);
    assert_eq!(s["workingHours"]["tue"]["end"], "18:00");
    assert_eq!(
        s["socialUrls"],
        json!({"instagram": "@kyiv_beauty", "facebook": "", "telegram": ""})
    );
    assert_eq!(
        (
            s["bookingHorizonDays"].as_i64(),
            s["onlineBookingEnabled"].as_bool()
        ),
        (Some(30), Some(false))
    );

    assert_eq!(
        app.get(SALON, &admin.access).await.body,
        res.body,
        "GET answers what PUT stored"
    );
    let row = salon_row(&app, admin.salon_id()).await;
    assert_eq!(
        (row["city"].as_str(), row["reminder_hours_before"].as_i64()),
        (Some("Київ"), Some(3))
    );

    let mut su = app.su().await;
    let (before, after): (Value, Value) = sqlx::query_as(
        "select before, after from changes where entity = 'salon' and action = 'updated'",
    )
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!(
        (before["currency"].as_str(), after["currency"].as_str()),
        (Some("UAH"), Some("EUR"))
    );
    assert!(
        after.get("name").is_none(),
        "only what changed is recorded: {after}"
    );

    // Clearing an optional text; an empty body changes nothing and writes no audit row.
    let res = app
        .put(
            SALON,
            &admin.access,
            json!({"website": "", "openingDate": ""}),
        )
        .await;
    assert_eq!(
        (
            res.body["website"].as_str(),
            res.body["openingDate"].is_null()
        ),
        (Some(""), true)
    );
    let audits = audit_count(&app, "salon").await;
    assert_eq!(
        app.put(SALON, &admin.access, json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(audit_count(&app, "salon").await, audits);
}

#[tokio::test]
async fn a_new_timezone_and_slot_step_apply_to_availability_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let svc = app.service(&admin, "Стрижка", 60, 450.0).await;
    let staff = app.working_member(&admin, "Ірина").await;
    // Fill the cache first: the availability must not depend on it.
    app.get(SALON, &admin.access).await;

    let (body, kyiv) = slots(&app, &admin, svc, staff).await;
    assert_eq!(
        (body["timezone"].as_str(), body["slotStep"].as_i64()),
        (Some("Europe/Kyiv"), Some(15))
    );
    assert!(
        kyiv.contains(&("10:00".into(), "2031-06-02T07:00:00Z".into())),
        "{kyiv:?}"
    );
    assert!(
        kyiv.iter().any(|(t, _)| t == "10:15"),
        "15-minute grid: {kyiv:?}"
    );

    let res = app
        .put(SALON, &admin.access, json!({"timezone": "Asia/Tokyo"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (body, tokyo) = slots(&app, &admin, svc, staff).await;
    assert_eq!(body["timezone"], "Asia/Tokyo");
    assert!(
        tokyo.contains(&("10:00".into(), "2031-06-02T01:00:00Z".into())),
        "{tokyo:?}"
    );

    let res = app.put(SALON, &admin.access, json!({"slotStep": 30})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let (body, thirty) = slots(&app, &admin, svc, staff).await;
    assert_eq!(body["slotStep"], 30);
    let starts: Vec<&str> = thirty.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(starts.first(), Some(&"09:00"));
    assert!(
        starts.contains(&"09:30") && !starts.contains(&"09:15") && !starts.contains(&"09:45"),
        "{starts:?}"
    );
    assert!(
        starts
            .iter()
            .all(|t| t.ends_with(":00") || t.ends_with(":30")),
        "{starts:?}"
    );
}

#[tokio::test]
async fn the_cache_is_shared_and_a_write_on_one_process_is_seen_by_the_other() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let second = app.sibling().await;

    let first = app.get(SALON, &admin.access).await;
    assert_eq!(first.body["city"], "");
    // Behind the API's back: a cached read does not see it, which proves the cache is used.
    let mut su = app.su().await;
    sqlx::query("update salons set city = 'Поза API' where id = $1")
        .bind(admin.salon_id())
        .execute(&mut su)
        .await
        .unwrap();
    assert_eq!(
        app.get(SALON, &admin.access).await.body["city"],
        "",
        "served from the cache"
    );
    assert_eq!(
        second.get(SALON, &admin.access).await.body["city"],
        "",
        "the cache is shared"
    );

    let res = second.put(SALON, &admin.access, json!({"city": "Львів", "slotStep": 20})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let seen = app.get(SALON, &admin.access).await;
    assert_eq!(
        (seen.body["city"].as_str(), seen.body["slotStep"].as_i64()),
        (Some("Львів"), Some(20))
    );
}

#[tokio::test]
async fn bad_salon_settings_are_422_with_details_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    app.get(SALON, &admin.access).await;
    let row = salon_row(&app, admin.salon_id()).await;
    let long = "я".repeat(201);
    let cases = [
        (json!({"timezone": "Europe/Atlantis"}), "timezone"),
        (json!({"timezone": ""}), "timezone"),
        (json!({"currency": "XYZ"}), "currency"),
        (json!({"currency": "HRYVNIA"}), "currency"),
        (
            json!({"workingHours": {"mon": {"start": "25:00", "end": "26:00", "isOpen": true}}}),
            "workingHours.mon.start",
        ),
        (
            json!({"workingHours": {"tue": {"from": "18:00", "to": "09:00", "enabled": true}}}),
            "workingHours.tue.end",
        ),
        (
            json!({"workingHours": {"wed": {"end": "08:00"}}}),
            "workingHours.wed.end",
        ),
        (
            json!({"workingHours": {"funday": {"isOpen": true}}}),
            "workingHours.funday",
        ),
        (json!({"slotStep": 0}), "slotStep"),
        (json!({"slotStep": 7}), "slotStep"),
        (json!({"slotStep": "15"}), "slotStep"),
        (json!({"name": long}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"address": "a".repeat(301)}), "address"),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"phone": "call us"}), "phone"),
        (json!({"website": "javascript:alert(1)"}), "website"),
        (
            json!({"socialUrls": {"facebook": "not a link"}}),
            "socialUrls.facebook",
        ),
        (json!({"openingDate": "01.05.2019"}), "openingDate"),
        (json!({"reminderHoursBefore": 1000}), "reminderHoursBefore"),
        (json!({"bookingHorizonDays": 0}), "bookingHorizonDays"),
    ];
    for (body, field) in cases {
        let res = app.put(SALON, &admin.access, body.clone()).await;
        res.assert_error(422, "validation_error");
        assert!(
            res.body["details"][field].is_array(),
            "{body} → {}",
            res.text
        );
    }
    // One bad field spoils the whole body: the good ones are not written either.
    let res = app
        .put(
            SALON,
            &admin.access,
            json!({"city": "Одеса", "timezone": "Mars/Base", "slotStep": 7}),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(
        res.body["details"]["timezone"].is_array() && res.body["details"]["slotStep"].is_array(),
        "{}",
        res.text
    );
    assert_eq!(
        salon_row(&app, admin.salon_id()).await,
        row,
        "nothing written"
    );
    assert_eq!(app.get(SALON, &admin.access).await.body["city"], "");
    assert_eq!(audit_count(&app, "salon").await, 0);
}

#[tokio::test]
async fn one_salon_never_sees_or_changes_anothers_settings() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Салон А").await;
    let b = app.new_salon("Салон Б").await;
    app.put(
        SALON,
        &a.access,
        json!({"city": "Київ", "timezone": "Europe/Warsaw"}),
    )
    .await;
    // A's settings are cached now; B must get its own.
    app.get(SALON, &a.access).await;
    let seen = app.get(SALON, &b.access).await;
    assert_eq!(
        (
            seen.body["name"].as_str(),
            seen.body["city"].as_str(),
            seen.body["timezone"].as_str()
        ),
        (Some("Салон Б"), Some(""), Some("Europe/Kyiv"))
    );

    let res = app
        .put(
            SALON,
            &b.access,
            json!({"city": "Харків", "name": "Б нова назва"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let a_now = app.get(SALON, &a.access).await;
    assert_eq!(
        (a_now.body["name"].as_str(), a_now.body["city"].as_str()),
        (Some("Салон А"), Some("Київ"))
    );

    // A's token on B's subdomain: refused, nothing read or written.
    let b_host = format!("{}.{}", slug(&app, &b).await, common::BASE_DOMAIN);
    let a_before = salon_row(&app, a.salon_id()).await;
    let b_before = salon_row(&app, b.salon_id()).await;
    app.request_with(
        Method::GET,
        SALON,
        Some(&a.access),
        None,
        &[("host", &b_host)],
    )
    .await
    .assert_error(403, "tenant_mismatch");
    app.request_with(
        Method::PUT,
        SALON,
        Some(&a.access),
        Some(json!({"city": "Чужий"})),
        &[("host", &b_host)],
    )
    .await
    .assert_error(403, "tenant_mismatch");
    assert_eq!(salon_row(&app, a.salon_id()).await, a_before);
    assert_eq!(salon_row(&app, b.salon_id()).await, b_before);
}

#[tokio::test]
async fn changing_salon_settings_needs_the_matching_permission() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let manager = app.staff(&admin, "manager").await;
    let master = app.staff(&admin, "master").await;
    let row = salon_row(&app, admin.salon_id()).await;

    assert_eq!(
        app.get(SALON, &master.access).await.status,
        StatusCode::OK,
        "anyone signed in may read"
    );
    app.put(SALON, &manager.access, json!({"name": "Захоплено"}))
        .await
        .assert_error(403, "forbidden");
    app.put(SALON, &master.access, json!({"timezone": "Asia/Tokyo"}))
        .await
        .assert_error(403, "forbidden");
    app.put(SALON, &master.access, json!({}))
        .await
        .assert_error(403, "forbidden");

    let mut su = app.su().await;
    sqlx::query("update role_permissions set permissions = permissions || '{\"settings\": true, \"settings.info.access\": true}' where role = 'manager'")
        .execute(&mut su).await.unwrap();
    app.touch(admin.salon_id()).await; // edited behind the API: retire cached principals
    app.put(SALON, &manager.access, json!({"timezone": "Asia/Tokyo"}))
        .await
        .assert_error(403, "forbidden");
    app.put(
        SALON,
        &manager.access,
        json!({"city": "Львів", "slotStep": 30}),
    )
    .await
    .assert_error(403, "forbidden");
    assert_eq!(
        salon_row(&app, admin.salon_id()).await,
        row,
        "nothing written by refused requests"
    );
    let res = app
        .put(SALON, &manager.access, json!({"city": "Львів"}))
        .await;
    assert_eq!(
        (res.status, res.body["city"].as_str()),
        (StatusCode::OK, Some("Львів")),
        "{}",
        res.text
    );

    sqlx::query("update role_permissions set permissions = permissions || '{\"settings.general.access\": true}' where role = 'manager'")
        .execute(&mut su).await.unwrap();
    app.touch(admin.salon_id()).await;
    let res = app
        .put(
            SALON,
            &manager.access,
            json!({"timezone": "Asia/Tokyo", "name": "Нова назва"}),
        )
        .await;
    assert_eq!(
        (res.status, res.body["timezone"].as_str()),
        (StatusCode::OK, Some("Asia/Tokyo")),
        "{}",
        res.text
    );
}

// ---------------------------------------------------------------- profile

#[tokio::test]
async fn the_profile_reads_and_a_partial_put_answers_the_whole_profile() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;

    let res = app.get(PROFILE, &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let p = &res.body;
    assert_eq!(p["id"], admin.user_id.to_string(), "id is a string");
    assert_eq!(
        (p["email"].as_str(), p["name"].as_str(), p["role"].as_str()),
        (
            Some(admin.email.as_str()),
            Some("Олена Адмін"),
            Some("admin")
        )
    );
    assert_eq!(
        (
            p["preferences"].clone(),
            p["telegramConnected"].clone(),
            p["avatar"].clone()
        ),
        (json!({}), json!(false), Value::Null)
    );

    let res = app.put(PROFILE, &admin.access, json!({
        "name": "Марія Іванівна Коваль", "phone": "+380 67 000 11 22", "birthDate": "1990-04-12",
        "address": "Київ", "emergencyContact": "Петро", "emergencyPhone": "+380501234567",
        "specialization": "Колорист", "preferences": {"theme": "dark", "language": "uk"},
        "role": "admin", "avatar": "https://evil.example/x.png"
    })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let p = &res.body;
    assert_eq!(
        (
            p["firstName"].as_str(),
            p["lastName"].as_str(),
            p["name"].as_str()
        ),
        (
            Some("Марія"),
            Some("Іванівна Коваль"),
            Some("Марія Іванівна Коваль")
        )
    );
    assert_eq!(
        (p["birthDate"].as_str(), p["specialization"].as_str()),
        (Some("1990-04-12"), Some("Колорист"))
    );
    assert_eq!(
        p["avatar"],
        Value::Null,
        "avatar does not change through PUT"
    );
    assert_eq!(app.get(PROFILE, &admin.access).await.body, res.body);
    let me = app.get("/api/v1/auth/me", &admin.access).await;
    assert_eq!(
        (me.body["first_name"].as_str(), me.body["phone"].as_str()),
        (Some("Марія"), Some("+380 67 000 11 22"))
    );

    let res = app.put(PROFILE, &admin.access, json!({"firstName": "Оля", "preferences": {"language": null, "compact": true}, "address": ""})).await;
    assert_eq!(
        (res.body["name"].as_str(), res.body["address"].clone()),
        (Some("Оля Іванівна Коваль"), Value::Null)
    );
    assert_eq!(
        res.body["preferences"],
        json!({"theme": "dark", "compact": true})
    );
    assert_eq!(
        audit_count(&app, "user").await,
        2,
        "each change audited as entity user"
    );
}

/// The date rules of the settings (a birth date at least ten years back, an opening date at
/// most two years ahead) count from the salon's day, not UTC's: at 00:30 on 1 February in Kyiv
/// it is still 31 January in UTC, and the limits move with the salon's calendar.
#[tokio::test]
async fn settings_dates_count_from_the_salons_day_near_midnight() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    app.freeze_clock("2026-01-31T22:30:00Z");

    // 1 February 2026 minus 3650 days; from UTC's 31 January it would be a day too late.
    let res = app.put(PROFILE, &admin.access, json!({"birthDate": "2016-02-04"})).await;
    assert_eq!((res.status, res.body["birthDate"].as_str()), (StatusCode::OK, Some("2016-02-04")), "{}", res.text);
    let res = app.put(PROFILE, &admin.access, json!({"birthDate": "2016-02-05"})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["birthDate"].is_array(), "{}", res.text);

    // 1 February 2026 plus 732 days.
    let res = app.put(SALON, &admin.access, json!({"openingDate": "2028-02-03"})).await;
    assert_eq!((res.status, res.body["openingDate"].as_str()), (StatusCode::OK, Some("2028-02-03")), "{}", res.text);
    let res = app.put(SALON, &admin.access, json!({"openingDate": "2028-02-04"})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["openingDate"].is_array(), "{}", res.text);
}

#[tokio::test]
async fn profile_changes_are_checked_and_the_email_must_be_free_in_the_salon() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;
    let other = app.new_salon("Other").await;

    app.put(PROFILE, &admin.access, json!({"email": master.email, "currentPassword": PASSWORD}))
        .await
        .assert_error(409, "email_taken");
    for (body, field) in [
        (json!({"email": "nope"}), "email"),
        (json!({"firstName": ""}), "firstName"),
        (json!({"name": "x".repeat(300)}), "name"),
        (json!({"birthDate": "2999-01-01"}), "birthDate"),
        (json!({"phone": "phone"}), "phone"),
        (json!({"specialization": "s".repeat(201)}), "specialization"),
        (json!({"preferences": "dark"}), "preferences"),
    ] {
        let res = app.put(PROFILE, &admin.access, body.clone()).await;
        res.assert_error(422, "validation_error");
        assert!(
            res.body["details"][field].is_array(),
            "{body} → {}",
            res.text
        );
    }
    let res = app
        .put(
            PROFILE,
            &master.access,
            json!({"role": "admin", "firstName": "Хитра"}),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["role"].is_array());
    let me = app.get(PROFILE, &master.access).await;
    assert_eq!(
        (me.body["role"].as_str(), me.body["firstName"].as_str()),
        (Some("master"), Some("Ірина")),
        "nothing written"
    );

    // The same e-mail in another salon is not "taken" (it still waits for its confirmation).
    let res = app
        .put(
            PROFILE,
            &other.access,
            json!({"email": admin.email.to_uppercase(), "currentPassword": PASSWORD}),
        )
        .await;
    assert_eq!(
        (res.status, res.body["email"].as_str()),
        (StatusCode::OK, Some(other.email.as_str())),
        "{}",
        res.text
    );
}

fn email_change_token(mail: &str) -> String {
    const LINK: &str = "/api/v1/auth/email-changes/";
    let start = mail.find(LINK).expect("a confirmation link") + LINK.len();
    mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect()
}

async fn open_link(app: &TestApp, path: &str) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    client.get(app.url(path)).send().await.unwrap()
}

#[tokio::test]
async fn a_new_profile_email_needs_the_current_password_and_a_confirmation_from_the_new_mailbox() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;

    // Whoever holds a signed-in browser cannot move the login to their own mailbox.
    let res = app.put(PROFILE, &master.access, json!({"email": "thief@example.com"})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["currentPassword"].is_array(), "{}", res.text);
    app.put(PROFILE, &master.access, json!({"email": "thief@example.com", "currentPassword": "not-the-password"}))
        .await
        .assert_error(400, "invalid_credentials");

    // With the password: the other fields change at once, the e-mail only once confirmed.
    let res = app
        .put(PROFILE, &master.access,
             json!({"email": "New.Master@Example.com", "currentPassword": PASSWORD, "firstName": "Оксана"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["email"].as_str(), res.body["firstName"].as_str()), (Some(master.email.as_str()), Some("Оксана")));
    app.login("new.master@example.com", PASSWORD).await.assert_error(400, "invalid_credentials");
    app.login_ok(&master.email, PASSWORD).await;

    app.run_jobs().await;
    let mail = app
        .outbox_mails()
        .into_iter()
        .find(|m| m.contains("To: new.master@example.com"))
        .expect("a confirmation mailed to the new address");
    let token = email_change_token(&mail);
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let res = open_link(&app, &format!("/api/v1/auth/email-changes/{tampered}")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().ends_with("/settings?emailChange=invalid"));
    app.login_ok(&master.email, PASSWORD).await;

    let res = open_link(&app, &format!("/api/v1/auth/email-changes/{token}")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()["location"].to_str().unwrap().ends_with("/settings?emailChange=confirmed"));
    app.login_ok("new.master@example.com", PASSWORD).await;
    app.login(&master.email, PASSWORD).await.assert_error(400, "invalid_credentials");
    let me = app.get(PROFILE, &master.access).await;
    assert_eq!(me.body["email"], "new.master@example.com");
    app.run_jobs().await;
    assert!(
        app.outbox_mails().iter().any(|m| m.contains(&format!("To: {}", master.email)) && m.contains("new.master@example.com")),
        "the old address is told"
    );

    // Single use.
    let again = open_link(&app, &format!("/api/v1/auth/email-changes/{token}")).await;
    assert!(again.headers()["location"].to_str().unwrap().ends_with("/settings?emailChange=invalid"));
}

#[tokio::test]
async fn the_password_changes_from_settings_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let other_device = app.login_ok(&admin.email, PASSWORD).await;
    let path = "/api/v1/settings/profile/password";

    app.post(
        path,
        Some(&admin.access),
        json!({"currentPassword": "wrong-password", "newPassword": "a-new-secret-1"}),
    )
    .await
    .assert_error(400, "invalid_credentials");
    let weak = app
        .post(
            path,
            Some(&admin.access),
            json!({"currentPassword": PASSWORD, "newPassword": "short"}),
        )
        .await;
    weak.assert_error(422, "validation_error");
    assert!(
        weak.body["details"]["newPassword"].is_array(),
        "{}",
        weak.text
    );
    app.post(path, Some(&admin.access), json!({"currentPassword": PASSWORD, "newPassword": "a-new-secret-1", "confirmPassword": "different"}))
        .await.assert_error(422, "validation_error");
    assert_eq!(
        app.get(PROFILE, &other_device.access).await.status,
        StatusCode::OK,
        "nothing changed yet"
    );

    let res = app
        .post(
            path,
            Some(&admin.access),
            json!({"currentPassword": PASSWORD, "newPassword": "a-new-secret-1"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        app.get(PROFILE, &admin.access).await.status,
        StatusCode::OK,
        "this session stays"
    );
    app.get(PROFILE, &other_device.access)
        .await
        .assert_error(401, "not_authenticated");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": other_device.refresh}),
    )
    .await
    .assert_error(401, "not_authenticated");
    assert_eq!(
        app.login(&admin.email, PASSWORD).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.login(&admin.email, "a-new-secret-1").await.status,
        StatusCode::OK
    );
}

// ---------------------------------------------------------------- avatars

fn upload_dir() -> PathBuf {
    std::env::temp_dir().join(format!("adelante-uploads-{}", common::rand_suffix()))
}

async fn spawn_with_uploads(dir: &std::path::Path) -> TestApp {
    TestApp::spawn_with(&[
        ("UPLOAD_DIR", dir.to_str().unwrap()),
        ("PUBLIC_URL", "https://api.adelante.test"),
    ])
    .await
}

async fn upload_as(
    app: &TestApp,
    who: &Session,
    part: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> Res {
    let boundary = "adelante-avatar-boundary-91c2";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{part}\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    ).into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = app
        .client
        .post(app.url(AVATAR))
        .bearer_auth(&who.access)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    Res::from(res).await
}

async fn upload(app: &TestApp, who: &Session, file_name: &str, bytes: &[u8]) -> Res {
    upload_as(app, who, "file", file_name, "image/png", bytes).await
}

fn encoded(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
    });
    encoded(
        image::DynamicImage::ImageRgba8(img),
        image::ImageFormat::Png,
    )
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 90, 200]));
    encoded(
        image::DynamicImage::ImageRgb8(img),
        image::ImageFormat::Jpeg,
    )
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
}

/// A well-formed PNG header announcing 60000×60000 RGBA pixels (14.4 GB decoded) followed
/// by a small compressed stream: decoding it naively would allocate gigabytes.
fn decompression_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // zlib: one stored block of 1000 zero bytes.
    let zeros = vec![0u8; 1000];
    let mut idat = vec![0x78, 0x01, 0x01];
    idat.extend_from_slice(&(zeros.len() as u16).to_le_bytes());
    idat.extend_from_slice(&(!(zeros.len() as u16)).to_le_bytes());
    idat.extend_from_slice(&zeros);
    let adler = {
        let (mut a, mut b) = (1u32, 0u32);
        for &z in &zeros {
            a = (a + u32::from(z)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    };
    idat.extend_from_slice(&adler.to_be_bytes());
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The path of an avatar URL on this server, checking it is under the public base.
fn path_of(url: &Value) -> String {
    let url = url.as_str().expect("avatar URL");
    url.strip_prefix("https://api.adelante.test")
        .unwrap_or_else(|| panic!("{url} not under PUBLIC_URL"))
        .to_owned()
}

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(app.url(path)).send().await.unwrap()
}

fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path())
            } else {
                found.push(e.path())
            }
        }
    }
    found
}

#[tokio::test]
async fn png_and_jpeg_avatars_become_served_256_pixel_squares_and_replace_each_other() {
    let dir = upload_dir();
    let app = spawn_with_uploads(&dir).await;
    let admin = app.new_salon("Salon").await;

    let res = upload(&app, &admin, "me.png", &png(640, 480)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let first = path_of(&res.body["avatar"]);
    let prefix = format!(
        "/uploads/salons/{}/avatars/{}-",
        admin.salon_id(),
        admin.user_id
    );
    assert!(
        first.starts_with(&prefix) && first.ends_with(".png") && first.len() >= prefix.len() + 32,
        "{first}"
    );
    let served = fetch(&app, &first).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(
        served.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let img = image::load_from_memory(&served.bytes().await.unwrap()).expect("a decodable image");
    assert_eq!((img.width(), img.height()), (256, 256));
    assert_eq!(
        app.get("/api/v1/auth/me", &admin.access).await.body["avatar"],
        res.body["avatar"]
    );

    // A JPEG sent as the part `avatar` replaces it; the old file is gone.
    let res = upload_as(
        &app,
        &admin,
        "avatar",
        "photo.jpg",
        "image/jpeg",
        &jpeg(300, 900),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let second = path_of(&res.body["avatar"]);
    assert_ne!(first, second);
    let img = image::load_from_memory(&fetch(&app, &second).await.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 256));
    assert_eq!(
        fetch(&app, &first).await.status(),
        404,
        "the replaced file is deleted"
    );
    assert_eq!(files_under(&dir).len(), 1, "{:?}", files_under(&dir));

    let res = app
        .request(Method::DELETE, AVATAR, Some(&admin.access), None)
        .await;
    assert_eq!(
        (res.status, res.body["avatar"].clone()),
        (StatusCode::OK, Value::Null),
        "{}",
        res.text
    );
    assert_eq!(fetch(&app, &second).await.status(), 404);
    assert!(files_under(&dir).is_empty());
    assert!(audit_count(&app, "user").await >= 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn uploads_that_are_not_acceptable_images_are_refused_and_store_nothing() {
    let dir = upload_dir();
    let app = spawn_with_uploads(&dir).await;
    let admin = app.new_salon("Salon").await;

    upload(
        &app,
        &admin,
        "photo.png",
        b"I am a text file with a .png name",
    )
    .await
    .assert_error(422, "validation_error");
    let started = std::time::Instant::now();
    let bomb = upload(&app, &admin, "bomb.png", &decompression_bomb()).await;
    bomb.assert_error(422, "validation_error");
    assert!(
        bomb.body["details"]["file"][0]
            .as_str()
            .unwrap()
            .contains("10000"),
        "refused by the size limit: {}",
        bomb.text
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "refused from the header, not decoded"
    );
    let mut too_big = png(8, 8);
    too_big.resize(5 * 1024 * 1024 + 1, 0);
    upload(&app, &admin, "big.png", &too_big)
        .await
        .assert_error(413, "payload_too_large");
    let mut damaged = png(64, 64);
    damaged.truncate(damaged.len() / 2);
    upload(&app, &admin, "damaged.png", &damaged)
        .await
        .assert_error(422, "validation_error");
    upload_as(&app, &admin, "document", "x.png", "image/png", &png(8, 8))
        .await
        .assert_error(422, "validation_error");
    app.post(AVATAR, Some(&admin.access), json!({"file": "x"}))
        .await
        .assert_error(400, "not_multipart");

    assert_eq!(
        app.get(PROFILE, &admin.access).await.body["avatar"],
        Value::Null
    );
    assert!(files_under(&dir).is_empty(), "{:?}", files_under(&dir));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_file_route_never_leaves_the_upload_directory() {
    let base = upload_dir();
    let dir = base.join("uploads");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(base.join("secret.png"), b"outside").unwrap();
    let app = spawn_with_uploads(&dir).await;
    for path in [
        "/uploads/..%2Fsecret.png",
        "/uploads/salons/..%2F..%2Fsecret.png",
        "/uploads/%2e%2e%2fsecret.png",
        "/uploads/..%5Csecret.png",
        "/uploads/salons/1/avatars/missing.png",
        "/uploads/%2Fetc%2Fpasswd",
        "/uploads/.secret.png",
    ] {
        let res = Res::from(fetch(&app, path).await).await;
        res.assert_error(404, "not_found");
    }
    let _ = std::fs::remove_dir_all(base);
}

#[tokio::test]
async fn another_salon_cannot_see_a_profile_or_remove_an_avatar() {
    let dir = upload_dir();
    let app = spawn_with_uploads(&dir).await;
    let a = app.new_salon("A").await;
    let b = app.new_salon("B").await;
    let res = upload(&app, &a, "a.png", &png(100, 100)).await;
    let a_avatar = res.body["avatar"].clone();

    let seen = app.get(PROFILE, &b.access).await;
    assert_eq!(
        (seen.body["id"].as_str(), seen.body["email"].as_str()),
        (Some(b.user_id.to_string().as_str()), Some(b.email.as_str()))
    );
    assert_eq!(seen.body["avatar"], Value::Null);

    let res = app
        .request(Method::DELETE, AVATAR, Some(&b.access), None)
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        app.get(PROFILE, &a.access).await.body["avatar"],
        a_avatar,
        "A's avatar untouched"
    );
    assert_eq!(
        fetch(&app, &path_of(&a_avatar)).await.status(),
        200,
        "A's file still there"
    );

    let a_host = format!("{}.{}", slug(&app, &a).await, common::BASE_DOMAIN);
    app.request_with(
        Method::GET,
        PROFILE,
        Some(&b.access),
        None,
        &[("host", &a_host)],
    )
    .await
    .assert_error(403, "tenant_mismatch");
    app.request_with(
        Method::DELETE,
        AVATAR,
        Some(&b.access),
        None,
        &[("host", &a_host)],
    )
    .await
    .assert_error(403, "tenant_mismatch");
    app.request_with(
        Method::PUT,
        PROFILE,
        Some(&b.access),
        Some(json!({"firstName": "Злам"})),
        &[("host", &a_host)],
    )
    .await
    .assert_error(403, "tenant_mismatch");
    assert_eq!(app.get(PROFILE, &a.access).await.body["avatar"], a_avatar);
    assert_eq!(app.get(PROFILE, &b.access).await.body["firstName"], "Олена");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn every_settings_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = Res::from(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let paths = doc.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/settings/salon", "get"),
        ("/api/v1/settings/salon", "put"),
        ("/api/v1/settings/profile", "get"),
        ("/api/v1/settings/profile", "put"),
        ("/api/v1/settings/profile/password", "post"),
        ("/api/v1/settings/profile/avatar", "post"),
        ("/api/v1/settings/profile/avatar", "delete"),
        ("/uploads/{key}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from OpenAPI"
        );
    }
    let put = &paths["/api/v1/settings/salon"]["put"]["description"];
    assert!(
        put.as_str().unwrap().contains("settings.general.access"),
        "permissions documented: {put}"
    );
}
