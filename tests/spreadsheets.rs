//! Hostile uploads to both imports (clients, inventory), built here byte by byte: far-apart
//! cells, zip bombs, shared-strings tables that ask for too much, .xls, NUL in cells. Each is a
//! 422 in the contract's envelope (or a row error), the server keeps answering and the process
//! stays small. Also the text and date bounds of JSON bodies and query strings, and an export
//! that holds a note longer than a spreadsheet cell.

mod common;

use std::io::{Cursor, Write};

use common::{Res, Session, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const IMPORTS: [&str; 2] = ["/api/v1/clients/import", "/api/v1/inventory/import"];

async fn upload(app: &TestApp, who: &Session, path: &str, file_name: &str, bytes: &[u8]) -> Res {
    app.upload_file(who, path, file_name, bytes).await
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A minimal .xlsx: one sheet declaring `dimension`, holding `rows` of inline strings by cell
/// reference, with `sst` as its shared-strings table.
fn xlsx(dimension: &str, rows: &[&[(&str, &str)]], sst: Option<&[u8]>) -> Vec<u8> {
    let rows: String = rows
        .iter()
        .map(|cells| {
            let cells: String = cells
                .iter()
                .map(|(r, v)| format!(r#"<c r="{r}" t="inlineStr"><is><t>{v}</t></is></c>"#))
                .collect();
            format!("<row>{cells}</row>")
        })
        .collect();
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#
    );
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#),
        ("_rels/.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
        ("xl/workbook.xml", br#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ];
    if let Some(sst) = sst {
        entries.push(("xl/sharedStrings.xml", sst));
    }
    zip_of(&entries)
}

/// This process's peak resident memory in KiB (the test server runs in this process).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

async fn assert_alive(app: &TestApp, who: &Session) {
    let res = app.get("/api/v1/clients", &who.access).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

#[tokio::test]
async fn cells_at_a1_and_xfd1048576_are_refused_without_building_the_sheet() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let before = peak_kib();
    // Read as a dense grid, this asks for 549,755,813,888 bytes and the process aborts.
    let honest = xlsx("A1:XFD1048576", &[&[("A1", "Ім'я")], &[("XFD1048576", "x")]], None);
    let lying = xlsx("A1", &[&[("A1", "Ім'я")], &[("XFD1048576", "x")]], None);
    assert!(honest.len() < 2_000, "{} bytes", honest.len());
    for path in IMPORTS {
        for file in [&honest, &lying] {
            let res = upload(&app, &admin, path, "far.xlsx", file).await;
            res.assert_error(422, "too_many_rows");
            assert!(res.body["message"].as_str().unwrap().contains("100100"), "{}", res.text);
        }
        let wide = xlsx("A1", &[&[("A1", "Ім'я"), ("XFD1", "x")]], None);
        upload(&app, &admin, path, "wide.xlsx", &wide)
            .await
            .assert_error(422, "too_many_columns");
    }
    assert_alive(&app, &admin).await;
    let grown = peak_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "peak memory grew by {grown} KiB");
}

#[tokio::test]
async fn zip_bombs_and_greedy_shared_strings_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    // 64 MB of sheet XML in well under a megabyte.
    let bomb = zip_of(&[("xl/worksheets/sheet1.xml", &vec![b' '; 64 * 1024 * 1024])]);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    // A table that declares four trillion strings: calamine would reserve room for them all.
    let greedy = br#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="4000000000000"><si><t>a</t></si></sst>"#;
    let greedy = xlsx("A1", &[&[("A1", "a")]], Some(greedy));
    // A shared-strings entry of 60 MB.
    let mut huge = b"<sst uniqueCount=\"1\"><si><t>".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 60 * 1024 * 1024));
    huge.extend(b"</t></si></sst>");
    let huge = xlsx("A1", &[&[("A1", "a")]], Some(&huge));
    // Measured from here: building the files above took memory of its own.
    let before = peak_kib();
    for path in IMPORTS {
        for file in [&bomb, &greedy, &huge] {
            let res = upload(&app, &admin, path, "bomb.xlsx", file).await;
            res.assert_error(422, "unpacked_too_large");
        }
    }
    assert_alive(&app, &admin).await;
    let grown = peak_kib().saturating_sub(before);
    assert!(grown < 200 * 1024, "peak memory grew by {grown} KiB");
}

#[tokio::test]
async fn xls_and_ods_are_refused_naming_the_accepted_formats() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.extend([0u8; 1024]);
    let ods = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("content.xml", b"<x/>"),
    ]);
    for path in IMPORTS {
        let res = upload(&app, &admin, path, "clients.xls", &xls).await;
        res.assert_error(422, "unsupported_file");
        let message = res.body["message"].as_str().unwrap();
        assert!(message.contains(".xlsx") && message.contains(".csv"), "{message}");
        upload(&app, &admin, path, "clients.ods", &ods)
            .await
            .assert_error(422, "unsupported_file");
    }
}

