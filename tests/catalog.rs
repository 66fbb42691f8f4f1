//! The services catalogue: CRUD, validation, permissions, archive rules, statistics, tenancy,
//! and the functions the appointments module calls.

mod common;

use adelante::{catalog, ids::ServiceId, money::Money, tenancy::SalonId};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Books an appointment directly in the database (the appointments API is another module's).
async fn book(app: &TestApp, salon: i64, service: i64, days_from_now: i32, status: &str, price_minor: i64) {
    let mut su = app.su().await;
    sqlx::query(
        "insert into appointments (salon_id, client_name, service_id, date, start_time, end_time,
                                   starts_at, ends_at, status, price_minor)
         values ($1, 'Клієнтка', $2, (now() + make_interval(days => $3))::date, '10:00', '11:00',
                 now() + make_interval(days => $3), now() + make_interval(days => $3, hours => 1), $4, $5)",
    )
    .bind(salon)
    .bind(service)
    .bind(days_from_now)
    .bind(status)
    .bind(price_minor)
    .execute(&mut su)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_service_goes_through_its_whole_life() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let created = app.created(&admin, "/api/v1/services", json!({
        "name": "Стрижка жіноча", "category": "hair", "description": "З укладанням", "duration": 60,
        "price": 450.5, "color": "#3B82F6", "isActive": true
    })).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "Стрижка жіноча");
    assert_eq!(created["duration"], 60);
    assert_eq!(created["price"], json!(450.5), "money round-trips exactly: {created}");
    assert_eq!(created["color"], "#3b82f6");
    assert_eq!(created["isActive"], true);
    assert_eq!(created["status"], "active");
    assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());

    let one = app.get(&format!("/api/v1/services/{id}"), &admin.access).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["description"], "З укладанням");
    let stats = &one.body["statistics"];
    assert_eq!((stats["totalBookings"].as_i64(), stats["totalRevenue"].as_f64()), (Some(0), Some(0.0)));
    assert_eq!((stats["averageRating"].as_f64(), stats["popularityRank"].as_i64()), (Some(0.0), Some(1)));

    // A partial update changes only what it names; "" clears the colour.
    let res = app.put(&format!("/api/v1/services/{id}"), &admin.access, json!({"price": 500, "color": "", "isActive": false})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["price"], json!(500));
    assert_eq!(res.body["color"], Value::Null);
    assert_eq!((res.body["name"].as_str(), res.body["duration"].as_i64()), (Some("Стрижка жіноча"), Some(60)));
    assert_eq!((res.body["isActive"].as_bool(), res.body["status"].as_str()), (Some(false), Some("inactive")));

    let res = app.delete(&admin, &format!("/api/v1/services/{id}")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    app.get(&format!("/api/v1/services/{id}"), &admin.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/services/{id}"), &admin.access, json!({"price": 1})).await.assert_error(404, "not_found");
    app.delete(&admin, &format!("/api/v1/services/{id}")).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/services", &admin.access).await.body, json!([]));

    // Archived, not gone: history keeps it, and its name is free again.
    let mut su = app.su().await;
    let archived: bool = sqlx::query_scalar("select archived_at is not null and not is_active from services where id = $1")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert!(archived);
    app.created(&admin, "/api/v1/services", json!({"name": "стрижка ЖІНОЧА", "duration": 30, "price": 0})).await;
    let trail: Vec<String> = sqlx::query_scalar("select action from changes where entity = 'service' and entity_id = $1 order by id")
        .bind(id).fetch_all(&mut su).await.unwrap();
    assert_eq!(trail, ["created", "updated", "deleted"]);
}

#[tokio::test]
async fn lists_filter_and_sort_and_categories_merge_defaults() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    for (name, category, active) in [("Манікюр", "nails", true), ("Педикюр", "nails", false),
                                     ("Стрижка", "hair", true), ("Масаж спини", "Масаж", true)] {
        app.created(&admin, "/api/v1/services", json!({"name": name, "category": category, "duration": 45, "price": 300, "isActive": active})).await;
    }
    let names = |res: &common::Res| -> Vec<String> {
        res.body.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
    };
    let all = app.get("/api/v1/services?search=&category=&isActive=", &admin.access).await;
    assert_eq!(names(&all), ["Стрижка", "Манікюр", "Педикюр", "Масаж спини"], "by category, then name");
    let nails = app.get("/api/v1/services?category=NAILS&isActive=true", &admin.access).await;
    assert_eq!(names(&nails), ["Манікюр"]);
    let search = app.get("/api/v1/services?search=%D0%BA%D1%8E%D1%80", &admin.access).await;
    assert_eq!(names(&search), ["Манікюр", "Педикюр"]);
    assert_eq!(names(&app.get("/api/v1/services?search=%25", &admin.access).await), Vec::<String>::new(), "% is literal");

    let categories = app.get("/api/v1/services/categories", &admin.access).await;
    assert_eq!(categories.status, StatusCode::OK, "{}", categories.text);
    assert_eq!(categories.body, json!(["body", "face", "hair", "makeup", "nails", "other", "Масаж"]));
}

