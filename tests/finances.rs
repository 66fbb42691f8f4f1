//! Finances through the API: defaults, payment methods, registers with derived balances,
//! operations (free-text references, reversal, audited edit), the visit-income hook,
//! documents with gap-free numbering, the dashboard, exports, permissions and tenancy.

mod common;

use adelante::{
    ids::{AppointmentId, UserId},
    money::Money,
    tenancy::SalonId,
};
use common::{Res, Session, TestApp, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OPS: &str = "/api/v1/finances/operations";
const METHODS: &str = "/api/v1/finances/payment-methods";
const REGISTERS: &str = "/api/v1/finances/cash-registers";

async fn registers(app: &TestApp, who: &Session) -> Vec<Value> {
    let res = app.get(REGISTERS, &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body.as_array().unwrap().clone()
}

async fn register_balance(app: &TestApp, who: &Session, register: i64) -> Value {
    registers(app, who).await.into_iter().find(|r| id(r) == register).expect("register listed")["balance"].clone()
}

async fn main_register(app: &TestApp, who: &Session) -> i64 {
    id(&registers(app, who).await[0])
}

#[tokio::test]
async fn a_new_salon_gets_default_methods_and_a_main_register() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    // Many first requests at once still create each default once.
    let first = futures::future::join_all((0..10).map(|i| app.get(if i % 2 == 0 { METHODS } else { REGISTERS }, &admin.access))).await;
    assert!(first.iter().all(|r| r.status == StatusCode::OK), "{:?}", first.iter().map(|r| &r.text).collect::<Vec<_>>());
    assert_eq!(app.count("select count(*) from payment_methods").await, 2);
    assert_eq!(app.count("select count(*) from cash_registers").await, 1);
    let methods = app.get(METHODS, &admin.access).await;
    assert_eq!(methods.status, StatusCode::OK, "{}", methods.text);
    let m = methods.body.as_array().unwrap();
    assert_eq!(m.len(), 2, "{}", methods.text);
    assert_eq!((m[0]["name"].as_str(), m[0]["type"].as_str(), m[0]["code"].as_str()), (Some("Готівка"), Some("cash"), Some("cash")));
    assert_eq!((m[1]["name"].as_str(), m[1]["type"].as_str()), (Some("Картка"), Some("card")));
    assert_eq!(m[0]["cashRegister"], "Основна каса");
    assert_eq!((m[0]["commissionType"].as_str(), m[0]["commissionValue"].as_f64()), (Some("none"), Some(0.0)));
    assert_eq!(m[0]["isActive"], true);

    let regs = registers(&app, &admin).await;
    assert_eq!(regs.len(), 1);
    assert_eq!((regs[0]["name"].as_str(), regs[0]["code"].as_str()), (Some("Основна каса"), Some("main")));
    assert_eq!((regs[0]["balance"].clone(), regs[0]["currency"].as_str()), (json!(0), Some("UAH")));

    // Touching finances again creates nothing more, and a deleted default stays deleted.
    app.get(METHODS, &admin.access).await;
    assert_eq!(app.count("select count(*) from payment_methods").await, 2);
    assert_eq!(app.delete(&admin, &format!("{METHODS}/{}", id(&m[1]))).await.status, StatusCode::NO_CONTENT);
    let again = app.get(METHODS, &admin.access).await;
    assert_eq!(again.body.as_array().unwrap().len(), 1);
    assert_eq!(app.count("select count(*) from payment_methods").await, 2);
}

#[tokio::test]
async fn payment_methods_are_managed_with_validation() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let register = main_register(&app, &admin).await;
    let m = app.created(&admin, METHODS, json!({
        "name": "Термінал Приват", "type": "card", "cashRegister": "основна КАСА", "commissionType": "percentage",
        "commissionValue": 1.75, "commissionPayer": "split", "availableOnline": true, "allowPartialPayment": true,
        "allowTips": false, "sortOrder": 5, "isActive": true
    })).await;
    assert_eq!((m["cashRegisterId"].as_i64(), m["commissionValue"].clone()), (Some(register), json!(1.75)));
    assert_eq!((m["commissionPayer"].as_str(), m["availableOnline"].as_bool(), m["sortOrder"].as_i64()), (Some("split"), Some(true), Some(5)));
    assert!(m["code"].is_null());

    // Partial update: only what is named changes; null unlinks the register.
    let path = format!("{METHODS}/{}", id(&m));
    let res = app.put(&path, &admin.access, json!({"commissionType": "fixed", "commissionValue": 5, "cashRegisterId": null})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["commissionType"].as_str(), res.body["commissionValue"].clone()), (Some("fixed"), json!(5)));
    assert!(res.body["cashRegisterId"].is_null());
    assert_eq!((res.body["name"].as_str(), res.body["allowPartialPayment"].as_bool()), (Some("Термінал Приват"), Some(true)));

    let bad = app.post(METHODS, Some(&admin.access), json!({"name": "X", "type": "crypto"})).await;
    bad.assert_error(422, "validation_error");
    assert!(bad.body["details"]["type"].is_array(), "{}", bad.text);
    let bad = app.post(METHODS, Some(&admin.access),
        json!({"name": " ", "type": "other", "commissionType": "percentage", "commissionValue": 101, "cashRegisterId": 999999})).await;
    bad.assert_error(422, "validation_error");
    for field in ["name", "commissionValue", "cashRegisterId"] {
        assert!(bad.body["details"][field].is_array(), "{field}: {}", bad.text);
    }
    let bad = app.post(METHODS, Some(&admin.access), json!({"name": "Y", "type": "other", "commissionType": "fixed", "commissionValue": -1})).await;
    assert!(bad.body["details"]["commissionValue"].is_array(), "{}", bad.text);
    let bad = app.put(&path, &admin.access, json!({"commissionValue": 0.001})).await;
    bad.assert_error(422, "validation_error");
    assert!(bad.body["details"]["commissionValue"].is_array(), "{}", bad.text);
    app.post(METHODS, Some(&admin.access), json!({"name": "готівка", "type": "cash"})).await.assert_error(409, "payment_method_name_taken");

    assert_eq!(app.delete(&admin, &path).await.status, StatusCode::NO_CONTENT);
    app.put(&path, &admin.access, json!({"name": "Z"})).await.assert_error(404, "not_found");
    app.delete(&admin, &path).await.assert_error(404, "not_found");
    let only_active = app.get(&format!("{METHODS}?isActive=true"), &admin.access).await;
    assert_eq!(only_active.body.as_array().unwrap().len(), 2);
    let mut su = app.su().await;
    let trail: Vec<String> = sqlx::query_scalar("select action from changes where entity = 'payment_method' and entity_id = $1 order by id")
        .bind(id(&m)).fetch_all(&mut su).await.unwrap();
    assert_eq!(trail, ["created", "updated", "deleted"]);
}

