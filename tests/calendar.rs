//! Appointments and availability through the API, as the calendar uses them.

mod common;

use std::time::Duration;

use common::{PASSWORD, Session, TestApp, booking};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(app: &TestApp, who: &Session) -> Ws {
    let url = format!("ws://{}/api/v1/ws?token={}", app.addr, who.access);
    tokio_tungstenite::connect_async(url).await.expect("socket opens").0
}

/// The next JSON text frame within `wait`, skipping pings.
async fn frame(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await.ok()?? {
            Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).expect("JSON frame")),
            Ok(_) => continue,
            Err(e) => panic!("socket error {e}"),
        }
    }
}

/// Every day 09:00–18:00 with a 13:00–14:00 break.
async fn full_week(app: &TestApp, admin: &Session, staff_id: i64) {
    let day = json!({"isWorkDay": true, "startTime": "09:00", "endTime": "18:00", "breakStart": "13:00", "breakEnd": "14:00"});
    let days: serde_json::Map<String, Value> =
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].iter().map(|d| (d.to_string(), day.clone())).collect();
    let res = app.post(&format!("/api/v1/staff/{staff_id}/schedule"), Some(&admin.access), json!({"work_days": days})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

const DAY: &str = "2031-06-02";

#[tokio::test]
async fn the_calendar_body_books_and_links_client_and_service() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let cut = app.service(&admin, "Стрижка", 45, 450.5).await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;

    let mut body = booking(Some(staff), DAY, "10:00", "10:45");
    body["service"] = json!("стрижка, Укладка");
    let res = app.post("/api/v1/appointments", Some(&admin.access), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let a = &res.body;
    assert_eq!((a["date"].as_str(), a["startTime"].as_str(), a["endTime"].as_str()), (Some(DAY), Some("10:00"), Some("10:45")));
    assert_eq!(a["serviceId"], cut, "matched case-insensitively, first match linked");
    assert_eq!(a["serviceName"], "стрижка, Укладка", "entered text kept");
    assert_eq!(a["price"], 450);
    assert_eq!(a["status"], "scheduled");
    assert_eq!(a["type"], "standard");
    assert_eq!(a["staffId"], staff);
    let client_id = a["clientId"].as_i64().expect("client linked by phone");

    let mut su = app.su().await;
    let phone: String = sqlx::query_scalar("select phone from clients where id = $1").bind(client_id).fetch_one(&mut su).await.unwrap();
    assert_eq!(phone, "+380671234567");

    // The same phone written differently finds the same client.
    let mut again = booking(Some(staff), DAY, "11:00", "11:30");
    again["clientPhone"] = json!("067 123 45 67");
    let res = app.post("/api/v1/appointments", Some(&admin.access), again).await;
    assert_eq!(res.body["clientId"], client_id);
    let clients: i64 = sqlx::query_scalar("select count(*) from clients").fetch_one(&mut su).await.unwrap();
    assert_eq!(clients, 1);

    // The end defaults to the matched service's duration; an unknown service text is kept.
    let mut no_end = booking(Some(staff), DAY, "15:00", "15:00");
    no_end.as_object_mut().unwrap().remove("endTime");
    let res = app.post("/api/v1/appointments", Some(&admin.access), no_end).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["endTime"], "15:45");
    let mut unknown = booking(None, DAY, "12:00", "12:30");
    unknown["service"] = json!("Не з каталогу");
    unknown["clientPhone"] = json!("");
    let res = app.post("/api/v1/appointments", Some(&admin.access), unknown).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert!(res.body["serviceId"].is_null() && res.body["clientId"].is_null() && res.body["staffId"].is_null());
    assert_eq!(res.body["serviceName"], "Не з каталогу");

    let list = app.get(&format!("/api/v1/appointments?dateFrom={DAY}&dateTo={DAY}"), &admin.access).await;
    let times: Vec<&str> = list.body.as_array().unwrap().iter().map(|a| a["startTime"].as_str().unwrap()).collect();
    assert_eq!(times, ["10:00", "11:00", "12:00", "15:00"]);
    let one_staff = app.get(&format!("/api/v1/appointments?date={DAY}&staffId={staff}"), &admin.access).await;
    assert_eq!(one_staff.body.as_array().unwrap().len(), 3);

    let audited: i64 = sqlx::query_scalar("select count(*) from changes where entity = 'record' and action = 'created'")
        .fetch_one(&mut su).await.unwrap();
    assert_eq!(audited, 4);
}

