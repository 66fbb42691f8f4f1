//! One salon (or one client) cannot starve the others: slow request bodies hold no database
//! connection, bodies are bounded in size and time, heavy routes are capped per salon.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use common::{Res, Session, TestApp};
use reqwest::Method;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const BOUNDARY: &str = "adelante-limits-boundary";

/// A clients import of one row, as multipart.
fn import_body() -> Vec<u8> {
    let csv = "Ім'я,Телефон\nОлена,+380671112233\n";
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clients.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

fn import_head(app: &TestApp, token: &str, length: usize) -> String {
    format!(
        "POST /api/v1/clients/import HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {length}\r\n\r\n",
        app.addr
    )
}

/// An upload whose body arrives one byte at a time, its last byte held back until
/// [`SlowUpload::finish`].
struct SlowUpload {
    stream: Arc<tokio::sync::Mutex<TcpStream>>,
    sent: Arc<std::sync::atomic::AtomicUsize>,
    stop: Arc<AtomicBool>,
    body: Vec<u8>,
}

impl SlowUpload {
    async fn start(app: &TestApp, token: &str) -> Self {
        let body = import_body();
        let mut stream = TcpStream::connect(app.addr).await.unwrap();
        stream.write_all(import_head(app, token, body.len()).as_bytes()).await.unwrap();
        stream.write_all(&body[..8]).await.unwrap();
        let upload = SlowUpload {
            stream: Arc::new(tokio::sync::Mutex::new(stream)),
            sent: Arc::new(8.into()),
            stop: Arc::new(AtomicBool::new(false)),
            body,
        };
        let (stream, sent, stop, body) =
            (upload.stream.clone(), upload.sent.clone(), upload.stop.clone(), upload.body.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) && sent.load(Ordering::Relaxed) < body.len() - 1 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                let at = sent.load(Ordering::Relaxed);
                if stream.lock().await.write_all(&body[at..at + 1]).await.is_err() {
                    return;
                }
                sent.store(at + 1, Ordering::Relaxed);
            }
        });
        upload
    }

    /// Sends the rest of the body and reads the answer.
    async fn finish(self) -> (u16, String) {
        self.stop.store(true, Ordering::Relaxed);
        let mut stream = self.stream.lock().await;
        let at = self.sent.load(Ordering::Relaxed);
        stream.write_all(&self.body[at..]).await.unwrap();
        read_answer(&mut stream).await
    }
}

impl Drop for SlowUpload {
    fn drop(&mut self) {
        // The trickling task ends and closes the connection.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Status and raw text of the first answer on `stream` (the server closes or we have it all).
async fn read_answer(stream: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf)).await.unwrap().unwrap();
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        let complete = text.split_once("\r\n\r\n").is_some_and(|(head, rest)| {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()));
            length.and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| rest.len() >= l)
        });
        if n == 0 || complete {
            let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            return (status, text.into_owned());
        }
    }
}

async fn timed(app: &TestApp, method: Method, path: &str, who: &Session, body: Option<serde_json::Value>) -> (Res, Duration) {
    let started = Instant::now();
    let res = app.request(method, path, Some(&who.access), body).await;
    (res, started.elapsed())
}

#[tokio::test]
async fn slow_uploads_of_one_salon_leave_the_pool_to_the_others() {
    // DB_MAX_CONNECTIONS is 8 in tests; a request waits at most 5 s for a connection, then 503.
    let app = TestApp::spawn().await;
    let greedy = app.new_salon("Повільний").await;
    let other = app.new_salon("Сусідній").await;

    let mut uploads = Vec::new();
    for _ in 0..40 {
        uploads.push(SlowUpload::start(&app, &greedy.access).await);
    }

    // While all 40 bodies trickle in, the other salon reads and writes as usual.
    for round in 0..3 {
        let phone = format!("+38067000000{round}");
        let create = json!({"firstName": "Ірина", "lastName": "", "phone": phone, "email": "", "cardNumber": "",
                            "gender": "female", "source": "regular", "discount": 0, "bonusBalance": 0});
        let answers = [
            timed(&app, Method::GET, "/api/v1/clients", &other, None).await,
            timed(&app, Method::POST, "/api/v1/clients", &other, Some(create)).await,
            timed(&app, Method::GET, "/api/v1/auth/me", &other, None).await,
        ];
        for (res, took) in answers {
            assert!(res.status.is_success(), "round {round}: {} {}", res.status, res.text);
            assert!(took < Duration::from_secs(4), "round {round}: took {took:?}");
        }
    }

    // The slow uploads are served once complete: the last one imports its row.
    let last = uploads.pop().unwrap();
    drop(uploads);
    let (status, text) = last.finish().await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"imported\":1"), "{text}");
}

