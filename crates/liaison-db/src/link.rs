//! Signed one-click confirmation links (policy §4.3.2): a token bound to one delivery that
//! expires, signed with a key derived from the data key, so that the link in an e-mail or an
//! IM card confirms that delivery and nothing else, without a password.
//!
//! Token: URL-safe base64 of `delivery id (16) ‖ expiry, Unix seconds (8, big-endian) ‖ first
//! 16 bytes of HMAC-SHA256 over the first 24`.

use crate::crypto::Cipher;
use base64::Engine;
use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

const PURPOSE: &str = "ack-link";
const TOKEN_BYTES: usize = 40;

/// Why a token is refused. The page says which, so a partner knows to ask for a new link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this confirmation link is not valid (it may be cut off or altered)")]
    Invalid,
    #[error("this confirmation link has expired: confirm in the partner portal instead")]
    Expired,
}

/// How long a link lives: until a week after the confirmation deadline, or 30 days when the
/// message has none, counted from `now`; never less than a day.
pub fn expiry(now: DateTime<Utc>, ack_due_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    match ack_due_at {
        Some(due) => (due + Duration::days(7)).max(now + Duration::days(1)),
        None => now + Duration::days(30),
    }
}

/// The token for `delivery`, valid until `expires`.
pub fn sign(cipher: &Cipher, delivery: Uuid, expires: DateTime<Utc>) -> String {
    let mut buf = Vec::with_capacity(TOKEN_BYTES);
    buf.extend_from_slice(delivery.as_bytes());
    buf.extend_from_slice(&expires.timestamp().to_be_bytes());
    let mac = cipher.mac(PURPOSE, &buf);
    buf.extend_from_slice(&mac[..16]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The delivery a token is for, when its signature holds and it has not expired.
pub fn verify(cipher: &Cipher, token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    let buf = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| LinkError::Invalid)?;
    if buf.len() != TOKEN_BYTES {
        return Err(LinkError::Invalid);
    }
    let mac = cipher.mac(PURPOSE, &buf[..24]);
    // Constant-time comparison of the 16 signature bytes.
    let diff = mac[..16]
        .iter()
        .zip(&buf[24..])
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(LinkError::Invalid);
    }
    let id = Uuid::from_slice(&buf[..16]).map_err(|_| LinkError::Invalid)?;
    let mut secs = [0u8; 8];
    secs.copy_from_slice(&buf[16..24]);
    let expires = Utc
        .timestamp_opt(i64::from_be_bytes(secs), 0)
        .single()
        .ok_or(LinkError::Invalid)?;
    if now > expires {
        return Err(LinkError::Expired);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> Cipher {
        Cipher::from_text(&Cipher::generate_text().expect("key")).expect("cipher")
    }

    #[test]
    fn a_link_confirms_its_own_delivery_until_it_expires() {
        let c = cipher();
        let d = Uuid::now_v7();
        let now = Utc::now();
        let t = sign(&c, d, now + Duration::hours(1));
        assert_eq!(verify(&c, &t, now), Ok(d));
        assert_eq!(
            verify(&c, &t, now + Duration::hours(2)),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn an_altered_or_foreign_link_is_refused() {
        let c = cipher();
        let now = Utc::now();
        let t = sign(&c, Uuid::now_v7(), now + Duration::hours(1));
        // Another key (another installation) does not accept it.
        assert_eq!(verify(&cipher(), &t, now), Err(LinkError::Invalid));
        // Changing any character breaks the signature.
        let mut bytes = t.clone().into_bytes();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(bytes).expect("ascii");
        assert_eq!(verify(&c, &forged, now), Err(LinkError::Invalid));
        assert_eq!(verify(&c, &t[..20], now), Err(LinkError::Invalid));
        assert_eq!(verify(&c, "not base64 !", now), Err(LinkError::Invalid));
    }

    #[test]
    fn links_outlive_the_deadline_by_a_week() {
        let now = Utc::now();
        assert_eq!(
            expiry(now, Some(now + Duration::days(2))),
            now + Duration::days(9)
        );
        assert_eq!(expiry(now, None), now + Duration::days(30));
        assert_eq!(
            expiry(now, Some(now - Duration::days(30))),
            now + Duration::days(1)
        );
    }
}