#[tokio::test]
async fn register_balances_are_derived_from_operations() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let safe = app.created(&admin, REGISTERS, json!({"name": "Сейф", "location": "Кабінет", "balance": 1000.5, "isActive": true})).await;
    assert_eq!((safe["balance"].clone(), safe["type"].as_str(), safe["location"].as_str()), (json!(1000.5), Some("cash"), Some("Кабінет")));
    let ops = app.get(&format!("{OPS}?cashRegisterId={}", id(&safe)), &admin.access).await;
    assert_eq!(ops.body.as_array().unwrap().len(), 1, "the opening balance is an operation: {}", ops.text);
    assert_eq!((ops.body[0]["type"].as_str(), ops.body[0]["amount"].clone()), (Some("deposit"), json!(1000.5)));

    let path = format!("{REGISTERS}/{}", id(&safe));
    let res = app.put(&path, &admin.access, json!({"balance": 5})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["balance"].is_array());
    let res = app.put(&path, &admin.access, json!({"name": "Сейф 2", "balance": 1000.5})).await;
    assert_eq!((res.status, res.body["name"].as_str()), (StatusCode::OK, Some("Сейф 2")), "the unchanged balance may be echoed");
    app.put(&path, &admin.access, json!({"currency": "USD"})).await.assert_error(422, "validation_error");
    app.post(REGISTERS, Some(&admin.access), json!({"name": "Debt", "balance": -1})).await.assert_error(422, "validation_error");
    app.post(REGISTERS, Some(&admin.access), json!({"name": "сейф 2"})).await.assert_error(409, "cash_register_name_taken");

    app.delete(&admin, &path).await.assert_error(409, "register_not_empty");
    app.created(&admin, OPS, json!({"type": "withdrawal", "amount": 1000.5, "cashRegisterId": id(&safe)})).await;
    assert_eq!(register_balance(&app, &admin, id(&safe)).await, json!(0));
    assert_eq!(app.delete(&admin, &path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(registers(&app, &admin).await.len(), 1);
}

#[tokio::test]
async fn concurrent_operations_keep_the_balance_equal_to_their_sum() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let register = main_register(&app, &admin).await;
    let bodies: Vec<Value> = (0..20)
        .map(|i| {
            let (kind, amount) = if i % 4 == 3 { ("withdrawal", format!("{}.{:02}", 10 + i, i)) } else { ("payment", format!("{}.{:02}", 100 + i, (7 * i) % 100)) };
            json!({"type": kind, "amount": amount.parse::<f64>().unwrap(), "cashRegisterId": register, "paymentMethod": "Готівка"})
        })
        .collect();
    let expected: i64 = bodies
        .iter()
        .map(|b| {
            let m: Money = serde_json::from_value(b["amount"].clone()).unwrap();
            if b["type"] == "payment" { m.minor() } else { -m.minor() }
        })
        .sum();
    let results = futures::future::join_all(bodies.into_iter().map(|b| app.post(OPS, Some(&admin.access), b))).await;
    assert!(results.iter().all(|r| r.status == StatusCode::CREATED), "{:?}", results.iter().map(|r| &r.text).collect::<Vec<_>>());

    let balance: Money = serde_json::from_value(register_balance(&app, &admin, register).await).unwrap();
    assert_eq!(balance, Money(expected));
    let mut su = app.su().await;
    let summed: i64 = sqlx::query_scalar(
        "select sum(case direction when 'in' then amount_minor else -amount_minor end)::bigint from finance_operations where cash_register_id = $1")
        .bind(register).fetch_one(&mut su).await.unwrap();
    assert_eq!(summed, expected);
    let list = app.get(&format!("{OPS}?cashRegisterId={register}"), &admin.access).await;
    assert_eq!(list.headers["x-total-count"], "20");
}

#[tokio::test]
async fn the_create_form_sends_free_text_which_is_resolved_or_kept() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let register = main_register(&app, &admin).await;
    // Exactly as the form posts it.
    let op = app.created(&admin, OPS, json!({
        "date": "2026-01-04", "documentNumber": "ПКО-17", "cashRegister": "основна каса", "client": "Марія Петренко",
        "amount": 1250.5, "paymentMethod": "готівка", "type": "payment", "status": "completed",
        "author": "Адміністратор", "description": "Фарбування"
    })).await;
    assert_eq!((op["cashRegisterId"].as_i64(), op["cashRegister"].as_str()), (Some(register), Some("Основна каса")));
    assert!(op["paymentMethodId"].is_i64());
    assert_eq!(op["paymentMethod"], "Готівка");
    assert_eq!((op["client"].as_str(), op["clientId"].clone()), (Some("Марія Петренко"), Value::Null));
    assert_eq!((op["counterparty"].as_str(), op["author"].as_str()), (Some("Марія Петренко"), Some("Адміністратор")));
    assert_eq!((op["amount"].clone(), op["direction"].as_str(), op["date"].as_str()), (json!(1250.5), Some("in"), Some("2026-01-04")));
    assert_eq!((op["documentNumber"].as_str(), op["status"].as_str()), (Some("ПКО-17"), Some("completed")));
    assert!(op["createdAt"].is_string() && op["occurredAt"].is_string());

    // Unknown names are kept as text and link nothing; no author means the signed-in user.
    let op = app.created(&admin, OPS, json!({"type": "expense", "amount": 99.99, "cashRegister": "Сейф у підвалі",
        "paymentMethod": "Бартер", "category": "Оренда"})).await;
    assert_eq!((op["cashRegister"].as_str(), op["cashRegisterId"].clone()), (Some("Сейф у підвалі"), Value::Null));
    assert_eq!((op["paymentMethod"].as_str(), op["paymentMethodId"].clone()), (Some("Бартер"), Value::Null));
    assert_eq!((op["author"].as_str(), op["direction"].as_str()), (Some("Олена Адмін"), Some("out")));
    assert_eq!(register_balance(&app, &admin, register).await, json!(1250.5));

    // Ids are accepted too; nothing named falls back to the method's register, then the main one.
    let moved = app.created(&admin, OPS, json!({"type": "transfer", "amount": 10, "direction": "in", "cashRegister": "Основна каса"})).await;
    assert_eq!(moved["direction"], "in", "a transfer goes the way it is told");
    let moved = app.created(&admin, OPS, json!({"type": "transfer", "amount": 10, "cashRegister": "Основна каса"})).await;
    assert_eq!(moved["direction"], "out", "by default out of the register");
    let cash = app.get(METHODS, &admin.access).await.body[0].clone();
    let op = app.created(&admin, OPS, json!({"type": "deposit", "amount": 10, "paymentMethodId": id(&cash)})).await;
    assert_eq!(op["cashRegisterId"].as_i64(), Some(register));
    assert_eq!(register_balance(&app, &admin, register).await, json!(1260.5));
}

