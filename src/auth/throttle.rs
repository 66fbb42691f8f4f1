//! Throttling of credential guesses (login, first-password setup) and of reset e-mails.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{http::error::AppError, kv::Kv};

#[derive(Clone)]
pub struct Throttle {
    kv: Kv,
    pub max_failures: u64,
    pub window: Duration,
}

impl Throttle {
    pub fn new(kv: Kv, max_failures: u32, window: Duration) -> Self {
        Self { kv, max_failures: max_failures.into(), window }
    }

    /// Keys for one attempt: per client IP and per e-mail (hashed: no addresses in Redis).
    pub fn keys(action: &str, ip: Option<&str>, email: &str) -> Vec<String> {
        let mut keys = vec![format!("throttle:{action}:email:{}", hex::encode(Sha256::digest(email.as_bytes())))];
        if let Some(ip) = ip {
            keys.push(format!("throttle:{action}:ip:{ip}"));
        }
        keys
    }

    /// 429 with `Retry-After` while any key is at its limit.
    pub async fn check(&self, keys: &[String]) -> Result<(), AppError> {
        for key in keys {
            let (count, reset_in) = self.kv.counter(key).await?;
            if count >= self.max_failures {
                return Err(AppError::RateLimited { retry_after_secs: reset_in.as_secs().max(1) });
            }
        }
        Ok(())
    }

    pub async fn fail(&self, keys: &[String]) -> Result<(), AppError> {
        for key in keys {
            self.kv.incr(key, self.window).await?;
        }
        Ok(())
    }

    /// A successful sign-in forgives the e-mail's failures (not the IP's).
    pub async fn clear(&self, keys: &[String]) -> Result<(), AppError> {
        if let Some(email_key) = keys.first() {
            self.kv.delete(email_key).await?;
        }
        Ok(())
    }
}
