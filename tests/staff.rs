//! Staff members: CRUD, accounts, validation, permissions, deletion rules, tenancy, schedules
//! and the functions the calendar calls.

mod common;

use adelante::{
    ids::{ServiceId, StaffId},
    staff,
    tenancy::SalonId,
};
use chrono::{Datelike, Days, NaiveDate, NaiveTime, Utc};
use common::{PASSWORD, Res, Session, TestApp, rand_suffix};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create_service(app: &TestApp, who: &Session, name: &str) -> i64 {
    let res = app.post("/api/v1/services", Some(&who.access), json!({"name": name, "duration": 60, "price": 300})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

fn email() -> String {
    format!("staff-{}@example.com", rand_suffix())
}

/// Today in the salons' default zone (Europe/Kyiv), plus `n` days.
fn day(n: u64) -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::Kyiv).date_naive() + Days::new(n)
}

/// The first Monday at least `n` days ahead.
fn monday_after(n: u64) -> NaiveDate {
    let d = day(n);
    d + Days::new(u64::from((7 - d.weekday().num_days_from_monday()) % 7))
}

#[tokio::test]
async fn a_member_is_created_read_changed_and_listed() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    // Exactly what the add modal sends.
    let plain = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина", "lastName": "", "phone": "+380 67 123 45 67",
        "position": "master", "specializations": ["Манікюр"]})).await;
    assert_eq!(plain["isActive"], true);
    assert_eq!((plain["salary"].clone(), plain["commission"].clone()), (json!(0), json!(0.0)));
    assert_eq!((plain["email"].clone(), plain["userId"].clone(), plain["hireDate"].clone()), (Value::Null, Value::Null, Value::Null));
    assert_eq!((plain["schedule"].clone(), plain["serviceIds"].clone()), (json!({}), json!([])));
    assert_eq!(plain["specializations"], json!(["Манікюр"]));
    assert!(plain["createdAt"].is_string() && plain["updatedAt"].is_string());

    let cut = create_service(&app, &admin, "Стрижка").await;
    let color = create_service(&app, &admin, "Фарбування").await;
    let full = app.created(&admin, "/api/v1/staff", json!({"firstName": "Олег", "lastName": "Адаменко", "middleName": "Петрович",
        "position": "barber", "hireDate": "2025-3-1", "salary": 15000.5, "commission": 30, "color": "#AABBCC",
        "serviceIds": [color, cut, cut]})).await;
    let id = full["id"].as_i64().unwrap();
    assert_eq!((full["salary"].clone(), full["commission"].as_f64()), (json!(15000.5), Some(30.0)));
    assert_eq!((full["hireDate"].as_str(), full["color"].as_str()), (Some("2025-03-01"), Some("#aabbcc")));
    let mut expected = vec![cut, color];
    expected.sort();
    assert_eq!(full["serviceIds"], json!(expected));

    let one = app.get(&format!("/api/v1/staff/{id}"), &admin.access).await;
    assert_eq!(one.body["middleName"], "Петрович");
    let stats = &one.body["statistics"];
    for key in ["totalAppointments", "completedAppointments", "clientsServed"] {
        assert_eq!(stats[key], 0, "{key}");
    }
    assert_eq!((stats["totalRevenue"].as_f64(), stats["averageRating"].as_f64()), (Some(0.0), Some(0.0)));

    // Partial: only the phone and the service list change; "" clears the hire date.
    let res = app.put(&format!("/api/v1/staff/{id}"), &admin.access,
        json!({"phone": "0671112233", "serviceIds": [cut], "hireDate": ""})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["phone"].as_str(), res.body["serviceIds"].clone()), (Some("0671112233"), json!([cut])));
    assert_eq!((res.body["firstName"].as_str(), res.body["salary"].clone()), (Some("Олег"), json!(15000.5)));
    assert_eq!(res.body["hireDate"], Value::Null);

    let list = app.get("/api/v1/staff", &admin.access).await;
    let names: Vec<&str> = list.body.as_array().unwrap().iter().map(|s| s["firstName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Ірина", "Олег"], "by last name: '' before Адаменко");
    let search = app.get("/api/v1/staff?search=%D0%B0%D0%B4%D0%B0%D0%BC&position=&isActive=true", &admin.access).await;
    assert_eq!(search.body.as_array().unwrap().len(), 1, "{}", search.text);
    let barbers = app.get("/api/v1/staff?position=BARBER", &admin.access).await;
    assert_eq!(barbers.body[0]["id"], id);
    app.put(&format!("/api/v1/staff/{id}"), &admin.access, json!({"isActive": false})).await;
    assert_eq!(app.get("/api/v1/staff?isActive=true", &admin.access).await.body.as_array().unwrap().len(), 1);

    let mut su = app.su().await;
    let trail: Vec<String> = sqlx::query_scalar("select action from changes where entity = 'employee' and entity_id = $1 order by id")
        .bind(id).fetch_all(&mut su).await.unwrap();
    assert_eq!(trail, ["created", "updated", "updated"]);
}

