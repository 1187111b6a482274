//! Signed one-click confirmation links (policy §4.3.2): a token bound to one delivery that
//! expires, signed with a key derived from the data key, so that the link in an e-mail or an
//! IM card confirms that delivery and nothing else, without a password.
//!
//! Token: URL-safe base64 of `delivery id (16) ‖ expiry, Unix seconds (8, big-endian) ‖ first
//! 16 bytes of HMAC-SHA256 over the first 24`.
//!
//! Reply tokens (policy §3.4, replies by e-mail) live here too: the `reply+TOKEN@domain`
//! Reply-To address of a ticket's or a notice's mail names what a partner's answer belongs to,
//! signed the same way so that a guessed or altered address files nothing.

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
    sign_for(cipher, PURPOSE, delivery, expires)
}

/// The delivery a token is for, when its signature holds and it has not expired.
pub fn verify(cipher: &Cipher, token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    verify_for(cipher, PURPOSE, token, now)
}

const RATING_PURPOSE: &str = "ticket-rating";

/// The one-click link's token to confirm and rate a resolved ticket (§3.4.2, §6.1.3), valid
/// until `expires`: the same form as a confirmation link, signed for another purpose, so
/// neither can stand in for the other.
pub fn sign_rating(cipher: &Cipher, ticket: Uuid, expires: DateTime<Utc>) -> String {
    sign_for(cipher, RATING_PURPOSE, ticket, expires)
}

/// The ticket a rating link is for.
pub fn verify_rating(cipher: &Cipher, token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    verify_for(cipher, RATING_PURPOSE, token, now)
}

