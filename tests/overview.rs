//! The overview through the API: records built from real appointments and payments, reviews,
//! the audit trail, salon-local date filters, paging, tenancy, bad input and permissions.

mod common;

use common::{Res, Session, TestApp, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const RECORDS: &str = "/api/v1/overview/records";
const REVIEWS: &str = "/api/v1/overview/reviews";
const CHANGES: &str = "/api/v1/overview/changes";

async fn ok(app: &TestApp, who: &Session, path: &str) -> Value {
    let res = app.get(path, &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
    res.body
}

/// The ids of a list answer's rows, as the strings they are sent as.
fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().expect("ids are strings").to_owned())
        .collect()
}

async fn service(app: &TestApp, admin: &Session, name: &str, category: &str, price: f64) -> i64 {
    id(&app.created(admin, "/api/v1/services",
        json!({"name": name, "category": category, "duration": 60, "price": price, "isActive": true})).await)
}

#[allow(clippy::too_many_arguments)]
async fn visit(
    app: &TestApp,
    who: &Session,
    staff: Option<i64>,
    client: &str,
    phone: &str,
    service: &str,
    date: &str,
    price: f64,
) -> Value {
    app.created(who,
        "/api/v1/appointments",
        json!({
            "clientName": client, "clientPhone": phone, "service": service, "date": date,
            "startTime": "10:00", "endTime": "11:00", "status": "scheduled", "type": "standard",
            "notes": "", "price": price, "staffId": staff
        }),
    )
    .await
}

