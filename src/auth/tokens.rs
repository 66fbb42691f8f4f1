//! Access tokens (JWT) and opaque secrets (refresh, password reset).
//!
//! Access claims are plain ASCII without `>`, `?` or `~`: the web client decodes the payload
//! with `atob`, which rejects base64url's `-` and `_`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{config::Config, ids::UserId, tenancy::SalonId};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id, as a decimal string.
    pub sub: String,
    pub salon_id: i64,
    pub role: String,
    /// The session (refresh token) this access token was issued under; logout revokes it.
    pub sid: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
}

impl Claims {
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse::<i64>().ok().map(UserId)
    }

    pub fn salon(&self) -> SalonId {
        SalonId(self.salon_id)
    }
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    access_ttl: Duration,
}

impl TokenKeys {
    pub fn new(config: &Config) -> Self {
        let secret = config.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            access_ttl: config.access_token_ttl,
        }
    }

    /// Signs an access token for a user's session.
    pub fn issue(&self, salon: SalonId, user_id: UserId, role: &str, session_id: i64) -> anyhow::Result<String> {
        let iat = now_secs();
        let claims = Claims {
            sub: user_id.to_string(),
            salon_id: salon.get(),
            role: role.to_owned(),
            sid: session_id,
            kind: "access".into(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat,
            exp: iat + self.access_ttl.as_secs(),
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// Verifies signature, issuer, audience and expiry. Any failure means "not authenticated".
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.kind == "access").then_some(data.claims)
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// An opaque token `<salon>.<row id>.<secret>`: the prefix finds the row without crossing
/// tenants, the secret proves possession and is stored only as its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpaqueToken {
    pub salon: SalonId,
    pub id: i64,
    pub secret: String,
}

impl OpaqueToken {
    /// A fresh 256-bit secret; the id is filled in once the row exists.
    pub fn new_secret() -> String {
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.trim().splitn(3, '.');
        let salon = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        let secret = parts.next()?.to_owned();
        (secret.len() == 43).then_some(Self { salon: SalonId(salon), id, secret })
    }

    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.salon, self.id, self.secret)
    }
}

pub fn sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Constant-time comparison of a presented secret with a stored hash.
pub fn secret_matches(secret: &str, stored_hash: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    sha256(secret).ct_eq(stored_hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        let cfg = Config::from_lookup(&|k| match k {
            "DATABASE_URL" | "DATABASE_OWNER_URL" => Some("postgres://x/y".into()),
            "JWT_SECRET" => Some(secret.into()),
            _ => None,
        })
        .unwrap();
        TokenKeys::new(&cfg)
    }

    #[test]
    fn round_trip_and_tamper() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let token = k.issue(SalonId(7), UserId(42), "admin", 3).unwrap();
        let claims = k.verify(&token).unwrap();
        assert_eq!((claims.salon_id, claims.user_id(), claims.sid), (7, Some(UserId(42)), 3));
        let other = keys("fedcba9876543210fedcba9876543210");
        assert!(other.verify(&token).is_none(), "another key's token must fail");
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","salon_id":8}"#);
        parts[1] = &forged;
        assert!(k.verify(&parts.join(".")).is_none());
    }

    #[test]
    fn payload_decodes_with_plain_base64() {
        let k = keys("0123456789abcdef0123456789abcdef");
        let token = k.issue(SalonId(12345), UserId(67890), "receptionist", 999).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        assert!(!payload.contains('-') && !payload.contains('_'), "atob would reject {payload}");
    }

    #[test]
    fn opaque_tokens_parse_and_match() {
        let t = OpaqueToken { salon: SalonId(3), id: 9, secret: OpaqueToken::new_secret() };
        let parsed = OpaqueToken::parse(&t.encode()).unwrap();
        assert_eq!(parsed, t);
        assert!(secret_matches(&t.secret, &sha256(&t.secret)));
        assert!(!secret_matches("other", &sha256(&t.secret)));
        assert!(OpaqueToken::parse("3.x.abc").is_none());
        assert!(OpaqueToken::parse("garbage").is_none());
    }
}