#[tokio::test]
async fn invalid_input_is_422_with_every_field_and_duplicates_are_409() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let res = app.post("/api/v1/services", Some(&admin.access),
        json!({"name": " ", "duration": 0, "price": -5, "color": "red"})).await;
    res.assert_error(422, "validation_error");
    for field in ["name", "duration", "price", "color"] {
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    app.post("/api/v1/services", Some(&admin.access), json!({"name": "X", "duration": 1441, "price": 1}))
        .await.assert_error(422, "validation_error");
    app.post("/api/v1/services", Some(&admin.access), json!({"name": "X", "duration": 30, "price": 1.005}))
        .await.assert_error(422, "validation_error");
    app.post("/api/v1/services", Some(&admin.access), json!({"name": "X", "price": 1}))
        .await.assert_error(422, "validation_error");

    let first = app.created(&admin, "/api/v1/services", json!({"name": "Брови", "duration": 30, "price": 200})).await;
    let second = app.created(&admin, "/api/v1/services", json!({"name": "Вії", "duration": 30, "price": 200})).await;
    app.post("/api/v1/services", Some(&admin.access), json!({"name": " БРОВИ ", "duration": 30, "price": 1}))
        .await.assert_error(409, "service_name_taken");
    app.put(&format!("/api/v1/services/{}", second["id"]), &admin.access, json!({"name": "брови"}))
        .await.assert_error(409, "service_name_taken");
    app.put(&format!("/api/v1/services/{}", first["id"]), &admin.access, json!({"duration": 3}))
        .await.assert_error(422, "validation_error");
    let mut su = app.su().await;
    let n: i64 = sqlx::query_scalar("select count(*) from services").fetch_one(&mut su).await.unwrap();
    assert_eq!(n, 2);
}

/// `340.0` is an integer to JSON Schema, and so to the OpenAPI document: integer body fields
/// take whole numbers in any spelling and refuse fractions with a 422 naming the field.
#[tokio::test]
async fn integer_fields_take_whole_floats_and_refuse_fractions() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let service = app.created(&admin, "/api/v1/services", json!({"name": "Фарбування", "duration": 340.0, "price": 900})).await;
    assert_eq!(service["duration"], 340);
    let path = format!("/api/v1/services/{}", service["id"]);
    let res = app.put(&path, &admin.access, json!({"duration": 3.6e1})).await;
    assert_eq!((res.status, res.body["duration"].clone()), (StatusCode::OK, json!(36)), "{}", res.text);

    for body in [json!({"name": "Стрижка", "duration": 340.5, "price": 1}), json!({"name": "Стрижка", "duration": "340", "price": 1})] {
        let res = app.post("/api/v1/services", Some(&admin.access), body.clone()).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"]["duration"].is_array(), "{body}: {}", res.text);
    }
    let res = app.put(&path, &admin.access, json!({"duration": 36.6})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["duration"].is_array(), "{}", res.text);
    // The same rule in another domain's body: a list of ids.
    let res = app.post("/api/v1/staff", Some(&admin.access), json!({"firstName": "Ірина", "serviceIds": [service["id"].as_f64().unwrap(), 1.5]})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["serviceIds[1]"].is_array(), "{}", res.text);
    let member = app.created(&admin, "/api/v1/staff", json!({"firstName": "Ірина", "serviceIds": [service["id"].as_f64().unwrap()]})).await;
    assert_eq!(member["serviceIds"], json!([service["id"]]));

    let mut su = app.su().await;
    let durations: Vec<i32> = sqlx::query_scalar("select duration_minutes from services").fetch_all(&mut su).await.unwrap();
    assert_eq!(durations, [36]);
}