async fn set_status(app: &TestApp, who: &Session, appointment: i64, status: &str) {
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/appointments/{appointment}/status"),
            Some(&who.access),
            Some(json!({"status": status})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

/// Salon A's data: a completed and fully paid haircut with a member (June 2), a partly paid
/// manicure without one (June 3), a cancelled visit (June 4) and a deleted one.
struct Visits {
    staff: i64,
    paid: Value,
    partial: Value,
    cancelled: Value,
}

async fn visits(app: &TestApp, admin: &Session) -> Visits {
    let staff = app.working_member(admin, "Ірина").await;
    service(app, admin, "Стрижка", "hair", 450.0).await;
    service(app, admin, "Манікюр", "nails", 300.0).await;
    let paid = visit(
        app,
        admin,
        Some(staff),
        "Марія Петренко",
        "+380671234567",
        "Стрижка",
        "2031-06-02",
        450.0,
    )
    .await;
    set_status(app, admin, id(&paid), "arrived").await;
    set_status(app, admin, id(&paid), "completed").await;
    let partial = visit(
        app,
        admin,
        None,
        "Оксана Коваль",
        "+380 50 123 45 67",
        "Манікюр",
        "2031-06-03",
        300.0,
    )
    .await;
    app.created(admin,
        "/api/v1/finances/receipts",
        json!({"appointmentId": id(&partial), "amount": 100, "paymentMethod": "Готівка",
                   "items": [{"name": "Манікюр", "price": 300}]}),
    )
    .await;
    let cancelled = visit(
        app,
        admin,
        None,
        "Марія Петренко",
        "+380671234567",
        "Стрижка",
        "2031-06-04",
        450.0,
    )
    .await;
    set_status(app, admin, id(&cancelled), "cancelled").await;
    let gone = visit(
        app,
        admin,
        None,
        "Петро Іваненко",
        "+380931112233",
        "Стрижка",
        "2031-06-05",
        450.0,
    )
    .await;
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/appointments/{}", id(&gone)),
            Some(&admin.access),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    Visits {
        staff,
        paid,
        partial,
        cancelled,
    }
}

fn sid(v: &Value) -> String {
    id(v).to_string()
}

#[tokio::test]
async fn records_show_visits_with_payment_closing_history_and_statistics() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let v = visits(&app, &admin).await;

    let list = ok(&app, &admin, RECORDS).await;
    assert_eq!(
        ids(&list),
        [sid(&v.cancelled), sid(&v.partial), sid(&v.paid)],
        "newest visit first, the deleted one left out"
    );
    assert_eq!(list["meta"]["total"], 3);
    assert_eq!(
        (
            list["meta"]["page"].clone(),
            list["meta"]["perPage"].clone(),
            list["meta"]["totalPages"].clone()
        ),
        (json!(1), json!(20), json!(1))
    );
    assert_eq!(
        list["meta"]["statistics"],
        json!({"total": 3, "completed": 1, "cancelled": 1, "noShow": 0, "totalRevenue": 550})
    );

    let paid = &list["data"][2];
    assert_eq!(
        (
            paid["employee"].as_str(),
            paid["service"].as_str(),
            paid["client"].as_str(),
            paid["phone"].as_str()
        ),
        (
            Some("Ірина Майстер"),
            Some("Стрижка"),
            Some("Марія Петренко"),
            Some("+380671234567")
        )
    );
    assert_eq!(
        (
            paid["status"].as_str(),
            paid["appointmentStatus"].as_str(),
            paid["paymentStatus"].as_str()
        ),
        (Some("completed"), Some("completed"), Some("paid"))
    );
    assert_eq!(
        (
            paid["amount"].clone(),
            paid["paid"].clone(),
            paid["source"].as_str()
        ),
        (json!(450), json!(450), Some("admin"))
    );
    assert_eq!(
        (paid["createdBy"].as_str(), paid["closedBy"].as_str()),
        (Some("Олена Адмін"), Some("Олена Адмін"))
    );
    assert_eq!(paid["visitTime"], v.paid["startsAt"]);
    assert_eq!(
        (
            paid["date"].as_str(),
            paid["type"].as_str(),
            paid["title"].as_str()
        ),
        (
            Some("2031-06-02"),
            Some("standard"),
            Some("Марія Петренко — Стрижка")
        )
    );
    assert_eq!(
        (paid["staffId"].as_str(), paid["serviceCategory"].as_str()),
        (Some(v.staff.to_string().as_str()), Some("hair"))
    );
    assert!(
        paid["closedAt"].is_string()
            && paid["actualStartTime"].is_string()
            && paid["actualEndTime"] == paid["closedAt"],
        "{paid}"
    );
    assert!(
        paid.get("paymentMethod").is_none(),
        "the completion names no method: {paid}"
    );
    let history: Vec<&str> = paid["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["created", "updated", "updated"]);
    assert_eq!(paid["history"][2]["author"], "Олена Адмін");
    assert!(
        paid["history"][2]["details"]
            .as_str()
            .unwrap()
            .contains("arrived → completed"),
        "{}",
        paid["history"][2]
    );

    let partial = &list["data"][1];
    assert_eq!(
        (
            partial["status"].as_str(),
            partial["paymentStatus"].as_str(),
            partial["paid"].clone()
        ),
        (Some("pending"), Some("partial"), json!(100))
    );
    assert_eq!(
        (
            partial["paymentMethod"].as_str(),
            partial["paymentMethodName"].as_str()
        ),
        (Some("cash"), Some("Готівка"))
    );
    assert_eq!(
        (partial["employee"].as_str(), partial["staffId"].clone()),
        (Some(""), Value::Null)
    );
    assert!(partial.get("closedAt").is_none());
    let cancelled = &list["data"][0];
    assert_eq!(
        (
            cancelled["status"].as_str(),
            cancelled["paymentStatus"].as_str()
        ),
        (Some("cancelled"), Some("unpaid"))
    );
}

#[tokio::test]
async fn records_filter_and_page() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let v = visits(&app, &admin).await;
    let (paid, partial, cancelled) = (sid(&v.paid), sid(&v.partial), sid(&v.cancelled));
    let client = v.partial["clientId"].as_i64().unwrap();

    let cases: Vec<(String, Vec<&String>)> = vec![
        (format!("employee={}", v.staff), vec![&paid]),
        (
            "client=%D0%BE%D0%BA%D1%81%D0%B0%D0%BD%D0%B0".into(),
            vec![&partial],
        ), // "оксана"
        (format!("client={client}"), vec![&partial]),
        ("client=501234".into(), vec![&partial]),
        ("serviceCategory=nails".into(), vec![&partial]),
        ("visitStatus=completed".into(), vec![&paid]),
        ("visitStatus=cancelled".into(), vec![&cancelled]),
        ("visitStatus=pending".into(), vec![&partial]),
        ("visitStatus=scheduled".into(), vec![&partial]),
        ("paymentStatus=paid".into(), vec![&paid]),
        ("paymentStatus=partial".into(), vec![&partial]),
        ("paymentStatus=unpaid".into(), vec![&cancelled]),
        ("source=admin".into(), vec![&cancelled, &partial, &paid]),
        ("source=online".into(), vec![]),
        ("dateFrom=2031-06-03".into(), vec![&cancelled, &partial]),
        ("dateTo=2031-06-02".into(), vec![&paid]),
        (
            "visitFrom=2031-06-03&visitTo=2031-06-03".into(),
            vec![&partial],
        ),
        ("dateFrom=2031-06-02&visitTo=2031-06-02".into(), vec![&paid]),
        ("paymentStatus=paid&visitStatus=cancelled".into(), vec![]),
    ];
    for (query, expected) in cases {
        let list = ok(&app, &admin, &format!("{RECORDS}?{query}")).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(ids(&list), expected, "{query}");
        assert_eq!(list["meta"]["total"], expected.len(), "{query}");
    }
    let stats =
        ok(&app, &admin, &format!("{RECORDS}?dateFrom=2031-06-03")).await["meta"]["statistics"]
            .clone();
    assert_eq!(
        stats,
        json!({"total": 2, "completed": 0, "cancelled": 1, "noShow": 0, "totalRevenue": 100})
    );

    let page = ok(&app, &admin, &format!("{RECORDS}?perPage=2&page=2")).await;
    assert_eq!(ids(&page), [paid.as_str()]);
    assert_eq!(
        page["meta"],
        json!({"page": 2, "perPage": 2, "total": 3, "totalPages": 2, "statistics": page["meta"]["statistics"]})
    );
    let window = ok(&app, &admin, &format!("{RECORDS}?limit=1&offset=1")).await;
    assert_eq!(ids(&window), [partial.as_str()]);
    assert_eq!(
        (
            window["meta"]["page"].clone(),
            window["meta"]["perPage"].clone(),
            window["meta"]["totalPages"].clone()
        ),
        (json!(2), json!(1), json!(3))
    );
}

#[tokio::test]
async fn reviews_are_recorded_listed_and_summarised() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let v = visits(&app, &admin).await;
    let client = v.partial["clientId"].as_i64().unwrap();

    let from_visit = app.created(&admin,
        REVIEWS,
        json!({"rating": 5, "text": " Чудово ", "appointmentId": sid(&v.paid)}),
    )
    .await;
    assert_eq!(
        (
            from_visit["clientName"].as_str(),
            from_visit["employee"].as_str(),
            from_visit["phone"].as_str()
        ),
        (
            Some("Марія Петренко"),
            Some("Ірина Майстер"),
            Some("+380671234567")
        )
    );
    assert_eq!(
        (
            from_visit["text"].as_str(),
            from_visit["comment"].as_str(),
            from_visit["author"].as_str()
        ),
        (Some("Чудово"), Some("Чудово"), Some("Марія Петренко"))
    );
    assert_eq!(
        (
            from_visit["staffId"].as_str(),
            from_visit["appointmentId"].as_str()
        ),
        (
            Some(v.staff.to_string().as_str()),
            Some(sid(&v.paid).as_str())
        )
    );
    assert!(from_visit["id"].is_string() && from_visit["date"].is_string());
    let by_client = app.created(&admin,
        REVIEWS,
        json!({"rating": 4, "clientId": client}),
    )
    .await;
    assert_eq!(
        (
            by_client["clientName"].as_str(),
            by_client["employee"].as_str(),
            by_client["text"].as_str()
        ),
        (Some("Оксана Коваль"), Some(""), Some(""))
    );
    let plain = app.created(&admin,
        REVIEWS,
        json!({"rating": 3, "text": "Нормально"}),
    )
    .await;
    let staff_only = app.created(&admin,
        REVIEWS,
        json!({"rating": 1, "staffId": v.staff.to_string()}),
    )
    .await;

    let list = ok(&app, &admin, REVIEWS).await;
    assert_eq!(
        ids(&list),
        [
            sid(&staff_only),
            sid(&plain),
            sid(&by_client),
            sid(&from_visit)
        ],
        "newest first"
    );
    assert_eq!(
        list["meta"]["statistics"],
        json!({"averageRating": 3.25, "totalReviews": 4,
        "ratingDistribution": {"1": 1, "2": 0, "3": 1, "4": 1, "5": 1}})
    );
    for (query, expected) in [
        (
            "type=positive".to_owned(),
            vec![sid(&by_client), sid(&from_visit)],
        ),
        ("type=neutral".to_owned(), vec![sid(&plain)]),
        ("type=negative".to_owned(), vec![sid(&staff_only)]),
        (
            "type=all".to_owned(),
            vec![
                sid(&staff_only),
                sid(&plain),
                sid(&by_client),
                sid(&from_visit),
            ],
        ),
        ("rating=5".to_owned(), vec![sid(&from_visit)]),
        ("rating=3&type=positive".to_owned(), vec![]),
        (
            format!("staffId={}", v.staff),
            vec![sid(&staff_only), sid(&from_visit)],
        ),
        (format!("clientId={client}"), vec![sid(&by_client)]),
        (
            "limit=2&offset=2".to_owned(),
            vec![sid(&by_client), sid(&from_visit)],
        ),
    ] {
        assert_eq!(
            ids(&ok(&app, &admin, &format!("{REVIEWS}?{query}")).await),
            expected,
            "{query}"
        );
    }
    let positive = ok(&app, &admin, &format!("{REVIEWS}?type=positive&perPage=1")).await;
    assert_eq!(
        (
            positive["meta"]["total"].clone(),
            positive["meta"]["totalPages"].clone()
        ),
        (json!(2), json!(2))
    );
    assert_eq!(positive["meta"]["statistics"]["averageRating"], json!(4.5));
    assert_eq!(
        app.count("select count(*) from changes where entity = 'review' and action = 'created'"
        )
        .await,
        4
    );

    // The appointment decides the client and member: other ids beside it are refused.
    let res = app
        .post(
            REVIEWS,
            Some(&admin.access),
            json!({"rating": 5, "appointmentId": id(&v.paid), "clientId": client}),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["clientId"].is_array(), "{}", res.text);
    assert_eq!(app.count("select count(*) from reviews").await, 4);
}

