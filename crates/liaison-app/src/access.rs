//! Need-to-know (policy §7.2.2; SPEC G4): a confidential or secret item (a request with the
//! message it sends and its attachments, a ticket, a meeting, a data submission, a policy
//! version) is read in full only by its circle (`liaison_core::access`): its owners, those who
//! know it by their part in it, and the people and roles on its access list. Everyone else on
//! the staff who may otherwise see it, admins included, gets its title only (confidential) or
//! nothing (secret). Asking for access is a logged request its owner grants or refuses. Every
//! read of such an item is in the audit chain, whole or title only.
//!
//! One path for every kind: each area says what its item is (`<area>::access_item`, after its
//! usual read check), calls `gate` where it is read, and withholds its body when the answer is
//! title only; asking, deciding and the list are the same operations for all.

use crate::{Error, Result};
use liaison_core::access::{self as rules, Access, AccessState, Circle, ItemKind};
use liaison_core::notify::NotifyKind;
use liaison_core::review::{self, Classification, DecisionContext};
use liaison_core::validate::Msg;
use liaison_core::{Actor, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::access::{self as repo, AccessList, AccessRequest, NewRequest};
use liaison_db::notify::NewNotification;
use liaison_db::request::Request;
use serde_json::json;
use uuid::Uuid;

/// A confidential or secret item as need-to-know sees it, whatever its kind: its title, its
/// classification, its circle (the access list included once `item` or `gate` filled it)
/// and where it is read in the console.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: ItemKind,
    pub id: Uuid,
    pub title: String,
    pub classification: Classification,
    pub circle: Circle,
    pub link: String,
}

impl Item {
    /// Whether need-to-know applies (§7.2.2: confidential and secret items).
    pub fn classified(&self) -> bool {
        self.classification >= Classification::Confidential
    }
}

/// A request's classification, as its form says (internal when it does not say).
pub fn classification(r: &Request) -> Classification {
    r.form
        .classification
        .as_deref()
        .and_then(|c| Classification::parse(c).ok())
        .unwrap_or(Classification::Internal)
}

/// A request as an item: its requester owns it, its reviewers know it.
pub(crate) fn request_item(actor: &Actor, r: &Request) -> Item {
    let reviewing_now = r.state.step().is_some_and(|step| {
        review::may_decide(
            &DecisionContext {
                actor,
                requester_id: r.requester_id,
                requester_department: r.department_id,
            },
            step,
        )
        .is_ok()
    });
    Item {
        kind: ItemKind::Request,
        id: r.id,
        title: r.title.clone(),
        classification: classification(r),
        circle: Circle {
            owners: vec![r.requester_id],
            reviewers: r.reviews.iter().map(|v| v.reviewer_id).collect(),
            reviewing_now,
            ..Default::default()
        },
        link: format!("/console/requests/{}", r.id),
    }
}

/// The item of `kind` the usual rules let `actor` see (else not found or forbidden), with its
/// access list; the read is not audited (asking, deciding and the list's editor use it).
pub async fn item(db: &Db, actor: &Actor, kind: ItemKind, id: Uuid) -> Result<Item> {
    let mut it = bare_item(db, actor, kind, id).await?;
    fill_decider(db, &mut it).await?;
    Ok(it)
}

/// How much of the item of `kind` `actor` sees (§7.2.2), where the usual rules let them see it
/// at all (`Hidden` when they do not, or it is gone). Not audited: for lists and search hits.
pub async fn access_to(db: &Db, actor: &Actor, kind: ItemKind, id: Uuid) -> Result<Access> {
    match bare_item(db, actor, kind, id).await {
        Ok(it) => of(db, actor, it).await,
        Err(Error::NotFound | Error::Forbidden) => Ok(Access::Hidden),
        Err(e) => Err(e),
    }
}

/// The item of `kind` the usual rules let `actor` see, without its access list.
async fn bare_item(db: &Db, actor: &Actor, kind: ItemKind, id: Uuid) -> Result<Item> {
    Ok(match kind {
        ItemKind::Request => {
            authorize(actor, Permission::ReadRequest, &Object::default())?;
            let r = liaison_db::request::find_request(db, id).await?;
            authorize(
                actor,
                Permission::ReadRequest,
                &Object::owned(r.requester_id, r.department_id),
            )?;
            request_item(actor, &r)
        }
        ItemKind::Ticket => crate::tickets::access_item(db, actor, id).await?,
        ItemKind::Meeting => crate::meetings::access_item(db, actor, id).await?,
        ItemKind::Submission => crate::data::access_item(db, actor, id).await?,
        ItemKind::PolicyVersion => crate::policies::access_item(db, actor, id).await?,
    })
}