#[tokio::test]
async fn a_stalled_body_is_408_and_holds_nothing() {
    let app = TestApp::spawn_with(&[("BODY_READ_TIMEOUT_SECONDS", "1"), ("REQUEST_TIMEOUT_SECONDS", "10")]).await;
    let admin = app.new_salon("Салон").await;
    let body = import_body();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(import_head(&app, &admin.access, body.len()).as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    let started = Instant::now();
    let (status, text) = read_answer(&mut stream).await;
    assert_eq!(status, 408, "{text}");
    assert!(text.contains("\"code\":\"body_timeout\""), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5), "answered by the body deadline, not the request timeout");
}

#[tokio::test]
async fn a_declared_oversize_body_is_413_before_it_is_sent() {
    let app = TestApp::spawn_with(&[("BODY_LIMIT_MB", "1")]).await;
    let admin = app.new_salon("Салон").await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(import_head(&app, &admin.access, 2 * 1024 * 1024).as_bytes()).await.unwrap();
    let (status, text) = read_answer(&mut stream).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("\"code\":\"payload_too_large\""), "{text}");
}

#[tokio::test]
async fn heavy_routes_are_capped_per_salon() {
    let app = TestApp::spawn_with(&[("HEAVY_REQUESTS_PER_SALON", "2")]).await;
    let busy = app.new_salon("Зайнятий").await;
    let other = app.new_salon("Вільний").await;
    let salon = adelante::tenancy::SalonId(busy.salon_id());
    // Two heavy requests of the salon are running.
    let running = [app.state.gate.heavy.try_acquire(salon).unwrap(), app.state.gate.heavy.try_acquire(salon).unwrap()];

    let heavy = [
        (Method::GET, "/api/v1/clients/export"),
        (Method::GET, "/api/v1/inventory/export"),
        (Method::GET, "/api/v1/finances/export"),
        (Method::GET, "/api/v1/finances/receipts/1/pdf"),
        (Method::POST, "/api/v1/clients/import"),
        (Method::POST, "/api/v1/inventory/import"),
    ];
    for (method, path) in &heavy {
        let res = app.request(method.clone(), path, Some(&busy.access), None).await;
        res.assert_error(429, "salon_busy");
        assert_eq!(res.headers["retry-after"], "5", "{path}");
    }
    // Light routes of the same salon and heavy routes of another salon are unaffected.
    assert_eq!(app.get("/api/v1/clients", &busy.access).await.status, 200);
    let export = app.get("/api/v1/clients/export", &other.access).await;
    assert_eq!(export.status, 200, "{}", export.text);

    drop(running);
    let export = app.get("/api/v1/clients/export", &busy.access).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(app.state.gate.heavy.busy_salons(), 0, "finished requests leave no entry behind");
}

#[tokio::test]
async fn openapi_documents_the_limits() {
    let app = TestApp::spawn().await;
    let doc = Res::from(app.client.get(app.url("/openapi.json")).send().await.unwrap()).await;
    let paths = &doc.body["paths"];
    assert!(paths["/api/v1/clients/export"]["get"]["responses"]["429"].is_object());
    assert!(paths["/api/v1/clients/import"]["post"]["responses"]["429"].is_object());
    assert!(paths["/api/v1/clients"]["post"]["responses"]["408"].is_object());
    assert!(paths["/api/v1/clients"]["get"]["responses"].get("408").is_none());
}