#[tokio::test]
async fn bad_operations_are_refused_with_field_details() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    for (body, field) in [
        (json!({"type": "payment", "amount": -5}), "amount"),
        (json!({"type": "payment", "amount": 0}), "amount"),
        (json!({"type": "payment", "amount": 1.005}), "amount"),
        (json!({"type": "payment", "amount": "abc"}), "amount"),
        (json!({"type": "payment"}), "body"),
        (json!({"type": "gift", "amount": 5}), "type"),
        (json!({"type": "payment", "amount": 5, "status": "done"}), "status"),
        (json!({"type": "payment", "amount": 5, "date": "04.01.2026"}), "date"),
        (json!({"type": "payment", "amount": 5, "direction": "out"}), "direction"),
        (json!({"type": "payment", "amount": 5, "paymentMethodId": 987654}), "paymentMethodId"),
        (json!({"type": "payment", "amount": 5, "cashRegisterId": 987654}), "cashRegisterId"),
        (json!({"type": "payment", "amount": 5, "clientId": 987654}), "clientId"),
    ] {
        let res = app.post(OPS, Some(&admin.access), body.clone()).await;
        res.assert_error(422, "validation_error");
        let details = &res.body["details"];
        assert!(details[field].is_array() || (field == "body" && details.as_object().is_some_and(|d| !d.is_empty())),
                "{body} → {}", res.text);
    }
    let res = app.request_with(Method::POST, OPS, Some(&admin.access), None, &[("content-type", "application/json")]).await;
    assert!(res.status.is_client_error());
    assert_eq!(app.count("select count(*) from finance_operations").await, 0);
}

#[tokio::test]
async fn operations_are_corrected_by_reversal_or_an_audited_edit() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let register = main_register(&app, &admin).await;
    let op = app.created(&admin, OPS, json!({"type": "payment", "amount": 450.5, "paymentMethod": "Картка", "client": "Ірина"})).await;
    let path = format!("{OPS}/{}", id(&op));

    // The edit touches description, category and date; money is never rewritten.
    let res = app.put(&path, &admin.access, json!({"description": "Стрижка", "category": "Послуги", "date": "2026-02-01", "amount": 450.5})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["description"].as_str(), res.body["category"].as_str(), res.body["date"].as_str()), (Some("Стрижка"), Some("Послуги"), Some("2026-02-01")));
    let res = app.put(&path, &admin.access, json!({"amount": 1})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["amount"].is_array());
    app.put(&path, &admin.access, json!({"status": "cancelled"})).await.assert_error(409, "invalid_transition");
    assert_eq!(app.get(&path, &admin.access).await.body["amount"], json!(450.5));

    let reversal = app.post(&format!("{path}/reverse"), Some(&admin.access), json!({})).await;
    assert_eq!(reversal.status, StatusCode::CREATED, "{}", reversal.text);
    let r = &reversal.body;
    assert_eq!((r["reversalOf"].as_i64(), r["direction"].as_str(), r["type"].as_str(), r["amount"].clone()), (Some(id(&op)), Some("out"), Some("payment"), json!(450.5)));
    assert_eq!((r["client"].as_str(), r["paymentMethod"].as_str()), (Some("Ірина"), Some("Картка")));
    assert_eq!(app.get(&path, &admin.access).await.body["reversedBy"].as_i64(), Some(id(r)));
    assert_eq!(register_balance(&app, &admin, register).await, json!(0));
    app.post(&format!("{path}/reverse"), Some(&admin.access), json!({})).await.assert_error(409, "already_reversed");
    app.post(&format!("{OPS}/{}/reverse", id(r)), Some(&admin.access), json!({})).await.assert_error(409, "reversal_of_reversal");

    // A pending operation counts nowhere until completed, and is cancelled rather than reversed.
    let pending = app.created(&admin, OPS, json!({"type": "payment", "amount": 100, "status": "pending"})).await;
    let pending_path = format!("{OPS}/{}", id(&pending));
    app.post(&format!("{pending_path}/reverse"), Some(&admin.access), json!({})).await.assert_error(409, "not_completed");
    assert_eq!(register_balance(&app, &admin, register).await, json!(0));
    let res = app.put(&pending_path, &admin.access, json!({"status": "completed"})).await;
    assert_eq!(res.body["status"], "completed", "{}", res.text);
    assert_eq!(register_balance(&app, &admin, register).await, json!(100));

    let mut su = app.su().await;
    let trail: Vec<(String, Option<i64>)> = sqlx::query_as("select action, entity_id from changes where entity = 'operation' order by id")
        .fetch_all(&mut su).await.unwrap();
    assert_eq!(trail, [("created".into(), Some(id(&op))), ("updated".into(), Some(id(&op))), ("created".into(), Some(id(r))),
                       ("created".into(), Some(id(&pending))), ("updated".into(), Some(id(&pending)))]);
}

#[tokio::test]
async fn operations_filter_by_type_dates_status_references_and_text() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    for (kind, amount, date, method, status, client) in [
        ("payment", 100, "2025-12-29", "Готівка", "completed", "Оксана"),
        ("refund", 20, "2025-12-30", "Картка", "completed", "Оксана"),
        ("payment", 300, "2026-01-04", "Картка", "pending", "Богдан"),
        ("withdrawal", 50, "2026-01-05", "Готівка", "completed", ""),
    ] {
        app.created(&admin, OPS, json!({"type": kind, "amount": amount, "date": date, "paymentMethod": method, "status": status, "client": client})).await;
    }
    let amounts = |res: Res| -> Vec<f64> { res.body.as_array().unwrap().iter().map(|o| o["amount"].as_f64().unwrap()).collect() };
    let q = |query: &str| {
        let path = format!("{OPS}?{query}");
        let (app, token) = (&app, admin.access.clone());
        async move { app.get(&path, &token).await }
    };
    assert_eq!(amounts(q("dateFrom=2025-12-29&dateTo=2026-01-04&type=").await), [300.0, 20.0, 100.0], "newest first");
    assert_eq!(amounts(q("type=payment").await), [300.0, 100.0]);
    assert_eq!(amounts(q("type=income").await), [300.0, 100.0], "income = money in");
    assert_eq!(amounts(q("type=expense").await), [50.0, 20.0], "expense = money out");
    assert_eq!(amounts(q("status=pending").await), [300.0]);
    assert_eq!(amounts(q("paymentMethod=%D0%BA%D0%B0%D1%80%D1%82%D0%BA%D0%B0").await), [300.0, 20.0]);
    assert_eq!(amounts(q("search=%D0%BE%D0%BA%D1%81").await), [20.0, 100.0]);
    assert_eq!(amounts(q("limit=1&offset=1").await), [300.0]);
    q("dateFrom=2026-01-05&dateTo=2026-01-01").await.assert_error(422, "validation_error");
    q("type=gift").await.assert_error(422, "validation_error");
}

