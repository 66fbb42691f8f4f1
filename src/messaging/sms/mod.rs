//! SMS behind one seam: [`Sms::send`] hides which provider carries the message. TurboSMS and
//! Twilio are reached over HTTP; the embedded default only writes the message to the log, so
//! `make run` sends nothing.
//!
//! A failed send says whether trying again can help ([`SmsError::Temporary`]) or the provider
//! has refused this message for good ([`SmsError::Permanent`]); the caller (a job) decides what
//! to do and logs it.

mod segments;
mod turbosms;
mod twilio;

use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::config::{Config, SmsProvider};

pub use segments::segments;
use turbosms::TurboSms;
use twilio::Twilio;

/// How long one request to a provider may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub enum Sms {
    /// Writes the message to the log and reports success without a provider id.
    Log,
    TurboSms(TurboSms),
    Twilio(Twilio),
}

/// A message the provider accepted (queued or sent; delivery is reported later, if at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSent {
    /// The provider's message id; `None` from the log driver.
    pub provider_id: Option<String>,
    /// Segments the message is billed as, counted by [`segments`].
    pub segments: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Network, timeout, provider errors, 429, answers we cannot read, and problems the
    /// operator can fix (bad credentials, empty balance, unapproved sender): retry later.
    #[error("SMS not sent, retry later: {0:#}")]
    Temporary(anyhow::Error),
    /// The provider refused this message for good (invalid or unreachable number, stop list,
    /// opted out, destination not allowed, forbidden text): never retry it.
    #[error("SMS refused: {0}")]
    Permanent(String),
}

impl Sms {
    /// The driver chosen by `SMS_PROVIDER`, with one HTTP client (10 s timeout) for providers.
    pub fn from_config(config: &Config) -> anyhow::Result<Sms> {
        let http = || {
            reqwest::Client::builder()
                .timeout(TIMEOUT)
                .user_agent(concat!("adelante/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("building the SMS HTTP client")
        };
        Ok(match &config.sms {
            SmsProvider::Log => Sms::Log,
            SmsProvider::TurboSms { token, sender, api_url } => {
                Sms::TurboSms(TurboSms::new(http()?, api_url, token.clone(), sender.clone()))
            }
            SmsProvider::Twilio { account_sid, auth_token, from, api_url } => {
                Sms::Twilio(Twilio::new(http()?, api_url, account_sid.clone(), auth_token.clone(), from.clone()))
            }
        })
    }

    /// Sends `text` to `to`. An empty text is refused as [`SmsError::Permanent`] before any
    /// provider is asked: it has nothing to deliver and no segment to bill.
    pub async fn send(&self, to: &E164, text: &str) -> Result<SmsSent, SmsError> {
        let segments = segments(text);
        if segments == 0 {
            return Err(SmsError::Permanent("empty text".into()));
        }
        let provider_id = match self {
            Sms::Log => {
                // The log driver exists to show the message in development; real providers
                // never log the number or the text.
                tracing::info!(to = to.as_str(), text, segments, "SMS written to the log, not sent");
                return Ok(SmsSent { provider_id: None, segments });
            }
            Sms::TurboSms(driver) => driver.send(to, text).await?,
            Sms::Twilio(driver) => driver.send(to, text).await?,
        };
        tracing::info!(provider = self.name(), segments, provider_id = provider_id.as_deref(), "SMS accepted");
        Ok(SmsSent { provider_id, segments })
    }

    fn name(&self) -> &'static str {
        match self {
            Sms::Log => "log",
            Sms::TurboSms(_) => "turbosms",
            Sms::Twilio(_) => "twilio",
        }
    }
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sms::Log => write!(f, "Sms::Log"),
            Sms::TurboSms(driver) => write!(f, "Sms::TurboSms({driver:?})"),
            Sms::Twilio(driver) => write!(f, "Sms::Twilio({driver:?})"),
        }
    }
}

/// A phone number in E.164 (`+380671234567`), read like client phones (Ukraine when no country
/// code is given). Serialised as the plain string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub struct E164(String);

impl E164 {
    /// `None` for text that is not a valid number.
    pub fn parse(raw: &str) -> Option<E164> {
        crate::clients::normalise_phone(raw).map(E164)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number without its leading `+` (`380671234567`).
    fn digits(&self) -> &str {
        &self.0[1..]
    }
}

impl TryFrom<String> for E164 {
    type Error = &'static str;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        E164::parse(&raw).ok_or("not a phone number")
    }
}

/// A request that got no readable answer (refused, reset, timed out, cut short): the provider
/// may well be back soon.
fn transport_error(error: reqwest::Error) -> SmsError {
    SmsError::Temporary(error.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_e164_reads_ukrainian_forms_and_serialises_as_a_string() {
        let n = E164::parse("067 123 45 67").unwrap();
        assert_eq!((n.as_str(), n.digits()), ("+380671234567", "380671234567"));
        assert_eq!(serde_json::to_string(&n).unwrap(), r#""+380671234567""#);
        let back: E164 = serde_json::from_str(r#""+380 (67) 123-45-67""#).unwrap();
        assert_eq!(back, n);
        assert!(serde_json::from_str::<E164>(r#""067""#).is_err());
        assert_eq!(E164::parse("hello"), None);
    }
}
