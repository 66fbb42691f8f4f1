//! Inventory files: the .xlsx export (headers, number cells, column groups, filters,
//! permissions), the import (.xlsx and .csv, Ukrainian and English headers, row errors,
//! duplicates by SKU, movements "Імпорт"), the export → import round trip between salons, and
//! files refused as a whole with nothing written (not a spreadsheet, too large, zip bomb,
//! missing columns).

mod common;

use std::io::{Cursor, Write};

use calamine::{Data, Reader, Xlsx};
use common::{Res, Session, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn create(app: &TestApp, who: &Session, body: Value) -> Value {
    let res = app.post("/api/v1/inventory/products", Some(&who.access), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

async fn seed(app: &TestApp, admin: &Session) {
    create(app, admin, json!({"name": "Шампунь", "sku": "SH-1", "category": "professional", "quantity": 12.5,
                              "unit": "l", "price": 850.5, "costPrice": 420.25, "minQuantity": 2,
                              "description": "Для фарбованого"})).await;
    create(app, admin, json!({"name": "Олія", "sku": "OIL-7", "category": "hair-care", "quantity": 0.125,
                              "unit": "ml", "price": 99.99, "costPrice": 10, "minQuantity": 0.5, "type": "weight"})).await;
    create(app, admin, json!({"name": "Рукавички", "sku": "GL-1", "category": "consumables", "quantity": 0,
                              "unit": "pcs", "price": 0, "costPrice": 1.5})).await;
}

async fn download(app: &TestApp, who: &Session, query: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let res = app.client.get(app.url(&format!("/api/v1/inventory/export{query}"))).bearer_auth(&who.access)
        .send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn sheet_rows(bytes: &[u8]) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a valid .xlsx");
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn header_row(rows: &[Vec<Data>]) -> Vec<String> {
    rows[0].iter().map(|c| c.to_string()).collect()
}

/// POSTs `bytes` as the multipart part `file`.
async fn upload(app: &TestApp, who: &Session, query: &str, file_name: &str, bytes: &[u8]) -> Res {
    let boundary = "adelante-test-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    ).into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = app.client.post(app.url(&format!("/api/v1/inventory/import{query}"))).bearer_auth(&who.access)
        .header("content-type", format!("multipart/form-data; boundary={boundary}")).body(body)
        .send().await.unwrap();
    Res::from(res).await
}

async fn products_by_sku(app: &TestApp, who: &Session) -> Vec<Value> {
    let res = app.get("/api/v1/inventory/products", &who.access).await;
    let mut list = res.body.as_array().unwrap().clone();
    list.sort_by_key(|p| p["sku"].as_str().unwrap().to_owned());
    list
}

async fn product_count(app: &TestApp) -> (i64, i64) {
    let mut su = app.su().await;
    sqlx::query_as("select (select count(*) from products), (select count(*) from stock_movements)")
        .fetch_one(&mut su).await.unwrap()
}

#[tokio::test]
async fn the_export_is_an_xlsx_with_ukrainian_headers_and_number_cells() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    seed(&app, &admin).await;

    let (status, headers, bytes) = download(&app, &admin, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], XLSX);
    assert!(headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
    let rows = sheet_rows(&bytes);
    assert_eq!(header_row(&rows), ["Назва", "Артикул", "Категорія", "Тип", "Кількість", "Одиниця",
                                   "Мінімальна кількість", "Статус", "Собівартість", "Ціна", "Загальна вартість"]);
    assert_eq!(rows.len(), 4);
    let oil = rows.iter().find(|r| r[1] == Data::String("OIL-7".into())).unwrap();
    assert_eq!(oil[2], Data::String("hair-care".into()), "a custom slug is written as it is");
    assert_eq!(oil[3], Data::String("weight".into()));
    assert_eq!(oil[4], Data::Float(0.125), "quantities are number cells");
    assert_eq!((oil[5].clone(), oil[7].clone()), (Data::String("мл".into()), Data::String("Мало".into())));
    assert_eq!((oil[8].clone(), oil[9].clone()), (Data::Float(10.0), Data::Float(99.99)));
    let shampoo = rows.iter().find(|r| r[1] == Data::String("SH-1".into())).unwrap();
    assert_eq!(shampoo[2], Data::String("Професійні".into()));
    assert_eq!(shampoo[10], Data::Float(5253.13), "12.5 × 420.25 at cost, to the kopiyka");

    // Column groups and the list's filters.
    let (_, _, bytes) = download(&app, &admin,
        "?includeFinancialInfo=false&includeStockInfo=false&includeDescription=true&category=professional").await;
    let rows = sheet_rows(&bytes);
    assert_eq!(header_row(&rows), ["Назва", "Артикул", "Категорія", "Тип", "Опис"]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][4], Data::String("Для фарбованого".into()));
    let (_, _, bytes) = download(&app, &admin, "?category=all&stockStatus=out").await;
    let rows = sheet_rows(&bytes);
    assert_eq!((rows.len(), rows[1][1].clone()), (2, Data::String("GL-1".into())));

    // Cost columns need inventory.cost.view; export needs its own permission.
    let manager = app.staff(&admin, "manager").await;
    let mut su = app.su().await;
    sqlx::query("update role_permissions set permissions = permissions || '{\"inventory.cost.view\": false}' where role = 'manager'")
        .execute(&mut su).await.unwrap();
    app.touch(admin.salon_id()).await;
    let (status, _, bytes) = download(&app, &manager, "?includeBasicInfo=false&includeStockInfo=false").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_row(&sheet_rows(&bytes)), ["Ціна"]);
    let reception = app.staff(&admin, "receptionist").await;
    assert_eq!(download(&app, &reception, "").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_export_imported_into_another_salon_recreates_the_products() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("Alpha").await;
    let b = app.new_salon("Beta").await;
    seed(&app, &a).await;
    let (_, _, bytes) = download(&app, &a, "?includeDescription=true").await;

    let res = upload(&app, &b, "", "inventory.xlsx", &bytes).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body, json!({"imported": 3, "updated": 0, "skipped": 0, "failed": 0, "errors": []}));

    let (from_a, in_b) = (products_by_sku(&app, &a).await, products_by_sku(&app, &b).await);
    assert_eq!(in_b.len(), 3);
    for (x, y) in from_a.iter().zip(&in_b) {
        for key in ["name", "sku", "category", "type", "quantity", "unit", "minQuantity", "price", "costPrice",
                    "description", "isActive", "stockStatus"] {
            assert_eq!(x[key], y[key], "{key} of {}", x["sku"]);
        }
        assert_ne!(x["id"], y["id"]);
    }
    assert_eq!(in_b.iter().find(|p| p["sku"] == "OIL-7").unwrap()["quantity"], json!(0.125));

    // Initial quantities are `in` movements "Імпорт" in salon B; A is untouched.
    let mut su = app.su().await;
    let moves: Vec<(String, i64, String)> = sqlx::query_as(
        "select p.sku, m.delta_milli, m.reason from stock_movements m join products p on p.salon_id = m.salon_id
         and p.id = m.product_id where m.salon_id = $1 order by p.sku")
        .bind(b.salon_id()).fetch_all(&mut su).await.unwrap();
    assert_eq!(moves, [("OIL-7".to_owned(), 125, "Імпорт".to_owned()), ("SH-1".to_owned(), 12_500, "Імпорт".to_owned())]);
    let a_products: i64 = sqlx::query_scalar("select count(*) from products where salon_id = $1")
        .bind(a.salon_id()).fetch_one(&mut su).await.unwrap();
    assert_eq!(a_products, 3);

    // The same file again: matched by SKU and skipped by default, or updated on request.
    let res = upload(&app, &b, "", "inventory.xlsx", &bytes).await;
    assert_eq!((res.body["imported"].clone(), res.body["skipped"].clone()), (json!(0), json!(3)), "{}", res.text);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["sku", "Name", "Quantity", "Price"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "sh-1").unwrap().write_string(1, 1, "Шампунь 2").unwrap()
        .write_number(1, 2, 3.5).unwrap().write_number(1, 3, 900).unwrap();
    let res = upload(&app, &b, "?onDuplicate=update", "changes.xlsx", &book.save_to_buffer().unwrap()).await;
    assert_eq!(res.body, json!({"imported": 0, "updated": 1, "skipped": 0, "failed": 0, "errors": []}));
    let shampoo = products_by_sku(&app, &b).await.into_iter().find(|p| p["sku"] == "SH-1").unwrap();
    assert_eq!((shampoo["name"].clone(), shampoo["quantity"].clone()), (json!("Шампунь 2"), json!(3.5)));
    assert_eq!((shampoo["price"].clone(), shampoo["costPrice"].clone()), (json!(900), json!(420.25)), "absent columns kept");
    let delta: i64 = sqlx::query_scalar("select delta_milli from stock_movements where product_id = $1 and kind = 'adjustment'")
        .bind(shampoo["id"].as_i64().unwrap()).fetch_one(&mut su).await.unwrap();
    assert_eq!(delta, -9_000);
    upload(&app, &b, "?onDuplicate=merge", "changes.xlsx", b"x").await.assert_error(422, "validation_error");
}

#[tokio::test]
async fn a_csv_with_bad_rows_imports_the_good_ones_and_names_the_bad() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let csv = "\u{feff}Назва;Артикул;Кількість;Одиниця;Ціна;Категорія\n\
               Лак червоний;L-1;2,5;шт;150;Роздрібні\n\
               ;L-2;1;шт;10;\n\
               Фарба;F-1;1,0005;мл;10;\n\
               \n\
               Віск;W-1;1;ящик;-5;\n\
               Маска;M-1;;;\"1 200,50\";догляд\n\
               Лак синій;l-1;3;шт;160;\n";
    let res = upload(&app, &admin, "", "products.csv", csv.as_bytes()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["imported"].clone(), res.body["skipped"].clone(), res.body["failed"].clone()),
               (json!(2), json!(1), json!(3)), "{}", res.text);
    let errors = res.body["errors"].as_array().unwrap();
    let rows: Vec<i64> = errors.iter().map(|e| e["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, [3, 4, 6]);
    assert!(errors[0]["error"].as_str().unwrap().contains("Назва"), "{}", res.text);
    assert!(errors[1]["error"].as_str().unwrap().contains("Кількість"), "{}", res.text);
    let last = errors[2]["error"].as_str().unwrap();
    assert!(last.contains("Одиниця") && last.contains("Ціна"), "{last}");

    let list = products_by_sku(&app, &admin).await;
    assert_eq!(list.len(), 2);
    let (lacquer, mask) = (&list[0], &list[1]);
    assert_eq!((lacquer["sku"].clone(), lacquer["quantity"].clone(), lacquer["category"].clone()),
               (json!("L-1"), json!(2.5), json!("retail")));
    assert_eq!((mask["price"].clone(), mask["quantity"].clone(), mask["unit"].clone(), mask["category"].clone()),
               (json!(1200.5), json!(0), json!("pcs"), json!("догляд")));

    // English headers, comma-separated.
    let res = upload(&app, &admin, "", "en.csv", b"name,sku,quantity,minQuantity,costPrice\nGel,G-9,4,1,12.5\n").await;
    assert_eq!(res.body["imported"], json!(1), "{}", res.text);
    let categories = app.get("/api/v1/inventory/categories", &admin.access).await;
    assert_eq!(categories.body.as_array().unwrap().last().unwrap(), "догляд");
}

fn zip_bomb() -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    out.start_file("[Content_Types].xml", options).unwrap();
    out.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
    out.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..60 {
        out.write_all(&zeros).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn unreadable_files_are_refused_whole_with_nothing_written() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;

    let bomb = zip_bomb();
    assert!(bomb.len() < 1024 * 1024, "the bomb is small: {} bytes", bomb.len());
    upload(&app, &admin, "", "inventory.xlsx", &bomb).await.assert_error(422, "unpacked_too_large");
    upload(&app, &admin, "", "photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").await.assert_error(422, "unsupported_file");
    upload(&app, &admin, "", "report.xlsx", b"PK\x03\x04 not really a zip").await.assert_error(422, "corrupt_file");
    upload(&app, &admin, "", "a.csv", b"\xff\xfe\x00N").await.assert_error(422, "unsupported_file");
    upload(&app, &admin, "", "a.csv", "Назва;Ціна\nЛак;10\n".as_bytes()).await.assert_error(422, "missing_columns");
    upload(&app, &admin, "", "a.csv", b"\n\n").await.assert_error(422, "empty_file");
    let huge = vec![b'a'; 10 * 1024 * 1024 + 100 * 1024];
    let res = upload(&app, &admin, "", "big.csv", &huge).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", res.text);

    let res = app.post("/api/v1/inventory/import", Some(&admin.access), json!({"file": "x"})).await;
    res.assert_error(400, "not_multipart");
    let boundary = "b0undary";
    let res = app.client.post(app.url("/api/v1/inventory/import")).bearer_auth(&admin.access)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{boundary}--\r\n"))
        .send().await.unwrap();
    let res = Res::from(res).await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["file"].is_array(), "{}", res.text);

    let reception = app.staff(&admin, "receptionist").await;
    upload(&app, &reception, "", "a.csv", b"name,sku\nA,B\n").await.assert_error(403, "forbidden");
    assert_eq!(product_count(&app).await, (0, 0), "nothing written");
}

#[tokio::test]
async fn a_large_file_is_imported_by_a_job_that_reports_its_progress() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Alpha").await;
    let other = app.new_salon("Beta").await;
    let n = 5_001;
    let rows: String = std::iter::once("name,sku,quantity\n".to_owned()).chain((0..n).map(|i| format!("P{i},S{i},2\n"))).collect();
    let res = upload(&app, &admin, "", "big.csv", rows.as_bytes()).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    assert_eq!((res.body["status"].as_str(), res.body["total"].as_i64()), (Some("queued"), Some(n)));
    let job = res.body["jobId"].as_i64().unwrap();
    assert_eq!(res.headers["location"], format!("/api/v1/inventory/import/{job}").as_str());
    let small = "name,sku\nЛак,L1\n";
    let busy = upload(&app, &admin, "", "second.csv", rows.as_bytes()).await;
    busy.assert_error(409, "import_in_progress");
    assert_eq!(busy.body["conflict"]["jobId"], job);
    let queued = app.get(&format!("/api/v1/inventory/import/{job}"), &admin.access).await;
    assert_eq!(queued.body["status"], "queued", "{}", queued.text);
    app.get(&format!("/api/v1/inventory/import/{job}"), &other.access).await.assert_error(404, "not_found");

    app.run_jobs().await;
    let done = app.get(&format!("/api/v1/inventory/import/{job}"), &admin.access).await;
    assert_eq!(done.body["status"], "completed", "{}", done.text);
    assert_eq!((done.body["processed"].as_i64(), done.body["result"]["imported"].as_i64()), (Some(n), Some(n)));
    let mut su = app.su().await;
    let (products, movements, kept): (i64, i64, Option<Vec<u8>>) = sqlx::query_as(
        "select (select count(*) from products where salon_id = $1), (select count(*) from stock_movements where salon_id = $1),
                (select file from inventory_import_jobs where id = $2)",
    )
    .bind(admin.salon_id())
    .bind(job)
    .fetch_one(&mut su)
    .await
    .unwrap();
    assert_eq!((products, movements, kept), (n, n, None), "every row written with its movement; the upload dropped");
    let other_products: i64 = sqlx::query_scalar("select count(*) from products where salon_id = $1")
        .bind(other.salon_id()).fetch_one(&mut su).await.unwrap();
    assert_eq!(other_products, 0);
    // Small files still answer at once.
    let res = upload(&app, &admin, "", "small.csv", small.as_bytes()).await;
    assert_eq!((res.status, res.body["imported"].as_i64()), (StatusCode::OK, Some(1)), "{}", res.text);
}
