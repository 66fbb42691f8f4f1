//! The job that sends one message about a visit, and the record of every such message
//! (`visit_messages`).
//!
//! Never lost, never twice: the job reads the visit, claims the message's row (one per visit,
//! purpose, visit time and issue) and calls the provider **inside one transaction**, then records the
//! outcome and commits. A worker killed before the commit leaves no row behind (its transaction
//! dies with its connection) and the job runs again once the queue recovers it; a message
//! whose row committed as sent is never sent again, however often its job runs. A second job
//! for the same message (a visit moved away and back while its reminder was going out) waits
//! on the row's lock and then finds it sent. The one window left is a provider that accepted
//! the message while the commit after it failed: the message goes out again on the retry.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Mailer,
    SalonContacts,
    appointments::{Visit, visit_email, visit_sms},
    sms::{E164, Sms, SmsError},
    visits::Purpose,
};
use crate::{
    jobs::{Job, Salon},
    tenancy::{TenantTx, salon},
};

/// Sends the message of `purpose` about the visit `appointment` starting at `visit_at`, if it
/// is still wanted when the job runs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SendVisitMessage {
    pub appointment: i64,
    pub purpose: Purpose,
    pub visit_at: DateTime<Utc>,
    /// The change a confirmation or cancellation answers (random, the same on every attempt of
    /// the job); 0 for reminders, which are one per visit time. Absent in jobs queued before.
    #[serde(default)]
    pub issue: i64,
}

impl SendVisitMessage {
    /// The reminder of the visit starting at `visit_at`.
    pub fn reminder(appointment: i64, visit_at: DateTime<Utc>) -> Self {
        Self { appointment, purpose: Purpose::Reminder, visit_at, issue: 0 }
    }

    /// A confirmation or cancellation of the visit starting at `visit_at`, for a change just
    /// made: a message of its own, even when an earlier change said the same.
    pub fn notice(appointment: i64, purpose: Purpose, visit_at: DateTime<Utc>) -> Self {
        Self { appointment, purpose, visit_at, issue: rand::Rng::gen_range(&mut rand::thread_rng(), 1..i64::MAX) }
    }
}

/// What sending needs.
#[derive(Debug, Clone)]
pub struct VisitParts {
    pub mailer: Mailer,
    pub sms: Sms,
    pub telegram: super::telegram::TelegramApi,
}

/// The channel a message went by: the salon's Telegram bot when the client linked it, else SMS
/// when the salon sends them, else e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Channel {
    Telegram,
    Sms,
    Email,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum MessageStatus {
    /// Being sent, or waiting for another attempt after a temporary failure (see `error`).
    Sending,
    Sent,
    /// Refused by the provider, or out of attempts.
    Failed,
    /// Not sent: the client opted out or has no contact to reach.
    Skipped,
}

/// The visit as a message needs it.
struct Facts {
    /// Booked and still to come: not deleted, scheduled or confirmed.
    upcoming: bool,
    /// Cancelled or deleted.
    called_off: bool,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    client_name: String,
    service: String,
    master: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    /// The client's chat with the salon's bot, once they shared their phone there.
    telegram_chat: Option<i64>,
    opted_out: bool,
    /// Whether the client was told of the visit before (for a cancellation).
    told: bool,
}

/// What the job does about its message.
enum Plan {
    /// The visit changed since the job was queued: another job (or none) speaks for it now.
    Obsolete,
    /// Recorded as not sent, with the reason.
    Skip(&'static str),
    Send(Channel, String),
}

impl Job for SendVisitMessage {
    const KIND: &'static str = "visit_message";
    const MAX_ATTEMPTS: i16 = 8;
    type Parts = VisitParts;

