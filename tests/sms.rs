//! The SMS drivers against a loopback HTTP server that records every request and answers what
//! the test scripts: the exact request each provider's API expects, and which answers mean
//! sent, try again later, or refused for good. No database is involved.

use std::{
    io,
    sync::{Arc, Mutex},
};

use adelante::{
    Config,
    messaging::{E164, Sms, SmsError, SmsSent, sms::segments},
};
use axum::{Router, body::Bytes, extract::Request, http::StatusCode};
use base64::Engine;
use serde_json::{Value, json};

const NUMBER: &str = "067 123 45 67";
const TEXT: &str = "Ваш запис на 12:00 підтверджено";
const TURBOSMS_TOKEN: &str = "turbosms-token-123";
const TWILIO_TOKEN: &str = "twilio-token-456";

struct Recorded {
    method: String,
    path: String,
    headers: axum::http::HeaderMap,
    body: Bytes,
}

impl Recorded {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A provider on 127.0.0.1 that answers every request with `status` and `body`.
struct FakeProvider {
    url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeProvider {
    async fn answering(status: u16, body: &str) -> FakeProvider {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answer = (StatusCode::from_u16(status).unwrap(), body.to_owned());
        let seen = requests.clone();
        let app = Router::new().fallback(move |request: Request| {
            let (seen, answer) = (seen.clone(), answer.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let path = parts.uri.path().to_owned();
                seen.lock().unwrap().push(Recorded { method: parts.method.to_string(), path, headers: parts.headers, body });
                (answer.0, [("content-type", "application/json")], answer.1)
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeProvider { url, requests }
    }

    fn requests(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        self.requests.lock().unwrap()
    }

    fn only_request(&self) -> Recorded {
        let mut requests = self.requests();
        assert_eq!(requests.len(), 1, "exactly one request");
        requests.pop().unwrap()
    }
}

/// An address where nothing listens: the port was free a moment ago.
async fn nobody_listening() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn sms(settings: &[(&str, &str)]) -> Sms {
    let base = [
        ("DATABASE_URL", "postgres://unused"),
        ("DATABASE_OWNER_URL", "postgres://unused"),
        ("JWT_SECRET", "sms-test-secret-0123456789abcdef!"),
    ];
    let pairs: Vec<(String, String)> = base.iter().chain(settings).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let config = Config::from_lookup(&|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())).unwrap();
    Sms::from_config(&config).unwrap()
}

fn turbosms(url: &str) -> Sms {
    sms(&[("SMS_PROVIDER", "turbosms"), ("TURBOSMS_TOKEN", TURBOSMS_TOKEN), ("TURBOSMS_SENDER", "Salon"), ("TURBOSMS_API_URL", url)])
}

fn twilio(url: &str, from: &str) -> Sms {
    sms(&[
        ("SMS_PROVIDER", "twilio"),
        ("TWILIO_ACCOUNT_SID", "AC0123abc"),
        ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
        ("TWILIO_FROM", from),
        ("TWILIO_API_URL", url),
    ])
}

fn number() -> E164 {
    E164::parse(NUMBER).unwrap()
}

fn turbosms_answer(code: u32, status: &str, recipient: Value) -> String {
    json!({ "response_code": code, "response_status": status, "response_result": recipient }).to_string()
}

fn assert_temporary(result: Result<SmsSent, SmsError>) {
    assert!(matches!(result, Err(SmsError::Temporary(_))), "expected Temporary, got {result:?}");
}

fn assert_permanent(result: Result<SmsSent, SmsError>, reason: &str) {
    match result {
        Err(SmsError::Permanent(why)) => assert!(why.contains(reason), "{why}"),
        other => panic!("expected Permanent ({reason}), got {other:?}"),
    }
}

/// Everything logged at any level while `f` runs on this thread.
async fn logs_of<F: Future>(f: F) -> (F::Output, String) {
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let output = f.await;
    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (output, logs)
}

// --- TurboSMS -----------------------------------------------------------------------------

#[tokio::test]
async fn turbosms_posts_the_documented_request_and_returns_the_message_id() {
    let id = "f83f8868-5e46-c6cf-e4fb-615e5a293754";
    let recipient = json!([{ "phone": "380671234567", "response_code": 0, "message_id": id, "response_status": "OK" }]);
    let provider = FakeProvider::answering(200, &turbosms_answer(800, "SUCCESS_MESSAGE_ACCEPTED", recipient)).await;
    let sms = turbosms(&provider.url);

    let (sent, logs) = logs_of(sms.send(&number(), TEXT)).await;

    assert_eq!(sent.unwrap(), SmsSent { provider_id: Some(id.into()), segments: 1 });
    let request = provider.only_request();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/message/send.json"));
    assert_eq!(request.header("authorization"), format!("Bearer {TURBOSMS_TOKEN}"));
    assert_eq!(request.header("content-type"), "application/json");
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({ "recipients": ["380671234567"], "sms": { "sender": "Salon", "text": TEXT } }));
    assert!(logs.contains("turbosms") && logs.contains(id), "{logs}");
    for secret in [TURBOSMS_TOKEN, "380671234567", TEXT] {
        assert!(!logs.contains(secret), "{secret:?} logged: {logs}");
    }
    assert!(!format!("{sms:?}").contains(TURBOSMS_TOKEN), "{sms:?}");
}

#[tokio::test]
async fn turbosms_invalid_number_is_permanent() {
    let provider = FakeProvider::answering(200, &turbosms_answer(305, "INVALID_PHONE", Value::Null)).await;
    assert_permanent(turbosms(&provider.url).send(&number(), TEXT).await, "305 INVALID_PHONE");
}

#[tokio::test]
async fn turbosms_recipient_on_the_stop_list_is_permanent() {
    let recipient = json!([{ "phone": "380671234567", "response_code": 404, "message_id": null, "response_status": "NOT_ALLOWED_NUMBER_STOPLIST" }]);
    let provider = FakeProvider::answering(200, &turbosms_answer(0, "OK", recipient)).await;
    assert_permanent(turbosms(&provider.url).send(&number(), TEXT).await, "404 NOT_ALLOWED_NUMBER_STOPLIST");
}

#[tokio::test]
async fn turbosms_empty_balance_and_bad_token_are_temporary() {
    for (code, status) in [(203, "REQUIRED_BALANCE"), (105, "REQUIRED_AUTH"), (999, "FATAL_ERROR")] {
        let provider = FakeProvider::answering(200, &turbosms_answer(code, status, Value::Null)).await;
        assert_temporary(turbosms(&provider.url).send(&number(), TEXT).await);
    }
}

/// The API answers 200 to every request it handles; another status decides on its own, even
/// with a body that reads as accepted.
fn accepted() -> String {
    let recipient = json!([{ "phone": "380671234567", "response_code": 0, "message_id": "m-1", "response_status": "OK" }]);
    turbosms_answer(800, "SUCCESS_MESSAGE_ACCEPTED", recipient)
}

#[tokio::test]
async fn turbosms_server_error_is_temporary() {
    let provider = FakeProvider::answering(502, &accepted()).await;
    assert_temporary(turbosms(&provider.url).send(&number(), TEXT).await);
    assert_eq!(provider.requests().len(), 1);
}

#[tokio::test]
async fn turbosms_too_many_requests_is_temporary() {
    let provider = FakeProvider::answering(429, &accepted()).await;
    assert_temporary(turbosms(&provider.url).send(&number(), TEXT).await);
}

#[tokio::test]
async fn turbosms_unreadable_answer_is_temporary() {
    let provider = FakeProvider::answering(200, "<html>maintenance</html>").await;
    assert_temporary(turbosms(&provider.url).send(&number(), TEXT).await);
}

#[tokio::test]
async fn turbosms_connection_refused_is_temporary() {
    assert_temporary(turbosms(&nobody_listening().await).send(&number(), TEXT).await);
}

#[tokio::test]
async fn sms_empty_text_is_refused_before_the_provider_is_asked() {
    let provider = FakeProvider::answering(200, &accepted()).await;
    assert_permanent(turbosms(&provider.url).send(&number(), "").await, "empty text");
    assert_eq!(provider.requests().len(), 0);
}

// --- Twilio -------------------------------------------------------------------------------

fn form(request: &Recorded) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(&request.body).unwrap()
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn twilio_posts_the_documented_request_and_returns_the_sid() {
    let created = json!({ "sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": "queued", "num_segments": "2" });
    let provider = FakeProvider::answering(201, &created.to_string()).await;
    let sms = twilio(&provider.url, "+15005550006");
    let text = format!("{TEXT}. Чекаємо на вас у салоні «Аделанте», вул. Хрещатик, 1, Київ. До зустрічі!");
    assert_eq!(segments(&text), 2, "the text is long enough for two UCS-2 parts");

    let (sent, logs) = logs_of(sms.send(&number(), &text)).await;

    assert_eq!(sent.unwrap(), SmsSent { provider_id: Some("SM1f0e8ae6ade43cb3c0ce4525424e404f".into()), segments: 2 });
    let request = provider.only_request();
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/2010-04-01/Accounts/AC0123abc/Messages.json"));
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("AC0123abc:{TWILIO_TOKEN}"));
    assert_eq!(request.header("authorization"), format!("Basic {basic}"));
    assert_eq!(request.header("content-type"), "application/x-www-form-urlencoded");
    assert_eq!(form(&request), pairs(&[("To", "+380671234567"), ("From", "+15005550006"), ("Body", &text)]));
    assert!(logs.contains("twilio") && logs.contains("SM1f0e8ae6ade43cb3c0ce4525424e404f"), "{logs}");
    for secret in [TWILIO_TOKEN, basic.as_str(), "380671234567", TEXT] {
        assert!(!logs.contains(secret), "{secret:?} logged: {logs}");
    }
    assert!(!format!("{sms:?}").contains(TWILIO_TOKEN), "{sms:?}");
}

#[tokio::test]
async fn twilio_messaging_service_sid_is_sent_instead_of_from() {
    let provider = FakeProvider::answering(201, r#"{"sid": "SM0001"}"#).await;

    let sent = twilio(&provider.url, "MG9752274e9e519418a7406176694466fa").send(&number(), TEXT).await.unwrap();

    assert_eq!(sent.provider_id.as_deref(), Some("SM0001"));
    let fields = form(&provider.only_request());
    assert_eq!(fields, pairs(&[("To", "+380671234567"), ("MessagingServiceSid", "MG9752274e9e519418a7406176694466fa"), ("Body", TEXT)]));
}

async fn twilio_refusal(status: u16, code: u32, message: &str) -> Result<SmsSent, SmsError> {
    let body = json!({ "code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status });
    let provider = FakeProvider::answering(status, &body.to_string()).await;
    twilio(&provider.url, "+15005550006").send(&number(), TEXT).await
}

#[tokio::test]
async fn twilio_invalid_number_is_permanent() {
    let result = twilio_refusal(400, 21211, "Invalid 'To' Phone Number: +380671234567").await;
    assert_permanent(result, "code 21211");
}

#[tokio::test]
async fn twilio_unsubscribed_and_non_mobile_recipients_are_permanent() {
    assert_permanent(twilio_refusal(400, 21610, "Attempt to send to unsubscribed recipient").await, "code 21610");
    assert_permanent(twilio_refusal(400, 21614, "'To' number is not a valid mobile number").await, "code 21614");
    assert_permanent(twilio_refusal(400, 21408, "Permission to send an SMS has not been enabled for the region").await, "code 21408");
}

#[tokio::test]
async fn twilio_bad_credentials_are_temporary() {
    assert_temporary(twilio_refusal(401, 20003, "Authenticate").await);
}

#[tokio::test]
async fn twilio_server_error_is_temporary() {
    assert_temporary(twilio_refusal(503, 20500, "Service Unavailable").await);
}

#[tokio::test]
async fn twilio_too_many_requests_is_temporary() {
    assert_temporary(twilio_refusal(429, 20429, "Too Many Requests").await);
}

#[tokio::test]
async fn twilio_connection_refused_is_temporary() {
    assert_temporary(twilio(&nobody_listening().await, "+15005550006").send(&number(), TEXT).await);
}

// --- Log ----------------------------------------------------------------------------------

#[tokio::test]
async fn log_driver_writes_the_message_and_sends_nothing() {
    let provider = FakeProvider::answering(500, "{}").await;
    let sms = sms(&[("TURBOSMS_API_URL", &provider.url), ("TWILIO_API_URL", &provider.url)]);
    assert_eq!(format!("{sms:?}"), "Sms::Log");

    let (sent, logs) = logs_of(sms.send(&number(), TEXT)).await;

    assert_eq!(sent.unwrap(), SmsSent { provider_id: None, segments: 1 });
    assert!(logs.contains("+380671234567") && logs.contains(TEXT), "{logs}");
    assert_eq!(provider.requests().len(), 0, "the log driver makes no request");
}
