//! Typed settings, read once from the environment (and `.env` in development).
//!
//! `Config::from_env` reports every missing or malformed variable together, so a
//! misconfigured deployment fails at start with one complete message. Nothing else in the
//! crate reads `std::env`.

use std::{net::SocketAddr, path::PathBuf, str::FromStr, time::Duration};

use secrecy::{ExposeSecret, SecretString};

#[derive(Clone)]
pub struct Config {
    /// Connection for the server and worker: the `adelante_app` role (no RLS bypass).
    pub database_url: SecretString,
    /// Connection for migrations: the role that owns the tables.
    pub database_owner_url: SecretString,
    /// Superuser connection, used only by `adelante bootstrap` to create roles and the database.
    pub database_superuser_url: Option<SecretString>,
    pub db_max_connections: u32,
    pub platform_db_max_connections: u32,
    /// `None` runs with in-process stand-ins (single node).
    pub redis_url: Option<SecretString>,
    /// Prepended to every Redis key, so several deployments (or test runs) can share one Redis.
    pub redis_prefix: String,
    pub bind: SocketAddr,
    /// Salons live at `<slug>.<base_domain>`.
    pub base_domain: String,
    pub allowed_origins: Vec<String>,
    pub jwt_secret: SecretString,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub password_reset_ttl: Duration,
    pub invite_ttl: Duration,
    pub login_max_failures: u32,
    pub login_window: Duration,
    /// Trust the last `X-Forwarded-For` hop (set behind an ingress, never when exposed directly).
    pub trust_proxy: bool,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Time a client has to send its whole request body (408 after).
    pub body_read_timeout: Duration,
    /// Imports, exports and PDFs one salon may run at a time on one process (429 above).
    pub heavy_requests_per_salon: usize,
    /// Jobs one worker process runs at once.
    pub jobs_concurrency: usize,
    /// A job whose worker stopped answering (crashed, killed, lost its network) for this long
    /// is handed to another worker.
    pub jobs_recovery_after: Duration,
    /// Serve `/metrics` alone on this address as well (a private port for the scraper).
    pub metrics_bind: Option<SocketAddr>,
    /// Serve `/metrics` on the public port to requests bearing this token. Without it (and
    /// without `metrics_bind`) the metrics are not served at all.
    pub metrics_token: Option<SecretString>,
    /// Public web app, used to build links in e-mails.
    pub frontend_url: String,
    pub mail_from: String,
    /// `None` writes `.eml` files to `mail_outbox_dir` instead of sending.
    pub smtp_url: Option<SecretString>,
    pub mail_outbox_dir: PathBuf,
    pub log_format: LogFormat,
    /// Public address of this server (`scheme://host[:port]`), for links to uploaded files
    /// that the web app puts in `<img src>`.
    pub public_url: String,
    /// Root of the local-disk file store.
    pub upload_dir: PathBuf,
    /// Largest avatar upload accepted (413 above).
    pub avatar_max_bytes: usize,
    pub sms: SmsProvider,
    /// Seals secrets kept in the database (salons' bot tokens); without it no bot can be
    /// connected.
    pub secrets_key: Option<SecretString>,
    /// The Bot API's base URL (Telegram's own; a loopback server in tests).
    pub telegram_api_url: String,
    /// The platform's own bot: Telegram sign-in on the bare domain.
    pub platform_telegram_bot_token: Option<SecretString>,
}

/// The SMS driver (`SMS_PROVIDER`) with its credentials. The API URLs are the providers' own
/// unless overridden (tests point them at loopback).
#[derive(Clone, Debug)]
pub enum SmsProvider {
    /// Writes each message to the log instead of sending it (the embedded default).
    Log,
    TurboSms { token: SecretString, sender: String, api_url: String },
    /// `from` is a number or alphanumeric sender, or a Messaging Service SID (`MG…`).
    Twilio { account_sid: String, auth_token: SecretString, from: String, api_url: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets are `SecretString` and print as redacted; list the plain settings.
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("base_domain", &self.base_domain)
            .field("allowed_origins", &self.allowed_origins)
            .field("redis", &self.redis_url.is_some())
            .field("smtp", &self.smtp_url.is_some())
            .field("sms", &self.sms)
            .finish_non_exhaustive()
    }
}

