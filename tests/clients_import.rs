//! Spreadsheet import and export of clients through the API: formats, headers, row errors,
//! duplicate policies, refused files, background jobs with progress events, the export and
//! the export → import round trip, and tenant isolation.

mod common;

use std::{io::Write, time::Duration};

use common::{Res, Session, TestApp};
use futures::StreamExt;
use reqwest::StatusCode;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(app: &TestApp, who: &Session) -> Ws {
    let url = format!("ws://{}/api/v1/ws?token={}", app.addr, who.access);
    tokio_tungstenite::connect_async(url).await.expect("socket opens").0
}

/// `clients:import` frames of one job until it completes or fails.
async fn import_events(ws: &mut Ws, job: i64) -> Vec<Value> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, ws.next()).await {
        let Ok(Message::Text(text)) = msg else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["type"] == "clients:import" && frame["data"]["jobId"] == job {
            let done = frame["data"]["status"] != "running";
            seen.push(frame["data"].clone());
            if done {
                break;
            }
        }
    }
    seen
}

/// Polls the job until it leaves `queued`/`running`.
async fn finished_job(app: &TestApp, who: &Session, job: i64) -> Value {
    for _ in 0..600 {
        let res = app.get(&format!("/api/v1/clients/import/{job}"), &who.access).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        if res.body["status"] == "completed" || res.body["status"] == "failed" {
            return res.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job} did not finish");
}

/// A file of `n` valid rows (phones +38067100000i); `broken` names rows given a marker name.
fn many(n: usize, marker_at: Option<usize>) -> Vec<u8> {
    let mut rows = vec![header()];
    for i in 0..n {
        let first = if Some(i) == marker_at { "Збій".to_owned() } else { format!("Клієнт{i}") };
        rows.push(vec![json!(first), json!("Масовий"), json!(format!("067{:07}", 1_000_000 + i))]);
    }
    xlsx(&rows)
}

/// A multipart upload with the file in the part `file`.
async fn import(app: &TestApp, who: &Session, query: &str, file_name: &str, bytes: &[u8]) -> Res {
    app.upload_file(who, &format!("/api/v1/clients/import{query}"), file_name, bytes).await
}

/// An .xlsx with these rows; strings starting with `date:` become real Excel dates.
fn xlsx(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v {
                Value::Number(n) => {
                    sheet.write_number(r, c, n.as_f64().unwrap()).unwrap();
                }
                Value::String(s) if s.starts_with("date:") => {
                    let d: Vec<u16> = s[5..].split('-').map(|p| p.parse().unwrap()).collect();
                    let dt = ExcelDateTime::from_ymd(d[0], d[1] as u8, d[2] as u8).unwrap();
                    sheet.write_datetime_with_format(r, c, &dt, &date).unwrap();
                }
                Value::String(s) => {
                    sheet.write_string(r, c, s).unwrap();
                }
                _ => {}
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

fn header() -> Vec<Value> {
    ["Ім'я", "Прізвище", "Телефон", "Email", "Дата народження", "Стать", "Знижка, %", "Примітки"]
        .iter()
        .map(|h| json!(h))
        .collect()
}

async fn clients(app: &TestApp, who: &Session) -> Vec<Value> {
    let res = app.get("/api/v1/clients", &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body.as_array().unwrap().clone()
}

async fn count(app: &TestApp, salon: i64) -> i64 {
    let mut su = app.su().await;
    sqlx::query_scalar("select count(*) from clients where salon_id = $1").bind(salon).fetch_one(&mut su).await.unwrap()
}

async fn create(app: &TestApp, who: &Session, body: Value) -> i64 {
    let res = app.post("/api/v1/clients", Some(&who.access), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_xlsx_file_imports_its_rows_and_reports_the_bad_ones() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let receptionist = app.staff(&admin, "receptionist").await;
    let file = xlsx(&[
        header(),
        vec![json!("Марія"), json!("Петренко"), json!(380671234567.0), json!("maria@example.com"),
             json!("date:1990-05-03"), json!("Жінка"), json!(10.5), json!("VIP-клієнтка")],
        vec![json!("Олена"), json!(""), json!("050 111 22 33")],
        vec![json!(""), json!("Без імені"), json!("0931112233")],
        vec![json!("Ірина"), json!(""), json!("12345"), json!("not-an-email")],
    ]);

    let res = import(&app, &receptionist, "", "clients.xlsx", &file).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["imported"], 2);
    assert_eq!((res.body["updated"].as_i64(), res.body["skipped"].as_i64(), res.body["failed"].as_i64()), (Some(0), Some(0), Some(2)));
    let errors = res.body["errors"].as_array().unwrap();
    assert_eq!(errors.iter().map(|e| e["row"].as_i64().unwrap()).collect::<Vec<_>>(), [4, 5]);
    assert!(errors[0]["error"].as_str().unwrap().contains("Ім'я"), "{}", res.text);
    let bad = errors[1]["error"].as_str().unwrap();
    assert!(bad.contains("Телефон") && bad.contains("Email"), "{bad}");

    let list = clients(&app, &admin).await;
    assert_eq!(list.len(), 2);
    let maria = list.iter().find(|c| c["firstName"] == "Марія").unwrap();
    assert_eq!(maria["lastName"], "Петренко");
    assert_eq!(maria["phone"], "+380671234567");
    assert_eq!(maria["email"], "maria@example.com");
    assert_eq!(maria["birthDate"], "1990-05-03");
    assert_eq!(maria["gender"], "female");
    assert_eq!(maria["discount"], json!(10.5));
    assert_eq!(maria["notes"], "VIP-клієнтка");
    assert_eq!(maria["segment"], "new");
    let olena = list.iter().find(|c| c["firstName"] == "Олена").unwrap();
    assert_eq!((olena["phone"].as_str(), olena["lastName"].as_str()), (Some("+380501112233"), Some("")));

    let mut su = app.su().await;
    let audit: Value = sqlx::query_scalar("select after from changes where entity = 'client' and entity_id is null")
        .fetch_one(&mut su).await.unwrap();
    assert_eq!(audit["import"]["imported"], 2);
}

#[tokio::test]
async fn a_csv_with_english_headers_and_semicolons_imports() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let csv = "\u{feff}First name;Last name;Phone;E-mail;Birth date;Gender;Notes\n\
               Anna;Koval;+48 601 234 567;anna@example.com;1985-12-01;female;\"likes; semicolons\"\n\
               Petro;;0671234567;;;male;\n";
    let res = import(&app, &admin, "", "clients.csv", csv.as_bytes()).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["imported"].as_i64(), res.body["failed"].as_i64()), (Some(2), Some(0)), "{}", res.text);
    let list = clients(&app, &admin).await;
    let anna = list.iter().find(|c| c["firstName"] == "Anna").unwrap();
    assert_eq!((anna["phone"].as_str(), anna["birthDate"].as_str()), (Some("+48601234567"), Some("1985-12-01")));
    assert_eq!(anna["notes"], "likes; semicolons");
}

#[tokio::test]
async fn duplicate_phones_in_the_file_and_in_the_salon_follow_the_policy() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let existing = create(&app, &admin,
        json!({"firstName": "Марія", "lastName": "Стара", "phone": "0671234567", "email": "old@example.com"})).await;
    let file = xlsx(&[
        header(),
        vec![json!("Марія"), json!("Нова"), json!("+380 67 123 45 67"), json!(""), json!(""), json!(""), json!(15)],
        vec![json!("Олена"), json!("Коваль"), json!("0501112233")],
        vec![json!("Олена"), json!("Друга"), json!("+380501112233")],
    ]);

    // skip (the default): the existing client stays; the repeated phone is an error row.
    let res = import(&app, &admin, "", "clients.xlsx", &file).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        (res.body["imported"].as_i64(), res.body["skipped"].as_i64(), res.body["updated"].as_i64(), res.body["failed"].as_i64()),
        (Some(1), Some(1), Some(0), Some(1)), "{}", res.text
    );
    assert_eq!(res.body["errors"][0]["row"], 4);
    assert!(res.body["errors"][0]["error"].as_str().unwrap().contains("рядку 3"), "{}", res.text);
    let card = app.get(&format!("/api/v1/clients/{existing}"), &admin.access).await.body;
    assert_eq!((card["lastName"].as_str(), card["discount"].as_i64()), (Some("Стара"), Some(0)));

    // update: the existing clients take the non-empty cells; empty cells keep what is stored.
    let res = import(&app, &admin, "?onDuplicate=update", "clients.xlsx", &file).await;
    assert_eq!(
        (res.body["imported"].as_i64(), res.body["skipped"].as_i64(), res.body["updated"].as_i64(), res.body["failed"].as_i64()),
        (Some(0), Some(0), Some(2), Some(1)), "{}", res.text
    );
    let card = app.get(&format!("/api/v1/clients/{existing}"), &admin.access).await.body;
    assert_eq!((card["lastName"].as_str(), card["discount"].as_i64()), (Some("Нова"), Some(15)));
    assert_eq!(card["email"], "old@example.com");
    assert_eq!(count(&app, admin.salon_id()).await, 2);

    let res = import(&app, &admin, "?onDuplicate=merge", "clients.xlsx", &file).await;
    res.assert_error(422, "validation_error");
}