fn sign_for(cipher: &Cipher, purpose: &str, delivery: Uuid, expires: DateTime<Utc>) -> String {
    let mut buf = Vec::with_capacity(TOKEN_BYTES);
    buf.extend_from_slice(delivery.as_bytes());
    buf.extend_from_slice(&expires.timestamp().to_be_bytes());
    let mac = cipher.mac(purpose, &buf);
    buf.extend_from_slice(&mac[..16]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

fn verify_for(
    cipher: &Cipher,
    purpose: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, LinkError> {
    let buf = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| LinkError::Invalid)?;
    if buf.len() != TOKEN_BYTES {
        return Err(LinkError::Invalid);
    }
    let mac = cipher.mac(purpose, &buf[..24]);
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

const RSVP_PURPOSE: &str = "meeting-rsvp";

/// The one-click answer link of one invitation (`meeting_attendees.id`), valid until a week
/// after the meeting ends.
pub fn sign_rsvp(cipher: &Cipher, attendee: Uuid, expires: DateTime<Utc>) -> String {
    sign_for(cipher, RSVP_PURPOSE, attendee, expires)
}

pub fn verify_rsvp(cipher: &Cipher, token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    verify_for(cipher, RSVP_PURPOSE, token, now)
}

const SURVEY_PURPOSE: &str = "survey-answer";

/// The one-click link of one survey invitation (`survey_invitations.id`, §6.2.1): it answers
/// that partner's round without a login, valid until a week after the round closes.
pub fn sign_survey(cipher: &Cipher, invitation: Uuid, expires: DateTime<Utc>) -> String {
    sign_for(cipher, SURVEY_PURPOSE, invitation, expires)
}

pub fn verify_survey(cipher: &Cipher, token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    verify_for(cipher, SURVEY_PURPOSE, token, now)
}

const FEED_PURPOSE: &str = "calendar-feed";

/// A private calendar feed's token (`calendar_feeds.id` signed, no expiry: revoking the feed's
/// row ends it). The same feed always gives the same token, so its address can be shown again.
pub fn sign_feed(cipher: &Cipher, feed: Uuid) -> String {
    let never = Utc
        .timestamp_opt(253_402_300_799, 0)
        .single()
        .unwrap_or_else(Utc::now);
    sign_for(cipher, FEED_PURPOSE, feed, never)
}

pub fn verify_feed(cipher: &Cipher, token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    verify_for(cipher, FEED_PURPOSE, token, now)
}

const REPLY_PURPOSE: &str = "reply-to";
/// Kind (1) ‖ id (16) ‖ MAC (10): 27 bytes, 44 base32 characters, so that `reply+TOKEN` stays
/// well inside an e-mail local part's 64 characters.
const REPLY_BYTES: usize = 27;
const REPLY_MAC: usize = 10;

/// What an answer by e-mail is filed under (§3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTarget {
    /// A problem ticket: the reply becomes a post on it.
    Ticket(Uuid),
    /// One recipient's delivery of a notice: the reply is that partner's answer to it.
    Delivery(Uuid),
}

impl ReplyTarget {
    fn kind(self) -> u8 {
        match self {
            Self::Ticket(_) => b't',
            Self::Delivery(_) => b'd',
        }
    }

    fn id(self) -> Uuid {
        match self {
            Self::Ticket(id) | Self::Delivery(id) => id,
        }
    }
}

/// The token of a Reply-To address for `target`: lowercase base32 (RFC 4648, no padding) of
/// `kind (b't' | b'd') ‖ id (16) ‖ first 10 bytes of the MAC over the first 17`. Lowercase
/// because some mail systems fold local parts; no expiry, as a ticket can be answered for as
/// long as it exists.
pub fn sign_reply(cipher: &Cipher, target: ReplyTarget) -> String {
    let mut buf = Vec::with_capacity(REPLY_BYTES);
    buf.push(target.kind());
    buf.extend_from_slice(target.id().as_bytes());
    let mac = cipher.mac(REPLY_PURPOSE, &buf);
    buf.extend_from_slice(&mac[..REPLY_MAC]);
    base32_encode(&buf)
}

/// What a reply token stands for, when its signature holds. Case does not matter (a mail
/// system may have upper-cased the address); anything cut off, altered or of an unknown kind is
/// [`LinkError::Invalid`].
pub fn verify_reply(cipher: &Cipher, token: &str) -> Result<ReplyTarget, LinkError> {
    let buf = base32_decode(token.trim()).ok_or(LinkError::Invalid)?;
    if buf.len() != REPLY_BYTES {
        return Err(LinkError::Invalid);
    }
    let mac = cipher.mac(REPLY_PURPOSE, &buf[..17]);
    // Constant-time comparison of the signature bytes.
    let diff = mac[..REPLY_MAC]
        .iter()
        .zip(&buf[17..])
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(LinkError::Invalid);
    }
    let id = Uuid::from_slice(&buf[1..17]).map_err(|_| LinkError::Invalid)?;
    match buf[0] {
        b't' => Ok(ReplyTarget::Ticket(id)),
        b'd' => Ok(ReplyTarget::Delivery(id)),
        _ => Err(LinkError::Invalid),
    }
}

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// RFC 4648 base32, lowercase, without padding.
fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The inverse of [`base32_encode`], accepting either case. None for a character outside the
/// alphabet, padding, or a final character whose unused bits are not zero (so that each byte
/// string has exactly one spelling).
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c.to_ascii_lowercase() {
            c @ b'a'..=b'z' => c - b'a',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        acc = ((acc << 5) | u32::from(v)) & 0xfff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // Leftover bits: fewer than 5, all zero (RFC 4648 §3.5: canonical encoding).
    if bits >= 5 || acc & ((1 << bits) - 1) != 0 {
        return None;
    }
    Some(out)
}

const LOGIN_STEP_PURPOSE: &str = "login-second-step";

/// The login form's second step (policy §7.2.3): after a right password for an account with a
/// second factor, the page carries this token (the user, signed, for a few minutes) instead of
/// the password while it asks for the code.
pub fn sign_login_step(cipher: &Cipher, user: Uuid, expires: DateTime<Utc>) -> String {
    sign_for(cipher, LOGIN_STEP_PURPOSE, user, expires)
}

pub fn verify_login_step(
    cipher: &Cipher,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, LinkError> {
    verify_for(cipher, LOGIN_STEP_PURPOSE, token, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rating_link_is_not_a_confirmation_link() {
        let c = cipher();
        let id = Uuid::now_v7();
        let now = Utc::now();
        let t = sign_rating(&c, id, now + Duration::days(7));
        assert_eq!(verify_rating(&c, &t, now), Ok(id));
        assert_eq!(verify(&c, &t, now), Err(LinkError::Invalid));
        let ack = sign(&c, id, now + Duration::days(7));
        assert_eq!(verify_rating(&c, &ack, now), Err(LinkError::Invalid));
        assert_eq!(
            verify_rating(&c, &t, now + Duration::days(8)),
            Err(LinkError::Expired)
        );
    }

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

    #[test]
    fn base32_matches_rfc_4648_vectors() {
        // RFC 4648 §10, lowercased and without padding.
        for (plain, coded) in [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), coded);
            assert_eq!(base32_decode(coded).as_deref(), Some(plain.as_bytes()));
            assert_eq!(
                base32_decode(&coded.to_uppercase()).as_deref(),
                Some(plain.as_bytes())
            );
        }
        // Non-zero unused bits, padding and letters outside the alphabet are refused.
        assert_eq!(base32_decode("mz"), None);
        assert_eq!(base32_decode("my======"), None);
        assert_eq!(base32_decode("m1"), None);
    }

    /// §3.4: the Reply-To token names its ticket or delivery and fits an address's local part.
    #[test]
    fn a_reply_token_names_its_ticket_or_delivery() {
        let c = cipher();
        let ticket = ReplyTarget::Ticket(Uuid::now_v7());
        let delivery = ReplyTarget::Delivery(Uuid::now_v7());
        let t = sign_reply(&c, ticket);
        assert_eq!(t.len(), 44);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(verify_reply(&c, &t), Ok(ticket));
        assert_eq!(verify_reply(&c, &sign_reply(&c, delivery)), Ok(delivery));
        assert!(format!("reply+{t}").len() <= 64);
    }

    #[test]
    fn an_upper_cased_reply_token_is_accepted() {
        let c = cipher();
        let target = ReplyTarget::Delivery(Uuid::now_v7());
        let t = sign_reply(&c, target).to_uppercase();
        assert_eq!(verify_reply(&c, &t), Ok(target));
    }

    #[test]
    fn an_altered_cut_or_foreign_reply_token_is_refused() {
        let c = cipher();
        let t = sign_reply(&c, ReplyTarget::Ticket(Uuid::now_v7()));
        for i in [0, 1, 5, 20, 43] {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let forged = String::from_utf8(bytes).expect("ascii");
            assert_eq!(verify_reply(&c, &forged), Err(LinkError::Invalid), "{i}");
        }
        assert_eq!(verify_reply(&c, &t[..43]), Err(LinkError::Invalid));
        assert_eq!(verify_reply(&c, &format!("{t}a")), Err(LinkError::Invalid));
        assert_eq!(verify_reply(&c, ""), Err(LinkError::Invalid));
        assert_eq!(verify_reply(&c, "reply+token"), Err(LinkError::Invalid));
        assert_eq!(verify_reply(&cipher(), &t), Err(LinkError::Invalid));
    }

    /// A ticket's token does not file into a delivery with the same id, nor the reverse: the
    /// kind is signed.
    #[test]
    fn a_reply_token_for_another_kind_is_refused() {
        let c = cipher();
        let id = Uuid::now_v7();
        let t = sign_reply(&c, ReplyTarget::Ticket(id));
        let mut buf = base32_decode(&t).expect("base32");
        buf[0] = b'd';
        assert_eq!(
            verify_reply(&c, &base32_encode(&buf)),
            Err(LinkError::Invalid)
        );
        // A well-signed token of an unknown kind is refused too.
        let mut other = vec![b'x'];
        other.extend_from_slice(id.as_bytes());
        let mac = c.mac(REPLY_PURPOSE, &other);
        other.extend_from_slice(&mac[..REPLY_MAC]);
        assert_eq!(
            verify_reply(&c, &base32_encode(&other)),
            Err(LinkError::Invalid)
        );
        // A confirmation link's signature (another purpose) is no reply token.
        let mut ack = vec![b't'];
        ack.extend_from_slice(id.as_bytes());
        let mac = c.mac(PURPOSE, &ack);
        ack.extend_from_slice(&mac[..REPLY_MAC]);
        assert_eq!(
            verify_reply(&c, &base32_encode(&ack)),
            Err(LinkError::Invalid)
        );
    }
}
