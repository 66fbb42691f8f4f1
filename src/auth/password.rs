//! argon2id password hashing, off the async runtime and through one gate.
//!
//! Each hash or verification takes ~19 MiB and a core for tens of milliseconds. The gate
//! lets as many run at once as the machine has cores; a request waits at most
//! [`GATE_WAIT`] for its turn, and when [`GATE_QUEUE`] requests per core are already
//! waiting it is refused at once (429 with `Retry-After`), so a flood of sign-ins cannot
//! exhaust memory or starve the other requests of every salon.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use tokio::sync::Semaphore;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::error::AppError;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Checks a new password against the rules the frontend also enforces.
pub fn validate(field: &str, password: &str) -> Result<(), AppError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(AppError::field(field, format!("Пароль має містити щонайменше {MIN_LEN} символів")));
    }
    if len > MAX_LEN {
        return Err(AppError::field(field, format!("Пароль має містити не більше {MAX_LEN} символів")));
    }
    Ok(())
}

/// The longest a password operation waits for a free core before it is refused.
pub const GATE_WAIT: Duration = Duration::from_secs(10);
/// How many password operations per core may wait before more are refused at once.
pub const GATE_QUEUE: usize = 32;

/// Bounds concurrent password work: `permits` at once, `max_waiting` in line, each waiting at
/// most `wait`.
pub struct Gate {
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

fn busy() -> AppError {
    AppError::RateLimited { retry_after_secs: 1 }
}

impl Gate {
    pub fn new(permits: usize, max_waiting: usize, wait: Duration) -> Self {
        Self { permits: Semaphore::new(permits.max(1)), waiting: AtomicUsize::new(0), max_waiting, wait }
    }

    /// Runs `work` on the blocking pool once a permit is free; 429 when the line is full or
    /// the wait too long.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!("password work refused: too many waiting");
            return Err(busy());
        }
        let permit = tokio::time::timeout(self.wait, self.permits.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let Ok(Ok(_permit)) = permit else {
            tracing::warn!("password work refused: waited too long");
            return Err(busy());
        };
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            work()
        })
        .await
        .map_err(anyhow::Error::from)?
        .map_err(AppError::Internal)
    }
}

static GATE: std::sync::LazyLock<Gate> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Gate::new(cores, cores * GATE_QUEUE, GATE_WAIT)
});

/// Hashes with argon2id (the crate's defaults follow OWASP's recommendation).
pub async fn hash(password: String) -> Result<String, AppError> {
    GATE.run(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
    })
    .await
}

/// Verifies `password` against a stored hash. With no hash (unknown e-mail, account without a
/// password) a fixed hash is verified instead so the answer takes the same time.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    GATE.run(move || {
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && real)
    })
    .await
}

/// argon2id, with the same parameters as real hashes, of a random secret nobody knows.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    let secret = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_str().as_bytes(), &salt)
        .map(|h| h.to_string())
        .expect("argon2 hashes a fixed-size input")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse".into()).await.unwrap();
        let b = hash("correct horse".into()).await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(a.clone())).await.unwrap());
        assert!(!verify("wrong horse".into(), Some(a)).await.unwrap());
    }

    #[tokio::test]
    async fn missing_hash_never_verifies() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn the_gate_bounds_running_and_waiting_work() {
        // The permit is held until released below, so the waiter's short wait always ends.
        let gate = std::sync::Arc::new(Gate::new(1, 1, Duration::from_millis(50)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let running = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(move || Ok(hold.recv().ok())).await })
        };
        while gate.permits.available_permits() == 1 {
            tokio::task::yield_now().await;
        }
        // One may wait; it gives up after the wait. A second waiter is refused at once.
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.run(|| Ok(())).await })
        };
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(gate.run(|| Ok(())).await, Err(AppError::RateLimited { .. })), "line full");
        assert!(matches!(waiting.await.unwrap(), Err(AppError::RateLimited { .. })), "waited too long");
        release.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), Some(()));
        assert!(gate.run(|| Ok(7)).await.is_ok_and(|v| v == 7), "free again");
    }

    #[test]
    fn length_rules() {
        assert!(validate("password", "short").is_err());
        assert!(validate("password", "long enough").is_ok());
        assert!(validate("password", &"x".repeat(129)).is_err());
    }
}