#[tokio::test]
async fn invalid_input_is_422_naming_every_field() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let res = app.post("/api/v1/staff", Some(&admin.access), json!({"firstName": " ", "email": "not-an-email",
        "commission": 150, "salary": -1, "color": "blue", "hireDate": "2025-02-30"})).await;
    res.assert_error(422, "validation_error");
    for field in ["firstName", "email", "commission", "salary", "color", "hireDate"] {
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    app.post("/api/v1/staff", Some(&admin.access), json!({"lastName": "Без імені"})).await.assert_error(422, "validation_error");
    app.post("/api/v1/staff", Some(&admin.access), json!({"firstName": "Ок", "serviceIds": [999999]}))
        .await.assert_error(422, "validation_error");
    let mut su = app.su().await;
    let n: i64 = sqlx::query_scalar("select count(*) from staff").fetch_one(&mut su).await.unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_master_reads_staff_but_cannot_change_it() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let master = app.staff(&admin, "master").await;
    let id = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина"})).await["id"].as_i64().unwrap();

    assert_eq!(app.get("/api/v1/staff", &master.access).await.body.as_array().unwrap().len(), 1);
    assert_eq!(app.get(&format!("/api/v1/staff/{id}"), &master.access).await.status, StatusCode::OK);
    assert_eq!(app.get(&format!("/api/v1/staff/{id}/schedule"), &master.access).await.status, StatusCode::OK);
    app.post("/api/v1/staff", Some(&master.access), json!({"firstName": "X"})).await.assert_error(403, "forbidden");
    app.put(&format!("/api/v1/staff/{id}"), &master.access, json!({"firstName": "X"})).await.assert_error(403, "forbidden");
    app.delete(&master, &format!("/api/v1/staff/{id}")).await.assert_error(403, "forbidden");
    app.post(&format!("/api/v1/staff/{id}/schedule"), Some(&master.access), json!({"work_days": {}}))
        .await.assert_error(403, "forbidden");
    app.delete(&master, &format!("/api/v1/staff/{id}/schedule/exceptions/1")).await.assert_error(403, "forbidden");
}

#[tokio::test]
async fn another_salons_staff_is_404_and_its_services_cannot_be_referenced() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let a_service = create_service(&app, &a, "Манікюр").await;
    let a_staff = app.created(&a, "/api/v1/staff", json!({"firstName": "Ірина", "serviceIds": [a_service]})).await["id"].as_i64().unwrap();
    let saved = app.post(&format!("/api/v1/staff/{a_staff}/schedule"), Some(&a.access),
        json!({"work_days": {"monday": {"start": "09:00", "end": "18:00"}},
               "exceptions": [{"type": "dayoff", "date": day(10).to_string()}]})).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    let exception = saved.body["exceptions"][0]["id"].as_i64().unwrap();

    app.get(&format!("/api/v1/staff/{a_staff}"), &b.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/staff/{a_staff}"), &b.access, json!({"firstName": "Hacked", "isActive": false}))
        .await.assert_error(404, "not_found");
    app.delete(&b, &format!("/api/v1/staff/{a_staff}")).await.assert_error(404, "not_found");
    app.get(&format!("/api/v1/staff/{a_staff}/schedule"), &b.access).await.assert_error(404, "not_found");
    app.post(&format!("/api/v1/staff/{a_staff}/schedule"), Some(&b.access), json!({"work_days": {}, "exceptions": []}))
        .await.assert_error(404, "not_found");
    app.delete(&b, &format!("/api/v1/staff/{a_staff}/schedule/exceptions/{exception}")).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/staff", &b.access).await.body, json!([]));

    // Referencing A's service from B: refused, nothing written.
    app.post("/api/v1/staff", Some(&b.access), json!({"firstName": "Олег", "serviceIds": [a_service]}))
        .await.assert_error(422, "validation_error");
    let b_staff = app.created(&b, "/api/v1/staff", json!({"firstName": "Олег"})).await["id"].as_i64().unwrap();
    let res = app.put(&format!("/api/v1/staff/{b_staff}"), &b.access, json!({"serviceIds": [a_service]})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["serviceIds"].is_array());

    let mut su = app.su().await;
    let (b_staff_rows, b_links): (i64, i64) = sqlx::query_as(
        "select (select count(*) from staff where salon_id = $1), (select count(*) from staff_services where salon_id = $1)")
        .bind(b.salon_id()).fetch_one(&mut su).await.unwrap();
    assert_eq!((b_staff_rows, b_links), (1, 0));
    let seen = app.get(&format!("/api/v1/staff/{a_staff}"), &a.access).await;
    assert_eq!((seen.body["firstName"].as_str(), seen.body["isActive"].as_bool()), (Some("Ірина"), Some(true)));
    assert_eq!(seen.body["schedule"]["monday"], json!({"start": "09:00", "end": "18:00"}));
    let exceptions: i64 = sqlx::query_scalar("select count(*) from staff_exceptions where staff_id = $1")
        .bind(a_staff).fetch_one(&mut su).await.unwrap();
    assert_eq!(exceptions, 1);
}

