//! Admin-edited review settings (§4.2.1 the pre-check's sensitive terms, §3.1.2 the
//! policy-change notice period, the steps that need every eligible reviewer): company users read
//! them, admins change them, through the API and the console page alike.

use crate::Result;
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::settings::{self as repo, ReviewSettingsPatch, ReviewSettingsView};

/// The review settings as they stand (the defaults until an admin changes them).
pub async fn review(db: &Db, actor: &Actor) -> Result<ReviewSettingsView> {
    authorize(actor, Permission::ReadDirectory, &Object::default())?;
    let r = repo::review(db).await?;
    Ok(ReviewSettingsView {
        policy_notice_days: r.policy_notice_days,
        sensitive_terms: r.sensitive_terms,
        need_all_steps: r
            .need_all_steps
            .iter()
            .map(|s| s.as_str().to_string())
            .collect(),
        policy_kind_notice_days: r.policy_kind_notice_days,
    })
}

/// Changes them (admins), every invalid field at once; audited as `settings.update`. The next
/// submission's pre-check reads the new terms.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn update_review(
    db: &Db,
    actor: &Actor,
    patch: &ReviewSettingsPatch,
) -> Result<ReviewSettingsView> {
    authorize(actor, Permission::AdminUsers, &Object::default())?;
    Ok(repo::update_review(db, actor.user_id, patch).await?)
}
