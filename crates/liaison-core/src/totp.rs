//! The second factor (policy §7.2.3, SPEC G8): time-based one-time passwords (RFC 6238 over
//! RFC 4226's HOTP, HMAC-SHA1, 6 digits, 30-second steps), the `otpauth://` enrolment address,
//! recovery codes, and who must have one. Pure rules: random bytes, the sealed secret, the last
//! step used and the recovery codes' hashes are kept by `liaison_db::account`; the login and the
//! pages live in `liaison-web`.

use crate::role::{Role, Roles};
use crate::str_enum;
use hmac::{Hmac, Mac};

/// Seconds per step (RFC 6238 §4: X = 30).
pub const PERIOD: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret: 160 bits, the length of an HMAC-SHA1 key (RFC 4226 §4 R6).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes shown at confirmation, each usable once (§7.2.3).
pub const RECOVERY_CODES: usize = 10;
/// Random bytes behind one recovery code (10 base32 characters, 50 bits).
pub const RECOVERY_BYTES: usize = 7;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Liaison";

str_enum!(
    /// How the second factor is required of admins and executives (§7.2.3): `remind` asks an
    /// unenrolled one to enrol on every console page; `enforce` lets their login reach only the
    /// enrolment page and the API refuses them until they enrol.
    TotpMode { Remind = "remind", Enforce = "enforce" }
);

/// The demo's and a new installation's mode. (`str_enum!` cannot mark a variant `#[default]`.)
#[allow(clippy::derivable_impls)]
impl Default for TotpMode {
    fn default() -> Self {
        TotpMode::Remind
    }
}

/// What an account's session may do until it has a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gate {
    /// Nothing asked: enrolled, or not required of this role.
    #[default]
    Open,
    /// Asked to enrol on every page, everything else allowed.
    Remind,
    /// Only enrolment (and logging out) until enrolled.
    Enforce,
}

/// §7.2.3: the second factor is required of admins and executives, optional for everyone else.
pub fn required_for(roles: &Roles) -> bool {
    roles.has(Role::Admin) || roles.has(Role::Executive)
}

/// What a session of someone with `roles` may do under `mode`, enrolled or not.
pub fn gate(mode: TotpMode, roles: &Roles, enrolled: bool) -> Gate {
    match (enrolled || !required_for(roles), mode) {
        (true, _) => Gate::Open,
        (false, TotpMode::Remind) => Gate::Remind,
        (false, TotpMode::Enforce) => Gate::Enforce,
    }
}

/// RFC 4226 §5: HOTP(K, C) = Truncate(HMAC-SHA-1(K, C)) mod 10^digits.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    // Dynamic truncation (§5.3): the low 4 bits of the last byte pick 4 bytes, top bit cleared.
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset]) & 0x7f) << 24
        | u32::from(h[offset + 1]) << 16
        | u32::from(h[offset + 2]) << 8
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The time step of a Unix time (RFC 6238 §4.2: T = floor((t - T0) / X), T0 = 0); times before
/// 1970 are step 0.
pub fn step_at(unix_seconds: i64) -> u64 {
    u64::try_from(unix_seconds.div_euclid(PERIOD)).unwrap_or(0)
}

/// The 6-digit code of `secret` at `step`, zero-padded.
pub fn code(secret: &[u8], step: u64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, step, DIGITS),
        width = DIGITS as usize
    )
}

/// Why a code is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not six digits, or not the code of an accepted step.
    Wrong,
    /// The code of a step not newer than the last one used: a replay (RFC 6238 §5.2).
    Replayed,
}

