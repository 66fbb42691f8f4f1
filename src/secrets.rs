//! Secrets at rest (a salon's bot token): sealed with XChaCha20-Poly1305 under `SECRETS_KEY`.
//!
//! A sealed value is the 24-byte random nonce followed by the ciphertext and its tag. The
//! salon's id is the associated data, so a sealed token copied into another salon's row does
//! not open there.

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};

use crate::tenancy::SalonId;

const NONCE: usize = 24;

#[derive(Clone)]
pub struct Sealer(XChaCha20Poly1305);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed secret did not open (wrong SECRETS_KEY, or not sealed for this salon)")]
pub struct Unsealable;

impl Sealer {
    /// From `SECRETS_KEY`: 64 hex digits (32 bytes). `openssl rand -hex 32` makes one.
    pub fn from_hex(key: &str) -> Result<Self, String> {
        let bytes = hex::decode(key.trim()).map_err(|_| "SECRETS_KEY must be 64 hex digits".to_owned())?;
        if bytes.len() != 32 {
            return Err("SECRETS_KEY must be 64 hex digits (32 bytes)".into());
        }
        Ok(Self(XChaCha20Poly1305::new_from_slice(&bytes).expect("32 bytes is the key length")))
    }

    pub fn seal(&self, salon: SalonId, plain: &str) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = salon.get().to_be_bytes();
        let sealed = self.0.encrypt(&nonce, Payload { msg: plain.as_bytes(), aad: &aad }).expect("encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, salon: SalonId, sealed: &[u8]) -> Result<String, Unsealable> {
        if sealed.len() <= NONCE {
            return Err(Unsealable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE);
        let aad = salon.get().to_be_bytes();
        let plain =
            self.0.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad }).map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_for_its_salon_only() {
        let sealer = Sealer::from_hex(KEY).unwrap();
        let sealed = sealer.seal(SalonId(7), "123:abc");
        assert!(!sealed.windows(7).any(|w| w == b"123:abc"), "the plain text is not in the sealed bytes");
        assert_eq!(sealer.open(SalonId(7), &sealed).unwrap(), "123:abc");
        assert!(sealer.open(SalonId(8), &sealed).is_err(), "another salon's id does not open it");
        let other = Sealer::from_hex(&KEY.replace("00", "ff")).unwrap();
        assert!(other.open(SalonId(7), &sealed).is_err(), "another key does not open it");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(sealer.open(SalonId(7), &tampered).is_err());
        assert_ne!(sealer.seal(SalonId(7), "123:abc"), sealed, "every seal has its own nonce");
    }

    #[test]
    fn the_key_is_32_bytes_of_hex() {
        assert!(Sealer::from_hex("abcd").is_err());
        assert!(Sealer::from_hex(&"zz".repeat(32)).is_err());
        assert!(Sealer::from_hex(KEY).is_ok());
    }
}