    async fn run(self, salon: &Salon, parts: &VisitParts) -> anyhow::Result<()> {
        let mut tx = salon.begin().await?;
        let Some(facts) = facts(&mut tx, self.appointment).await? else {
            return Ok(());
        };
        let profile = salon::profile(&mut tx, false).await?;
        let bot = if facts.telegram_chat.is_some() { parts.telegram.salon_bot(&mut tx).await? } else { None };
        let (channel, recipient) = match self.plan(&facts, bot.is_some(), profile.sms_enabled, tx.clock().now()) {
            Plan::Obsolete => return Ok(()),
            Plan::Skip(reason) => {
                record_skip(&mut tx, &self, reason).await?;
                return Ok(tx.commit().await?);
            }
            Plan::Send(channel, recipient) => (channel, recipient),
        };
        let Some((id, attempts)) = claim(&mut tx, &self, channel, &recipient).await? else {
            // Sent, failed or skipped already: the message is settled.
            return Ok(tx.commit().await?);
        };
        let contacts = SalonContacts::of(salon.id(), &profile);
        let visit = Visit {
            appointment_id: self.appointment,
            client_name: facts.client_name,
            service: facts.service,
            master: facts.master,
            starts_at: facts.starts_at,
            ends_at: facts.ends_at,
        };
        let outcome = match channel {
            Channel::Email => parts
                .mailer
                .send(&visit_email(self.purpose, &visit, &contacts, &recipient))
                .await
                .map(|()| Sent { provider_id: None, segments: None })
                .map_err(Failure::of_mail),
            Channel::Sms => match E164::parse(&recipient) {
                Some(to) => parts
                    .sms
                    .send(&to, &visit_sms(self.purpose, &visit, &contacts))
                    .await
                    .map(|s| Sent { provider_id: s.provider_id, segments: Some(s.segments as i32) })
                    .map_err(Failure::from),
                None => Err(Failure::Refused("невірний номер телефону".into())),
            },
            Channel::Telegram => match (&bot, recipient.parse::<i64>()) {
                (Some(bot), Ok(chat)) => {
                    use teloxide::requests::Requester;
                    parts
                        .telegram
                        .sender(&bot.token)
                        .send_message(teloxide::types::ChatId(chat), visit_sms(self.purpose, &visit, &contacts))
                        .await
                        .map(|m| Sent { provider_id: Some(m.id.0.to_string()), segments: None })
                        .map_err(Failure::of_telegram)
                }
                _ => Err(Failure::Refused("бот салону не підключений".into())),
            },
        };
        let retry = settle(&mut tx, id, channel, attempts, outcome).await?;
        tx.commit().await?;
        match retry {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// What a provider answered for a message it took.
struct Sent {
    provider_id: Option<String>,
    segments: Option<i32>,
}

/// Why a message did not go out.
enum Failure {
    /// Worth another attempt later: the provider was down, slow or busy.
    Retry(anyhow::Error),
    /// The provider refused this message for good (no such mailbox, an invalid number).
    Refused(String),
}

impl Failure {
    /// A mail server's permanent (5xx) answer is a refusal; anything else may pass later.
    fn of_mail(e: anyhow::Error) -> Self {
        if super::refused(&e) { Failure::Refused(e.to_string()) } else { Failure::Retry(e) }
    }
}

impl Failure {
    /// Telegram's refusal of this chat (the client blocked the bot, the chat is gone) is for
    /// good; a network failure or an exhausted 429 may pass later.
    fn of_telegram(e: teloxide::RequestError) -> Self {
        match e {
            teloxide::RequestError::Api(api) => Failure::Refused(api.to_string()),
            other => Failure::Retry(other.into()),
        }
    }
}

impl From<SmsError> for Failure {
    fn from(e: SmsError) -> Self {
        match e {
            SmsError::Temporary(e) => Failure::Retry(e),
            SmsError::Permanent(reason) => Failure::Refused(reason),
        }
    }
}

impl SendVisitMessage {
    /// Whether and how the message goes out, given the visit as it is now.
    fn plan(&self, f: &Facts, bot: bool, sms_enabled: bool, now: DateTime<Utc>) -> Plan {
        let wanted = match self.purpose {
            Purpose::Confirmation | Purpose::Reminder => f.upcoming && f.starts_at == self.visit_at,
            Purpose::Cancellation => f.called_off && f.told,
        };
        if !wanted || self.visit_at <= now {
            return Plan::Obsolete;
        }
        if f.opted_out {
            return Plan::Skip("клієнт відмовився від повідомлень");
        }
        if bot && let Some(chat) = f.telegram_chat {
            return Plan::Send(Channel::Telegram, chat.to_string());
        }
        if sms_enabled && let Some(phone) = f.phone.as_deref().and_then(E164::parse) {
            return Plan::Send(Channel::Sms, phone.as_str().to_owned());
        }
        match &f.email {
            Some(email) => Plan::Send(Channel::Email, email.clone()),
            None => Plan::Skip("немає контакту для повідомлення"),
        }
    }
}

async fn facts(tx: &mut TenantTx, appointment: i64) -> Result<Option<Facts>, crate::error::AppError> {
    Ok(sqlx::query_as!(
        Facts,
        r#"select a.deleted_at is null and a.status in ('scheduled', 'confirmed') as "upcoming!",
                  a.deleted_at is not null or a.status = 'cancelled' as "called_off!", a.starts_at as "starts_at!",
                  a.ends_at as "ends_at!", a.client_name as "client_name!", a.service_name as "service!",
                  sn.name as "master?", coalesce(cl.phone, nullif(a.client_phone, '')) as "phone?",
                  nullif(cl.email, '') as "email?", tc.chat_id as "telegram_chat?",
                  coalesce(cl.messages_opt_out, false) as "opted_out!",
                  exists (select 1 from visit_messages m
                          where m.appointment_id = a.id and m.status = 'sent' and m.purpose <> 'cancellation') as "told!"
           from calendar_appointments a
           left join client_contacts cl on cl.salon_id = a.salon_id and cl.id = a.client_id
           left join staff_names sn on sn.salon_id = a.salon_id and sn.id = a.staff_id
           left join telegram_clients tc on tc.salon_id = a.salon_id and tc.client_id = a.client_id
           where a.id = $1"#,
        appointment,
    )
    .fetch_optional(tx.conn())
    .await?)
}

/// Takes the message's row for this attempt: inserts it, or takes one a previous attempt left
/// `sending` (which did not get through). The row stays locked until the transaction ends, so
/// a second job for the same message waits here. `None` when the message is settled already.
async fn claim(
    tx: &mut TenantTx,
    m: &SendVisitMessage,
    channel: Channel,
    recipient: &str,
) -> Result<Option<(i64, i32)>, crate::error::AppError> {
    let row = sqlx::query!(
        r#"insert into visit_messages (appointment_id, purpose, visit_at, issue, channel, recipient, status)
           values ($1, $2, $3, $6, $4, $5, 'sending')
           on conflict (salon_id, appointment_id, purpose, visit_at, issue) do update
               set attempts = visit_messages.attempts + 1, channel = excluded.channel,
                   recipient = excluded.recipient, updated_at = now()
               where visit_messages.status = 'sending'
           returning id, attempts"#,
        m.appointment,
        m.purpose as Purpose,
        m.visit_at,
        channel as Channel,
        recipient,
        m.issue,
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.id, r.attempts)))
}

/// Records a message that is not sent, and why; a settled one stays as it is.
async fn record_skip(tx: &mut TenantTx, m: &SendVisitMessage, reason: &str) -> Result<(), crate::error::AppError> {
    sqlx::query!(
        "insert into visit_messages (appointment_id, purpose, visit_at, issue, status, error)
         values ($1, $2, $3, $5, 'skipped', $4)
         on conflict (salon_id, appointment_id, purpose, visit_at, issue) do nothing",
        m.appointment,
        m.purpose as Purpose,
        m.visit_at,
        reason,
        m.issue,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records the outcome of an attempt. Answers the error to retry on: a temporary failure
/// before the last attempt (the row stays `sending`, with the error, for the next one).
async fn settle(
    tx: &mut TenantTx,
    id: i64,
    channel: Channel,
    attempts: i32,
    outcome: Result<Sent, Failure>,
) -> Result<Option<anyhow::Error>, crate::error::AppError> {
    let (status, provider_id, segments, error, retry) = match outcome {
        Ok(sent) => (MessageStatus::Sent, sent.provider_id, sent.segments, None, None),
        Err(Failure::Refused(reason)) => (MessageStatus::Failed, None, None, Some(reason), None),
        Err(Failure::Retry(e)) if attempts >= i32::from(SendVisitMessage::MAX_ATTEMPTS) => {
            (MessageStatus::Failed, None, None, Some(format!("{e:#}")), None)
        }
        Err(Failure::Retry(e)) => (MessageStatus::Sending, None, None, Some(format!("{e:#}")), Some(e)),
    };
    sqlx::query!(
        "update visit_messages
         set status = $2, provider_id = $3, segments = $4, error = $5, updated_at = now(),
             sent_at = case when $2 = 'sent' then now() end
         where id = $1",
        id,
        status as MessageStatus,
        provider_id,
        segments,
        error,
    )
    .execute(tx.conn())
    .await?;
    let channel = match channel {
        Channel::Telegram => "telegram",
        Channel::Sms => "sms",
        Channel::Email => "email",
    };
    let outcome = match status {
        MessageStatus::Sending => "retried",
        MessageStatus::Sent => "sent",
        MessageStatus::Failed | MessageStatus::Skipped => "failed",
    };
    metrics::counter!("adelante_visit_messages_total", "channel" => channel, "outcome" => outcome).increment(1);
    Ok(retry)
}

/// One message about a visit, as the appointment's history shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    pub id: i64,
    pub purpose: Purpose,
    /// `null` when the message was not sent (see `error`).
    pub channel: Option<Channel>,
    /// The phone or e-mail it went to; `""` when not sent or hidden from the user.
    pub recipient: String,
    pub status: MessageStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Why it failed or was not sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// SMS segments paid for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<i32>,
    pub attempts: i32,
    /// The visit's start the message spoke of.
    pub visit_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
}

/// The messages about a visit, oldest first.
pub async fn visit_messages(tx: &mut TenantTx, appointment: i64) -> Result<Vec<SentMessage>, crate::error::AppError> {
    Ok(sqlx::query_as!(
        SentMessage,
        r#"select id, purpose as "purpose: Purpose", channel as "channel?: Channel", recipient, status as "status: MessageStatus", provider_id,
                  error, segments, attempts, visit_at, created_at, sent_at
           from visit_messages where appointment_id = $1 order by created_at, id"#,
        appointment,
    )
    .fetch_all(tx.conn())
    .await?)
}