/// Checks `given` (spaces ignored) against the steps before, at and after `now_step` (RFC 6238
/// §5.2 allows one step of drift each way), refusing any step not newer than `last_used`.
/// Answers the step it matched, to be stored as the new last one.
pub fn verify(
    secret: &[u8],
    given: &str,
    now_step: u64,
    last_used: Option<u64>,
) -> Result<u64, Refused> {
    let given: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    if given.len() != DIGITS as usize || !given.chars().all(|c| c.is_ascii_digit()) {
        return Err(Refused::Wrong);
    }
    let steps = [
        now_step.saturating_sub(1),
        now_step,
        now_step.saturating_add(1),
    ];
    let mut matched = None;
    for s in steps {
        // Compared whole, in constant time per candidate.
        if constant_eq(code(secret, s).as_bytes(), given.as_bytes()) {
            matched = Some(s);
        }
    }
    match matched {
        None => Err(Refused::Wrong),
        Some(s) if last_used.is_some_and(|l| s <= l) => Err(Refused::Replayed),
        Some(s) => Ok(s),
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether `given` looks like a TOTP code (six digits, spaces allowed) rather than a recovery
/// code.
pub fn looks_like_code(given: &str) -> bool {
    let digits: Vec<char> = given.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == DIGITS as usize && digits.iter().all(char::is_ascii_digit)
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding (as authenticator apps take secrets).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads base32 as people type it: any case, spaces, dashes and padding ignored.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        if c.is_whitespace() || c == '-' || c == '=' {
            continue;
        }
        let up = c.to_ascii_uppercase();
        let v = ALPHABET.iter().position(|a| char::from(*a) == up)?;
        buffer = (buffer << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
        buffer &= (1 << bits) - 1;
    }
    Some(out)
}

/// The enrolment address an authenticator app scans (the Key URI format of Google
/// Authenticator): `otpauth://totp/Liaison:EMAIL?secret=...&issuer=Liaison&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_url(email: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/{ISSUER}:{}?secret={secret_base32}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
        escape_label(email)
    )
}

