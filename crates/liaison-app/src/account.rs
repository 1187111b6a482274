//! Account security (policy §7.2.3, SPEC G8): one's second factor (enrol, confirm, disable),
//! the second step of a login, one's sessions ("log out everywhere else"), the alert at a login
//! from a new device, and the admin's setting of how the second factor is required of admins
//! and executives. The TOTP arithmetic and who must have one are `liaison_core::totp`; the
//! rows are `liaison_db::account`; the login itself is `liaison_web::auth::login`.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use liaison_core::device::Device;
use liaison_core::notify::NotifyKind;
use liaison_core::totp::{self, Gate};
use liaison_core::validate::Msg;
use liaison_core::{Actor, Object, Permission, Roles, authorize};
use liaison_db::Db;
use liaison_db::account::{self as repo, Origin};
use liaison_db::notify::NewNotification;
use liaison_db::settings::SecuritySettings;
use liaison_db::user::User;
use serde::Serialize;
use uuid::Uuid;

/// Where a login alert leads: the account security page.
pub const SECURITY_PAGE: &str = "/account/security";

fn own(actor: &Actor) -> Result<()> {
    authorize(
        actor,
        Permission::ManageOwnAccount,
        &Object::owned(actor.user_id, None),
    )?;
    Ok(())
}

/// A started enrolment: the secret to type in (base32) and the address a phone scans.
#[derive(Debug, Clone, Serialize)]
pub struct Enrolment {
    pub secret: String,
    pub otpauth_url: String,
}

/// Where one's second factor stands.
#[derive(Debug, Clone, Serialize)]
pub struct TotpStatus {
    pub enrolled: bool,
    /// An enrolment was started and waits for a code.
    pub pending: bool,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    /// Required of this account's roles (§7.2.3).
    pub required: bool,
    pub gate: Gate,
}

/// The caller's second factor.
pub async fn status(db: &Db, actor: &Actor) -> Result<TotpStatus> {
    own(actor)?;
    let t = repo::find_totp(db, actor.user_id).await?;
    let enrolled = t.as_ref().is_some_and(|t| t.enrolled());
    Ok(TotpStatus {
        enrolled,
        pending: t.as_ref().is_some_and(|t| t.pending.is_some()),
        confirmed_at: t.as_ref().and_then(|t| t.confirmed_at),
        recovery_codes_left: if enrolled {
            repo::recovery_codes_left(db, actor.user_id).await?
        } else {
            0
        },
        required: totp::required_for(&actor.roles),
        gate: gate(db, actor.user_id, &actor.roles).await?,
    })
}

/// The pending enrolment's secret and address, to show the QR code again on the page.
pub async fn pending(db: &Db, actor: &Actor, email: &str) -> Result<Option<Enrolment>> {
    own(actor)?;
    Ok(repo::find_totp(db, actor.user_id)
        .await?
        .and_then(|t| t.pending)
        .map(|secret| Enrolment {
            otpauth_url: totp::otpauth_url(email, &secret),
            secret,
        }))
}

/// Starts an enrolment, or starts it again with a new secret (a lost QR code); nothing is in
/// force until [`confirm_totp`]. Someone who already has a second factor disables it first.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn start_totp(db: &Db, actor: &Actor, email: &str) -> Result<Enrolment> {
    own(actor)?;
    if repo::totp_enrolled(db, actor.user_id).await? {
        return Err(Error::invalid("totp", Msg::new("account.totp_already_on")));
    }
    let secret = totp::base32_encode(&repo::random_bytes(totp::SECRET_BYTES)?);
    repo::start_totp(db, actor.user_id, &secret).await?;
    Ok(Enrolment {
        otpauth_url: totp::otpauth_url(email, &secret),
        secret,
    })
}

/// Puts the started enrolment in force with a code from the app; answers the recovery codes,
/// shown this once (only their hashes are kept).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn confirm_totp(db: &Db, actor: &Actor, code: &str) -> Result<Vec<String>> {
    own(actor)?;
    let pending = repo::find_totp(db, actor.user_id)
        .await?
        .and_then(|t| t.pending)
        .ok_or_else(|| Error::invalid("code", Msg::new("account.totp_not_started")))?;
    let secret = totp::base32_decode(&pending)
        .ok_or_else(|| Error::Internal("a stored TOTP secret is not base32".into()))?;
    let step = totp::verify(&secret, code, now_step(db), None)
        .map_err(|_| Error::invalid("code", Msg::new("account.totp_wrong_code")))?;
    let mut codes = Vec::with_capacity(totp::RECOVERY_CODES);
    for _ in 0..totp::RECOVERY_CODES {
        codes.push(totp::recovery_code(&repo::random_bytes(
            totp::RECOVERY_BYTES,
        )?));
    }
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| recovery_hash(db, actor.user_id, c))
        .collect();
    repo::confirm_totp(db, actor.user_id, step, &hashes).await?;
    Ok(codes)
}

