//! Field encryption at rest for confidential and secret content (policy §7.2.1, SPEC G3):
//! XChaCha20-Poly1305, stored as `enc:v1:<key id>:<base64(nonce ‖ ciphertext)>`, with the
//! table, column and row id as associated data so a value cannot be moved to another row.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::fmt;

const PREFIX: &str = "enc:v1:";

/// The data key. `Debug` never prints it.
#[derive(Clone)]
pub struct Cipher {
    key_id: String,
    aead: XChaCha20Poly1305,
    /// A second key derived from the data key, for MACs (signed links): a link's signature
    /// never uses the encryption key itself.
    mac_key: [u8; 32],
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cipher(key {})", self.key_id)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error(
        "the encryption key must be 32 bytes, written as 64 hex digits or base64 (got {0} bytes)"
    )]
    KeyLength(usize),
    #[error("the encryption key is neither hex nor base64")]
    KeyEncoding,
    #[error(
        "a stored value cannot be decrypted with this key (wrong key, or the value was altered)"
    )]
    Decrypt,
    #[error("no randomness available")]
    Random,
}

impl Cipher {
    /// Reads a key written as 64 hex digits or as base64 of 32 bytes (surrounding space ignored).
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            hex::decode(t).map_err(|_| CryptoError::KeyEncoding)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| CryptoError::KeyEncoding)?
        };
        if bytes.len() != 32 {
            return Err(CryptoError::KeyLength(bytes.len()));
        }
        let key_id = crate::sha256_hex(&bytes)[..8].to_string();
        let aead = XChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| CryptoError::KeyLength(bytes.len()))?;
        let mut mac_key = [0u8; 32];
        {
            use sha2::Digest;
            let mut h = sha2::Sha256::new();
            h.update(b"liaison mac key v1\0");
            h.update(&bytes);
            mac_key.copy_from_slice(&h.finalize());
        }
        Ok(Self {
            key_id,
            aead,
            mac_key,
        })
    }

    /// A new random key as 64 hex digits.
    pub fn generate_text() -> Result<String, CryptoError> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k).map_err(|_| CryptoError::Random)?;
        Ok(hex::encode(k))
    }

    pub fn encrypt(&self, aad: &str, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let ct = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        Ok(format!(
            "{PREFIX}{}:{}",
            self.key_id,
            base64::engine::general_purpose::STANDARD.encode(blob)
        ))
    }

    /// Decrypts a value written by `encrypt`; plain values (not encrypted) come back as they are.
    pub fn decrypt(&self, aad: &str, stored: &str) -> Result<String, CryptoError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (_key_id, b64) = rest.split_once(':').ok_or(CryptoError::Decrypt)?;
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| CryptoError::Decrypt)?;
        if blob.len() < 24 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ct) = blob.split_at(24);
        let pt = self
            .aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(pt).map_err(|_| CryptoError::Decrypt)
    }
}

impl Cipher {
    /// HMAC-SHA256 of `data` under the MAC key, with `purpose` as domain separation.
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        use hmac::Mac;
        let mut m = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key)
            .expect("HMAC takes keys of any length");
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(data);
        m.finalize().into_bytes().into()
    }
}

pub fn is_encrypted(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_binds_the_row_and_refuses_tampering() {
        let c = Cipher::from_text(&Cipher::generate_text().expect("key")).expect("cipher");
        let enc = c
            .encrypt("messages:body:1", "保密：2027 年底价")
            .expect("enc");
        assert!(is_encrypted(&enc));
        assert!(!enc.contains("底价"));
        assert_eq!(
            c.decrypt("messages:body:1", &enc).as_deref(),
            Ok("保密：2027 年底价")
        );
        assert_eq!(
            c.decrypt("messages:body:2", &enc),
            Err(CryptoError::Decrypt),
            "moved to another row"
        );
        let other = Cipher::from_text(&Cipher::generate_text().expect("key")).expect("cipher");
        assert_eq!(
            other.decrypt("messages:body:1", &enc),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(c.decrypt("x", "plain text").as_deref(), Ok("plain text"));
        assert!(Cipher::from_text("abcd").is_err());
        assert!(format!("{c:?}").len() < 30, "Debug must not print the key");
    }
}