/// Puts the access list into the item's circle (only a classified item has one that counts).
async fn fill(db: &Db, it: &mut Item) -> Result<()> {
    if it.classified() {
        let list = repo::list(db, it.kind, it.id).await?;
        it.circle.users = list.users.iter().map(|u| u.id).collect();
        it.circle.roles = list.roles;
    }
    Ok(())
}

/// Whoever heads channel management (§7.2.2 via `Circle::fallback`): the head of a department
/// with active channel managers, else an active user who is both a department head and a
/// channel manager; the earliest such user, so the choice is stable.
pub async fn channel_head(db: &Db) -> Result<Option<Uuid>> {
    let users = liaison_db::user::list_users(db).await?;
    let depts = liaison_db::user::list_departments(db).await?;
    let mut heads: Vec<Uuid> = depts
        .iter()
        .filter(|d| {
            users.iter().any(|u| {
                u.active && u.department_id == Some(d.id) && u.roles.has(Role::ChannelManager)
            })
        })
        .filter_map(|d| d.head_user_id)
        .filter(|h| users.iter().any(|u| u.id == *h && u.active))
        .collect();
    if heads.is_empty() {
        heads = users
            .iter()
            .filter(|u| {
                u.active && u.roles.has(Role::DeptHead) && u.roles.has(Role::ChannelManager)
            })
            .map(|u| u.id)
            .collect();
    }
    heads.sort_unstable();
    Ok(heads.first().copied())
}

/// The access list and, for a classified item nobody owns, who decides requests for it.
async fn fill_decider(db: &Db, it: &mut Item) -> Result<()> {
    fill(db, it).await?;
    if it.classified() && it.circle.owners.is_empty() {
        it.circle.fallback = channel_head(db).await?;
    }
    Ok(())
}

/// How much of the item `actor` (who passed `authorize`) sees, its access list read here.
pub async fn of(db: &Db, actor: &Actor, mut it: Item) -> Result<Access> {
    if !it.classified() {
        return Ok(Access::Full);
    }
    fill(db, &mut it).await?;
    Ok(rules::access(actor, it.classification, &it.circle))
}

/// Need-to-know applied to an item just read (§7.2.2): a hidden one is not found; `audit`
/// records the read, whole or title only (lists do not, opening an item does). Each area
/// withholds what a title-only reader may not see.
pub async fn gate(db: &Db, actor: &Actor, it: Item, audit: bool) -> Result<Access> {
    let (kind, id, c) = (it.kind, it.id, it.classification);
    let access = of(db, actor, it).await?;
    if audit && c >= Classification::Confidential && access != Access::Hidden {
        repo::record_read(
            db,
            actor.user_id,
            kind,
            id,
            c.as_str(),
            access == Access::Full,
        )
        .await?;
    }
    match access {
        Access::Hidden => Err(Error::NotFound),
        a => Ok(a),
    }
}

/// For work on an item (§7.2.2): only those who read it whole act on it; a title-only reader
/// is refused (403), and a secret item outside one's circle does not exist (404).
pub async fn must_know(db: &Db, actor: &Actor, it: Item) -> Result<()> {
    match of(db, actor, it).await? {
        Access::Full => Ok(()),
        Access::TitleOnly => Err(Error::Forbidden),
        Access::Hidden => Err(Error::NotFound),
    }
}

/// Whether an item stays in a list `actor` reads (§7.2.2): a secret item outside their circle
/// is not listed; a confidential one is, by its title (what a list shows anyway).
pub async fn listed(db: &Db, actor: &Actor, it: Item) -> Result<bool> {
    if actor.is_partner() || it.classification != Classification::Secret {
        return Ok(true);
    }
    Ok(of(db, actor, it).await? != Access::Hidden)
}