/// What proves it is the account's owner who turns the second factor off.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// A current code from the app, or an unused recovery code.
    Code(&'a str),
    /// The account's password.
    Password(&'a str),
}

/// Turns the second factor off (or drops an enrolment never confirmed). With a second factor in
/// force, a current code, a recovery code or the password is needed.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn disable_totp(
    db: &Db,
    actor: &Actor,
    email: &str,
    proof: Option<Proof<'_>>,
) -> Result<()> {
    own(actor)?;
    // Nothing to turn off is done already.
    let Some(t) = repo::find_totp(db, actor.user_id).await? else {
        return Ok(());
    };
    if t.enrolled() {
        match proof {
            None => return Err(Error::invalid("code", Msg::new("account.proof_needed"))),
            Some(Proof::Code(c)) => {
                if check_second_factor(db, actor.user_id, Some(c)).await? != SecondFactor::Accepted
                {
                    return Err(Error::invalid("code", Msg::new("account.totp_wrong_code")));
                }
            }
            Some(Proof::Password(p)) => {
                let ok = liaison_db::user::authenticate(db, email, p)
                    .await?
                    .is_some_and(|u| u.id == actor.user_id);
                if !ok {
                    return Err(Error::invalid(
                        "password",
                        Msg::new("account.wrong_password"),
                    ));
                }
            }
        }
    }
    repo::disable_totp(db, actor.user_id, actor.user_id).await?;
    Ok(())
}

/// The second step of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    /// The account has no second factor: the password was enough.
    NotEnrolled,
    /// A code (or recovery code) was given and accepted, and is now used up.
    Accepted,
    /// The account has one and no code was given.
    Missing,
    /// A wrong, old or already used code.
    Refused,
}

/// Checks the second step of `user`'s login: a TOTP code of the previous, current or next step
/// newer than the last one used (§7.2.3; a replay is refused), or an unused recovery code.
pub async fn check_second_factor(db: &Db, user: Uuid, given: Option<&str>) -> Result<SecondFactor> {
    let Some(t) = repo::find_totp(db, user).await? else {
        return Ok(SecondFactor::NotEnrolled);
    };
    let Some(secret) = t.secret.as_deref() else {
        return Ok(SecondFactor::NotEnrolled);
    };
    let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
        return Ok(SecondFactor::Missing);
    };
    let accepted = if totp::looks_like_code(given) {
        let secret = totp::base32_decode(secret)
            .ok_or_else(|| Error::Internal("a stored TOTP secret is not base32".into()))?;
        match totp::verify(&secret, given, now_step(db), t.last_step) {
            // Only one of two logins racing with the same code wins the step.
            Ok(step) => repo::use_step(db, user, step).await?,
            Err(_) => false,
        }
    } else if given.chars().count() <= 40 {
        repo::use_recovery_code(db, user, &recovery_hash(db, user, given)).await?
    } else {
        false
    };
    Ok(if accepted {
        SecondFactor::Accepted
    } else {
        SecondFactor::Refused
    })
}

fn now_step(db: &Db) -> u64 {
    totp::step_at(db.now().timestamp())
}

fn recovery_hash(db: &Db, user: Uuid, code: &str) -> String {
    repo::keyed_hash(
        db,
        "totp-recovery",
        &format!("{user}|{}", totp::normalize_recovery(code)),
    )
}

/// What a session of `user` may do until they enrol (§7.2.3): open for roles it is not
/// required of and for the enrolled; else as the admin's mode says.
pub async fn gate(db: &Db, user: Uuid, roles: &Roles) -> Result<Gate> {
    if !totp::required_for(roles) {
        return Ok(Gate::Open);
    }
    let mode = liaison_db::settings::security(db).await?.totp_mode;
    let enrolled = repo::totp_enrolled(db, user).await?;
    Ok(totp::gate(mode, roles, enrolled))
}