#[tokio::test]
async fn touching_is_fine_and_any_overlap_is_409_naming_the_other() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;
    let first = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:00", "11:00")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let touching = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "11:00", "12:00")).await;
    assert_eq!(touching.status, StatusCode::CREATED, "{}", touching.text);
    for (start, end) in [("10:30", "11:30"), ("09:30", "10:01"), ("10:15", "10:45"), ("09:00", "12:30")] {
        let res = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, start, end)).await;
        res.assert_error(409, "slot_taken");
        assert!(res.body["conflict"]["id"].is_i64(), "{}", res.text);
        assert!(res.body["conflict"]["startTime"].is_string());
    }
    // Another member, or nobody, at the same time is fine.
    let other = app.member(&admin, "Олена").await;
    full_week(&app, &admin, other).await;
    assert_eq!(app.post("/api/v1/appointments", Some(&admin.access), booking(Some(other), DAY, "10:00", "11:00")).await.status, 201);
    assert_eq!(app.post("/api/v1/appointments", Some(&admin.access), booking(None, DAY, "10:00", "11:00")).await.status, 201);
}

#[tokio::test]
async fn fifty_concurrent_bookings_of_one_slot_make_one_appointment() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;
    let app = &app;
    let token = &admin.access;
    let results = futures::future::join_all((0..50).map(|i| async move {
        let mut body = booking(Some(staff), DAY, "10:00", "11:00");
        body["clientPhone"] = json!(format!("+38067{:07}", 1_000_000 + i));
        app.post("/api/v1/appointments", Some(token), body).await.status
    }))
    .await;
    let created = results.iter().filter(|s| **s == StatusCode::CREATED).count();
    let conflicts = results.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (1, 49), "{results:?}");
    let mut su = app.su().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from appointments").fetch_one(&mut su).await.unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn working_hours_and_days_off_are_enforced_with_a_reason() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    let res = app.post(&format!("/api/v1/staff/{staff}/schedule"), Some(&admin.access), json!({
        "work_days": {"monday": {"start": "09:00", "end": "18:00"}},
        "exceptions": [{"type": "vacation", "dateFrom": "2031-06-09", "dateTo": "2031-06-10", "reason": "відпустка"}]
    })).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // 2031-06-02 is a Monday.
    let late = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "17:30", "18:30")).await;
    late.assert_error(422, "outside_working_hours");
    let tuesday = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), "2031-06-03", "10:00", "11:00")).await;
    tuesday.assert_error(422, "day_off");
    let vacation = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), "2031-06-09", "10:00", "11:00")).await;
    vacation.assert_error(422, "day_off");

    let mut forced = booking(Some(staff), "2031-06-03", "10:00", "11:00");
    forced["overrideSchedule"] = json!(true);
    assert_eq!(app.post("/api/v1/appointments", Some(&admin.access), forced.clone()).await.status, 201, "admins may override");
    let manager = app.staff(&admin, "manager").await;
    forced["startTime"] = json!("12:00");
    forced["endTime"] = json!("13:00");
    app.post("/api/v1/appointments", Some(&manager.access), forced).await.assert_error(422, "day_off");

    let mut su = app.su().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from appointments").fetch_one(&mut su).await.unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn status_rules_completed_is_final_and_restore_needs_a_free_slot() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;
    let a = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:00", "11:00")).await.body;
    let path = format!("/api/v1/appointments/{}", a["id"]);

    let cancelled = app.put(&path, &admin.access, json!({"status": "cancelled"})).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let b = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:30", "11:30")).await;
    assert_eq!(b.status, StatusCode::CREATED, "a cancelled visit frees its slot");
    app.put(&path, &admin.access, json!({"status": "scheduled"})).await.assert_error(409, "slot_taken");
    let b_path = format!("/api/v1/appointments/{}", b.body["id"]);
    assert_eq!(app.request(Method::DELETE, &b_path, Some(&admin.access), None).await.status, StatusCode::NO_CONTENT);
    app.get(&b_path, &admin.access).await.assert_error(404, "not_found");
    let restored = app.put(&path, &admin.access, json!({"status": "confirmed"})).await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text);

    let done = app.put(&path, &admin.access, json!({"status": "completed", "notes": "Все добре"})).await;
    assert_eq!((done.body["status"].as_str(), done.body["notes"].as_str()), (Some("completed"), Some("Все добре")));
    app.put(&path, &admin.access, json!({"startTime": "12:00", "endTime": "13:00"})).await.assert_error(409, "appointment_completed");
    app.put(&path, &admin.access, json!({"status": "scheduled"})).await.assert_error(409, "invalid_transition");
    let patch = app.request(Method::PATCH, &format!("{path}/status"), Some(&admin.access), Some(json!({"status": "no-show"}))).await;
    patch.assert_error(409, "invalid_transition");
    // Notes and price may still change on a completed visit.
    let edited = app.put(&path, &admin.access, json!({"price": 500.25})).await;
    assert_eq!(edited.body["price"], 500.25);
    assert_eq!(edited.body["startTime"], "10:00");
}