#[tokio::test]
async fn a_master_reads_but_cannot_write() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let master = app.staff(&admin, "master").await;
    let id = app.created(&admin, "/api/v1/services", json!({"name": "Манікюр", "duration": 60, "price": 400})).await["id"].as_i64().unwrap();

    assert_eq!(app.get("/api/v1/services", &master.access).await.body.as_array().unwrap().len(), 1);
    assert_eq!(app.get(&format!("/api/v1/services/{id}"), &master.access).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/services/categories", &master.access).await.status, StatusCode::OK);
    app.post("/api/v1/services", Some(&master.access), json!({"name": "Нова", "duration": 60, "price": 1}))
        .await.assert_error(403, "forbidden");
    app.put(&format!("/api/v1/services/{id}"), &master.access, json!({"price": 1})).await.assert_error(403, "forbidden");
    app.delete(&master, &format!("/api/v1/services/{id}")).await.assert_error(403, "forbidden");

    // A manager has the permission by default.
    let manager = app.staff(&admin, "manager").await;
    let res = app.put(&format!("/api/v1/services/{id}"), &manager.access, json!({"price": 410})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn another_salons_service_is_404_and_untouched() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let id = app.created(&a, "/api/v1/services", json!({"name": "Манікюр", "duration": 60, "price": 400})).await["id"].as_i64().unwrap();

    app.get(&format!("/api/v1/services/{id}"), &b.access).await.assert_error(404, "not_found");
    app.put(&format!("/api/v1/services/{id}"), &b.access, json!({"name": "Hacked", "price": 1})).await.assert_error(404, "not_found");
    app.delete(&b, &format!("/api/v1/services/{id}")).await.assert_error(404, "not_found");
    assert_eq!(app.get("/api/v1/services", &b.access).await.body, json!([]));
    assert!(!app.get("/api/v1/services/categories", &b.access).await.text.contains("Манікюр"));

    // B may use the same name: uniqueness is per salon.
    app.created(&b, "/api/v1/services", json!({"name": "Манікюр", "duration": 30, "price": 1})).await;
    let seen = app.get(&format!("/api/v1/services/{id}"), &a.access).await;
    assert_eq!((seen.body["name"].as_str(), seen.body["price"].as_f64()), (Some("Манікюр"), Some(400.0)));
    let mut su = app.su().await;
    let changes: i64 = sqlx::query_scalar("select count(*) from changes where entity = 'service' and entity_id = $1 and action <> 'created'")
        .bind(id).fetch_one(&mut su).await.unwrap();
    assert_eq!(changes, 0);
}

#[tokio::test]
async fn future_bookings_block_archiving_and_feed_statistics() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let salon = admin.salon_id();
    let popular = app.created(&admin, "/api/v1/services", json!({"name": "Манікюр", "duration": 60, "price": 400})).await["id"].as_i64().unwrap();
    let quiet = app.created(&admin, "/api/v1/services", json!({"name": "Педикюр", "duration": 60, "price": 500})).await["id"].as_i64().unwrap();
    book(&app, salon, popular, -10, "completed", 40_050).await;
    book(&app, salon, popular, -9, "completed", 40_000).await;
    book(&app, salon, popular, -8, "cancelled", 40_000).await;
    book(&app, salon, quiet, 3, "scheduled", 50_000).await;

    let stats = app.get(&format!("/api/v1/services/{popular}"), &admin.access).await.body["statistics"].clone();
    assert_eq!(stats["totalBookings"], 2);
    assert_eq!(stats["totalRevenue"], json!(800.5));
    assert_eq!(stats["popularityRank"], 1);
    let stats = app.get(&format!("/api/v1/services/{quiet}"), &admin.access).await.body["statistics"].clone();
    assert_eq!((stats["totalBookings"].as_i64(), stats["popularityRank"].as_i64()), (Some(1), Some(2)));

    let res = app.delete(&admin, &format!("/api/v1/services/{quiet}")).await;
    res.assert_error(409, "service_in_use");
    assert_eq!(app.get(&format!("/api/v1/services/{quiet}"), &admin.access).await.status, StatusCode::OK);
    // Past bookings do not block; the service leaves the catalogue but not the history.
    assert_eq!(app.delete(&admin, &format!("/api/v1/services/{popular}")).await.status, StatusCode::NO_CONTENT);
    let mut su = app.su().await;
    let kept: i64 = sqlx::query_scalar("select count(*) from appointments where service_id = $1").bind(popular).fetch_one(&mut su).await.unwrap();
    assert_eq!(kept, 3);
}