fn zip_of(name: &str, content: &[u8]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(content).unwrap();
    zip.finish().unwrap();
    out.into_inner()
}

#[tokio::test]
async fn files_that_are_not_importable_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    import(&app, &admin, "", "photo.xlsx", png).await.assert_error(422, "unsupported_file");
    import(&app, &admin, "", "notes.xlsx", &zip_of("notes.txt", b"hello")).await.assert_error(422, "unsupported_file");

    let no_phone = xlsx(&[vec![json!("Ім'я"), json!("Прізвище"), json!("Email")], vec![json!("Марія"), json!("П"), json!("m@e.com")]]);
    let res = import(&app, &admin, "", "clients.xlsx", &no_phone).await;
    res.assert_error(422, "missing_columns");
    assert!(res.body["message"].as_str().unwrap().contains("Телефон"), "{}", res.text);
    let csv = "Прізвище;Email\nКоваль;k@example.com\n";
    let res = import(&app, &admin, "", "clients.csv", csv.as_bytes()).await;
    res.assert_error(422, "missing_columns");
    assert!(res.body["message"].as_str().unwrap().contains("Ім'я"), "{}", res.text);

    // A zip bomb: 64 KB that would inflate to 64 MB of sheet XML.
    let bomb = zip_of("xl/worksheets/sheet1.xml", &vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    import(&app, &admin, "", "bomb.xlsx", &bomb).await.assert_error(422, "unpacked_too_large");

    // Over 10 MB.
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    import(&app, &admin, "", "big.csv", &big).await.assert_error(413, "payload_too_large");

    // No file part, an empty file, and no multipart at all.
    let res = app.post("/api/v1/clients/import", Some(&admin.access), json!({"file": "clients.xlsx"})).await;
    res.assert_error(400, "malformed_upload");
    let res = import(&app, &admin, "", "empty.xlsx", b"").await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["file"].is_array(), "{}", res.text);

    assert_eq!(count(&app, admin.salon_id()).await, 0);
}

