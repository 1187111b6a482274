//! Departments, users and sessions (SPEC A3, G8). Sessions are one table for browser cookies
//! and API bearer tokens; only the SHA-256 of a token is stored, so a leaked database holds no
//! usable token.

use crate::audit::Entry;
use crate::query::parsed;
use crate::{Db, DbError, Q, Result, q, random_token, sha256_hex};
use chrono::{DateTime, Duration, Utc};
use liaison_core::validate::Msg;
use liaison_core::validate::{EmailAddress, required_text};
use liaison_core::{Actor, FieldErrors, Role, Roles};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub head_user_id: Option<Uuid>,
    pub head_name: Option<String>,
}

from_row!(Department; id: uuid, code: text, name: text, name_en: opt_text,
    head_user_id: opt_uuid, head_name: opt_text);

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub roles: Roles,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub partner_id: Option<Uuid>,
    pub partner_name: Option<String>,
    pub lang: Option<String>,
    /// The IANA zone times are shown in; `None`: the company's.
    pub time_zone: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// A portal login's person: the partner's contact it is (issue 9).
    pub contact_id: Option<Uuid>,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            roles: self.roles.clone(),
            partner_id: self.partner_id,
            department_id: self.department_id,
        }
    }
}

from_row!(User; id: uuid, email: text, name: text, roles: text => parsed(Roles::parse_list),
    department_id: opt_uuid, department_name: opt_text, partner_id: opt_uuid,
    partner_name: opt_text, lang: opt_text, time_zone: opt_text, active: bool,
    created_at: time, contact_id: opt_uuid);

const USER_SELECT: &str =
    "SELECT u.id, u.email, u.name, u.roles, u.department_id, d.name AS department_name,
        u.partner_id, p.name AS partner_name, u.lang, u.time_zone, u.active, u.created_at, u.contact_id
   FROM users u
   LEFT JOIN departments d ON d.id = u.department_id
   LEFT JOIN partners p ON p.id = u.partner_id";

/// Links a portal login to the contact it is (or unlinks it); the caller checked that both
/// belong to the same partner.
pub async fn set_contact(
    db: &Db,
    actor: Option<Uuid>,
    user: Uuid,
    contact: Option<Uuid>,
    partner: Uuid,
) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE users SET contact_id = $1, updated_at = $2 WHERE id = $3")
            .bind(contact)
            .bind(now)
            .bind(user),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            actor,
            "user.link_contact",
            "user",
            Some(user),
            serde_json::json!({"contact_id": contact}),
        )
        .of_partner(partner),
    )
    .await
}

/// Leaves out the service users API tokens act as (`api_token`): they are no one's login.
const NOT_A_TOKEN: &str = "NOT EXISTS (SELECT 1 FROM api_tokens k WHERE k.user_id = u.id)";

/// The portal logins of a partner (to show which contacts have one, to tell its people).
pub async fn portal_logins(db: &Db, partner: Uuid) -> Result<Vec<User>> {
    db.fetch_all(
        crate::Q::dynamic(format!(
            "{USER_SELECT} WHERE u.partner_id = $1 AND {NOT_A_TOKEN} ORDER BY u.email"
        ))
        .bind(partner),
    )
    .await
}

/// A user to create, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub password: String,
    pub roles: Vec<String>,
    pub department: Option<String>,
    pub partner: Option<String>,
    pub lang: Option<String>,
}

/// A user's own settings (language, time zone) as typed; absent fields stay as they are, an
/// empty one returns to the default (the browser's language, the company's zone).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserSettings {
    pub lang: Option<String>,
    pub time_zone: Option<String>,
}

/// Changes a user's own language and time zone, every invalid field reported at once.
pub async fn update_user_settings(db: &Db, user: Uuid, s: &UserSettings) -> Result<User> {
    let current = find_user(db, user).await?.ok_or(DbError::NotFound)?;
    let mut e = FieldErrors::new();
    let lang = match s.lang.as_deref().map(str::trim) {
        None => current.lang.clone(),
        Some("") => None,
        Some(l) => e
            .take("lang", liaison_core::partner::Lang::parse(l))
            .map(|l| l.tag().to_string()),
    };
    let time_zone = match s.time_zone.as_deref().map(str::trim) {
        None => current.time_zone.clone(),
        Some("") => None,
        Some(z) => e.take("time_zone", liaison_core::partner::parse_timezone(z)),
    };
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE users SET lang = $1, time_zone = $2, updated_at = $3 WHERE id = $4")
            .bind(lang.clone())
            .bind(time_zone.clone())
            .bind(now)
            .bind(user),
    )
    .await?;
    tx.commit_audited(
        now,
        crate::audit::Entry::new(
            Some(user),
            "user.settings",
            "user",
            Some(user),
            serde_json::json!({"lang": lang, "time_zone": time_zone}),
        ),
    )
    .await?;
    find_user(db, user).await?.ok_or(DbError::NotFound)
}

