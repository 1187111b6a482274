//! Search over everything a user may see (SPEC B10): one index in storage that every area
//! plugs into. What a user may search is `liaison_core::search::searchable` (a partner user
//! only its own partner's records, messages and threads).

pub use crate::Error;
use crate::{Result, access};
use liaison_core::Actor;
use liaison_core::access::{Access, ItemKind};
use liaison_core::review::Classification;
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
    if !actor.is_partner() {
        return staff_search(db, actor, q, (scope, &kinds), limit).await;
    }
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

/// A member of staff's hits as need-to-know lets them see them (§7.2.2): a secret ticket,
/// meeting or message outside their circle is left out, a confidential one outside it keeps
/// its title and loses its snippet (only its title is indexed anyway). When hits are left out
/// the query is read again, twice as far, so the answer is never short while more match.
async fn staff_search(
    db: &Db,
    actor: &Actor,
    q: &str,
    (scope, kinds): (liaison_core::Scope, &[repo::Kind]),
    limit: i64,
) -> Result<Vec<Hit>> {
    let want = usize::try_from(limit).unwrap_or(0);
    let mut seen: HashMap<Uuid, Access> = HashMap::new();
    let mut read = limit.max(1);
    loop {
        let hits = repo::search(db, q, scope, kinds, read).await?;
        let more = hits.len() as i64 >= read;
        let mut kept = need_to_know(db, actor, hits, &mut seen).await?;
        if kept.len() >= want || !more {
            kept.truncate(want);
            return Ok(kept);
        }
        read = read.saturating_mul(2);
    }
}

/// `hits` without what `actor` may not know of (§7.2.2); only hits of classified rows are
/// looked at item by item (`seen` keeps the answers between rereads).
async fn need_to_know(
    db: &Db,
    actor: &Actor,
    hits: Vec<Hit>,
    seen: &mut HashMap<Uuid, Access>,
) -> Result<Vec<Hit>> {
    let classes = repo::classifications(db, &hits).await?;
    let classified: Vec<&Hit> = hits
        .iter()
        .filter(|h| {
            classes.get(&h.id).is_some_and(|c| {
                Classification::parse(c).map_or(true, |c| c >= Classification::Confidential)
            })
        })
        .collect();
    if classified.is_empty() {
        return Ok(hits);
    }
    let messages: Vec<Hit> = classified
        .iter()
        .filter(|h| h.kind == repo::Kind::Message)
        .map(|h| (*h).clone())
        .collect();
    let requests = requests_of(db, &messages).await?;
    let threads: Vec<Uuid> = classified
        .iter()
        .filter(|h| h.kind == repo::Kind::Thread)
        .map(|h| h.id)
        .collect();
    let thread_requests = repo::requests_of_threads(db, &threads).await?;
    for h in classified {
        if seen.contains_key(&h.id) {
            continue;
        }
        let access = match h.kind {
            repo::Kind::Ticket => access::access_to(db, actor, ItemKind::Ticket, h.id).await?,
            repo::Kind::Meeting => access::access_to(db, actor, ItemKind::Meeting, h.id).await?,
            repo::Kind::Message => match requests.get(&h.id) {
                Some(r) => access::access_to(db, actor, ItemKind::Request, *r).await?,
                None => Access::Hidden,
            },
            // A question on a classified message is known as the message is ("Re: " its title).
            repo::Kind::Thread => match thread_requests.get(&h.id) {
                Some(r) => access::access_to(db, actor, ItemKind::Request, *r).await?,
                None => Access::Hidden,
            },
            _ => Access::Full,
        };
        seen.insert(h.id, access);
    }
    Ok(hits
        .into_iter()
        .filter_map(|mut h| match seen.get(&h.id) {
            None | Some(Access::Full) => Some(h),
            Some(Access::TitleOnly) => {
                h.snippet.clear();
                h.snippet_highlights.clear();
                Some(h)
            }
            Some(Access::Hidden) => None,
        })
        .collect())
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