#[tokio::test]
async fn an_email_creates_an_account_that_completes_setup() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let address = email();
    let member = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина", "lastName": "Коваль", "phone": "+380671234567",
        "email": address.to_uppercase(), "position": "master"})).await;
    assert_eq!(member["email"], address.as_str());
    let user_id = member["userId"].as_i64().expect("an account was linked");

    app.open_invitation(&address).await;
    let setup = app.post("/api/v1/auth/setup", None, json!({"email": address, "password": PASSWORD})).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let token = setup.body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/auth/me", token).await;
    assert_eq!((me.body["id"].as_i64(), me.body["role"].as_str()), (Some(user_id), Some("master")));
    assert_eq!((me.body["first_name"].as_str(), me.body["last_name"].as_str()), (Some("Ірина"), Some("Коваль")));

    // The same e-mail again: 409, and no second member.
    let res = app.post("/api/v1/staff", Some(&admin.access), json!({"firstName": "Двійник", "email": address})).await;
    res.assert_error(409, "email_taken");
    let manager = app.created(&admin, "/api/v1/staff", json!({"firstName": "Марта", "email": email(), "position": "manager"})).await;
    let mut su = app.su().await;
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(manager["userId"].as_i64().unwrap()).fetch_one(&mut su).await.unwrap();
    assert_eq!(role, "manager");
    let n: i64 = sqlx::query_scalar("select count(*) from staff").fetch_one(&mut su).await.unwrap();
    assert_eq!(n, 2);

    // A member added without an e-mail gets the account when one is set later.
    let later = app.created(&admin, "/api/v1/staff", json!({"firstName": "Пізній"})).await["id"].as_i64().unwrap();
    let res = app.put(&format!("/api/v1/staff/{later}"), &admin.access, json!({"email": email()})).await;
    assert!(res.body["userId"].is_i64(), "{}", res.text);
}

#[tokio::test]
async fn only_who_manages_access_can_create_an_administrator_account() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let manager = app.staff(&admin, "manager").await;
    let res = app.post("/api/v1/staff", Some(&manager.access),
        json!({"firstName": "Новий", "email": email(), "position": "administrator"})).await;
    res.assert_error(403, "forbidden");
    // Without an e-mail there is no account, so the position alone is fine.
    app.created(&manager, "/api/v1/staff", json!({"firstName": "Новий", "position": "administrator"})).await;
    let made = app.created(&admin, "/api/v1/staff", json!({"firstName": "Адмін", "email": email(), "position": "administrator"})).await;
    let mut su = app.su().await;
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(made["userId"].as_i64().unwrap()).fetch_one(&mut su).await.unwrap();
    assert_eq!(role, "admin");
}

