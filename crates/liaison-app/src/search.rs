//! Search over everything a user may see (SPEC B10): one index in storage that every area
//! plugs into. What a user may search is `liaison_core::search::searchable` (a partner user
//! only its own partner's records, messages and threads).

pub use crate::Error;
use crate::Result;
use liaison_core::Actor;
use liaison_db::Db;
use liaison_db::search::{self as repo, Hit};
use std::collections::HashMap;
use uuid::Uuid;

/// Ranked hits for `q` (1 to 100 characters) among what the actor may see.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn search(db: &Db, actor: &Actor, q: &str, limit: i64) -> Result<Vec<Hit>> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 100 {
        return Err(Error::invalid(
            "q",
            liaison_core::validate::Msg::new("validate.search_length"),
        ));
    }
    let (scope, kinds) = liaison_core::search::searchable(actor).ok_or(Error::Forbidden)?;
    let mut hits = repo::search(db, q, scope, &kinds, limit).await?;
    // A partner's products are those visible to it (§3.2.1): the index holds them once for
    // everyone, so they are searched over all and kept when the partner may see them.
    if actor.is_partner() && kinds.contains(&repo::Kind::Product) {
        for h in repo::search(
            db,
            q,
            liaison_core::Scope::All,
            &[repo::Kind::Product],
            limit,
        )
        .await?
        {
            let p = liaison_db::product::find_product(db, h.id).await?;
            if crate::product::may_see(db, actor, &p.visibility).await? {
                hits.push(h);
            }
        }
        hits.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        hits.truncate(usize::try_from(limit).unwrap_or(0));
    }
    Ok(hits)
}

/// The request behind each message hit, for links from the console.
pub async fn requests_of(db: &Db, hits: &[Hit]) -> Result<HashMap<Uuid, Uuid>> {
    let messages: Vec<Uuid> = hits
        .iter()
        .filter(|h| h.kind == repo::Kind::Message)
        .map(|h| h.id)
        .collect();
    Ok(repo::requests_of_messages(db, &messages).await?)
}