async fn complete_a_visit(app: &TestApp, admin: &Session, price: f64) -> (i64, Res) {
    let res = app.post("/api/v1/appointments", Some(&admin.access), json!({
        "clientName": "Марія Петренко", "clientPhone": "+380 (67) 123-45-67", "service": "Стрижка", "date": "2031-06-02",
        "startTime": "10:00", "endTime": "11:00", "status": "scheduled", "type": "standard", "notes": "", "price": price
    })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let appointment = id(&res.body);
    let done = app.put(&format!("/api/v1/appointments/{appointment}"), &admin.access, json!({"status": "completed", "notes": "Дякуємо"})).await;
    (appointment, done)
}

#[tokio::test]
async fn completing_a_visit_records_its_payment_exactly_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let (appointment, done) = complete_a_visit(&app, &admin, 1250.5).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let again = app.put(&format!("/api/v1/appointments/{appointment}"), &admin.access, json!({"status": "completed"})).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);

    let ops = app.get(OPS, &admin.access).await.body;
    let ops = ops.as_array().unwrap();
    assert_eq!(ops.len(), 1, "{ops:?}");
    let op = &ops[0];
    assert_eq!((op["type"].as_str(), op["amount"].clone(), op["appointmentId"].as_i64()), (Some("payment"), json!(1250.5), Some(appointment)));
    assert_eq!((op["client"].as_str(), op["cashRegister"].as_str()), (Some("Марія Петренко"), Some("Основна каса")));
    assert_eq!(op["description"], "Стрижка — Марія Петренко");
    assert!(op["clientId"].is_i64());
    let register = main_register(&app, &admin).await;
    assert_eq!(register_balance(&app, &admin, register).await, json!(1250.5));

    // Called again directly (a retried completion), the domain function adds nothing.
    let mut tx = app.state.db.begin(SalonId(admin.salon_id())).await.unwrap();
    adelante::finances::record_visit_income(&mut tx, AppointmentId(appointment), None, Money(125_050), "again", UserId(admin.user_id)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.count("select count(*) from finance_operations").await, 1);

    // A free visit records nothing.
    let (_, done) = complete_a_visit(&app, &admin, 0.0).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(app.count("select count(*) from finance_operations").await, 1);
}

#[tokio::test]
async fn roles_follow_the_permission_matrix() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let receptionist = app.staff(&admin, "receptionist").await;
    let manager = app.staff(&admin, "manager").await;
    let master = app.staff(&admin, "master").await;

    assert_eq!(app.get(METHODS, &receptionist.access).await.status, StatusCode::OK, "pickers are readable");
    assert_eq!(app.get(REGISTERS, &receptionist.access).await.status, StatusCode::OK);
    app.post(METHODS, Some(&receptionist.access), json!({"name": "X", "type": "other"})).await.assert_error(403, "forbidden");
    app.post(REGISTERS, Some(&receptionist.access), json!({"name": "X"})).await.assert_error(403, "forbidden");
    app.created(&receptionist, OPS, json!({"type": "payment", "amount": 1})).await;
    app.get("/api/v1/finances/export", &receptionist.access).await.assert_error(403, "forbidden");
    assert_eq!(app.get("/api/v1/finances/dashboard", &receptionist.access).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/v1/finances/export", &manager.access).await.status, StatusCode::OK);

    app.post(METHODS, Some(&manager.access), json!({"name": "X", "type": "other"})).await.assert_error(403, "forbidden");
    app.created(&manager, REGISTERS, json!({"name": "Каса 2"})).await;

    for path in [OPS, METHODS, REGISTERS, DOCS, "/api/v1/finances/dashboard", "/api/v1/finances/export"] {
        app.get(path, &master.access).await.assert_error(403, "forbidden");
    }
    app.post(OPS, Some(&master.access), json!({"type": "payment", "amount": 1})).await.assert_error(403, "forbidden");
}

#[tokio::test]
async fn another_salon_can_neither_see_change_nor_reference_finances() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let a_register = main_register(&app, &a).await;
    let a_method = id(&app.get(METHODS, &a.access).await.body[0]);
    let a_op = app.created(&a, OPS, json!({"type": "payment", "amount": 10, "cashRegisterId": a_register})).await;
    main_register(&app, &b).await;
    let before_ops = app.count("select count(*) from finance_operations").await;
    let before_changes = app.count("select count(*) from changes").await;

    app.get(&format!("{OPS}/{}", id(&a_op)), &b.access).await.assert_error(404, "not_found");
    app.put(&format!("{OPS}/{}", id(&a_op)), &b.access, json!({"description": "x"})).await.assert_error(404, "not_found");
    app.post(&format!("{OPS}/{}/reverse", id(&a_op)), Some(&b.access), json!({})).await.assert_error(404, "not_found");
    app.put(&format!("{METHODS}/{a_method}"), &b.access, json!({"name": "x"})).await.assert_error(404, "not_found");
    app.delete(&b, &format!("{METHODS}/{a_method}")).await.assert_error(404, "not_found");
    app.put(&format!("{REGISTERS}/{a_register}"), &b.access, json!({"name": "x"})).await.assert_error(404, "not_found");
    app.delete(&b, &format!("{REGISTERS}/{a_register}")).await.assert_error(404, "not_found");
    assert!(app.get(OPS, &b.access).await.body.as_array().unwrap().is_empty());
    let b_methods = app.get(METHODS, &b.access).await.body;
    assert!(b_methods.as_array().unwrap().iter().all(|m| id(m) != a_method), "{b_methods}");

    for (field, body) in [
        ("cashRegisterId", json!({"type": "payment", "amount": 10, "cashRegisterId": a_register})),
        ("paymentMethodId", json!({"type": "payment", "amount": 10, "paymentMethodId": a_method})),
    ] {
        let res = app.post(OPS, Some(&b.access), body).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{}", res.text);
    }
    let res = app.post(METHODS, Some(&b.access), json!({"name": "X", "type": "other", "cashRegisterId": a_register})).await;
    assert!(res.body["details"]["cashRegisterId"].is_array(), "{}", res.text);
    assert_eq!(app.count("select count(*) from finance_operations").await, before_ops);
    assert_eq!(app.count("select count(*) from changes").await, before_changes);
    assert_eq!(register_balance(&app, &a, a_register).await, json!(10));
}

const DOCS: &str = "/api/v1/finances/documents";

fn numbers(res: &Res) -> Vec<String> {
    res.body.as_array().unwrap().iter().map(|d| d["number"].as_str().unwrap().to_owned()).collect()
}