#[tokio::test]
async fn appointments_find_services_by_name_and_id() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let cut = ServiceId(app.created(&a, "/api/v1/services", json!({"name": "Стрижка", "duration": 45, "price": 450.5})).await["id"].as_i64().unwrap());
    let nails = ServiceId(app.created(&a, "/api/v1/services", json!({"name": "Manicure", "duration": 60, "price": 400})).await["id"].as_i64().unwrap());
    let gone = ServiceId(app.created(&a, "/api/v1/services", json!({"name": "Old", "duration": 60, "price": 1})).await["id"].as_i64().unwrap());
    assert_eq!(app.delete(&a, &format!("/api/v1/services/{gone}")).await.status, StatusCode::NO_CONTENT);
    let other = ServiceId(app.created(&b, "/api/v1/services", json!({"name": "Педикюр", "duration": 60, "price": 1})).await["id"].as_i64().unwrap());

    let mut tx = app.state.db.begin(SalonId(a.salon_id())).await.unwrap();
    let names: Vec<String> = [" MANICURE ", "стрижка", "old", "Педикюр", "Manicure"].map(String::from).to_vec();
    let found = catalog::find_by_names(&mut tx, &names).await.unwrap();
    let ids: Vec<ServiceId> = found.iter().map(|s| s.id).collect();
    assert_eq!(ids, [nails, cut, nails], "in the order asked, unknown and archived absent");
    assert_eq!((found[1].name.as_str(), found[1].duration_minutes, found[1].price), ("Стрижка", 45, Money(45_050)));
    assert!(catalog::find_by_names(&mut tx, &[]).await.unwrap().is_empty());

    assert_eq!(catalog::get_ref(&mut tx, cut).await.unwrap().map(|s| s.id), Some(cut));
    assert_eq!(catalog::get_ref(&mut tx, gone).await.unwrap(), None);
    assert_eq!(catalog::get_ref(&mut tx, other).await.unwrap(), None, "another salon's service");
    assert_eq!(catalog::live_ids(&mut tx, &[other, gone, nails, cut]).await.unwrap(), {
        let mut v = vec![cut, nails];
        v.sort();
        v
    });
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn archiving_waits_for_a_booking_that_checked_the_service() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let id = ServiceId(app.created(&admin, "/api/v1/services", json!({"name": "Манікюр", "duration": 60, "price": 400})).await["id"].as_i64().unwrap());

    let mut booking = app.state.db.begin(SalonId(admin.salon_id())).await.unwrap();
    assert!(catalog::get_ref(&mut booking, id).await.unwrap().is_some());
    let request = app.client.delete(app.url(&format!("/api/v1/services/{id}"))).bearer_auth(&admin.access).send();
    let archiving = tokio::spawn(async move { common::Res::from(request.await.unwrap()).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!archiving.is_finished(), "the archive waits for the booking's transaction");
    sqlx::query(
        "insert into appointments (client_name, service_id, date, start_time, end_time, starts_at, ends_at)
         values ('Клієнтка', $1, current_date + 5, '10:00', '11:00', now() + interval '5 days', now() + interval '5 days 1 hour')",
    )
    .bind(id)
    .execute(booking.conn())
    .await
    .unwrap();
    booking.commit().await.unwrap();
    archiving.await.unwrap().assert_error(409, "service_in_use");
}
