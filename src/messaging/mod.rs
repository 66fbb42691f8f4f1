//! Outgoing messages. E-mail goes through [`Mailer`]: SMTP in production, `.eml` files in an
//! outbox folder by default (so `make run` needs no mail server and tests can read the mail).
//!
//! Mail is never sent from a request: the request enqueues a job ([`SendEmail`], or a kind of
//! its own that builds the mail when it runs) in its transaction, and the worker sends it,
//! retrying while the mail server refuses. Every mail's words are a template
//! ([`templates`]) framed by the salon's name and contacts ([`SalonContacts`]).

pub mod appointments;
mod contacts;
mod ics;
mod job;
pub mod sms;
pub mod telegram;
mod smtp;
pub mod templates;
pub mod visits;

pub use job::{Channel, MessageStatus, SendVisitMessage, SentMessage, VisitParts, visit_messages};
pub use sms::{E164, Sms, SmsError, SmsSent};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::jobs::{self, Job, Salon, When};
use crate::{error::AppError, tenancy::TenantTx};

pub use appointments::{Visit, visit_email, visit_sms};
pub use visits::Purpose;
pub use contacts::SalonContacts;

use lettre::{
    AsyncFileTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart, SinglePart, header::ContentType},
};

pub use smtp::Smtp;

/// One mail: plain text always, HTML beside it when the template has one, and attachments.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// Absent in jobs queued before mails had HTML.
    #[serde(default)]
    pub html: Option<String>,
    /// Small files only: a queued [`SendEmail`] keeps them in its payload. What can be built
    /// when the job runs (a receipt's PDF) is built then, by a job kind of its own.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A file attached to an [`Email`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    /// A MIME type, with parameters if any (`text/calendar; method=PUBLISH`).
    pub content_type: String,
    /// Base64 in JSON, so a queued mail stays a readable JSON payload.
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

mod base64_bytes {
    use base64::{Engine, engine::general_purpose::STANDARD};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        STANDARD.decode(String::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[derive(Clone)]
pub enum Mailer {
    Smtp { smtp: std::sync::Arc<Smtp>, from: Mailbox },
    Outbox { transport: AsyncFileTransport<Tokio1Executor>, dir: PathBuf, from: Mailbox },
}

impl Mailer {
    /// SMTP when `smtp_url` is set ([`Smtp`]: `smtps://` is TLS, `smtp://…?tls=required`
    /// STARTTLS, a bare `smtp://` plain SMTP without TLS, what the tests' loopback server
    /// speaks), otherwise `.eml` files under `outbox_dir`.
    pub fn new(smtp_url: Option<&str>, outbox_dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        Ok(match smtp_url {
            Some(url) => Mailer::Smtp { smtp: std::sync::Arc::new(Smtp::from_url(url)?), from },
            None => {
                std::fs::create_dir_all(&outbox_dir)?;
                Mailer::Outbox { transport: AsyncFileTransport::new(&outbox_dir), dir: outbox_dir, from }
            }
        })
    }

    pub async fn send(&self, email: &Email) -> anyhow::Result<()> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from.clone(),
        };
        // lettre encodes a non-ASCII subject as RFC 2047 encoded words.
        let builder = Message::builder().from(from).to(email.to.parse()?).subject(&email.subject);
        let message = match body(email)? {
            Body::Single(part) => builder.singlepart(part)?,
            Body::Multi(parts) => builder.multipart(parts)?,
        };
        match self {
            Mailer::Smtp { smtp, .. } => smtp.send(&message).await?,
            Mailer::Outbox { transport, .. } => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }

    /// Sends `email` from a job: a mail server's permanent refusal (a 5xx answer: no such
    /// mailbox, a rejected address) is logged and counted, and answered `Ok` so the job is not
    /// retried; any other failure is the job's error, retried later.
    pub async fn deliver(&self, email: &Email) -> anyhow::Result<()> {
        match self.send(email).await {
            Err(e) if refused(&e) => {
                tracing::warn!(to = %email.to, subject = %email.subject, error = %e, "the mail server refused the mail for good");
                metrics::counter!("adelante_mail_refused_total").increment(1);
                Ok(())
            }
            result => result,
        }
    }

    /// The outbox folder, when mail is written to files.
    pub fn outbox_dir(&self) -> Option<&PathBuf> {
        match self {
            Mailer::Outbox { dir, .. } => Some(dir),
            Mailer::Smtp { .. } => None,
        }
    }
}

/// Whether sending failed on a mail server's permanent (5xx) answer, which no retry mends.
pub fn refused(e: &anyhow::Error) -> bool {
    e.downcast_ref::<lettre::transport::smtp::Error>().is_some_and(lettre::transport::smtp::Error::is_permanent)
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

/// Text alone; text and HTML as multipart/alternative; either inside multipart/mixed with the
/// attachments after it.
fn body(email: &Email) -> anyhow::Result<Body> {
    let readable = match &email.html {
        Some(html) => Body::Multi(MultiPart::alternative_plain_html(email.text.clone(), html.clone())),
        None => Body::Single(SinglePart::plain(email.text.clone())),
    };
    if email.attachments.is_empty() {
        return Ok(readable);
    }
    let mut mixed = match readable {
        Body::Single(part) => MultiPart::mixed().singlepart(part),
        Body::Multi(parts) => MultiPart::mixed().multipart(parts),
    };
    for a in &email.attachments {
        let content_type = ContentType::parse(&a.content_type)?;
        mixed = mixed.singlepart(lettre::message::Attachment::new(a.filename.clone()).body(a.bytes.clone(), content_type));
    }
    Ok(Body::Multi(mixed))
}

/// What a mail job that builds its mail when it runs needs: the mailer, and the settings its
/// links and addresses come from (the web app's address, link lifetimes).
#[derive(Debug, Clone)]
pub struct MailParts {
    pub mailer: Mailer,
    pub config: std::sync::Arc<crate::config::Config>,
}

/// Sends one e-mail whose whole text is known when it is enqueued. Mails that carry a secret
/// link are not this kind: the queue would keep the secret (see `auth::links`).
#[derive(Debug, Serialize, Deserialize)]
pub struct SendEmail(pub Email);

impl SendEmail {
    /// Enqueues `email` in `tx`: it is sent once `tx` commits, never if it rolls back.
    pub async fn enqueue(tx: &mut TenantTx, email: Email) -> Result<(), AppError> {
        jobs::enqueue(tx, &SendEmail(email), When::now()).await.map(drop)
    }
}

impl Job for SendEmail {
    const KIND: &'static str = "send_email";
    type Parts = Mailer;

    async fn run(self, _salon: &Salon, mailer: &Mailer) -> anyhow::Result<()> {
        mailer.deliver(&self.0).await
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { smtp, from } => write!(f, "Mailer::{smtp:?}({from})"),
            Mailer::Outbox { dir, from, .. } => write!(f, "Mailer::Outbox({}, {from})", dir.display()),
        }
    }
}