#[tokio::test]
async fn deleting_a_member_deactivates_their_account_unless_they_have_bookings() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let address = email();
    let member = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина", "email": address})).await;
    let (id, user_id) = (member["id"].as_i64().unwrap(), member["userId"].as_i64().unwrap());
    app.open_invitation(&address).await;
    let setup = app.post("/api/v1/auth/setup", None, json!({"email": address, "password": PASSWORD})).await;
    let token = setup.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/auth/me", &token).await.status, StatusCode::OK);

    let mut su = app.su().await;
    let insert = "insert into appointments (salon_id, client_name, staff_id, date, start_time, end_time, starts_at, ends_at, status)
                  values ($1, 'Клієнтка', $2, (now() + make_interval(days => $3))::date, '10:00', '11:00',
                          now() + make_interval(days => $3), now() + make_interval(days => $3, hours => 1), $4)";
    sqlx::query(insert).bind(admin.salon_id()).bind(id).bind(-2).bind("completed").execute(&mut su).await.unwrap();
    sqlx::query(insert).bind(admin.salon_id()).bind(id).bind(5).bind("scheduled").execute(&mut su).await.unwrap();
    app.delete(&admin, &format!("/api/v1/staff/{id}")).await.assert_error(409, "staff_has_appointments");
    assert_eq!(app.get(&format!("/api/v1/staff/{id}"), &admin.access).await.body["isActive"], true);
    assert_eq!(app.get("/api/v1/auth/me", &token).await.status, StatusCode::OK);

    sqlx::query("update appointments set status = 'cancelled' where staff_id = $1 and status = 'scheduled'")
        .bind(id).execute(&mut su).await.unwrap();
    let res = app.delete(&admin, &format!("/api/v1/staff/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    app.get("/api/v1/auth/me", &token).await.assert_error(401, "not_authenticated");
    app.get(&format!("/api/v1/staff/{id}"), &admin.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/staff/{id}"), &admin.access, json!({"firstName": "X"})).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/staff", &admin.access).await.body, json!([]));
    let (active, deleted, user_active): (bool, bool, bool) = sqlx::query_as(
        "select s.is_active, s.deleted_at is not null, u.is_active from staff s join users u on u.id = s.user_id where s.id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((active, deleted, user_active), (false, true, false));
    let _ = user_id;
}

#[tokio::test]
async fn the_last_administrator_cannot_be_deleted_through_staff() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let mut su = app.su().await;
    let id: i64 = sqlx::query_scalar("insert into staff (salon_id, first_name, user_id) values ($1, 'Олена', $2) returning id")
        .bind(admin.salon_id()).bind(admin.user_id).fetch_one(&mut su).await.unwrap();
    app.delete(&admin, &format!("/api/v1/staff/{id}")).await.assert_error(409, "last_admin");
    assert_eq!(app.get(&format!("/api/v1/staff/{id}"), &admin.access).await.status, StatusCode::OK);
}

/// Member ids and (date, "HH:MM-HH:MM,...") of `working_windows`.
fn windows_text(windows: &[staff::DayWindows]) -> Vec<(i64, NaiveDate, String)> {
    let hm = |t: NaiveTime| t.format("%H:%M").to_string();
    windows
        .iter()
        .map(|w| (w.staff_id.get(), w.date, w.intervals.iter().map(|&(s, e)| format!("{}-{}", hm(s), hm(e))).collect::<Vec<_>>().join(",")))
        .collect()
}

