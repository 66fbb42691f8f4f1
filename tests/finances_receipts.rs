//! Receipts through the API: a sale with lines, partial payment, visits paid before or after
//! completion, cancellation by reversal, balances after concurrent receipts, the PDF read back
//! with pdftotext, permissions and tenancy.

mod common;

use common::{Res, Session, TestApp, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const RECEIPTS: &str = "/api/v1/finances/receipts";
const OPS: &str = "/api/v1/finances/operations";

fn sale() -> Value {
    json!({"paymentMethod": "Картка", "client": "Марія Петренко", "source": "pos", "items": [
        {"type": "service", "name": "Фарбування волосся", "quantity": 1, "price": 950.5},
        {"type": "product", "name": "Шампунь відновлювальний", "quantity": 2, "price": 175, "discount": 50}
    ]})
}

async fn visit(app: &TestApp, admin: &Session, price: f64, start: &str) -> i64 {
    let end = format!("{}:30", &start[..2]);
    let res = app.post("/api/v1/appointments", Some(&admin.access), json!({
        "clientName": "Оксана Коваль", "clientPhone": "+380501234567", "service": "Манікюр", "date": "2031-06-02",
        "startTime": start, "endTime": end, "status": "scheduled", "type": "standard", "price": price
    })).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    id(&res.body)
}

async fn complete(app: &TestApp, admin: &Session, appointment: i64) {
    let res = app.put(&format!("/api/v1/appointments/{appointment}"), &admin.access, json!({"status": "completed"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn a_sale_records_its_document_payment_and_balance() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let r = app.created(&admin, RECEIPTS, sale()).await;
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(r["receiptNumber"], format!("ЧК-{year}-000001"));
    assert_eq!(r["documentNumber"], r["receiptNumber"]);
    assert_eq!((r["amount"].clone(), r["total"].clone(), r["balanceAfter"].clone()), (json!(1250.5), json!(1250.5), json!(1250.5)));
    assert_eq!((r["status"].as_str(), r["source"].as_str(), r["paymentMethod"].as_str()), (Some("paid"), Some("pos"), Some("Картка")));
    assert_eq!((r["cashRegister"].as_str(), r["client"].as_str(), r["author"].as_str()), (Some("Основна каса"), Some("Марія Петренко"), Some("Олена Адмін")));
    assert_eq!(r["items"][1]["total"], json!(300));
    assert_eq!(r["items"].as_array().unwrap().len(), 2);

    let op = app.get(&format!("{OPS}/{}", r["operationId"]), &admin.access).await.body;
    assert_eq!((op["type"].as_str(), op["amount"].clone(), op["documentNumber"].clone()), (Some("payment"), json!(1250.5), r["receiptNumber"].clone()));
    let docs = app.get("/api/v1/finances/documents?type=receipt", &admin.access).await.body;
    assert_eq!(docs.as_array().unwrap().len(), 1);
    assert_eq!((docs[0]["status"].as_str(), docs[0]["contentType"].as_str(), docs[0]["receiptId"].as_i64()), (Some("paid"), Some("mixed"), Some(id(&r))));

    let second = app.created(&admin, RECEIPTS, json!({"amount": 100, "paymentMethod": "Готівка", "documentNumber": "ФН-1"})).await;
    assert_eq!((second["balanceAfter"].clone(), second["total"].clone()), (json!(1350.5), json!(100)));
    assert_eq!(second["documentNumber"], "ФН-1");
    assert_eq!(second["receiptNumber"], format!("ЧК-{year}-000002"));
    let doc = app.get(&format!("/api/v1/finances/documents/{}", second["documentId"]), &admin.access).await.body;
    assert_eq!((doc["number"].as_str(), doc["seriesNumber"].clone()), (Some("ФН-1"), second["receiptNumber"].clone()));
    // A typed number is unique among the salon's receipts; the refused one writes nothing.
    let dup = app.post(RECEIPTS, Some(&admin.access), json!({"amount": 5, "paymentMethod": "Готівка", "documentNumber": "ФН-1"})).await;
    dup.assert_error(409, "number_taken");
    assert_eq!(dup.body["conflict"]["id"], second["documentId"]);
    assert_eq!(app.get(&format!("{RECEIPTS}/{}", id(&r)), &admin.access).await.body["items"][0]["name"], "Фарбування волосся");
    let list = app.get(&format!("{RECEIPTS}?status=paid&cashRegister=%D0%9E%D1%81%D0%BD%D0%BE%D0%B2%D0%BD%D0%B0+%D0%BA%D0%B0%D1%81%D0%B0"), &admin.access).await;
    assert_eq!(list.headers["x-total-count"], "2");
    assert_eq!(list.body[0]["id"].as_i64(), Some(id(&second)), "newest first");
    assert_eq!(list.body[1]["items"].as_array().unwrap().len(), 2, "lines come with the list");
}

#[tokio::test]
async fn partial_payments_and_bad_receipts() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let mut body = sale();
    body["amount"] = json!(1000);
    let r = app.created(&admin, RECEIPTS, body).await;
    assert_eq!((r["status"].as_str(), r["amount"].clone(), r["total"].clone()), (Some("partial"), json!(1000), json!(1250.5)));
    let doc = app.get(&format!("/api/v1/finances/documents/{}", r["documentId"]), &admin.access).await.body;
    assert_eq!((doc["status"].as_str(), doc["amount"].clone()), (Some("issued"), json!(1250.5)));

    for (patch, field) in [
        (json!({"amount": 1300}), "amount"),
        (json!({"amount": 1000, "status": "paid"}), "status"),
        (json!({"status": "cancelled"}), "status"),
        (json!({"amount": -1}), "amount"),
        (json!({"amount": 1.005}), "amount"),
        (json!({"source": "fax"}), "source"),
        (json!({"paymentMethodId": 424242}), "paymentMethodId"),
        (json!({"appointmentId": 424242}), "appointmentId"),
    ] {
        let mut body = sale();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.post(RECEIPTS, Some(&admin.access), body).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{patch} → {}", res.text);
    }
    let res = app.post(RECEIPTS, Some(&admin.access), json!({"items": [{"name": "", "price": "abc"}]})).await;
    res.assert_error(422, "validation_error");
    let res = app.post(RECEIPTS, Some(&admin.access), json!({"items": [{"name": "", "price": -2, "quantity": 1.5}]})).await;
    for field in ["items[0].name", "items[0].price", "items[0].quantity"] {
        assert!(res.body["details"][field].is_array(), "{field}: {}", res.text);
    }
    app.post(RECEIPTS, Some(&admin.access), json!({})).await.assert_error(422, "validation_error");
    assert_eq!(app.count("select count(*) from finance_receipts").await, 1);
    assert_eq!(app.count("select last from document_counters where doc_type = 'receipt'").await, 1, "refused receipts leave no gap");
}

#[tokio::test]
async fn a_visit_is_paid_once_whether_the_receipt_comes_before_or_after_completion() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;

    // Completed first: the receipt documents the recorded payment and names its method.
    let first = visit(&app, &admin, 450.5, "10:00").await;
    complete(&app, &admin, first).await;
    let res = app.post(RECEIPTS, Some(&admin.access), json!({"appointmentId": first, "amount": 400, "paymentMethod": "Картка"})).await;
    assert!(res.body["details"]["amount"].is_array(), "the visit's payment is 450.5: {}", res.text);
    let r = app.created(&admin, RECEIPTS, json!({"appointmentId": first, "paymentMethod": "Картка",
        "items": [{"name": "Манікюр", "price": 450.5}]})).await;
    assert_eq!((r["appointmentId"].as_i64(), r["paymentMethod"].as_str(), r["balanceAfter"].clone()), (Some(first), Some("Картка"), json!(450.5)));
    assert_eq!(app.count("select count(*) from finance_operations").await, 1);
    app.post(RECEIPTS, Some(&admin.access), json!({"appointmentId": first, "amount": 450.5})).await.assert_error(409, "receipt_exists");

    // Receipt first: completing the visit afterwards records nothing more.
    let second = visit(&app, &admin, 300.0, "12:00").await;
    let r2 = app.created(&admin, RECEIPTS, json!({"appointmentId": second, "amount": 300, "paymentMethod": "Готівка"})).await;
    complete(&app, &admin, second).await;
    let ops = app.get(OPS, &admin.access).await.body;
    assert_eq!(ops.as_array().unwrap().len(), 2, "{ops}");
    assert_eq!(r2["balanceAfter"], json!(750.5));

    // Reversing a receipt's payment cancels the receipt and its document.
    let res = app.post(&format!("{OPS}/{}/reverse", r2["operationId"]), Some(&admin.access), json!({})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let after = app.get(&format!("{RECEIPTS}/{}", id(&r2)), &admin.access).await.body;
    assert_eq!(after["status"], "cancelled");
    let doc = app.get(&format!("/api/v1/finances/documents/{}", r2["documentId"]), &admin.access).await.body;
    assert_eq!(doc["status"], "cancelled");
    app.request(Method::PATCH, &format!("/api/v1/finances/documents/{}/status", r["documentId"]), Some(&admin.access),
                Some(json!({"status": "cancelled"}))).await.assert_error(409, "receipt_document");
    let registers = app.get("/api/v1/finances/cash-registers", &admin.access).await.body;
    assert_eq!(registers[0]["balance"], json!(450.5));
}

#[tokio::test]
async fn concurrent_receipts_get_consecutive_numbers_and_running_balances() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    app.get("/api/v1/finances/cash-registers", &admin.access).await;
    let results = futures::future::join_all((0..10).map(|_| {
        app.post(RECEIPTS, Some(&admin.access), json!({"amount": 100.1, "paymentMethod": "Готівка"}))
    }))
    .await;
    assert!(results.iter().all(|r| r.status == StatusCode::CREATED), "{:?}", results.iter().map(|r| &r.text).collect::<Vec<_>>());
    let mut balances: Vec<i64> = results.iter().map(|r| (r.body["balanceAfter"].as_f64().unwrap() * 100.0).round() as i64).collect();
    balances.sort();
    assert_eq!(balances, (1..=10).map(|n| n * 10_010).collect::<Vec<_>>(), "each receipt sees every earlier one");
    let mut numbers: Vec<String> = results.iter().map(|r| r.body["receiptNumber"].as_str().unwrap().to_owned()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 10);
    assert!(numbers.last().unwrap().ends_with("-000010"));
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("receipt-{}", common::rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("receipt.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg("-enc").arg("UTF-8").arg(&pdf).arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
    String::from_utf8(out.stdout).unwrap()
}

async fn download(app: &TestApp, who: &Session, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(app.url(path)).bearer_auth(&who.access).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn the_receipt_pdf_reads_back_in_ukrainian() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Салон краси «Весна»").await;
    let r = app.created(&admin, RECEIPTS, sale()).await;
    let (status, headers, bytes) = download(&app, &admin, &format!("{RECEIPTS}/{}/pdf", id(&r))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_text(&bytes);
    for expected in ["Салон краси «Весна»", "Фарбування волосся", "Шампунь відновлювальний", "Разом: 1 250,50 ₴",
                     "Спосіб оплати: Картка", "Клієнт: Марія Петренко", "Знижка", r["receiptNumber"].as_str().unwrap()] {
        assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
    }
    assert!(text.contains(&format!("http://localhost:3000/receipts/{}", id(&r))), "{text}");
}

#[tokio::test]
async fn receipts_are_private_to_their_salon_and_their_permission() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    let r = app.created(&a, RECEIPTS, sale()).await;
    let a_register = r["cashRegisterId"].as_i64().unwrap();
    let a_visit = visit(&app, &a, 100.0, "15:00").await;
    app.get("/api/v1/finances/cash-registers", &b.access).await;
    let before: Vec<i64> = futures::future::join_all([
        app.count("select count(*) from finance_receipts"),
        app.count("select count(*) from finance_operations"),
        app.count("select count(*) from finance_documents"),
        app.count("select coalesce(sum(last), 0)::bigint from document_counters"),
    ]).await;

    app.get(&format!("{RECEIPTS}/{}", id(&r)), &b.access).await.assert_error(404, "not_found");
    let (status, _, _) = download(&app, &b, &format!("{RECEIPTS}/{}/pdf", id(&r))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.get(RECEIPTS, &b.access).await.body.as_array().unwrap().is_empty());
    for (field, extra) in [("cashRegisterId", json!({"cashRegisterId": a_register})), ("appointmentId", json!({"appointmentId": a_visit}))] {
        let mut body = sale();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res: Res = app.post(RECEIPTS, Some(&b.access), body).await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"][field].is_array(), "{}", res.text);
    }
    let after: Vec<i64> = futures::future::join_all([
        app.count("select count(*) from finance_receipts"),
        app.count("select count(*) from finance_operations"),
        app.count("select count(*) from finance_documents"),
        app.count("select coalesce(sum(last), 0)::bigint from document_counters"),
    ]).await;
    assert_eq!(before, after, "nothing written");

    let master = app.staff(&a, "master").await;
    app.get(RECEIPTS, &master.access).await.assert_error(403, "forbidden");
    let (status, _, _) = download(&app, &master, &format!("{RECEIPTS}/{}/pdf", id(&r))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let receptionist = app.staff(&a, "receptionist").await;
    app.created(&receptionist, RECEIPTS, json!({"amount": 10})).await;
}