/// Collects every problem so the operator sees them all at once.
struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn raw(&self, key: &str) -> Option<String> {
        (self.get)(key).filter(|v| !v.trim().is_empty())
    }

    fn required(&mut self, key: &str) -> String {
        self.raw(key).unwrap_or_else(|| {
            self.problems.push(format!("{key} is not set"));
            String::new()
        })
    }

    fn or(&mut self, key: &str, default: &str) -> String {
        self.raw(key).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T: FromStr>(&mut self, key: &str, default: T) -> T {
        match self.raw(key) {
            None => default,
            Some(v) => v.trim().parse().unwrap_or_else(|_| {
                self.problems.push(format!("{key} has an invalid value {v:?}"));
                default
            }),
        }
    }

    fn minutes(&mut self, key: &str, default: u64) -> Duration {
        Duration::from_secs(self.parse(key, default) * 60)
    }

    /// An `http(s)` base URL, kept without its trailing slash so paths can follow it.
    fn base_url(&mut self, key: &str, default: &str) -> String {
        let url = self.or(key, default).trim().trim_end_matches('/').to_owned();
        if !url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            self.problems.push(format!("{key} must be an http(s) URL, not {url:?}"));
        }
        url
    }

    /// Credentials are required only for the provider that is chosen.
    fn sms(&mut self) -> SmsProvider {
        match self.or("SMS_PROVIDER", "log").trim() {
            "log" => SmsProvider::Log,
            "turbosms" => SmsProvider::TurboSms {
                token: self.required("TURBOSMS_TOKEN").into(),
                sender: self.required("TURBOSMS_SENDER"),
                api_url: self.base_url("TURBOSMS_API_URL", "https://api.turbosms.ua"),
            },
            "twilio" => SmsProvider::Twilio {
                account_sid: self.required("TWILIO_ACCOUNT_SID"),
                auth_token: self.required("TWILIO_AUTH_TOKEN").into(),
                from: self.required("TWILIO_FROM"),
                api_url: self.base_url("TWILIO_API_URL", "https://api.twilio.com"),
            },
            other => {
                self.problems.push(format!("SMS_PROVIDER must be log, turbosms or twilio, not {other:?}"));
                SmsProvider::Log
            }
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(&|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut r = Reader { get, problems: Vec::new() };
        let jwt_secret = r.required("JWT_SECRET");
        if !jwt_secret.is_empty() && jwt_secret.len() < 32 {
            r.problems.push("JWT_SECRET must be at least 32 characters".into());
        }
        let log_format = match r.or("LOG_FORMAT", "text").as_str() {
            "json" => LogFormat::Json,
            "text" => LogFormat::Text,
            other => {
                r.problems.push(format!("LOG_FORMAT must be text or json, not {other:?}"));
                LogFormat::Text
            }
        };
        let config = Config {
            database_url: r.required("DATABASE_URL").into(),
            database_owner_url: r.required("DATABASE_OWNER_URL").into(),
            database_superuser_url: r.raw("DATABASE_SUPERUSER_URL").map(Into::into),
            db_max_connections: r.parse("DB_MAX_CONNECTIONS", 20),
            platform_db_max_connections: r.parse("PLATFORM_DB_MAX_CONNECTIONS", 4),
            redis_url: r.raw("REDIS_URL").map(Into::into),
            redis_prefix: r.or("REDIS_PREFIX", "adelante:"),
            bind: r.parse("BIND_ADDR", SocketAddr::from(([0, 0, 0, 0], 8000))),
            base_domain: r.or("BASE_DOMAIN", "adelante.localhost").to_ascii_lowercase(),
            allowed_origins: r
                .or("ALLOWED_ORIGINS", "http://localhost:3000")
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
            jwt_secret: jwt_secret.into(),
            jwt_issuer: r.or("JWT_ISSUER", "adelante"),
            jwt_audience: r.or("JWT_AUDIENCE", "adelante-web"),
            access_token_ttl: r.minutes("ACCESS_TOKEN_EXPIRE_MINUTES", 30),
            refresh_token_ttl: Duration::from_secs(r.parse("REFRESH_TOKEN_EXPIRE_DAYS", 30u64) * 86_400),
            password_reset_ttl: r.minutes("PASSWORD_RESET_EXPIRE_MINUTES", 60),
            invite_ttl: Duration::from_secs(r.parse("INVITE_EXPIRE_DAYS", 14u64) * 86_400),
            login_max_failures: r.parse("LOGIN_MAX_FAILURES", 10),
            login_window: r.minutes("LOGIN_WINDOW_MINUTES", 15),
            trust_proxy: r.parse("TRUST_PROXY", false),
            request_timeout: Duration::from_secs(r.parse("REQUEST_TIMEOUT_SECONDS", 30)),
            body_limit_bytes: r.parse("BODY_LIMIT_MB", 10usize) * 1024 * 1024,
            body_read_timeout: Duration::from_secs(r.parse("BODY_READ_TIMEOUT_SECONDS", 20)),
            heavy_requests_per_salon: r.parse("HEAVY_REQUESTS_PER_SALON", 2),
            jobs_concurrency: r.parse("JOBS_CONCURRENCY", 4),
            jobs_recovery_after: Duration::from_secs(r.parse("JOBS_RECOVERY_AFTER_SECONDS", 60)),
            metrics_bind: r.raw("METRICS_BIND_ADDR").map(|_| r.parse("METRICS_BIND_ADDR", SocketAddr::from(([127, 0, 0, 1], 9100)))),
            metrics_token: r.raw("METRICS_TOKEN").map(Into::into),
            frontend_url: r.or("FRONTEND_URL", "http://localhost:3000").trim_end_matches('/').to_owned(),
            mail_from: r.or("MAIL_FROM", "Adelante <no-reply@adelante.localhost>"),
            smtp_url: r.raw("SMTP_URL").map(Into::into),
            mail_outbox_dir: PathBuf::from(r.or("MAIL_OUTBOX_DIR", "var/outbox")),
            log_format,
            public_url: r.or("PUBLIC_URL", "http://localhost:8000").trim_end_matches('/').to_owned(),
            upload_dir: PathBuf::from(r.or("UPLOAD_DIR", "var/uploads")),
            avatar_max_bytes: r.parse("AVATAR_MAX_BYTES", 5 * 1024 * 1024),
            sms: r.sms(),
            secrets_key: r.raw("SECRETS_KEY").map(Into::into),
            telegram_api_url: r.base_url("TELEGRAM_API_URL", "https://api.telegram.org"),
            platform_telegram_bot_token: r.raw("PLATFORM_TELEGRAM_BOT_TOKEN").map(Into::into),
        };
        if let Some(Err(e)) = config.secrets_key.as_ref().map(|k| crate::secrets::Sealer::from_hex(k.expose_secret())) {
            r.problems.push(e);
        }
        if config.metrics_token.as_ref().is_some_and(|t| t.expose_secret().len() < 16) {
            r.problems.push("METRICS_TOKEN must be at least 16 characters".into());
        }
        if config.body_read_timeout.is_zero() || config.body_read_timeout > config.request_timeout {
            r.problems.push("BODY_READ_TIMEOUT_SECONDS must be between 1 and REQUEST_TIMEOUT_SECONDS".into());
        }
        if config.jobs_concurrency == 0 {
            r.problems.push("JOBS_CONCURRENCY must be at least 1".into());
        }
        if config.jobs_recovery_after < Duration::from_secs(3) {
            r.problems.push("JOBS_RECOVERY_AFTER_SECONDS must be at least 3".into());
        }
        if r.problems.is_empty() {
            Ok(config)
        } else {
            Err(format!("configuration errors:\n  - {}", r.problems.join("\n  - ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_example_documents_every_setting() {
        let asked = std::cell::RefCell::new(Vec::<String>::new());
        let _ = Config::from_lookup(&|k| {
            asked.borrow_mut().push(k.to_owned());
            None
        });
        let example = include_str!("../.env.example");
        let asked = asked.into_inner();
        assert!(asked.len() > 20, "{asked:?}");
        for key in asked {
            assert!(example.lines().any(|l| l.starts_with(&format!("{key}="))), "{key} missing from .env.example");
        }
    }

    /// `make run` copies .env.example to .env, which the server and the query macros read with
    /// dotenvy: one line it cannot parse (an unquoted value with a space) stops the reading there.
    #[test]
    fn env_example_parses_whole_and_configures_the_server() {
        let pairs: HashMap<String, String> = dotenvy::from_read_iter(include_str!("../.env.example").as_bytes())
            .collect::<Result<_, _>>()
            .expect(".env.example must parse as a whole");
        let documented = include_str!("../.env.example").lines().filter(|l| l.contains('=') && !l.starts_with('#')).count();
        assert_eq!(pairs.len(), documented, "every setting line is read");
        assert_eq!(pairs["MAIL_FROM"], "Adelante <no-reply@adelante.localhost>");
        let mut pairs = pairs;
        pairs.insert("JWT_SECRET".into(), "a-test-secret-of-at-least-32-bytes!!".into());
        Config::from_lookup(&|k| pairs.get(k).cloned()).expect("the example configures the server");
    }

    #[test]
    fn reports_every_missing_setting_at_once() {
        let err = Config::from_lookup(&lookup(&[])).unwrap_err();
        for key in ["DATABASE_URL", "DATABASE_OWNER_URL", "JWT_SECRET"] {
            assert!(err.contains(key), "{key} missing from {err}");
        }
    }

    #[test]
    fn rejects_short_secret_and_bad_numbers() {
        let err = Config::from_lookup(&lookup(&[
            ("DATABASE_URL", "postgres://a"),
            ("DATABASE_OWNER_URL", "postgres://b"),
            ("JWT_SECRET", "short"),
            ("DB_MAX_CONNECTIONS", "many"),
        ]))
        .unwrap_err();
        assert!(err.contains("JWT_SECRET must be at least 32"));
        assert!(err.contains("DB_MAX_CONNECTIONS"));
    }

    #[test]
    fn parses_origins_and_defaults() {
        let c = Config::from_lookup(&lookup(&[
            ("DATABASE_URL", "postgres://a"),
            ("DATABASE_OWNER_URL", "postgres://b"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("ALLOWED_ORIGINS", "http://localhost:3000/, https://crm.example.com"),
        ]))
        .unwrap();
        assert_eq!(c.allowed_origins, ["http://localhost:3000", "https://crm.example.com"]);
        assert_eq!(c.access_token_ttl, Duration::from_secs(1800));
        assert!(c.redis_url.is_none());
    }

    fn sms_config(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let base = [("DATABASE_URL", "postgres://a"), ("DATABASE_OWNER_URL", "postgres://b"), ("JWT_SECRET", "0123456789abcdef0123456789abcdef")];
        Config::from_lookup(&lookup(&[&base[..], pairs].concat()))
    }

    #[test]
    fn sms_goes_to_the_log_by_default() {
        assert!(matches!(sms_config(&[]).unwrap().sms, SmsProvider::Log));
    }

    #[test]
    fn sms_provider_names_each_missing_credential() {
        let err = sms_config(&[("SMS_PROVIDER", "turbosms")]).unwrap_err();
        assert!(err.contains("TURBOSMS_TOKEN is not set") && err.contains("TURBOSMS_SENDER is not set"), "{err}");
        let err = sms_config(&[("SMS_PROVIDER", "twilio"), ("TWILIO_FROM", "+15005550006")]).unwrap_err();
        assert!(err.contains("TWILIO_ACCOUNT_SID is not set") && err.contains("TWILIO_AUTH_TOKEN is not set"), "{err}");
        assert!(!err.contains("TWILIO_FROM"), "{err}");
    }

    #[test]
    fn sms_rejects_unknown_provider_and_bad_api_url() {
        let err = sms_config(&[("SMS_PROVIDER", "smsc")]).unwrap_err();
        assert!(err.contains("SMS_PROVIDER must be log, turbosms or twilio"), "{err}");
        let err = sms_config(&[("SMS_PROVIDER", "turbosms"), ("TURBOSMS_TOKEN", "t"), ("TURBOSMS_SENDER", "Salon"), ("TURBOSMS_API_URL", "api.turbosms.ua")])
            .unwrap_err();
        assert!(err.contains("TURBOSMS_API_URL must be an http(s) URL"), "{err}");
    }

    #[test]
    fn sms_settings_are_read_and_kept_out_of_debug() {
        let c = sms_config(&[
            ("SMS_PROVIDER", "twilio"),
            ("TWILIO_ACCOUNT_SID", "AC0123"),
            ("TWILIO_AUTH_TOKEN", "twilio-secret-token"),
            ("TWILIO_FROM", "MG0123"),
            ("TWILIO_API_URL", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        let SmsProvider::Twilio { account_sid, auth_token, from, api_url } = &c.sms else { panic!("{:?}", c.sms) };
        assert_eq!((account_sid.as_str(), from.as_str(), api_url.as_str()), ("AC0123", "MG0123", "http://127.0.0.1:9"));
        assert_eq!(auth_token.expose_secret(), "twilio-secret-token");
        assert!(!format!("{c:?}").contains("twilio-secret-token"), "{c:?}");
    }

    /// Provider settings are read only when that provider is chosen, so the general check
    /// above never asks for them.
    #[test]
    fn sms_settings_are_in_env_example() {
        for provider in ["turbosms", "twilio"] {
            let asked = std::cell::RefCell::new(Vec::<String>::new());
            let _ = Config::from_lookup(&|k| {
                asked.borrow_mut().push(k.to_owned());
                (k == "SMS_PROVIDER").then(|| provider.to_owned())
            });
            let example = include_str!("../.env.example");
            for key in asked.into_inner() {
                assert!(example.lines().any(|l| l.starts_with(&format!("{key}="))), "{key} missing from .env.example");
            }
        }
    }
}