#[tokio::test]
async fn only_roles_that_edit_clients_import() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let master = app.staff(&admin, "master").await;
    let file = xlsx(&[header(), vec![json!("Марія"), json!(""), json!("0671234567")]]);
    import(&app, &master, "", "clients.xlsx", &file).await.assert_error(403, "forbidden");
    app.get("/api/v1/clients/import/1", &master.access).await.assert_error(403, "forbidden");
    assert_eq!(count(&app, admin.salon_id()).await, 0);
}

#[tokio::test]
async fn an_import_with_another_salons_phones_creates_its_own_clients() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("A").await;
    let b = app.new_salon("B").await;
    let theirs = create(&app, &a, json!({"firstName": "Марія", "lastName": "А", "phone": "0671234567"})).await;
    let file = xlsx(&[header(), vec![json!("Марія"), json!("Бе"), json!("0671234567")]]);

    for query in ["", "?onDuplicate=update"] {
        let res = import(&app, &b, query, "clients.xlsx", &file).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }
    let list = clients(&app, &b).await;
    assert_eq!(list.len(), 1);
    assert_ne!(list[0]["id"], theirs);
    assert_eq!(list[0]["lastName"], "Бе");
    let card = app.get(&format!("/api/v1/clients/{theirs}"), &a.access).await.body;
    assert_eq!((card["lastName"].as_str(), card["createdAt"] == card["updatedAt"]), (Some("А"), true));
    assert_eq!((count(&app, a.salon_id()).await, count(&app, b.salon_id()).await), (1, 1));
}