async fn client_of(app: &TestApp, salon: &Session, name: &str) -> i64 {
    let mut su = app.su().await;
    sqlx::query_scalar("insert into clients (salon_id, first_name) values ($1, $2) returning id")
        .bind(salon.salon_id()).bind(name).fetch_one(&mut su).await.unwrap()
}

#[tokio::test]
async fn documents_are_numbered_per_type_and_year_and_follow_their_statuses() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    // Exactly what the form posts.
    let doc = app.created(&admin, DOCS, json!({
        "number": "INV-77", "date": "2026-01-04", "type": "invoice", "contentType": "services", "amount": 1250.5,
        "servicesCount": 2, "productsCount": 0, "counterparty": "ТОВ Краса", "comment": "За січень",
        "author": "Адміністратор", "status": "draft"
    })).await;
    assert_eq!((doc["number"].as_str(), doc["seriesNumber"].clone()), (Some("INV-77"), Value::Null));
    assert_eq!((doc["amount"].clone(), doc["servicesCount"].as_i64(), doc["status"].as_str()), (json!(1250.5), Some(2), Some("draft")));
    assert_eq!((doc["counterparty"].as_str(), doc["author"].as_str(), doc["date"].as_str()), (Some("ТОВ Краса"), Some("Адміністратор"), Some("2026-01-04")));
    assert_eq!(doc["items"], json!([]));

    let second = app.created(&admin, DOCS, json!({"type": "invoice", "date": "2026-03-01", "amount": 1})).await;
    let expense = app.created(&admin, DOCS, json!({"type": "expense", "date": "2026-03-01", "amount": 1})).await;
    let last_year = app.created(&admin, DOCS, json!({"type": "invoice", "date": "2025-12-31", "amount": 1})).await;
    assert_eq!([&second, &expense, &last_year].map(|d| d["number"].as_str().unwrap().to_owned()),
               ["РН-2026-000001", "ВКО-2026-000001", "РН-2025-000001"]);

    // Lines make the totals; an amount that disagrees is refused, not overwritten.
    let cut = app.service(&admin, "Стрижка", 60, 450.0).await;
    let with_items = app.created(&admin, DOCS, json!({"type": "act", "items": [
        {"type": "service", "name": "Стрижка", "serviceId": cut, "quantity": 2, "price": 450.5, "discount": 0.5},
        {"type": "product", "name": "Шампунь", "quantity": 0.5, "price": 199.99}
    ]})).await;
    assert_eq!((with_items["amount"].clone(), with_items["contentType"].as_str()), (json!(1000.5), Some("mixed")));
    assert_eq!((with_items["servicesCount"].as_i64(), with_items["productsCount"].as_i64()), (Some(1), Some(1)));
    assert_eq!(with_items["items"][1]["total"], json!(100), "199.99 × 0.5 = 99.995 → 100.00");
    let one = app.get(&format!("{DOCS}/{}", id(&with_items)), &admin.access).await;
    assert_eq!(one.body["items"][0]["total"], json!(900.5));
    let res = app.post(DOCS, Some(&admin.access), json!({"items": [{"name": "X", "price": 10}], "amount": 11})).await;
    assert!(res.body["details"]["amount"].is_array(), "{}", res.text);
    let res = app.post(DOCS, Some(&admin.access), json!({"amount": -1, "type": "bill", "status": "cancelled"})).await;
    res.assert_error(422, "validation_error");
    let res = app.post(DOCS, Some(&admin.access), json!({"amount": -1, "status": "cancelled"})).await;
    assert!(res.body["details"]["amount"].is_array() && res.body["details"]["status"].is_array(), "{}", res.text);

    // draft → issued → paid; paid and cancelled are final.
    let status = |d: &Value, s: &str| {
        let (path, token, body) = (format!("{DOCS}/{}/status", id(d)), admin.access.clone(), json!({"status": s}));
        let app = &app;
        async move { app.request(Method::PATCH, &path, Some(&token), Some(body)).await }
    };
    assert_eq!(status(&doc, "issued").await.body["status"], "issued");
    assert_eq!(status(&doc, "paid").await.body["status"], "paid");
    status(&doc, "cancelled").await.assert_error(409, "invalid_transition");
    assert_eq!(status(&second, "cancelled").await.body["status"], "cancelled");
    status(&second, "issued").await.assert_error(409, "invalid_transition");
    status(&expense, "void").await.assert_error(422, "validation_error");

    let q = |query: &str| {
        let path = format!("{DOCS}?{query}");
        let (app, token) = (&app, admin.access.clone());
        async move { app.get(&path, &token).await }
    };
    let all = q("dateFrom=2026-01-01&dateTo=2026-12-31&type=").await;
    assert_eq!(all.headers["x-total-count"], "4");
    assert_eq!(numbers(&q("type=invoice&dateFrom=2026-01-01").await), ["РН-2026-000001", "INV-77"]);
    assert_eq!(numbers(&q("status=paid").await), ["INV-77"]);
    assert_eq!(numbers(&q("search=inv-7").await), ["INV-77"]);
    assert_eq!(numbers(&q("type=invoice&limit=1&page=2").await).len(), 1);
}

#[tokio::test]
async fn concurrent_creations_get_consecutive_numbers_and_a_rollback_leaves_no_gap() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let other = app.new_salon("Beta").await;
    let foreign_service = app.service(&other, "Чужа послуга", 60, 450.0).await;

    let results = futures::future::join_all((0..20).map(|i| {
        app.post(DOCS, Some(&admin.access), json!({"type": "invoice", "date": "2026-05-01", "amount": i}))
    }))
    .await;
    assert!(results.iter().all(|r| r.status == StatusCode::CREATED), "{:?}", results.iter().map(|r| &r.text).collect::<Vec<_>>());
    let mut got: Vec<String> = results.iter().map(|r| r.body["number"].as_str().unwrap().to_owned()).collect();
    got.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("РН-2026-{n:06}")).collect();
    assert_eq!(got, expected, "no gaps, no duplicates");

    // Number 21 is taken, then the insert fails on a service of another salon: all rolls back.
    let res = app.post(DOCS, Some(&admin.access), json!({"type": "invoice", "date": "2026-05-01",
        "items": [{"name": "Чужа", "serviceId": foreign_service, "price": 10}]})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["items"].is_array(), "{}", res.text);
    let next = app.created(&admin, DOCS, json!({"type": "invoice", "date": "2026-05-01", "amount": 1})).await;
    assert_eq!(next["number"], "РН-2026-000021");
    assert_eq!(app.count("select count(*) from finance_document_items").await, 0);
}