/// Percent-encodes what may not stand in the address's label (an e-mail keeps its `@`).
fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"@.-_~+".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The secret written for manual entry, in groups of four (`ABCD EFGH ...`).
pub fn grouped(secret_base32: &str) -> String {
    secret_base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A recovery code from random bytes, as shown: ten lowercase base32 characters in two groups
/// (`abcde-fghij`).
pub fn recovery_code(random: &[u8]) -> String {
    let text = base32_encode(random).to_lowercase();
    let text: String = text.chars().take(10).collect();
    match text.char_indices().nth(5) {
        Some((i, _)) => format!("{}-{}", &text[..i], &text[i..]),
        None => text,
    }
}

/// A recovery code as typed, reduced to what is compared (and hashed): lowercase, without
/// spaces or dashes.
pub fn normalize_recovery(given: &str) -> String {
    given
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 4226 Appendix D: HOTP values of the test secret for counters 0 to 9.
    #[test]
    fn hotp_matches_the_rfc_4226_test_values() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                *want,
                "counter {counter}"
            );
        }
    }

    /// RFC 6238 Appendix B: the SHA-1 column (8 digits) at its six test times.
    #[test]
    fn totp_matches_the_rfc_6238_test_vectors() {
        for (t, want) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(RFC_SECRET, step_at(t), 8), want, "t = {t}");
        }
        assert_eq!(code(RFC_SECRET, step_at(59)), "287082");
        assert_eq!(
            code(RFC_SECRET, step_at(1111111109)),
            "081804",
            "zero-padded"
        );
    }

    #[test]
    fn base32_round_trips_and_reads_what_people_type() {
        assert_eq!(
            base32_encode(RFC_SECRET),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
        assert_eq!(
            base32_decode("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq===").as_deref(),
            Some(RFC_SECRET)
        );
        assert_eq!(base32_encode(b"f"), "MY");
        assert_eq!(base32_decode("MY").as_deref(), Some(&b"f"[..]));
        assert_eq!(base32_decode("M1"), None, "1 is not base32");
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base32_decode(&base32_encode(&bytes)), Some(bytes));
        }
    }

    /// §7.2.3: a code of the previous step is accepted (clock drift), two steps back is not.
    #[test]
    fn codes_around_the_step_boundary() {
        let now = step_at(1_764_900_030);
        let previous = code(RFC_SECRET, now - 1);
        let current = code(RFC_SECRET, now);
        let next = code(RFC_SECRET, now + 1);
        let two_back = code(RFC_SECRET, now - 2);
        assert_eq!(verify(RFC_SECRET, &previous, now, None), Ok(now - 1));
        assert_eq!(verify(RFC_SECRET, &current, now, None), Ok(now));
        assert_eq!(verify(RFC_SECRET, &next, now, None), Ok(now + 1));
        assert_eq!(
            verify(RFC_SECRET, &two_back, now, None),
            Err(Refused::Wrong)
        );
        // The last second of a step and the first of the next are one step apart.
        assert_eq!(step_at(1_764_900_029) + 1, step_at(1_764_900_030));
        assert_eq!(
            verify(RFC_SECRET, "12345", now, None),
            Err(Refused::Wrong),
            "five digits"
        );
        assert_eq!(verify(RFC_SECRET, "abcdef", now, None), Err(Refused::Wrong));
    }

    /// RFC 6238 §5.2: a code is accepted once; the same step again, or an older one, is a replay.
    #[test]
    fn a_used_step_is_refused_as_a_replay() {
        let now = step_at(1_764_900_000);
        let current = code(RFC_SECRET, now);
        let used = verify(RFC_SECRET, &current, now, None).expect("first use");
        assert_eq!(
            verify(RFC_SECRET, &current, now, Some(used)),
            Err(Refused::Replayed)
        );
        let previous = code(RFC_SECRET, now - 1);
        assert_eq!(
            verify(RFC_SECRET, &previous, now, Some(used)),
            Err(Refused::Replayed),
            "an older step after a newer one"
        );
        let later = code(RFC_SECRET, now + 1);
        assert_eq!(verify(RFC_SECRET, &later, now + 1, Some(used)), Ok(now + 1));
    }

    #[test]
    fn the_enrolment_address_names_the_account_and_the_parameters() {
        let url = otpauth_url("exec@demo.example", "GEZDGNBV");
        assert_eq!(
            url,
            "otpauth://totp/Liaison:exec@demo.example?secret=GEZDGNBV&issuer=Liaison&algorithm=SHA1&digits=6&period=30"
        );
        assert!(otpauth_url("a b&c@x.cn", "X").contains("Liaison:a%20b%26c@x.cn?"));
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn recovery_codes_are_shown_grouped_and_read_loosely() {
        let c = recovery_code(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(c.len(), 11);
        assert_eq!(c.chars().nth(5), Some('-'));
        assert_eq!(normalize_recovery(&c.to_uppercase()), c.replace('-', ""));
        assert_eq!(normalize_recovery(" AbCdE fGhIj "), "abcdefghij");
        assert!(!looks_like_code(&c));
        assert!(looks_like_code("123 456"));
    }

    /// §7.2.3: required of admins and executives, optional for everyone else; the mode decides
    /// whether an unenrolled one is reminded or held to enrolment.
    #[test]
    fn the_second_factor_is_required_of_admins_and_executives() {
        let roles = |r: &str| Roles::parse_list(r).expect("roles");
        for (r, required) in [
            ("admin", true),
            ("executive", true),
            ("staff,executive", true),
            ("channel_manager", false),
            ("staff", false),
            ("partner_user", false),
        ] {
            assert_eq!(required_for(&roles(r)), required, "{r}");
        }
        let exec = roles("executive");
        assert_eq!(gate(TotpMode::Remind, &exec, false), Gate::Remind);
        assert_eq!(gate(TotpMode::Enforce, &exec, false), Gate::Enforce);
        assert_eq!(gate(TotpMode::Enforce, &exec, true), Gate::Open);
        assert_eq!(gate(TotpMode::Enforce, &roles("staff"), false), Gate::Open);
        assert_eq!(TotpMode::default(), TotpMode::Remind);
    }
}
