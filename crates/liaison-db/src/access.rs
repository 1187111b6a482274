//! Need-to-know access lists and the requests to be put on them (policy §7.2.2; SPEC G4). The
//! rule of who reads what is `liaison_core::access`; this module stores the lists, the requests
//! and their decisions, each change with its audit entry and the people told.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::Role;
use liaison_core::access::{AccessState, ItemKind};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// An item's access list: named people and roles.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessList {
    pub users: Vec<ListedUser>,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListedUser {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

struct Row {
    user_id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
}
from_row!(Row; user_id: opt_uuid, name: opt_text, email: opt_text, role: opt_text);

pub async fn list(db: &Db, kind: ItemKind, item: Uuid) -> Result<AccessList> {
    let rows: Vec<Row> = db
        .fetch_all(
            q(
                "SELECT a.user_id, u.name, u.email, a.role FROM access_lists a
                 LEFT JOIN users u ON u.id = a.user_id
                WHERE a.item_kind = $1 AND a.item_id = $2
                ORDER BY a.added_at, a.role",
            )
            .bind(kind.as_str())
            .bind(item),
        )
        .await?;
    let mut out = AccessList::default();
    for r in rows {
        match (r.user_id, r.role) {
            (Some(id), _) => out.users.push(ListedUser {
                id,
                name: r.name.unwrap_or_default(),
                email: r.email.unwrap_or_default(),
            }),
            (None, Some(role)) => out
                .roles
                .push(Role::parse(&role).map_err(|e| DbError::Config(format!("{e:?}")))?),
            (None, None) => {}
        }
    }
    Ok(out)
}

/// The access lists of several items in one statement (a list page's rows); an item without
/// a list is not in the map.
pub async fn lists(
    db: &Db,
    items: &[(ItemKind, Uuid)],
) -> Result<std::collections::HashMap<(ItemKind, Uuid), AccessList>> {
    let mut out: std::collections::HashMap<(ItemKind, Uuid), AccessList> = Default::default();
    if items.is_empty() {
        return Ok(out);
    }
    let mut query = Q::dynamic(String::new());
    let ids = query.in_list(items.iter().map(|(_, id)| *id));
    let sql = format!(
        "SELECT a.item_kind, a.item_id, a.user_id, u.name, u.email, a.role FROM access_lists a
           LEFT JOIN users u ON u.id = a.user_id
          WHERE a.item_id IN {ids} ORDER BY a.added_at, a.role"
    );
    let rows: Vec<ItemRow> = db.fetch_all(query.replace_sql(sql)).await?;
    for r in rows {
        let kind = ItemKind::parse(&r.item_kind).map_err(|e| DbError::Config(format!("{e:?}")))?;
        if !items.contains(&(kind, r.item_id)) {
            continue;
        }
        let list = out.entry((kind, r.item_id)).or_default();
        match (r.user_id, r.role) {
            (Some(id), _) => list.users.push(ListedUser {
                id,
                name: r.name.unwrap_or_default(),
                email: r.email.unwrap_or_default(),
            }),
            (None, Some(role)) => list
                .roles
                .push(Role::parse(&role).map_err(|e| DbError::Config(format!("{e:?}")))?),
            (None, None) => {}
        }
    }
    Ok(out)
}

struct ItemRow {
    item_kind: String,
    item_id: Uuid,
    user_id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
}
from_row!(ItemRow; item_kind: text, item_id: uuid, user_id: opt_uuid, name: opt_text,
    email: opt_text, role: opt_text);

/// Replaces an item's access list (its owner's choice), audited with the new list.
pub async fn set_list(
    db: &Db,
    actor: Uuid,
    kind: ItemKind,
    item: Uuid,
    users: &[Uuid],
    roles: &[Role],
) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("DELETE FROM access_lists WHERE item_kind = $1 AND item_id = $2")
            .bind(kind.as_str())
            .bind(item),
    )
    .await?;
    for u in users {
        tx.execute(
            q(
                "INSERT INTO access_lists (item_kind, item_id, user_id, added_by, added_at)
               VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(kind.as_str())
            .bind(item)
            .bind(*u)
            .bind(actor)
            .bind(now),
        )
        .await?;
    }
    for r in roles {
        tx.execute(
            q(
                "INSERT INTO access_lists (item_kind, item_id, role, added_by, added_at)
               VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(kind.as_str())
            .bind(item)
            .bind(r.as_str())
            .bind(actor)
            .bind(now),
        )
        .await?;
    }
    let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "access.list_changed",
            kind.as_str(),
            item,
            json!({"users": users, "roles": roles}),
        ),
    )
    .await
}

/// A request to be put on an item's access list.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRequest {
    pub id: Uuid,
    pub item_kind: ItemKind,
    pub item_id: Uuid,
    pub item_title: String,
    pub user_id: Uuid,
    pub user_name: String,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub reason: String,
    pub state: AccessState,
    pub note: String,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

from_row!(AccessRequest; id: uuid, item_kind: text => crate::query::parsed(ItemKind::parse),
    item_id: uuid, item_title: text, user_id: uuid, user_name: text, owner_id: uuid,
    owner_name: text, reason: text, state: text => crate::query::parsed(AccessState::parse),
    note: text, decided_by: opt_uuid, decided_at: opt_time, created_at: time);

const SELECT: &str = "SELECT r.id, r.item_kind, r.item_id, r.item_title, r.user_id,
        u.name AS user_name, r.owner_id, o.name AS owner_name, r.reason, r.state, r.note,
        r.decided_by, r.decided_at, r.created_at
   FROM access_requests r JOIN users u ON u.id = r.user_id JOIN users o ON o.id = r.owner_id";

