//! The black-box test harness: a fresh database per test cloned from a migrated template,
//! the real router served on 127.0.0.1:0 as `adelante_app`, real Redis, and helpers named for
//! what a user does.
#![allow(dead_code)]

pub mod cast;
pub mod smtp;
pub mod telegram;
pub mod visits;
pub mod ws;

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use cast::{Cast, booking, id};

use adelante::{AppState, Config, app, tenancy};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::OnceCell;

pub const JWT_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";
pub const BASE_DOMAIN: &str = "adelante.test";
pub const PASSWORD: &str = "correct-horse-battery";
pub const SECRETS_KEY: &str = "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2";

fn pg_host() -> String {
    std::env::var("TEST_PG_HOST").unwrap_or_else(|_| "127.0.0.1:5432".into())
}

pub fn superuser_url(db: &str) -> String {
    format!("postgres://postgres@{}/{db}", pg_host())
}

fn app_url(db: &str) -> String {
    format!("postgres://adelante_app@{}/{db}", pg_host())
}

fn owner_url(db: &str) -> String {
    format!("postgres://adelante_owner@{}/{db}", pg_host())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Settings for a test server; `overrides` replace single keys.
pub fn test_config(db: &str, outbox: &std::path::Path, overrides: &[(&str, &str)]) -> Config {
    let map = test_env(db, outbox, overrides);
    Config::from_lookup(&|k| map.get(k).cloned()).expect("test configuration is valid")
}

/// The settings of [`test_config`] as environment variables: for the binary run as a process.
pub fn test_env(db: &str, outbox: &std::path::Path, overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = [
        ("DATABASE_URL", app_url(db)),
        ("DATABASE_OWNER_URL", owner_url(db)),
        ("DATABASE_SUPERUSER_URL", superuser_url("postgres")),
        ("REDIS_URL", redis_url()),
        ("REDIS_PREFIX", format!("test:{db}:")),
        ("JWT_SECRET", JWT_SECRET.into()),
        ("BASE_DOMAIN", BASE_DOMAIN.into()),
        ("MAIL_OUTBOX_DIR", outbox.display().to_string()),
        ("DB_MAX_CONNECTIONS", "8".into()),
        ("SECRETS_KEY", SECRETS_KEY.into()),
        // Nothing listens there: a test that talks to Telegram starts a loopback Bot API.
        ("TELEGRAM_API_URL", "http://127.0.0.1:9".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in overrides {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    map
}

/// Name of a template database migrated with the current migrations and policies; created
/// once per content hash, under an advisory lock, whichever test process gets there first.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
            let mut hasher = Sha256::new();
            for dir in ["migrations", "policies"] {
                let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                for f in files {
                    hasher.update(f.file_name().unwrap().as_encoded_bytes());
                    hasher.update(std::fs::read(&f).unwrap());
                }
            }
            let name = format!("adelante_tmpl_{}", &hex::encode(hasher.finalize())[..16]);
            let mut su = PgConnection::connect(&superuser_url("postgres"))
                .await
                .expect("PostgreSQL answers");
            su.execute("select pg_advisory_lock(7345100)").await.unwrap();
            let exists: bool = sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                .bind(&name)
                .fetch_one(&mut su)
                .await
                .unwrap();
            if !exists {
                let building = format!("{name}_building");
                su.execute(sqlx::AssertSqlSafe(format!(
                    "drop database if exists {building} with (force)"
                )))
                .await
                .unwrap();
                let outbox = std::env::temp_dir();
                let config = test_config(&building, &outbox, &[]);
                tenancy::setup::bootstrap(&config).await.expect("bootstrap");
                tenancy::setup::migrate(&owner_url(&building)).await.expect("migrate");
                su.execute(sqlx::AssertSqlSafe(format!(
                    "alter database {building} rename to {name}"
                )))
                .await
                .unwrap();
            }
            su.execute("select pg_advisory_unlock(7345100)").await.unwrap();
            su.close().await.unwrap();
            name
        })
        .await
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct TestApp {
    pub addr: SocketAddr,
    pub db_name: String,
    pub outbox: PathBuf,
    pub state: AppState,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    /// False for a sibling: the first server drops the database.
    owns_db: bool,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// A server on a fresh database; `overrides` change settings (pool size, limits).
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let template = template().await;
        let db_name = format!(
            "adelante_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let mut su = PgConnection::connect(&superuser_url("postgres")).await.unwrap();
        su.execute(sqlx::AssertSqlSafe(format!("create database {db_name} template {template} owner adelante_owner")))
            .await
            .expect("create test database");
        // Database-level grants are not copied from the template: what `migrate` revokes.
        su.execute(sqlx::AssertSqlSafe(format!("revoke temporary on database {db_name} from public")))
            .await
            .unwrap();
        su.close().await.unwrap();

        let outbox = std::env::temp_dir().join(&db_name).join("outbox");
        std::fs::create_dir_all(&outbox).unwrap();
        Self::serve(db_name, outbox, overrides, true).await
    }

    async fn serve(db_name: String, outbox: PathBuf, overrides: &[(&str, &str)], owns_db: bool) -> Self {
        let state = AppState::connect(test_config(&db_name, &outbox, overrides))
            .await
            .expect("app connects");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = app::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        TestApp {
            addr,
            db_name,
            outbox,
            state,
            client,
            server,
            owns_db,
        }
    }

    /// A second server process on the same database and Redis, with its own pools and caches:
    /// what another replica behind the load balancer is.
    pub async fn sibling(&self) -> Self {
        Self::serve(self.db_name.clone(), self.outbox.clone(), &[], false).await
    }

    /// Marks the salon's data as changed, as every write through the API does: needed after a
    /// test edits rows behind the server's back with [`Self::su`].
    pub async fn touch(&self, salon_id: i64) {
        self.state.versions.bump(adelante::tenancy::SalonId(salon_id)).await;
    }

    /// Fixes the instant every later request of this server sees as "now" (the salons'
    /// clocks, `tenancy::SalonClock`), as RFC 3339: `"2026-05-13T21:30:00Z"` is already the
    /// 14th in Kyiv. Tokens keep the real time.
    pub fn freeze_clock(&self, at: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 instant");
        self.state.db.clock().freeze(at.with_timezone(&chrono::Utc));
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A superuser connection to this test's database: sees every salon's rows, for asserting
    /// what was (not) written.
    pub async fn su(&self) -> PgConnection {
        PgConnection::connect(&superuser_url(&self.db_name)).await.unwrap()
    }

    /// A direct connection as the app role, with no tenant set.
    pub async fn app_role(&self) -> PgConnection {
        PgConnection::connect(&app_url(&self.db_name)).await.unwrap()
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        self.request_with(method, path, token, body, &[]).await
    }

    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        Res::from(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Res {
        self.request(Method::PUT, path, Some(token), Some(body)).await
    }

    /// Registers a new salon with its admin, signed in.
    pub async fn new_salon(&self, name: &str) -> Session {
        let email = format!("admin-{}@example.com", rand_suffix());
        let res = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "first_name": "Олена",
                       "last_name": "Адмін", "phone": "+380671234567", "salon_name": name}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "register: {}", res.body);
        Session::from_answer(&res.body, &email)
    }

    pub async fn login(&self, email: &str, password: &str) -> Res {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login_ok(&self, email: &str, password: &str) -> Session {
        let res = self.login(email, password).await;
        assert_eq!(res.status, StatusCode::OK, "login: {}", res.body);
        Session::from_answer(&res.body, email)
    }

    /// An administrator invites a staff account (no password yet).
    pub async fn invite(&self, admin: &Session, email: &str, role: &str) -> i64 {
        let res = self
            .post(
                "/api/v1/users",
                Some(&admin.access),
                json!({"email": email, "first_name": "Ірина", "last_name": "Майстер", "role": role}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "invite: {}", res.body);
        res.body["id"].as_i64().unwrap()
    }

    /// The token of the latest invitation link mailed to `email` (the queued mails are sent
    /// first).
    pub async fn invitation_token(&self, email: &str) -> String {
        const LINK: &str = "/api/v1/auth/invitations/";
        self.run_jobs().await;
        let mail = self
            .outbox_mails()
            .into_iter()
            .rev()
            .find(|m| m.contains(&format!("To: {email}")) && m.contains(LINK))
            .unwrap_or_else(|| panic!("no invitation mailed to {email}"));
        let start = mail.find(LINK).unwrap() + LINK.len();
        mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect()
    }

    /// Opens the invitation link mailed to `email`, as its owner's browser would, and answers
    /// the redirect (not followed).
    pub async fn open_invitation(&self, email: &str) -> reqwest::Response {
        let token = self.invitation_token(email).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        client.get(self.url(&format!("/api/v1/auth/invitations/{token}"))).send().await.unwrap()
    }

    /// Invites an account and sets its password through the invitation and /auth/setup,
    /// signed in.
    pub async fn staff(&self, admin: &Session, role: &str) -> Session {
        let email = format!("{role}-{}@example.com", rand_suffix());
        self.invite(admin, &email, role).await;
        self.open_invitation(&email).await;
        let res = self.post("/api/v1/auth/setup", None, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(res.status, StatusCode::OK, "setup: {}", res.body);
        Session::from_answer(&res.body, &email)
    }

    /// Runs every background job due now (mails, imports), as the worker of `serve` would, and
    /// returns when they are done. The test server runs no worker of its own, so a test
    /// decides when jobs run.
    pub async fn run_jobs(&self) {
        let kinds = app::job_kinds(&self.state);
        adelante::jobs::worker::run_due(&self.state.config, &kinds).await.expect("due jobs ran");
    }

    /// Runs the worker of `serve` beside this server until the guard is dropped: for tests that
    /// watch a job as it runs (progress events, two workers).
    pub fn start_worker(&self) -> Worker {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(app::run_worker(self.state.clone(), stopped));
        Worker { stop, task }
    }

    /// E-mails written to the outbox so far, decoded: headers and body as text.
    pub fn outbox_mails(&self) -> Vec<String> {
        let mut mails: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&self.outbox)
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| {
                        (
                            e.metadata().unwrap().modified().unwrap(),
                            decode_mail(&std::fs::read(e.path()).unwrap()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        mails.sort();
        mails.into_iter().map(|(_, m)| m).collect()
    }

    /// Sends the queued mails and answers the outbox, which must hold `n` mails by then.
    pub async fn wait_for_mails(&self, n: usize) -> Vec<String> {
        self.run_jobs().await;
        let mails = self.outbox_mails();
        assert!(mails.len() >= n, "expected {n} mails in {}, found {}", self.outbox.display(), mails.len());
        mails
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if !self.owns_db {
            return;
        }
        let name = self.db_name.clone();
        let dir = std::env::temp_dir().join(&name);
        // Dropped on a separate thread: Drop cannot await, and the test's runtime is ending.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut su) = PgConnection::connect(&superuser_url("postgres")).await {
                    let _ = su
                        .execute(sqlx::AssertSqlSafe(format!(
                            "drop database if exists {name} with (force)"
                        )))
                        .await;
                }
            });
            let _ = std::fs::remove_dir_all(dir);
        })
        .join();
    }
}

/// A running worker; stops when dropped.
pub struct Worker {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        self.task.abort();
    }
}

/// The headers and the text/plain part of a mail, decoded (as [`smtp::Delivered`] reads one).
fn decode_mail(raw: &[u8]) -> String {
    let mail = mailparse::parse_mail(raw).expect("a valid e-mail");
    let headers: String = mail
        .headers
        .iter()
        .map(|h| format!("{}: {}\n", h.get_key(), h.get_value()))
        .collect();
    let delivered = smtp::Delivered { from: String::new(), to: Vec::new(), raw: String::from_utf8_lossy(raw).into_owned() };
    format!("{headers}\n{}", delivered.text())
}

impl TestApp {
    /// POSTs `bytes` as the multipart part `file` named `file_name`, as the import screens do.
    pub async fn upload_file(&self, who: &Session, path: &str, file_name: &str, bytes: &[u8]) -> Res {
        let boundary = "adelante-test-boundary-7f3a";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let res = self
            .client
            .post(self.url(path))
            .bearer_auth(&who.access)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .expect("upload sent");
        Res::from(res).await
    }
}

pub fn rand_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

/// `n` random decimal digits (phone numbers that do not collide between tests).
pub fn rand_digits(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: i64,
    pub email: String,
}

impl Session {
    pub fn from_answer(body: &Value, email: &str) -> Self {
        Session {
            access: body["access_token"].as_str().expect("access_token").to_owned(),
            refresh: body["refresh_token"].as_str().expect("refresh_token").to_owned(),
            user_id: body["user"]["id"].as_i64().expect("user.id"),
            email: email.to_owned(),
        }
    }

    /// The salon id from the access token's claims.
    pub fn salon_id(&self) -> i64 {
        claims(&self.access)["salon_id"].as_i64().unwrap()
    }
}

/// Decodes a JWT's payload the way the web client does (plain base64, `atob`).
pub fn claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let padded = format!("{payload}{}", "=".repeat((4 - payload.len() % 4) % 4));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(padded)
        .expect("payload decodes with standard base64");
    serde_json::from_slice(&bytes).unwrap()
}

/// A response with its body read as JSON (or `Value::Null` when empty / not JSON).
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Res {
    pub async fn from(res: reqwest::Response) -> Self {
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts the contract's error envelope: a string `message` and a string `code`.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert!(
            self.body["message"].is_string(),
            "message must be a string: {}",
            self.text
        );
        assert_eq!(self.body["code"], code, "body: {}", self.text);
    }
}