#[tokio::test]
async fn changes_list_the_audit_trail_with_names_and_filters() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let manager = app.staff(&admin, "manager").await;
    let client = id(&app.created(&manager,
        "/api/v1/clients",
        json!({"firstName": "Олена", "lastName": "Шевченко", "phone": "+380671112233"}),
    )
    .await);
    let res = app
        .put(
            &format!("/api/v1/clients/{client}"),
            &manager.access,
            json!({"notes": "VIP"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Managers may not delete clients: the administrator does.
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/clients/{client}"),
            Some(&admin.access),
            None,
        )
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let service = service(&app, &admin, "Стрижка", "hair", 450.0).await;

    let list = ok(&app, &admin, CHANGES).await;
    let newest = &list["data"][0];
    assert_eq!(
        (
            newest["entity"].as_str(),
            newest["entityId"].as_str(),
            newest["entityName"].as_str(),
            newest["action"].as_str()
        ),
        (
            Some("service"),
            Some(service.to_string().as_str()),
            Some("Стрижка"),
            Some("created")
        )
    );
    assert_eq!(
        (
            newest["author"].as_str(),
            newest["user"].as_str(),
            newest["authorId"].as_str()
        ),
        (
            Some("Олена Адмін"),
            Some("Олена Адмін"),
            Some(admin.user_id.to_string().as_str())
        )
    );
    assert_eq!(newest["timestamp"], newest["date"]);
    assert_eq!(newest["after"]["name"], "Стрижка");

    let on_client = ok(
        &app,
        &admin,
        &format!("{CHANGES}?entity=client&entityId={client}"),
    )
    .await;
    let actions: Vec<&str> = on_client["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["deleted", "updated", "created"]);
    assert!(
        on_client["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["entityName"] == "Олена Шевченко" && c["author"] != ""),
        "{on_client}"
    );
    assert!(
        on_client["data"][1]["details"]
            .as_str()
            .unwrap()
            .contains("VIP"),
        "{}",
        on_client["data"][1]
    );
    assert_eq!(
        on_client["data"][0]["before"]["notes"], "VIP",
        "{}",
        on_client["data"][0]
    );

    let deleted = ok(&app, &admin, &format!("{CHANGES}?action=deleted")).await;
    assert_eq!(
        ids(&deleted),
        [on_client["data"][0]["id"].as_str().unwrap().to_owned()]
    );
    let by_manager = ok(
        &app,
        &admin,
        &format!("{CHANGES}?author={}&entity=client", manager.user_id),
    )
    .await;
    assert_eq!(by_manager["meta"]["total"], 2);
    // Besides the client, the manager's own password setup.
    let everything = ok(
        &app,
        &admin,
        &format!("{CHANGES}?author={}", manager.user_id),
    )
    .await;
    assert_eq!(everything["meta"]["total"], 3);
    let services = ok(
        &app,
        &admin,
        &format!("{CHANGES}?entity=service&action=created"),
    )
    .await;
    assert_eq!(services["meta"]["total"], 1);
    // The stored verbs beyond the three are updates; the `user` entity is accepted too.
    let users = ok(
        &app,
        &admin,
        &format!("{CHANGES}?entity=user&action=updated"),
    )
    .await;
    assert!(
        users["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["storedAction"] == "password_setup"),
        "{users}"
    );

    let all = ok(&app, &admin, &format!("{CHANGES}?perPage=2")).await;
    let total = all["meta"]["total"].as_i64().unwrap();
    assert!(total >= 6, "{all}");
    assert_eq!(
        (
            all["meta"]["totalPages"].as_i64(),
            all["data"].as_array().unwrap().len()
        ),
        (Some((total + 1) / 2), 2)
    );
    let second = ok(&app, &admin, &format!("{CHANGES}?limit=2&offset=2")).await;
    assert_eq!(second["meta"]["page"], 2);
    assert!(ids(&second).iter().all(|i| !ids(&all).contains(i)));
}

/// Moves rows' creation instants, as only the superuser may.
async fn set_created(app: &TestApp, table: &str, id: i64, at: &str) {
    let mut su = app.su().await;
    let sql = match table {
        "changes" => "update changes set created_at = $2::timestamptz where id = $1",
        "reviews" => "update reviews set created_at = $2::timestamptz where id = $1",
        _ => "update appointments set created_at = $2::timestamptz where id = $1",
    };
    let done = sqlx::query(sql)
        .bind(id)
        .bind(at)
        .execute(&mut su)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

#[tokio::test]
async fn date_filters_are_days_on_the_salons_clock() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    // 23:30 on June 2 in Kyiv (UTC+3 in summer) is 20:30 UTC; 00:30 on June 3 is 21:30 UTC on June 2.
    let (late, after_midnight) = ("2031-06-02T20:30:00Z", "2031-06-02T21:30:00Z");

    let c1 = id(&app.created(&admin,
        "/api/v1/clients",
        json!({"firstName": "Пізня", "phone": "+380671112201"}),
    )
    .await);
    let c2 = id(&app.created(&admin,
        "/api/v1/clients",
        json!({"firstName": "Нічна", "phone": "+380671112202"}),
    )
    .await);
    let mut su = app.su().await;
    for (client, at) in [(c1, late), (c2, after_midnight)] {
        let change: i64 =
            sqlx::query_scalar("select id from changes where entity = 'client' and entity_id = $1")
                .bind(client)
                .fetch_one(&mut su)
                .await
                .unwrap();
        set_created(&app, "changes", change, at).await;
    }
    let june2 = ok(
        &app,
        &admin,
        &format!("{CHANGES}?dateFrom=2031-06-02&dateTo=2031-06-02"),
    )
    .await;
    assert_eq!(
        june2["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["entityId"].clone())
            .collect::<Vec<_>>(),
        [json!(c1.to_string())]
    );
    let june3 = ok(
        &app,
        &admin,
        &format!("{CHANGES}?dateFrom=2031-06-03&dateTo=2031-06-03"),
    )
    .await;
    assert_eq!(
        june3["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["entityId"].clone())
            .collect::<Vec<_>>(),
        [json!(c2.to_string())]
    );

    let r1 = id_str(&app.created(&admin, REVIEWS, json!({"rating": 5})).await);
    let r2 = id_str(&app.created(&admin, REVIEWS, json!({"rating": 2})).await);
    set_created(&app, "reviews", r1, late).await;
    set_created(&app, "reviews", r2, after_midnight).await;
    assert_eq!(
        ids(&ok(&app, &admin, &format!("{REVIEWS}?dateTo=2031-06-02")).await),
        [r1.to_string()]
    );
    assert_eq!(
        ids(&ok(
            &app,
            &admin,
            &format!("{REVIEWS}?dateFrom=2031-06-03&dateTo=2031-06-03")
        )
        .await),
        [r2.to_string()]
    );

    let a1 = id(&visit(
        &app,
        &admin,
        None,
        "Марія",
        "+380671234567",
        "Стрижка",
        "2031-07-01",
        100.0,
    )
    .await);
    let a2 = id(&visit(
        &app,
        &admin,
        None,
        "Оксана",
        "+380501234567",
        "Стрижка",
        "2031-07-02",
        100.0,
    )
    .await);
    set_created(&app, "appointments", a1, late).await;
    set_created(&app, "appointments", a2, after_midnight).await;
    assert_eq!(
        ids(&ok(
            &app,
            &admin,
            &format!("{RECORDS}?createdFrom=2031-06-02&createdTo=2031-06-02")
        )
        .await),
        [a1.to_string()]
    );
    assert_eq!(
        ids(&ok(
            &app,
            &admin,
            &format!("{RECORDS}?createdFrom=2031-06-03&createdTo=2031-06-03")
        )
        .await),
        [a2.to_string()]
    );
}

fn id_str(v: &Value) -> i64 {
    v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no string id in {v}"))
}

#[tokio::test]
async fn another_salon_sees_none_of_it_and_cannot_point_a_review_at_it() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let v = visits(&app, &a).await;
    let client = v.partial["clientId"].as_i64().unwrap();
    app.created(&a,
        REVIEWS,
        json!({"rating": 5, "appointmentId": id(&v.paid)}),
    )
    .await;

    let records = ok(&app, &b, RECORDS).await;
    assert_eq!(
        (
            records["data"].as_array().unwrap().len(),
            records["meta"]["total"].clone()
        ),
        (0, json!(0))
    );
    assert_eq!(records["meta"]["statistics"]["totalRevenue"], 0);
    assert_eq!(
        ok(&app, &b, &format!("{RECORDS}?client={client}")).await["meta"]["total"],
        0
    );
    let reviews = ok(&app, &b, REVIEWS).await;
    assert_eq!(
        (
            reviews["meta"]["total"].clone(),
            reviews["meta"]["statistics"]["totalReviews"].clone()
        ),
        (json!(0), json!(0))
    );
    let changes = ok(&app, &b, &format!("{CHANGES}?perPage=100")).await;
    assert!(
        changes["meta"]["total"].as_i64().unwrap() > 0,
        "B's own registration is there"
    );
    assert!(
        changes["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["authorId"] == json!(b.user_id.to_string())),
        "{changes}"
    );
    assert_eq!(
        ok(&app, &b, &format!("{CHANGES}?entity=record")).await["meta"]["total"],
        0
    );

    let before = app.count("select count(*) from reviews").await;
    for (field, value) in [
        ("appointmentId", id(&v.paid)),
        ("clientId", client),
        ("staffId", v.staff),
    ] {
        let res = app
            .post(REVIEWS, Some(&b.access), json!({"rating": 4, field: value}))
            .await;
        res.assert_error(422, "validation_error");
        assert!(
            res.body["details"][field].is_array(),
            "{field}: {}",
            res.text
        );
    }
    assert_eq!(
        app.count("select count(*) from reviews").await,
        before,
        "B wrote nothing"
    );
    assert_eq!(
        app.count("select count(*) from changes where entity = 'review'").await,
        1
    );
}

#[tokio::test]
async fn bad_input_is_4xx_with_the_envelope() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    for path in [
        format!("{RECORDS}?dateFrom=yesterday"),
        format!("{RECORDS}?createdTo=2031-13-01"),
        format!("{RECORDS}?dateFrom=2031-06-03&dateTo=2031-06-02"),
        format!("{RECORDS}?visitStatus=paid"),
        format!("{RECORDS}?paymentStatus=free"),
        format!("{RECORDS}?source=fax"),
        format!("{RECORDS}?employee=anna"),
        format!("{RECORDS}?page=0"),
        format!("{RECORDS}?perPage=0"),
        format!("{RECORDS}?limit=0"),
        format!("{RECORDS}?offset=-1"),
        format!("{REVIEWS}?type=great"),
        format!("{REVIEWS}?rating=6"),
        format!("{REVIEWS}?rating=0"),
        format!("{REVIEWS}?dateTo=02.06.2031"),
        format!("{REVIEWS}?staffId=x"),
        format!("{CHANGES}?entity=galaxy"),
        format!("{CHANGES}?action=burned"),
        format!("{CHANGES}?dateFrom=2031-02-30"),
        format!("{CHANGES}?author=me"),
    ] {
        let res = app.get(&path, &admin.access).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"].is_object(), "{path}: {}", res.text);
    }
    for (body, field) in [
        (json!({"rating": 0}), "rating"),
        (json!({"rating": 6}), "rating"),
        (json!({"rating": 4.5}), "rating"),
        (json!({"rating": "five"}), "rating"),
        (json!({"text": "без оцінки"}), "rating"),
        (json!({"rating": 5, "text": "я".repeat(5001)}), "text"),
        (json!({"rating": 5, "clientId": 424242}), "clientId"),
        (json!({"rating": 5, "staffId": 424242}), "staffId"),
        (
            json!({"rating": 5, "appointmentId": "424242"}),
            "appointmentId",
        ),
        (json!({"rating": 5, "clientId": "abc"}), "clientId"),
    ] {
        let res = app.post(REVIEWS, Some(&admin.access), body.clone()).await;
        res.assert_error(422, "validation_error");
        assert!(
            res.body["details"][field].is_array(),
            "{body}: {}",
            res.text
        );
    }
    let res = app
        .request_with(
            Method::POST,
            REVIEWS,
            Some(&admin.access),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    res.assert_error(422, "validation_error");
    let raw = app
        .client
        .post(app.url(REVIEWS))
        .bearer_auth(&admin.access)
        .header("content-type", "application/json")
        .body("{\"rating\": 5,")
        .send()
        .await
        .unwrap();
    Res::from(raw).await.assert_error(400, "malformed_json");
    assert_eq!(app.count("select count(*) from reviews").await, 0);
}

#[tokio::test]
async fn each_list_needs_its_permission() {
    let app = TestApp::spawn().await;
    let common::Cast { master, receptionist, .. } = app.cast().await;

    // Defaults: masters see records only; receptionists records and reviews; neither the trail.
    ok(&app, &master, RECORDS).await;
    app.get(REVIEWS, &master.access)
        .await
        .assert_error(403, "forbidden");
    app.post(REVIEWS, Some(&master.access), json!({"rating": 5}))
        .await
        .assert_error(403, "forbidden");
    app.get(CHANGES, &master.access)
        .await
        .assert_error(403, "forbidden");
    ok(&app, &receptionist, REVIEWS).await;
    app.created(&receptionist, REVIEWS, json!({"rating": 5})).await;
    app.get(CHANGES, &receptionist.access)
        .await
        .assert_error(403, "forbidden");

    let mut su = app.su().await;
    sqlx::query("update role_permissions set permissions = permissions || '{\"overview.appointments.view\": false}' where role = 'master'")
        .execute(&mut su).await.unwrap();
    app.touch(receptionist.salon_id()).await; // edited behind the API: retire cached principals
    app.get(RECORDS, &master.access)
        .await
        .assert_error(403, "forbidden");
    sqlx::query("update role_permissions set permissions = permissions || '{\"overview.summary\": true}' where role = 'receptionist'")
        .execute(&mut su).await.unwrap();
    app.touch(receptionist.salon_id()).await; // edited behind the API: retire cached principals
    ok(&app, &receptionist, CHANGES).await;
    // An item is granted only while its module is.
    sqlx::query("update role_permissions set permissions = permissions || '{\"overview\": false}' where role = 'receptionist'")
        .execute(&mut su).await.unwrap();
    app.touch(receptionist.salon_id()).await; // edited behind the API: retire cached principals
    app.get(CHANGES, &receptionist.access)
        .await
        .assert_error(403, "forbidden");

    let anonymous = app.request(Method::GET, RECORDS, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("select count(*) from reviews").await, 1);
}

#[tokio::test]
async fn openapi_documents_the_overview() {
    let app = TestApp::spawn().await;
    let doc = Res::from(
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for (path, method) in [
        ("/api/v1/overview/records", "get"),
        ("/api/v1/overview/reviews", "get"),
        ("/api/v1/overview/reviews", "post"),
        ("/api/v1/overview/changes", "get"),
    ] {
        let op = &doc.body["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing");
        assert_eq!(op["tags"][0], "overview");
    }
    assert!(doc.body["components"]["schemas"]["Record"].is_object());
}

#[tokio::test]
async fn the_last_offset_is_an_empty_page_not_an_overflow() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    for list in ["changes", "records", "reviews"] {
        let page = ok(&app, &admin, &format!("/api/v1/overview/{list}?limit=1&offset=4294967295")).await;
        assert_eq!(page["data"], json!([]), "{list}");
    }
    let too_far = app.get("/api/v1/overview/changes?limit=1&offset=4294967296", &admin.access).await;
    too_far.assert_error(422, "validation_error");
    assert!(too_far.body["details"]["offset"].is_array(), "{}", too_far.text);
}
