//! Argon2id password hashing (SPEC G8). Tests switch to light parameters once per process; the
//! stored PHC string carries its parameters, so either kind verifies.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicBool, Ordering};

static LIGHT: AtomicBool = AtomicBool::new(false);

/// Cheap parameters for test processes (never for a server).
pub fn use_light_params() {
    LIGHT.store(true, Ordering::Relaxed);
}

fn hasher() -> Argon2<'static> {
    let params = if LIGHT.load(Ordering::Relaxed) {
        Params::new(512, 1, 1, None)
    } else {
        // OWASP's first recommendation: 19 MiB, 2 passes, 1 lane.
        Params::new(19 * 1024, 2, 1, None)
    };
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.unwrap_or_default(),
    )
}

pub fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends about the time of a real check, so an unknown e-mail answers as slowly as a known one.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("dummy-password").unwrap_or_default());
    let _ = verify(password, phc);
}

/// The breached-password list shipped with Liaison (no network needed): the most common
/// passwords of public leaks, keyboard walks, years and common Chinese patterns, lowercase.
const BREACHED: &str = include_str!("breached-passwords.txt");

/// Whether `password` is on the breached-password list, ignoring case (policy §7.2.3).
pub fn is_breached(password: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| {
        BREACHED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    });
    list.contains(password.trim().to_lowercase().as_str())
}

/// Password rules (§7.2.3), checked whenever a person sets or changes a password: 10 to 128
/// characters, not on the breached-password list, not all one kind of character.
pub fn check_strength(password: &str) -> Result<(), liaison_core::validate::Msg> {
    use liaison_core::validate::Msg;
    let n = password.chars().count();
    if n < 10 {
        return Err(Msg::new("validate.min_chars").arg("min", 10));
    }
    if n > 128 {
        return Err(Msg::new("validate.max_chars").arg("max", 128));
    }
    if is_breached(password) {
        return Err(Msg::new("validate.password_breached"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 2 {
        return Err(Msg::new("validate.password_mix"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_and_rejects() {
        use_light_params();
        let h = hash("liaison-demo").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("liaison-demo", &h));
        assert!(!verify("liaison-dem0", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("aaaaaaaaaaaa").is_err());
        assert!(check_strength("liaison-demo").is_ok());
    }

    /// §7.2.3: a password from the breached list is refused whatever its case, with its own
    /// message; the demo's and the tests' passwords are not on it.
    #[test]
    fn breached_passwords_are_refused_whatever_their_case() {
        for p in [
            "woaini1314",
            "WoAiNi1314",
            "qq123456789",
            "a123456789",
            "1qaz2wsx3edc",
            "Password123!",
            "qwertyuiop",
            "1234567890",
        ] {
            let e = check_strength(p).expect_err(p);
            assert_eq!(e.key(), "validate.password_breached", "{p}");
        }
        for ok in [
            "liaison-demo",
            "Str0ng-enough",
            "Str0ng-password",
            "Bench-password-1",
        ] {
            assert!(!is_breached(ok), "{ok}");
            assert!(check_strength(ok).is_ok(), "{ok}");
        }
        let lines = BREACHED.lines().filter(|l| !l.starts_with('#')).count();
        assert!(lines > 3000, "a few thousand entries: {lines}");
    }
}