#[tokio::test]
async fn partial_updates_keep_the_rest_and_null_staff_unassigns() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;
    let a = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:00", "11:00")).await.body;
    let path = format!("/api/v1/appointments/{}", a["id"]);
    let moved = app.put(&path, &admin.access, json!({"startTime": "14:00", "endTime": "15:30"})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!((moved.body["startTime"].as_str(), moved.body["clientName"].as_str()), (Some("14:00"), Some("Марія Петренко")));
    assert_eq!(moved.body["staffId"], staff);
    let into_break = app.put(&path, &admin.access, json!({"startTime": "12:30", "endTime": "13:30"})).await;
    into_break.assert_error(422, "outside_working_hours");
    let unassigned = app.put(&path, &admin.access, json!({"staffId": null})).await;
    assert!(unassigned.body["staffId"].is_null(), "{}", unassigned.text);
    assert_eq!(unassigned.body["startTime"], "14:00");
}

#[tokio::test]
async fn the_member_concerned_gets_a_notification() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let res = app.post("/api/v1/staff", Some(&admin.access), json!({"firstName": "Ірина", "lastName": "Коваль",
        "phone": "+380501112233", "position": "master", "email": "iryna@example.com"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let staff = res.body["id"].as_i64().unwrap();
    full_week(&app, &admin, staff).await;
    app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:00", "11:00")).await;

    let mut su = app.su().await;
    let (title, message): (String, String) = sqlx::query_as(
        "select n.title, n.message from notifications n join users u on u.id = n.user_id where u.email = 'iryna@example.com'",
    )
    .fetch_one(&mut su).await.unwrap();
    assert_eq!(title, "Новий запис");
    assert!(message.contains("Марія Петренко") && message.contains("10:00"), "{message}");
}

#[tokio::test]
async fn another_salon_can_neither_read_change_delete_nor_reference() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let a_staff = app.member(&a, "Ірина").await;
    full_week(&app, &a, a_staff).await;
    let a_service = app.service(&a, "Стрижка", 60, 450.0).await;
    let appt = app.post("/api/v1/appointments", Some(&a.access), booking(Some(a_staff), DAY, "10:00", "11:00")).await.body;
    let id = appt["id"].as_i64().unwrap();
    let client_id = appt["clientId"].as_i64().unwrap();
    let path = format!("/api/v1/appointments/{id}");

    app.get(&path, &b.access).await.assert_error(404, "not_found");
    app.put(&path, &b.access, json!({"status": "cancelled"})).await.assert_error(404, "not_found");
    app.request(Method::PATCH, &format!("{path}/status"), Some(&b.access), Some(json!({"status": "cancelled"})))
        .await.assert_error(404, "not_found");
    app.request(Method::DELETE, &path, Some(&b.access), None).await.assert_error(404, "not_found");
    assert!(app.get(&format!("/api/v1/appointments?date={DAY}"), &b.access).await.body.as_array().unwrap().is_empty());

    for (field, value) in [("staffId", a_staff), ("serviceId", a_service), ("clientId", client_id)] {
        let mut body = booking(None, DAY, "10:00", "11:00");
        body[field] = json!(value);
        let res = app.post("/api/v1/appointments", Some(&b.access), body).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{}", res.text);
    }
    app.get(&format!("/api/v1/staff/{a_staff}/availability?date={DAY}&startTime=10:00&duration=60"), &b.access)
        .await.assert_error(404, "not_found");

    let still = app.get(&path, &a.access).await;
    assert_eq!(still.body["status"], "scheduled");
    let mut su = app.su().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from appointments").fetch_one(&mut su).await.unwrap();
    assert_eq!(rows, 1, "B wrote nothing");
}

#[tokio::test]
async fn bad_input_is_4xx() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let staff = app.member(&admin, "Ірина").await;
    let cases = [
        (booking(Some(staff), DAY, "11:00", "10:00"), "endTime"),
        (booking(Some(staff), DAY, "10:00", "10:00"), "endTime"),
        (booking(Some(999_999), DAY, "10:00", "11:00"), "staffId"),
        (booking(Some(staff), "2031-13-01", "10:00", "11:00"), "date"),
        (booking(Some(staff), DAY, "10:75", "11:00"), "startTime"),
        (booking(Some(staff), "02.06.2031", "10:00", "11:00"), "date"),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/appointments", Some(&admin.access), body).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    let mut bad_status = booking(Some(staff), DAY, "10:00", "11:00");
    bad_status["status"] = json!("paid");
    app.post("/api/v1/appointments", Some(&admin.access), bad_status).await.assert_error(422, "validation_error");
    let mut no_name = booking(Some(staff), DAY, "10:00", "11:00");
    no_name["clientName"] = json!("  ");
    app.post("/api/v1/appointments", Some(&admin.access), no_name).await.assert_error(422, "validation_error");
    app.get("/api/v1/appointments?dateFrom=yesterday", &admin.access).await.assert_error(422, "validation_error");
    app.get("/api/v1/appointments?status=paid", &admin.access).await.assert_error(422, "validation_error");
    let mut su = app.su().await;
    let rows: i64 = sqlx::query_scalar("select count(*) from appointments").fetch_one(&mut su).await.unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn a_master_without_create_permission_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;
    app.post("/api/v1/appointments", Some(&master.access), booking(None, DAY, "10:00", "11:00"))
        .await.assert_error(403, "forbidden");
    assert_eq!(app.get("/api/v1/appointments", &master.access).await.status, StatusCode::OK);
}

/// Europe/Kyiv: 29 March 2026 loses 03:00–04:00, 25 October 2026 repeats it.
#[tokio::test]
async fn slots_on_dst_days_are_correct_wall_clock_times_and_instants() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let svc = app.service(&admin, "Нічна процедура", 60, 100.0).await;
    let staff = app.member(&admin, "Ірина").await;
    let res = app.post(&format!("/api/v1/staff/{staff}/schedule"), Some(&admin.access),
        json!({"work_days": {"sunday": {"start": "01:00", "end": "06:00"}}})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Both days are in the past relative to the test machine only after 2026; push "now"
    // out of the way by asking the check route, and the search for future Sundays below.
    for (date, expected) in [
        ("2027-03-28", vec![("01:00", "2027-03-27T23:00:00Z"), ("02:00", "2027-03-28T00:00:00Z"), ("04:00", "2027-03-28T01:00:00Z"), ("05:00", "2027-03-28T02:00:00Z")]),
        ("2027-10-31", vec![("01:00", "2027-10-30T22:00:00Z"), ("02:00", "2027-10-30T23:00:00Z"), ("03:00", "2027-10-31T00:00:00Z"), ("04:00", "2027-10-31T02:00:00Z"), ("05:00", "2027-10-31T03:00:00Z")]),
    ] {
        let res = app.get(&format!("/api/v1/appointments/availability?serviceId={svc}&dateFrom={date}&dateTo={date}&staffId={staff}"), &admin.access).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["timezone"], "Europe/Kyiv");
        let slots = res.body["staff"][0]["days"][0]["slots"].as_array().unwrap();
        let hourly: Vec<(String, String)> = slots
            .iter()
            .filter(|s| s["startTime"].as_str().unwrap().ends_with(":00"))
            .map(|s| (s["startTime"].as_str().unwrap().to_owned(), s["startsAt"].as_str().unwrap().replace("+00:00", "Z")))
            .collect();
        let expected: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(hourly, expected, "{date}");
        assert!(!slots.iter().any(|s| s["startTime"].as_str().unwrap().starts_with("03:") && date.ends_with("03-28")), "no slot in the gap");
    }
}