#[tokio::test]
async fn working_windows_follow_patterns_exceptions_and_membership() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let monday = monday_after(7);
    let iso = |d: NaiveDate| d.to_string();
    let mut ids = Vec::new();
    for name in ["Ірина", "Олег", "Звільнена"] {
        ids.push(app.created(&admin, "/api/v1/staff", json!({"firstName": name})).await["id"].as_i64().unwrap());
    }
    let week = json!({"work_days": {
        "monday": {"isWorkDay": true, "startTime": "09:00", "endTime": "18:00", "breakStart": "13:00", "breakEnd": "14:00"},
        "tuesday": {"start": "10:00", "end": "16:00"}, "wed": {"enabled": true, "from": "12:00", "to": "20:00"}}});
    for &id in &ids {
        let res = app.post(&format!("/api/v1/staff/{id}/schedule"), Some(&admin.access), week.clone()).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let exceptions = json!({"work_days": week["work_days"], "exceptions": [
        {"type": "sick", "date": iso(monday)},
        {"type": "hours", "date": iso(monday + Days::new(1)), "startTime": "08:00", "endTime": "11:00"},
        {"type": "hours", "date": iso(monday + Days::new(3)), "startTime": "10:00", "endTime": "12:00"}]});
    let res = app.post(&format!("/api/v1/staff/{}/schedule", ids[1]), Some(&admin.access), exceptions).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.put(&format!("/api/v1/staff/{}", ids[2]), &admin.access, json!({"isActive": false})).await;

    let mut tx = app.state.db.begin(SalonId(admin.salon_id())).await.unwrap();
    let all = staff::working_windows(&mut tx, None, monday, monday + Days::new(6)).await.unwrap();
    let (m, tu, w, th) = (monday, monday + Days::new(1), monday + Days::new(2), monday + Days::new(3));
    assert_eq!(windows_text(&all), [
        (ids[0], m, "09:00-13:00,14:00-18:00".to_owned()), (ids[0], tu, "10:00-16:00".to_owned()), (ids[0], w, "12:00-20:00".to_owned()),
        (ids[1], tu, "08:00-11:00".to_owned()), (ids[1], w, "12:00-20:00".to_owned()), (ids[1], th, "10:00-12:00".to_owned()),
    ], "the inactive member is absent; sick Monday, changed Tuesday, extra Thursday");
    let one = staff::working_windows(&mut tx, Some(&[StaffId(ids[1])]), m, m).await.unwrap();
    assert!(one.is_empty());
    assert!(staff::working_windows(&mut tx, Some(&[]), m, th).await.unwrap().is_empty());

    let member = staff::active_member(&mut tx, StaffId(ids[0])).await.unwrap().unwrap();
    assert_eq!((member.first_name.as_str(), member.user_id), ("Ірина", None));
    assert_eq!(staff::active_member(&mut tx, StaffId(ids[2])).await.unwrap(), None);
    assert_eq!(staff::performing_any(&mut tx).await.unwrap(), [StaffId(ids[0]), StaffId(ids[1])]);
    tx.commit().await.unwrap();

    let service = create_service(&app, &admin, "Манікюр").await;
    let mut tx = app.state.db.begin(SalonId(admin.salon_id())).await.unwrap();
    assert_eq!(staff::performing(&mut tx, ServiceId(service)).await.unwrap(), [StaffId(ids[0]), StaffId(ids[1])], "nobody linked: everyone");
    tx.commit().await.unwrap();
    app.put(&format!("/api/v1/staff/{}", ids[1]), &admin.access, json!({"serviceIds": [service]})).await;
    let mut tx = app.state.db.begin(SalonId(admin.salon_id())).await.unwrap();
    assert_eq!(staff::performing(&mut tx, ServiceId(service)).await.unwrap(), [StaffId(ids[1])]);
    tx.commit().await.unwrap();
}

async fn save_schedule(app: &TestApp, who: &Session, id: i64, body: Value) -> Res {
    app.post(&format!("/api/v1/staff/{id}/schedule"), Some(&who.access), body).await
}