pub async fn list_departments(db: &Db) -> Result<Vec<Department>> {
    db.fetch_all(q(
        "SELECT d.id, d.code, d.name, d.name_en, d.head_user_id, u.name AS head_name
           FROM departments d LEFT JOIN users u ON u.id = d.head_user_id ORDER BY d.code",
    ))
    .await
}

pub async fn insert_department(
    db: &Db,
    actor: Option<Uuid>,
    code: &str,
    name: &str,
    name_en: Option<&str>,
    head: Option<Uuid>,
) -> Result<Department> {
    let mut e = FieldErrors::new();
    let code_v = e.take("code", required_text(code, 40).map(|c| c.to_lowercase()));
    let name_v = e.take("name", required_text(name, 100));
    let (Some(code), Some(name)) = (code_v, name_v) else {
        return Err(DbError::Invalid(e));
    };
    let id = Uuid::now_v7();
    db.write_one(
        |now| {
            q("INSERT INTO departments (id, code, name, name_en, head_user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(code.as_str())
                .bind(name.as_str())
                .bind(name_en)
                .bind(head)
                .bind(now)
        },
        Entry::new(actor, "department.create", "department", Some(id),
            json!({"code": code, "name": name, "head_user_id": head})),
    )
    .await
    .map_err(|e| e.conflict_on("code", &code))?;
    Ok(Department {
        id,
        code,
        name,
        name_en: name_en.map(str::to_string),
        head_user_id: head,
        head_name: None,
    })
}

pub async fn set_department_head(
    db: &Db,
    actor: Option<Uuid>,
    dept: Uuid,
    head: Uuid,
) -> Result<()> {
    db.write_one(
        |_| {
            q("UPDATE departments SET head_user_id = $1 WHERE id = $2")
                .bind(head)
                .bind(dept)
        },
        Entry::new(
            actor,
            "department.set_head",
            "department",
            Some(dept),
            json!({"head_user_id": head}),
        ),
    )
    .await?;
    Ok(())
}

pub async fn find_department_by_code(db: &Db, code: &str) -> Result<Option<Department>> {
    db.fetch_optional(
        q(
            "SELECT d.id, d.code, d.name, d.name_en, d.head_user_id, u.name AS head_name
             FROM departments d LEFT JOIN users u ON u.id = d.head_user_id WHERE d.code = $1",
        )
        .bind(code.trim().to_lowercase()),
    )
    .await
}

/// Checks a new user (or, with `new` false, a change: an empty password keeps the old one)
/// and resolves its department and partner (by id or code).
async fn parse_user(
    db: &Db,
    input: &UserInput,
    new: bool,
) -> Result<(EmailAddress, String, Roles, Option<Uuid>, Option<Uuid>)> {
    let mut e = FieldErrors::new();
    let email = e.take("email", EmailAddress::parse(&input.email));
    let name = e.take("name", required_text(&input.name, 100));
    if new || !input.password.is_empty() {
        e.take("password", crate::password::check_strength(&input.password));
    }
    let roles = e.take(
        "roles",
        input
            .roles
            .iter()
            .flat_map(|r| r.split(','))
            .filter(|r| !r.trim().is_empty())
            .map(Role::parse)
            .collect::<Result<Vec<_>, _>>()
            .and_then(Roles::new),
    );
    let mut department_id = None;
    if let Some(d) = crate::given(&input.department) {
        let found = match Uuid::parse_str(d) {
            Ok(id) => db
                .fetch_optional::<i64>(q("SELECT COUNT(*) FROM departments WHERE id = $1").bind(id))
                .await?
                .filter(|n| *n > 0)
                .map(|_| id),
            Err(_) => find_department_by_code(db, d).await?.map(|d| d.id),
        };
        match found {
            Some(id) => department_id = Some(id),
            None => e.add(
                "department",
                Msg::new("validate.no_department").arg("value", d),
            ),
        }
    }
    let mut partner_id = None;
    if let Some(p) = crate::given(&input.partner) {
        match crate::partner::resolve_partner_ref(db, p).await? {
            Some(id) => partner_id = Some(id),
            None => e.add("partner", Msg::new("validate.no_partner").arg("value", p)),
        }
    }
    if let Some(r) = &roles {
        if r.is_partner() && partner_id.is_none() && e.for_field("partner").is_none() {
            e.add("partner", Msg::new("validate.partner_user_needs_partner"));
        }
        if !r.is_partner() && partner_id.is_some() {
            e.add("partner", Msg::new("validate.only_partner_users_partner"));
        }
        if r.is_partner() && department_id.is_some() {
            e.add(
                "department",
                Msg::new("validate.partner_user_no_department"),
            );
        }
    }
    match (email, name, roles) {
        (Some(email), Some(name), Some(roles)) if e.is_empty() => {
            Ok((email, name, roles, department_id, partner_id))
        }
        _ => Err(DbError::Invalid(e)),
    }
}

pub async fn insert_user(db: &Db, actor: Option<Uuid>, input: &UserInput) -> Result<User> {
    let (email, name, roles, department_id, partner_id) = parse_user(db, input, true).await?;
    let hash = crate::password::hash(&input.password).map_err(DbError::Config)?;
    let lang = input
        .lang
        .as_deref()
        .and_then(|l| liaison_core::partner::Lang::parse(l).ok());
    let id = Uuid::now_v7();
    db.write_one(
        |now| {
            q("INSERT INTO users (id, email, name, password_hash, roles, department_id, partner_id, lang, active, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
            .bind(id)
            .bind(email.as_str())
            .bind(name.as_str())
            .bind(hash)
            .bind(roles.to_list())
            .bind(department_id)
            .bind(partner_id)
            .bind(lang.map(|l| l.tag()))
            .bind(true)
            .bind(now)
        },
        Entry::new(actor, "user.create", "user", Some(id),
            json!({"email": email.as_str(), "roles": roles.to_list()}))
        .about(partner_id),
    )
    .await
    .map_err(|e| e.conflict_on("email", email.as_str()))?;
    find_user(db, id).await?.ok_or(DbError::NotFound)
}

/// Checks a change to a user as [`update_user`] would, writing nothing (so a caller with its own
/// refusals can report every invalid field at once).
pub async fn check_user_change(db: &Db, input: &UserInput) -> Result<()> {
    parse_user(db, input, false).await.map(|_| ())
}

/// Changes a user (name, e-mail, roles, department, partner, language, a new password when
/// one is given) and whether the account is active; deactivating ends its sessions at once.
pub async fn update_user(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    input: &UserInput,
    active: bool,
) -> Result<User> {
    let before = find_user(db, id).await?.ok_or(DbError::NotFound)?;
    let (email, name, roles, department_id, partner_id) = parse_user(db, input, false).await?;
    let lang = input
        .lang
        .as_deref()
        .and_then(|l| liaison_core::partner::Lang::parse(l).ok());
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE users SET email = $1, name = $2, roles = $3, department_id = $4, partner_id = $5,
              lang = $6, active = $7, updated_at = $8,
              contact_id = CASE WHEN $5 IS NULL THEN NULL ELSE contact_id END
           WHERE id = $9")
        .bind(email.as_str())
        .bind(name.as_str())
        .bind(roles.to_list())
        .bind(department_id)
        .bind(partner_id)
        .bind(lang.map(|l| l.tag()))
        .bind(active)
        .bind(now)
        .bind(id),
    )
    .await
    .map_err(|e| e.conflict_on("email", email.as_str()))?;
    if !input.password.is_empty() {
        let hash = crate::password::hash(&input.password).map_err(DbError::Config)?;
        tx.execute(
            q("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(id),
        )
        .await?;
    }
    if !active || !input.password.is_empty() {
        tx.execute(
            q("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id),
        )
        .await?;
    }
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "user.update",
            "user",
            Some(id),
            json!({"email": email.as_str(), "name": name, "roles": roles.to_list(),
                   "active": active, "was_active": before.active,
                   "password_changed": !input.password.is_empty()}),
        ),
    )
    .await?;
    find_user(db, id).await?.ok_or(DbError::NotFound)
}

/// Renames a department and sets (or clears) its head.
pub async fn update_department(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    name: &str,
    name_en: Option<&str>,
    head: Option<Uuid>,
) -> Result<()> {
    let mut e = FieldErrors::new();
    let name = e.take("name", required_text(name, 100));
    let name_en = e
        .take(
            "name_en",
            liaison_core::validate::optional_text(name_en.unwrap_or(""), 100),
        )
        .flatten();
    let Some(name) = name else {
        return Err(DbError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE departments SET name = $1, name_en = $2, head_user_id = $3 WHERE id = $4")
            .bind(name.as_str())
            .bind(name_en.clone())
            .bind(head)
            .bind(id),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "department.update",
            "department",
            Some(id),
            json!({"name": name, "name_en": name_en, "head_user_id": head}),
        ),
    )
    .await
}

pub async fn find_user(db: &Db, id: Uuid) -> Result<Option<User>> {
    db.fetch_optional(Q::dynamic(format!("{USER_SELECT} WHERE u.id = $1")).bind(id))
        .await
}

/// The user signing in or writing from `email` (lowercased), if any.
pub async fn find_user_by_email(db: &Db, email: &str) -> Result<Option<User>> {
    db.fetch_optional(
        Q::dynamic(format!("{USER_SELECT} WHERE u.email = $1")).bind(email.trim().to_lowercase()),
    )
    .await
}

/// Every person's login (not the service users of API tokens), by e-mail.
pub async fn list_users(db: &Db) -> Result<Vec<User>> {
    db.fetch_all(Q::dynamic(format!(
        "{USER_SELECT} WHERE {NOT_A_TOKEN} ORDER BY u.email"
    )))
    .await
}

/// Users holding `role` (e.g. the channel managers who can own partners).
pub async fn list_users_with_role(db: &Db, role: Role) -> Result<Vec<User>> {
    Ok(list_users(db)
        .await?
        .into_iter()
        .filter(|u| u.active && u.roles.has(role))
        .collect())
}

/// The people who may own partners: active channel managers and admins.
pub async fn list_possible_owners(db: &Db) -> Result<Vec<User>> {
    Ok(list_users(db)
        .await?
        .into_iter()
        .filter(|u| u.active && (u.roles.has(Role::ChannelManager) || u.roles.has(Role::Admin)))
        .collect())
}

struct Credentials {
    id: Uuid,
    hash: String,
    active: bool,
}

from_row!(Credentials; id: uuid, hash: text("password_hash"), active: bool);

/// The user whose e-mail and password match, if any. Takes the same time either way.
pub async fn authenticate(db: &Db, email: &str, password: &str) -> Result<Option<User>> {
    let email = email.trim().to_lowercase();
    let cred: Option<Credentials> = db
        .fetch_optional(
            q("SELECT id, password_hash, active FROM users WHERE email = $1").bind(email),
        )
        .await?;
    let Some(cred) = cred else {
        let pw = password.to_string();
        let _ = tokio::task::spawn_blocking(move || crate::password::verify_dummy(&pw)).await;
        return Ok(None);
    };
    // Argon2 takes tens of milliseconds of CPU: off the async workers.
    let (pw, hash) = (password.to_string(), cred.hash.clone());
    let ok = tokio::task::spawn_blocking(move || crate::password::verify(&pw, &hash))
        .await
        .unwrap_or(false);
    if !ok || !cred.active {
        return Ok(None);
    }
    find_user(db, cred.id).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

/// Opens a session and returns its token (shown once, stored only as a hash).
pub async fn create_session(
    db: &Db,
    user: &User,
    kind: SessionKind,
    ttl: Duration,
) -> Result<String> {
    create_session_from(db, user, kind, ttl, &crate::account::Origin::default()).await
}

/// The same, noting where it was opened from (the session list of §7.2.3).
pub async fn create_session_from(
    db: &Db,
    user: &User,
    kind: SessionKind,
    ttl: Duration,
    from: &crate::account::Origin,
) -> Result<String> {
    let token = random_token()?;
    let id = Uuid::now_v7();
    let user_agent = from.user_agent.as_deref().map(|ua| {
        ua.chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect::<String>()
    });
    db.write_one(
        |now| {
            q("INSERT INTO sessions (id, token_hash, user_id, kind, created_at, expires_at, user_agent, address, last_seen_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5)")
                .bind(id)
                .bind(sha256_hex(token.as_bytes()))
                .bind(user.id)
                .bind(kind.as_str())
                .bind(now)
                .bind(now + ttl)
                .bind(user_agent)
                .bind(from.address.clone())
        },
        Entry::by(user.id, "auth.login", "session", id, json!({"kind": kind.as_str()}))
            .about(user.partner_id),
    )
    .await?;
    Ok(token)
}

/// The live session's id and user for `token`; expired, revoked and inactive ones are `None`.
pub async fn find_session(db: &Db, token: &str) -> Result<Option<(Uuid, User)>> {
    // One statement (every request asks): the live session and its active user.
    struct Found(Uuid, User);
    impl crate::FromDbRow for Found {
        fn from_row<R: crate::RowExt>(r: &R) -> Result<Self, sqlx::Error> {
            Ok(Found(
                r.uuid("session_id")?,
                <User as crate::FromDbRow>::from_row(r)?,
            ))
        }
    }
    let found: Option<Found> = db
        .fetch_optional(
            Q::dynamic(USER_SELECT.replacen(
                "SELECT u.id,",
                "SELECT s.id AS session_id, u.id,",
                1,
            ) + " JOIN sessions s ON s.user_id = u.id
                  WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.active")
            .bind(sha256_hex(token.as_bytes()))
            .bind(db.now()),
        )
        .await?;
    Ok(found.map(|f| (f.0, f.1)))
}

pub async fn revoke_session(db: &Db, session_id: Uuid, actor: Uuid) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    // Revoking a revoked session changes nothing, and is still a logout.
    tx.execute(
        q("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(session_id),
    )
    .await?;
    let entry = Entry::by(actor, "auth.logout", "session", session_id, json!({}));
    tx.commit_audited(now, entry).await
}
