//! Client cards through the API: create, list, read, change, soft delete and restore,
//! history, statistics and segments, permissions and tenant isolation.

mod common;

use common::{Res, Session, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

fn add_form(first: &str, phone: &str) -> Value {
    json!({"firstName": first, "lastName": "", "phone": phone, "email": "", "cardNumber": "",
           "birthDate": "1990-5-3", "gender": "female", "source": "regular", "discount": 10, "bonusBalance": 0})
}

async fn create(app: &TestApp, who: &Session, body: Value) -> Res {
    app.post("/api/v1/clients", Some(&who.access), body).await
}

async fn client(app: &TestApp, who: &Session, first: &str, phone: &str) -> i64 {
    let res = create(app, who, add_form(first, phone)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

/// An unassigned appointment of the client (no master: no working hours involved).
async fn book(app: &TestApp, who: &Session, client_id: i64, date: &str, start: &str, service: &str, price: f64) -> i64 {
    let end = format!("{}:30", &start[..2]);
    let res = app
        .post("/api/v1/appointments", Some(&who.access),
              json!({"clientName": "Клієнт", "clientPhone": "", "clientId": client_id, "service": service,
                     "date": date, "startTime": start, "endTime": end, "status": "scheduled",
                     "type": "standard", "notes": "", "price": price}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

async fn set_status(app: &TestApp, who: &Session, appointment: i64, status: &str) {
    let res = app.put(&format!("/api/v1/appointments/{appointment}"), &who.access, json!({"status": status})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

fn names(list: &Value) -> Vec<String> {
    list.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

fn total(res: &Res) -> i64 {
    res.headers["x-total-count"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_add_form_creates_a_new_client() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;

    let mut body = add_form("Марія", "+380 (67) 123-45-67");
    body["middleName"] = json!("Іванівна");
    body["lastName"] = json!("Петренко");
    body["email"] = json!("maria@example.com");
    body["discount"] = json!(12.5);
    body["bonusBalance"] = json!(100.25);
    body["notes"] = json!("Алергія на аміак");
    let res = create(&app, &admin, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let c = &res.body;
    assert_eq!(c["firstName"], "Марія");
    assert_eq!(c["middleName"], "Іванівна");
    assert_eq!(c["lastName"], "Петренко");
    assert_eq!(c["name"], "Марія Іванівна Петренко");
    assert_eq!(c["phone"], "+380671234567");
    assert_eq!(c["email"], "maria@example.com");
    assert_eq!(c["birthDate"], "1990-05-03");
    assert_eq!(c["gender"], "female");
    assert_eq!(c["source"], "regular");
    assert_eq!(c["segment"], "new");
    assert_eq!(c["discount"], json!(12.5));
    assert_eq!(c["bonusBalance"], json!(100.25));
    assert_eq!(c["totalVisits"], 0);
    assert_eq!(c["totalSpent"], 0);
    assert_eq!(c["notes"], "Алергія на аміак");
    assert!(c["createdAt"].is_string() && c.get("cardNumber").is_none() && c.get("deletedAt").is_none());

    let id = c["id"].as_i64().unwrap();
    let mut su = app.su().await;
    let row = sqlx::query("select salon_id, discount_bp, bonus_balance_minor from clients where id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(row.get::<i64, _>("salon_id"), admin.salon_id());
    assert_eq!((row.get::<i32, _>("discount_bp"), row.get::<i64, _>("bonus_balance_minor")), (1250, 10025));
    let audited: i64 = sqlx::query_scalar("select count(*) from changes where entity = 'client' and entity_id = $1 and action = 'created'")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(audited, 1);

    let got = app.get(&format!("/api/v1/clients/{id}"), &admin.access).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["phone"], "+380671234567");
    assert_eq!(got.body["statistics"]["totalVisits"], 0);
    assert_eq!(got.body["visits"], json!([]));
}

#[tokio::test]
async fn a_taken_phone_is_409_naming_the_client_but_another_salon_may_have_it() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("A").await;
    let b = app.new_salon("B").await;
    let id = client(&app, &a, "Марія", "0671234567").await;

    let res = create(&app, &a, add_form("Олена", "+38 067 123 4567")).await;
    res.assert_error(409, "client_phone_taken");
    assert_eq!(res.body["conflict"]["id"], id);

    let other = client(&app, &b, "Олена", "+380671234567").await;
    assert_ne!(other, id);
    let mut su = app.su().await;
    let n: i64 = sqlx::query_scalar("select count(*) from clients where phone = '+380671234567'").fetch_one(&mut su).await.unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn bad_fields_are_422_each_named() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let res = create(&app, &admin,
        json!({"firstName": " ", "phone": "067", "email": "not-an-email", "birthDate": "2099-01-01",
               "gender": "unknown", "source": "friend", "discount": 101, "bonusBalance": -5})).await;
    res.assert_error(422, "validation_error");
    for field in ["firstName", "phone", "email", "birthDate", "gender", "source", "discount", "bonusBalance"] {
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    let res = create(&app, &admin, json!({"firstName": "Марія"})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["phone"].is_array(), "{}", res.text);
    let mut su = app.su().await;
    let n: i64 = sqlx::query_scalar("select count(*) from clients").fetch_one(&mut su).await.unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn the_list_answers_every_match_sorted_with_a_total() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    client(&app, &admin, "Ярина", "0501112233").await;
    let mut body = add_form("Антон", "0671234567");
    body["email"] = json!("anton@example.com");
    create(&app, &admin, body).await;
    client(&app, &admin, "Богдана", "0939998877").await;

    // What the clients page sends: every match comes back (it slices locally).
    let res = app.get("/api/v1/clients?search=&segment=new&page=2&perPage=1", &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(names(&res.body), ["Антон", "Богдана", "Ярина"]);
    assert_eq!(total(&res), 3);

    // Real paging is the limit/offset extension.
    let res = app.get("/api/v1/clients?limit=1&offset=1", &admin.access).await;
    assert_eq!(names(&res.body), ["Богдана"]);
    assert_eq!(total(&res), 3);
    let res = app.get("/api/v1/clients?limit=1&offset=10", &admin.access).await;
    assert_eq!((res.body.clone(), total(&res)), (json!([]), 3));

    for (search, expected) in [("067 123", "Антон"), ("+380 93", "Богдана"), ("ANTON@", "Антон"), ("ярин", "Ярина")] {
        let res = app.get(&format!("/api/v1/clients?search={}", urlencode(search)), &admin.access).await;
        assert_eq!(names(&res.body), [expected], "search {search}");
    }
    let res = app.get("/api/v1/clients?sortBy=createdAt&sortOrder=desc", &admin.access).await;
    assert_eq!(names(&res.body), ["Богдана", "Антон", "Ярина"]);
    let res = app.get("/api/v1/clients?segment=repeat", &admin.access).await;
    assert_eq!((res.body.clone(), total(&res)), (json!([]), 0));
    let res = app.get("/api/v1/clients?segment=vip", &admin.access).await;
    res.assert_error(422, "validation_error");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_partial_update_keeps_absent_keys_and_clears_empty_ones() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let mut body = add_form("Марія", "0671234567");
    body["email"] = json!("maria@example.com");
    body["cardNumber"] = json!("A-100");
    let id = create(&app, &admin, body).await.body["id"].as_i64().unwrap();
    let other = client(&app, &admin, "Олена", "0501112233").await;

    let res = app.put(&format!("/api/v1/clients/{id}"), &admin.access,
                      json!({"lastName": "Коваль", "email": "", "discount": 5})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let c = &res.body;
    assert_eq!((c["firstName"].as_str(), c["lastName"].as_str(), c["name"].as_str()), (Some("Марія"), Some("Коваль"), Some("Марія Коваль")));
    assert!(c.get("email").is_none(), "{}", res.text);
    assert_eq!(c["cardNumber"], "A-100");
    assert_eq!(c["discount"], 5);
    assert_eq!(c["birthDate"], "1990-05-03");

    let res = app.put(&format!("/api/v1/clients/{id}"), &admin.access, json!({"phone": "+380 50 111 22 33"})).await;
    res.assert_error(409, "client_phone_taken");
    assert_eq!(res.body["conflict"]["id"], other);
    let res = app.put(&format!("/api/v1/clients/{id}"), &admin.access, json!({"firstName": ""})).await;
    res.assert_error(422, "validation_error");
    let res = app.put(&format!("/api/v1/clients/{id}"), &admin.access, json!({"phone": "0931234567"})).await;
    assert_eq!(res.body["phone"], "+380931234567");
    let res = app.put("/api/v1/clients/999999", &admin.access, json!({"notes": "x"})).await;
    res.assert_error(404, "not_found");

    let mut su = app.su().await;
    let audited: i64 = sqlx::query_scalar("select count(*) from changes where entity = 'client' and entity_id = $1 and action = 'updated'")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn delete_is_soft_and_only_an_admin_sees_and_restores() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let manager = app.staff(&admin, "manager").await;
    let id = client(&app, &admin, "Марія", "0671234567").await;
    let visit = book(&app, &admin, id, "2024-03-01", "10:00", "Стрижка", 450.0).await;
    set_status(&app, &admin, visit, "completed").await;

    app.delete(&manager, &format!("/api/v1/clients/{id}")).await.assert_error(403, "forbidden");
    let res = app.delete(&admin, &format!("/api/v1/clients/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let res = app.get("/api/v1/clients", &admin.access).await;
    assert_eq!((res.body.clone(), total(&res)), (json!([]), 0));
    app.get(&format!("/api/v1/clients/{id}"), &manager.access).await.assert_error(404, "not_found");
    app.delete(&admin, &format!("/api/v1/clients/{id}")).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/clients/{id}"), &manager.access, json!({"notes": "x"})).await.assert_error(404, "not_found");

    // History stays: the appointment still points at the client; admins still read both.
    let mut su = app.su().await;
    let kept: Option<i64> = sqlx::query_scalar("select client_id from appointments where id = $1").bind(visit).fetch_one(&mut su).await.unwrap();
    assert_eq!(kept, Some(id));
    // A deleted client is 404 like any missing row, for the administrator who deleted it too;
    // only an administrator opens it on purpose, with `?deleted=true`.
    app.get(&format!("/api/v1/clients/{id}"), &admin.access).await.assert_error(404, "not_found");
    app.get(&format!("/api/v1/clients/{id}/history"), &admin.access).await.assert_error(404, "not_found");
    app.get(&format!("/api/v1/clients/{id}?deleted=true"), &manager.access).await.assert_error(403, "forbidden");
    app.get(&format!("/api/v1/clients/{id}/history?deleted=true"), &manager.access).await.assert_error(403, "forbidden");
    app.get(&format!("/api/v1/clients/{id}/history"), &manager.access).await.assert_error(404, "not_found");
    let card = app.get(&format!("/api/v1/clients/{id}?deleted=true"), &admin.access).await;
    assert_eq!((card.status, card.body["id"].as_i64()), (StatusCode::OK, Some(id)), "{}", card.text);
    assert!(card.body["deletedAt"].is_string(), "{}", card.text);
    let history = app.get(&format!("/api/v1/clients/{id}/history?deleted=true"), &admin.access).await;
    assert_eq!(history.body["appointments"][0]["id"], visit);
    let trash = app.get("/api/v1/clients?deleted=true", &admin.access).await;
    assert_eq!(trash.body[0]["id"], id);
    app.get("/api/v1/clients?deleted=true", &manager.access).await.assert_error(403, "forbidden");

    // The phone is free for a new client; the old card cannot come back while it is taken.
    let newcomer = client(&app, &admin, "Олена", "+380671234567").await;
    let path = format!("/api/v1/clients/{id}/restore");
    app.request(Method::POST, &path, Some(&manager.access), None).await.assert_error(403, "forbidden");
    let res = app.request(Method::POST, &path, Some(&admin.access), None).await;
    res.assert_error(409, "client_phone_taken");
    assert_eq!(res.body["conflict"]["id"], newcomer);
    app.delete(&admin, &format!("/api/v1/clients/{newcomer}")).await;

    let res = app.request(Method::POST, &path, Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body.get("deletedAt").is_none());
    assert_eq!(res.body["totalVisits"], 1);
    let card = app.get(&format!("/api/v1/clients/{id}"), &manager.access).await;
    assert_eq!((card.status, card.body["visits"][0]["appointmentId"].clone()), (StatusCode::OK, json!(visit)), "{}", card.text);
    let res = app.get("/api/v1/clients", &manager.access).await;
    assert_eq!(names(&res.body), ["Марія"]);
    app.request(Method::POST, &path, Some(&admin.access), None).await.assert_error(404, "not_found");
    let actions: Vec<String> = sqlx::query_scalar("select action from changes where entity = 'client' and entity_id = $1 order by id")
        .bind(id).fetch_all(&mut su).await.unwrap();
    assert_eq!(actions, ["created", "deleted", "updated"]);
}

#[tokio::test]
async fn a_client_with_upcoming_appointments_is_not_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let id = client(&app, &admin, "Марія", "0671234567").await;
    let upcoming = book(&app, &admin, id, "2031-06-02", "10:00", "Стрижка", 450.0).await;

    app.delete(&admin, &format!("/api/v1/clients/{id}")).await.assert_error(409, "client_has_appointments");
    set_status(&app, &admin, upcoming, "cancelled").await;
    let res = app.delete(&admin, &format!("/api/v1/clients/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
}

#[tokio::test]
async fn roles_the_matrix_denies_get_403() {
    let app = TestApp::spawn().await;
    let common::Cast { admin, master, receptionist, .. } = app.cast().await;
    let id = client(&app, &admin, "Марія", "0671234567").await;

    // A master sees and adds clients but does not edit, delete or export them.
    assert_eq!(app.get("/api/v1/clients", &master.access).await.status, StatusCode::OK);
    assert_eq!(create(&app, &master, add_form("Олена", "0501112233")).await.status, StatusCode::CREATED);
    app.put(&format!("/api/v1/clients/{id}"), &master.access, json!({"notes": "x"})).await.assert_error(403, "forbidden");
    app.delete(&master, &format!("/api/v1/clients/{id}")).await.assert_error(403, "forbidden");
    app.get("/api/v1/clients/export", &master.access).await.assert_error(403, "forbidden");
    // A receptionist edits but does not delete, export or restore.
    assert_eq!(app.put(&format!("/api/v1/clients/{id}"), &receptionist.access, json!({"notes": "x"})).await.status, StatusCode::OK);
    app.delete(&receptionist, &format!("/api/v1/clients/{id}")).await.assert_error(403, "forbidden");
    app.get("/api/v1/clients/export", &receptionist.access).await.assert_error(403, "forbidden");
    let restore = format!("/api/v1/clients/{id}/restore");
    app.request(Method::POST, &restore, Some(&receptionist.access), None).await.assert_error(403, "forbidden");

    let mut su = app.su().await;
    let deleted: i64 = sqlx::query_scalar("select count(*) from clients where deleted_at is not null").fetch_one(&mut su).await.unwrap();
    assert_eq!(deleted, 0);
}

#[tokio::test]
async fn another_salon_cannot_read_change_delete_restore_or_reference_a_client() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("A").await;
    let b = app.new_salon("B").await;
    let id = client(&app, &a, "Марія", "0671234567").await;
    let gone = client(&app, &a, "Олена", "0501112233").await;
    app.delete(&a, &format!("/api/v1/clients/{gone}")).await;

    app.get(&format!("/api/v1/clients/{id}"), &b.access).await.assert_error(404, "not_found");
    app.get(&format!("/api/v1/clients/{id}/history"), &b.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/clients/{id}"), &b.access, json!({"firstName": "Злам"})).await.assert_error(404, "not_found");
    app.delete(&b, &format!("/api/v1/clients/{id}")).await.assert_error(404, "not_found");
    app.request(Method::POST, &format!("/api/v1/clients/{gone}/restore"), Some(&b.access), None).await.assert_error(404, "not_found");
    let res = app.get("/api/v1/clients?search=Марія", &b.access).await;
    assert_eq!((res.body.clone(), total(&res)), (json!([]), 0));
    let res = app.get("/api/v1/clients?deleted=true", &b.access).await;
    assert_eq!(res.body, json!([]));
    // Referencing A's client from B's calendar is refused on the field.
    let res = app
        .post("/api/v1/appointments", Some(&b.access),
              json!({"clientName": "Марія", "clientPhone": "", "clientId": id, "service": "", "date": "2031-06-02",
                     "startTime": "10:00", "endTime": "10:30", "status": "scheduled", "type": "standard", "price": 0}))
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["clientId"].is_array(), "{}", res.text);

    let mut su = app.su().await;
    let row = sqlx::query("select name, deleted_at is null as live from clients where id = $1").bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!((row.get::<String, _>("name"), row.get::<bool, _>("live")), ("Марія".to_owned(), true));
    let restored: bool = sqlx::query_scalar("select deleted_at is null from clients where id = $1").bind(gone).fetch_one(&mut su).await.unwrap();
    assert!(!restored);
    let in_b: i64 = sqlx::query_scalar("select count(*) from appointments where salon_id = $1").bind(b.salon_id()).fetch_one(&mut su).await.unwrap();
    assert_eq!(in_b, 0);
}

#[tokio::test]
async fn the_calendar_finds_or_creates_clients_by_phone() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let booking = |phone: &str| {
        json!({"clientName": "Марія Іванівна Петренко", "clientPhone": phone, "service": "", "date": "2031-06-02",
               "startTime": "10:00", "endTime": "10:30", "status": "scheduled", "type": "standard", "price": 0})
    };
    let first = app.post("/api/v1/appointments", Some(&admin.access), booking("+380 (67) 123-45-67")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let id = first.body["clientId"].as_i64().unwrap();
    let c = app.get(&format!("/api/v1/clients/{id}"), &admin.access).await;
    assert_eq!((c.body["firstName"].as_str(), c.body["lastName"].as_str()), (Some("Марія"), Some("Іванівна Петренко")));
    assert_eq!(c.body["phone"], "+380671234567");

    let again = app.post("/api/v1/appointments", Some(&admin.access), booking("0671234567")).await;
    assert_eq!(again.body["clientId"], id);
    let res = app.get("/api/v1/clients", &admin.access).await;
    assert_eq!(total(&res), 1);
}

fn day(offset: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(offset)).format("%Y-%m-%d").to_string()
}

async fn card(app: &TestApp, who: &Session, id: i64) -> Value {
    let res = app.get(&format!("/api/v1/clients/{id}"), &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

async fn in_segment(app: &TestApp, who: &Session, segment: &str) -> Vec<i64> {
    ids(&app.get(&format!("/api/v1/clients?segment={segment}"), &who.access).await.body)
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn figures_segments_and_history_follow_the_appointments() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let id = client(&app, &admin, "Марія", "0671234567").await;
    let a1 = book(&app, &admin, id, &day(-20), "10:00", "Стрижка", 450.5).await;
    let a2 = book(&app, &admin, id, &day(-10), "11:00", "Фарбування", 1200.0).await;
    let a3 = book(&app, &admin, id, &day(-5), "12:00", "Стрижка", 300.0).await;
    let a4 = book(&app, &admin, id, &day(-3), "13:00", "Манікюр", 500.0).await;
    let a5 = book(&app, &admin, id, &day(-2), "14:00", "Манікюр", 500.0).await;
    let a6 = book(&app, &admin, id, &day(10), "15:00", "Стрижка", 450.0).await;

    set_status(&app, &admin, a1, "completed").await;
    let c = card(&app, &admin, id).await;
    assert_eq!((c["segment"].as_str(), c["totalVisits"].as_i64()), (Some("new"), Some(1)));
    assert_eq!(c["totalSpent"], json!(450.5));
    assert_eq!(in_segment(&app, &admin, "new").await, [id]);

    set_status(&app, &admin, a2, "completed").await;
    let c = card(&app, &admin, id).await;
    assert_eq!((c["segment"].as_str(), c["totalVisits"].as_i64()), (Some("repeat"), Some(2)));
    assert_eq!((in_segment(&app, &admin, "repeat").await, in_segment(&app, &admin, "new").await), (vec![id], vec![]));

    set_status(&app, &admin, a3, "completed").await;
    set_status(&app, &admin, a4, "no-show").await;
    set_status(&app, &admin, a5, "cancelled").await;
    let c = card(&app, &admin, id).await;
    let s = &c["statistics"];
    assert_eq!(s["totalVisits"], 3);
    assert_eq!(s["totalSpent"], json!(1950.5));
    assert_eq!(s["averageCheck"], json!(650.17));
    assert_eq!(s["favoriteService"], "Стрижка");
    assert_eq!((s["noShows"].as_i64(), s["cancelled"].as_i64(), s["upcoming"].as_i64()), (Some(1), Some(1), Some(1)));
    assert!(s["nextVisit"].is_string() && s["lastVisit"] == c["lastVisit"], "{c}");
    assert_eq!(ids(&c["visits"]), [a3, a2, a1]);
    let visit = &c["visits"][0];
    assert_eq!((visit["clientId"].as_i64(), visit["appointmentId"].as_i64()), (Some(id), Some(a3)));
    assert_eq!((visit["serviceName"].as_str(), visit["status"].as_str()), (Some("Стрижка"), Some("completed")));
    assert_eq!((visit["photos"].clone(), visit["amount"].clone(), visit["staffName"].clone()), (json!([]), json!(300), json!("")));

    let res = app.get(&format!("/api/v1/clients/{id}/history?page=1&perPage=2"), &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(ids(&res.body["appointments"]), [a6, a5]);
    assert_eq!(res.body["appointments"][1]["amount"], 0);
    assert_eq!(res.body["payments"], json!([]));
    assert_eq!(res.body["pagination"], json!({"page": 1, "perPage": 2, "total": 6, "totalPages": 3}));
    assert_eq!(total(&res), 6);
    let res = app.get(&format!("/api/v1/clients/{id}/history?page=3&perPage=2"), &admin.access).await;
    assert_eq!(ids(&res.body["appointments"]), [a2, a1]);
    let res = app.get(&format!("/api/v1/clients/{id}/history?type=purchases"), &admin.access).await;
    assert_eq!((res.body["appointments"].clone(), res.body["payments"].clone()), (json!([]), json!([])));
    app.get(&format!("/api/v1/clients/{id}/history?type=gifts"), &admin.access).await.assert_error(422, "validation_error");

    // A deleted appointment no longer counts.
    let res = app.delete(&admin, &format!("/api/v1/appointments/{a3}")).await;
    assert!(res.status.is_success(), "{}", res.text);
    let c = card(&app, &admin, id).await;
    assert_eq!((c["totalVisits"].as_i64(), c["totalSpent"].clone()), (Some(2), json!(1650.5)));
    let history = app.get(&format!("/api/v1/clients/{id}/history"), &admin.access).await;
    assert_eq!(ids(&history.body["appointments"]), [a6, a5, a4, a2, a1]);
}

#[tokio::test]
async fn a_client_without_a_recent_visit_is_lost_after_the_salons_days() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let mut su = app.su().await;
    sqlx::query("update salons set lost_after_days = 30 where id = $1").bind(admin.salon_id()).execute(&mut su).await.unwrap();
    let old = client(&app, &admin, "Марія", "0671234567").await;
    let visit = book(&app, &admin, old, &day(-40), "10:00", "Стрижка", 450.0).await;
    set_status(&app, &admin, visit, "completed").await;
    let fresh = client(&app, &admin, "Олена", "0501112233").await;

    assert_eq!((card(&app, &admin, old).await["segment"].clone(), card(&app, &admin, fresh).await["segment"].clone()), (json!("lost"), json!("new")));
    assert_eq!(ids(&app.get("/api/v1/clients?segment=lost", &admin.access).await.body), [old]);

    // Added long ago and never visited: lost as well, as time passes.
    sqlx::query("update clients set created_at = now() - interval '31 days' where id = $1").bind(fresh).execute(&mut su).await.unwrap();
    assert_eq!(card(&app, &admin, fresh).await["segment"], "lost");

    // A new visit brings the client back, now with two visits.
    let again = book(&app, &admin, old, &day(-1), "10:00", "Стрижка", 450.0).await;
    set_status(&app, &admin, again, "completed").await;
    assert_eq!(card(&app, &admin, old).await["segment"], "repeat");
    assert_eq!(ids(&app.get("/api/v1/clients?segment=lost", &admin.access).await.body), [fresh]);
    assert_eq!(ids(&app.get("/api/v1/clients?sortBy=lastVisit&sortOrder=desc", &admin.access).await.body), [old, fresh]);
}

#[tokio::test]
async fn openapi_describes_every_client_route_and_the_segment_rule() {
    let app = TestApp::spawn().await;
    let doc = Res::from(app.client.get(app.url("/openapi.json")).send().await.unwrap()).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = &doc.body["paths"];
    for (path, method) in [
        ("/api/v1/clients", "get"), ("/api/v1/clients", "post"), ("/api/v1/clients/{id}", "get"),
        ("/api/v1/clients/{id}", "put"), ("/api/v1/clients/{id}", "delete"), ("/api/v1/clients/{id}/restore", "post"),
        ("/api/v1/clients/{id}/history", "get"), ("/api/v1/clients/import", "post"),
        ("/api/v1/clients/import/{jobId}", "get"), ("/api/v1/clients/export", "get"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing from OpenAPI");
        assert!(paths[path][method]["security"].is_array(), "{method} {path} without security");
    }
    let client = doc.body["components"]["schemas"]["Client"]["description"].as_str().unwrap();
    assert!(client.contains("repeat") && client.contains("lost_after_days"), "{client}");
    let schemas = doc.body["components"]["schemas"].as_object().unwrap();
    let ours: serde_json::Map<String, Value> =
        paths.as_object().unwrap().iter().filter(|(p, _)| p.starts_with("/api/v1/clients")).map(|(p, v)| (p.clone(), v.clone())).collect();
    let text = Value::Object(ours).to_string();
    for name in text.split("#/components/schemas/").skip(1).map(|s| s.split('"').next().unwrap()) {
        assert!(schemas.contains_key(name), "dangling schema reference {name}");
    }
}

/// `clients.show` = `own` (the master's default): only the clients the user has served.
#[tokio::test]
async fn masters_with_own_clients_see_only_those_they_served() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let address = format!("master-{}@example.com", common::rand_suffix());
    let member = app
        .post("/api/v1/staff", Some(&admin.access),
              json!({"firstName": "Ірина", "lastName": "Майстер", "phone": "+380501112233", "position": "master", "email": address}))
        .await;
    assert_eq!(member.status, StatusCode::CREATED, "{}", member.text);
    let staff_id = member.body["id"].as_i64().unwrap();
    app.open_invitation(&address).await;
    let setup = app.post("/api/v1/auth/setup", None, json!({"email": address, "password": common::PASSWORD})).await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.text);
    let master = Session::from_answer(&setup.body, &address);

    let served = client(&app, &admin, "Марія", "0671234567").await;
    let other = client(&app, &admin, "Олена", "0501112233").await;
    let res = app
        .post("/api/v1/appointments", Some(&admin.access),
              json!({"clientName": "Марія", "clientPhone": "", "clientId": served, "service": "Стрижка",
                     "date": "2031-06-02", "startTime": "10:00", "endTime": "11:00", "status": "scheduled",
                     "type": "standard", "notes": "", "price": 100, "staffId": staff_id}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    let listed = app.get("/api/v1/clients", &master.access).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let ids: Vec<i64> = listed.body.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [served]);
    assert_eq!(listed.headers["x-total-count"], "1");
    assert_eq!(app.get(&format!("/api/v1/clients/{served}"), &master.access).await.status, StatusCode::OK);
    app.get(&format!("/api/v1/clients/{other}"), &master.access).await.assert_error(404, "not_found");
    app.get(&format!("/api/v1/clients/{other}/history"), &master.access).await.assert_error(404, "not_found");

    // The administrator switches the masters to every client: the next request sees both.
    let roles = app.get("/api/v1/settings/roles", &admin.access).await;
    let mut list: Vec<String> = roles.body.as_array().unwrap().iter().find(|r| r["role"] == "master").unwrap()["permissions"]
        .as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_owned()).collect();
    list.retain(|p| !p.starts_with("clients.show"));
    list.push("clients.show:all".into());
    let put = app.put("/api/v1/settings/roles/master", &admin.access, json!({"permissions": list})).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    assert_eq!(app.get("/api/v1/clients", &master.access).await.body.as_array().unwrap().len(), 2);
    assert_eq!(app.get("/api/v1/clients", &admin.access).await.body.as_array().unwrap().len(), 2);
}