#[tokio::test]
async fn free_slot_search_skips_busy_time_and_respects_performers() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let svc = app.service(&admin, "Стрижка", 60, 450.0).await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;
    app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:00", "11:00")).await;
    let res = app.get(&format!("/api/v1/appointments/availability?serviceId={svc}&dateFrom={DAY}"), &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let member_slots = res.body["staff"].as_array().unwrap().iter().find(|s| s["staffId"] == staff).expect("member listed");
    let starts: Vec<&str> = member_slots["days"][0]["slots"].as_array().unwrap().iter().map(|s| s["startTime"].as_str().unwrap()).collect();
    assert!(starts.contains(&"09:00") && starts.contains(&"11:00"));
    assert!(!starts.contains(&"09:30") && !starts.contains(&"10:00") && !starts.contains(&"10:45"), "{starts:?}");
    assert!(!starts.contains(&"12:30"), "would run into the break: {starts:?}");
    assert!(starts.contains(&"17:00") && !starts.contains(&"17:15"), "{starts:?}");

    let check = app.get(&format!("/api/v1/staff/{staff}/availability?date={DAY}&startTime=10:30&duration=30"), &admin.access).await;
    assert_eq!((check.body["available"].as_bool(), check.body["reason"].as_str()), (Some(false), Some("slot_taken")));
    let check = app.get(&format!("/api/v1/staff/{staff}/availability?date={DAY}&startTime=11:00&endTime=12:00"), &admin.access).await;
    assert_eq!(check.body["available"], true);
    let check = app.get(&format!("/api/v1/staff/{staff}/availability?date={DAY}&startTime=13:00&endTime=13:30"), &admin.access).await;
    assert_eq!(check.body["reason"], "outside_working_hours");
}