#[tokio::test]
async fn the_typed_number_is_the_documents_number_and_is_searched() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let other = app.new_salon("Beta").await;
    let doc = app.created(&admin, DOCS, json!({"number": " Рахунок 15/03 ", "type": "invoice", "amount": 10})).await;
    assert_eq!((doc["number"].as_str(), doc["seriesNumber"].clone()), (Some("Рахунок 15/03"), Value::Null));
    let one = app.get(&format!("{DOCS}/{}", id(&doc)), &admin.access).await;
    assert_eq!(one.body["number"], "Рахунок 15/03");
    assert!(one.body.get("externalNumber").is_none(), "{}", one.text);
    // The number is unique per salon and type only.
    assert_eq!(app.created(&admin, DOCS, json!({"number": "Рахунок 15/03", "type": "act", "amount": 1})).await["number"], "Рахунок 15/03");
    assert_eq!(app.created(&other, DOCS, json!({"number": "Рахунок 15/03", "type": "invoice", "amount": 1})).await["number"], "Рахунок 15/03");
    // A typed number takes nothing from the series.
    let auto = app.created(&admin, DOCS, json!({"type": "invoice", "amount": 1})).await;
    assert_eq!(auto["number"], format!("РН-{}-000001", chrono::Utc::now().format("%Y")));

    let search = |q: &str| {
        let path = format!("{DOCS}?search={q}");
        let (app, token) = (&app, admin.access.clone());
        async move { numbers(&app.get(&path, &token).await) }
    };
    assert_eq!(search("15%2F03").await, ["Рахунок 15/03", "Рахунок 15/03"]);
    assert_eq!(search("15%2F03&type=invoice").await, ["Рахунок 15/03"]);
    assert_eq!(search("%D0%A0%D0%9D-").await, [auto["number"].as_str().unwrap()], "the series number is searched too");
    assert!(search("15%2F04").await.is_empty());
    let paged = app.get(&format!("{DOCS}?search=15%2F03&limit=1&page=2"), &admin.access).await;
    assert_eq!((numbers(&paged).len(), paged.headers["x-total-count"].to_str().unwrap()), (1, "2"));
}

#[tokio::test]
async fn a_taken_number_is_409_naming_the_document_that_holds_it() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let holder = app.created(&admin, DOCS, json!({"number": "INV-77", "type": "invoice", "date": "2026-01-04", "amount": 10})).await;
    let before = (app.count("select count(*) from finance_documents").await, app.count("select count(*) from changes").await);
    for number in ["INV-77", "  INV-77\t"] {
        let res = app.post(DOCS, Some(&admin.access), json!({"number": number, "type": "invoice", "amount": 20})).await;
        res.assert_error(409, "number_taken");
        assert_eq!(res.body["conflict"], json!({"id": id(&holder), "number": "INV-77", "date": "2026-01-04"}));
        assert!(res.body["message"].as_str().unwrap().contains("INV-77"), "{}", res.text);
    }
    assert_eq!((app.count("select count(*) from finance_documents").await, app.count("select count(*) from changes").await), before);

    // Concurrent creations with one number: the unique index lets exactly one through.
    let results = futures::future::join_all((0..8).map(|i| {
        app.post(DOCS, Some(&admin.access), json!({"number": "RACE-1", "type": "act", "amount": i}))
    }))
    .await;
    let winners: Vec<&Res> = results.iter().filter(|r| r.status == StatusCode::CREATED).collect();
    assert_eq!(winners.len(), 1, "{:?}", results.iter().map(|r| &r.text).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.status != StatusCode::CREATED) {
        r.assert_error(409, "number_taken");
        assert_eq!(r.body["conflict"]["id"], winners[0].body["id"]);
    }
    assert_eq!(app.count("select count(*) from finance_documents where number = 'RACE-1'").await, 1);
}

#[tokio::test]
async fn an_empty_number_takes_the_next_of_the_series() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let mut got = Vec::new();
    for body in [json!({"amount": 1}), json!({"number": "", "amount": 1}), json!({"number": "   ", "amount": 1}), json!({"number": null, "amount": 1})] {
        let mut body = body;
        body["date"] = json!("2026-02-01");
        let doc = app.created(&admin, DOCS, body).await;
        assert_eq!(doc["number"], doc["seriesNumber"], "{doc}");
        got.push(doc["number"].as_str().unwrap().to_owned());
    }
    assert_eq!(got, ["РН-2026-000001", "РН-2026-000002", "РН-2026-000003", "РН-2026-000004"]);
    // A series number already typed for a document of the type is in use: the series goes on past it.
    let typed = app.created(&admin, DOCS, json!({"number": "РН-2026-000005", "date": "2026-02-01", "amount": 1})).await;
    assert_eq!(typed["seriesNumber"], Value::Null);
    let next = app.created(&admin, DOCS, json!({"date": "2026-02-01", "amount": 1})).await;
    assert_eq!((next["number"].as_str(), next["seriesNumber"].as_str()), (Some("РН-2026-000006"), Some("РН-2026-000006")));
    app.post(DOCS, Some(&admin.access), json!({"number": "РН-2026-000006", "amount": 1})).await.assert_error(409, "number_taken");
}

