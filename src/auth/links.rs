//! Mails that carry a single-use link: an invitation, a password reset, a confirmation of a new
//! e-mail. The request records the link's row (invitation, reset or e-mail change) and enqueues
//! a [`LinkMail`] in the same transaction; the job mints the link's secret when it runs, stores
//! its SHA-256 in the row and mails the link. So the secret exists only in the mail: never in
//! the queue, never in a failed job an operator reads. A row that was used, expired or replaced
//! before the job ran gets no mail. When a retry mails again, the newer link is the one that
//! works.

use serde::{Deserialize, Serialize};

use super::{
    invitations::OPENED_WINDOW,
    tokens::{OpaqueToken, sha256},
};
use crate::{
    config::Config,
    error::AppError,
    jobs::{self, Job, Salon, When},
    messaging::{
        Email, MailParts, SalonContacts,
        templates::{self, EmailChange, Invitation, PasswordReset},
    },
    tenancy::TenantTx,
};

/// Which row's link to mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMail {
    /// `invitations.id`: the link that lets a new account set its first password.
    Invitation(i64),
    /// `password_resets.id`.
    PasswordReset(i64),
    /// `email_changes.id`: the confirmation sent to the new address.
    EmailChange(i64),
}

impl LinkMail {
    /// Mails the link once `tx` commits.
    pub async fn enqueue(self, tx: &mut TenantTx) -> Result<(), AppError> {
        jobs::enqueue(tx, &self, When::now()).await.map(drop)
    }

    /// Stores the hash of a new secret in the row and answers the mail carrying it, or `None`
    /// when the row no longer wants a mail.
    async fn mint(self, tx: &mut TenantTx, config: &Config) -> Result<Option<Email>, AppError> {
        let secret = OpaqueToken::new_secret();
        let hash = sha256(&secret);
        let salon = SalonContacts::read(tx).await?;
        let salon_id = tx.salon();
        let token = |id| OpaqueToken { salon: salon_id, id, secret: secret.clone() }.encode();
        Ok(match self {
            LinkMail::Invitation(id) => sqlx::query!(
                "update invitations i set token_hash = $2
                 from users u
                 where i.id = $1 and u.id = i.user_id and i.used_at is null and i.expires_at > now()
                   and u.is_active and u.password_set_at is null
                 returning u.email, u.first_name",
                id,
                hash,
            )
            .fetch_optional(tx.conn())
            .await?
            .map(|row| {
                let mail = Invitation {
                    first_name: row.first_name,
                    link: format!("{}/api/v1/auth/invitations/{}", config.public_url, token(id)),
                    days: config.invite_ttl.as_secs().div_ceil(86_400),
                    minutes: OPENED_WINDOW.as_secs() / 60,
                };
                templates::render(&mail, &row.email, &salon)
            }),
            LinkMail::PasswordReset(id) => sqlx::query_scalar!(
                "update password_resets r set token_hash = $2
                 from users u
                 where r.id = $1 and u.id = r.user_id and r.used_at is null and r.expires_at > now() and u.is_active
                 returning u.email",
                id,
                hash,
            )
            .fetch_optional(tx.conn())
            .await?
            .map(|to: String| {
                let mail = PasswordReset {
                    link: format!("{}/reset-password?token={}", config.frontend_url, token(id)),
                    minutes: config.password_reset_ttl.as_secs() / 60,
                };
                templates::render(&mail, &to, &salon)
            }),
            LinkMail::EmailChange(id) => sqlx::query_scalar!(
                "update email_changes c set token_hash = $2
                 from users u
                 where c.id = $1 and u.id = c.user_id and c.used_at is null and c.expires_at > now() and u.is_active
                 returning c.new_email",
                id,
                hash,
            )
            .fetch_optional(tx.conn())
            .await?
            .map(|to: String| {
                let mail = EmailChange {
                    link: format!("{}/api/v1/auth/email-changes/{}", config.public_url, token(id)),
                    hours: super::email_change::LINK_TTL.as_secs() / 3600,
                };
                templates::render(&mail, &to, &salon)
            }),
        })
    }
}

impl Job for LinkMail {
    const KIND: &'static str = "link_mail";
    type Parts = MailParts;

    async fn run(self, salon: &Salon, parts: &MailParts) -> anyhow::Result<()> {
        let mut tx = salon.begin().await?;
        let Some(mail) = self.mint(&mut tx, &parts.config).await? else {
            tracing::info!(link = ?self, "link used, expired or replaced before its mail went out: not sent");
            return Ok(());
        };
        tx.commit().await?;
        parts.mailer.deliver(&mail).await
    }
}

/// A secret for a link row before its mail is minted: random, and never told to anyone.
pub(super) fn unmailed_hash() -> Vec<u8> {
    sha256(&OpaqueToken::new_secret())
}