#[tokio::test]
async fn changes_reach_the_salons_sockets_and_only_them() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let res = app.post("/api/v1/staff", Some(&a.access), json!({"firstName": "Ірина", "position": "master",
        "email": "iryna-ws@example.com"})).await;
    let staff = res.body["id"].as_i64().unwrap();
    full_week(&app, &a, staff).await;
    app.open_invitation("iryna-ws@example.com").await;
    let setup = app.post("/api/v1/auth/setup", None, json!({"email": "iryna-ws@example.com", "password": PASSWORD})).await;
    let iryna = Session::from_answer(&setup.body, "iryna-ws@example.com");

    let (mut ws_a, mut ws_b, mut ws_iryna) = (socket(&app, &a).await, socket(&app, &b).await, socket(&app, &iryna).await);
    let created = app.post("/api/v1/appointments", Some(&a.access), booking(Some(staff), DAY, "10:00", "11:00")).await.body;

    let event = frame(&mut ws_a, Duration::from_secs(5)).await.expect("A's admin hears of it");
    assert_eq!(event["type"], "appointment:created");
    assert_eq!(event["data"], created, "the object exactly as REST returns it");
    let mut iryna_types = Vec::new();
    for _ in 0..2 {
        let e = frame(&mut ws_iryna, Duration::from_secs(5)).await.expect("the member hears twice");
        iryna_types.push(e["type"].as_str().unwrap().to_owned());
        if e["type"] == "notification:new" {
            assert_eq!(e["data"]["title"], "Новий запис");
            assert_eq!(e["data"]["isRead"], false);
        }
    }
    iryna_types.sort();
    assert_eq!(iryna_types, ["appointment:created", "notification:new"]);
    assert!(frame(&mut ws_a, Duration::from_millis(300)).await.is_none(), "the admin made the change: no notification");

    let path = format!("/api/v1/appointments/{}", created["id"]);
    app.put(&path, &a.access, json!({"status": "confirmed"})).await;
    assert_eq!(frame(&mut ws_a, Duration::from_secs(5)).await.unwrap()["type"], "appointment:updated");
    app.request(Method::DELETE, &path, Some(&a.access), None).await;
    let deleted = frame(&mut ws_a, Duration::from_secs(5)).await.unwrap();
    assert_eq!((deleted["type"].as_str(), &deleted["data"]), (Some("appointment:deleted"), &json!({"id": created["id"]})));

    assert!(frame(&mut ws_b, Duration::from_millis(300)).await.is_none(), "salon B hears nothing of salon A");
}

#[tokio::test]
async fn a_booking_on_one_server_reaches_a_socket_on_another() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let staff = app.member(&admin, "Ірина").await;
    full_week(&app, &admin, staff).await;

    // A second server process on the same database and Redis.
    let state = adelante::AppState::connect(common::test_config(&app.db_name, &app.outbox, &[])).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = listener.local_addr().unwrap();
    let service = adelante::app::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });

    let url = format!("ws://{second}/ws?token={}", admin.access);
    let mut ws = tokio_tungstenite::connect_async(url).await.expect("socket on the second server").0;
    let created = app.post("/api/v1/appointments", Some(&admin.access), booking(Some(staff), DAY, "10:00", "11:00")).await.body;
    let event = frame(&mut ws, Duration::from_secs(5)).await.expect("the event crosses servers");
    assert_eq!((event["type"].as_str(), &event["data"]["id"]), (Some("appointment:created"), &created["id"]));
    server.abort();
}