#[tokio::test]
async fn a_large_file_is_imported_in_the_background_with_progress_events() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let other = app.new_salon("Other").await;
    let mut ws = socket(&app, &admin).await;
    let _worker = app.start_worker();
    let n = 1_500;

    let res = import(&app, &admin, "", "big.xlsx", &many(n, None)).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    assert_eq!((res.body["status"].as_str(), res.body["total"].as_i64()), (Some("queued"), Some(n as i64)));
    let job = res.body["jobId"].as_i64().unwrap();
    assert_eq!(res.headers["location"], format!("/api/v1/clients/import/{job}").as_str());

    let events = import_events(&mut ws, job).await;
    let last = events.last().expect("events arrive");
    assert_eq!((last["status"].as_str(), last["processed"].as_i64(), last["total"].as_i64()), (Some("completed"), Some(n as i64), Some(n as i64)));
    assert_eq!(last["result"]["imported"], n);
    assert!(events.iter().any(|e| e["status"] == "running" && e["processed"].as_i64().unwrap() > 0
        && e["processed"].as_i64().unwrap() < n as i64), "{events:?}");

    let done = finished_job(&app, &admin, job).await;
    assert_eq!(done["status"], "completed");
    assert_eq!((done["processed"].as_i64(), done["total"].as_i64()), (Some(n as i64), Some(n as i64)));
    assert_eq!((done["result"]["imported"].as_i64(), done["result"]["failed"].as_i64()), (Some(n as i64), Some(0)));
    assert!(done["finishedAt"].is_string() && done.get("error").is_none(), "{done}");
    assert_eq!(count(&app, admin.salon_id()).await, n as i64);
    let mut su = app.su().await;
    let kept: Option<Vec<u8>> = sqlx::query_scalar("select file from client_import_jobs where id = $1").bind(job).fetch_one(&mut su).await.unwrap();
    assert!(kept.is_none(), "the upload is dropped once the job ends");

    // Another salon neither reads the job nor got its clients.
    app.get(&format!("/api/v1/clients/import/{job}"), &other.access).await.assert_error(404, "not_found");
    assert_eq!(count(&app, other.salon_id()).await, 0);
}

#[tokio::test]
async fn a_job_that_fails_midway_leaves_no_rows() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let mut su = app.su().await;
    // A database error on the 1,200th row, in the second batch.
    sqlx::raw_sql(
        "create function test_refuse() returns trigger language plpgsql as $$
         begin raise exception 'refused by the test'; end $$;
         create trigger test_refuse before insert on clients for each row
             when (new.first_name = 'Збій') execute function test_refuse();",
    )
    .execute(&mut su)
    .await
    .unwrap();
    let mut ws = socket(&app, &admin).await;
    let _worker = app.start_worker();

    let res = import(&app, &admin, "", "big.xlsx", &many(1_500, Some(1_199))).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text);
    let job = res.body["jobId"].as_i64().unwrap();

    let events = import_events(&mut ws, job).await;
    let last = events.last().expect("events arrive");
    assert_eq!(last["status"], "failed");
    assert!(last["error"].is_string(), "{last}");
    let done = finished_job(&app, &admin, job).await;
    assert_eq!(done["status"], "failed");
    assert!(done["error"].as_str().unwrap().contains("Нічого не записано"), "{done}");
    assert!(done.get("result").is_none());
    assert_eq!(count(&app, admin.salon_id()).await, 0);

    // The salon may import again at once.
    let small = xlsx(&[header(), vec![json!("Марія"), json!(""), json!("0671234567")]]);
    assert_eq!(import(&app, &admin, "", "small.xlsx", &small).await.status, StatusCode::OK);
}