/// One of the caller's live sessions, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: Uuid,
    /// `browser` or `api`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    /// The device in a few words (`Chrome · Windows`); `None` when the client named none.
    pub device: Option<String>,
    pub address: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

/// The caller's live sessions, `current` marked.
pub async fn sessions(db: &Db, actor: &Actor, current: Uuid) -> Result<Vec<SessionView>> {
    own(actor)?;
    Ok(repo::list_sessions(db, actor.user_id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current,
            device: s
                .user_agent
                .as_deref()
                .and_then(Device::from_user_agent)
                .map(|d| d.label()),
            id: s.id,
            kind: s.kind,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            address: s.address,
        })
        .collect())
}

/// Ends one of the caller's sessions; another person's is not found.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, session = %id))]
pub async fn revoke_session(db: &Db, actor: &Actor, id: Uuid) -> Result<()> {
    let owner = repo::session_owner(db, id).await?.ok_or(Error::NotFound)?;
    authorize(
        actor,
        Permission::ManageOwnAccount,
        &Object::owned(owner, None),
    )?;
    Ok(repo::revoke_session(db, actor.user_id, id).await?)
}

/// Self-service password change (§7.2.3): the current password proves it is the owner, the new
/// one meets the password rules (breached list included) and differs from it; every other
/// session of theirs ends at once (`current` stays). Answers how many ended. A wrong current
/// password is a field error on `current` (the web layer counts it as a failed login).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn change_password(
    db: &Db,
    actor: &Actor,
    email: &str,
    current_password: &str,
    new_password: &str,
    current: Uuid,
) -> Result<u64> {
    own(actor)?;
    let ok = !current_password.is_empty()
        && liaison_db::user::authenticate(db, email, current_password)
            .await?
            .is_some_and(|u| u.id == actor.user_id);
    if !ok {
        return Err(Error::invalid(
            "current",
            Msg::new("account.wrong_password"),
        ));
    }
    if new_password == current_password {
        return Err(Error::invalid("new", Msg::new("account.password_same")));
    }
    liaison_db::password::check_strength(new_password).map_err(|m| Error::invalid("new", m))?;
    let hash = liaison_db::password::hash(new_password).map_err(Error::Internal)?;
    Ok(repo::change_password(db, actor.user_id, &hash, current).await?)
}

/// "Log out everywhere else": ends every live session of the caller but `current`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn revoke_other_sessions(db: &Db, actor: &Actor, current: Uuid) -> Result<u64> {
    own(actor)?;
    Ok(repo::revoke_other_sessions(db, actor.user_id, current).await?)
}

/// After a successful login: notes the device, and tells the person (bell and e-mail, at once)
/// when it is one they never logged in from before, naming the device, address and time. The
/// first device of all is not news, and a client that sends no User-Agent names no device.
/// Answers whether they were told.
pub async fn signed_in(db: &Db, user: &User, from: &Origin) -> Result<bool> {
    let Some(device) = from.user_agent.as_deref().and_then(Device::from_user_agent) else {
        return Ok(false);
    };
    let now = db.now();
    let zone = user
        .time_zone
        .as_deref()
        .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(liaison_core::calendar::COMPANY_ZONE);
    let time = now.with_timezone(&zone).format("%Y-%m-%d %H:%M %:z");
    let hash = repo::keyed_hash(db, "login-device", &format!("{}|{}", user.id, device.key()));
    let alert = NewNotification {
        user_id: user.id,
        kind: NotifyKind::LoginNewDevice,
        args: serde_json::json!({
            "device": device.label(),
            "address": from.address.clone().unwrap_or_else(|| "?".into()),
            "time": time.to_string(),
        }),
        link: SECURITY_PAGE.into(),
        urgent: false,
        // A security alert does not wait for working hours.
        email_at: Some(now),
    };
    Ok(repo::remember_device(db, user.id, &hash, alert).await?)
}

/// The security setting: company users read it.
pub async fn settings(db: &Db, actor: &Actor) -> Result<SecuritySettings> {
    authorize(actor, Permission::ReadDirectory, &Object::default())?;
    Ok(liaison_db::settings::security(db).await?)
}

/// Admins choose whether the second factor is reminded or enforced (§7.2.3); audited as
/// `settings.security`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn update_settings(
    db: &Db,
    actor: &Actor,
    s: &SecuritySettings,
) -> Result<SecuritySettings> {
    authorize(actor, Permission::AdminUsers, &Object::default())?;
    Ok(liaison_db::settings::update_security(db, actor.user_id, s).await?)
}