/// Migration 0009 on rows written the old way: a database migrated up to 0008, documents
/// inserted as the old code stored them (series number in `number`, the typed value in
/// `external_number`), then the remaining migrations.
#[tokio::test]
async fn migration_0009_makes_typed_numbers_the_documents_numbers_again() {
    use secrecy::ExposeSecret;
    use sqlx::{Connection, Executor, PgConnection, migrate::Migrator};

    let db = format!("adelante_legacy_documents_{}", std::process::id());
    let config = common::test_config(&db, &std::env::temp_dir(), &[]);
    let mut su = PgConnection::connect(&common::superuser_url("postgres")).await.unwrap();
    su.execute(sqlx::AssertSqlSafe(format!("drop database if exists {db} with (force)"))).await.unwrap();
    adelante::tenancy::setup::bootstrap(&config).await.unwrap();
    let owner_url = config.database_owner_url.expose_secret().to_owned();
    let mut before = Migrator::new(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))).await.unwrap();
    before.migrations = before.migrations.iter().filter(|m| m.version < 9).cloned().collect::<Vec<_>>().into();
    before.run(&mut PgConnection::connect(&owner_url).await.unwrap()).await.unwrap();

    let mut old = PgConnection::connect(&common::superuser_url(&db)).await.unwrap();
    let salon = |slug: &'static str| sqlx::query_scalar::<_, i64>("insert into salons (slug, name) values ($1, $1) returning id").bind(slug);
    let (a, b) = (salon("alpha").fetch_one(&mut old).await.unwrap(), salon("beta").fetch_one(&mut old).await.unwrap());
    let rows: [(i64, &str, &str, &str); 8] = [
        (a, "invoice", "РН-2026-000001", ""),
        (a, "invoice", "РН-2026-000002", "INV-77"),
        (a, "invoice", "РН-2026-000003", "INV-77"),
        (a, "act", "АКТ-2026-000001", "INV-77"),
        (a, "invoice", "РН-2026-000004", "РН-2026-000001"),
        (a, "invoice", "РН-2026-000005", "ФН-5"),
        (a, "invoice", "РН-2026-000006", "РН-2026-000006"),
        (b, "invoice", "РН-2026-000001", "INV-77"),
    ];
    let mut ids = Vec::new();
    for (salon, kind, number, external) in rows {
        ids.push(sqlx::query_scalar::<_, i64>(
            "insert into finance_documents (salon_id, number, external_number, type, date, amount_minor)
             values ($1, $2, $3, $4, '2026-03-01', 100) returning id",
        )
        .bind(salon).bind(number).bind(external).bind(kind)
        .fetch_one(&mut old).await.unwrap());
    }

    adelante::tenancy::setup::migrate(&owner_url).await.unwrap();
    let mut got = Vec::new();
    for id in &ids {
        got.push(sqlx::query_as::<_, (String, Option<String>)>("select number, series_number from finance_documents where id = $1")
            .bind(id).fetch_one(&mut old).await.unwrap());
    }
    let want = [
        ("РН-2026-000001", "РН-2026-000001"),
        ("INV-77", "РН-2026-000002"),
        ("INV-77 (РН-2026-000003)", "РН-2026-000003"),
        ("INV-77", "АКТ-2026-000001"),
        ("РН-2026-000001 (РН-2026-000004)", "РН-2026-000004"),
        ("ФН-5", "РН-2026-000005"),
        ("РН-2026-000006", "РН-2026-000006"),
        ("INV-77", "РН-2026-000001"),
    ]
    .map(|(n, s)| (n.to_owned(), Some(s.to_owned())));
    assert_eq!(got, want);
    let gone: bool = sqlx::query_scalar(
        "select not exists (select 1 from information_schema.columns where table_name = 'finance_documents' and column_name = 'external_number')",
    )
    .fetch_one(&mut old).await.unwrap();
    assert!(gone);
    // From now on the index keeps numbers unique per salon and type.
    let dup = sqlx::query("insert into finance_documents (salon_id, number, type, date, amount_minor) values ($1, 'ФН-5', 'invoice', '2026-03-02', 1)")
        .bind(a).execute(&mut old).await.unwrap_err();
    assert_eq!(dup.as_database_error().and_then(|e| e.constraint()), Some("finance_documents_number_key"));
    old.close().await.unwrap();
    su.execute(sqlx::AssertSqlSafe(format!("drop database {db} with (force)"))).await.unwrap();
}

#[tokio::test]
async fn another_salon_cannot_read_change_or_reference_documents() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let a_client = client_of(&app, &a, "Оксана").await;
    let doc = app.created(&a, DOCS, json!({"type": "invoice", "amount": 5, "clientId": a_client})).await;
    assert_eq!(doc["counterparty"], "Оксана", "the client's name fills an empty counterparty");
    let before_docs = app.count("select count(*) from finance_documents").await;
    let before_counters = app.count("select coalesce(sum(last), 0)::bigint from document_counters").await;

    app.get(&format!("{DOCS}/{}", id(&doc)), &b.access).await.assert_error(404, "not_found");
    app.request(Method::PATCH, &format!("{DOCS}/{}/status", id(&doc)), Some(&b.access), Some(json!({"status": "issued"})))
        .await
        .assert_error(404, "not_found");
    assert!(app.get(DOCS, &b.access).await.body.as_array().unwrap().is_empty());
    let res = app.post(DOCS, Some(&b.access), json!({"type": "invoice", "amount": 5, "clientId": a_client})).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["clientId"].is_array());
    assert_eq!(app.count("select count(*) from finance_documents").await, before_docs);
    assert_eq!(app.count("select coalesce(sum(last), 0)::bigint from document_counters").await, before_counters);
    assert_eq!(app.get(&format!("{DOCS}/{}", id(&doc)), &a.access).await.body["status"], "draft");
}

async fn january(app: &TestApp, admin: &Session) {
    for body in [
        json!({"type": "payment", "amount": 1000, "date": "2026-01-10", "paymentMethod": "Готівка"}),
        // 23:30 in Kyiv on 31 January belongs to 31 January; 00:30 on 1 February to February.
        json!({"type": "payment", "amount": 200.25, "date": "2026-01-31T21:30:00Z"}),
        json!({"type": "payment", "amount": 77.77, "date": "2026-01-31T22:30:00Z"}),
        json!({"type": "refund", "amount": 100, "date": "2026-01-15"}),
        json!({"type": "expense", "amount": 300.5, "date": "2026-01-20", "category": "Оренда"}),
        json!({"type": "expense", "amount": 49.5, "date": "2026-01-21"}),
        json!({"type": "deposit", "amount": 5000, "date": "2026-01-02"}),
        json!({"type": "withdrawal", "amount": 100, "date": "2026-01-03"}),
        json!({"type": "payment", "amount": 999, "date": "2026-01-04", "status": "pending"}),
        json!({"type": "payment", "amount": 999, "date": "2026-01-04", "status": "cancelled"}),
    ] {
        app.created(admin, OPS, body).await;
    }
    app.created(admin, "/api/v1/finances/receipts", json!({"date": "2026-01-12", "paymentMethod": "Картка", "items": [
        {"type": "service", "name": "Стрижка", "quantity": 2, "price": 450},
        {"type": "product", "name": "Лак", "price": 100}
    ]})).await;
}

