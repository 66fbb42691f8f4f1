//! Throttling of credential guesses (login, first-password setup, password reset) and of
//! requests that create salons or send mail (register, forgot-password).
//!
//! Every attempt is counted first, atomically, and the decision is taken on the count that
//! includes it ([`Kv::hit`]): fifty parallel guesses see fifty different counts, so exactly
//! `max` of them go through. Checking first and counting afterwards let them all pass.
//!
//! Sign-in is limited per e-mail and client address together (the strict limit), per client
//! address (one address guessing many accounts), and per e-mail alone with a softer limit
//! (many addresses guessing one account). The per-e-mail limit does not apply from an address
//! where the account signed in successfully before ([`KNOWN_FOR`]), so failures from elsewhere
//! alone cannot lock an account's owner out of their usual network.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{error::AppError, kv::Kv};

/// The per-e-mail sign-in limit is this many times the per-(e-mail, address) one.
pub const EMAIL_LIMIT_FACTOR: u64 = 5;
/// How long an address stays known for an account after a successful sign-in from it.
pub const KNOWN_FOR: Duration = Duration::from_secs(30 * 86_400);

#[derive(Clone)]
pub struct Throttle {
    kv: Kv,
    pub max_failures: u64,
    pub window: Duration,
}

/// Counters one attempt is counted against, each with its limit.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    keys: Vec<String>,
    max: Vec<u64>,
    /// The counter a success forgives entirely (sign-in: the e-mail + address pair).
    forgiven: Option<String>,
    /// Marks the address as known for the e-mail after a success.
    known: Option<String>,
}

fn email_hash(email: &str) -> String {
    hex::encode(Sha256::digest(email.as_bytes()))
}

impl Limits {
    fn push(&mut self, key: String, max: u64) {
        self.keys.push(key);
        self.max.push(max);
    }
}

impl Throttle {
    pub fn new(kv: Kv, max_failures: u32, window: Duration) -> Self {
        Self {
            kv,
            max_failures: max_failures.into(),
            window,
        }
    }

    /// Limits of one request of `action` (register, forgot, reset, setup): `max` per client
    /// address and `max` per subject (an e-mail, or a link's id), hashed: no addresses in Redis.
    pub fn per_request(&self, action: &str, ip: Option<&str>, subject: &str) -> Limits {
        let mut limits = Limits::default();
        limits.push(
            format!("throttle:{action}:subject:{}", email_hash(subject)),
            self.max_failures,
        );
        if let Some(ip) = ip {
            limits.push(format!("throttle:{action}:ip:{ip}"), self.max_failures);
        }
        limits
    }

    /// Limits of one sign-in (see the module documentation).
    pub async fn sign_in(&self, ip: Option<&str>, email: &str) -> Result<Limits, AppError> {
        let email = email_hash(email);
        let ip_part = ip.unwrap_or("-");
        let pair = format!("throttle:login:pair:{email}:{ip_part}");
        let known = format!("throttle:login:known:{email}:{ip_part}");
        let mut limits = Limits {
            forgiven: Some(pair.clone()),
            ..Default::default()
        };
        limits.push(pair, self.max_failures);
        if let Some(ip) = ip {
            limits.push(format!("throttle:login:ip:{ip}"), self.max_failures);
        }
        let is_known = self.kv.get_text(&known).await?.is_some();
        if !is_known {
            limits.push(
                format!("throttle:login:email:{email}"),
                self.max_failures * EMAIL_LIMIT_FACTOR,
            );
        }
        limits.known = Some(known);
        Ok(limits)
    }

    /// Counts this attempt against every limit, then 429 with `Retry-After` when any limit is
    /// exceeded by it.
    pub async fn attempt(&self, limits: &Limits) -> Result<(), AppError> {
        let counts = self.kv.hit(&limits.keys, self.window).await?;
        let retry = counts
            .iter()
            .zip(&limits.max)
            .filter(|((count, _), max)| count > max)
            .map(|((_, reset_in), _)| reset_in.as_secs().max(1))
            .max();
        let Some(retry_after_secs) = retry else { return Ok(()) };
        // A refused attempt is no attempt: it is taken back, so requests refused by one limit
        // (an address already locked) do not use up another (the e-mail's). Each decision is
        // still taken on its own count, so no more than `max` ever pass.
        if let Err(error) = self.kv.unhit(&limits.keys).await {
            tracing::warn!(%error, "refused attempt not taken back");
        }
        Err(AppError::RateLimited { retry_after_secs })
    }

    /// A successful sign-in: the attempt does not count, the pair's earlier failures are
    /// forgiven (not the address's, nor the other addresses' failures on this e-mail), and the
    /// address becomes known for the e-mail. Best effort: the sign-in has succeeded whatever
    /// Redis answers, so a failure is logged, never returned.
    pub async fn succeeded(&self, limits: &Limits) {
        let result = async {
            self.kv.unhit(&limits.keys).await?;
            if let Some(pair) = &limits.forgiven {
                self.kv.delete(pair).await?;
            }
            if let Some(known) = &limits.known {
                self.kv.set_text(known, "1", KNOWN_FOR).await?;
            }
            anyhow::Ok(())
        };
        if let Err(error) = result.await {
            tracing::warn!(%error, "sign-in throttle not updated after a success");
        }
    }
}