#[tokio::test]
async fn one_import_runs_at_a_time_and_a_dead_job_is_retired() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let mut su = app.su().await;
    let running: i64 = sqlx::query_scalar(
        "insert into client_import_jobs (salon_id, status, on_duplicate, total, started_at)
         values ($1, 'running', 'skip', 10, now()) returning id",
    )
    .bind(admin.salon_id())
    .fetch_one(&mut su)
    .await
    .unwrap();
    let small = xlsx(&[header(), vec![json!("Марія"), json!(""), json!("0671234567")]]);

    let res = import(&app, &admin, "", "small.xlsx", &small).await;
    res.assert_error(409, "import_in_progress");
    assert_eq!(res.body["conflict"]["jobId"], running);
    let status = app.get(&format!("/api/v1/clients/import/{running}"), &admin.access).await;
    assert_eq!(status.body["status"], "running");

    // No heartbeat for ten minutes: the task is gone, the job is failed when next read.
    sqlx::query("update client_import_jobs set updated_at = now() - interval '10 minutes' where id = $1")
        .bind(running).execute(&mut su).await.unwrap();
    let status = app.get(&format!("/api/v1/clients/import/{running}"), &admin.access).await;
    assert_eq!(status.body["status"], "failed");
    assert!(status.body["error"].as_str().unwrap().contains("перервано"), "{}", status.text);
    assert_eq!(import(&app, &admin, "", "small.xlsx", &small).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_import_waits_for_a_worker_and_one_left_running_by_a_dead_worker_starts_again() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let first = import(&app, &admin, "", "big.xlsx", &many(1_100, None)).await;
    let first = first.body["jobId"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = app.get(&format!("/api/v1/clients/import/{first}"), &admin.access).await;
    assert_eq!(waiting.body["status"], "queued", "no worker, no import: {}", waiting.text);
    app.run_jobs().await;
    assert_eq!(finished_job(&app, &admin, first).await["status"], "completed");

    // A worker died mid-import: the rows rolled back, the import says `running`, and the queue
    // runs the job again (here at once; in production after JOBS_RECOVERY_AFTER_SECONDS).
    let rows: Vec<Vec<Value>> = std::iter::once(header())
        .chain((0..20).map(|i| vec![json!(format!("Черга{i}")), json!(""), json!(format!("050{:07}", 2_000_000 + i))]))
        .collect();
    let mut su = app.su().await;
    let left: i64 = sqlx::query_scalar(
        "insert into client_import_jobs (salon_id, status, on_duplicate, file_name, file, total, processed, started_at)
         values ($1, 'running', 'skip', 'left.xlsx', $2, 20, 7, now()) returning id",
    )
    .bind(admin.salon_id())
    .bind(xlsx(&rows))
    .fetch_one(&mut su)
    .await
    .unwrap();
    let mut tx = app.state.db.begin(adelante::tenancy::SalonId(admin.salon_id())).await.unwrap();
    adelante::jobs::enqueue(&mut tx, &adelante::clients::ClientImport { import: left }, adelante::jobs::When::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.run_jobs().await;
    let done = finished_job(&app, &admin, left).await;
    assert_eq!((done["status"].as_str(), done["result"]["imported"].as_i64()), (Some("completed"), Some(20)), "{done}");
    assert_eq!(count(&app, admin.salon_id()).await, 1_120);
}

/// `GET /clients/export` with `query`: the workbook's bytes.
async fn export(app: &TestApp, who: &Session, query: &str) -> Vec<u8> {
    let res = app.client.get(app.url(&format!("/api/v1/clients/export{query}"))).bearer_auth(&who.access).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
    res.bytes().await.unwrap().to_vec()
}

fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<calamine::Data>>)> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            (name, range.rows().map(|r| r.to_vec()).collect())
        })
        .collect()
}

fn full_card(first: &str, phone: &str) -> Value {
    json!({"firstName": first, "middleName": "Іванівна", "lastName": "Петренко", "phone": phone,
           "email": format!("{}@example.com", phone.trim_start_matches('+')), "cardNumber": "0012",
           "birthDate": "1990-5-3", "gender": "female", "source": "vip", "discount": 12.5, "bonusBalance": 100.25,
           "notes": "Алергія на аміак", "messagesOptOut": true})
}

