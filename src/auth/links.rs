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
    messaging::{Email, Mailer},
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

/// What the job needs: the mailer, and the addresses and lifetimes links are built from.
#[derive(Clone)]
pub struct LinkParts {
    pub mailer: Mailer,
    pub config: std::sync::Arc<Config>,
}

impl std::fmt::Debug for LinkParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkParts").field("mailer", &self.mailer).finish_non_exhaustive()
    }
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
        let salon = tx.salon();
        let token = |id| OpaqueToken { salon, id, secret: secret.clone() }.encode();
        Ok(match self {
            LinkMail::Invitation(id) => sqlx::query!(
                r#"update invitations i set token_hash = $2
                   from users u join salon_facts s on s.salon_id = u.salon_id
                   where i.id = $1 and u.id = i.user_id and i.used_at is null and i.expires_at > now()
                     and u.is_active and u.password_set_at is null
                   returning u.email, u.first_name, s.name as "salon_name!""#,
                id,
                hash,
            )
            .fetch_optional(tx.conn())
            .await?
            .map(|row| invitation_email(config, row.email, &row.first_name, &row.salon_name, &token(id))),
            LinkMail::PasswordReset(id) => sqlx::query!(
                r#"update password_resets r set token_hash = $2
                   from users u join salon_facts s on s.salon_id = u.salon_id
                   where r.id = $1 and u.id = r.user_id and r.used_at is null and r.expires_at > now() and u.is_active
                   returning u.email, s.name as "salon_name!""#,
                id,
                hash,
            )
            .fetch_optional(tx.conn())
            .await?
            .map(|row| reset_email(config, row.email, &row.salon_name, &token(id))),
            LinkMail::EmailChange(id) => sqlx::query!(
                "update email_changes c set token_hash = $2
                 from users u
                 where c.id = $1 and u.id = c.user_id and c.used_at is null and c.expires_at > now() and u.is_active
                 returning c.new_email",
                id,
                hash,
            )
            .fetch_optional(tx.conn())
            .await?
            .map(|row| email_change_email(config, row.new_email, &token(id))),
        })
    }
}

impl Job for LinkMail {
    const KIND: &'static str = "link_mail";
    type Parts = LinkParts;

    async fn run(self, salon: &Salon, parts: &LinkParts) -> anyhow::Result<()> {
        let mut tx = salon.begin().await?;
        let Some(mail) = self.mint(&mut tx, &parts.config).await? else {
            tracing::info!(link = ?self, "link used, expired or replaced before its mail went out: not sent");
            return Ok(());
        };
        tx.commit().await?;
        parts.mailer.send(&mail).await
    }
}

/// A secret for a link row before its mail is minted: random, and never told to anyone.
pub(super) fn unmailed_hash() -> Vec<u8> {
    sha256(&OpaqueToken::new_secret())
}

fn invitation_email(config: &Config, to: String, first_name: &str, salon_name: &str, token: &str) -> Email {
    let link = format!("{}/api/v1/auth/invitations/{token}", config.public_url);
    let days = config.invite_ttl.as_secs().div_ceil(86_400);
    let greeting = if first_name.is_empty() {
        "Вітаємо!".to_owned()
    } else {
        format!("Вітаємо, {first_name}!")
    };
    Email {
        to,
        subject: format!("Запрошення до Adelante — {salon_name}"),
        text: format!(
            "{greeting}\n\nАдміністратор салону «{salon_name}» створив для вас обліковий запис в Adelante.\n\
             Щоб встановити пароль, відкрийте посилання (діє {days} дн., лише для одного входу):\n\n{link}\n\n\
             Після переходу за посиланням у вас буде {} хв, щоб задати пароль.\n\
             Якщо ви не чекали цього листа, просто проігноруйте його.\n",
            OPENED_WINDOW.as_secs() / 60
        ),
    }
}

fn reset_email(config: &Config, to: String, salon_name: &str, token: &str) -> Email {
    let minutes = config.password_reset_ttl.as_secs() / 60;
    let link = format!("{}/reset-password?token={token}", config.frontend_url);
    Email {
        to,
        subject: format!("Відновлення пароля — {salon_name}"),
        text: format!(
            "Вітаємо!\n\nХтось (можливо, ви) попросив відновити пароль до Adelante для салону «{salon_name}».\n\
             Щоб встановити новий пароль, відкрийте посилання (діє {minutes} хв):\n\n{link}\n\n\
             Якщо ви не просили відновлення, просто проігноруйте цей лист.\n"
        ),
    }
}

fn email_change_email(config: &Config, to: String, token: &str) -> Email {
    let link = format!("{}/api/v1/auth/email-changes/{token}", config.public_url);
    Email {
        to,
        subject: "Підтвердіть новий e-mail в Adelante".into(),
        text: format!(
            "Вітаємо!\n\nУ профілі Adelante попросили змінити e-mail для входу на цю адресу.\n\
             Щоб підтвердити зміну, відкрийте посилання (діє {} год, один раз):\n\n{link}\n\n\
             Доки зміну не підтверджено, для входу використовується попередній e-mail.\n\
             Якщо ви не просили цієї зміни, просто проігноруйте лист.\n",
            super::email_change::LINK_TTL.as_secs() / 3600
        ),
    }
}
