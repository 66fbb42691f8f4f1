//! argon2id password hashing, off the async runtime.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::http::error::AppError;

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

/// Hashes with argon2id (the crate's defaults follow OWASP's recommendation).
pub async fn hash(password: String) -> Result<String, AppError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(AppError::Internal)
}

/// Verifies `password` against a stored hash. With no hash (unknown e-mail, account without a
/// password) a fixed hash is verified instead so the answer takes the same time.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, AppError> {
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok::<_, anyhow::Error>(ok && real)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(AppError::Internal)
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

    #[test]
    fn length_rules() {
        assert!(validate("password", "short").is_err());
        assert!(validate("password", "long enough").is_ok());
        assert!(validate("password", &"x".repeat(129)).is_err());
    }
}
