//! The NDA register (policy §7.1.2, SPEC G2): agreements per partner (covering all its
//! contacts) or per person (one contact), valid between their signing and expiry.

use crate::audit::Entry;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::validate::optional_text;
use liaison_core::{FieldErrors, Scope};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Nda {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub document: Option<String>,
    pub created_at: DateTime<Utc>,
}

from_row!(Nda; id: uuid, partner_id: uuid, partner_code: text, contact_id: opt_uuid,
    contact_name: opt_text, signed_at: time, expires_at: time, document: opt_text,
    created_at: time);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NdaInput {
    pub partner: Option<String>,
    pub contact_id: Option<Uuid>,
    pub signed_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The signed document's name or reference.
    pub document: Option<String>,
}

const SELECT: &str =
    "SELECT n.id, n.partner_id, p.code AS partner_code, n.contact_id, c.name AS contact_name,
        n.signed_at, n.expires_at, n.document, n.created_at
   FROM ndas n JOIN partners p ON p.id = n.partner_id LEFT JOIN contacts c ON c.id = n.contact_id";

pub async fn list_ndas(db: &Db, scope: Scope, partner: Option<Uuid>) -> Result<Vec<Nda>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    match scope {
        Scope::All => {}
        Scope::Partner(p) => query.and("n.partner_id =", p),
        Scope::Nothing => return Ok(Vec::new()),
    }
    query.and_some("n.partner_id =", partner);
    query.push_sql(" ORDER BY n.id DESC");
    db.fetch_all(query).await
}

pub async fn insert_nda(db: &Db, actor: Uuid, input: &NdaInput) -> Result<Nda> {
    let mut e = FieldErrors::new();
    let partner = match crate::given(&input.partner) {
        None => {
            e.add("partner", "is required (partner code or id)");
            None
        }
        Some(p) => match crate::partner::resolve_partner_ref(db, p).await? {
            Some(id) => Some(id),
            None => {
                e.add("partner", format!("no partner '{p}'"));
                None
            }
        },
    };
    if let (Some(pid), Some(cid)) = (partner, input.contact_id)
        && crate::partner::find_contact(db, Scope::All, pid, cid)
            .await
            .is_err()
    {
        e.add("contact_id", "is not a contact of that partner");
    }
    if input.signed_at.is_none() {
        e.add("signed_at", "is required");
    }
    match (input.signed_at, input.expires_at) {
        (_, None) => e.add("expires_at", "is required"),
        (Some(s), Some(x)) if x <= s => e.add("expires_at", "must be after signed_at"),
        _ => {}
    }
    let document = e
        .take(
            "document",
            optional_text(input.document.as_deref().unwrap_or(""), 300),
        )
        .flatten();
    let (Some(partner), Some(signed), Some(expires)) = (partner, input.signed_at, input.expires_at)
    else {
        return Err(DbError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(DbError::Invalid(e));
    }
    let id = Uuid::now_v7();
    let detail = json!({"contact_id": input.contact_id, "signed_at": signed, "expires_at": expires,
                        "document": document});
    db.write_one(
        |now| {
            q("INSERT INTO ndas (id, partner_id, contact_id, signed_at, expires_at, document, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id)
            .bind(partner)
            .bind(input.contact_id)
            .bind(signed)
            .bind(expires)
            .bind(document.clone())
            .bind(actor)
            .bind(now)
        },
        Entry::by(actor, "nda.create", "nda", id, detail).of_partner(partner),
    )
    .await?;
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE n.id = $1")).bind(id))
        .await
}

/// The SQL condition "contact `c` has an NDA valid at placeholder `at`".
pub(crate) fn valid_nda_sql(at: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM ndas n WHERE n.partner_id = c.partner_id AND (n.contact_id IS NULL OR n.contact_id = c.id)
           AND n.signed_at <= {at} AND n.expires_at > {at})"
    )
}
