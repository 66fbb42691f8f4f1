//! Outgoing messages. E-mail goes through [`Mailer`]: SMTP in production, `.eml` files in an
//! outbox folder by default (so `make run` needs no mail server and tests can read the mail).
//!
//! Mail is never sent from a request: the request enqueues a job ([`SendEmail`], or a kind of
//! its own that builds the mail when it runs) in its transaction, and the worker sends it,
//! retrying while the mail server refuses.

pub mod appointments;
mod job;
pub mod sms;
pub mod visits;

pub use job::{Channel, MessageStatus, SentMessage, VisitMessage, VisitParts, visit_messages};
pub use sms::{E164, Sms, SmsError, SmsSent};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::jobs::{self, Job, Salon, When};
use crate::{error::AppError, tenancy::TenantTx};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Outbox { transport: AsyncFileTransport<Tokio1Executor>, dir: PathBuf, from: Mailbox },
}

impl Mailer {
    /// SMTP when `smtp_url` is set (`smtp://`, `smtps://` with credentials in the URL),
    /// otherwise `.eml` files under `outbox_dir`.
    pub fn new(smtp_url: Option<&str>, outbox_dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM is not a mailbox: {e}"))?;
        Ok(match smtp_url {
            Some(url) => Mailer::Smtp { transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(), from },
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
        let message = Message::builder()
            .from(from)
            .to(email.to.parse()?)
            .subject(&email.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await?;
            }
            Mailer::Outbox { transport, .. } => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }

    /// The outbox folder, when mail is written to files.
    pub fn outbox_dir(&self) -> Option<&PathBuf> {
        match self {
            Mailer::Outbox { dir, .. } => Some(dir),
            Mailer::Smtp { .. } => None,
        }
    }
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
        mailer.send(&self.0).await
    }
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp({from})"),
            Mailer::Outbox { dir, from, .. } => write!(f, "Mailer::Outbox({}, {from})", dir.display()),
        }
    }
}