#[tokio::test]
async fn a_cell_with_nul_is_a_row_error_and_the_other_rows_are_imported() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    // `_x0000_` is how .xlsx escapes a character: here NUL, which PostgreSQL cannot store.
    let clients = xlsx(
        "A1:B3",
        &[
            &[("A1", "Ім'я"), ("B1", "Телефон")],
            &[("A2", "Ма_x0000_рія"), ("B2", "0671234567")],
            &[("A3", "Олена"), ("B3", "0501112233")],
        ],
        None,
    );
    let res = upload(&app, &admin, IMPORTS[0], "clients.xlsx", &clients).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        (res.body["imported"].as_i64(), res.body["failed"].as_i64()),
        (Some(1), Some(1)),
        "{}",
        res.text
    );
    assert_eq!(res.body["errors"][0]["row"], json!(2), "{}", res.text);

    let products = xlsx(
        "A1:B3",
        &[
            &[("A1", "Назва"), ("B1", "Артикул")],
            &[("A2", "Лак"), ("B2", "L_x0000_-1")],
            &[("A3", "Олія"), ("B3", "O-1")],
        ],
        None,
    );
    let res = upload(&app, &admin, IMPORTS[1], "products.xlsx", &products).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        (res.body["imported"].as_i64(), res.body["failed"].as_i64()),
        (Some(1), Some(1)),
        "{}",
        res.text
    );
    assert_eq!(res.body["errors"][0]["row"], json!(2), "{}", res.text);
}

#[tokio::test]
async fn a_nul_in_the_uploaded_file_name_is_refused_not_a_500() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let csv = "Ім'я;Телефон\nМарія;0671234567\n".as_bytes();
    for path in IMPORTS {
        // The multipart reader refuses a NUL in a part's headers (400 `malformed_*`); the
        // handlers check the decoded name as well, since it is stored with the import.
        let res = upload(&app, &admin, path, "clie\0nts.csv", csv).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{path}: {}", res.text);
        assert!(res.body["code"].as_str().is_some_and(|c| c.starts_with("malformed")), "{path}: {}", res.text);
    }
    assert_alive(&app, &admin).await;
}

fn booking(date: &str, notes: &str) -> Value {
    json!({"clientName": "Марія", "clientPhone": "", "service": "Стрижка", "date": date, "startTime": "10:00",
           "endTime": "11:00", "status": "scheduled", "type": "standard", "notes": notes, "price": 450})
}

#[tokio::test]
async fn a_long_note_is_refused_and_an_export_holds_one_already_stored() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    let res = app
        .post(
            "/api/v1/appointments",
            Some(&admin.access),
            booking("2026-03-01", &"я".repeat(40_000)),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["notes"].is_array(), "{}", res.text);
    let res = app
        .post(
            "/api/v1/appointments",
            Some(&admin.access),
            booking("2026-03-01", &"я".repeat(2_001)),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["notes"].is_array(), "{}", res.text);
    let res = app
        .post(
            "/api/v1/clients",
            Some(&admin.access),
            json!({"firstName": "М\u{0}", "phone": "0671234567"}),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["firstName"].is_array(), "{}", res.text);

    // A note stored before the limit existed: the export cuts it to what a cell holds.
    let client = app
        .post(
            "/api/v1/clients",
            Some(&admin.access),
            json!({"firstName": "Марія", "phone": "0671234567"}),
        )
        .await;
    let client = client.body["id"].as_i64().unwrap();
    let mut visit = booking("2026-03-01", "коротко");
    visit["clientId"] = json!(client);
    let res = app.post("/api/v1/appointments", Some(&admin.access), visit).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_i64().unwrap();
    app.put(
        &format!("/api/v1/appointments/{id}"),
        &admin.access,
        json!({"status": "completed"}),
    )
    .await;
    let mut su = app.su().await;
    sqlx::query("update appointments set notes = repeat('я', 40000) where id = $1")
        .bind(id)
        .execute(&mut su)
        .await
        .unwrap();
    sqlx::query("update clients set notes = repeat('ю', 40000) where id = $1")
        .bind(client)
        .execute(&mut su)
        .await
        .unwrap();
    app.touch(admin.salon_id()).await;
    let res = app
        .client
        .get(app.url("/api/v1/clients/export?includeVisits=true&includeProducts=false"))
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).unwrap();
    let longest = |range: calamine::Range<calamine::Data>| {
        range
            .rows()
            .flat_map(|r| r.iter().map(|c| c.to_string().chars().count()).collect::<Vec<_>>())
            .max()
            .unwrap()
    };
    assert_eq!(longest(book.worksheet_range_at(0).unwrap().unwrap()), 32_767);
    assert_eq!(longest(book.worksheet_range_at(1).unwrap().unwrap()), 32_767);
}

#[tokio::test]
async fn extreme_dates_in_bodies_and_query_strings_are_422() {
    let app = TestApp::spawn().await;
    let admin = app.new_salon("Salon").await;
    for date in ["+262143-12-31", "-0001-01-01", "1000-01-01"] {
        let res = app
            .post("/api/v1/appointments", Some(&admin.access), booking(date, ""))
            .await;
        res.assert_error(422, "validation_error");
        assert!(res.body["details"]["date"].is_array(), "{date}: {}", res.text);
    }
    let res = app
        .post(
            "/api/v1/clients",
            Some(&admin.access),
            json!({"firstName": "Марія", "phone": "0671234567", "birthDate": "+262143-12-31"}),
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["birthDate"].is_array(), "{}", res.text);
    for query in [
        "date=%2B262143-12-31",
        "dateFrom=2026-01-01&dateTo=%2B262143-12-31",
        "dateFrom=-262143-01-01&dateTo=2026-01-01",
    ] {
        let res = app.get(&format!("/api/v1/appointments?{query}"), &admin.access).await;
        res.assert_error(422, "validation_error");
    }
    let res = app
        .get(
            "/api/v1/clients/export?dateFrom=2026-01-01&dateTo=%2B262143-12-31",
            &admin.access,
        )
        .await;
    res.assert_error(422, "validation_error");
    assert!(res.body["details"]["dateTo"].is_array(), "{}", res.text);
    let res = app
        .get(
            "/api/v1/appointments?dateFrom=2026-01-01&dateTo=2026-01-02",
            &admin.access,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