/// What a new request holds.
pub struct NewRequest<'a> {
    pub kind: ItemKind,
    pub item: Uuid,
    pub title: &'a str,
    pub owner: Uuid,
    pub reason: &'a str,
    pub tell: Vec<NewNotification>,
}

pub async fn insert_request(db: &Db, actor: Uuid, n: NewRequest<'_>) -> Result<AccessRequest> {
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q(
            "INSERT INTO access_requests (id, item_kind, item_id, item_title, user_id, owner_id,
                reason, state, note, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', '', $8)",
        )
        .bind(id)
        .bind(n.kind.as_str())
        .bind(n.item)
        .bind(n.title)
        .bind(actor)
        .bind(n.owner)
        .bind(n.reason)
        .bind(now),
    )
    .await?;
    crate::notify::insert(&mut tx, now, &n.tell).await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "access.requested",
            n.kind.as_str(),
            n.item,
            json!({"request": id}),
        ),
    )
    .await?;
    find_request(db, id).await
}

pub async fn find_request(db: &Db, id: Uuid) -> Result<AccessRequest> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE r.id = $1")).bind(id))
        .await
}

/// The requests `user` made, and those waiting for `user`'s decision, newest first.
pub async fn list_requests(db: &Db, user: Uuid, limit: i64) -> Result<Vec<AccessRequest>> {
    let mut query = Q::dynamic(format!(
        "{SELECT} WHERE (r.user_id = $1 OR r.owner_id = $1)"
    ))
    .bind(user);
    query.order_limit("r.created_at DESC, r.id DESC", limit);
    db.fetch_all(query).await
}

/// Whether `user` already waits for a decision on the item.
pub async fn pending_for(db: &Db, kind: ItemKind, item: Uuid, user: Uuid) -> Result<bool> {
    let n: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM access_requests
                WHERE item_kind = $1 AND item_id = $2 AND user_id = $3 AND state = 'requested'")
            .bind(kind.as_str())
            .bind(item)
            .bind(user),
        )
        .await?;
    Ok(n > 0)
}

/// The owner's decision: a grant puts the asker on the list, in the same transaction.
pub async fn decide(
    db: &Db,
    actor: Uuid,
    r: &AccessRequest,
    grant: bool,
    note: &str,
    tell: &[NewNotification],
) -> Result<AccessRequest> {
    let now = db.now();
    let state = if grant {
        AccessState::Granted
    } else {
        AccessState::Refused
    };
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE access_requests SET state = $1, note = $2, decided_by = $3, decided_at = $4
            WHERE id = $5 AND state = 'requested'",
        )
        .bind(state.as_str())
        .bind(note)
        .bind(actor)
        .bind(now)
        .bind(r.id),
        "the request was decided meanwhile",
    )
    .await?;
    if grant {
        tx.execute(
            q(
                "INSERT INTO access_lists (item_kind, item_id, user_id, added_by, added_at)
               SELECT $1, $2, $3, $4, $5
                WHERE NOT EXISTS (SELECT 1 FROM access_lists
                                   WHERE item_kind = $1 AND item_id = $2 AND user_id = $3)",
            )
            .bind(r.item_kind.as_str())
            .bind(r.item_id)
            .bind(r.user_id)
            .bind(actor)
            .bind(now),
        )
        .await?;
    }
    crate::notify::insert(&mut tx, now, tell).await?;
    let action = if grant {
        "access.granted"
    } else {
        "access.refused"
    };
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            action,
            r.item_kind.as_str(),
            r.item_id,
            json!({"request": r.id, "user": r.user_id}),
        ),
    )
    .await?;
    find_request(db, r.id).await
}

/// §7.2.2: every read of a confidential or secret item goes into the audit chain, with who,
/// when, and whether they saw it whole or only its title.
pub async fn record_read(
    db: &Db,
    actor: Uuid,
    kind: ItemKind,
    item: Uuid,
    classification: &str,
    whole: bool,
) -> Result<()> {
    crate::audit::record(
        db,
        Entry::by(
            actor,
            if whole {
                "access.read"
            } else {
                "access.read_title"
            },
            kind.as_str(),
            item,
            json!({"classification": classification}),
        ),
    )
    .await?;
    Ok(())
}

struct Classified(Uuid, String);
impl crate::FromDbRow for Classified {
    fn from_row<R: crate::RowExt>(r: &R) -> std::result::Result<Self, sqlx::Error> {
        Ok(Self(r.uuid("id")?, r.text("classification")?))
    }
}

/// Where a classified row of each kind keeps its classification (for reads that check
/// need-to-know after a list query, §7.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classed {
    Ticket,
    Meeting,
    Message,
    Thread,
}

/// The classification of each of `ids` (rows of `what`), in one statement per 500 ids; rows
/// that are gone are not in the map.
pub async fn classifications(
    db: &Db,
    what: Classed,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>> {
    let table = match what {
        Classed::Ticket => "tickets",
        Classed::Meeting => "meetings",
        Classed::Message => "messages",
        Classed::Thread => "threads",
    };
    let mut out = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let mut query = crate::Q::dynamic(String::new());
        let ph: Vec<String> = chunk.iter().map(|id| query.arg(*id)).collect();
        query.push_sql(&format!(
            "SELECT id, classification FROM {table} WHERE id IN ({})",
            ph.join(", ")
        ));
        out.extend(
            db.fetch_all::<Classified>(query)
                .await?
                .into_iter()
                .map(|c| (c.0, c.1)),
        );
    }
    Ok(out)
}