#[tokio::test]
async fn the_dashboard_sums_a_period_by_salon_local_date() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    january(&app, &admin).await;

    let res = app.get("/api/v1/finances/dashboard?dateFrom=2026-01-01&dateTo=2026-01-31", &admin.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let d = &res.body;
    assert_eq!((d["totalRevenue"].clone(), d["totalExpenses"].clone(), d["netIncome"].clone()), (json!(2100.25), json!(350), json!(1750.25)));
    let days = d["revenueByDay"].as_array().unwrap();
    assert_eq!(days.len(), 31, "every day of the period");
    let by_day = |date: &str| days.iter().find(|x| x["date"] == date).unwrap()["amount"].clone();
    assert_eq!([by_day("2026-01-10"), by_day("2026-01-12"), by_day("2026-01-15"), by_day("2026-01-31"), by_day("2026-01-02")],
               [json!(1000), json!(1000), json!(-100), json!(200.25), json!(0)]);
    let summed: i64 = days.iter().map(|x| serde_json::from_value::<Money>(x["amount"].clone()).unwrap().minor()).sum();
    assert_eq!(summed, 210_025, "the days add up to the total, to the kopiyka");
    assert_eq!(d["expensesByCategory"], json!([{"category": "Оренда", "amount": 300.5}, {"category": "Без категорії", "amount": 49.5}]));
    assert_eq!(d["topServices"], json!([{"name": "Стрижка", "revenue": 900, "count": 2}]));

    let feb = app.get("/api/v1/finances/dashboard?dateFrom=2026-02-01&dateTo=2026-02-01", &admin.access).await;
    assert_eq!((feb.body["totalRevenue"].clone(), feb.body["revenueByDay"].clone()), (json!(77.77), json!([{"date": "2026-02-01", "amount": 77.77}])));

    // The default period is this month: a visit completed today is there, by its service.
    let (_, done) = complete_a_visit(&app, &admin, 450.5).await;
    assert_eq!(done.status, StatusCode::OK);
    let now = app.get("/api/v1/finances/dashboard", &admin.access).await;
    assert_eq!((now.body["totalRevenue"].clone(), now.body["topServices"][0]["name"].as_str()), (json!(450.5), Some("Стрижка")));
    let first = now.body["revenueByDay"][0]["date"].as_str().unwrap().to_owned();
    assert!(first.ends_with("-01"), "{first}");

    app.get("/api/v1/finances/dashboard?dateFrom=2026-02-01&dateTo=2026-01-01", &admin.access).await.assert_error(422, "validation_error");
    app.get("/api/v1/finances/dashboard?dateFrom=2024-01-01&dateTo=2026-01-01", &admin.access).await.assert_error(422, "validation_error");
    app.get("/api/v1/finances/dashboard?dateFrom=yesterday", &admin.access).await.assert_error(422, "validation_error");
    let b = app.new_salon("Beta").await;
    let other = app.get("/api/v1/finances/dashboard?dateFrom=2026-01-01&dateTo=2026-01-31", &b.access).await;
    assert_eq!((other.body["totalRevenue"].clone(), other.body["topServices"].clone()), (json!(0), json!([])), "another salon sees nothing");
}

async fn download(app: &TestApp, who: &Session, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(app.url(path)).bearer_auth(&who.access).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_period_exports_as_a_workbook_or_a_pdf() {
    use calamine::{Data, Reader, Xlsx};

    let app = TestApp::spawn().await;
    let admin = app.new_salon("Салон «Весна»").await;
    january(&app, &admin).await;
    let (status, headers, bytes) = download(&app, &admin, "/api/v1/finances/export?dateFrom=2026-01-01&dateTo=2026-01-31").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"finances-2026-01-01-2026-01-31.xlsx\"");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let ops = book.worksheet_range("Операції").unwrap();
    let rows: Vec<&[Data]> = ops.rows().collect();
    assert_eq!(rows[0][0], Data::String("Дата".into()));
    assert_eq!(rows[0][4], Data::String("Сума, ₴".into()));
    assert_eq!(rows.len(), 1 + 10, "nine January operations and the receipt's payment; February's excluded");
    let first = rows[1];
    let serial = (chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap() - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days();
    match &first[0] {
        Data::DateTime(d) => assert_eq!(d.as_f64(), serial as f64, "a real date"),
        other => panic!("date cell is {other:?}"),
    }
    assert_eq!((first[2].clone(), first[4].clone()), (Data::String("Внесення".into()), Data::Float(5000.0)));
    let completed_cents: i64 = rows[1..].iter()
        .filter(|r| r[11] == Data::String("Проведено".into()))
        .map(|r| match r[4] { Data::Float(f) => (f * 100.0).round() as i64, ref other => panic!("amount is {other:?}") })
        .sum();
    assert_eq!(completed_cents, 210_025 - 35_000 + 500_000 - 10_000, "signed amounts add up to the kopiyka");
    let summary = book.worksheet_range("Підсумки").unwrap();
    assert_eq!(summary.get_value((3, 1)), Some(&Data::Float(2100.25)));
    assert_eq!(summary.get_value((5, 1)), Some(&Data::Float(1750.25)));

    let (status, headers, bytes) = download(&app, &admin, "/api/v1/finances/export?dateFrom=2026-01-01&dateTo=2026-01-31&format=pdf").await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (StatusCode::OK, "application/pdf"));
    let dir = std::env::temp_dir().join(format!("export-{}", common::rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("r.pdf"), &bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(dir.join("r.pdf")).arg("-").output().expect("pdftotext is installed");
    let text = String::from_utf8(out.stdout).unwrap();
    let _ = std::fs::remove_dir_all(dir);
    for expected in ["Салон «Весна»", "01.01.2026 – 31.01.2026", "Доходи", "2 100,25 ₴", "1 750,25 ₴", "Оренда", "Стрижка (2)", "Внесення"] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    app.get("/api/v1/finances/export?format=doc", &admin.access).await.assert_error(422, "validation_error");

    // Another salon's export of the same period is empty.
    let b = app.new_salon("Beta").await;
    let (_, _, bytes) = download(&app, &b, "/api/v1/finances/export?dateFrom=2026-01-01&dateTo=2026-01-31").await;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.worksheet_range("Операції").unwrap().rows().count(), 1, "headers only");
}

#[tokio::test]
async fn openapi_describes_every_finance_route() {
    let app = TestApp::spawn().await;
    let doc = app.client.get(app.url("/openapi.json")).send().await.unwrap().json::<Value>().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/api/v1/finances/payment-methods", &["get", "post"][..]),
        ("/api/v1/finances/payment-methods/{id}", &["put", "delete"][..]),
        ("/api/v1/finances/cash-registers", &["get", "post"][..]),
        ("/api/v1/finances/cash-registers/{id}", &["put", "delete"][..]),
        ("/api/v1/finances/operations", &["get", "post"][..]),
        ("/api/v1/finances/operations/{id}", &["get", "put"][..]),
        ("/api/v1/finances/operations/{id}/reverse", &["post"][..]),
        ("/api/v1/finances/documents", &["get", "post"][..]),
        ("/api/v1/finances/documents/{id}", &["get"][..]),
        ("/api/v1/finances/documents/{id}/status", &["patch"][..]),
        ("/api/v1/finances/receipts", &["get", "post"][..]),
        ("/api/v1/finances/receipts/{id}", &["get"][..]),
        ("/api/v1/finances/receipts/{id}/pdf", &["get"][..]),
        ("/api/v1/finances/dashboard", &["get"][..]),
        ("/api/v1/finances/export", &["get"][..]),
    ] {
        for method in methods {
            let op = paths.get(path).and_then(|p| p.get(*method));
            assert!(op.is_some_and(|o| o["security"].is_array()), "{method} {path} missing or unsecured in OpenAPI");
        }
    }
}
