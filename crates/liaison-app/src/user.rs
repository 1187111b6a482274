//! Users and departments (SPEC A3, G8): admins change logins and deactivate them (their
//! sessions end at once), rename departments and give them a head. Nobody takes away their own
//! admin access: that is how a company ends up with no administrator.

pub use crate::Error;
use crate::Result;
use liaison_core::validate::{Msg, optional_text, required_text};
use liaison_core::{Actor, FieldErrors, Object, Permission, Role, authorize};
use liaison_db::user::{self as repo, Department, User, UserInput};
use liaison_db::{Db, DbError};
use serde::Deserialize;
use uuid::Uuid;

/// A change to a user; absent fields stay as they are. An empty `department`, `partner` or
/// `lang` clears it; an empty or absent `password` keeps the old one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserPatch {
    pub email: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub roles: Option<Vec<String>>,
    /// A department's code or id.
    pub department: Option<String>,
    /// A partner's code or id (partner users only).
    pub partner: Option<String>,
    pub lang: Option<String>,
    pub active: Option<bool>,
}

/// One user, for the admin's edit page.
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<User> {
    authorize(actor, Permission::AdminUsers, &Object::default())?;
    repo::find_user(db, id).await?.ok_or(Error::NotFound)
}

/// Changes a user: every invalid field reported at once, including an admin deactivating
/// themselves or dropping their own admin role. Deactivating or a new password ends the
/// user's sessions (the caller also drops any it caches).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, target = %id))]
pub async fn update(db: &Db, actor: &Actor, id: Uuid, patch: &UserPatch) -> Result<User> {
    authorize(actor, Permission::AdminUsers, &Object::default())?;
    let current = repo::find_user(db, id).await?.ok_or(Error::NotFound)?;
    let input = UserInput {
        email: patch.email.clone().unwrap_or(current.email),
        name: patch.name.clone().unwrap_or(current.name),
        password: patch.password.clone().unwrap_or_default(),
        roles: patch
            .roles
            .clone()
            .unwrap_or_else(|| vec![current.roles.to_list()]),
        department: patch
            .department
            .clone()
            .or(current.department_id.map(|d| d.to_string())),
        partner: patch
            .partner
            .clone()
            .or(current.partner_id.map(|p| p.to_string())),
        lang: patch.lang.clone().or(current.lang),
    };
    let active = patch.active.unwrap_or(current.active);
    let mut e = FieldErrors::new();
    if let Some(l) = input.lang.as_deref().filter(|l| !l.trim().is_empty()) {
        e.take("lang", liaison_core::partner::Lang::parse(l.trim()));
    }
    if id == actor.user_id {
        if !active {
            e.add("active", Msg::new("validate.deactivate_self"));
        }
        let keeps_admin = input
            .roles
            .iter()
            .flat_map(|r| r.split(','))
            .any(|r| matches!(Role::parse(r.trim()), Ok(Role::Admin)));
        if !keeps_admin {
            e.add("roles", Msg::new("validate.keep_own_admin"));
        }
    }
    if !e.is_empty() {
        // Refused before storage sees it: its own checks still belong in the same answer.
        match repo::check_user_change(db, &input).await {
            Ok(()) => {}
            Err(DbError::Invalid(more)) => e.extend(more),
            Err(other) => return Err(other.into()),
        }
        return Err(Error::Invalid(e));
    }
    Ok(repo::update_user(db, actor.user_id, id, &input, active).await?)
}

/// The departments with their heads.
pub async fn departments(db: &Db, actor: &Actor) -> Result<Vec<Department>> {
    authorize(actor, Permission::ReadDirectory, &Object::default())?;
    Ok(repo::list_departments(db).await?)
}

/// A change to a department; absent fields stay as they are. `head` is an active company
/// user's e-mail or id, empty for none; an empty `name_en` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DepartmentPatch {
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub head: Option<String>,
}

/// Renames a department and sets (or clears) its head, every invalid field at once.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, department = %id))]
pub async fn update_department(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: &DepartmentPatch,
) -> Result<Department> {
    authorize(actor, Permission::AdminUsers, &Object::default())?;
    let current = find_department(db, id).await?;
    let name = patch.name.clone().unwrap_or(current.name);
    let name_en = patch
        .name_en
        .clone()
        .or(current.name_en)
        .unwrap_or_default();
    let mut e = FieldErrors::new();
    e.take("name", required_text(&name, 100));
    e.take("name_en", optional_text(&name_en, 100));
    let head = match patch.head.as_deref().map(str::trim) {
        None => current.head_user_id,
        Some("") => None,
        Some(h) => {
            let found = repo::list_users(db).await?.into_iter().find(|u| {
                u.active
                    && !u.roles.is_partner()
                    && (u.email.eq_ignore_ascii_case(h) || u.id.to_string() == h)
            });
            if found.is_none() {
                e.add("head", Msg::new("validate.no_company_user").arg("value", h));
            }
            found.map(|u| u.id)
        }
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let name_en = Some(name_en.as_str()).filter(|n| !n.trim().is_empty());
    repo::update_department(db, actor.user_id, id, &name, name_en, head).await?;
    find_department(db, id).await
}

async fn find_department(db: &Db, id: Uuid) -> Result<Department> {
    repo::list_departments(db)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(Error::NotFound)
}