/// A page of up to `limit` rows as `actor` may see them listed (§7.2.2), read with `read`
/// from the keyset `before` on (`(limit, before)`): when secret rows outside their circle are left out, the next
/// rows are read until the page is full or the list ends, so a hidden row never makes a page
/// short (a short page tells the caller the list has ended). `cursor` is a row's keyset.
pub async fn listed_page<T, C, F, Fut>(
    db: &Db,
    actor: &Actor,
    page: (i64, Option<C>),
    cursor: impl Fn(&T) -> C,
    read: F,
    secret: impl Fn(&T) -> bool,
    item: impl Fn(&T) -> Item,
) -> Result<Vec<T>>
where
    F: FnMut(Option<C>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>>>,
{
    kept_page(page, cursor, read, |rows| {
        keep_listed(db, actor, rows, &secret, &item)
    })
    .await
}

/// `listed_page` with the rows kept by `keep` (which may also withhold what a row shows), for a
/// list whose circles are read for a whole page at once (`data::anomalies`): rows `keep`
/// leaves out are made up from the next ones, so a page is never short.
pub async fn kept_page<T, C, F, Fut, K, KFut>(
    (limit, mut before): (i64, Option<C>),
    cursor: impl Fn(&T) -> C,
    mut read: F,
    mut keep: K,
) -> Result<Vec<T>>
where
    F: FnMut(Option<C>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>>>,
    K: FnMut(Vec<T>) -> KFut,
    KFut: std::future::Future<Output = Result<Vec<T>>>,
{
    let mut out: Vec<T> = Vec::new();
    loop {
        let rows = read(before).await?;
        let full = rows.len() as i64 >= limit;
        before = rows.last().map(&cursor);
        out.extend(keep(rows).await?);
        if !full || out.len() as i64 >= limit {
            break;
        }
    }
    out.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(out)
}

/// How much of each item `actor` (who passed `authorize`) sees, the access lists of the
/// classified ones read in one statement (a list page's rows).
pub async fn of_many(db: &Db, actor: &Actor, items: &[Item]) -> Result<Vec<Access>> {
    let ids: Vec<(ItemKind, Uuid)> = items
        .iter()
        .filter(|it| it.classified() && !actor.is_partner())
        .map(|it| (it.kind, it.id))
        .collect();
    let lists = repo::lists(db, &ids).await?;
    Ok(items
        .iter()
        .map(|it| {
            let mut circle = it.circle.clone();
            if let Some(l) = lists.get(&(it.kind, it.id)) {
                circle.users = l.users.iter().map(|u| u.id).collect();
                circle.roles = l.roles.clone();
            }
            rules::access(actor, it.classification, &circle)
        })
        .collect())
}

/// A list's rows as `actor` may see them listed (§7.2.2): without the secret items (`secret`)
/// outside their circle (`item` builds the circle, only for those).
pub async fn keep_listed<T>(
    db: &Db,
    actor: &Actor,
    rows: Vec<T>,
    secret: impl Fn(&T) -> bool,
    item: impl Fn(&T) -> Item,
) -> Result<Vec<T>> {
    if actor.is_partner() || !rows.iter().any(&secret) {
        return Ok(rows);
    }
    let mut kept = Vec::with_capacity(rows.len());
    for r in rows {
        if !secret(&r) || listed(db, actor, item(&r)).await? {
            kept.push(r);
        }
    }
    Ok(kept)
}

/// Notification arguments that carry an item's content (not its title): never sent to someone
/// outside a confidential item's circle (§7.2.2).
const BODY_ARGS: &[&str] = &["comment", "text", "body", "agenda", "minutes", "resolution"];

/// Notifications about `it` as each recipient may know it (§7.2.2): its circle and partner
/// users get them as written; staff outside the circle of a confidential item get them
/// without its content (`BODY_ARGS`), and of a secret item only that one was updated
/// (`secret_item`, with neither title nor link to it), so someone answerable (a department
/// head told of a breach) learns to ask its owners without learning what it is. Someone no
/// longer a user is not told. (Not for requests: their circle depends on the reader's step.)
pub async fn tell(db: &Db, it: &Item, notes: Vec<NewNotification>) -> Result<Vec<NewNotification>> {
    if !it.classified() || notes.is_empty() {
        return Ok(notes);
    }
    let mut it = it.clone();
    fill(db, &mut it).await?;
    let mut out = Vec::with_capacity(notes.len());
    for mut n in notes {
        let Some(user) = liaison_db::user::find_user(db, n.user_id).await? else {
            continue;
        };
        match rules::access(&user.actor(), it.classification, &it.circle) {
            Access::Full => {}
            Access::TitleOnly => {
                if let Some(a) = n.args.as_object_mut() {
                    a.retain(|k, _| !BODY_ARGS.contains(&k.as_str()));
                }
            }
            Access::Hidden => {
                n.kind = NotifyKind::SecretItem;
                n.args = json!({"item": it.kind.as_str()});
                n.link = "/console".into();
            }
        }
        out.push(n);
    }
    Ok(out)
}

/// How much of a request the actor (who passed `authorize`) sees.
pub async fn of_request(db: &Db, actor: &Actor, r: &Request) -> Result<Access> {
    of(db, actor, request_item(actor, r)).await
}

/// Applies need-to-know to a request just read: hidden → not found; title only → the form
/// withheld (its title and classification kept) and `restricted` set. `audit`: record the
/// read (§7.2.2); lists do not, opening one does.
pub async fn screen(db: &Db, actor: &Actor, mut r: Request, audit: bool) -> Result<Request> {
    if gate(db, actor, request_item(actor, &r), audit).await? == Access::TitleOnly {
        r.form = liaison_core::request::RequestInput {
            title: r.form.title.clone(),
            classification: r.form.classification.clone(),
            ..Default::default()
        };
        r.findings.clear();
        r.held_back.clear();
        r.restricted = true;
    }
    Ok(r)
}

/// An item's access list: for those who read it whole (they may see who else does).
pub async fn list_of(db: &Db, actor: &Actor, kind: ItemKind, id: Uuid) -> Result<AccessList> {
    let it = item(db, actor, kind, id).await?;
    match rules::access(actor, it.classification, &it.circle) {
        Access::Full if !actor.is_partner() => Ok(repo::list(db, kind, id).await?),
        Access::Hidden => Err(Error::NotFound),
        _ => Err(Error::Forbidden),
    }
}

/// An item's owners name who else may know (§7.2.2): staff users and roles (not partners).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, item = %id))]
pub async fn set_list(
    db: &Db,
    actor: &Actor,
    kind: ItemKind,
    id: Uuid,
    users: &[Uuid],
    roles: &[Role],
) -> Result<AccessList> {
    let it = item(db, actor, kind, id).await?;
    if rules::access(actor, it.classification, &it.circle) == Access::Hidden {
        return Err(Error::NotFound);
    }
    if !it.circle.keeps_list(actor) {
        return Err(Error::Forbidden);
    }
    let mut e = liaison_core::FieldErrors::new();
    for (i, u) in users.iter().enumerate() {
        match liaison_db::user::find_user(db, *u).await? {
            Some(user) if user.active && !user.roles.is_partner() => {}
            _ => e.add(
                format!("users[{i}]"),
                Msg::new("access.not_staff").arg("value", u.to_string()),
            ),
        }
    }
    for r in roles {
        if matches!(r, Role::PartnerUser | Role::PartnerAdmin) {
            e.add(
                "roles",
                Msg::new("access.not_staff").arg("value", r.as_str()),
            );
        }
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    let mut roles = roles.to_vec();
    roles.sort_unstable();
    roles.dedup();
    repo::set_list(db, actor.user_id, kind, id, &users, &roles).await?;
    Ok(repo::list(db, kind, id).await?)
}

/// What an item's page shows of need-to-know (§7.2.2): to a title-only reader, that they may
/// ask (or already asked); to its owners, the access list to edit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Panel {
    pub kind: ItemKind,
    pub id: Uuid,
    pub restricted: bool,
    /// The reader asked and waits for the owner's decision.
    pub pending: bool,
    /// The item has an owner to ask.
    pub askable: bool,
    /// For its owners: the list as it stands.
    pub list: Option<AccessList>,
}

/// The need-to-know panel of a classified item's page (`None` for other items or partners).
pub async fn panel(db: &Db, actor: &Actor, kind: ItemKind, id: Uuid) -> Result<Option<Panel>> {
    if actor.is_partner() {
        return Ok(None);
    }
    let it = item(db, actor, kind, id).await?;
    if !it.classified() {
        return Ok(None);
    }
    let restricted = rules::access(actor, it.classification, &it.circle) == Access::TitleOnly;
    Ok(Some(Panel {
        kind,
        id,
        restricted,
        pending: restricted && repo::pending_for(db, kind, id, actor.user_id).await?,
        // Nobody asks themselves (the head of channel management deciding for an item nobody
        // owns is not one of its readers, §7.2.2).
        askable: it.circle.decider().is_some_and(|d| d != actor.user_id),
        list: if it.circle.keeps_list(actor) {
            Some(repo::list(db, kind, id).await?)
        } else {
            None
        },
    }))
}

/// Where an item is read in the console (for going back to it after asking or saving).
pub async fn link(db: &Db, actor: &Actor, kind: ItemKind, id: Uuid) -> Result<String> {
    Ok(item(db, actor, kind, id).await?.link)
}

/// Asks the owner of an item one sees the title of for access (§7.2.2); the owner is told.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, item = %item_id))]
pub async fn ask(
    db: &Db,
    actor: &Actor,
    kind: ItemKind,
    item_id: Uuid,
    reason: &str,
) -> Result<AccessRequest> {
    let it = item(db, actor, kind, item_id).await?;
    match rules::access(actor, it.classification, &it.circle) {
        Access::TitleOnly if !actor.is_partner() => {}
        Access::Hidden => return Err(Error::NotFound),
        _ => return Err(Error::Conflict("you may already read it".into())),
    }
    let owner = it
        .circle
        .decider()
        .filter(|d| *d != actor.user_id)
        .ok_or_else(|| Error::Conflict("nobody owns this item yet to grant access".into()))?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", Msg::new("access.reason_required")));
    }
    if reason.chars().count() > 2000 {
        return Err(Error::invalid(
            "reason",
            Msg::new("validate.too_long").arg("max", 2000),
        ));
    }
    if repo::pending_for(db, kind, item_id, actor.user_id).await? {
        return Err(Error::Conflict(
            "you already asked; the owner has not decided yet".into(),
        ));
    }
    // Asking reads the title: recorded like any read of the item (§7.2.2).
    repo::record_read(
        db,
        actor.user_id,
        kind,
        item_id,
        it.classification.as_str(),
        false,
    )
    .await?;
    let name = liaison_db::user::find_user(db, actor.user_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let title = it.title;
    let tell = vec![NewNotification {
        user_id: owner,
        kind: NotifyKind::AccessRequested,
        args: json!({"title": title, "name": name}),
        link: "/console/access-requests".into(),
        urgent: false,
        email_at: Some(crate::notify::email_time(db, false).await?),
    }];
    Ok(repo::insert_request(
        db,
        actor.user_id,
        NewRequest {
            kind,
            item: item_id,
            title: &title,
            owner,
            reason,
            tell,
        },
    )
    .await?)
}

/// The owner's decision; the asker is told. Only the owner decides: the asker gets 403,
/// anyone else 404.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, access_request = %id))]
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    grant: bool,
    note: &str,
) -> Result<AccessRequest> {
    let r = find(db, actor, id).await?;
    if r.owner_id != actor.user_id {
        return Err(Error::Forbidden);
    }
    if r.state != AccessState::Requested {
        return Err(Error::Conflict("this request was already decided".into()));
    }
    let link = format!("/console/access/{}/{}", r.item_kind, r.item_id);
    let tell = vec![NewNotification {
        user_id: r.user_id,
        kind: NotifyKind::AccessDecided,
        args: json!({"title": r.item_title, "state": if grant { "granted" } else { "refused" }}),
        link,
        urgent: false,
        email_at: Some(crate::notify::email_time(db, false).await?),
    }];
    Ok(repo::decide(db, actor.user_id, &r, grant, note.trim(), &tell).await?)
}

/// One access request: its asker's and its owner's only.
pub async fn find(db: &Db, actor: &Actor, id: Uuid) -> Result<AccessRequest> {
    authorize(actor, Permission::UseConsole, &Object::default())?;
    let r = repo::find_request(db, id).await?;
    if r.user_id != actor.user_id && r.owner_id != actor.user_id {
        return Err(Error::NotFound);
    }
    Ok(r)
}

/// The requests the actor made and those waiting for their decision.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<AccessRequest>> {
    authorize(actor, Permission::UseConsole, &Object::default())?;
    Ok(repo::list_requests(db, actor.user_id, 200).await?)
}