async fn schedule_of(app: &TestApp, who: &Session, id: i64, from: NaiveDate, to: NaiveDate) -> Value {
    let res = app.get(&format!("/api/v1/staff/{id}/schedule?dateFrom={from}&dateTo={to}"), &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

#[tokio::test]
async fn each_day_shape_round_trips() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина"})).await["id"].as_i64().unwrap();
    let monday = monday_after(7);

    // (a) what the staff store sends.
    let res = save_schedule(&app, &admin, id, json!({"work_days": {"monday": {"start": "09:00", "end": "18:00"},
        "friday": {"start": "10:00", "end": "15:00"}}, "exceptions": []})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["message"].is_string());
    assert_eq!(res.body["workDays"]["monday"], json!({"isWorkDay": true, "startTime": "09:00", "endTime": "18:00",
        "intervals": [{"start": "09:00", "end": "18:00"}]}));
    assert_eq!(res.body["workDays"]["sunday"], json!({"isWorkDay": false, "startTime": null, "endTime": null, "intervals": []}));
    assert_eq!(res.body["schedule"].as_array().unwrap().len(), 7, "the coming week");
    let member = app.get(&format!("/api/v1/staff/{id}"), &admin.access).await;
    assert_eq!(member.body["schedule"], json!({"monday": {"start": "09:00", "end": "18:00"}, "friday": {"start": "10:00", "end": "15:00"}}));

    // (b) the schedule modal, with a break; the pattern is replaced as a whole.
    let res = save_schedule(&app, &admin, id, json!({"work_days": {
        "monday": {"isWorkDay": true, "startTime": "09:00", "endTime": "18:00", "breakStart": "13:00", "breakEnd": "14:00"},
        "tuesday": {"isWorkDay": false, "startTime": "09:00", "endTime": "18:00"}}})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let view = schedule_of(&app, &admin, id, monday, monday + Days::new(1)).await;
    assert_eq!(view["schedule"][0], json!({"date": monday.to_string(), "dayOfWeek": "monday", "isWorkingDay": true,
        "workFrom": "09:00", "workTo": "18:00", "intervals": [{"from": "09:00", "to": "13:00"}, {"from": "14:00", "to": "18:00"}],
        "breaks": [{"from": "13:00", "to": "14:00"}]}));
    assert_eq!(view["schedule"][1]["isWorkingDay"], false);
    assert_eq!(view["workDays"]["friday"]["isWorkDay"], false, "friday was not in the new pattern");

    // (c) the spec's shape with short keys, and explicit intervals.
    let res = save_schedule(&app, &admin, id, json!({"work_days": {
        "mon": {"enabled": true, "from": "08:00", "to": "20:00", "breaks": [{"from": "12:00", "to": "12:30"}]},
        "sat": {"intervals": [{"start": "10:00", "end": "12:00"}, {"start": "13:00", "end": "15:00"}]},
        "sun": {"enabled": false}}})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let member = app.get(&format!("/api/v1/staff/{id}"), &admin.access).await;
    assert_eq!(member.body["schedule"], json!({"monday": {"start": "08:00", "end": "20:00"}, "saturday": {"start": "10:00", "end": "15:00"}}));
    let view = schedule_of(&app, &admin, id, monday, monday + Days::new(6)).await;
    assert_eq!(view["workDays"]["monday"]["intervals"], json!([{"start": "08:00", "end": "12:00"}, {"start": "12:30", "end": "20:00"}]));
    assert_eq!(view["schedule"][5]["breaks"], json!([{"from": "12:00", "to": "13:00"}]));

    // GET's own workDays are accepted back unchanged.
    let res = save_schedule(&app, &admin, id, json!({"work_days": view["workDays"]})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["workDays"], view["workDays"]);
}

#[tokio::test]
async fn exceptions_override_days_and_can_be_removed() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина"})).await["id"].as_i64().unwrap();
    let monday = monday_after(7);
    let week = json!({"monday": {"start": "09:00", "end": "18:00"}, "tuesday": {"start": "09:00", "end": "18:00"},
                      "wednesday": {"start": "09:00", "end": "18:00"}});
    let res = save_schedule(&app, &admin, id, json!({"work_days": week, "exceptions": [
        {"type": "vacation", "dateFrom": monday.to_string(), "dateTo": (monday + Days::new(1)).to_string(), "reason": "Море"},
        {"type": "hours", "date": (monday + Days::new(2)).to_string(), "startTime": "12:00", "endTime": "15:00"},
        {"type": "dayoff", "date": (monday + Days::new(7)).to_string()}]})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    let view = schedule_of(&app, &admin, id, monday, monday + Days::new(2)).await;
    let days = view["schedule"].as_array().unwrap();
    assert_eq!((days[0]["isWorkingDay"].as_bool(), days[0]["exception"].as_str()), (Some(false), Some("vacation")));
    assert_eq!(days[1]["exception"], "vacation");
    assert_eq!(days[2]["intervals"], json!([{"from": "12:00", "to": "15:00"}]));
    assert_eq!(days[2]["exception"], "hours");
    let exceptions = view["exceptions"].as_array().unwrap();
    assert_eq!(exceptions.len(), 3, "those after the range are listed too");
    assert_eq!(exceptions[0], json!({"id": exceptions[0]["id"], "type": "vacation", "dateFrom": monday.to_string(),
        "dateTo": (monday + Days::new(1)).to_string(), "reason": "Море"}));
    assert_eq!((exceptions[1]["startTime"].as_str(), exceptions[1]["endTime"].as_str()), (Some("12:00"), Some("15:00")));

    // Saving without the key keeps the exceptions; deleting one restores the day.
    save_schedule(&app, &admin, id, json!({"work_days": week})).await;
    let vacation = exceptions[0]["id"].as_i64().unwrap();
    let res = app.request(Method::DELETE, &format!("/api/v1/staff/{id}/schedule/exceptions/{vacation}"), Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    app.delete(&admin, &format!("/api/v1/staff/{id}/schedule/exceptions/{vacation}")).await.assert_error(404, "not_found");
    let view = schedule_of(&app, &admin, id, monday, monday).await;
    assert_eq!((view["schedule"][0]["isWorkingDay"].as_bool(), view["exceptions"].as_array().unwrap().len()), (Some(true), 2));

    // An empty list clears them from today on.
    save_schedule(&app, &admin, id, json!({"work_days": week, "exceptions": []})).await;
    assert_eq!(schedule_of(&app, &admin, id, monday, monday).await["exceptions"], json!([]));
}

#[tokio::test]
async fn invalid_schedules_are_422_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина"})).await["id"].as_i64().unwrap();
    let res = save_schedule(&app, &admin, id, json!({"work_days": {"monday": {"start": "09:00", "end": "18:00"}}})).await;
    assert_eq!(res.status, StatusCode::OK);

    let res = save_schedule(&app, &admin, id, json!({"work_days": {
        "monday": {"start": "18:00", "end": "09:00"},
        "tuesday": {"intervals": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "16:00"}]},
        "wednesday": {"isWorkDay": true, "startTime": "09:00", "endTime": "18:00", "breakStart": "17:00", "breakEnd": "19:00"},
        "funday": {"start": "09:00", "end": "10:00"}},
        "exceptions": [{"type": "sick", "dateFrom": day(20).to_string(), "dateTo": day(10).to_string()}]})).await;
    res.assert_error(422, "validation_error");
    for key in ["work_days.monday", "work_days.tuesday", "work_days.wednesday", "work_days.funday", "exceptions[0].dateTo"] {
        assert!(res.body["details"][key].is_array(), "{key}: {}", res.text);
    }
    save_schedule(&app, &admin, id, json!({"work_days": {"monday": {"start": "9:60", "end": "18:00"}}}))
        .await.assert_error(422, "validation_error");
    save_schedule(&app, &admin, id, json!({"exceptions": []})).await.assert_error(422, "validation_error");
    let member = app.get(&format!("/api/v1/staff/{id}"), &admin.access).await;
    assert_eq!(member.body["schedule"], json!({"monday": {"start": "09:00", "end": "18:00"}}));

    let get = |q: String| {
        let path = format!("/api/v1/staff/{id}/schedule{q}");
        let token = admin.access.clone();
        let app = &app;
        async move { app.get(&path, &token).await }
    };
    get(format!("?dateFrom={}&dateTo={}", day(0), day(93))).await.assert_error(422, "validation_error");
    assert_eq!(get(format!("?dateFrom={}&dateTo={}", day(0), day(92))).await.status, StatusCode::OK);
    get(format!("?dateFrom={}&dateTo={}", day(5), day(1))).await.assert_error(422, "validation_error");
    get("?dateFrom=13.05.2026".to_owned()).await.assert_error(422, "validation_error");
    // 00:30 on 14 May in Kyiv is still 13 May in UTC: the default week starts on the salon's day.
    app.freeze_clock("2026-05-13T21:30:00Z");
    let default = get("?dateFrom=&dateTo=".to_owned()).await;
    let dates: Vec<&str> = default.body["schedule"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(dates, ["2026-05-14", "2026-05-15", "2026-05-16", "2026-05-17", "2026-05-18", "2026-05-19", "2026-05-20"]);
}

#[tokio::test]
async fn a_delete_waits_for_a_booking_that_checked_the_member() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина"})).await["id"].as_i64().unwrap();

    let mut booking = app.state.db.begin(SalonId(admin.salon_id())).await.unwrap();
    assert!(staff::active_member(&mut booking, StaffId(id)).await.unwrap().is_some());
    let request = app.client.delete(app.url(&format!("/api/v1/staff/{id}"))).bearer_auth(&admin.access).send();
    let deleting = tokio::spawn(async move { Res::from(request.await.unwrap()).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!deleting.is_finished(), "the delete waits for the booking's transaction");
    sqlx::query(
        "insert into appointments (client_name, staff_id, date, start_time, end_time, starts_at, ends_at)
         values ('Клієнтка', $1, current_date + 5, '10:00', '11:00', now() + interval '5 days', now() + interval '5 days 1 hour')",
    )
    .bind(id)
    .execute(booking.conn())
    .await
    .unwrap();
    booking.commit().await.unwrap();
    deleting.await.unwrap().assert_error(409, "staff_has_appointments");
}