#[tokio::test]
async fn the_export_has_ukrainian_headers_text_phones_and_real_dates() {
    use calamine::Data;
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let other = app.new_salon("Other").await;
    let maria = create(&app, &admin, full_card("Марія", "0671234567")).await;
    create(&app, &admin, json!({"firstName": "Олена", "phone": "0501112233"})).await;
    let gone = create(&app, &admin, json!({"firstName": "Видалена", "phone": "0931112233"})).await;
    let res = app.request(reqwest::Method::DELETE, &format!("/api/v1/clients/{gone}"), Some(&admin.access), None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let visit = app
        .post("/api/v1/appointments", Some(&admin.access),
              json!({"clientName": "Марія", "clientPhone": "", "clientId": maria, "service": "Стрижка", "date": "2024-03-01",
                     "startTime": "10:00", "endTime": "11:00", "status": "scheduled", "type": "standard", "price": 450.5}))
        .await;
    let visit = visit.body["id"].as_i64().unwrap();
    app.put(&format!("/api/v1/appointments/{visit}"), &admin.access, json!({"status": "completed"})).await;

    let book = sheets(&export(&app, &admin, "?includeVisits=true&includeProducts=false").await);
    assert_eq!(book.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["Клієнти", "Візити"]);
    let rows = &book[0].1;
    let head: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(&head[..7], ["ID", "Ім'я", "По батькові", "Прізвище", "Телефон", "Email", "Дата народження"]);
    assert_eq!(rows.len(), 3, "the deleted client is not exported");
    let row = rows.iter().find(|r| r[1] == Data::String("Марія".into())).unwrap();
    assert_eq!(row[4], Data::String("+380671234567".into()));
    match &row[6] {
        Data::DateTime(d) => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            assert_eq!((y, m, day), (1990, 5, 3));
        }
        other => panic!("birth date is not an Excel date: {other:?}"),
    }
    assert!(matches!(row[19], Data::DateTime(_)), "{:?}", row[19]);
    assert_eq!((head[13].as_str(), row[13].clone()), ("Без повідомлень", Data::String("так".into())), "Марія opted out");
    assert_eq!((row[10].clone(), row[11].clone()), (Data::Float(12.5), Data::Float(100.25)));
    let visits = &book[1].1;
    assert_eq!(visits.len(), 2);
    assert_eq!((visits[1][5].clone(), visits[1][8].clone()), (Data::String("Стрижка".into()), Data::Float(450.5)));

    // Filters of the list apply.
    let only = sheets(&export(&app, &admin, "?search=%D0%BE%D0%BB%D0%B5%D0%BD").await);
    assert_eq!(only[0].1.len(), 2);
    assert_eq!(only[0].1[1][1], Data::String("Олена".into()));
    let visited = sheets(&export(&app, &admin, "?dateFrom=2024-01-01&dateTo=2024-12-31").await);
    assert_eq!(visited[0].1.len(), 2);
    // Another salon exports only its own (no) clients.
    let theirs = sheets(&export(&app, &other, "").await);
    assert_eq!(theirs[0].1.len(), 1);
}

#[tokio::test]
async fn export_then_import_gives_the_same_clients() {
    let app = TestApp::spawn().await;
    let a = app.new_salon("A").await;
    let b = app.new_salon("B").await;
    create(&app, &a, full_card("Марія", "0671234567")).await;
    create(&app, &a, json!({"firstName": "Олена", "lastName": "Коваль", "phone": "+48 601 234 567", "gender": "other"})).await;
    let mut plain = full_card("Ірина", "0939998877");
    plain["source"] = json!("inactive");
    plain["gender"] = json!("male");
    plain["discount"] = json!(0);
    plain["notes"] = json!("=SUM(A1:A2) лишається текстом");
    create(&app, &a, plain).await;

    let file = export(&app, &a, "").await;
    let res = import(&app, &b, "", "clients.xlsx", &file).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["imported"].as_i64(), res.body["failed"].as_i64()), (Some(3), Some(0)), "{}", res.text);

    let card = |c: &Value| {
        let keys = ["firstName", "middleName", "lastName", "name", "phone", "email", "birthDate", "cardNumber",
                    "gender", "source", "notes", "discount", "bonusBalance", "segment", "messagesOptOut"];
        keys.iter().map(|k| (k.to_string(), c.get(*k).cloned().unwrap_or(Value::Null))).collect::<Vec<_>>()
    };
    let (mine, theirs) = (clients(&app, &a).await, clients(&app, &b).await);
    assert_eq!(mine.iter().map(card).collect::<Vec<_>>(), theirs.iter().map(card).collect::<Vec<_>>());
    // Importing the same file again finds every phone taken.
    let again = import(&app, &b, "", "clients.xlsx", &file).await;
    assert_eq!((again.body["imported"].as_i64(), again.body["skipped"].as_i64()), (Some(0), Some(3)), "{}", again.text);
}
